"""Which students' grades a run of ``grade`` changed: compared before and after, with the TA's
overrides applied both times, and written to ``OUT/grade_changes.csv``."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from autograder.escaping import csv_cell, visible
from autograder.gradebook import Gradebook
from autograder.lms import texts as t
from autograder.lms.course import Course
from autograder.lms.overrides import os_user, with_overrides
from autograder.lms.standing import CourseView
from autograder.scoring import shown

NAME = "grade_changes.csv"
COLUMNS = ("student", "status_before", "score_before", "status_after", "score_after")


def snapshot(
    book: Gradebook, assignment: str, course: Course | None = None, max_score: float = 0.0
) -> dict[str, tuple[str, float]]:
    """Every student's status and score as the exports show them now.

    With a course file, that is each roster student's final grade (late penalty applied), keyed
    by the roster's id: a worksheet passed later changes no raw score but moves LMS grades, and
    the TA must know which rows to upload again. Students without a submission are left out,
    as students not yet graded are without one.
    """
    results = with_overrides(book.results(assignment), book.overrides(assignment))
    if course is None:
        return {r["student"]: (r["status"], float(r["score"])) for r in results}
    view = CourseView(course, assignment, max_score, "en")
    for _row in view.present(results):
        pass  # the standings are complete once every record went through
    return {
        s.student.student_id: (s.status, s.final)
        for s in view.standings
        if s.key is not None and s.final is not None
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


def settle_overrides(book: Gradebook, assignment: str, drop: bool, console: Console) -> None:
    """Before a run: drop every override in force (``--drop-overrides``), or say how many
    the run keeps."""
    if drop:
        count = book.drop_overrides(assignment, "grade --drop-overrides", os_user())
        console.print(Text(t.both(t.OVERRIDES_DROPPED, count=count)))
        return
    count = sum(len(items) for items in book.overrides(assignment).values())
    if count:
        console.print(Text(t.both(t.OVERRIDES_KEPT, count=count)))


def outdated_overrides(book: Gradebook, assignment: str) -> list[dict[str, Any]]:
    """The overrides in force that judged an earlier submission than the one now graded
    (the student handed in again): not applied, for the TA to look at again."""
    outdated = []
    for student, items in book.overrides(assignment).items():
        record = book.result(assignment, student)
        now = (record or {}).get("content_hash")
        stale = sorted(
            item
            for item, override in items.items()
            if override.get("content_hash") and override["content_hash"] != now
        )
        if stale:
            outdated.append({"student": student, "items": stale})
    return outdated


def print_outdated(outdated: list[dict[str, Any]], console: Console) -> None:
    for row in outdated:
        items = ", ".join(visible(item) for item in row["items"])
        console.print(
            Text(t.both(t.OVERRIDE_OUTDATED, student=visible(row["student"]), items=items)),
            style="yellow",
        )


def print_changes(changed: list[dict[str, Any]], path: Path, console: Console) -> None:
    """Whose grade this run changed (a regrade after a suite fix): before → after."""
    if not changed:
        console.print(Text(t.both(t.GRADES_UNCHANGED)))
        return
    console.print(Text(t.both(t.GRADES_CHANGED, count=len(changed), path=visible(path))))
    for row in changed:
        before = f"{row['status_before']} {shown(row['score_before'])}"
        after = f"{row['status_after']} {shown(row['score_after'])}"
        console.print(Text(f"  {visible(row['student'])}: {before} → {after}"))
