"""How the LMS files write numbers, times and text cells: the forms both importers read.

Canvas's importer turns a decimal comma into a point and Moodle's ``unformat_float`` reads the
site language's decimal separator (a point in English and Korean): a point, no thousands
separator, at most two decimals is read the same by both. Moodle reads its worksheet with PHP's
``fgetcsv``, whose escape character is the backslash: a ``\\"`` inside a quoted cell would not
close it, so no text cell of the Moodle files holds a backslash.
"""

from __future__ import annotations

import datetime as dt

from autograder.escaping import csv_cell


def lms_number(value: float) -> str:
    """``36``, ``36.5``, ``33.33``: two decimals at most, a point, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def iso_time(when: dt.datetime) -> str:
    """A time with its offset (``2026-11-23T11:22:00+00:00``): what PHP's ``strtotime``
    reads without guessing a time zone."""
    return when.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def php_cell(text: object) -> str:
    """A CSV cell for Moodle: :func:`csv_cell`, and a backslash shown as a full-width one."""
    return csv_cell(text).replace("\\", "\uff3c")
