"""Which students' grades a run of ``grade`` changed: compared before and after, with the TA's
overrides applied both times, and written to ``OUT/grade_changes.csv``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from autograder.escaping import csv_cell
from autograder.gradebook import Gradebook
from autograder.lms.overrides import with_overrides
from autograder.scoring import shown

NAME = "grade_changes.csv"
COLUMNS = ("student", "status_before", "score_before", "status_after", "score_after")


def snapshot(book: Gradebook, assignment: str) -> dict[str, tuple[str, float]]:
    """Every student's status and score as the exports show them now."""
    in_force = book.overrides(assignment)
    return {
        result["student"]: (result["status"], float(result["score"]))
        for result in with_overrides(book.results(assignment), in_force)
    }


def compare(
    before: dict[str, tuple[str, float]], after: dict[str, tuple[str, float]]
) -> list[dict[str, Any]]:
    """The students graded before whose status or score is not the same now."""
    changed = []
    for student, (status, score) in before.items():
        now = after.get(student)
        if now is None or now == (status, score):
            continue
        changed.append(
            {
                "student": student,
                "status_before": status,
                "score_before": score,
                "status_after": now[0],
                "score_after": now[1],
            }
        )
    return changed


def write_changes(out: Path, changed: list[dict[str, Any]]) -> Path:
    """``OUT/grade_changes.csv``, rewritten by every run (only a header if nothing changed)."""
    path = out / NAME
    temporary = out / f".{NAME}.tmp"
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in changed:
            writer.writerow(
                [
                    csv_cell(row["student"]),
                    row["status_before"],
                    shown(row["score_before"]),
                    row["status_after"],
                    shown(row["score_after"]),
                ]
            )
    temporary.replace(path)
    return path
