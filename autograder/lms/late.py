"""Late work: how late a submission is, and the penalty the course's policy takes for it.

The rule (docs/COURSE_FILE.md): a submission is late by the time between the student's due date
(their extension, else the assignment's) and its submission time. Within the grace period it
loses nothing. Past it, every started day (or hour) counts from the due date itself, each
costing ``percent`` percent of the student's own score, up to ``cap`` percent:

    penalty = min(cap, ceil(late / unit) * percent)        final = raw * (100 - penalty) / 100

A submission with no known time that the LMS marked late (Canvas's ``_LATE``) is flagged for
the TA and loses nothing: a penalty needs a time to be computed from.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from autograder.lms import texts as t

_UNIT_SECONDS = {"day": 86_400, "hour": 3_600}


@dataclass(frozen=True)
class LatePolicy:
    per: str  # "day" or "hour"
    percent: float
    cap: float
    grace_minutes: float

    @classmethod
    def none(cls) -> LatePolicy:
        """No penalty at all (a course file without a ``late`` table)."""
        return cls(per="day", percent=0.0, cap=0.0, grace_minutes=0.0)

    def penalty(self, seconds_late: float) -> float:
        """The percentage taken off a submission this many seconds late."""
        if seconds_late <= self.grace_minutes * 60:
            return 0.0
        units = math.ceil(seconds_late / _UNIT_SECONDS[self.per])
        return float(min(self.cap, units * self.percent))


@dataclass(frozen=True)
class Lateness:
    """How late one submission was, and what it costs."""

    seconds: int | None  # None: the submission time is not known; <= 0: on time
    penalty: float  # percent
    flagged: bool  # the LMS said late but no time is known: the TA decides
    submitted_at: str | None
    source: str | None

    @property
    def late(self) -> bool:
        return self.seconds is not None and self.seconds > 0


ON_TIME = Lateness(None, 0.0, False, None, None)

#: Submission times that the LMS itself recorded, by (LMS, source): Moodle's worksheet, and
#: the entry times of Moodle's download (each file's upload time). Canvas dates every entry of
#: its download at the download (its ``_LATE`` marker says more), a plain zip at its making,
#: and a file's modification time says when it reached the TA's disk: those are shown, never
#: charged.
PENALISING_SOURCES = frozenset((("moodle", "moodle-worksheet"), ("moodle", "zip-entry")))


def lateness(
    policy: LatePolicy, due: dt.datetime | None, provenance: Mapping[str, Any] | None
) -> Lateness:
    """The lateness of a submission whose intake recorded ``provenance`` (may be absent)."""
    if not isinstance(provenance, Mapping):
        return ON_TIME
    submitted = submitted_at(provenance.get("submitted_at"))
    source = provenance.get("time_source")
    source = source if isinstance(source, str) else None
    if submitted is None:
        flagged = provenance.get("late_marker") is True
        return Lateness(None, 0.0, flagged, None, source)
    shown = submitted.isoformat().replace("+00:00", "Z")
    if due is None or (provenance.get("lms"), source) not in PENALISING_SOURCES:
        return Lateness(None, 0.0, provenance.get("late_marker") is True, shown, source)
    seconds = math.ceil((submitted - due).total_seconds())
    return Lateness(seconds, policy.penalty(seconds), False, shown, source)


def submitted_at(value: Any) -> dt.datetime | None:
    """An ISO 8601 time as intake records it (UTC; one without an offset is taken as UTC)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        return None
    try:
        when = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC)


def final_score(raw: float, penalty: float) -> float:
    """The score after a penalty of ``penalty`` percent, rounded half up to the hundredth
    (what both LMSs show), computed exactly: 0.1 + 0.2 is not 0.30000000000000004 here."""
    exact = Fraction(raw) * (100 - Fraction(penalty)) / 100
    return float(Fraction(math.floor(exact * 100 + Fraction(1, 2)), 100))


def duration(seconds: int, lang: str) -> str:
    """A lateness in words, its two largest units: "1일 2시간", "2 hours", "35 minutes"."""
    parts = []
    remaining = seconds
    for size, text in ((86_400, t.DAYS), (3_600, t.HOURS), (60, t.MINUTES)):
        count, remaining = divmod(remaining, size)
        if count or parts:
            parts.append((count, text))
    parts = [(n, text) for n, text in parts[:2] if n]
    if not parts:
        return t.SECONDS.render(lang, n=seconds, s="" if seconds == 1 else "s")
    return " ".join(text.render(lang, n=n, s="" if n == 1 else "s") for n, text in parts)
