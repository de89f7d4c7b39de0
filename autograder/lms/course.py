"""The course file (``course.toml``): the roster, and per assignment its LMS name, due date,
late policy and extensions. Described in docs/COURSE_FILE.md.

Everything is checked as it is loaded: a wrong key or value stops the command with a message
that names the file and the key, in Korean and English, before anything is graded or written.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from autograder.escaping import visible
from autograder.lms import texts as t
from autograder.lms.late import LatePolicy
from autograder.lms.roster import Roster, RosterError, load_roster
from autograder.lms.texts import Said, both
from optigrade.i18n import Text

_TOP_KEYS = {"roster", "assignments"}
DEFAULT_ZONE = "Asia/Seoul"
_ASSIGNMENT_KEYS = {"lms_name", "due", "timezone", "late", "extensions"}
_LATE_KEYS = {"per", "percent", "cap", "grace_minutes"}
#: How far an extension may move a due date (a typo of a year is refused).
_MAX_EXTENSION = dt.timedelta(days=366)


class CourseError(ValueError):
    """A course file (or its roster) that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class AssignmentPlan:
    """One assignment as the course runs it."""

    name: str
    lms_name: str
    due: dt.datetime | None  # aware; None: no due date, nothing is late
    late: LatePolicy
    extensions: Mapping[str, dt.datetime] = field(default_factory=dict)
    #: The course's time zone (IANA name): of its dates, and of the download's times when
    #: ``grade`` is not told another with --timezone.
    timezone: str = DEFAULT_ZONE

    def due_for(self, student_id: str) -> dt.datetime | None:
        """The student's own due date: their extension, else the assignment's."""
        return self.extensions.get(student_id, self.due)


@dataclass(frozen=True)
class Course:
    path: Path
    roster: Roster
    assignments: Mapping[str, AssignmentPlan]

    def assignment(self, name: str) -> AssignmentPlan:
        plan = self.assignments.get(name)
        if plan is None:
            raise CourseError(both(t.UNKNOWN_ASSIGNMENT, assignment=visible(name)))
        return plan


