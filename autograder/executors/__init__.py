"""Executors: where a batch's grading tasks run.

The batch (:mod:`autograder.engine.batch`) finds the submissions, decides which to grade, and
commits
every result to the gradebook; an executor only grades. It takes the batch's
:class:`~autograder.engine.settings.Settings` and its :class:`~autograder.engine.settings.Task`
list and
yields one :class:`Outcome` per task, in the order they finish. Neither the batch, nor the
gradebook, nor the reports know which executor ran.

* :class:`~autograder.executors.local.LocalPool`: worker processes on this machine (the
  default), each running :func:`autograder.engine.worker.grade_stream` with its own zygote;
* :class:`~autograder.executors.cluster.DaskExecutor`: a Dask cluster
  (``--cluster tcp://HOST:8786`` or ``--cluster local:N``); submissions travel as bytes.

:func:`make_executor` is the one place that builds either.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from autograder.engine.settings import Settings, Task


@dataclass(frozen=True)
class Outcome:
    """What became of one task: the worker's result (plain data, not yet checked: the batch
    checks it before it is recorded), or why there is none."""

    task: Task
    result: Any = None
    #: Why no result came (a worker died twice on it, a cluster gave up on it): the batch
    #: records the student's ``internal_error`` with this reason.
    lost: str | None = None


class Executor(Protocol):
    """Grades tasks somewhere; yields an :class:`Outcome` for each task, exactly once."""

    def grade(self, settings: Settings, tasks: Sequence[Task]) -> Iterator[Outcome]: ...

    def missing_layers(self) -> list[Any]:
        """The sandbox isolation layers that do not hold where this executor's sandboxes run
        (:class:`autograder.doctor.MissingLayer`, a union over every machine)."""
        ...

    def run_everywhere(self, function: Callable[[], Any]) -> dict[str, Any]:
        """``function()`` run once on every machine that grades, by machine name."""
        ...

    def close(self) -> None: ...


def make_executor(cluster: str | None = None, jobs: int | None = None) -> Executor:
    """The executor for ``cluster`` (a Dask scheduler's address, or ``local:N``), else the
    local pool of ``jobs`` worker processes (default: two per core). Which speed-ups they use
    travels with each batch's settings (``Settings.speedups``)."""
    if cluster:
        from autograder.executors.cluster import DaskExecutor  # dask only when asked for

        return DaskExecutor(cluster)
    from autograder.executors.local import LocalPool

    return LocalPool(jobs)
