"""Helpers shared by the grading tests: the installed command, and a graded run's outputs."""

from __future__ import annotations

import csv
import shutil
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def optigrade_exe() -> str:
    exe = shutil.which("optigrade", path=str(Path(sys.executable).parent)) or shutil.which(
        "optigrade"
    )
    if exe is None:
        pytest.fail("the optigrade console script is not installed (pip install -e .)")
    return exe


def grade_command(
    submissions: Path, out: Path, *options: str, assignment: str = "optimizers"
) -> list[str]:
    """``optigrade grade`` of ``submissions`` into ``out`` with ``--json`` and ``options``."""
    command = [optigrade_exe(), "grade", "-a", assignment, "--out", str(out), "--json"]
    return [*command, *options, "--", str(submissions)]


def read_grades(out: Path) -> dict[str, dict[str, str]]:
    """grades.csv of a graded run, by student."""
    with open(out / "grades.csv", encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}
