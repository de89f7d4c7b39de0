"""One student's files to code cells, in a grading worker; never raises for a bad file.

* Notebooks are read as plain JSON, never through nbformat (versions 2 and 3 from their
  worksheets, see :data:`_WORKSHEET_VERSIONS`; other versions are unreadable); code cells are
  taken in order, except the course's own check and experiment cells, told apart by their
  content, never by their metadata (:mod:`autograder.intake.course`). Any other shape of JSON
  (a role that is a list, a source that is a number, nesting deep enough to exhaust the parser)
  is a reason, not an exception.
* A ``.py`` file is split into cells at ``# %%`` markers (the Jupytext/VS Code convention), so
  that a syntax error in one part does not cost the rest.
* Each file is opened once, without following a link (:mod:`autograder.intake.files`), and read
  once for both the content hash and the cells.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from autograder.intake import texts
from autograder.intake.course import PRELUDE, CourseCells, without_checks_import
from autograder.intake.files import NotAFile, read_regular
from autograder.intake.magics import neutralise_magics
from autograder.intake.names import disk_name
from optigrade.i18n import Text

MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_CODE_CHARS = 2_000_000
#: Recognises no course cell: only ``check("...")`` cells are skipped, imports of the checks
#: neutralised (for a submission graded without its assignment's notebook at hand).
NO_COURSE = CourseCells(frozenset(), frozenset())
#: Longest first line of a cell kept to name it in the feedback.
FIRST_LINE_CHARS = 80
#: A JSON escape of a UTF-16 surrogate: the only way a lone one gets into a decoded notebook.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True)
class CellOrigin:
    """Where a cell sent to the sandbox comes from, as the student sees it in Jupyter."""

    number: int  # its position among the file's code cells, from 1
    first_line: str  # its first non-blank line (cut), which the student recognises it by
    own: bool  # the student's (wrote or changed it): only these cells' errors are reported


@dataclass
class Ingested:
    """A student's code, ready for the sandbox, or the reason it is not."""

    student: str
    files: list[str]  # each file's name in the submission (an archive entry's own name)
    content_hash: str
    cells: list[str] = field(default_factory=list)
    origins: list[CellOrigin] = field(default_factory=list)  # one per cell
    status: str = "ok"  # ok, unreadable, empty, too_large, refused
    reason: str = ""
    notes: list[str] = field(default_factory=list)

    def runnable(self) -> list[str]:
        """The cells the sandbox runs: the grader's prelude (the public checks' stand-ins,
        :mod:`autograder.intake.course`), then :attr:`cells`. Cell *k* of the sandbox is
        ``cells[k - 1]``."""
        return [PRELUDE, *self.cells]


def _named(paths: list[Path], names: list[str] | None) -> list[tuple[str, Path]]:
    """Each file with its name, in the order they are hashed and read (by name, then path)."""
    shown = names if names else [disk_name(Path(p).name) for p in paths]
    return sorted(zip(shown, paths, strict=True), key=lambda pair: (pair[0], str(pair[1])))


def content_hash(
    paths: list[Path],
    names: list[str] | None = None,
    refused: list[str] | tuple = (),
    notes: list[str] | tuple = (),
) -> str:
    """The hash :func:`ingest` records for these files: the batch skips a student whose hash
    and suite version are already in the gradebook."""
    return _read_files(_named(paths, names), refused, notes)[0]


