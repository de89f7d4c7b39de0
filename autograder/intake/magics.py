"""IPython magics and shell escapes in a code cell, made harmless Python.

Linear in the size of the cell whatever it holds: a cell is student input, and a hundred
thousand magic-like lines must cost milliseconds, not the minutes a rescan of the lines
before each one would.
"""

from __future__ import annotations

import string

_ASSIGNABLE = frozenset(string.ascii_letters + string.digits + "_, ")


def neutralise_magics(source: str) -> str:
    """IPython magics and shell escapes become comments; a ``%%`` cell magic empties the cell."""
    if source.lstrip().startswith("%%"):
        return "pass  # optigrade: cell magic removed\n"
    if "%" not in source and "!" not in source:  # most cells: no line can be a magic
        return "\n".join(source.splitlines()) + "\n"
    lines: list[str] = []
    brackets = _Brackets()
    for line in source.splitlines():
        if "%" in line or "!" in line:  # other lines cannot be magics
            line = _neutralised(line, brackets.open_before(lines))
        brackets.add(line)
        lines.append(line)
    return "\n".join(lines) + "\n"


def _neutralised(line: str, inside_expression: bool) -> str:
    indent = line[: len(line) - len(line.lstrip())]
    body = line[len(indent) :]
    target = _shell_assignment_target(body)
    if target is not None:
        return f"{indent}{target}None  # optigrade: shell escape removed"
    if body[:1] in ("%", "!") and not inside_expression:
        return f"{indent}pass  # optigrade: removed {body[:60]!r}"
    return line


def _shell_assignment_target(body: str) -> str | None:
    """``files = !ls`` → ``"files = "``; ``None`` for anything else."""
    equals = body.find("=")
    if equals <= 0 or not body[:equals].strip() or not set(body[:equals]) <= _ASSIGNABLE:
        return None
    rest = body[equals + 1 :]
    value = rest.lstrip()
    if not value.startswith("!"):
        return None
    return body[: equals + 1] + rest[: len(rest) - len(value)]


class _Brackets:
    """Whether the lines so far leave a bracket or a backslash continuation open, counted as
    the lines arrive (a line starting with ``%`` inside an expression is Python's modulo)."""

    def __init__(self) -> None:
        self.round = 0
        self.square = 0
        self.continued = False

    def add(self, line: str) -> None:
        self.round += line.count("(") - line.count(")")
        self.square += line.count("[") - line.count("]")
        self.continued = line.rstrip().endswith("\\")

    def open_before(self, lines: list[str]) -> bool:
        return bool(lines) and (self.continued or self.round > 0 or self.square > 0)
