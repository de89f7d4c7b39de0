"""The grading plugin's bookkeeping: a failure belongs to its own submission only."""

from __future__ import annotations

from types import SimpleNamespace

from autograder.engine.plugin import GradingPlugin
from autograder.engine.scoring import load_points
from autograder.engine.testing import Case, Failure


def _report(nodeid: str, passed: bool, shared_properties: list) -> SimpleNamespace:
    # pytest's TestReport.user_properties is the item's own list: the same object every time.
    return SimpleNamespace(
        nodeid=nodeid,
        when="call",
        passed=passed,
        failed=not passed,
        user_properties=shared_properties,
        longrepr="AssertionError: suite bug",
    )


def _make_report(
    plugin: GradingPlugin, report: SimpleNamespace, exception: BaseException | None
) -> None:
    """What pytest does around one test: make its report (ours for a Failure), then log it."""
    made = plugin.pytest_runtest_makereport(
        item=SimpleNamespace(nodeid=report.nodeid, location=("test_optimizers.py", 1, "t")),
        call=SimpleNamespace(
            excinfo=None if exception is None else SimpleNamespace(value=exception),
            when="call",
            duration=0.0,
            start=0.0,
            stop=0.0,
        ),
    )
    plugin.pytest_runtest_logreport(made if made is not None else report)


def test_a_failure_does_not_leak_into_the_next_submission():
    plugin = GradingPlugin("optimizers")
    plugin.state.points = load_points("optimizers")
    name = next(iter(plugin.state.points.by_item["Adam"]))
    nodeid = f"test_optimizers.py::{name}"
    shared: list = []

    _make_report(plugin, _report(nodeid, False, shared), Failure("mismatch", Case(ko="가", en="a")))
    first = plugin.state.outcomes[-1]
    assert first.failure is not None and first.failure["kind"] == "mismatch"

    plugin.state.outcomes, plugin.state.failures = (
        [],
        {},
    )  # what run_submissions does per submission
    _make_report(plugin, _report(nodeid, False, shared), RuntimeError("a bug in the test itself"))
    second = plugin.state.outcomes[-1]
    assert second.failure is None, "the previous submission's failure was reported for this one"
    assert second.error and "suite bug" in second.error
