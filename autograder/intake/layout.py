"""Whose file is it: the layout rule that gives every file found under a root its student.

Under a root (a folder or an archive the TA passed):

* a file directly in the root belongs to the student its name says: the LMS user id of a Canvas
  name (``kimminsu_12345_67890_optimizers.ipynb`` → ``12345``) or of a Moodle download without
  folders (``Lee Jiwoo_5002_assignsubmission_file_optimizers.ipynb`` → ``5002``), else the
  name's stem;
* a file inside a folder belongs to the student that folder is: a Moodle folder's user id
  (``Park Seoyeon_55555_assignsubmission_file_/`` → ``55555``), else the folder's whole name
  (``alice/optimizers.ipynb`` → ``alice``), however deep the file lies in it;
* a root that holds nothing but one folder (not a Moodle one) is a wrapper, and that folder is
  the root instead (a class zipped with its folder, ``class/alice.ipynb``).

A per-student folder that holds the files of several LMS users, or several notebooks, would
mix people's work: all its files are refused with the reason (pass that folder itself).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from autograder.intake import texts
from autograder.intake.names import (
    is_moodle_folder,
    lms_id,
    student_id_from_folder,
    student_id_from_name,
)


@dataclass
class Found:
    """One thing found under a root: a file to grade, or one refused with its reason."""

    parts: tuple[str, ...]  # its path under the root, decoded
    origin: str  # where it is, as the TA named it (for the TA's messages)
    path: Path | None = None  # a file to read; None when refused
    reason: str = ""  # why it was refused
    identity: tuple[int, int] | None = None  # (st_dev, st_ino) of a file on disk
    base: str = ""  # the root's own name: with ``parts``, where it is for the student
    code: str = ""  # why it was refused, for the provenance ("online-text", ...; "": other)
    when: datetime | None = None  # a zip entry's time (naive) or a file's mtime (aware)
    when_source: str | None = None  # "zip-entry" or "file-mtime"

    @property
    def label(self) -> str:
        """Where it is, without the TA's folders above the root (the student reads it)."""
        return "/".join((self.base, *self.parts)) if self.base else self.origin

    @property
    def notebook(self) -> bool:
        return self.path is not None and self.parts[-1].lower().endswith(".ipynb")

    def refuse(self, reason: str, code: str = "") -> Found:
        return replace(self, path=None, reason=reason, code=code)


#: A group of files that may share a student: files named directly in one folder, one Moodle
#: download, or one per-student folder. Two groups giving one id are two people.
Unit = tuple[Hashable, ...]


def wrapper_depth(found: list[Found]) -> int:
    """How many leading folders all of ``found`` share that are wrappers, not students."""
    depth = 0
    while found and all(len(f.parts) > depth + 1 for f in found):
        first = {f.parts[depth] for f in found}
        if len(first) != 1 or is_moodle_folder(next(iter(first))):
            break
        depth += 1
    return depth


def assign(found: list[Found], root: Hashable, shown: str) -> list[tuple[str, Unit, Found]]:
    """Each of ``found`` (everything under one root) with its student id and unit.

    ``root`` identifies the root (files found twice under one root share their units) and
    ``shown`` is how the TA named it.
    """
    depth = wrapper_depth(found)
    assigned: list[tuple[str, Unit, Found]] = []
    folders: dict[str, list[Found]] = {}
    for item in found:
        prefix, parts = item.parts[:depth], item.parts[depth:]
        if len(parts) == 1:
            assigned.append((student_id_from_name(parts[0]), (root, prefix, "names"), item))
        elif is_moodle_folder(parts[0]):
            assigned.append((student_id_from_folder(parts[0]), (root, prefix, "moodle"), item))
        else:
            folders.setdefault(parts[0], []).append(item)
    for folder, items in folders.items():
        prefix = items[0].parts[:depth]
        reason = _mixes_people("/".join((shown, *prefix, folder)), items, depth + 1)
        student = student_id_from_folder(folder)
        unit = (root, prefix, "folder", folder)
        assigned.extend((student, unit, i.refuse(reason) if reason else i) for i in items)
    return assigned


def _mixes_people(folder: str, items: list[Found], depth: int) -> str:
    """Why a per-student folder cannot be one student's, or "" if it can."""
    ids = {lms_id(part) for item in items for part in item.parts[depth:]} - {None}
    if len(ids) > 1:
        return texts.say(
            texts.SEVERAL_STUDENTS_IN_FOLDER, folder=folder, ids=", ".join(sorted(ids)[:5])
        )
    notebooks = sorted("/".join(i.parts[depth:]) for i in items if i.notebook)
    if len(notebooks) > 1:
        listed = ", ".join(notebooks[:3]) + (", …" if len(notebooks) > 3 else "")
        return texts.say(
            texts.SEVERAL_NOTEBOOKS_IN_FOLDER, folder=folder, count=len(notebooks), files=listed
        )
    return ""
