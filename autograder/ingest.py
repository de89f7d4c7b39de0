"""From what a TA hands us (files, folders, LMS zips) to each student's code cells.

Everything here reads untrusted files, so every step is bounded and every failure becomes a
recorded status with a reason instead of an exception: an unreadable notebook is a row in the
gradebook, not a crashed batch.

* Notebooks are read with nbformat (version 3 upgraded to 4) and validated; code cells are
  taken in order, except those the assignment notebook marks as public checks or experiments
  (``metadata.optigrade.role``, see ``docs/NOTEBOOKS.md``), and IPython magics and shell
  lines are neutralised, since they are not Python.
* A ``.py`` file is split into cells at ``# %%`` markers (the Jupytext/VS Code convention), so
  that a syntax error in one part does not cost the rest.
* Zips are extracted with limits on entry count, total size and paths; Canvas and Moodle
  naming conventions give the student id.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 20_000
MAX_ZIP_BYTES = 2 * 1024**3
MAX_CODE_CHARS = 2_000_000
SUBMISSION_SUFFIXES = (".ipynb", ".py")
SKIPPED_ROLES = frozenset({"check", "experiment", "prose"})

# Canvas: <name>_<userid>_<submissionid>_<original file name>, with "_LATE" after the name.
_CANVAS = re.compile(r"^(?P<name>[a-z0-9]+)(?:_late)?_(?P<id>\d+)_(?P<sub>\d+)_(?P<file>.+)$", re.I)
# Moodle: "<Full Name>_<id>_assignsubmission_file_/<file>" (a folder per student).
_MOODLE = re.compile(r"^(?P<name>.+?)_(?P<id>\d+)_assignsubmission_(?:file|onlinetext)_?$")
_MAGIC_LINE = re.compile(r"^(\s*)([%!].*)$")
_SHELL_ASSIGN = re.compile(r"^(\s*[\w, ]+=\s*)(!.*)$")


@dataclass
class SubmissionFile:
    """One file of one student's submission, as found on disk."""

    student: str
    path: Path


@dataclass
class Ingested:
    """A student's code, ready for the sandbox, or the reason it is not."""

    student: str
    files: list[str]
    content_hash: str
    cells: list[str] = field(default_factory=list)
    status: str = "ok"  # ok, unreadable, empty, too_large
    reason: str = ""
    notes: list[str] = field(default_factory=list)


class IngestError(Exception):
    """The TA's input itself is unusable (a path that does not exist, a corrupt zip)."""


def student_id_from_name(name: str) -> str:
    """The student id in an LMS file or folder name, else the name's stem."""
    stem = PurePosixPath(name).name
    for pattern in (_CANVAS, _MOODLE):
        match = pattern.match(stem)
        if match:
            return match.group("id")
    return PurePosixPath(stem).stem


def discover(paths: list[Path], scratch: Path) -> list[SubmissionFile]:
    """Expand files, folders and zips into submission files, each with its student id."""
    found: list[SubmissionFile] = []
    for path in paths:
        if not path.exists():
            raise IngestError(f"{path}: no such file or folder")
        if path.is_dir():
            found.extend(_from_folder(path))
        elif zipfile.is_zipfile(path):
            target = (
                scratch / f"zip-{hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]}"
            )
            _safe_extract(path, target)
            found.extend(_from_folder(target))
        else:
            found.append(SubmissionFile(student_id_from_name(path.name), path))
    return found


def _from_folder(root: Path) -> list[SubmissionFile]:
    files = []
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.suffix.lower() not in SUBMISSION_SUFFIXES:
            continue
        if any(part.startswith(".") or part == "__MACOSX" for part in path.relative_to(root).parts):
            continue
        relative = path.relative_to(root)
        # Moodle puts each student's files in a folder named after them; Canvas names files.
        owner = relative.parts[0] if len(relative.parts) > 1 else relative.name
        student = (
            student_id_from_name(owner)
            if _MOODLE.match(owner)
            else student_id_from_name(relative.name)
        )
        files.append(SubmissionFile(student, path))
    return files


