"""From what a TA passes (files, folders, LMS zips) to one submission per student.

What a path is comes from what the TA passed, never from guessing at its content:

* a folder is a root: walked without following any link (:mod:`autograder.intake.layout` says
  whose each file is);
* a file named ``*.zip`` that starts like a zip archive is an archive: an LMS download (a root),
  or, when its own name is an LMS submission name (``kim_123_456_work.zip``), that one
  student's archive, all of whose entries are theirs. A ``*.zip`` that cannot be read is
  the TA's error (:class:`IngestError`), or that student's refusal for a student's archive;
* any other file is a submission file of the student its name says (a ``.ipynb`` that is really
  a zip is an unreadable notebook, nothing more).

Of each student's files exactly one is graded (:mod:`autograder.intake.provenance` says which
and records why); an LMS online text is never graded, and a notebook whose metadata names
another assignment than :attr:`Intake.assignment` is refused.

Links, devices, FIFOs and sockets are refused wherever they are found (the TA's own arguments
included), archive entries are extracted under generated names (a name of any length or
encoding costs nothing), and every id comes from exactly one place in the batch: an id that two
places give is refused for both, never merged. A refusal is recorded for the student it
belongs to and never stops the batch; one that belongs to no student is a warning.
"""

from __future__ import annotations

import json
import os
import stat
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path

from autograder.intake import texts
from autograder.intake.archive import ArchiveError, EntryError, ZipReader
from autograder.intake.files import NotAFile, open_regular, read_regular, refusal
from autograder.intake.layout import Found, Unit, assign
from autograder.intake.names import (
    LmsName,
    disk_name,
    lms_id,
    parse_lms_name,
    printable,
    shown_path,
    student_id_from_name,
)
from autograder.intake.provenance import (
    Candidate,
    Choice,
    PassedOver,
    Provenance,
    aware,
    choose,
    iso_utc,
)
from autograder.intake.reader import MAX_FILE_BYTES

MAX_ZIP_ENTRIES = 20_000
MAX_ZIP_BYTES = 2 * 1024**3
SUBMISSION_SUFFIXES = (".ipynb", ".py")
#: Directory records read at all from one archive (each costs memory); those past
#: MAX_ZIP_ENTRIES are only named, to say which students lost an entry.
_MAX_RECORDS = 5 * MAX_ZIP_ENTRIES
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_SHOWN_ORIGINS = 4


class IngestError(Exception):
    """The TA's input itself is unusable (a path that does not exist, a corrupt download)."""


@dataclass
class Submission:
    """One student's file (exactly one is graded, :mod:`autograder.intake.provenance`), ready
    to hash and grade."""

    student: str
    files: list[Path] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # each file's name in the submission
    refused: list[str] = field(default_factory=list)  # "where: why", for the student's record
    notes: list[str] = field(default_factory=list)  # which file was graded and why, if chosen
    #: Other assignments its notebooks' metadata named (those notebooks were not graded).
    other_assignments: list[str] = field(default_factory=list)
    provenance: Provenance = field(default_factory=Provenance)


@dataclass
class Discovery:
    submissions: list[Submission]  # one per student id, sorted by id
    warnings: list[str]  # refusals that belong to no student (a path escaping its archive)


@dataclass(frozen=True)
class Intake:
    """What the TA says about the download: the assignment graded (to choose between a
    student's files and to pass over another assignment's notebooks), the time zone of zip
    entry times and of the worksheet, and Moodle's submission times by participant id."""

    assignment: str | None = None
    zone: tzinfo = UTC
    submitted: dict[str, datetime] = field(default_factory=dict)  # aware, from the worksheet


def discover(paths: list[Path], scratch: Path, intake: Intake | None = None) -> Discovery:
    """Expand files, folders and zips into one submission per student.

    Archive entries (and the rare file whose path is not valid UTF-8) are copied into
    ``scratch`` under generated names. Raises :class:`IngestError` only for the TA's own
    unusable input: a path that does not exist, or an LMS download that is not a readable zip.
    """
    return _Discovery(scratch, intake or Intake()).run(paths)


def _base(path: str) -> str:
    """A path's own name, printable (the root's name in what a student reads)."""
    return disk_name(os.path.basename(os.path.abspath(path)))


