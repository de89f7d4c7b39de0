"""One grading worker: the hidden suite collected once, then one submission after another.

A worker is a trusted process. It starts a zygote (from which every submission's sandbox is
forked), runs pytest once on the assignment's suite, and replaces pytest's run loop with ours:
for each submission it ingests the files, starts the sandbox, runs every collected test with
``student`` pointing at that sandbox, kills the sandbox, and hands back a result (plain data).
The same :func:`grade_stream` serves the local process pool and any other executor.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
import warnings
from collections.abc import Callable, Iterable
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from autograder import testing
from autograder.intake import CellOrigin, CourseCells, Ingested, ingest
from autograder.memo import MemoLink
from autograder.nearmiss import near_name
from autograder.placement import Placement
from autograder.plugin import GradingPlugin, TestOutcome, run_submissions
from autograder.proxy import StudentProxy
from autograder.sandbox.backend import LocalZygote, open_backend
from autograder.sandbox.client import (
    CellReport,
    Sandbox,
    SandboxCrashed,
    SandboxFailure,
)
from autograder.scoring import Points, SuiteError, suite_dir, suite_version
from autograder.settings import Settings, Task


class _Loop:
    """pytest plugin: run our submissions instead of pytest's single pass."""

    def __init__(
        self,
        grading: GradingPlugin,
        tasks: Iterable[Task],
        settings: Settings,
        emit: Callable[[dict[str, Any]], None],
        placement: Placement | None = None,
        memo_link: MemoLink | None = None,
    ) -> None:
        self.grading, self.tasks, self.settings, self.emit = grading, tasks, settings, emit
        self.placement = placement
        self.memo_link = memo_link if grading.memo is not None else None
        if self.memo_link is not None:
            grading.memo.collect_new = True
        self.sandboxes: LocalZygote | None = None
        self._course: CourseCells | None = None

    def course_cells(self) -> CourseCells:
        """The assignment notebook's own cells, read once per worker (on first use)."""
        if self._course is None:
            self._course = CourseCells.of(self.settings.assignment)
        return self._course

    def pytest_sessionstart(self) -> None:
        # Before the suite is collected: the zygote's interpreter starts up meanwhile.
        self.sandboxes = open_backend()

    def pytest_sessionfinish(self) -> None:
        # However the session ends (graded, collection failed, interrupted).
        if self.sandboxes is not None:
            self.sandboxes.close()
            self.sandboxes = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if not _collected(session, self.grading):
            return False  # let pytest report it
        pending: dict[str, Any] = {}

        def open_proxy(task: Task) -> StudentProxy | None:
            started = time.monotonic()
            if self.placement is not None:
                self.placement.enter(os.getpid(), self.sandboxes.pid)
            if self.memo_link is not None:
                for entry in self.memo_link.receive():
                    self.grading.memo.store(*entry, learnt=True)
            submission = ingest(
                task.student,
                [Path(f) for f in task.files],
                task.names,
                task.refused,
                self.course_cells(),
                task.notes,
            )
            pending.update(task=task, submission=submission, started=started, sandbox=None)
            if submission.status != "ok":
                return None
            sandbox = self._start(submission)
            pending["sandbox"] = sandbox
            return None if sandbox is None else StudentProxy(sandbox)

        def done(task: Task, outcomes: list[TestOutcome]) -> None:
            sandbox = pending.get("sandbox")
            if sandbox is not None:
                sandbox.kill()
            if self.placement is not None:
                self.placement.leave()
            if self.memo_link is not None:
                self.memo_link.publish(self.grading.memo.take_new())
            seconds = time.monotonic() - pending["started"]
            self.emit(
                build_result(
                    self.settings,
                    self.grading.state.points,
                    pending["submission"],
                    sandbox,
                    outcomes,
                    seconds,
                    self.grading.state.reused,
                )
            )

        planned = (self.settings.assignment, self.settings.suite_version)
        if self.settings.plan and testing.planned_for() != planned:
            # Not inherited from the worker server (autograder.server): made here.
            make_plan(session, self.grading, planned)
        run_submissions(session, self.grading, self.tasks, open_proxy, done)
        return True

    def _start(self, submission: Ingested) -> Sandbox | None:
        budget_end = None
        for attempt in range(2):
            sandbox = self.sandboxes.sandbox(
                submission.runnable(),
                self.settings.limits,
                self.settings.timeouts,
                use_plan=self.settings.plan,
                on_runaway=self.placement.stall if self.placement is not None else None,
            )
            if budget_end is not None:  # a second try spends what is left of the same budget
                sandbox.share_budget(budget_end)
            budget_end = sandbox.budget_end
            try:
                if self.settings.plan:
                    # Traces recorded since the last sandbox join the sandboxes' plan.
                    self.sandboxes.share_plan(
                        [(t.encoded, t.arities()) for t in testing.PLAN.traces]
                    )
                sandbox.start()
                sandbox.prefetch_plan()
                return sandbox
            except (SandboxFailure, OSError) as exc:
                sandbox.kill()
                if attempt == 0 and self.sandboxes.recover():
                    continue  # the machinery itself died and was replaced: try again
                failure = exc if isinstance(exc, SandboxFailure) else SandboxCrashed(str(exc))
                submission.status, submission.reason = (
                    _SUBMISSION_STATUS.get(failure.reason, failure.reason),
                    f"the sandbox failed: {failure.detail}",
                )
                return None  # the submission's own failure: no second try (nor budget)
        return None


