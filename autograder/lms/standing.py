"""Each roster student's standing in one assignment: whose submission is whose, how late it
was, and the final grade every export shows.

:class:`CourseView` walks the gradebook's records once (as they stream to grades.csv and the
feedback) and hands each on as the student sees it: keyed by the roster's student id, with the
late penalty applied, in the student's language. Roster students with no submission follow as
``missing`` rows; submissions that match no roster student are kept apart and reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from autograder.lms.course import AssignmentPlan, Course
from autograder.lms.late import ON_TIME, Lateness, final_score, lateness
from autograder.lms.roster import Student
from autograder.scoring import shown

#: The status of a roster student with no submission (grades.csv and the LMS files).
MISSING = "missing"
#: grades.csv's roster note for a missing student whose due date has not passed yet.
NOT_DUE = "on roster, not yet due"
#: grades.csv's columns after the items when a course file is given.
COURSE_COLUMNS = (
    "name",
    "section",
    "raw_score",
    "late_penalty_percent",
    "late_seconds",
    "submitted_at",
    "time_source",
    "late_flagged",
    "overridden",
    "roster",
    "gradebook_key",
)


@dataclass(frozen=True)
class Standing:
    """One roster student's grade in the assignment."""

    student: Student
    key: str | None  # the gradebook's id of their submission; None: no submission
    status: str
    raw: float  # the suite's score with the TA's overrides, before any late penalty
    max_score: float
    lateness: Lateness
    final: float | None  # None: no submission and not yet due (the LMS cell stays empty)
    overridden: tuple[str, ...]
    lang: str


@dataclass(frozen=True)
class Stray:
    """A submission that is on no roster line, or a second one for a roster student."""

    key: str
    name: str
    why: str  # "not on roster" or "duplicate of <student id>"


class CourseView:
    """Records as the course presents them; after :meth:`present` is consumed,
    :attr:`standings` holds every roster student (in roster order) and :attr:`strays` the
    submissions left out of the LMS files."""

    def __init__(
        self,
        course: Course,
        assignment: str,
        max_score: float,
        lang: str,
        now: dt.datetime | None = None,
    ) -> None:
        self.course = course
        self.plan: AssignmentPlan = course.assignment(assignment)
        self.max_score = max_score
        self.lang = lang
        self.now = now or dt.datetime.now(dt.UTC)
        self.standings: list[Standing] = []
        self.strays: list[Stray] = []

    def present(self, results: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """Each record as the student's (see the module), then one row per missing student."""
        seen: dict[str, Standing] = {}
        for result in results:
            provenance = result.get("provenance")
            student = self.course.roster.match(result["student"], provenance)
            if student is None or student.student_id in seen:
                yield self._stray(result, student, seen)
                continue
            standing = self._standing(student, result)
            seen[student.student_id] = standing
            yield self._presented(result, standing)
        for student in self.course.roster:
            if student.student_id not in seen:
                seen[student.student_id] = self._missing(student)
                yield self._missing_row(seen[student.student_id])
        self.standings = [seen[s.student_id] for s in self.course.roster]

    def _standing(self, student: Student, result: dict[str, Any]) -> Standing:
        due = self.plan.due_for(student.student_id)
        late = lateness(self.plan.late, due, result.get("provenance"))
        raw = float(result["score"])
        return Standing(
            student=student,
            key=result["student"],
            status=result["status"],
            raw=raw,
            max_score=float(result["max_score"]) or self.max_score,
            lateness=late,
            final=final_score(raw, late.penalty),
            overridden=tuple(o["item"] for o in result.get("overrides", [])),
            lang=student.lang or self.lang,
        )

    def _presented(self, result: dict[str, Any], standing: Standing) -> dict[str, Any]:
        late = standing.lateness
        return {
            **result,
            "student": standing.student.student_id,
            "score": standing.final,
            "lang": standing.lang,
            "late": {
                "seconds": late.seconds,
                "penalty": late.penalty,
                "flagged": late.flagged,
                "raw": standing.raw,
            },
            "columns": _columns(standing, "on roster"),
        }

    def _stray(
        self, result: dict[str, Any], student: Student | None, seen: dict[str, Standing]
    ) -> dict[str, Any]:
        provenance = result.get("provenance")
        name = provenance.get("name") if isinstance(provenance, dict) else None
        if student is None:
            why = "not on roster"
        else:
            first = seen[student.student_id].key or ""
            why = f"duplicate of {student.student_id} (first: {first})"
        self.strays.append(Stray(result["student"], name if isinstance(name, str) else "", why))
        return {**result, "columns": {"roster": why, "gradebook_key": result["student"]}}

    def _missing(self, student: Student) -> Standing:
        due = self.plan.due_for(student.student_id)
        final = 0.0 if due is None or due <= self.now else None
        return Standing(
            student,
            None,
            MISSING,
            0.0,
            self.max_score,
            ON_TIME,
            final,
            (),
            student.lang or self.lang,
        )

    def _missing_row(self, standing: Standing) -> dict[str, Any]:
        return {
            "assignment": self.plan.name,
            "student": standing.student.student_id,
            "status": MISSING,
            "score": standing.final or 0.0,
            "max_score": self.max_score,
            "items": {},
            "columns": _columns(standing, "on roster" if standing.final is not None else NOT_DUE),
        }


def _columns(standing: Standing, roster: str) -> dict[str, str]:
    late = standing.lateness
    return {
        "name": standing.student.name,
        "section": standing.student.section,
        "raw_score": shown(standing.raw),
        "late_penalty_percent": shown(late.penalty),
        # 0 for early: a negative number would be escaped as a formula ('-7200) in the CSV
        "late_seconds": "" if late.seconds is None else str(max(0, late.seconds)),
        "submitted_at": late.submitted_at or "",
        "time_source": late.source or "",
        "late_flagged": "yes" if late.flagged else "",
        "overridden": " ".join(standing.overridden),
        "roster": roster,
        "gradebook_key": standing.key or "",
    }
