"""Points: declared once per assignment in ``autograder/suites/<assignment>/points.toml``.

The file has one table per item (named exactly as in COURSE_SPEC) mapping each test function
of that item to its points::

    [Adam]
    test_adam_one_step = 1
    test_adam_carries_state_across_steps = 2

An item's maximum is the sum of its tests' points; the assignment's is the sum over items.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import solutions

SUITES_DIR = Path(__file__).resolve().parent / "suites"


class SuiteError(Exception):
    """A hidden suite is inconsistent (unknown assignment, points without tests, …)."""


@dataclass(frozen=True)
class Points:
    assignment: str
    by_item: dict[str, dict[str, float]]

    @property
    def item_of(self) -> dict[str, str]:
        return {test: item for item, tests in self.by_item.items() for test in tests}

    def item_max(self, item: str) -> float:
        return float(sum(self.by_item[item].values()))

    @property
    def max_score(self) -> float:
        return float(sum(self.item_max(item) for item in self.by_item))


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
    by_item = {item: {str(t): float(p) for t, p in data[item].items()} for item in expected_items}
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
