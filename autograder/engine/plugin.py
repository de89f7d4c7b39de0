"""The pytest plugin that turns a hidden suite into a grader.

Two ways in:

* A TA runs one suite on one submission, as ordinary pytest::

      pytest autograder/suites/optimizers --submission path/to/alice.ipynb

  (registered through the ``pytest11`` entry point, so it is active wherever optigrade is
  installed; it does nothing unless ``--submission`` is given or the engine drives it).

* The batch engine (:mod:`autograder.engine.worker`) collects the suite once per worker and then
runs
  every collected test for one submission after another, replacing pytest's run loop; this
  is what makes grading fast (no pytest start-up per submission).

Fixtures for hidden tests: ``student`` (the sandboxed submission), ``reference`` (the
``solutions`` package) and ``check`` (comparisons that fail with a structured, bilingual
:class:`~autograder.engine.testing.Failure`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

import solutions
from autograder.engine.diagnosis import diagnose
from autograder.engine.pictures import Painter
from autograder.engine.proxy import StudentProxy
from autograder.engine.scoring import Points, SuiteError, load_points
from autograder.engine.testing import Case, Checker, Failure, reference_namespace
from autograder.sandbox.client import Sandbox
from autograder.speedups import Switches
from autograder.speedups.strategies import Speedups

if TYPE_CHECKING:
    from autograder.speedups.memo import Tape


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a test class, whatever pytest makes of its name
    name: str
    item: str
    points: Fraction  # the test's exact share of its item's points
    passed: bool
    failure: dict[str, Any] | None = None
    error: str | None = None  # an error in the test itself (a suite bug), not the student's


@dataclass
class GradingState:
    """What the fixtures read: the current submission and the suite's points."""

    points: Points | None = None
    proxy: StudentProxy | None = None
    outcomes: list[TestOutcome] = field(default_factory=list)
    item_of: dict[str, str] = field(default_factory=dict)  # a collected test's node id → item
    cases: dict[tuple[str, str], int] = field(default_factory=dict)  # (item, test) → its cases
    failures: dict[str, dict[str, Any]] = field(default_factory=dict)
    timed_out_items: set[str] = field(default_factory=set)
    reused: int = 0  # tests of the current submission answered by the memo


#: ``@pytest.mark.item("Adam")``: the item a test (or one case of it) earns points for.
ITEM_MARKER = "item"

SKIPPED_CASE = Case(
    ko="이 항목의 앞선 테스트가 시간 초과되어 이 테스트는 실행하지 않았습니다",
    en="not run: an earlier test of this item timed out",
)


