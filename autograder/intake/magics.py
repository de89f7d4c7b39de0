"""IPython magics and shell escapes in a code cell, made harmless Python."""

from __future__ import annotations

import re

_MAGIC_LINE = re.compile(r"^(\s*)([%!].*)$")
_SHELL_ASSIGN = re.compile(r"^(\s*[\w, ]+=\s*)(!.*)$")


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
