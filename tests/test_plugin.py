"""The grading plugin's bookkeeping: a failure belongs to its own submission only."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

from autograder.plugin import GradingPlugin
from autograder.scoring import load_points
from autograder.testing import Case, Failure


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
    hook = plugin.pytest_runtest_makereport(
        item=None,
        call=SimpleNamespace(
            excinfo=None if exception is None else SimpleNamespace(value=exception)
        ),
    )
    next(hook)
    with contextlib.suppress(StopIteration):  # the hook wrapper ends after its one yield
        hook.send(SimpleNamespace(get_result=lambda: report))
    plugin.pytest_runtest_logreport(report)


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
