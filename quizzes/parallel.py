"""Spreading per-sheet work (drawing, writing Markdown and HTML) over the machine's cores.

Each sheet depends only on (seed, quiz, student, item), so the sheets of a class split into
contiguous chunks that worker processes handle independently; the results come back in chunk
order, so the output is the same as a serial run, byte for byte.

Workers are *forked*: they inherit the quiz and the warm caches instead of receiving a pickled
copy (pickling 1,000 sheets costs about as much as writing them). Where ``fork`` is not
available (Windows, or macOS where it is unsafe) the work runs serially, as it does for small
quizzes, where starting processes costs more than it saves.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

#: Fewer tasks than this run serially: forking a pool costs about as much as 50 sheets.
MIN_PARALLEL = 50
#: Chunks per worker: several, so that one slow chunk does not leave a core idle at the end.
CHUNKS_PER_JOB = 4

_job: tuple[Callable[[Any, Sequence[Any]], Any], Any] | None = None


def cores() -> int:
    """The cores this process may use (the affinity mask, e.g. a container's CPU limit)."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _can_fork() -> bool:
    return sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()


def _run(chunk: Sequence[Any]) -> Any:
    assert _job is not None, "a worker runs only inside fan_out"
    work, shared = _job
    return work(shared, chunk)


def fan_out(
    work: Callable[[Any, Sequence[T]], R],
    shared: Any,
    tasks: Sequence[T],
    jobs: int | None = None,
) -> list[R]:
    """``work(shared, chunk)`` for contiguous chunks of ``tasks``, results in order.

    ``work`` must be a module-level function and must not depend on which chunk another
    process handles; ``shared`` reaches the workers by fork, never pickled.
    """
    global _job
    jobs = min(jobs or cores(), max(1, len(tasks) // MIN_PARALLEL))
    if jobs < 2 or not _can_fork():
        return [work(shared, tasks)]
    size = -(-len(tasks) // (jobs * CHUNKS_PER_JOB))
    chunks = [tasks[start : start + size] for start in range(0, len(tasks), size)]
    _job = (work, shared)
    # Frozen objects are skipped by the collector, so a worker's garbage collections do not
    # touch (and copy) every page of the heap it shares with the parent.
    gc.freeze()
    try:
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            return list(pool.map(_run, chunks))
    finally:
        _job = None
        gc.unfreeze()
