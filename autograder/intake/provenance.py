"""Where a submission came from: the LMS, whose name it carries, when it was submitted, and
which of the student's files was graded, by which rule.

Every submission gets a :class:`Provenance`; the gradebook stores it with the result as a plain
JSON object under ``"provenance"`` (:meth:`Provenance.as_json`), which the LMS exports and late
penalties read. Its keys are a contract, kept exactly::

    lms           "canvas" | "moodle" | null
    lms_user      the Canvas user id or Moodle participant id in the file name, or null
    name          the person's name as the download spells it (printable, NFC), or null
    submitted_at  ISO 8601 in UTC ("2026-12-01T14:05:00Z"), or null
    time_source   "moodle-worksheet" | "zip-entry" | "file-mtime" | null
    late_marker   Canvas's _LATE marker: true or false; null for anything but Canvas
    chosen        the graded file's name in the submission, or null
    passed_over   [{"file": name, "reason": code}], every file of the student not graded
    rule          how the file was chosen (:data:`RULES`), or null when none was

The rule for a student with several files (:func:`choose`), in order:

1. files that intake refused (a link, a damaged entry, an online text, a notebook whose
   metadata names another assignment) are passed over with their reason;
2. a notebook is the submission when there is one: ``.py`` files beside it are passed over
   (``beside-notebook``); without a notebook the ``.py`` files are the candidates;
3. one candidate: it (``only-file``);
4. several: those named like the assignment (``optimizers.ipynb``, ``optimizers-2.ipynb``, an
   LMS prefix and a resubmission suffix aside), if exactly one (``named-like-assignment``);
5. else, among those (or all candidates when none is so named), the highest resubmission
   number of one file name (``optimizers-2`` over ``optimizers-1`` over ``optimizers``:
   ``latest-resubmission``), the LMS's own word on their order;
6. else the newest by the times the download carries, if every one has a time and one is
   strictly newest (``newest``). Never for Canvas files: Canvas's download holds the files of
   one attempt, in entries dated when the download was made, so nothing orders them;
7. else none: every candidate is refused with a reason naming the files (``ambiguous``).

Nothing is ever concatenated: exactly one file is graded, or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from pathlib import PurePosixPath
from typing import Any

from autograder.intake.names import parse_lms_name, resubmission

LMS_KINDS = ("canvas", "moodle")
TIME_SOURCES = ("moodle-worksheet", "zip-entry", "file-mtime")
RULES = (
    "only-file",
    "named-like-assignment",
    "newest",
    "latest-resubmission",
    "ambiguous",
)
#: Why a file was not graded.
PASSED_OVER = (
    "refused",  # intake refused it (its reason is in the record's notes or reason)
    "online-text",
    "other-assignment",
    "beside-notebook",
    "not-named-like-assignment",
    "older",
    "earlier-resubmission",
    "ambiguous",
)


@dataclass(frozen=True)
class PassedOver:
    file: str
    reason: str  # one of PASSED_OVER


@dataclass(frozen=True)
class Provenance:
    """Where one submission came from (see the module docstring for each field)."""

    lms: str | None = None
    lms_user: str | None = None
    name: str | None = None
    submitted_at: str | None = None
    time_source: str | None = None
    late_marker: bool | None = None
    chosen: str | None = None
    passed_over: tuple[PassedOver, ...] = ()
    rule: str | None = None

    def as_json(self) -> dict[str, Any]:
        """The plain JSON object stored under ``"provenance"``."""
        return {
            "lms": self.lms,
            "lms_user": self.lms_user,
            "name": self.name,
            "submitted_at": self.submitted_at,
            "time_source": self.time_source,
            "late_marker": self.late_marker,
            "chosen": self.chosen,
            "passed_over": [{"file": p.file, "reason": p.reason} for p in self.passed_over],
            "rule": self.rule,
        }


@dataclass
class Candidate:
    """One of a student's files, as the choice sees it."""

    name: str  # its name in the submission ("/"-joined path under the root)
    ok: bool  # readable so far (not refused by intake)
    code: str = ""  # for a refused file: why, as a PASSED_OVER code ("refused" by default)
    when: datetime | None = None  # naive (a zip entry's local time) or aware
    when_source: str | None = None  # "zip-entry" or "file-mtime"

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.name).suffix.lower()

    @property
    def own_name(self) -> str:
        """The file's name as the student uploaded it: the LMS prefix taken off."""
        base = PurePosixPath(self.name).name
        parsed = parse_lms_name(base)
        return parsed.file if parsed and parsed.file else base

    @property
    def from_canvas(self) -> bool:
        parsed = parse_lms_name(PurePosixPath(self.name).name)
        return parsed is not None and parsed.lms == "canvas"


