"""``moodle_grading_worksheet.csv``: grades and a short comment for Moodle's assignment
"Upload grading worksheet".

Derived from Moodle's offline grading worksheet importer (``mod/assign/feedback/offline``:
``importgradeslib.php`` and ``locallib.php``, Moodle 4.x) and ``csv_import_reader``
(``lib/csvlib.class.php``). The importer finds its columns by their exact English titles:
"Identifier", "Grade" and "Last modified (grade)" are required, "Feedback comments" is the
comments plugin's column; the others are the ones Moodle's own download writes, kept so the file
reads like one. "Identifier" is ``Participant <id>``: the importer strips the words and looks the
number up as the participant id (the id in Moodle's download folder names, not the user id).
Each grade is read with ``unformat_float``; a row whose "Last modified (grade)" (read with
``strtotime``) is more than a minute older than the grade already in Moodle is skipped unless
the TA ticks "Allow updating records that have been modified more recently in Moodle". The
reader strips a UTF-8 byte order mark and needs every row to have as many cells as the header.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
from pathlib import Path

from autograder import messages as m
from autograder.lms import texts as t
from autograder.lms.cells import iso_time, lms_number, php_cell
from autograder.lms.late import duration
from autograder.lms.standing import MISSING, Standing

NAME = "moodle_grading_worksheet.csv"
HEADER = (
    "Identifier",
    "Full name",
    "Email address",
    "Status",
    "Grade",
    "Maximum Grade",
    "Grade can be changed",
    "Last modified (submission)",
    "Last modified (grade)",
    "Feedback comments",
)
#: Moodle's "hiddenuser" string, which the importer strips from the Identifier.
PARTICIPANT = "Participant "


def write_worksheet(
    path: Path, max_score: float, standings: list[Standing], now: dt.datetime
) -> int:
    """One row per roster student who has a Moodle participant id; return how many."""
    count = 0
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for standing in standings:
            student = standing.student
            if not student.moodle_participant_id:
                continue
            count += 1
            late = standing.lateness
            writer.writerow(
                [
                    PARTICIPANT + student.moodle_participant_id,
                    php_cell(student.name),
                    php_cell(student.email),
                    "No submission" if standing.status == MISSING else "Submitted for grading",
                    "" if standing.final is None else lms_number(standing.final),
                    lms_number(max_score),
                    "Yes",
                    (late.submitted_at or "").replace("Z", "+00:00"),
                    iso_time(now),
                    php_cell(comment(standing)),
                ]
            )
    return count


def comment(standing: Standing) -> str:
    """The short comment, in the student's language (HTML text: Moodle's editor field)."""
    lang = standing.lang
    if standing.status == MISSING:
        return t.COMMENT_MISSING.render(lang)
    final = "" if standing.final is None else lms_number(standing.final)
    parts = [t.COMMENT_SCORE.render(lang, score=final, max_score=lms_number(standing.max_score))]
    if standing.status != "graded":
        status = m.STATUS.get(standing.status)
        parts.append(
            t.COMMENT_STATUS.render(lang, status=status.render(lang) if status else standing.status)
        )
    late = standing.lateness
    if late.flagged:
        parts.append(t.LATE_FLAG.render(lang))
    elif late.late and late.penalty:
        parts.append(
            t.LATE_LINE.render(
                lang,
                late=duration(late.seconds or 0, lang),
                penalty=lms_number(late.penalty),
                raw=lms_number(standing.raw),
                max_score=lms_number(standing.max_score),
            )
            + "."
        )
    if standing.overridden:
        parts.append(t.COMMENT_REVIEWED.render(lang, items=", ".join(standing.overridden)))
    parts.append(t.COMMENT_FILE.render(lang))
    return html.escape(" ".join(parts), quote=False)
