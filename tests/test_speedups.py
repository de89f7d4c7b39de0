"""Every speed-up switched off gives the same grades and feedback, only slower.

The speed-ups (plan replay in the sandbox, outcomes reused between identical answers, each
worker and its sandbox placed on one core; ``autograder/speedups/``) are each held behind a
switch: ``--no-plan``, ``--no-reuse``, ``--no-placement``, and ``--no-speedups`` for all of
them at once. A grade must never depend on any of them.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.grading import ROOT, grade_command, read_grades

LIMITS = ["--timeout-submission", "8", "--timeout-call", "2"]


def _graded(klass: Path, out: Path, *extra: str) -> tuple[dict, dict, int]:
    """Grades, feedback (and the summary's pass rates), and how many tests were reused."""
    done = subprocess.run(
        grade_command(klass, out, *LIMITS, *extra), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    feedback = {p.name: p.read_text() for p in sorted((out / "feedback").glob("*.md"))}
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        reused = sum(
            json.loads(r)["reused_tests"] for (r,) in db.execute("SELECT result FROM results")
        )
    summary = {"summary": json.loads(done.stdout)["item_pass_rate"]}
    return _without_times(read_grades(out)), {**summary, **feedback}, reused


def _without_times(grades: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {s: {k: v for k, v in r.items() if "seconds" not in k} for s, r in grades.items()}


@pytest.fixture(scope="module")
def graded_fast(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, tuple]:
    """A generated class of 24, graded with every speed-up on."""
    work = tmp_path_factory.mktemp("speedups")
    klass = work / "class"
    subprocess.run(
        [
            sys.executable,
            ROOT / "examples" / "synthetic_class.py",
            klass,
            "-n",
            "24",
            "--seed",
            "3",
        ],
        check=True,
        cwd=ROOT,
        capture_output=True,
    )
    return klass, _graded(klass, work / "fast")


@pytest.mark.parametrize(
    ("switch", "reuses"),
    # Without the plan nothing is reused: the memo knows a submission by its plan replies.
    [
        ("--no-speedups", False),
        ("--no-plan", False),
        ("--no-reuse", False),
        ("--no-placement", True),
    ],
)
def test_a_speedup_switched_off_gives_the_same_grades_and_feedback(
    graded_fast: tuple[Path, tuple], tmp_path: Path, switch: str, reuses: bool
) -> None:
    klass, (fast_grades, fast_feedback, fast_reused) = graded_fast
    grades, feedback, reused = _graded(klass, tmp_path / "slow", switch)
    assert len(fast_grades) == 24
    assert grades == fast_grades
    assert feedback == fast_feedback
    # The switch reached the workers: reuse happens exactly where it is left on.
    assert fast_reused > 0, "a class of 24 with shared answers reuses some outcomes"
    assert (reused > 0) == reuses, f"{switch}: {reused} tests reused"