@dataclass(frozen=True)
class Choice:
    chosen: Candidate | None
    passed_over: tuple[tuple[Candidate, str], ...]
    rule: str | None


def aware(when: datetime | None, zone: tzinfo) -> datetime | None:
    """``when`` as an aware time: a naive one (a zip entry's DOS time) is read in ``zone``."""
    if when is None:
        return None
    return when.replace(tzinfo=zone) if when.tzinfo is None else when


def iso_utc(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def choose(files: list[Candidate], assignment: str | None, zone: tzinfo) -> Choice:
    """The one file to grade of one student's ``files`` (module docstring: the rule)."""
    passed: list[tuple[Candidate, str]] = [(f, f.code or "refused") for f in files if not f.ok]
    usable = [f for f in files if f.ok]
    notebooks = [f for f in usable if f.suffix == ".ipynb"]
    if notebooks:
        passed += [(f, "beside-notebook") for f in usable if f.suffix != ".ipynb"]
        candidates = notebooks
    else:
        candidates = usable
    if not candidates:
        return Choice(None, tuple(passed), None)
    if len(candidates) == 1:
        return Choice(candidates[0], tuple(passed), "only-file")
    pool = candidates
    if assignment:
        named = [f for f in candidates if _base(f) == assignment.lower()]
        if len(named) == 1:
            passed += [(f, "not-named-like-assignment") for f in candidates if f is not named[0]]
            return Choice(named[0], tuple(passed), "named-like-assignment")
        if named:
            passed += [(f, "not-named-like-assignment") for f in candidates if f not in named]
            pool = named
    latest = _latest_resubmission(pool)
    if latest is not None:
        passed += [(f, "earlier-resubmission") for f in pool if f is not latest]
        return Choice(latest, tuple(passed), "latest-resubmission")
    newest = _newest(pool, zone)
    if newest is not None:
        passed += [(f, "older") for f in pool if f is not newest]
        return Choice(newest, tuple(passed), "newest")
    passed += [(f, "ambiguous") for f in pool]
    return Choice(None, tuple(passed), "ambiguous")


def _base(file: Candidate) -> str:
    """The file's own stem without a resubmission suffix, lower case."""
    stem = PurePosixPath(file.own_name).stem
    return resubmission(stem)[0].strip().lower()


def _newest(pool: list[Candidate], zone: tzinfo) -> Candidate | None:
    if any(f.from_canvas for f in pool):
        return None
    times = [aware(f.when, zone) for f in pool]
    if any(t is None for t in times):
        return None
    ordered = sorted(zip(times, range(len(pool)), strict=True), reverse=True)
    if ordered[0][0] == ordered[1][0]:
        return None
    return pool[ordered[0][1]]


def _latest_resubmission(pool: list[Candidate]) -> Candidate | None:
    parsed = [resubmission(PurePosixPath(f.own_name).stem) for f in pool]
    bases = {(base.lower(), f.suffix) for (base, _), f in zip(parsed, pool, strict=True)}
    numbers = sorted((n for _, n in parsed), reverse=True)
    if len(bases) != 1 or numbers[0] == numbers[1]:
        return None
    return pool[max(range(len(pool)), key=lambda i: parsed[i][1])]
