"""The gradebook record: the one shape a result has before it is stored, and after it is read.

A result is built by a trusted worker, but most of its text comes from a sandbox (exception
messages, tracebacks, values the student's code returned) and its student id from a file
name. Every result is checked here before it is committed (:func:`checked`), and every
stored one again as it is read (:func:`stored`): a record of any other shape never reaches
the CSV, the Gradescope JSON, the feedback or the summary, whatever wrote it (an older
version, a bug, a hand-edited database). A result that fails the check is recorded as that
student's ``internal_error`` with the reason; a stored one that fails it is exported as one.

The check is a few dozen ``isinstance`` tests per record (tens of microseconds): the main
process runs it for every student as results arrive.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from fractions import Fraction
from typing import Any

from autograder import messages as m
from autograder.intake.provenance import LMS_KINDS, PASSED_OVER, RULES, TIME_SOURCES

#: The statuses a record may have (each has its sentence in the feedback).
STATUSES = frozenset(m.STATUS)
#: Statuses under which tests ran; under any other, no test ran and the score is 0.
TESTED = frozenset(("graded", "timeout"))
CELL_STATUSES = frozenset(("ok", *m.CELL_STATUS))

#: Longest text field kept (longer is cut, with a mark): a traceback of a deep recursion
#: stays readable, and one record cannot make the gradebook or a feedback page huge.
MAX_TEXT = 20_000
#: At most this many tests, cells or notes in a record (the suites have under a hundred tests;
#: the engine keeps the first problem cells and counts the rest).
MAX_ENTRIES = 2_000
#: How deep a failure's facts may nest (a case's inputs: a dict of brief descriptions).
MAX_DEPTH = 4
#: Longest exact fraction a test's points may be written as ("4/3"): points.toml holds small
#: numbers, and parsing a fraction of a million digits would be a denial of service.
MAX_FRACTION_CHARS = 40


class RecordError(ValueError):
    """A result that is not a well-formed gradebook record; the message says what is wrong."""


class Record(dict):
    """A record that :func:`checked` made: the gradebook stores it without checking it again."""


def checked(result: Any) -> Record:
    """``result`` as a well-formed record, or ``RecordError`` saying why it is not.

    Returns a new dict with exactly the record's fields: text cut to :data:`MAX_TEXT` and
    made encodable (lone surrogates shown as escapes), optional fields defaulted. Scores are
    checked for consistency, exactly (every test's score is its points or 0, each item's is
    the nearest float of the exact sum of its tests' points, the total that of the items',
    no score above its maximum), types and allowed values for everything else.
    """
    if not isinstance(result, dict):
        raise RecordError(f"a record must be a mapping, not {type(result).__name__}")
    record = Record(
        {
            "assignment": _name(result, "assignment"),
            "student": _student(result.get("student")),
            "files": _texts(result.get("files", []), "files"),
            "content_hash": _name(result, "content_hash"),
            "suite_version": _name(result, "suite_version"),
            "status": _status(result.get("status")),
            "reason": _optional_text(result.get("reason"), "reason"),
            "score": _score(result.get("score"), "score"),
            "max_score": _score(result.get("max_score"), "max_score"),
            "items": _items(result.get("items")),
            "tests": [_test(t, i) for i, t in enumerate(_list(result.get("tests"), "tests"))],
            "cells": [_cell(c) for c in _list(result.get("cells", []), "cells")],
            "notes": _texts(result.get("notes", []), "notes"),
            "omitted": _count(result.get("omitted", 0), "omitted"),
            "sandbox_failures": _texts(result.get("sandbox_failures", []), "sandbox_failures"),
            "output": _text(result.get("output", ""), "output"),
            "seconds": _score(result.get("seconds", 0.0), "seconds"),
            "reused_tests": _count(result.get("reused_tests", 0), "reused_tests"),
            "provenance": provenance(result.get("provenance")),
        }
    )
    _consistent(record)
    return record


def checked_for(
    result: Any,
    *,
    assignment: str,
    suite_version: str,
    student: str,
    content_hash: str,
    item_max: dict[str, Fraction],
) -> Record:
    """:func:`checked`, and the result is the one asked for: the student in flight on that
    worker, the batch's assignment and suite version, the suite's items and points."""
    record = checked(result)
    expected = {
        "assignment": assignment,
        "suite_version": suite_version,
        "student": student,
        "content_hash": content_hash,
    }
    for field, value in expected.items():
        if record[field] != value:
            raise RecordError(f"{field} is {record[field]!r}, the task's is {value!r}")
    if list(record["items"]) != list(item_max):
        raise RecordError(f"items {list(record['items'])} are not the suite's {list(item_max)}")
    for item, maximum in item_max.items():
        if record["items"][item]["max_score"] != float(maximum):
            raise RecordError(f"item {item!r} is out of {record['items'][item]['max_score']}")
    if record["max_score"] != float(sum(item_max.values(), Fraction(0))):
        raise RecordError(f"max_score {record['max_score']} is not the suite's")
    return record


def stored(text: str, assignment: str, student: str) -> dict[str, Any]:
    """A record read back from the gradebook: :func:`checked`, or, if it is not well formed,
    an ``internal_error`` record for that student that says so (exported like any other)."""
    try:
        record = checked(json.loads(text))
        if record["assignment"] != assignment or record["student"] != student:
            raise RecordError("it names another assignment or student than its row")
        return record
    except (RecordError, ValueError, TypeError, RecursionError) as exc:
        return unreadable(assignment, student, str(exc)[:300])


def unreadable(assignment: str, student: str, why: str) -> dict[str, Any]:
    """The record exported in place of a stored one that is not well formed."""
    return {
        "assignment": assignment,
        "student": _text(student, "student"),
        "files": [],
        "content_hash": "",
        "suite_version": "",
        "status": "internal_error",
        "reason": f"the stored result is not readable ({why}); grade again with --regrade",
        "score": 0.0,
        "max_score": 0.0,
        "items": {},
        "tests": [],
        "cells": [],
        "notes": [],
        "omitted": 0,
        "sandbox_failures": [],
        "output": "",
        "seconds": 0.0,
        "reused_tests": 0,
        "provenance": None,
    }


# -- fields ---------------------------------------------------------------------------------


def _text(value: Any, field: str) -> str:
    if not isinstance(value, str):
        raise RecordError(f"{field} must be text, not {type(value).__name__}")
    if len(value) > MAX_TEXT:
        value = value[:MAX_TEXT] + " …"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        # An undecodable name: the gradebook (SQLite) and every UTF-8 file need valid text.
        value = value.encode("utf-8", "backslashreplace").decode("utf-8")
    return value


def _optional_text(value: Any, field: str) -> str | None:
    return None if value is None else _text(value, field)


def _name(result: dict[str, Any], field: str) -> str:
    value = _text(result.get(field), field)
    if not value or len(value) > 200:
        raise RecordError(f"{field} must be a short non-empty text")
    return value


def _student(value: Any) -> str:
    if not isinstance(value, str) or not value or len(value) > 1000:
        raise RecordError("student must be a non-empty text of at most 1000 characters")
    return _text(value, "student")


def _texts(value: Any, field: str) -> list[str]:
    return [_text(v, field) for v in _list(value, field)]


def _list(value: Any, field: str) -> list[Any]:
    if not isinstance(value, list):
        raise RecordError(f"{field} must be a list, not {type(value).__name__}")
    if len(value) > MAX_ENTRIES:
        raise RecordError(f"{field} has {len(value)} entries, more than {MAX_ENTRIES}")
    return value


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise RecordError(f"status {str(value)[:40]!r} is not one of {sorted(STATUSES)}")
    return value


def _score(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise RecordError(f"{field} must be a finite number, not {str(value)[:40]!r}")
    if value < 0:
        raise RecordError(f"{field} is negative ({value})")
    return float(value)


def _count(value: Any, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise RecordError(f"{field} must be a count, not {str(value)[:40]!r}")
    return value


def _items(value: Any) -> dict[str, dict[str, float]]:
    if not isinstance(value, dict) or len(value) > MAX_ENTRIES:
        raise RecordError("items must be a mapping of item names")
    items = {}
    for name, item in value.items():
        if not isinstance(item, dict):
            raise RecordError(f"item {str(name)[:40]!r} must be a mapping")
        items[_text(name, "item name")] = {
            "score": _score(item.get("score"), f"item {name!r} score"),
            "max_score": _score(item.get("max_score"), f"item {name!r} max_score"),
        }
    return items


def _test(value: Any, index: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(f"test {index} must be a mapping")
    passed = value.get("passed")
    if not isinstance(passed, bool):
        raise RecordError(f"test {index}: passed must be true or false")
    failure = value.get("failure")
    error = value.get("error")
    max_score = _score(value.get("max_score"), f"test {index} max_score")
    points = _points(value.get("points"), max_score, index)
    return {
        "name": _text(value.get("name"), f"test {index} name"),
        "item": _text(value.get("item"), f"test {index} item"),
        "score": _score(value.get("score"), f"test {index} score"),
        "max_score": max_score,
        "points": str(points),
        "passed": passed,
        "failure": None if failure is None else _failure(failure, index),
        "error": None if error is None else _text(error, f"test {index} error"),
    }


#: A failure's facts that the feedback reads, and the type each must have.
_FAILURE_TEXT = ("kind", "where", "traceback", "error", "name", "detail", "near")
_FAILURE_MAPPING = ("case", "inputs", "mistake", "expected_text")


def _failure(value: Any, index: int) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordError(f"test {index}: failure must be a mapping or null")
    failure = _plain(value, f"test {index} failure", 0)
    for key in _FAILURE_TEXT:
        if key in failure and not isinstance(failure[key], str):
            raise RecordError(f"test {index}: failure {key} must be text")
    for key in _FAILURE_MAPPING:
        facts = failure.get(key)
        if facts is not None and not (
            isinstance(facts, dict) and all(isinstance(v, str) for v in facts.values())
        ):
            raise RecordError(f"test {index}: failure {key} must map names to text")
    for key in ("mismatched", "total"):
        if key in failure:
            _count(failure[key], f"test {index} failure {key}")
    return failure


def _plain(value: Any, field: str, depth: int) -> Any:
    """JSON-like data with every text cut and encodable, and floats finite (else text)."""
    if isinstance(value, str):
        return _text(value, field)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if depth >= MAX_DEPTH:
        raise RecordError(f"{field} nests deeper than {MAX_DEPTH}")
    if isinstance(value, list):
        return [_plain(v, field, depth + 1) for v in _list(value, field)]
    if isinstance(value, dict):
        if len(value) > MAX_ENTRIES:
            raise RecordError(f"{field} has more than {MAX_ENTRIES} entries")
        return {_text(k, field): _plain(v, field, depth + 1) for k, v in value.items()}
    raise RecordError(f"{field} holds a {type(value).__name__}, not plain data")


def _cell(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise RecordError("a cell report must be a mapping")
    index, status, error = value.get("index"), value.get("status"), value.get("error")
    _count(index, "cell index")
    if status not in CELL_STATUSES:
        raise RecordError(f"cell status {str(status)[:40]!r} is unknown")
    if error is not None:
        if not isinstance(error, dict):
            raise RecordError("a cell's error must be a mapping")
        error = {_text(k, "cell error"): _text(v, "cell error") for k, v in error.items()}
    cell = {"index": index, "status": status, "error": error}
    # Where the student sees it (written since cells are named by their notebook position).
    for key in ("number", "line"):
        if key in value:
            cell[key] = _count(value[key], f"cell {key}")
    if "defines" in value:
        cell["defines"] = _texts(value["defines"], "cell defines")
    if "first_line" in value:
        cell["first_line"] = _text(value["first_line"], "cell first_line")[:200]
    return cell


def _points(value: Any, max_score: float, index: int) -> Fraction:
    """A test's exact points ("4/3"), whose nearest float is its max_score; a record without
    them (written by hand) has exactly its max_score."""
    if value is None:
        return Fraction(max_score)
    if not isinstance(value, str) or len(value) > MAX_FRACTION_CHARS:
        raise RecordError(f"test {index}: points must be a short exact fraction")
    try:
        points = Fraction(value)
    except (ValueError, ZeroDivisionError):
        raise RecordError(f"test {index}: points {value!r} is not a fraction") from None
    if points < 0 or float(points) != max_score:
        raise RecordError(f"test {index}: points {value} are not its max_score {max_score}")
    return points


def _consistent(record: dict[str, Any]) -> None:
    """The score is what the tests say, exactly: no field can claim points the tests did not
    give, and no item or total is over its maximum by any rounding."""
    tests, items = record["tests"], record["items"]
    if record["status"] not in TESTED and tests:
        raise RecordError(f"a {record['status']} record has tests")
    sums: dict[str, Fraction] = dict.fromkeys(items, Fraction(0))
    for index, test in enumerate(tests):
        earned = Fraction(test["points"]) if test["passed"] else Fraction(0)
        if test["score"] != float(earned):
            raise RecordError(f"test {index} scores {test['score']} of {test['max_score']}")
        if test["item"] in sums:
            sums[test["item"]] += earned
    for name, item in items.items():
        if item["score"] != float(sums[name]) or item["score"] > item["max_score"]:
            raise RecordError(f"item {name!r} scores {item['score']}, its tests {sums[name]}")
    total = sum(sums.values(), Fraction(0))
    if record["score"] != float(total):
        raise RecordError(f"score {record['score']} is not the sum of the items")
    if record["score"] > record["max_score"]:
        raise RecordError(f"score {record['score']} is over max_score {record['max_score']}")


#: Longest text a provenance field holds (a name, a file's path in the submission).
MAX_PROVENANCE_TEXT = 1000
_PROVENANCE_CHOICES = {
    "lms": LMS_KINDS,
    "time_source": TIME_SOURCES,
    "rule": RULES,
}


def provenance(value: Any) -> dict[str, Any] | None:
    """Where the submission came from (``autograder.intake.provenance``): exactly its keys,
    each of its type and allowed values, texts cut and encodable; None for a record without
    one (written before provenance was recorded)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise RecordError("provenance must be a mapping or null")
    checked_value: dict[str, Any] = {}
    for key in ("lms", "lms_user", "name", "chosen", "time_source", "rule"):
        checked_value[key] = _short_text(value.get(key), f"provenance {key}")
    for key, allowed in _PROVENANCE_CHOICES.items():
        if checked_value[key] is not None and checked_value[key] not in allowed:
            raise RecordError(
                f"provenance {key} {checked_value[key][:40]!r} is not one of {allowed}"
            )
    lms_user = checked_value["lms_user"]
    if lms_user is not None and not (lms_user.isascii() and lms_user.isdigit()):
        raise RecordError("provenance lms_user must be digits")
    submitted = _short_text(value.get("submitted_at"), "provenance submitted_at")
    if submitted is not None:
        try:
            when = datetime.strptime(submitted, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise RecordError(
                f"provenance submitted_at {submitted[:40]!r} is not ISO 8601 UTC"
            ) from None
        submitted = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    if (submitted is None) != (checked_value["time_source"] is None):
        raise RecordError("provenance submitted_at and time_source go together")
    late = value.get("late_marker")
    if late is not None and not isinstance(late, bool):
        raise RecordError("provenance late_marker must be true, false or null")
    passed = []
    for index, entry in enumerate(_list(value.get("passed_over", []), "provenance passed_over")):
        if not isinstance(entry, dict):
            raise RecordError(f"provenance passed_over {index} must be a mapping")
        reason = entry.get("reason")
        if reason not in PASSED_OVER:
            raise RecordError(f"provenance passed_over {index}: reason {str(reason)[:40]!r}")
        passed.append(
            {"file": _short_text(entry.get("file"), "provenance file") or "", "reason": reason}
        )
    return {
        "lms": checked_value["lms"],
        "lms_user": lms_user,
        "name": checked_value["name"],
        "submitted_at": submitted,
        "time_source": checked_value["time_source"],
        "late_marker": late,
        "chosen": checked_value["chosen"],
        "passed_over": passed,
        "rule": checked_value["rule"],
    }


def _short_text(value: Any, field: str) -> str | None:
    if value is None:
        return None
    text = _text(value, field)
    return text if len(text) <= MAX_PROVENANCE_TEXT else text[:MAX_PROVENANCE_TEXT] + " …"
