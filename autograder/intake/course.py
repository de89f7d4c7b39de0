"""The cells a course notebook brings with it, told apart from the cells a student wrote.

``optigrade assign`` writes, around each solution cell, cells that are the course's: a setup
cell (the reference's imports, then ``from checks import check, pyplot, ready``), a public
check cell per item (``check("Adam")``) and experiment cells (plots that call ``ready`` and
``pyplot``). ``checks.py`` is not in the sandbox, so run as they are these cells fail with
``ModuleNotFoundError`` and ``NameError``, which are not the student's errors.

A cell's metadata cannot decide this: it is the student's file, and a role such as
``experiment`` put on a cell holding the student's ``Adam`` would hide that code from grading.
So what a cell is comes from its content:

* a check or experiment cell exactly as the build wrote it (up to trailing spaces and blank
  lines), or a cell of nothing but ``check("...")`` calls, is not run at all;
* the setup cell exactly as the build wrote it runs (its imports are needed), and an error in
  it is not the student's to read;
* every other cell is the student's: it runs and its errors are reported, whatever its
  metadata says.

In every cell, ``from checks import …`` and ``import checks`` become ``pass``, and a prelude
cell (never reported) binds ``check``, ``ready``, ``pyplot`` and ``checks`` to harmless
stand-ins: a student's own cell that calls ``check("Adam")`` or an edited experiment
(``ready`` answers "not ready", so it draws nothing) still runs cleanly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Run before the student's cells, never reported: the public checks' names as stand-ins.
PRELUDE = (
    "def check(*args, **kwargs):  # optigrade: public checks do not run while grading\n"
    "    return None\n"
    "\n"
    "\n"
    "ready = pyplot = check\n"
    "import types as _optigrade_types\n"
    "\n"
    "checks = _optigrade_types.SimpleNamespace(check=check, ready=ready, pyplot=pyplot)\n"
    "del _optigrade_types\n"
)

_CHECK_CALL = re.compile(r"""check\(\s*(?:"[^"\\\n]*"|'[^'\\\n]*')\s*\)\s*;?\s*(?:#.*)?""")
_CHECKS_IMPORT = re.compile(r"(?:from\s+checks\s+import\b|import\s+checks\s*(?:$|#|;))")


def normalised(source: str) -> str:
    """A cell's source as compared with the build's: trailing spaces and outer blank lines
    dropped, line endings unified (Jupyter, Colab and editors differ in these only)."""
    return "\n".join(line.rstrip() for line in source.splitlines()).strip("\n")


@dataclass(frozen=True)
class CourseCells:
    """The code cells the build writes for one assignment, normalised, by what grading does."""

    setup: frozenset[str]
    skipped: frozenset[str]

    @classmethod
    def of(cls, assignment: str) -> CourseCells:
        """The cells of ``assignment``'s notebook (any language: the code cells are the same)."""
        # Here: only grading workers need the builder (and its Jinja and nbformat imports).
        from assignments.cells import course_cells
        from assignments.reference import Reference

        cells = course_cells(Reference.load(assignment))
        return cls(
            setup=frozenset(map(normalised, cells["setup"])),
            skipped=frozenset(normalised(c) for c in (*cells["check"], *cells["experiment"])),
        )

    def kind(self, source: str) -> str:
        """``skip`` (not run), ``course`` (run, errors not the student's) or ``own``."""
        text = normalised(source)
        if text in self.skipped or _only_check_calls(text):
            return "skip"
        if text in self.setup:
            return "course"
        return "own"


def _only_check_calls(text: str) -> bool:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return bool(lines) and all(_CHECK_CALL.fullmatch(line) for line in lines)


def without_checks_import(source: str) -> str:
    """``source`` with every import of the public checks made ``pass`` (indent kept; a
    parenthesised name list over several lines goes with it)."""
    if "checks" not in source:
        return source
    lines = source.split("\n")
    out: list[str] = []
    open_list = False
    for line in lines:
        body = line.lstrip()
        if open_list:
            out.append("")
            open_list = ")" not in body
            continue
        if _CHECKS_IMPORT.match(body):
            indent = line[: len(line) - len(body)]
            out.append(f"{indent}pass  # optigrade: the public checks are not imported")
            open_list = "(" in body and ")" not in body
            continue
        out.append(line)
    return "\n".join(out)
