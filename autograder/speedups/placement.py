"""Which core a grading pipeline runs on, chosen again for every submission.

A *pipeline* is one worker, its zygote and the sandbox of the submission in flight. They take
turns (the worker waits while its sandbox computes, and the other way round), so all three
are kept on one core: on a virtual machine a wake-up across cores is expensive, and the batch
ran at 28.5 submissions/s unpinned against 33/s pinned (``benchmarks/RESULTS.md``).

A core fixed per worker has a flaw, though. While a sandbox waits out its time limit (an
infinite loop, a memory bomb), its worker is blocked. The sandbox is demoted to the lowest CPU
priority after ``Timeouts.runaway`` seconds, but with nothing else on that core it still gets
the whole core, for the seconds its limit has left. With three workers on two cores, the
worker alone on its core turned each hang into a lost core: in a 1,000-notebook class, four
such sandboxes burnt about 10 of the run's 65 CPU-seconds.

So a worker asks the :class:`CoreBoard` for a core at the start of every submission: the one
with the fewest pipelines at work, where a pipeline whose sandbox was demoted no longer counts.
A busy pipeline then joins the core of a hung one at its next submission, and the demoted
sandbox only gets the moments that pipeline leaves idle.
"""

from __future__ import annotations

import contextlib
import os
from typing import Any


def available_cores() -> list[int]:
    """The cores this process may run on, in order (all of them where affinity is unknown)."""
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


class CoreBoard:
    """Which core each worker of a batch is at work on, shared by all of them.

    One slot per worker (its core, or -1 while it is not at work), rather than a count per
    core, so that a worker that dies mid-submission leaves nothing behind: its replacement
    takes over its slot. Made in the batch's main process and handed to each worker process
    when it starts (it holds shared memory and a lock, so it cannot be pickled later).
    """

    def __init__(self, context: Any, cores: list[int], workers: int) -> None:
        self.cores = list(cores)
        self._slots = context.Array("i", [-1] * workers)

    def claim(self, worker: int, preferred: int | None) -> int:
        """Put ``worker`` at work on the core with the fewest others at work (``preferred``
        on a tie) and return that core."""
        with self._slots.get_lock():
            self._slots[worker] = -1
            busy = self._counts()
            least = min(busy.values())
            core = (
                preferred
                if preferred in busy and busy[preferred] == least
                else next(c for c in self.cores if busy[c] == least)
            )
            self._slots[worker] = core
        return core

    def release(self, worker: int) -> None:
        with self._slots.get_lock():
            self._slots[worker] = -1

    def counts(self) -> dict[int, int]:
        """Workers at work per core, now (for tests and diagnostics)."""
        with self._slots.get_lock():
            return self._counts()

    def _counts(self) -> dict[int, int]:
        busy = dict.fromkeys(self.cores, 0)
        for core in self._slots:
            if core in busy:
                busy[core] += 1
        return busy


class Placement:
    """One worker's use of the board: enter a submission, maybe stall, leave."""

    def __init__(self, board: CoreBoard, worker: int) -> None:
        self.board, self.worker = board, worker
        self.core: int | None = None

    def enter(self, *pids: int) -> int:
        """Claim a core for the next submission and move ``pids`` (the worker itself, its
        zygote) onto it; the sandboxes the zygote forks from now on inherit it."""
        core = self.board.claim(self.worker, self.core)
        if core != self.core and hasattr(os, "sched_setaffinity"):
            for pid in pids:
                # A zygote that just died is replaced by one that inherits the worker's core.
                with contextlib.suppress(OSError):
                    os.sched_setaffinity(pid, {core})
        self.core = core
        return core

    def stall(self) -> None:
        """The submission's sandbox was demoted: this worker no longer counts as at work."""
        self.board.release(self.worker)

    def leave(self) -> None:
        self.board.release(self.worker)