def _suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def _skipped(name: str) -> bool:
    """Hidden files and folders, and macOS's resource forks in archives."""
    return name.startswith(".") or name == "__MACOSX"


class _Discovery:
    def __init__(self, scratch: Path, intake: Intake) -> None:
        self.scratch = scratch
        self.intake = intake
        self.copies = 0  # files copied into scratch, to name the next one
        self.archives = 0
        self.items: dict[str, list[tuple[Unit, Found]]] = defaultdict(list)
        self.seen: set[tuple[int, int]] = set()  # files on disk already found
        self.warnings: list[str] = []

    def run(self, paths: list[Path]) -> Discovery:
        for path in paths:
            self._argument(os.fspath(path))
        return Discovery([self._submission(s) for s in sorted(self.items)], self.warnings)

    def _add(self, student: str, unit: Unit, item: Found) -> None:
        if item.identity is not None:
            if item.identity in self.seen:
                return  # the same file passed twice (a folder and a file in it)
            self.seen.add(item.identity)
        self.items[student].append((unit, item))

    # -- the TA's arguments ---------------------------------------------------------------

    def _argument(self, arg: str) -> None:
        shown = shown_path(arg)
        try:
            info = os.lstat(arg)
        except FileNotFoundError:
            raise IngestError(texts.say(texts.NO_SUCH_PATH, path=shown)) from None
        except OSError as exc:
            raise IngestError(
                texts.say(texts.UNREADABLE_ARGUMENT, path=shown, error=exc.strerror)
            ) from None
        absolute = os.path.abspath(arg)
        name = disk_name(os.path.basename(absolute)) or shown
        # Files passed one by one are named as the same files in their folder would be.
        here: Unit = (("dir", os.path.realpath(os.path.dirname(absolute))), (), "names")
        alone = Found((name,), shown)
        if stat.S_ISDIR(info.st_mode):
            root = ("dir", os.path.realpath(absolute))
            found = list(self._walk(arg, shown, _base(absolute)))
            for student, unit, item in assign(found, root, shown):
                self._add(student, unit, item)
        elif not stat.S_ISREG(info.st_mode):
            self._add(student_id_from_name(name), here, alone.refuse(refusal(info.st_mode) or ""))
        elif _suffix(name) == ".zip":
            self._zip(arg, shown, name, here)
        else:
            item = Found(
                (name,),
                shown,
                Path(arg),
                identity=(info.st_dev, info.st_ino),
                when=datetime.fromtimestamp(info.st_mtime, UTC),
                when_source="file-mtime",
            )
            if _online_text(item.parts):
                item = item.refuse(texts.say(texts.ONLINE_TEXT), "online-text")
            self._add(student_id_from_name(name), here, self._readable(item))

    def _zip(self, arg: str, shown: str, name: str, here: Unit) -> None:
        owner = lms_id(name)
        try:
            identity, found = self._archive(arg, shown, owned=owner is not None)
        except (ArchiveError, NotAFile, OSError) as exc:
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            reason = texts.say(texts.NOT_A_ZIP, path=shown, detail=detail)
            if owner is None:
                raise IngestError(reason) from None
            self._add(student_id_from_name(name), here, Found((name,), shown).refuse(reason))
            return
        if identity in self.seen:
            return  # the same archive passed twice
        self.seen.add(identity)
        if owner is None:
            for student, unit, item in assign(found, ("zip", *identity), shown):
                self._add(student, unit, item)
        else:
            for item in found:
                self._add(student_id_from_name(name), here, item)

    # -- folders ----------------------------------------------------------------------------

    def _walk(self, root: str, shown: str, base: str) -> Iterator[Found]:
        """Everything under ``root`` that is a submission file or is refused, never
        following a link (a link is refused, not looked at)."""
        stack: list[tuple[tuple[str, ...], str]] = [((), root)]
        while stack:
            parts, folder = stack.pop()
            try:
                with os.scandir(folder) as listing:
                    entries = list(listing)
            except OSError as exc:
                if not parts:
                    raise IngestError(
                        texts.say(texts.UNREADABLE_ARGUMENT, path=shown, error=exc.strerror)
                    ) from None
                reason = texts.say(texts.UNREADABLE_FOLDER, error=exc.strerror)
                yield Found(parts, "/".join((shown, *parts)), reason=reason, base=base)
                continue
            for entry in entries:
                if _skipped(entry.name):
                    continue
                here = (*parts, disk_name(entry.name))
                item = Found(here, "/".join((shown, *here)), base=base)
                try:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append((here, entry.path))
                        continue
                    info = entry.stat(follow_symlinks=False)
                except OSError as exc:
                    yield item.refuse(texts.say(texts.UNOPENABLE, error=exc.strerror))
                    continue
                why = refusal(info.st_mode)
                if why is not None:
                    yield item.refuse(why)
                elif _online_text(here):
                    yield item.refuse(texts.say(texts.ONLINE_TEXT), "online-text")
                elif _suffix(here[-1]) in SUBMISSION_SUFFIXES:
                    item.path, item.identity = Path(entry.path), (info.st_dev, info.st_ino)
                    item.when = datetime.fromtimestamp(info.st_mtime, UTC)
                    item.when_source = "file-mtime"
                    yield self._readable(item)
                elif _suffix(here[-1]) == ".zip":
                    yield item.refuse(texts.say(texts.NESTED_ARCHIVE))

    def _readable(self, item: Found) -> Found:
        """``item``, or a copy of it in scratch when its path is not valid UTF-8 (a folder
        unzipped from a Korean Windows archive): every path handed on can be encoded."""
        if item.path is None:
            return item
        path = os.fspath(item.path)
        try:
            path.encode()
            return item
        except UnicodeEncodeError:
            pass
        try:
            fd = open_regular(path)
        except NotAFile as exc:
            return item.refuse(str(exc))
        except OSError as exc:
            return item.refuse(texts.say(texts.UNOPENABLE, error=exc.strerror))
        try:
            with os.fdopen(fd, "rb") as handle:
                data = handle.read(MAX_FILE_BYTES + 1)
        except OSError as exc:
            return item.refuse(texts.say(texts.UNOPENABLE, error=exc.strerror))
        return self._written(item, data, "renamed")

    def _written(self, item: Found, data: bytes, folder: str) -> Found:
        """``item`` with ``data`` written to a new file of a generated name in scratch."""
        target = self.scratch / folder
        target.mkdir(parents=True, exist_ok=True)
        self.copies += 1
        path = target / f"{self.copies:06d}{_suffix(item.parts[-1])}"
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            fd = os.open(path, flags, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        except OSError as exc:
            path.unlink(missing_ok=True)
            return item.refuse(texts.say(texts.EXTRACT_FAILED, error=exc.strerror))
        return replace(item, path=path)

    # -- archives ---------------------------------------------------------------------------

    def _archive(self, arg: str, shown: str, owned: bool) -> tuple[tuple[int, int], list[Found]]:
        """The archive's identity and what it holds (files extracted to scratch, refusals).
        An owned archive (one student's) keeps even the entries whose path leaves it, as
        refusals of that student."""
        fd = open_regular(arg)
        try:
            info = os.fstat(fd)
            if os.pread(fd, 4, 0) not in _ZIP_MAGIC:
                raise ArchiveError("it does not start like a zip archive")
            reader = ZipReader(fd, info.st_size, _MAX_RECORDS)
            identity = (info.st_dev, info.st_ino)
            if identity in self.seen:
                return identity, []
            for count, text in (
                (reader.damaged_after, texts.DIRECTORY_DAMAGED),
                (reader.unread_after, texts.UNPARSED_ENTRIES),
            ):
                if count is not None:
                    self.warnings.append(texts.say(text, archive=shown, count=count))
            return identity, self._entries(reader, shown, _base(arg), owned)
        finally:
            os.close(fd)

    def _entries(self, reader: ZipReader, shown: str, base: str, owned: bool) -> list[Found]:
        self.archives += 1
        folder = f"zip-{self.archives}"
        wanted: list[tuple[Found, object]] = []
        found: list[Found] = []
        for entry in reader.entries:
            parts = tuple(p for p in entry.name.split("/") if p not in ("", "."))
            escapes = (
                entry.name.startswith("/")
                or ".." in parts
                or (len(entry.name) > 1 and entry.name[1] == ":")
            )
            if escapes:
                reason = texts.say(texts.ESCAPING, name=entry.name)
                if owned:
                    origin = f"{shown}/{entry.name}"
                    found.append(Found((entry.name,), origin, reason=reason, base=base))
                else:
                    self.warnings.append(f"{shown}: {reason}")
                continue
            if not parts or any(_skipped(p) for p in parts):
                continue
            item = Found(parts, "/".join((shown, *parts)), base=base)
            item.when, item.when_source = entry.modified, "zip-entry"
            why = entry.refusal()
            suffix = _suffix(parts[-1])
            if why is not None:
                found.append(item.refuse(why))
            elif entry.is_dir:
                continue
            elif _online_text(parts):
                found.append(item.refuse(texts.say(texts.ONLINE_TEXT), "online-text"))
            elif suffix == ".zip":
                found.append(item.refuse(texts.say(texts.NESTED_ARCHIVE)))
            elif suffix in SUBMISSION_SUFFIXES:
                wanted.append((item, entry))
        names = Counter(item.parts for item, _ in wanted)
        for item, entry in wanted:
            # The budget is charged with what the reader inflated, refused entries included:
            # a read that fails after inflating cost as much as one that succeeded.
            budget = MAX_ZIP_BYTES - reader.inflated
            if names[item.parts] > 1:
                found.append(item.refuse(texts.say(texts.DUPLICATE_ENTRY)))
            elif entry.index >= MAX_ZIP_ENTRIES:
                found.append(item.refuse(texts.say(texts.TOO_MANY_ENTRIES, limit=MAX_ZIP_ENTRIES)))
            elif entry.size > budget:
                found.append(item.refuse(texts.say(texts.ARCHIVE_BUDGET, limit=MAX_ZIP_BYTES)))
            else:
                try:
                    data = reader.read(entry, MAX_FILE_BYTES)
                except EntryError as exc:
                    found.append(item.refuse(str(exc)))
                    continue
                except OSError as exc:
                    found.append(item.refuse(texts.say(texts.EXTRACT_FAILED, error=exc.strerror)))
                    continue
                found.append(self._written(item, data, folder))
        return found

    # -- one record per student -------------------------------------------------------------

    def _submission(self, student: str) -> Submission:
        items = self.items[student]
        units: dict[Unit, list[Found]] = {}
        for unit, item in items:
            units.setdefault(unit, []).append(item)
        if len(units) > 1:
            origins = sorted(item.origin for _unit, item in items)
            reason = texts.say(texts.SEVERAL_SOURCES, student=student, origins=_listed(origins))
            return Submission(student, refused=[reason])
        checked = [self._checked(item) for _unit, item in sorted(items, key=lambda p: p[1].parts)]
        found = [item for item, _ in checked]
        candidates = [
            Candidate("/".join(f.parts), f.path is not None, f.code, f.when, f.when_source)
            for f in found
        ]
        choice = choose(candidates, self.intake.assignment, self.intake.zone)
        submission = Submission(student)
        submission.other_assignments = sorted({named for _, named in checked if named})
        chosen = next(
            (f for f, c in zip(found, candidates, strict=True) if c is choice.chosen), None
        )
        why: dict[str, list[str]] = {}
        for item in found:
            if item.path is None and item.code == "online-text" and chosen is not None:
                # Beside a graded file, an online text is only said (a comment, mostly).
                submission.notes.append(f"{item.label}: {item.reason}")
            elif item.path is None:
                why.setdefault(item.reason, []).append(item.label)
        if chosen is not None and chosen.path is not None:
            submission.files.append(chosen.path)
            submission.names.append("/".join(chosen.parts))
        for reason, origins in why.items():
            submission.refused.append(f"{_listed(origins)}: {reason}")
        by_rule = [c.name for c, code in choice.passed_over if code not in _REFUSED_CODES]
        if choice.rule == "ambiguous":
            submission.refused.append(
                texts.say(
                    texts.AMBIGUOUS,
                    files=_listed(by_rule),
                    assignment=self.intake.assignment or "?",
                )
            )
        elif chosen is not None and by_rule and choice.rule in texts.RULE_NAMES:
            submission.notes.append(
                texts.say(
                    texts.CHOSEN,
                    chosen=submission.names[0],
                    count=len(by_rule) + 1,
                    rule=texts.RULE_NAMES[choice.rule],
                    others=_listed(by_rule),
                )
            )
        submission.provenance = self._provenance(found, chosen, choice)
        return submission

    def _checked(self, item: Found) -> tuple[Found, str | None]:
        """``item``, or refused when it is a notebook whose metadata names another
        assignment than the one graded (as ``optigrade assign`` writes it), and that name."""
        wanted = self.intake.assignment
        if not wanted or item.path is None or not item.notebook:
            return item, None
        named = notebook_assignment(item.path)
        if named is None or named == wanted:
            return item, None
        named = printable(named)[:80]
        reason = texts.say(texts.OTHER_ASSIGNMENT, found=named, wanted=wanted)
        return item.refuse(reason, "other-assignment"), named

    def _provenance(self, found: list[Found], chosen: Found | None, choice: Choice) -> Provenance:
        """Where the student's submission came from: the LMS name of the graded file (else of
        the first file), and its time from the worksheet, else as the download carries it."""
        named = [n for f in ([chosen] if chosen else []) + found if (n := _lms_of(f.parts))]
        lms = named[0] if named else None
        submitted_at, source = None, None
        sheet_time = self.intake.submitted.get(lms.user.lstrip("0") or "0") if lms else None
        if lms is not None and lms.lms == "moodle" and sheet_time is not None:
            submitted_at, source = iso_utc(sheet_time), "moodle-worksheet"
        elif chosen is not None and chosen.when is not None:
            when = aware(chosen.when, self.intake.zone)
            if when is not None and when.year >= 1980:
                submitted_at, source = iso_utc(when), chosen.when_source
        return Provenance(
            lms=lms.lms if lms else None,
            lms_user=lms.user if lms else None,
            name=(printable(lms.name).strip() or None) if lms else None,
            submitted_at=submitted_at,
            time_source=source,
            late_marker=lms.late if lms and lms.lms == "canvas" else None,
            chosen="/".join(chosen.parts) if chosen else None,
            passed_over=tuple(PassedOver(c.name, code) for c, code in choice.passed_over),
            rule=choice.rule,
        )


#: Passed-over codes of files intake refused: their reasons are already in ``refused``.
_REFUSED_CODES = frozenset(("refused", "online-text", "other-assignment"))


def _listed(origins: list[str]) -> str:
    listed = ", ".join(origins[:_SHOWN_ORIGINS])
    if len(origins) > _SHOWN_ORIGINS:
        listed += f", … ({len(origins)})"
    return listed


def _lms_of(parts: tuple[str, ...]) -> LmsName | None:
    """The LMS name a file's path carries: the outermost part the LMS named (a Moodle
    participant's folder, else the file's own name: Canvas, Moodle flat).

    Outermost first: inside a participant's folder the file names are the student's own
    choice, and one shaped like another participant's (or like a Canvas name) must not move
    the file to that student, nor away from its folder's worksheet time.
    """
    for part in parts:
        parsed = parse_lms_name(part)
        if parsed is not None:
            return parsed
    return None


def _online_text(parts: tuple[str, ...]) -> bool:
    """An online text entry of Moodle (its folder or flat name) or Canvas (``_text.html``)."""
    parsed = _lms_of(parts)
    return parsed is not None and parsed.online_text


#: Notebooks larger than this are not parsed for their metadata (grading reads them anyway).
_MAX_METADATA_BYTES = 20 * 1024 * 1024


def notebook_assignment(path: Path) -> str | None:
    """The assignment a notebook's metadata names (``metadata.optigrade.assignment``, as
    ``optigrade assign`` writes it), or None: none named, or not a readable notebook (its
    grading says why)."""
    try:
        raw, size = read_regular(path, _MAX_METADATA_BYTES)
        if size > _MAX_METADATA_BYTES:
            return None
        data = json.loads(raw.decode("utf-8-sig"))
    except (NotAFile, OSError, ValueError, RecursionError):
        return None
    meta = data.get("metadata") if isinstance(data, dict) else None
    ours = meta.get("optigrade") if isinstance(meta, dict) else None
    named = ours.get("assignment") if isinstance(ours, dict) else None
    return named if isinstance(named, str) and named.strip() else None
