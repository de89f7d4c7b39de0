"""The pure-Python parts of the peer benchmark (benchmarks/peers): fast, no peer tool needed.

The benchmark itself (`make bench-peers`) installs otter-grader and nbgrader and takes minutes;
here: the restated hidden tests accept the reference and its equivalents and reject a mistake,
the submission converters write valid notebooks with the code in the right cells, and the
report is rendered and judged right from a fake result set.
"""

from __future__ import annotations

import copy

import nbformat
import pytest

import solutions
from benchmarks.peers import notebooks as nbs
from benchmarks.peers.report import category_results, judge, ratio_line, render
from benchmarks.peers.suite import ITEMS, peer_tests
from examples.synthetic_class import item_sources, preamble
from solutions.variants import EQUIVALENTS, MISTAKES


@pytest.fixture(scope="module")
def tests():
    return peer_tests()


@pytest.fixture(scope="module")
def batch():
    return nbs.make_batch(40)


def _test_function(test):
    namespace: dict = {}
    exec(test.function_source(), namespace)
    return namespace[f"test_{test.name.replace('-', '_')}"]


def test_restated_tests_match_the_suite(tests):
    assert len(tests) == 45
    assert {t.item for t in tests} == set(ITEMS)
    assert sum(t.points for t in tests) == 50


def test_restated_tests_accept_equivalents_and_reject_mistakes(tests):
    for test in (t for t in tests if t.item == "Adam"):
        run = _test_function(test)
        run(solutions.Adam)
        for variant in EQUIVALENTS["Adam"]:
            run(variant.impl)
    first = _test_function(next(t for t in tests if t.item == "Adam"))
    with pytest.raises(AssertionError):
        first(MISTAKES["Adam"][0].impl)


def test_batch_has_the_required_mix(batch):
    categories = [s.category for s in batch]
    assert len(batch) >= 40
    assert sum(c.startswith("correct") for c in categories) > len(batch) / 2
    assert sum(c.startswith("broken:infinite_loop") for c in categories) == 2
    assert {"broken:syntax_error", "broken:missing_item"} <= set(categories)
    missing = next(s for s in batch if s.category == "broken:missing_item")
    assert missing.expected_full()["Adam"] is False
    assert all(s.expected_full().values() for s in batch if s.category.startswith("correct"))


def _code(nb: nbformat.NotebookNode) -> str:
    return "\n".join(c.source for c in nb.cells if c.cell_type == "code")


def _released(master: nbformat.NotebookNode, hide) -> nbformat.NotebookNode:
    """What the peer's release step leaves: solution cells emptied, tests dropped."""
    nb = copy.deepcopy(master)
    nb.cells = [c for c in nb.cells if not hide(c)]
    for cell in nb.cells:
        if "BEGIN SOLUTION" in cell.source and cell.cell_type == "code":
            cell.source = cell.source.split("BEGIN SOLUTION")[0].rsplit("\n", 1)[0] + "\n..."
    return nb


def test_converters_write_valid_notebooks_with_code_in_place(tests, batch, tmp_path):
    setup, sources = preamble("optimizers"), item_sources("optimizers")
    otter = _released(
        nbs.otter_master(tests, setup, sources),
        lambda c: c.cell_type == "raw" or "TEST CONFIG" in c.source,
    )
    nbgrader = _released(
        nbs.nbgrader_source(tests, setup, sources),
        lambda c: c.metadata.get("nbgrader", {}).get("grade", False),
    )
    syntax = next(s for s in batch if s.category == "broken:syntax_error")
    missing = next(s for s in batch if s.category == "broken:missing_item")
    for sub in (syntax, missing):
        for nb in (
            nbs.optigrade_notebook(sub),
            nbs.otter_submission(otter, sub),
            nbs.nbgrader_submission(nbgrader, sub),
        ):
            nbs.write(nb, tmp_path / f"{sub.student}.ipynb")  # validates
            code = _code(nb)
            assert all(src in code for _, src in sub.parts)
            assert "NotImplementedError" not in code and "\n...\n" not in f"\n{code}\n"
    own = nbs.nbgrader_submission(nbgrader, syntax).cells
    sgd = next(
        i for i, c in enumerate(own) if c.metadata.get("nbgrader", {}).get("grade_id") == "SGD"
    )
    assert own[sgd + 1].source.startswith("def oops(:")


def _fake_results(batch):
    max_points = dict.fromkeys(ITEMS, 10.0)

    def scores(s, lose_loop: bool = False) -> dict[str, float]:
        if lose_loop and s.category == "broken:infinite_loop":
            return {}
        return {i: (10.0 if full else 0.0) for i, full in s.expected_full().items()}

    def tool(seconds: float, lose_loop: bool = False) -> dict:
        return {
            "version": "1",
            "mode": "m",
            "install": {"seconds": 1.0, "mb": 10.0},
            "reps": [
                {
                    "seconds": seconds * k * len(batch),
                    "peak_rss_mb": 100.0,
                    "per_submission": {s.student: seconds * k for s in batch},
                }
                for k in (1, 1.1, 0.9)
            ],
            "scores": {s.student: scores(s, lose_loop) for s in batch},
            "lost": {
                s.student: "killed"
                for s in batch
                if lose_loop and s.category == "broken:infinite_loop"
            },
        }

    return {
        "machine": {
            "cores": 2,
            "python": "3.11",
            "date": "d",
            "load_before": [1],
            "load_after": [1],
        },
        "categories": {s.category: 1 for s in batch},
        "limits": "5 s",
        "max_points": max_points,
        "submissions": [
            {"student": s.student, "category": s.category, "expected_full": s.expected_full()}
            for s in batch
        ],
        "tools": {
            "optigrade": tool(2.0),
            "otter": tool(100.0, lose_loop=True),
            "nbgrader": tool(80.0),
        },
        "probes": {
            "patch_allclose": {
                "description": "d",
                "tools": {"optigrade": {}, "otter": dict.fromkeys(ITEMS, 10.0), "nbgrader": {}},
                "verdict": {"optigrade": "gains nothing", "otter": "50/50", "nbgrader": "x"},
            }
        },
        "notes": ["a note"],
    }


def test_report_from_a_fake_result_set(batch):
    results = _fake_results(batch)
    assert ratio_line(results) == "ratio: optigrade is 40.0× faster per submission than nbgrader"
    otter = category_results(results, "otter")
    assert otter["broken:infinite_loop"] == (0, 1, 1)
    assert otter["broken:missing_item"] == (1, 1, 0)
    text = render(results)
    assert "| broken:infinite_loop | ✅ 1/1 | ❌ 0/1, 1 lost whole | ✅ 1/1 |" in text
    assert "**40.0×**" in text and "(meets)" in text


def test_judge_needs_full_marks_exactly_where_expected():
    top = {"SGD": 10.0, "Adam": 10.0}
    assert judge({"SGD": True, "Adam": False}, {"SGD": 10.0, "Adam": 9.0}, top)
    assert not judge({"SGD": True, "Adam": False}, {"SGD": 10.0, "Adam": 10.0}, top)
    assert not judge({"SGD": True, "Adam": True}, None, top)