class GradingPlugin:
    def __init__(
        self,
        assignment: str | None = None,
        speedups: Speedups | None = None,
        pictures: bool = True,
    ) -> None:
        """``speedups``: the grading process's strategies (the engine's); by default all on,
        for a TA's single run, where only the reference's cache matters."""
        self.assignment = assignment
        self.state = GradingState()
        self.items: list[pytest.Item] = []
        self.speedups = speedups if speedups is not None else Speedups(Switches())
        # Pictures of failing items cost live calls in the sandbox, for those items only.
        self.painter = Painter(reference_namespace(), enabled=pictures)

    # -- collection ---------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        register_item_marker(config)

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(
        self, config: pytest.Config, items: list[pytest.Item]
    ) -> None:
        if not items:
            return
        assignment = self.assignment or _assignment_of(items[0])
        points = load_points(assignment)
        tests = [node for node in items if isinstance(node, pytest.Function)]
        item_of = {node.nodeid: points.item_of(node.originalname, _marked(node)) for node in tests}
        without_points = sorted({node.name for node in tests if item_of[node.nodeid] is None})
        covered = {(item_of[node.nodeid], node.originalname) for node in tests}
        without_test = sorted(f"{item}.{test}" for item, test in points.tests - covered)
        if without_points or without_test:
            raise SuiteError(
                f"points.toml of {assignment!r} and its tests disagree: tests without points "
                f"(or with an item marker whose table does not name them) "
                f"{without_points or '-'}, points without a test {without_test or '-'}"
            )
        self.state.points = points
        self.items = list(items)
        self.state.item_of = {nodeid: item for nodeid, item in item_of.items() if item}
        # A parametrized test shares its item's points for it equally among its cases.
        self.state.cases = {}
        for node in tests:
            key = (self.state.item_of[node.nodeid], node.originalname)
            self.state.cases[key] = self.state.cases.get(key, 0) + 1

    # -- reporting ----------------------------------------------------------------------------
    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo
    ) -> pytest.TestReport | None:
        if call.excinfo is None or not isinstance(call.excinfo.value, Failure):
            return None  # pytest's own report
        failure = call.excinfo.value
        # Kept per submission here, not in report.user_properties: pytest shares that list
        # with the item, so it would outlive the submission and leak into the next one.
        self.state.failures[item.nodeid] = failure.as_dict()
        # A report of our own: pytest's would format the failing test's source and traceback
        # (tens of milliseconds per failed test), which the feedback never shows.
        return pytest.TestReport(
            item.nodeid,
            item.location,
            keywords={},
            outcome="failed",
            longrepr=str(failure)[:2000],
            when=call.when,
            duration=call.duration,
            start=call.start,
            stop=call.stop,
        )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if self.state.points is None or (report.when != "call" and report.passed):
            return
        if report.when == "call" or report.failed:
            failure = self.state.failures.pop(report.nodeid, None)
            if failure is not None and failure.get("kind") == "timeout":
                self.state.timed_out_items.add(self.state.item_of.get(report.nodeid, "?"))
            error = None
            if report.failed and failure is None:
                # Not a Failure raised by check: a bug in the test, or a plain assert.
                error = str(report.longrepr)[-2000:] if report.longrepr else "error"
            self.state.outcomes.append(self.outcome(report.nodeid, report.passed, failure, error))

    def outcome(
        self,
        nodeid: str,
        passed: bool,
        failure: dict[str, Any] | None = None,
        error: str | None = None,
    ) -> TestOutcome:
        """A test's outcome, with its item and its share of the item's points."""
        points = self.state.points
        assert points is not None, "outcomes exist only once the suite is collected"
        case_name = nodeid.split("::")[-1]
        name = case_name.split("[")[0]
        item = self.state.item_of.get(nodeid, "?")
        cases = self.state.cases.get((item, name), 1)
        share = points.by_item.get(item, {}).get(name, Fraction(0)) / cases
        return TestOutcome(case_name, item, share, passed, failure, error)

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self) -> None:
        # A TA's single run (``--submission``) has no run loop of ours: the items' mistakes are
        # named once every test has run, before anything reads the outcomes.
        self.state.outcomes = diagnose(self.state.outcomes, self.ruled_out_by_passing)

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
        item = self.state.item_of.get(request.node.nodeid)
        if item in self.state.timed_out_items:
            # One hang per item is enough evidence: calling the same code again would only hang
            # again and spend the time budget that the submission's other items need.
            raise Failure("skipped_after_timeout", SKIPPED_CASE, item=item)
        return Checker(student, item, request.node.name, self.speedups.reference)

    @property
    def ruled_out_by_passing(self) -> dict[str, set[str]]:
        """Per test, the known mistakes that would fail it (see
        :mod:`autograder.engine.diagnosis`)."""
        return self.speedups.reference.ruled_out_by_passing


def register_item_marker(config: pytest.Config) -> None:
    """Declare the ``item`` marker (suites run with ``--strict-markers``)."""
    config.addinivalue_line(
        "markers",
        f"{ITEM_MARKER}(name): the item whose points.toml table gives this test (or this case of "
        "a test parametrised over items) its points",
    )


def _marked(node: pytest.Function) -> str | None:
    """The item named by the test's (or its case's) ``item`` marker, if it has one."""
    marker = node.get_closest_marker(ITEM_MARKER)
    if marker is None:
        return None
    if len(marker.args) != 1 or not isinstance(marker.args[0], str):
        raise SuiteError(f'{node.nodeid}: write the item marker as @pytest.mark.item("Adam")')
    return marker.args[0]


def _assignment_of(item: pytest.Item) -> str:
    return Path(str(item.path)).parent.name


