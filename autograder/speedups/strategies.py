"""The speed-up strategies of one grading process (see :mod:`autograder.speedups`)."""

from __future__ import annotations

from collections.abc import Callable

from autograder.speedups import Switches
from autograder.speedups.memo import MemoLink, OutcomeMemo, Tape
from autograder.speedups.placement import Placement
from autograder.speedups.reference import ReferenceRuns


class Speedups:
    """The speed-up strategies of one grading process, made from the batch's switches.

    ``reference``: a reference pass inherited from the worker server (else an empty one, which
    the engine fills); ``placement``: this worker's use of the batch's core board; ``memo_link``:
    how this process shares reused outcomes with the batch's others. Each is dropped when its
    switch is off.
    """

    def __init__(
        self,
        switches: Switches,
        reference: ReferenceRuns | None = None,
        placement: Placement | None = None,
        memo_link: MemoLink | None = None,
    ) -> None:
        self.switches = switches
        #: The reference's results and traces: always kept (a check compares with them), the
        #: traces only planned when the plan is on.
        self.reference = reference if reference is not None else ReferenceRuns()
        self.memo = OutcomeMemo() if switches.reuse_outcomes else None
        self.memo_link = memo_link if self.memo is not None else None
        if self.memo is not None and self.memo_link is not None:
            self.memo.collect_new = True
        self.placement = placement if switches.placement else None
        #: What the tests learnt from the sandbox in flight (``None``: nothing is recorded).
        self.tape: Tape | None = None

    @property
    def plan(self) -> bool:
        return self.switches.plan

    def planned_for(self, assignment: str, version: str) -> bool:
        """Whether the reference pass this process holds was made for that suite."""
        return self.reference.made_for == (assignment, version)

    def planned_traces(self) -> list[tuple[bytes, list[int]]]:
        """The plan as a sandbox backend takes it: each trace encoded, with its arities."""
        return [(t.encoded, t.arities()) for t in self.reference.plan.traces]

    def begin(self, *pids: int) -> None:
        """A submission starts: move ``pids`` (the worker, its zygote) to the core placement
        gives, and learn the outcomes the other processes stored meanwhile."""
        if self.placement is not None:
            self.placement.enter(*pids)
        if self.memo is not None and self.memo_link is not None:
            for entry in self.memo_link.receive():
                self.memo.store(*entry, learnt=True)

    def new_tape(self) -> Tape | None:
        """The observer of a new sandbox: what its tests learn, for the memo (``None``: off)."""
        self.tape = Tape() if self.memo is not None else None
        return self.tape

    @property
    def on_runaway(self) -> Callable[[], None] | None:
        """What a demoted sandbox calls: its core is offered to the other workers."""
        return self.placement.stall if self.placement is not None else None

    def end(self) -> None:
        """The submission is done: free its core, hand on the outcomes stored for it."""
        self.tape = None
        if self.placement is not None:
            self.placement.leave()
        if self.memo is not None and self.memo_link is not None:
            self.memo_link.publish(self.memo.take_new())