#: A sandbox failure while the submission was starting, as the submission's status (the
#: failure's own name stays in the reason): the budget spent is a time-out, a channel
#: violation a crash of the student's own process.
_SUBMISSION_STATUS = {"time_budget": "timeout", "protocol": "crashed", "restarted": "crashed"}


def _collected(session: pytest.Session, grading: GradingPlugin) -> bool:
    """Whether the suite collected, with its points (otherwise there is nothing to run)."""
    return not session.testsfailed and grading.state.points is not None


def make_plan(session: pytest.Session, grading: GradingPlugin, planned: tuple[str, str]) -> None:
    """Replace the plan with the one of ``planned`` (assignment, suite version).

    The reference is graded as a first "submission" and forgotten: it records every trace of
    the suite, in the suite's order (the plan each sandbox runs), and caches the reference's
    results, before any student's run.
    """
    testing.forget_plan()
    run_submissions(
        session,
        grading,
        [None],
        lambda _: testing.reference_namespace(),
        lambda _task, _outcomes: None,
    )
    testing.mark_planned(*planned)


class _Preparation:
    """pytest plugin: the reference pass alone (for :func:`prepare_suite`)."""

    def __init__(self, grading: GradingPlugin, assignment: str, version: str) -> None:
        self.grading, self.planned = grading, (assignment, version)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool:
        if not _collected(session, self.grading):
            return False  # the workers will say so
        make_plan(session, self.grading, self.planned)
        return True


def prepare_suite(assignment: str) -> bool:
    """Collect ``assignment``'s suite and make its plan in this process; say whether it did.

    Run by the worker server before it forks any worker (``autograder.preload``): every
    worker then inherits the imported suite, the plan and the reference's results instead
    of making them itself, all of them at the same time, at the start of every batch. A suite
    that does not collect is left to the workers, which report it.
    """
    try:
        version = suite_version(assignment)
    except SuiteError:
        return False
    grading = GradingPlugin(assignment)
    with warnings.catch_warnings():
        # The reference on hostile inputs may overflow; that is data, not a warning.
        warnings.simplefilter("ignore", RuntimeWarning)
        _run_pytest(assignment, [grading, _Preparation(grading, assignment, version)])
    return testing.planned_for() == (assignment, version)


#: Cells with a problem (and ingest notes) listed in a record; more are only counted.
MAX_CELL_REPORTS = 200


def build_result(
    settings: Settings,
    points: Points,
    submission: Ingested,
    sandbox: Sandbox | None,
    outcomes: list[TestOutcome],
    seconds: float,
    reused: int = 0,
) -> dict[str, Any]:
    """The gradebook record of one submission (plain data, JSON-ready)."""
    graded = submission.status == "ok" and sandbox is not None
    cell_names = _CellNames(submission.origins, submission.cells)
    defined = sandbox.names if sandbox is not None else []
    tests = (
        [
            {
                "name": o.name,
                "item": o.item,
                "score": float(o.points) if o.passed else 0.0,
                "max_score": float(o.points),
                "points": str(o.points),
                "passed": o.passed,
                "failure": _with_near_name(
                    cell_names.in_failure(o.failure), o.item, defined, points.by_item
                ),
                "error": o.error,
            }
            for o in outcomes
        ]
        if graded
        else []
    )
    earned = {item: Fraction(0) for item in points.by_item}
    for outcome in outcomes if graded else []:
        if outcome.passed and outcome.item in earned:
            earned[outcome.item] += outcome.points
    items = {
        item: {"score": float(earned[item]), "max_score": float(points.item_max(item))}
        for item in points.by_item
    }
    status, reason = submission.status, submission.reason
    if graded:
        status = "graded"
        if sandbox.failures and "time_budget" in sandbox.failures:
            status, reason = "timeout", "the submission used up its total time budget"
    cells = (
        [cell_names.report(c) for c in sandbox.cell_reports if c.status != "ok"] if sandbox else []
    )
    cells = [c for c in cells if c is not None]
    notes = list(submission.notes)
    # A notebook of thousands of failing cells: the first are listed, the rest only counted
    # (a record stays small enough to check, store and render as results arrive).
    omitted = max(0, len(cells) - MAX_CELL_REPORTS) + max(0, len(notes) - MAX_CELL_REPORTS)
    cells, notes = cells[:MAX_CELL_REPORTS], notes[:MAX_CELL_REPORTS]
    return {
        "assignment": settings.assignment,
        "student": submission.student,
        "files": [Path(f).name for f in submission.files],
        "content_hash": submission.content_hash,
        "suite_version": settings.suite_version,
        "status": "graded" if status == "ok" else status,
        "reason": reason,
        "score": float(sum(earned.values(), Fraction(0))),
        "max_score": float(points.max_score),
        "items": items,
        "tests": tests,
        "cells": cells,
        "notes": notes,
        "omitted": omitted,
        "sandbox_failures": sandbox.failures if sandbox else [],
        "output": (sandbox.output[:2000] if sandbox else ""),
        "seconds": round(seconds, 4),
        "reused_tests": reused,
    }