def _safe_extract(archive: Path, target: Path) -> None:
    try:
        with zipfile.ZipFile(archive) as zf:
            entries = zf.infolist()
            if len(entries) > MAX_ZIP_ENTRIES:
                raise IngestError(f"{archive}: more than {MAX_ZIP_ENTRIES} entries")
            if sum(e.file_size for e in entries) > MAX_ZIP_BYTES:
                raise IngestError(f"{archive}: expands to more than {MAX_ZIP_BYTES} bytes")
            for entry in entries:
                name = PurePosixPath(entry.filename.replace("\\", "/"))
                if entry.is_dir() or name.is_absolute() or ".." in name.parts:
                    continue  # directories are implied; absolute or climbing paths are refused
                if (
                    name.suffix.lower() not in SUBMISSION_SUFFIXES
                    or entry.file_size > MAX_FILE_BYTES
                ):
                    continue
                destination = target.joinpath(*name.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(entry) as source, open(destination, "wb") as sink:
                    sink.write(source.read(MAX_FILE_BYTES + 1)[:MAX_FILE_BYTES])
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, RuntimeError) as exc:
        raise IngestError(f"{archive}: not a readable zip ({exc})") from exc


def group_by_student(files: list[SubmissionFile]) -> dict[str, list[Path]]:
    grouped: dict[str, list[Path]] = {}
    for entry in files:
        grouped.setdefault(entry.student, []).append(entry.path)
    return grouped


def content_hash(paths: list[Path]) -> str:
    return _read_files(paths)[0]


def _read_files(paths: list[Path]) -> tuple[str, dict[Path, bytes | OSError]]:
    """The submission's content hash, and each file's bytes (at most one byte past the
    limit) or why it could not be read: every file is read once, for both."""
    digest = hashlib.sha256()
    contents: dict[Path, bytes | OSError] = {}
    for path in sorted(paths):
        digest.update(path.name.encode())
        try:
            with open(path, "rb") as handle:
                # Sized to the file: a read of the limit itself allocates 50 MB every time.
                size = os.fstat(handle.fileno()).st_size
                contents[path] = handle.read(min(size, MAX_FILE_BYTES) + 1)
        except OSError as exc:
            contents[path] = exc
            digest.update(f"unreadable:{exc}".encode())
            continue
        digest.update(contents[path])
    return digest.hexdigest(), contents


def ingest(student: str, paths: list[Path]) -> Ingested:
    """Read a student's files into code cells; never raises for a bad file."""
    digest, contents = _read_files(paths)
    result = Ingested(student, [str(p) for p in paths], digest)
    problems: list[tuple[str, str]] = []
    for path, raw in contents.items():
        try:
            if isinstance(raw, OSError):
                raise raw
            if len(raw) > MAX_FILE_BYTES:
                size = path.stat().st_size
                problems.append(
                    ("too_large", f"{path.name}: {size} bytes, the limit is {MAX_FILE_BYTES}")
                )
                continue
            if not raw.strip():
                continue  # an empty file: no code (the status says "empty", not "unreadable")
            cells = (
                _notebook_cells(raw, result) if path.suffix.lower() == ".ipynb" else _py_cells(raw)
            )
        except _Unreadable as exc:
            problems.append(("unreadable", f"{path.name}: {exc}"))
            continue
        except OSError as exc:
            problems.append(("unreadable", f"{path.name}: {exc.strerror}"))
            continue
        result.cells.extend(neutralise_magics(cell) for cell in cells)
    if sum(len(c) for c in result.cells) > MAX_CODE_CHARS:
        result.status, result.reason, result.cells = (
            "too_large",
            f"more than {MAX_CODE_CHARS} characters of code",
            [],
        )
    elif not any(cell.strip() for cell in result.cells):
        result.cells = []
        if problems:
            result.status, result.reason = problems[0][0], "; ".join(p[1] for p in problems)
        else:
            result.status, result.reason = "empty", "no code found"
    elif problems:
        result.notes.extend(p[1] for p in problems)
    return result


class _Unreadable(Exception):
    pass


