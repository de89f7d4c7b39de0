"""The LMS importers' parsing rules, re-implemented for the tests: each ``OUT/lms`` file is read
back the way Canvas or Moodle reads it (written from Moodle's ``importgradeslib.php`` /
``csvlib.class.php`` / ``importziplib.php`` and Canvas's ``GradebookImporter``), independently of
``autograder.lms``. Shared by tests/test_lms_exports.py and tests/test_lms_round_trip.py.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

# -- Canvas's importer, re-implemented ------------------------------------------------------------


def canvas_import(data: bytes) -> tuple[dict[str, str], dict[str, str], list[dict]]:
    """Canvas's GradebookImporter rules: the delimiter guessed from the first lines, the header
    checked (Student, ID first; SIS User ID and SIS Login ID; Section last), each assignment
    column read as "Title (id)", the Points Possible row, each student found by ID, else SIS
    user id, else SIS login id, else name; a decimal comma read as a point."""
    text = data.decode("utf-8")  # Ruby's CSV keeps a BOM in the first cell: "include?" copes
    lines = text.splitlines()[:3]
    counts = {}
    for separator in (";", ","):
        sizes = {len(next(csv.reader([line], delimiter=separator))) for line in lines}
        counts[separator] = sizes.pop() if len(sizes) == 1 else 0
    delimiter = ";" if counts[";"] > counts[","] else ","
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
    header = rows[0]
    assert len(header) > 3 and "Student" in header[0] and "ID" in header[1]
    assert re.fullmatch(r"SIS\s+User\s+ID", header[2]) and re.search(r"SIS\s+Login\s+ID", header[3])
    student_columns = 5
    assert "Section" in header[student_columns - 1], "the last student column is Section"
    assignments = {}
    for index, title in enumerate(header[student_columns:], start=student_columns):
        match = re.fullmatch(r"(.*)\s+\((\d+)\)", title)
        assert match, f"{title!r} names no Canvas assignment id"
        assignments[match[2]] = index
    points: dict[str, str] = {}
    students = []
    for row in rows[1:]:
        if "Points Possible" in row[0]:
            points = {aid: row[i] for aid, i in assignments.items()}
            continue
        grades = {aid: _canvas_number(row[i]) for aid, i in assignments.items()}
        students.append(
            {"name": row[0], "id": row[1], "sis": row[2], "login": row[3], "grades": grades}
        )
    return assignments, points, students


def _canvas_number(field: str) -> str:
    field = field.strip()
    if re.fullmatch(r"-?[0-9.,]+%?", field):
        parts = re.split(r"[,.]", field)
        last = parts.pop()
        return f"{''.join(parts)}.{last}" if parts else last
    return field


def canvas_student(row: dict, roster: list[dict]) -> dict | None:
    for column, field in (("canvas_user_id", "id"), ("sis_user_id", "sis"),
                          ("sis_login_id", "login"), ("name", "name")):  # fmt: skip
        if row[field]:
            found = [s for s in roster if s[column] == row[field]]
            if found:
                return found[0]
    return None


# -- Moodle's importers, re-implemented -----------------------------------------------------------


def moodle_csv(data: bytes) -> list[list[str]]:
    """csv_import_reader::load_csv_content: UTF-8, BOM stripped, newlines unified, trimmed,
    fgetcsv rows (empty lines skipped), each as long as the header."""
    text = data.decode("utf-8")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").strip()
    assert "\\" not in text, "PHP's fgetcsv treats a backslash before a quote as an escape"
    rows = [row for row in csv.reader(io.StringIO(text)) if row != [] and row != [""]]
    assert rows, "csvemptyfile"
    assert all(len(row) == len(rows[0]) for row in rows), "csvweirdcolumns"
    return rows


def moodle_worksheet(data: bytes) -> dict[str, dict]:
    """assignfeedback_offline_grade_importer: columns found by their exact titles (the three
    required), the participant id stripped from "Participant N", the grade read with
    unformat_float, the modification time with strtotime."""
    rows = moodle_csv(data)
    header = rows[0]
    index = {title: header.index(title) for title in header}
    for required in ("Identifier", "Grade", "Last modified (grade)"):
        assert required in index, f"the importer needs the column {required!r}"
    parsed = {}
    for row in rows[1:]:
        participant = row[index["Identifier"]][len("Participant ") :]
        grade = row[index["Grade"]].strip().replace(" ", "")
        modified = dt.datetime.fromisoformat(row[index["Last modified (grade)"]])
        parsed[participant] = {
            "grade": None if grade == "" else float(grade),
            "modified": modified,
            "comment": row[index["Feedback comments"]],
            "status": row[index["Status"]],
        }
    return parsed


def moodle_zip_entry(path: str, participants: set[str]) -> tuple[str, str] | None:
    """importziplib's is_valid_filename_for_import: (participant, file name) or None."""
    if path.endswith("/"):
        return None
    base = path.rsplit("/", 1)[-1]
    if base.startswith((".", "~")):
        return None
    parts = path.split("/")
    while parts:
        info = parts.pop(0).split("_", 4)
        if len(info) < 4 or not re.fullmatch(r"\d+", info[1]) or info[1] not in participants:
            continue
        if (info[2], info[3]) != ("assignfeedback", "file"):
            continue
        rest = info[4] if len(info) == 5 else ""
        return info[1], "/".join([rest, *parts])
    return None