def load_course(path: Path) -> Course:
    """Read ``path`` and its roster (a path relative to the course file's folder)."""
    shown = visible(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CourseError(both(t.COURSE_UNREADABLE, path=shown, error=visible(exc))) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message gives the line and column
        raise CourseError(both(t.COURSE_SYNTAX, path=shown, error=visible(exc))) from exc
    check = _Checker(shown)
    check.known(data, _TOP_KEYS, "")
    roster_path = path.parent / check.text(data, "roster", "roster")
    try:
        roster = load_roster(roster_path)
    except RosterError as exc:
        raise CourseError(str(exc)) from exc
    assignments = check.table(data.get("assignments", {}), "assignments")
    plans = {
        str(name): check.assignment(str(name), value, roster) for name, value in assignments.items()
    }
    return Course(path, roster, plans)


class _Checker:
    """Reads values out of the parsed TOML, refusing each wrong one with its key."""

    def __init__(self, shown: str) -> None:
        self.shown = shown

    def refuse(self, key: str, problem: Text, **values: object) -> CourseError:
        said = Said(problem, {k: visible(v) for k, v in values.items()})
        return CourseError(both(t.COURSE_KEY, path=self.shown, key=visible(key), problem=said))

    def known(self, table: Mapping[str, Any], keys: set[str], where: str) -> None:
        unknown = sorted(set(table) - keys)
        if unknown:
            raise self.refuse(where or "/", t.UNKNOWN_KEYS, keys=", ".join(unknown))

    def table(self, value: Any, key: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.refuse(key, t.NOT_TABLE)
        return value

    def text(self, table: Mapping[str, Any], name: str, key: str) -> str:
        if name not in table:
            raise self.refuse(key, t.MISSING_KEY)
        value = table[name]
        if not isinstance(value, str) or not value.strip():
            raise self.refuse(key, t.NOT_TEXT)
        return value.strip()

    def number(self, table: Mapping[str, Any], name: str, key: str, low: float, high: float,
               default: float | None = None) -> float:  # fmt: skip
        if name not in table and default is not None:
            return default
        if name not in table:
            raise self.refuse(key, t.MISSING_KEY)
        value = table[name]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.refuse(key, t.NOT_NUMBER)
        if not low <= value <= high:
            raise self.refuse(key, t.OUT_OF_RANGE, low=low, high=high, value=value)
        return float(value)

    def assignment(self, name: str, value: Any, roster: Roster) -> AssignmentPlan:
        where = f"assignments.{name}"
        table = self.table(value, where)
        self.known(table, _ASSIGNMENT_KEYS, where)
        lms_name = self.text(table, "lms_name", f"{where}.lms_name")
        zone = self.zone(table, f"{where}.timezone")
        due = None
        if "due" in table:
            due = self.when(table["due"], zone, f"{where}.due")
        late = self.late(table.get("late"), f"{where}.late")
        extensions: dict[str, dt.datetime] = {}
        given = self.table(table.get("extensions", {}), f"{where}.extensions")
        for student, extension in given.items():
            key = f"{where}.extensions.{student}"
            if roster.get(student) is None:
                raise self.refuse(key, t.NOT_ON_ROSTER_KEY, student=student)
            extensions[student] = self.extension(extension, due, zone, key)
        zone_name = table.get("timezone", DEFAULT_ZONE)
        return AssignmentPlan(name, lms_name, due, late, extensions, zone_name)

    def zone(self, table: Mapping[str, Any], key: str) -> dt.tzinfo:
        if "timezone" not in table:
            return ZoneInfo(DEFAULT_ZONE)
        name = table["timezone"]
        try:
            if not isinstance(name, str):
                raise ValueError(name)
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise self.refuse(key, t.BAD_ZONE, value=name) from exc

    def when(self, value: Any, zone: dt.tzinfo, key: str) -> dt.datetime:
        """A due date: a TOML local date-time or text (ISO 8601), in ``zone`` unless it
        carries its own offset; a date alone is the end of that day."""
        if isinstance(value, str):
            try:
                value = dt.datetime.fromisoformat(value.strip())
            except ValueError:
                try:
                    value = dt.date.fromisoformat(value.strip())
                except ValueError:
                    raise self.refuse(key, t.BAD_DATE, value=value) from None
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            value = dt.datetime.combine(value, dt.time(23, 59, 59))
        if not isinstance(value, dt.datetime):
            raise self.refuse(key, t.BAD_DATE, value=value)
        return value if value.tzinfo is not None else value.replace(tzinfo=zone)

    def late(self, value: Any, key: str) -> LatePolicy:
        if value is None:
            return LatePolicy.none()
        table = self.table(value, key)
        self.known(table, _LATE_KEYS, key)
        per = table.get("per", "day")
        if per not in ("day", "hour"):
            raise self.refuse(f"{key}.per", t.BAD_PER, value=per)
        return LatePolicy(
            per=per,
            percent=self.number(table, "percent", f"{key}.percent", 0, 100),
            cap=self.number(table, "cap", f"{key}.cap", 0, 100, default=100),
            grace_minutes=self.number(
                table, "grace_minutes", f"{key}.grace_minutes", 0, 7 * 24 * 60, default=0
            ),
        )

    def extension(
        self, value: Any, due: dt.datetime | None, zone: dt.tzinfo, key: str
    ) -> dt.datetime:
        if isinstance(value, dict) and due is not None and set(value) <= {"days", "hours"}:
            days = self.number(value, "days", f"{key}.days", 0, 366, default=0)
            hours = self.number(value, "hours", f"{key}.hours", 0, 366 * 24, default=0)
            moved = dt.timedelta(days=days, hours=hours)
            if moved <= _MAX_EXTENSION:
                return due + moved
        if isinstance(value, (str, dt.date)):
            return self.when(value, zone, key)
        raise self.refuse(key, t.BAD_EXTENSION)
