"""Moodle's grading worksheet, read for one thing: when each participant submitted.

The TA downloads it from the assignment's "View all submissions" page ("Download grading
worksheet", the offline grading worksheet feedback plugin) and passes it with
``grade --worksheet``. It is a CSV (UTF-8, a byte order mark or not) whose first row names the
columns; two of them are read here:

* ``Identifier``: ``Participant 5002``, the participant id that Moodle's download also puts in
  each folder or file name (``Lee Jiwoo_5002_assignsubmission_file_``);
* ``Last modified (submission)``: Moodle's ``userdate`` of the submission's last change, in the
  time zone of the Moodle user who downloaded it, e.g. ``Tuesday, 1 December 2026, 11:05 PM``
  (the English ``strftimedatetime``), or ``-`` when there is none. The Korean language pack's
  ``2026년 12월 1일 화요일 오후 11:05`` is read as well. No zone is written, so the TA says which
  (``--timezone``, default UTC).

The file is the TA's, but its cells were typed by people and come from a download: it is read
within bounds, a row that cannot be read costs that row (a warning), never the run.
"""

from __future__ import annotations

import contextlib
import csv
import io
import math
import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from autograder.intake import texts
from autograder.intake.files import NotAFile, read_regular
from autograder.intake.names import printable

#: A class's worksheet is a few hundred rows; a larger file is not one.
MAX_WORKSHEET_BYTES = 20 * 1024 * 1024
IDENTIFIER = "Identifier"
LAST_MODIFIED = "Last modified (submission)"
MAXIMUM = "Maximum Grade"

_MONTHS = {
    name: number
    for number, name in enumerate(
        (
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ),
        1,
    )
}
_ENGLISH = re.compile(
    r"(?P<day>\d{1,2})\s+(?P<month>[A-Za-z]+)\s+(?P<year>\d{4}),?\s+"
    r"(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*(?P<half>[AaPp][Mm])?"
)
_KOREAN = re.compile(
    r"(?P<year>\d{4})년\s*(?P<month>\d{1,2})월\s*(?P<day>\d{1,2})일.*?"
    r"(?:(?P<half>오전|오후)\s*)?(?P<hour>\d{1,2}):(?P<minute>\d{2})"
)
_PARTICIPANT = re.compile(r"(\d+)\s*$")


class WorksheetError(Exception):
    """The worksheet cannot be used at all (the message is bilingual)."""


@dataclass
class Worksheet:
    """Submission times by participant id, and the rows that could not be read."""

    times: dict[str, datetime] = field(default_factory=dict)  # aware
    warnings: list[str] = field(default_factory=list)
    #: The "Maximum Grade" values the worksheet states (Moodle's assignment maximum).
    maximum: set[float] = field(default_factory=set)


def parse_userdate(text: str, zone: tzinfo) -> datetime | None:
    """A date as Moodle's ``userdate`` writes it, in ``zone``; None if it is not one."""
    match = _ENGLISH.search(text)
    if match:
        month = _MONTHS.get(match.group("month").lower())
    else:
        match = _KOREAN.search(text)
        month = int(match.group("month")) if match else None
    if match is None or month is None:
        return None
    hour = int(match.group("hour"))
    half = (match.group("half") or "").lower()
    if half in ("pm", "오후") and hour < 12:
        hour += 12
    elif half in ("am", "오전") and hour == 12:
        hour = 0
    try:
        return datetime(
            int(match.group("year")),
            month,
            int(match.group("day")),
            hour,
            int(match.group("minute")),
            tzinfo=zone,
        )
    except ValueError:
        return None


def read_worksheet(path: Path, zone: tzinfo) -> Worksheet:
    """The submission times in the worksheet at ``path``; :class:`WorksheetError` when it is
    not a grading worksheet (unreadable, no ``Identifier`` or ``Last modified (submission)``
    column)."""
    shown = printable(str(path))
    try:
        raw, size = read_regular(path, MAX_WORKSHEET_BYTES)
    except (NotAFile, OSError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise WorksheetError(
            texts.say(texts.WORKSHEET_UNREADABLE, path=shown, detail=detail)
        ) from None
    if size > MAX_WORKSHEET_BYTES:
        detail = f"over {MAX_WORKSHEET_BYTES} bytes"
        raise WorksheetError(texts.say(texts.WORKSHEET_UNREADABLE, path=shown, detail=detail))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise WorksheetError(
            texts.say(texts.WORKSHEET_UNREADABLE, path=shown, detail="not UTF-8")
        ) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise WorksheetError(
            texts.say(texts.WORKSHEET_UNREADABLE, path=shown, detail=str(exc))
        ) from None
    header = [cell.strip() for cell in rows[0]] if rows else []
    if IDENTIFIER not in header or LAST_MODIFIED not in header:
        raise WorksheetError(
            texts.say(
                texts.WORKSHEET_COLUMNS, path=shown, identifier=IDENTIFIER, modified=LAST_MODIFIED
            )
        )
    who, when = header.index(IDENTIFIER), header.index(LAST_MODIFIED)
    top = header.index(MAXIMUM) if MAXIMUM in header else None
    sheet = Worksheet()
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        identifier = row[who].strip() if who < len(row) else ""
        participant = _PARTICIPANT.search(identifier)
        if participant is None:
            sheet.warnings.append(
                texts.say(texts.WORKSHEET_ROW, path=shown, row=number, value=printable(identifier))
            )
            continue
        key = participant.group(1).lstrip("0") or "0"
        if key in first_row:
            sheet.warnings.append(
                texts.say(
                    texts.WORKSHEET_REPEATED,
                    path=shown,
                    row=number,
                    participant=key,
                    first=first_row[key],
                )
            )
            continue
        first_row[key] = number
        if top is not None and top < len(row):
            with contextlib.suppress(ValueError):  # Moodle writes "100.00"; anything else: none
                stated = float(row[top].strip().replace(",", "."))
                if math.isfinite(stated):
                    sheet.maximum.add(stated)
        value = row[when].strip() if when < len(row) else ""
        if value in ("", "-"):
            continue  # no submission: nothing to say about its time
        parsed = parse_userdate(value, zone)
        if parsed is None:
            sheet.warnings.append(
                texts.say(texts.WORKSHEET_DATE, path=shown, row=number, value=printable(value))
            )
            continue
        sheet.times[key] = parsed
    return sheet
