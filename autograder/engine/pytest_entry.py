"""pytest entry point: ``pytest autograder/suites/<assignment> --submission PATH``.

Lets a TA run a hidden suite on one submission as ordinary pytest, through the same sandbox as
the batch grader, and prints the score per item at the end. Does nothing without
``--submission`` (the batch engine registers :class:`GradingPlugin` itself).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from autograder.engine.plugin import GradingPlugin, register_item_marker
from autograder.engine.proxy import StudentProxy
from autograder.engine.scoring import shown
from autograder.intake import ingest, student_id_from_name
from autograder.sandbox.backend import open_backend

_KEY = "optigrade_grading"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("optigrade")
    group.addoption(
        "--submission",
        metavar="PATH",
        help="grade this .ipynb or .py with the hidden suite being run (student code is sandboxed)",
    )


def pytest_configure(config: pytest.Config) -> None:
    register_item_marker(config)
    path = config.getoption("submission", default=None)
    if not path:
        return
    submission = ingest(student_id_from_name(Path(path).name), [Path(path)])
    if submission.status != "ok":
        raise pytest.UsageError(f"{path}: {submission.status}: {submission.reason}")
    plugin = GradingPlugin()
    sandboxes = open_backend()
    sandbox = sandboxes.sandbox(submission.runnable())
    sandbox.start()
    plugin.state.proxy = StudentProxy(sandbox)
    config.pluginmanager.register(plugin, _KEY)
    config.stash[_STASH] = (plugin, sandboxes, sandbox)


_STASH = pytest.StashKey[tuple]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if _STASH not in config.stash:
        return
    plugin, _sandboxes, sandbox = config.stash[_STASH]
    points = plugin.state.points
    if points is None:
        return
    scores: dict[str, Fraction] = dict.fromkeys(points.by_item, Fraction(0))
    for outcome in plugin.state.outcomes:
        if outcome.passed:
            scores[outcome.item] = scores.get(outcome.item, Fraction(0)) + outcome.points
    terminalreporter.section("optigrade score")
    for item, score in scores.items():
        terminalreporter.write_line(f"{item:>22}: {shown(score)} / {shown(points.item_max(item))}")
    total = sum(scores.values(), Fraction(0))
    terminalreporter.write_line(f"{'total':>22}: {shown(total)} / {shown(points.max_score)}")
    for report in sandbox.cell_reports:
        if report.status not in ("ok", "skipped"):
            terminalreporter.write_line(
                f"cell {report.index}: {report.status} {report.error or ''}"
            )


def pytest_unconfigure(config: pytest.Config) -> None:
    if _STASH in config.stash:
        _plugin, sandboxes, sandbox = config.stash[_STASH]
        sandbox.kill()
        sandboxes.close()
