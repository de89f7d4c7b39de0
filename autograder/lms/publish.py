"""The exports of ``grade`` and ``report`` after grading: the TA's overrides applied, and with a
course file the roster's view of every student and the LMS files.

Without a course file the exports are today's (grades.csv keyed by the gradebook's ids), with
the overrides in force; with one, grades.csv, the feedback and ``OUT/lms/`` are keyed by the
roster's student ids and carry the late penalty.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from autograder import reports
from autograder.escaping import visible
from autograder.gradebook import Gradebook
from autograder.lms import texts as t
from autograder.lms.course import Course
from autograder.lms.export import Written, write_lms
from autograder.lms.overrides import with_overrides
from autograder.lms.standing import COURSE_COLUMNS, MISSING, CourseView


@dataclass
class Published:
    """What the exports of one run hold beyond grades.csv (for the console and ``--json``)."""

    view: CourseView | None = None
    lms: Written | None = None

    def summary(self) -> dict[str, Any]:
        if self.view is None or self.lms is None:
            return {}
        standings = self.view.standings
        return {
            "lms": self.lms.files,
            "not_on_roster": [
                {"student": s.key, "name": s.name, "why": s.why} for s in self.view.strays
            ],
            "missing": [s.student.student_id for s in standings if s.status == MISSING],
            "late_flagged": [s.student.student_id for s in standings if s.lateness.flagged],
            "late": [
                {
                    "student": s.student.student_id,
                    "seconds": s.lateness.seconds,
                    "penalty_percent": s.lateness.penalty,
                }
                for s in standings
                if s.lateness.late
            ],
            "moodle_rows": self.lms.moodle_rows,
            "moodle_feedback_files": self.lms.moodle_feedback_files,
        }

    def print(self, console: Console) -> None:
        """What the TA must act on: strays, missing students, flagged late work."""
        if self.view is None or self.lms is None:
            return
        summary = self.summary()
        if self.view.strays:
            line = t.both(t.NOT_ON_ROSTER, count=len(self.view.strays))
            console.print(Text(line, style="yellow"))
            for stray in self.view.strays:
                console.print(Text(f"  {visible(stray.key)} {visible(stray.name)}: {stray.why}"))
        if summary["missing"]:
            students = ", ".join(visible(s) for s in summary["missing"])
            text = t.both(t.MISSING_STUDENTS, count=len(summary["missing"]), students=students)
            console.print(Text(text))
        if summary["late_flagged"]:
            students = ", ".join(visible(s) for s in summary["late_flagged"])
            count = len(summary["late_flagged"])
            console.print(Text(t.both(t.LATE_FLAGGED, count=count, students=students)))
        console.print(Text(t.both(t.LMS_WRITTEN, folder=visible(self.lms.folder))))


def publish(
    results: Iterable[dict[str, Any]],
    book: Gradebook,
    assignment: str,
    out: Path,
    lang: str,
    course: Course | None,
    max_score: float,
    *,
    written: Container[str] = (),
) -> Published:
    """Write grades.csv, results/ and feedback/ (and with ``course``, ``OUT/lms/``)."""
    results = with_overrides(results, book.overrides(assignment))
    if course is None:
        reports.write_all(results, assignment, out, lang, written)
        return Published()
    view = CourseView(course, assignment, max_score, lang)
    reports.write_all(view.present(results), assignment, out, lang, (), COURSE_COLUMNS)
    return Published(view, write_lms(out, view))
