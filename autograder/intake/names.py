"""Names from outside (archive entries, files on disk) as printable Unicode, and the student id
each one gives.

A name arrives as bytes in no declared encoding: a zip made on Korean Windows stores cp949
without the UTF-8 flag, a folder unzipped from one keeps those bytes on disk (Python hands them
over as lone surrogates), and anything may hold control characters or terminal escapes. Every
name handed on from here is valid, printable Unicode in NFC: it can be encoded, printed, stored
in SQLite and JSON, and two spellings of one Hangul name (NFC from Windows, NFD from macOS)
give one id.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import PurePosixPath

#: Longer ids are cut and end with a hash of the whole id, so that two long ids stay two.
MAX_ID_CHARS = 160

# A person's name as both LMSs write it into a file name: any text (Hangul included) but the
# characters neither writes (they clean names for every file system: no path separators,
# controls, or <>:"|?*). A name holding them is no LMS's, and its whole stem is the id.
_NAME = r"(?P<name>[^/\\<>:\"|?*\x00-\x1f]+?)"
# Canvas's "Download Submissions": <name>_<userid>_<submissionid>_<original file name>, with
# "_LATE" after the name of a late submission (older Canvas wrote "-late"); a file name ending
# "-1", "-2" is a later upload of the same name (Canvas makes names unique that way).
_CANVAS = re.compile(
    rf"^{_NAME}(?P<late>[_-]late)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>[^/]+)$", re.I
)
# Canvas's online text and website URL entries: <name>_<userid>_text.html, _link.html.
_CANVAS_TEXT = re.compile(rf"^{_NAME}(?P<late>[_-]late)?_(?P<id>\d+)_(?:text|link)\.html$", re.I)
# Moodle's mod/assign download: "<Full Name>_<participant>_assignsubmission_<plugin>_" is a
# folder per student and plugin (the default since Moodle 3.1), or the prefix of each file
# name when the TA turned "download submissions in folders" off (the flat layout).
_MOODLE = re.compile(
    rf"^{_NAME}_(?P<id>\d+)_assignsubmission_(?P<plugin>file|onlinetext)_(?P<file>[^/]*)$"
)
# A later upload of a file of the same name: "optimizers-1.ipynb" (Canvas) or "optimizers (1)".
_RESUBMISSION = re.compile(r"^(?P<stem>.*?)(?:-(?P<n>\d{1,4})| \((?P<p>\d{1,4})\))$")


@dataclass(frozen=True)
class LmsName:
    """What an LMS download's name says: whose file it is and what it was called."""

    lms: str  # "canvas" or "moodle"
    user: str  # Canvas user id, Moodle participant id
    name: str  # the person's name as the download spells it
    file: str  # the file's own name ("" for a Moodle folder)
    late: bool = False  # Canvas's late marker
    online_text: bool = False  # an online text entry, not a file the student uploaded


def parse_lms_name(name: str) -> LmsName | None:
    """The LMS fields of a Canvas file name, or of a Moodle folder or flat file name."""
    for lms, pattern in (("moodle", _MOODLE), ("canvas", _CANVAS), ("canvas", _CANVAS_TEXT)):
        match = pattern.match(name)
        if match is None:
            continue
        fields = match.groupdict()
        online = fields.get("plugin") == "onlinetext" or pattern is _CANVAS_TEXT
        return LmsName(
            lms,
            fields["id"],
            fields["name"],
            name if pattern is _CANVAS_TEXT else fields["file"],
            late=fields.get("late") is not None,
            online_text=online,
        )
    return None


def resubmission(stem: str) -> tuple[str, int]:
    """A file stem without a resubmission suffix, and its number (0: none):
    ``optimizers-2`` → (``optimizers``, 2)."""
    match = _RESUBMISSION.match(stem)
    if not match or not match.group("stem"):
        return stem, 0
    return match.group("stem"), int(match.group("n") or match.group("p"))


def printable(text: str) -> str:
    """``text`` in NFC, and printable (``str.isprintable``): a space of another width is a
    space, and every other character that does not print (controls, terminal escapes among
    them, bidi overrides, zero-width and private-use characters, lone surrogates, separators)
    is written as a visible escape (``\\x1b``)."""
    text = unicodedata.normalize("NFC", text) if not text.isascii() else text
    if text.isprintable():
        return text
    return "".join(_printable_char(char) for char in text)


def _printable_char(char: str) -> str:
    if char.isprintable():
        return char
    return " " if unicodedata.category(char) == "Zs" else _escape(char)


def _escape(char: str) -> str:
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def decode_name(raw: bytes, *, legacy: str | None = None) -> str:
    """A name's bytes as printable text: UTF-8, else cp949 (Korean Windows), else ``legacy``
    (the zip format's own cp437 for an archive entry), else with the bytes escaped."""
    for encoding in ("utf-8", "cp949", legacy):
        if encoding is None:
            continue
        try:
            return printable(raw.decode(encoding))
        except UnicodeDecodeError:
            continue
    return printable(raw.decode("utf-8", "backslashreplace"))


def disk_name(name: str) -> str:
    """A name as Python got it from the file system (undecodable bytes as lone surrogates),
    decoded as :func:`decode_name` does."""
    if name.isascii() and name.isprintable():
        return name  # nearly every name: nothing to decode or escape
    return decode_name(os.fsencode(name))


def shown_path(path: os.PathLike[str] | str) -> str:
    """A path of the TA's, printable (for messages)."""
    return disk_name(os.fspath(path))


def clean_id(text: str) -> str:
    """A student id: printable, without surrounding blanks, never empty, bounded in length."""
    student = printable(text).strip() or "_"
    if len(student) <= MAX_ID_CHARS:
        return student
    tail = hashlib.sha256(student.encode()).hexdigest()[:10]
    return f"{student[: MAX_ID_CHARS - 11]}~{tail}"


def lms_id(name: str) -> str | None:
    """The LMS user id a file or folder name carries (Canvas file, Moodle folder), if any."""
    parsed = parse_lms_name(name)
    return parsed.user if parsed else None


def is_moodle_folder(name: str) -> bool:
    """A Moodle per-student folder (its name ends where the file name would start)."""
    match = _MOODLE.match(name)
    return match is not None and not match.group("file")


def student_id_from_name(name: str) -> str:
    """The student id in an LMS file or folder name, else the name's stem."""
    stem = PurePosixPath(name).name
    return clean_id(lms_id(stem) or PurePosixPath(stem).stem)


def student_id_from_folder(name: str) -> str:
    """The student id of a per-student folder: its LMS id (Moodle), else its whole name."""
    match = _MOODLE.match(name)
    return clean_id(match.group("id") if match else name)
