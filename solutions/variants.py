"""Other ways to write an item: accepted equivalents and named, known mistakes.

The grader compares a student's outputs with the reference first; when they differ it also
tries the *equivalents* (formulations the grading policy accepts, e.g. ε inside the square
root) before calling the answer wrong, and then the *mistakes*, to tell the student which known
error the output matches. Every variant is a few lines, written against the same contract as
the reference, so that a hidden test can run it exactly as it runs the student's code.

Each entry maps an item name to a list of :class:`Variant`; a variant's ``impl`` replaces the
item's reference implementation (a class or a function with the reference's signature).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from optigrade.i18n import Text


@dataclass(frozen=True)
class Variant:
    id: str
    item: str
    impl: Any
    label: Text


EQUIVALENTS: dict[str, list[Variant]] = {}
MISTAKES: dict[str, list[Variant]] = {}


def register(kind: dict[str, list[Variant]], item: str, id: str, ko: str, en: str):  # noqa: ANN201, A002
    """Class/function decorator adding a variant of ``item`` to ``EQUIVALENTS`` or ``MISTAKES``."""

    def add(impl: Any) -> Any:
        kind.setdefault(item, []).append(Variant(id, item, impl, Text(ko=ko, en=en)))
        return impl

    return add
