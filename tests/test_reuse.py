"""The plan and reused outcomes never change a grade.

A small class is graded twice through the command line on one worker (so that the first
submission records the suite's plan and the others meet it): once as usual, and once with
``--no-reuse``, where every hidden test runs for every submission. Every grade, every test's
outcome and every feedback file must be the same, while the usual run must really have reused
outcomes for the submissions that behave like an earlier one. The class includes what can go
wrong inside the plan: a method that hangs, a method that raises, a missing class.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from examples.synthetic_class import BROKEN, notebook
from tests.grading import read_grades
from tests.test_grade_cli import class_cells, run_grade

pytestmark = pytest.mark.slow

SGD_LOOP = "        for key in params:\n            params[key] -= self.lr * grads[key]"
ADAM_BIAS = "m_hat = self.m[key] / (1 - self.beta1**self.t)"
MOMENTUM_STEP = "for key in params:"


def _class(folder: Path) -> None:
    cells = class_cells()
    assert SGD_LOOP in cells[1] and ADAM_BIAS in cells[5], "the reference changed: update this"
    assert MOMENTUM_STEP in cells[2], "the reference changed: update this"
    folder.mkdir()
    no_bias = [c.replace(ADAM_BIAS, "m_hat = self.m[key]") for c in cells]
    raises_late = [
        c.replace(
            ADAM_BIAS,
            f"{ADAM_BIAS}\n            if self.t == 3:\n"
            "                raise ValueError('third step')",
        )
        for c in cells
    ]
    hangs = [c.replace(SGD_LOOP, "        while True:\n            pass") for c in cells]
    adam_hangs = [
        c.replace(ADAM_BIAS, f"{ADAM_BIAS}\n            while self.t == 2:\n                pass")
        for c in cells
    ]
    exits = [
        *cells[:2],
        cells[2].replace(MOMENTUM_STEP, f"import os\n        os._exit(3)\n        {MOMENTUM_STEP}"),
        *cells[3:],
    ]
    made = {
        "a_correct": cells,
        "b_sgd_hangs": hangs,
        "c_no_bias": no_bias,
        "d_correct_again": [*cells, "# the same code, handed in by someone else\n"],
        "e_no_bias_again": [*no_bias, "note = 'same mistake'\n"],
        "f_exception_in_cell": BROKEN["exception_in_cell"](cells),
        "g_missing_item": BROKEN["missing_item"](cells),
        "h_adam_raises_late": raises_late,
        "i_adam_hangs": adam_hangs,
        "j_momentum_exits": exits,
        # Last: whatever went wrong before must not be reused for an honest submission.
        "k_correct_last": [*cells, "done = True\n"],
    }
    for name, source in made.items():
        (folder / f"{name}.ipynb").write_text(notebook(source))


def _graded(root: Path, *extra: str) -> tuple[Path, dict]:
    out = root / ("out" + "".join(extra).replace("-", "_"))
    result = run_grade(
        "--out",
        str(out),
        "--json",
        "--jobs",
        "1",
        "--timeout-call",
        "2",
        "--lang",
        "en",
        *extra,
        str(root / "class"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        records = {
            student: json.loads(record)
            for student, record in db.execute("SELECT student, result FROM results")
        }
    return out, records


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    root = tmp_path_factory.mktemp("reuse")
    _class(root / "class")
    return _graded(root), _graded(root, "--no-reuse")


def _files(folder: Path) -> dict[str, str]:
    return {p.name: p.read_text(encoding="utf-8") for p in sorted(folder.iterdir())}


def test_grades_and_outcomes_are_identical_with_and_without_reuse(both):
    (reused_out, reused), (fresh_out, fresh) = both
    assert read_grades(reused_out) == read_grades(fresh_out)
    assert _files(reused_out / "results") == _files(fresh_out / "results")
    assert _files(reused_out / "feedback") == _files(fresh_out / "feedback")
    for student, record in fresh.items():
        mine = reused[student]
        assert [(t["name"], t["passed"], t["failure"]) for t in mine["tests"]] == [
            (t["name"], t["passed"], t["failure"]) for t in record["tests"]
        ], f"{student}: a reused outcome differs from running the test"


def test_the_usual_run_reuses_and_no_reuse_does_not(both):
    (_, reused), (_, fresh) = both
    assert all(r["reused_tests"] == 0 for r in fresh.values())
    # The first submission had nothing to reuse; the ones that answer exactly as an earlier
    # one reuse every test: d and f as a, e as c.
    for student in ("d_correct_again", "e_no_bias_again", "f_exception_in_cell"):
        record = reused[student]
        assert record["reused_tests"] == len(record["tests"]) > 0, (student, record["reused_tests"])
    assert reused["a_correct"]["reused_tests"] == 0


def test_what_goes_wrong_inside_the_plan_costs_only_its_item(both):
    (out, reused), _ = both
    rows = read_grades(out)
    full = {"SGD": 10.0, "Momentum": 10.0, "AdaGrad": 10.0, "RMSProp": 10.0, "Adam": 10.0}
    expected_zero = {
        "b_sgd_hangs": "SGD",
        "c_no_bias": "Adam",
        "e_no_bias_again": "Adam",
        "g_missing_item": "Adam",
        "j_momentum_exits": "Momentum",
    }
    for student, item in expected_zero.items():
        scores = {i: float(rows[student][i]) for i in full}
        assert scores[item] == 0, (student, scores)
        assert all(scores[i] == full[i] for i in full if i != item), (student, scores)
    assert "timeout" in reused["b_sgd_hangs"]["sandbox_failures"]
    # Adam hangs on its second step: only the one-step run (1 point) passes, and no other item
    # is charged with the hang.
    hangs = {i: float(rows["i_adam_hangs"][i]) for i in full}
    assert hangs == {**full, "Adam": 1.0}, hangs
    assert "timeout" in reused["i_adam_hangs"]["sandbox_failures"]
    assert "crashed" in reused["j_momentum_exits"]["sandbox_failures"]
    # Raising on the third step: tests with three or more steps fail, the first-step one passes.
    adam = [t for t in reused["h_adam_raises_late"]["tests"] if t["item"] == "Adam"]
    assert any(t["passed"] for t in adam) and not all(t["passed"] for t in adam)
    assert any(t["failure"] and "third step" in t["failure"].get("error", "") for t in adam), adam
    for student in ("a_correct", "d_correct_again", "f_exception_in_cell", "k_correct_last"):
        assert float(rows[student]["score"]) == float(rows[student]["max_score"]), rows[student]