def _read_files(
    named: list[tuple[str, Path]], refused: list[str] | tuple, notes: list[str] | tuple = ()
) -> tuple[str, list[tuple[str, bytes | NotAFile | OSError, int]]]:
    """The submission's content hash, and each file's bytes (at most one byte past the
    limit) and size, or why it could not be read: every file is read once, for both."""
    digest = hashlib.sha256()
    contents: list[tuple[str, bytes | NotAFile | OSError, int]] = []
    for name, path in named:
        # The file's own name, as before archive entries had names of their own: an
        # upgrade does not make every stored hash stale.
        digest.update(PurePosixPath(name).name.encode())
        try:
            raw, size = read_regular(path, MAX_FILE_BYTES)
        except (NotAFile, OSError) as exc:
            contents.append((name, exc, 0))
            digest.update(f"unreadable:{_why(exc)}".encode())
            continue
        contents.append((name, raw, size))
        digest.update(raw)
    for line in refused:
        digest.update(f"refused:{line}".encode())
    # Which file was chosen of several, and why: another choice is another submission.
    for line in notes:
        digest.update(f"note:{line}".encode())
    return digest.hexdigest(), contents


def _why(exc: NotAFile | OSError) -> str:
    # Never the path: it may be in a scratch folder that changes from run to run.
    return str(exc) if isinstance(exc, NotAFile) else (exc.strerror or type(exc).__name__)


def ingest(
    student: str,
    paths: list[Path],
    names: list[str] | None = None,
    refused: list[str] | tuple = (),
    course: CourseCells = NO_COURSE,
    notes: list[str] | tuple = (),
) -> Ingested:
    """Read a student's files into code cells; never raises for a bad file.

    ``names`` are the files' names in the submission (default: each path's own name);
    ``refused`` are the entries intake already refused for this student ("name: reason"),
    which make the status ``refused`` when nothing else can be graded, else notes.
    ``course`` are the assignment notebook's own cells (skipped, or run without reporting).
    ``notes`` are intake's own (which of several files was graded): the first notes.
    """
    named = _named(paths, names)
    digest, contents = _read_files(named, refused, notes)
    result = Ingested(student, [name for name, _ in named], digest, notes=list(notes))
    problems: list[tuple[str, str]] = [("refused", line) for line in refused]
    for name, raw, size in contents:
        shown = PurePosixPath(name).name
        if isinstance(raw, NotAFile):
            problems.append(("refused", f"{shown}: {raw}"))
            continue
        if isinstance(raw, OSError):
            problems.append(("unreadable", f"{shown}: {_why(raw)}"))
            continue
        if len(raw) > MAX_FILE_BYTES:
            problems.append(("too_large", f"{shown}: {size} bytes, the limit is {MAX_FILE_BYTES}"))
            continue
        if not raw.strip():
            continue  # an empty file: no code (the status says "empty", not "unreadable")
        try:
            notebook = shown.lower().endswith(".ipynb")
            cells = _notebook_cells(raw, result) if notebook else _py_cells(raw)
        except _Unreadable as exc:
            problems.append(("unreadable", f"{shown}: {exc}"))
            continue
        for number, source in enumerate(cells, 1):
            kind = course.kind(source)
            if kind == "skip":
                continue
            result.cells.append(neutralise_magics(without_checks_import(source)))
            result.origins.append(CellOrigin(number, _first_line(source), kind == "own"))
    if sum(len(c) for c in result.cells) > MAX_CODE_CHARS:
        result.status, result.reason, result.cells = (
            "too_large",
            f"more than {MAX_CODE_CHARS} characters of code",
            [],
        )
        result.origins = []
    elif not any(cell.strip() for cell in result.cells):
        result.cells, result.origins = [], []
        if problems:
            result.status, result.reason = problems[0][0], "; ".join(p[1] for p in problems)
        else:
            result.status, result.reason = "empty", "no code found"
    elif problems:
        result.notes.extend(p[1] for p in problems)
    return result


