"""Reading a class roster: a CSV with a ``student_id`` column; other columns go on the header."""

from __future__ import annotations

import csv
from pathlib import Path

from quizzes.errors import RosterError


def read_roster(path: Path) -> list[tuple[str, dict[str, str]]]:
    """(student id, other columns) per row, in file order."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            fields = [f.strip() for f in (reader.fieldnames or [])]
            if "student_id" not in fields:
                raise RosterError(
                    f"{path}: no `student_id` column (found: {', '.join(fields) or 'nothing'}); "
                    "add a header row with student_id"
                )
            rows = [
                {(k or "").strip(): (v or "").strip() for k, v in row.items()} for row in reader
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise RosterError(
            f"{path}: cannot read the roster ({error}); save it as UTF-8 CSV"
        ) from None
    students: list[tuple[str, dict[str, str]]] = []
    seen: set[str] = set()
    for line, row in enumerate(rows, start=2):
        student = row.pop("student_id")
        if not student:
            raise RosterError(
                f"{path}, line {line}: empty student_id; fill it in or remove the row"
            )
        if student in seen:
            raise RosterError(f"{path}, line {line}: student_id {student!r} appears twice")
        if not all(ch.isalnum() or ch in "-_." for ch in student):
            raise RosterError(
                f"{path}, line {line}: student_id {student!r} may only hold letters, digits, "
                "'-', '_' and '.', because it names the student's files"
            )
        seen.add(student)
        students.append((student, {k: v for k, v in row.items() if k}))
    if not students:
        raise RosterError(f"{path}: the roster has no students; add one row per student")
    return students
