"""Points: declared once per assignment in ``autograder/suites/<assignment>/points.toml``.

The file has one table per item (named exactly as in COURSE_SPEC) mapping each test function
of that item to its points::

    [Adam]
    test_adam_one_step = 1
    test_updates = 2

A test function named in one table belongs to that item. One test function may also serve
several items (``test_updates`` above, in the table of every optimizer): each of its cases then
says which item it tests with the marker ``@pytest.mark.item("Adam")`` (on the function, or on a
``pytest.param`` when the test is parametrised over items), and takes its points from that
item's table. An item's maximum is the sum of its tests' points; the assignment's is the sum
over items.

Points are exact fractions from the file to the record (a parametrized test's share of 4
points over 3 cases is 4/3, and three of them are exactly 4): a fully correct item scores
exactly its points and none scores more. Records hold the nearest float of each exact value,
and each test's exact points as text; only :func:`shown` rounds, for people to read.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import solutions

SUITES_DIR = Path(__file__).resolve().parents[1] / "suites"
#: Decimal places of a score shown to people (feedback, CSV, summaries).
SHOWN_PLACES = 2


class SuiteError(Exception):
    """A hidden suite is inconsistent (unknown assignment, points without tests, …)."""


@dataclass(frozen=True)
class Points:
    assignment: str
    by_item: dict[str, dict[str, Fraction]]

    def item_of(self, test: str, marked: str | None = None) -> str | None:
        """The item whose points ``test`` earns: the item it is ``marked`` with if that item's
        table names it, else the one table naming it (None if none does, or several do)."""
        if marked is not None:
            return marked if test in self.by_item.get(marked, {}) else None
        tables = [item for item, tests in self.by_item.items() if test in tests]
        return tables[0] if len(tables) == 1 else None

    @property
    def tests(self) -> set[tuple[str, str]]:
        """Every (item, test function) that ``points.toml`` gives points."""
        return {(item, test) for item, tests in self.by_item.items() for test in tests}

    def item_max(self, item: str) -> Fraction:
        return sum(self.by_item[item].values(), Fraction(0))

    @property
    def max_score(self) -> Fraction:
        return sum((self.item_max(item) for item in self.by_item), Fraction(0))


def shown(value: float | Fraction) -> str:
    """A score as people read it: rounded once, to :data:`SHOWN_PLACES` places, no trailing
    zeros (``4``, ``3.33``, ``0.5``)."""
    text = f"{float(value):.{SHOWN_PLACES}f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def exact(points: object) -> Fraction:
    """A number of ``points.toml`` as the exact value it says (``0.1`` is one tenth)."""
    if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
        raise SuiteError(f"points must be non-negative numbers, not {points!r}")
    return Fraction(str(points)) if isinstance(points, float) else Fraction(points)


def suite_dir(assignment: str) -> Path:
    path = SUITES_DIR / assignment
    if assignment not in solutions.ASSIGNMENTS or not path.is_dir():
        known = ", ".join(sorted(solutions.ASSIGNMENTS))
        raise SuiteError(
            f"no hidden suite for assignment {assignment!r}; known assignments: {known}"
        )
    return path


def load_points(assignment: str) -> Points:
    path = suite_dir(assignment) / "points.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SuiteError(f"cannot read {path}: {exc}") from exc
    expected_items = solutions.ASSIGNMENTS[assignment]
    unknown = set(data) - set(expected_items)
    missing = [item for item in expected_items if item not in data]
    if unknown or missing:
        raise SuiteError(
            f"{path}: items must be exactly those of COURSE_SPEC ({', '.join(expected_items)}); "
            f"unknown: {sorted(unknown) or '-'}, missing: {missing or '-'}"
        )
    by_item = {item: {str(t): exact(p) for t, p in data[item].items()} for item in expected_items}
    return Points(assignment, by_item)


def suite_version(assignment: str) -> str:
    """A hash of everything a grade depends on: the suite, the reference and its variants."""
    digest = hashlib.sha256()
    roots = [suite_dir(assignment), Path(solutions.__file__).parent]
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and path.suffix in {".py", ".toml"}:
                digest.update(path.relative_to(root.parent).as_posix().encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()[:16]
