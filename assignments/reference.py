"""The reference of one assignment as the builder sees it: its source text and its objects.

Stubs are cut from the source text and expected values come from the objects, so both follow
``solutions/`` whenever it changes. ``Reference.from_source`` builds one from any source text,
which lets tests prove that a changed default reaches the notebook.
"""

from __future__ import annotations

import importlib
import inspect
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import solutions


class UnknownAssignmentError(KeyError):
    """An assignment name that ``solutions.ASSIGNMENTS`` does not list."""


@dataclass(frozen=True)
class Reference:
    """One assignment of ``solutions``: its items in course order, source text and namespace."""

    assignment: str
    items: tuple[str, ...]
    source: str
    namespace: Mapping[str, Any] = field(repr=False)

    @classmethod
    def load(cls, assignment: str) -> Reference:
        """The reference as installed: ``solutions.<assignment>``."""
        items = _items(assignment)
        module = importlib.import_module(f"solutions.{assignment}")
        return cls(assignment, items, inspect.getsource(module), vars(module))

    @classmethod
    def from_source(cls, assignment: str, source: str) -> Reference:
        """A reference made from ``source`` instead of the installed module (e.g. edited)."""
        module = types.ModuleType(f"_reference_{assignment}")
        exec(compile(source, f"<reference {assignment}>", "exec"), vars(module))
        return cls(assignment, _items(assignment), source, vars(module))

    def obj(self, item: str) -> Any:
        return self.namespace[item]


def _items(assignment: str) -> tuple[str, ...]:
    try:
        return solutions.ASSIGNMENTS[assignment]
    except KeyError:
        raise UnknownAssignmentError(
            f"unknown assignment {assignment!r}: choose one of {', '.join(solutions.ASSIGNMENTS)}"
        ) from None


def assignments() -> tuple[str, ...]:
    """Every assignment, in course order."""
    return tuple(solutions.ASSIGNMENTS)
