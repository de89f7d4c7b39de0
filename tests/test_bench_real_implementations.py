"""The submission builder and the comparison of benchmarks/real_implementations.py, on small
files written here in the textbook's styles (the public files themselves are not kept)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from benchmarks.real_implementations import compare, submission

LIST_STYLE = """\
import sys
sys.path.append('..')
from common.np import *


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for i in range(len(params)):
            params[i] -= self.lr * grads[i]


if __name__ == "__main__":
    raise SystemExit("script code must not run")
"""

BOOK_NAMES = """\
import numpy as np

class RMSprop:
    def __init__(self, lr=0.01, decay_rate=0.99):
        self.lr = lr
"""


def _load(tmp_path: Path, name: str, text: str) -> tuple[dict, tuple[str, ...]]:
    path = tmp_path / f"{name}.py"
    path.write_text(text, encoding="utf-8")
    built = submission(path)
    namespace: dict = {}
    exec(compile(built.source, str(path), "exec"), namespace)
    return namespace, built.shims


def test_list_style_file_updates_the_graders_dict_in_place(tmp_path: Path) -> None:
    namespace, shims = _load(tmp_path, "volume2", LIST_STYLE)
    w = np.array([1.0, 2.0])
    params = {"W": w}
    namespace["SGD"](lr=0.5).update(params, {"W": np.array([2.0, 2.0])})
    assert params["W"] is w
    np.testing.assert_allclose(w, [0.0, 1.0])
    assert shims == ("list front",)


def test_the_books_class_name_gets_the_assignments_alias(tmp_path: Path) -> None:
    namespace, shims = _load(tmp_path, "book", BOOK_NAMES)
    assert namespace["RMSProp"] is namespace["RMSprop"]
    assert shims == ("RMSProp = RMSprop",)


def test_a_file_that_does_not_parse_is_submitted_as_it_is(tmp_path: Path) -> None:
    text = "class SGD:\n    def update(self, params, grads):\n        x = (1 +\n"
    path = tmp_path / "broken.py"
    path.write_text(text, encoding="utf-8")
    assert submission(path).source == text


def test_compare_counts_right_wrong_and_missing_names() -> None:
    def entry(score: float, *named: str) -> dict:
        return {"score": score, "max": 10.0, "named": set(named)}

    results = {
        "a": {"SGD": entry(10.0), "Adam": entry(4.0, "adam_no_eps_argument_folded")},
        "b": {"SGD": entry(3.0, "sgd_plus_sign"), "Adam": entry(0.0)},
    }
    expected = {
        ("a", "SGD"): (True, set()),
        ("a", "Adam"): (False, {"adam_no_eps_argument_folded"}),
        ("b", "SGD"): (False, {"sgd_no_update"}),
        ("b", "Adam"): (True, set()),
    }
    counts, notes = compare(results, expected)
    assert (counts["items"], counts["agree"], counts["failing"]) == (4, 3, 3)
    assert (counts["correct"], counts["wrong"], counts["unnamed"]) == (1, 1, 1)
    assert any("WRONG NAME: b SGD" in note for note in notes)
    assert any("verdict differs: b Adam" in note for note in notes)
