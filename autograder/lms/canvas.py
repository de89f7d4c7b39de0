"""``canvas_gradebook.csv``: the assignment's grades in Canvas's gradebook import layout.

Derived from Canvas's "How do I import grades in the Gradebook?" guide and its importer
(``GradebookImporter`` in canvas-lms, as of 2024): the header starts ``Student, ID, SIS User ID,
SIS Login ID, Section`` (the importer requires "Student" and "ID" first and "Section" as the
last student column), then one column per assignment titled ``Name (assignment id)``, as the
course file's ``lms_name`` gives it; a row whose first cell is "Points Possible" gives the
points; each other row is a student, found by the Canvas user id in ``ID``, else the SIS user
id, else the SIS login id, else the name. A blank grade leaves Canvas's grade unchanged.
"""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.escaping import csv_cell
from autograder.lms.cells import lms_number
from autograder.lms.standing import Standing

NAME = "canvas_gradebook.csv"
STUDENT_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


def write_canvas(path: Path, lms_name: str, max_score: float, standings: list[Standing]) -> None:
    """One row per roster student (final grade; blank when not due yet), UTF-8 with a byte
    order mark so that Excel shows Hangul names (Canvas reads it either way)."""
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow([*STUDENT_COLUMNS, csv_cell(lms_name)])
        writer.writerow(["Points Possible", "", "", "", "", lms_number(max_score)])
        for standing in standings:
            student = standing.student
            writer.writerow(
                [
                    csv_cell(student.name),
                    csv_cell(student.canvas_user_id),
                    csv_cell(student.sis_user_id),
                    csv_cell(student.sis_login_id),
                    csv_cell(student.section),
                    "" if standing.final is None else lms_number(standing.final),
                ]
            )
