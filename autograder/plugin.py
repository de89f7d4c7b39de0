"""The pytest plugin that turns a hidden suite into a grader.

Two ways in:

* A TA runs one suite on one submission, as ordinary pytest::

      pytest autograder/suites/optimizers --submission path/to/alice.ipynb

  (registered through the ``pytest11`` entry point, so it is active wherever optigrade is
  installed; it does nothing unless ``--submission`` is given or the engine drives it).

* The batch engine (:mod:`autograder.engine`) collects the suite once per worker and then runs
  every collected test for one submission after another, replacing pytest's run loop; this
  is what makes grading fast (no pytest start-up per submission).

Fixtures for hidden tests: ``student`` (the sandboxed submission), ``reference`` (the
``solutions`` package) and ``check`` (comparisons that fail with a structured, bilingual
:class:`~autograder.testing.Failure`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import solutions
from autograder.proxy import StudentProxy
from autograder.scoring import Points, SuiteError, load_points
from autograder.testing import Case, Checker, Failure


@dataclass
class TestOutcome:
    name: str
    item: str
    points: float
    passed: bool
    failure: dict[str, Any] | None = None
    error: str | None = None  # an error in the test itself (a suite bug), not the student's


@dataclass
class GradingState:
    """What the fixtures read: the current submission and the suite's points."""

    points: Points | None = None
    proxy: StudentProxy | None = None
    outcomes: list[TestOutcome] = field(default_factory=list)
    cases: dict[str, int] = field(default_factory=dict)
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    timed_out_items: set[str] = field(default_factory=set)


SKIPPED_CASE = Case(
    ko="이 항목의 앞선 테스트가 시간 초과되어 이 테스트는 실행하지 않았습니다",
    en="not run: an earlier test of this item timed out",
)


class GradingPlugin:
    def __init__(self, assignment: str | None = None) -> None:
        self.assignment = assignment
        self.state = GradingState()
        self.items: list[pytest.Item] = []

    # -- collection ---------------------------------------------------------------------------
    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if not items:
            return
        assignment = self.assignment or _assignment_of(items[0])
        points = load_points(assignment)
        names = {item.originalname for item in items if isinstance(item, pytest.Function)}
        item_of = points.item_of
        without_points = sorted(names - set(item_of))
        without_test = sorted(set(item_of) - names)
        if without_points or without_test:
            raise SuiteError(
                f"points.toml of {assignment!r} and its tests disagree: tests without points "
                f"{without_points or '-'}, points without a test {without_test or '-'}"
            )
        self.state.points = points
        self.items = list(items)
        # A parametrized test shares its points equally among its cases.
        self.state.cases = {}
        for item in items:
            self.state.cases[item.originalname] = self.state.cases.get(item.originalname, 0) + 1

    # -- reporting ----------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):  # noqa: ANN201
        outcome = yield
        report = outcome.get_result()
        if call.excinfo is not None and isinstance(call.excinfo.value, Failure):
            # Kept per submission here, not in report.user_properties: pytest shares that list
            # with the item, so it would outlive the submission and leak into the next one.
            self.state.failures[report.nodeid] = call.excinfo.value.as_dict()

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.state.points is None or (report.when != "call" and report.passed):
            return
        case_name = report.nodeid.split("::")[-1]
        name = case_name.split("[")[0]
        if report.when == "call" or report.failed:
            failure = self.state.failures.pop(report.nodeid, None)
            if failure is not None and failure.get("kind") == "timeout":
                self.state.timed_out_items.add(self.state.points.item_of.get(name, "?"))
            error = None
            if report.failed and failure is None:
                # Not a Failure raised by check: a bug in the test, or a plain assert.
                error = str(report.longrepr)[-2000:] if report.longrepr else "error"
            item = self.state.points.item_of.get(name, "?")
            share = self.state.points.by_item.get(item, {}).get(name, 0.0) / self.state.cases.get(
                name, 1
            )
            self.state.outcomes.append(
                TestOutcome(case_name, item, share, report.passed, failure, error)
            )

    # -- fixtures -----------------------------------------------------------------------------
    @pytest.fixture
    def student(self) -> StudentProxy:
        if self.state.proxy is None:
            pytest.skip("no submission: run with --submission PATH")
        return self.state.proxy

    @pytest.fixture
    def reference(self) -> Any:
        return solutions

    @pytest.fixture
    def check(self, request: pytest.FixtureRequest, student: StudentProxy) -> Checker:
        item = (
            self.state.points.item_of.get(request.node.originalname) if self.state.points else None
        )
        if item in self.state.timed_out_items:
            # One hang per item is enough evidence: calling the same code again would only hang
            # again and spend the time budget that the submission's other items need.
            raise Failure("skipped_after_timeout", SKIPPED_CASE, item=item)
        return Checker(student, item)


def _assignment_of(item: pytest.Item) -> str:
    return Path(str(item.path)).parent.name


def run_submissions(
    session: pytest.Session,
    plugin: GradingPlugin,
    submissions: Iterable[Any],
    open_proxy: Callable[[Any], StudentProxy],
    on_done: Callable[[Any, list[TestOutcome]], None],
) -> None:
    """Run every collected test for each submission in turn (the engine's run loop)."""
    items = plugin.items
    for submission in submissions:
        plugin.state.outcomes = []
        plugin.state.failures = {}
        plugin.state.timed_out_items = set()
        plugin.state.proxy = open_proxy(submission)
        try:
            for index, item in enumerate(items):
                following = items[index + 1] if index + 1 < len(items) else None
                item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
        finally:
            plugin.state.proxy = None
        on_done(submission, plugin.state.outcomes)
