"""Every speed-up switched off gives the same grades and feedback, only slower.

The speed-ups (plan replay in the sandbox, outcomes reused between identical answers, each
worker and its sandbox placed on one core) are each held behind a switch; ``--no-speedups``
turns them all off at once. A grade must never depend on them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.grading import ROOT, grade_command, read_grades

LIMITS = ["--timeout-submission", "8", "--timeout-call", "2"]


def _graded(klass: Path, out: Path, *extra: str) -> tuple[dict, dict]:
    done = subprocess.run(
        grade_command(klass, out, *LIMITS, *extra), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    feedback = {p.name: p.read_text() for p in sorted((out / "feedback").glob("*.md"))}
    return read_grades(out), {"summary": json.loads(done.stdout)["item_pass_rate"], **feedback}


def test_no_speedups_gives_the_same_grades_and_feedback(tmp_path: Path) -> None:
    klass = tmp_path / "class"
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
    fast_grades, fast_feedback = _graded(klass, tmp_path / "fast")
    slow_grades, slow_feedback = _graded(klass, tmp_path / "slow", "--no-speedups")
    drop = "seconds"
    assert {s: {k: v for k, v in r.items() if drop not in k} for s, r in fast_grades.items()} == {
        s: {k: v for k, v in r.items() if drop not in k} for s, r in slow_grades.items()
    }
    assert len(fast_grades) == 24
    assert fast_feedback == slow_feedback