def _first_line(source: str) -> str:
    for line in source.splitlines():
        if line.strip():
            line = line.strip()
            return line if len(line) <= FIRST_LINE_CHARS else line[: FIRST_LINE_CHARS - 1] + "…"
    return ""


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
    except (ValueError, RecursionError) as exc:  # an integer of 5,000 digits, deep nesting
        raise _Unreadable(f"not a notebook (JSON beyond limits: {type(exc).__name__})") from None
    if not isinstance(data, dict):
        raise _Unreadable("not a notebook (JSON is not an object)")
    version = data.get("nbformat")
    older = version in _WORKSHEET_VERSIONS
    if version == 4:
        cells, key = _listed(data.get("cells", []), texts.CELLS_NOT_A_LIST), "source"
    elif older:
        cells, key = _worksheet_cells(data), "input"
    else:
        raise _Unreadable(texts.say(texts.NOTEBOOK_VERSION, version=_shown_value(version)))
    code = []
    for number, cell in enumerate(cells, 1):
        if not isinstance(cell, dict) or cell.get("cell_type") != "code":
            continue
        source = cell.get(key, "")
        if isinstance(source, list):
            with contextlib.suppress(TypeError):  # a line that is not text: refused below
                source = "".join(source)
        if not isinstance(source, str):
            raise _Unreadable(texts.say(texts.SOURCE_NOT_TEXT, number=number))
        code.append(source)
    if _SURROGATE_ESCAPE.search(text):
        # "\ud800" alone in the JSON is a character no encoder takes (the sandbox's channel,
        # SQLite, a file): it becomes U+FFFD, as a UTF-8 decoder would make it.
        code = [_SURROGATE.sub("\ufffd", source) for source in code]
    if older:  # said only of a notebook that could be read
        result.notes.append(texts.say(texts.OLDER_NOTEBOOK, version=int(version)))
    return code


#: Versions 2 and 3 (IPython 0.12 to 2.x) keep their cells in worksheets and a code cell's
#: source under "input"; everything else the grader needs (type, role, source as text or
#: lines) is where version 4 has it. They are read from the parsed JSON in one pass, like
#: version 4: nbformat's upgrade and schema validation cost about 0.3 ms a cell in the worker,
#: outside every time limit (a 9 MB notebook of 150,000 Markdown cells held a worker 30 s).
_WORKSHEET_VERSIONS = (2, 3)


def _listed(value: object, text: Text, /, **values: object) -> list:
    """``value`` if it is a list, else the notebook is unreadable for the reason ``text``."""
    if not isinstance(value, list):
        raise _Unreadable(texts.say(text, **values))
    return value


def _worksheet_cells(data: dict) -> list:
    """The cells of every worksheet of a version 2 or 3 notebook, in order (nbformat's upgrade
    flattened them the same way)."""
    cells: list = []
    worksheets = _listed(data.get("worksheets", []), texts.WORKSHEETS_NOT_A_LIST)
    for number, worksheet in enumerate(worksheets, 1):
        if not isinstance(worksheet, dict):
            raise _Unreadable(texts.say(texts.WORKSHEET_NOT_AN_OBJECT, number=number))
        cells += _listed(worksheet.get("cells", []), texts.WORKSHEET_CELLS, number=number)
    return cells


def _shown_value(value: object) -> str:
    """A JSON value of the notebook as a reason may quote it: short, and printable (``repr``
    escapes controls and lone surrogates)."""
    shown = repr(value)
    return shown if len(shown) <= 20 else shown[:20] + "…"


#: The smallest notebook of an older format version.
_TINY_V3_NOTEBOOK = b'{"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": []}'


def warm_up() -> None:
    """Load what reading a notebook loads lazily (the ``utf-8-sig`` codec), ahead of time.

    The batch's worker server calls it before forking workers (``autograder.preload``), so
    that no worker pays for it. Notebooks of every version are read from their JSON: nbformat,
    which an older notebook once cost 0.25 s of CPU to load, is no longer needed.
    """
    with contextlib.suppress(_Unreadable):
        _notebook_cells(_TINY_V3_NOTEBOOK, Ingested("", [], ""))


def _py_cells(raw: bytes) -> list[str]:
    text = _decode_text(raw)
    parts = re.split(r"(?m)^# ?%%.*$", text)
    return [part for part in parts if part.strip()]
