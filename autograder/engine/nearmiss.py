"""What the assignment asks for, next to what a student wrote instead.

Most submissions that lose a whole item are one name or one argument away from it: ``RMSprop``
for ``RMSProp``, ``SDG`` for ``SGD``, a hard-coded ε where the specification asks for an
``eps`` argument. The grader says so instead of "not defined" once per test: the worker finds
the defined name nearest to a missing one (:func:`near_name`), and the feedback names the
signature the course asks for (:func:`signature`) and the argument an error shows missing
(:func:`unexpected_argument`).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable

import solutions

#: Names the grader's prelude binds in every sandbox (autograder.intake.course): never a
#: student's attempt at an item.
_PRELUDE_NAMES = frozenset({"check", "ready", "pyplot", "checks"})
_UNEXPECTED = re.compile(r"unexpected keyword argument '([A-Za-z_]\w{0,60})'")


def _distance(a: str, b: str) -> int:
    """Edit distance counting a swap of two neighbours as one edit (``SDG`` → ``SGD``)."""
    rows = [list(range(len(b) + 1))]
    for i in range(1, len(a) + 1):
        row = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            row[j] = min(rows[-1][j] + 1, row[j - 1] + 1, rows[-1][j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                row[j] = min(row[j], rows[-2][j - 2] + 1)
        rows.append(row)
    return rows[-1][-1]


def near_name(expected: str, defined: Iterable[str], taken: Iterable[str] = ()) -> str | None:
    """The name among ``defined`` a student most likely meant as ``expected``: the same up to
    case, else within a quarter of its length in edits (at least one). ``taken`` (the other
    items of the assignment) are never proposed. ``None`` when nothing is that close."""
    skip = {expected, *taken, *_PRELUDE_NAMES}
    best: tuple[int, str] | None = None
    target = expected.lower()
    limit = max(1, len(expected) // 4)
    for name in defined:
        if name in skip or name.startswith("_") or abs(len(name) - len(expected)) > limit:
            continue
        score = 0 if name.lower() == target else _distance(name.lower(), target)
        if score <= limit and (best is None or (score, name) < best):
            best = (score, name)
    return None if best is None else best[1]


def signature(item: str) -> str:
    """How the course asks for ``item``: ``RMSProp(lr, beta, eps)``, ``ewma(theta, beta,
    bias_correction)``. The item alone if the reference does not have it."""
    obj = getattr(solutions, item, None)
    if obj is None:
        return item
    try:
        target = obj.__init__ if inspect.isclass(obj) else obj
        parameters = [p for p in inspect.signature(target).parameters if p != "self"]
    except (TypeError, ValueError):
        return item
    return f"{item}({', '.join(parameters)})"


def unexpected_argument(error: str) -> str | None:
    """The argument named in ``TypeError: … got an unexpected keyword argument 'eps'``."""
    found = _UNEXPECTED.search(error)
    return found[1] if found else None
