"""``grades_with_names.csv``: every roster student's grade, for any other system or a
spreadsheet (UTF-8 with a byte order mark, so that Excel shows Hangul)."""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.escaping import csv_cell
from autograder.lms.cells import lms_number
from autograder.lms.standing import Standing

NAME = "grades_with_names.csv"
HEADER = (
    "student_id",
    "name",
    "email",
    "section",
    "status",
    "final_score",
    "max_score",
    "raw_score",
    "late_penalty_percent",
    "submitted_at",
    "late_flagged",
    "overridden",
    "canvas_user_id",
    "moodle_participant_id",
)


def write_plain(path: Path, standings: list[Standing]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\r\n")
        writer.writerow(HEADER)
        for standing in standings:
            student, late = standing.student, standing.lateness
            writer.writerow(
                [
                    csv_cell(student.student_id),
                    csv_cell(student.name),
                    csv_cell(student.email),
                    csv_cell(student.section),
                    standing.status,
                    "" if standing.final is None else lms_number(standing.final),
                    lms_number(standing.max_score),
                    lms_number(standing.raw),
                    lms_number(late.penalty),
                    late.submitted_at or "",
                    "yes" if late.flagged else "",
                    csv_cell(" ".join(standing.overridden)),
                    csv_cell(student.canvas_user_id),
                    csv_cell(student.moodle_participant_id),
                ]
            )
