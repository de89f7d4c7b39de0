"""The class roster: one row per enrolled student, and which submission is whose.

The roster is a CSV the TA exports from the university's system or the LMS (Excel on Korean
Windows saves CSV as CP949, so that encoding is read too). Its columns, by header name (case and
spaces do not matter):

``student_id`` (required), ``name`` (required), ``email``, ``canvas_user_id``, ``sis_user_id``,
``sis_login_id``, ``moodle_participant_id``, ``section``, ``lang`` (``ko``, ``en`` or empty).

A submission is the roster student whose Canvas user id (a Canvas download), Moodle participant
id (a Moodle download), student id or SIS login id equals the id the gradebook keeps for it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.escaping import visible
from autograder.lms import texts as t
from autograder.lms.texts import Said, both
from optigrade.i18n import Text

COLUMNS = (
    "student_id",
    "name",
    "email",
    "canvas_user_id",
    "sis_user_id",
    "sis_login_id",
    "moodle_participant_id",
    "section",
    "lang",
)
REQUIRED = ("student_id", "name")
#: Ids that must be unique across the roster (two students sharing one would swap grades).
UNIQUE = ("student_id", "canvas_user_id", "sis_user_id", "sis_login_id", "moodle_participant_id")
#: Ids that the LMS writes as numbers (a file name or an "Identifier" carries them).
NUMERIC = ("canvas_user_id", "moodle_participant_id")
#: A roster far larger than any class is refused rather than read (a wrong file).
MAX_BYTES = 5_000_000


class RosterError(ValueError):
    """A roster that cannot be used; the message names the file and line, in both languages."""


@dataclass(frozen=True)
class Student:
    """One enrolled student, as the roster spells them (every field printable text)."""

    student_id: str
    name: str
    email: str = ""
    canvas_user_id: str = ""
    sis_user_id: str = ""
    sis_login_id: str = ""
    moodle_participant_id: str = ""
    section: str = ""
    lang: str = ""


class Roster:
    """The students of a course, in the roster's order, and the lookups that match a
    submission to one of them."""

    def __init__(self, students: list[Student]) -> None:
        self.students = students
        self._by: dict[str, dict[str, Student]] = {
            column: {getattr(s, column): s for s in students if getattr(s, column)}
            for column in UNIQUE
        }

    def __iter__(self) -> Iterator[Student]:
        return iter(self.students)

    def __len__(self) -> int:
        return len(self.students)

    def get(self, student_id: str) -> Student | None:
        return self._by["student_id"].get(student_id)

    def match(self, key: str, provenance: Mapping[str, Any] | None = None) -> Student | None:
        """The roster student a submission belongs to, or ``None`` (not on the roster).

        ``key`` is the id the gradebook keeps for the submission; ``provenance`` is what intake
        recorded about it (may be absent, as in gradebooks written before intake recorded it).
        The LMS's own user id wins when intake says which LMS the file came from; else (or if
        that id is not on the roster) the key is tried as a student id, a SIS login id, a Canvas
        user id, then a Moodle participant id.
        """
        lms = provenance.get("lms") if isinstance(provenance, Mapping) else None
        user = provenance.get("lms_user") if isinstance(provenance, Mapping) else None
        user = user if isinstance(user, str) and user else key
        column = {"canvas": "canvas_user_id", "moodle": "moodle_participant_id"}.get(str(lms))
        if column is not None and user in self._by[column]:
            return self._by[column][user]
        for column in ("student_id", "sis_login_id", "canvas_user_id", "moodle_participant_id"):
            found = self._by[column].get(key)
            if found is not None:
                return found
        return None


def load_roster(path: Path) -> Roster:
    """Read and check a roster CSV; :class:`RosterError` says what is wrong, where."""
    shown = visible(path)
    try:
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise RosterError(both(t.ROSTER_UNREADABLE, path=shown, error=visible(exc))) from exc
    if len(raw) > MAX_BYTES:
        error = f"> {MAX_BYTES} bytes"
        raise RosterError(both(t.ROSTER_UNREADABLE, path=shown, error=error))
    text = _decoded(raw, shown)
    rows = csv.reader(io.StringIO(text, newline=""))
    header = [_column(name) for name in next(rows, [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        found = ", ".join(visible(h) for h in header) or "-"
        raise RosterError(
            both(t.ROSTER_COLUMNS, path=shown, columns=", ".join(missing), found=found)
        )
    where = {name: header.index(name) for name in COLUMNS if name in header}
    students: list[Student] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line (Excel leaves some at the end)
        if any("\n" in cell or "\r" in cell for cell in row):
            # No roster field holds a line break: it is a stray quote that swallowed the
            # lines after it (every student there would silently be "not on the roster").
            problem = Said(t.ROSTER_CELL_BREAK, {})
            raise RosterError(both(t.ROSTER_LINE, path=shown, line=line, problem=problem))
        fields = {
            name: visible(row[index].strip()) if index < len(row) else ""
            for name, index in where.items()
        }
        student = _student(fields, shown, line)
        for column in UNIQUE:
            value = getattr(student, column)
            if not value:
                continue
            if (column, value) in first_line:
                values = {"column": column, "value": value, "first": first_line[column, value]}
                problem = Said(t.ROSTER_DUPLICATE, values)
                raise RosterError(both(t.ROSTER_LINE, path=shown, line=line, problem=problem))
            first_line[column, value] = line
        students.append(student)
    return Roster(students)


def _decoded(raw: bytes, shown: str) -> str:
    for encoding in ("utf-8-sig", "cp949"):
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise RosterError(both(t.ROSTER_ENCODING, path=shown))


def _column(name: str) -> str:
    return "_".join(name.strip().lower().replace("-", " ").split())


def _student(fields: dict[str, str], shown: str, line: int) -> Student:
    def refuse(problem: Text, **values: object) -> RosterError:
        said = Said(problem, values)
        return RosterError(both(t.ROSTER_LINE, path=shown, line=line, problem=said))

    if not fields.get("student_id"):
        raise refuse(t.ROSTER_EMPTY_ID)
    lang = fields.get("lang", "").lower()
    if lang not in ("", "ko", "en"):
        raise refuse(t.ROSTER_LANG, value=lang)
    for column in NUMERIC:
        value = fields.get(column, "")
        if value and not (value.isascii() and value.isdigit()):
            raise refuse(t.ROSTER_NOT_NUMBER, column=column, value=value)
    return Student(**{**fields, "lang": lang})
