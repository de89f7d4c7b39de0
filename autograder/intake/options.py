"""The TA's intake options of ``grade`` (``--worksheet``, ``--timezone``), and what intake
found that should stop a run or change its exit code.

Exit codes of ``grade`` that intake decides (the others are the command's own):

* 1: the TA's input is unusable and nothing was graded: a path that does not exist, a
  ``.zip`` argument that is not a readable zip (a text file named ``submissions.zip``, a
  truncated download), an unreadable or foreign worksheet, an unknown time zone;
* 2: ``-a`` names another assignment than every notebook found (their metadata agrees on one
  other assignment): nothing was graded, the message names the assignment to pass;
* 4 (:data:`EXIT_INTAKE_PROBLEMS`): everything was graded and written, but at least one
  student of this run had a file intake could not take (not what its extension says, a
  notebook of another assignment, a damaged entry, a link, several files and no rule to
  choose): each has its row and its reason; the summary lists them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autograder.intake import texts
from autograder.intake.discover import Intake, Submission
from autograder.intake.names import printable
from autograder.intake.worksheet import read_worksheet
from autograder.scoring import load_points

EXIT_INTAKE_PROBLEMS = 4
#: Record statuses that say intake could not take a student's files.
PROBLEM_STATUSES = frozenset(("refused", "unreadable"))


class OptionError(Exception):
    """An intake option that cannot be used (the message is bilingual)."""


def zone(name: str | None) -> tzinfo:
    """The IANA time zone ``name`` (``Asia/Seoul``), UTC when None."""
    if name is None or name.upper() == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise OptionError(texts.say(texts.UNKNOWN_ZONE, zone=printable(name)[:80])) from None


def intake(
    assignment: str, worksheet: Path | None, timezone: str | None
) -> tuple[Intake, list[str]]:
    """What ``grade`` tells intake, and the worksheet's warnings (rows it could not read)."""
    where = zone(timezone)
    if worksheet is None:
        return Intake(assignment, where), []
    sheet = read_worksheet(worksheet, where)
    warnings = list(sheet.warnings)
    points = float(load_points(assignment).max_score)
    stated = sorted(m for m in sheet.maximum if abs(m - points) > 1e-9)
    if stated:
        found = ", ".join(f"{m:g}" for m in stated)
        shown = printable(str(worksheet))
        warnings.append(
            texts.say(texts.WORKSHEET_MAXIMUM, path=shown, found=found, points=f"{points:g}")
        )
    return Intake(assignment, where, sheet.times), warnings


def wrong_assignment(submissions: list[Submission], assignment: str) -> str | None:
    """Why the run should stop because ``assignment`` is not the download's: every
    submission found was passed over as another assignment's, and they name one."""
    if not submissions:
        return None
    named: set[str] = set()
    for submission in submissions:
        reasons = {p.reason for p in submission.provenance.passed_over}
        if submission.files or reasons != {"other-assignment"}:
            return None
        named.update(submission.other_assignments)
    if len(named) != 1:
        return None
    return texts.say(
        texts.WRONG_ASSIGNMENT, count=len(submissions), found=named.pop(), wanted=assignment
    )


class Problems:
    """The students of a run whose record says intake could not take their files, counted
    as the records stream past on their way to the exports."""

    def __init__(self, students: Iterable[str], refused: Iterable[tuple[str, str]]) -> None:
        self.students = set(students)
        self.flagged = {student for student, _ in refused}

    def counted(self, results: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for result in results:
            if result["student"] in self.students and result["status"] in PROBLEM_STATUSES:
                self.flagged.add(result["student"])
            yield result

    @property
    def exit_code(self) -> int:
        return EXIT_INTAKE_PROBLEMS if self.flagged else 0
