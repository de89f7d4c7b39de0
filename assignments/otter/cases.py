"""The hidden suite's cases as data for otter: parameters, points and the reference's results.

The suite is run by pytest exactly as the grader runs it (same collection, same ``points.toml``
check, same share of a test's points per parametrized case), but with the reference in the
student's place and a ``check`` that records, for every ``check.same``, what the reference,
each accepted equivalent and each known mistake return. A case of the suite is therefore a case
of the export by construction, and its expected values are computed, never typed.
"""

from __future__ import annotations

import inspect
import tempfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import solutions
from assignments.otter.runtime import encode
from autograder.engine.plugin import GradingPlugin
from autograder.engine.scoring import suite_dir
from autograder.engine.testing import ATOL, RTOL, Case, Checker, Scenario, variant_namespace
from autograder.engine.worker import PYTEST_ARGS
from solutions.variants import EQUIVALENTS, MISTAKES

#: The fixtures a hidden test may ask for in the kernel (``reference`` would ship the solutions).
KERNEL_FIXTURES = frozenset({"check", "student"})


class ExportError(RuntimeError):
    """The hidden suite cannot be exported to otter as it is (the message says why)."""


@dataclass(frozen=True)
class HiddenCase:
    id: str  # "<test file>::<test name>[<params id>]", as run_case expects it
    item: str
    points: Fraction  # the case's exact share of its item's points (autograder.engine.scoring)
    fixtures: tuple[str, ...]
    params: dict[str, Any]  # encoded
    expectations: list[dict[str, Any]]  # encoded, one per check.same, in call order

    def as_data(self) -> dict[str, Any]:
        return {
            "fixtures": list(self.fixtures),
            "params": self.params,
            "expectations": self.expectations,
        }


class _RecordingCheck(Checker):
    """``check`` with the reference as the student, keeping what every ``same`` compares with."""

    def __init__(self, item: str | None) -> None:
        super().__init__(solutions, item)
        self.expectations: list[dict[str, Any]] = []

    def same(self, scenario: Scenario, case: Case, rtol: float = RTOL, atol: float = ATOL) -> None:
        mistakes = []
        for variant in self._variants(MISTAKES):
            try:
                # Some mistakes (g for g*g) give NaN on purpose: that is what identifies them.
                with np.errstate(all="ignore"):
                    value = scenario(variant_namespace(variant))
            except Exception:
                continue  # a mistake that crashes here cannot be recognised by its output
            label = variant.label
            mistakes.append({"value": encode(value), "ko": label.ko, "en": label.en})
        self.expectations.append(
            {
                "expected": encode(scenario(solutions)),
                "equivalents": [
                    encode(scenario(variant_namespace(v))) for v in self._variants(EQUIVALENTS)
                ],
                "mistakes": mistakes,
                "rtol": rtol,
                "atol": atol,
            }
        )
        super().same(scenario, case, rtol, atol)

    def raises(self, scenario: Scenario, exc_type: str, case: Case) -> None:
        # The base class expects the sandbox's wrapped errors; here the reference raises directly.
        try:
            scenario(solutions)
        except Exception as exc:
            if type(exc).__name__ == exc_type:
                return
        raise ExportError(f"the reference does not raise {exc_type}: {case.en}")


class _Recorder(GradingPlugin):
    def __init__(self, assignment: str) -> None:
        super().__init__(assignment)
        self.recorded: dict[str, tuple[pytest.Item, _RecordingCheck]] = {}

    @pytest.fixture
    def student(self) -> Any:
        return solutions

    @pytest.fixture
    def check(self, request: pytest.FixtureRequest) -> Checker:
        item = self.state.item_of.get(request.node.nodeid)
        recording = _RecordingCheck(item)
        self.recorded[case_id(request.node)] = (request.node, recording)
        return recording


def case_id(node: pytest.Item) -> str:
    return f"{Path(str(node.path)).name}::{node.name}"


def hidden_cases(assignment: str) -> list[HiddenCase]:
    """Every case of the assignment's hidden suite, in the suite's order."""
    recorder = _Recorder(assignment)
    with tempfile.TemporaryDirectory(prefix="optigrade-otter-") as rootdir:
        ini = Path(rootdir) / "pytest.ini"
        ini.write_text("[pytest]\n")
        folder = suite_dir(assignment)
        code = pytest.main(
            [str(folder), "-c", str(ini), "--rootdir", str(folder), *PYTEST_ARGS],
            plugins=[recorder],
        )
    outcomes = {outcome.name: outcome for outcome in recorder.state.outcomes}
    failed = [name for name, outcome in outcomes.items() if not outcome.passed]
    if code != 0 or failed or not outcomes:
        raise ExportError(
            f"the {assignment!r} suite does not pass on the reference (pytest exit {code}; "
            f"failed: {failed or '-'}): fix the suite before exporting it"
        )
    cases = []
    for key, (node, recording) in recorder.recorded.items():
        params = dict(getattr(node, "callspec", None).params) if hasattr(node, "callspec") else {}
        fixtures = tuple(p for p in inspect.signature(node.function).parameters if p not in params)
        unknown = set(fixtures) - KERNEL_FIXTURES
        if unknown:
            raise ExportError(
                f"{key} asks for {sorted(unknown)}: only {sorted(KERNEL_FIXTURES)} exist in "
                "the student's kernel under otter"
            )
        outcome = outcomes[node.name]
        try:
            encoded = {name: encode(value) for name, value in params.items()}
        except TypeError as error:
            raise ExportError(f"{key}: a parameter cannot be exported: {error}") from None
        cases.append(
            HiddenCase(key, outcome.item, outcome.points, fixtures, encoded, recording.expectations)
        )
    return cases