def _decode_text(raw: bytes) -> str:
    if b"\x00" in raw[:8192]:
        raise _Unreadable("binary content, not text")
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise _Unreadable("not UTF-8 text") from None


def _notebook_cells(raw: bytes, result: Ingested) -> list[str]:
    text = _decode_text(raw)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _Unreadable(f"not a notebook (invalid JSON at line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise _Unreadable("not a notebook (JSON is not an object)")
    if data.get("nbformat") != 4:
        data = _upgraded(text, data, result)
    cells = data.get("cells", [])
    if not isinstance(cells, list):
        raise _Unreadable("not a readable notebook (its cells are not a list)")
    code = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        meta = cell.get("metadata")
        meta = meta.get("optigrade") if isinstance(meta, dict) else None
        if isinstance(meta, dict) and meta.get("role") in SKIPPED_ROLES:
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            with contextlib.suppress(TypeError):  # a line that is not text: refused below
                source = "".join(source)
        if not isinstance(source, str):
            raise _Unreadable(
                f"not a readable notebook (cell {number}: its source is neither text nor lines)"
            )
        code.append(source)
    return code


def _upgraded(text: str, data: dict, result: Ingested) -> dict:
    """A notebook of another format version, converted to version 4 by nbformat.

    Version 4 notebooks are read as plain JSON instead: all the grader needs is each cell's
    type, role and source, and nbformat's schema validation (which only logs what it finds)
    took longer than everything else about reading a notebook.
    """
    try:
        import nbformat  # here: the batch's main process only finds and hashes files

        notebook = nbformat.reads(text, as_version=4)
    except Exception as exc:
        raise _Unreadable(
            f"not a readable notebook ({type(exc).__name__}: {str(exc)[:200]})"
        ) from None
    version = data.get("nbformat")
    if isinstance(version, int) and version < 4:
        result.notes.append(f"upgraded from nbformat {version} to 4")
    return notebook


#: The smallest notebook of an older format version: upgrading it loads nbformat and compiles
#: its schema validators, which the first such notebook of a batch would otherwise pay for.
_TINY_V3_NOTEBOOK = '{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}'


def warm_up() -> None:
    """Load what reading an older notebook needs (nbformat, its validators), ahead of time.

    The batch's worker server calls it before forking workers (``autograder.preload``), so
    that each worker has it for free: about 0.25 s of CPU per worker otherwise. Best effort:
    if it fails, the first older notebook pays as before (and meets the same failure there).
    """
    with contextlib.suppress(Exception):
        _upgraded(_TINY_V3_NOTEBOOK, json.loads(_TINY_V3_NOTEBOOK), Ingested("", [], ""))


def _py_cells(raw: bytes) -> list[str]:
    text = _decode_text(raw)
    parts = re.split(r"(?m)^# ?%%.*$", text)
    return [part for part in parts if part.strip()]


def neutralise_magics(source: str) -> str:
    """IPython magics and shell escapes become comments; a ``%%`` cell magic empties the cell."""
    if source.lstrip().startswith("%%"):
        return "pass  # optigrade: cell magic removed\n"
    if "%" not in source and "!" not in source:  # most cells: no line can be a magic
        return "\n".join(source.splitlines()) + "\n"
    lines = []
    for line in source.splitlines():
        if "%" not in line and "!" not in line:  # most lines: neither pattern can match
            lines.append(line)
            continue
        assigned = _SHELL_ASSIGN.match(line)
        if assigned:
            line = f"{assigned.group(1)}None  # optigrade: shell escape removed"
        else:
            magic = _MAGIC_LINE.match(line)
            if magic and not _inside_expression(lines):
                line = f"{magic.group(1)}pass  # optigrade: removed {magic.group(2)[:60]!r}"
        lines.append(line)
    return "\n".join(lines) + "\n"


def _inside_expression(previous: list[str]) -> bool:
    # A line starting with % after an open bracket or a backslash is Python (the modulo operator).
    if not previous:
        return False
    last = previous[-1].rstrip()
    joined = "\n".join(previous)
    return (
        last.endswith("\\")
        or joined.count("(") > joined.count(")")
        or joined.count("[") > joined.count("]")
    )