class _CellNames:
    """Cells as the student sees them: the sandbox numbers the cells it ran from 0 (the
    grader's prelude first, the course's skipped cells missing); the student counts the code
    cells of the notebook from 1, as Jupyter's order shows them."""

    _FILE = re.compile(r"<cell (\d+)>")
    _LINE = re.compile(r"<cell \d+>, line (\d+)")

    _DEFINES = re.compile(r"^(?:class|def)\s+([A-Za-z_]\w{0,100})", re.MULTILINE)

    def __init__(self, origins: list[CellOrigin], sources: list[str]) -> None:
        self.origins, self.sources = origins, sources

    def _origin(self, index: int) -> CellOrigin | None:
        # Sandbox cell 0 is the prelude; cell k is the submission's cells[k - 1].
        return self.origins[index - 1] if 0 < index <= len(self.origins) else None

    def _number(self, index: int) -> int:
        origin = self._origin(index)
        return origin.number if origin is not None else index

    def renumbered(self, text: str) -> str:
        """``text`` (a message or a traceback) naming cells by the student's numbers."""
        return self._FILE.sub(lambda m: f"<cell {self._number(int(m[1]))}>", text)

    def report(self, cell: CellReport) -> dict[str, Any] | None:
        """A cell's problem as recorded, or ``None`` if the cell is not the student's."""
        origin = self._origin(cell.index)
        if origin is None or not origin.own:
            return None
        record: dict[str, Any] = {"index": cell.index, "status": cell.status}
        error = dict(cell.error) if cell.error else None
        if error is not None:
            line = self._LINE.search(error.get("message", ""))
            if line:
                record["line"] = int(line[1])
            error = {key: self.renumbered(value) for key, value in error.items()}
        record["error"] = error
        record["number"], record["first_line"] = origin.number, origin.first_line
        if cell.status == "syntax_error":
            # What the cell would have defined: the feedback says what its error cost.
            source = self.sources[cell.index - 1]
            record["defines"] = list(dict.fromkeys(self._DEFINES.findall(source)))[:50]
        return record

    def in_failure(self, failure: dict[str, Any] | None) -> dict[str, Any] | None:
        """A test's failure with the cells its traceback names renumbered."""
        if failure is None or not isinstance(failure.get("traceback"), str):
            return failure
        return {**failure, "traceback": self.renumbered(failure["traceback"])}


def _with_near_name(
    failure: dict[str, Any] | None, item: str, defined: list[str], items: Iterable[str]
) -> dict[str, Any] | None:
    """A "not defined" failure with the student's name nearest to the item (``RMSprop``)."""
    if failure is None or failure.get("kind") != "missing":
        return failure
    near = near_name(item, defined, [other for other in items if other != item])
    return failure if near is None else {**failure, "near": near}


# pytest is a library here: no terminal output, no cache, no log or warning capture, none of
# the project's own pytest settings (the suite is run from an empty, private ini file), and no
# plugin that happens to be installed (hypothesis and the like: start-up time, nothing more).
PYTEST_ARGS = (
    "--capture=no",
    "--disable-plugin-autoload",
    *(
        arg
        for plugin in (
            "terminal",
            "cacheprovider",
            "logging",
            "warnings",
            "faulthandler",
            "doctest",
            "junitxml",
            "pastebin",
            "stepwise",
            "setuponly",
            "setupplan",
            "legacypath",
            "threadexception",
            "unraisableexception",
            "debugging",
            "nose",
        )
        for arg in ("-p", f"no:{plugin}")
    ),
)


def grade_stream(
    settings: Settings,
    tasks: Iterable[Task],
    emit: Callable[[dict[str, Any]], None],
    placement: Placement | None = None,
    memo_link: MemoLink | None = None,
) -> int:
    """Grade every task, calling ``emit(result)`` as each finishes. Returns pytest's exit code.

    With a ``placement``, each submission is graded on the core it assigns (see
    :mod:`autograder.placement`); with a ``memo_link``, reused outcomes are shared with the
    batch's other workers (:class:`autograder.memo.MemoLink`).
    """
    grading = GradingPlugin(settings.assignment, settings.reuse_outcomes)
    loop = _Loop(grading, tasks, settings, emit, placement, memo_link)
    return _run_pytest(settings.assignment, [grading, loop])


def _run_pytest(assignment: str, plugins: list[Any]) -> int:
    """pytest on ``assignment``'s suite with ``plugins``; pytest's exit code."""
    with tempfile.TemporaryDirectory(prefix="optigrade-pytest-") as rootdir:
        ini = Path(rootdir) / "pytest.ini"
        ini.write_text("[pytest]\n")
        args = [
            str(suite_dir(assignment)),
            "-c",
            str(ini),
            "--rootdir",
            rootdir,
            *PYTEST_ARGS,
        ]
        return int(pytest.main(args, plugins=plugins))