def run_submissions(
    session: pytest.Session,
    plugin: GradingPlugin,
    submissions: Iterable[Any],
    open_proxy: Callable[[Any], Any],
    on_done: Callable[[Any, list[TestOutcome]], None],
) -> None:
    """Run every collected test for each submission in turn (the engine's run loop).

    Tests whose outcome the memo knows for exactly this submission's answers are not run again
    (see :mod:`autograder.speedups.memo`); the others run as pytest items, in the suite's order.
    """
    state = plugin.state
    for submission in submissions:
        state.outcomes, state.failures, state.timed_out_items = [], {}, set()
        state.proxy = open_proxy(submission)
        # Only a real sandbox has a plan and a tape (tests may stand a namespace in for it).
        sandbox = getattr(state.proxy, "sandbox", None)
        sandbox = sandbox if isinstance(sandbox, Sandbox) else None
        tape = plugin.speedups.tape if sandbox is not None else None
        try:
            reused = _reused_outcomes(plugin, sandbox)
            ran, timed_out_at = _run_items(plugin, tape, reused)
            pictures = plugin.painter.pictures(
                _drawable_failures({**reused, **ran}, state.timed_out_items), state.proxy
            )
        finally:
            state.proxy = None
        # The check fixture's rule holds for reused outcomes too: once a test of an item timed
        # out, the item's later tests are not run (a reused one would be a run it never had).
        for index in list(reused):
            item = reused[index][0].item
            if item in timed_out_at and index > timed_out_at[item]:
                skipped = Failure("skipped_after_timeout", SKIPPED_CASE, item=item).as_dict()
                ran[index] = [plugin.outcome(plugin.items[index].nodeid, False, skipped)]
                del reused[index]
        state.reused = len(reused)
        outcomes = {**reused, **ran}
        diagnosed = diagnose(
            [o for index in sorted(outcomes) for o in outcomes[index]], plugin.ruled_out_by_passing
        )
        state.outcomes = _with_pictures(diagnosed, pictures)
        on_done(submission, state.outcomes)


#: Failures a picture can help with: the student's code ran and answered wrongly or raised
#: (not a missing name, a hang, a crash or a spent budget, where drawing would only wait again).
_DRAWN = frozenset(("mismatch", "exception", "property"))


def _drawable_failures(outcomes: dict[int, list[TestOutcome]], timed_out: set[str]) -> list[str]:
    """The items that failed a test by a wrong answer or an exception (in the suite's order)."""
    return [
        outcome.item
        for index in sorted(outcomes)
        for outcome in outcomes[index]
        if not outcome.passed
        and outcome.item not in timed_out
        and (outcome.failure or {}).get("kind") in _DRAWN
    ]


def _with_pictures(
    outcomes: list[TestOutcome], pictures: dict[str, dict[str, Any]]
) -> list[TestOutcome]:
    """Each picture on its item's first failing outcome (a copy: the memo shares outcomes)."""
    placed, result = set(), []
    for outcome in outcomes:
        if outcome.item in pictures and outcome.item not in placed and outcome.failure:
            failure = {**outcome.failure, "picture": pictures[outcome.item]}
            outcome = dataclasses.replace(outcome, failure=failure)
            placed.add(outcome.item)
        result.append(outcome)
    return result


def _reused_outcomes(
    plugin: GradingPlugin, sandbox: Sandbox | None
) -> dict[int, list[TestOutcome]]:
    memo = plugin.speedups.memo
    if memo is None or sandbox is None:
        return {}
    found: dict[int, list[TestOutcome]] = {}
    for index, item in enumerate(plugin.items):
        outcome = memo.lookup(item.nodeid, lambda question: _answer(sandbox, question))
        if outcome is not None:
            found[index] = [outcome]
    return found


def _answer(sandbox: Sandbox, question: tuple[str, Any]) -> Any:
    kind, subject = question
    if kind == "plan":
        return sandbox.plan_digest(subject)
    if kind == "defines":
        return subject in sandbox.names
    return None


def _run_items(
    plugin: GradingPlugin, tape: Tape | None, skip: dict[int, list[TestOutcome]]
) -> tuple[dict[int, list[TestOutcome]], dict[str, int]]:
    """Run the tests not in ``skip`` as pytest items; store the pure ones in the memo.

    Returns their outcomes by index, and for each item that timed out the index of the test.
    """
    state, items, memo = plugin.state, plugin.items, plugin.speedups.memo
    order = [index for index in range(len(items)) if index not in skip]
    produced: dict[int, list[TestOutcome]] = {}
    timed_out_at: dict[str, int] = {}
    for position, index in enumerate(order):
        item = items[index]
        following = items[order[position + 1]] if position + 1 < len(order) else None
        first = len(state.outcomes)
        mark = tape.mark() if tape is not None else None
        item.ihook.pytest_runtest_protocol(item=item, nextitem=following)
        produced[index] = state.outcomes[first:]
        for name in state.timed_out_items:
            timed_out_at.setdefault(name, index)
        if memo is not None and tape is not None and len(produced[index]) == 1:
            steps = tape.since(mark)
            if steps is not None and produced[index][0].item not in state.timed_out_items:
                memo.store(item.nodeid, steps, produced[index][0])
    return produced, timed_out_at
