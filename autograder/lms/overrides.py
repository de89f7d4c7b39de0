"""A TA's overrides laid over a graded record: the value every export shows.

The gradebook keeps the suite's record untouched and the overrides apart (an append-only
history); each export applies the overrides in force to a copy of the record. The copy says
which items were overridden, from what and why, so that the feedback can tell the student.
"""

from __future__ import annotations

import getpass
import math
import os
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from autograder.escaping import visible
from autograder.lms import texts as t
from autograder.scoring import shown

if TYPE_CHECKING:  # only for hints: the gradebook and the course import nothing from here
    from autograder.gradebook import Gradebook
    from autograder.lms.course import Course


def apply_overrides(
    result: dict[str, Any], in_force: Mapping[str, Mapping[str, Any]] | None
) -> dict[str, Any]:
    """``result`` with each overridden item at the TA's points and the total summed again;
    ``result`` itself is left as it is. An override of an item the record does not have (a
    record of another suite) is left out, and so is one made on another submission than the
    record's (the student handed in new work since: the TA judged the old one); those are
    listed under ``overrides_not_applied``."""
    if not in_force:
        return result
    items = {name: dict(score) for name, score in result["items"].items()}
    applied = []
    outdated = []
    for item, override in in_force.items():
        if item not in items:
            continue
        judged = override.get("content_hash")
        if judged and judged != result.get("content_hash"):
            outdated.append(item)
            continue
        suite_points = items[item]["score"]
        points = min(max(float(override["points"]), 0.0), items[item]["max_score"])
        items[item]["score"] = points
        applied.append(
            {
                "item": item,
                "points": points,
                "suite_points": suite_points,
                "reason": override.get("reason", ""),
                "by": override.get("by", ""),
                "at": override.get("at"),
            }
        )
    if not applied:
        return {**result, "overrides_not_applied": outdated} if outdated else result
    return {
        **result,
        "items": items,
        "score": math.fsum(score["score"] for score in items.values()),
        "overrides": applied,
        **({"overrides_not_applied": outdated} if outdated else {}),
    }


def with_overrides(
    results: Iterable[dict[str, Any]], in_force: Mapping[str, Mapping[str, Mapping[str, Any]]]
) -> Iterator[dict[str, Any]]:
    """Each record with its student's overrides applied (:func:`apply_overrides`)."""
    for result in results:
        yield apply_overrides(result, in_force.get(result["student"]))


class OverrideError(ValueError):
    """An override refused before it is recorded; the message says why, in both languages."""


def checked_override(
    book: Gradebook,
    assignment: str,
    student: str,
    item: str,
    points: float,
    reason: str,
    course: Course | None = None,
) -> tuple[str, float]:
    """The gradebook's id of ``student`` (a gradebook id, or with ``course`` a roster student
    id) and the item's current points (overrides in force applied), or :class:`OverrideError`
    if the student or the item is unknown, the points are outside [0, the item's maximum] or
    the reason is empty."""
    if not reason.strip():
        raise OverrideError(t.both(t.OVERRIDE_NO_REASON))
    key = _gradebook_key(book, assignment, student, course)
    if key is None:
        raise OverrideError(
            t.both(t.OVERRIDE_NO_STUDENT, student=visible(student), assignment=assignment)
        )
    record = book.result(assignment, key)
    assert record is not None  # _gradebook_key found it
    current = apply_overrides(record, book.overrides(assignment).get(key))
    if item not in current["items"]:
        items = ", ".join(current["items"]) or "-"
        raise OverrideError(
            t.both(t.OVERRIDE_NO_ITEM, item=visible(item), assignment=assignment, items=items)
        )
    maximum = current["items"][item]["max_score"]
    if not (math.isfinite(points) and 0 <= points <= maximum):
        raise OverrideError(
            t.both(t.OVERRIDE_RANGE, item=item, max_score=shown(maximum), points=points)
        )
    return key, current["items"][item]["score"]


def _gradebook_key(
    book: Gradebook, assignment: str, student: str, course: Course | None
) -> str | None:
    if book.result(assignment, student) is not None:
        return student
    if course is None or course.roster.get(student) is None:
        return None
    for result in book.results(assignment):
        found = course.roster.match(result["student"], result.get("provenance"))
        if found is not None and found.student_id == student:
            return result["student"]
    return None


def os_user() -> str:
    """Who runs the command, for ``--by``'s default."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's anonymous uid)
        return f"uid {os.getuid()}"
