"""Reusing a hidden test's outcome for a submission that behaves exactly like an earlier one.

A hidden test is deterministic: its inputs come from its own seeds and the reference is fixed.
What varies between submissions is only what the student's code answered, and when a test
learns those answers from the plan (:meth:`Sandbox.planned`) each answer arrives as a block of
bytes. So a test's outcome is a function of the sequence of answers it read, and the next
question it asks depends only on the answers before it. The memo keeps, per test:

* after the answers ``a1 … ak`` (by digest): which question came next, or the outcome;

and for a new submission walks that path with the new submission's digests. A path that leaves
the known ones (an answer never seen before) means: run the test.

What a test learns is written on the sandbox's :class:`Tape`. Anything else that passes between
a test and the sandbox (a live call, a single replay, a failure of any kind, a plan entry that
could not be read) *taints* the tape, and a test that tainted it is never stored: its outcome
may depend on more than the answers on the tape. Outcomes of sandbox failures are never stored
either. The run loop applies the rule of the ``check`` fixture to reused outcomes too: after a
test of an item timed out, that item's later tests are skipped, reused or not.

Correct submissions of one class share most answers bit for bit (``params[k] -= lr * g`` gives
the same bytes whoever writes it), so most tests of most submissions are answered here, while
every new behaviour is still graded by the hidden suite itself.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any, Protocol

#: A question a test asked of the submission (``("plan", index)``, ``("defines", name)``) and
#: what the submission answered (a digest, a bool).
Step = tuple[tuple[str, Any], Any]

#: What one memo tells another: a test, the answers it read, its outcome (see
#: :meth:`OutcomeMemo.store`).
Entry = tuple[str, list[Step], Any]

#: Failure kinds that come from the sandbox, not from the student's answers: never stored.
SANDBOX_FAILURE_KINDS = frozenset(
    {"crashed", "timeout", "time_budget", "protocol", "restarted", "skipped_after_timeout"}
)


class Tape:
    """What the tests learnt from one sandbox, in order, and whether anything else happened."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.taints = 0

    def record(self, question: tuple[str, Any], answer: Any) -> None:
        self.steps.append((question, answer))

    def taint(self) -> None:
        """Something passed that is not on the tape: the current test must not be stored."""
        self.taints += 1

    def mark(self) -> tuple[int, int]:
        return len(self.steps), self.taints

    def since(self, mark: tuple[int, int]) -> list[Step] | None:
        """The steps after ``mark``, or ``None`` if the tape was tainted since."""
        return self.steps[mark[0] :] if self.taints == mark[1] else None


class OutcomeMemo:
    """Outcomes of hidden tests keyed by the exact answers they were computed from."""

    def __init__(self, limit: int = 200_000) -> None:
        self._next: dict[tuple[str, tuple[Step, ...]], tuple[str, Any]] = {}
        self._outcomes: dict[tuple[str, tuple[Step, ...]], Any] = {}
        self._limit = limit
        self.hits = 0
        self.misses = 0
        #: Whether outcomes stored here are also kept for :meth:`take_new` (workers that
        #: share what they learn, see :class:`MemoLink`).
        self.collect_new = False
        self._new: list[Entry] = []

    def lookup(self, test: str, answer: Callable[[tuple[str, Any]], Any]) -> Any | None:
        """The outcome ``test`` had for the same answers, or ``None`` (then run it).

        ``answer(question)`` asks the current submission; ``None`` means it cannot say (not
        planned, or the sandbox failed), which is a miss.
        """
        path: tuple[Step, ...] = ()
        while True:
            key = (test, path)
            outcome = self._outcomes.get(key)
            if outcome is not None:
                self.hits += 1
                # Shared, not copied: an outcome is frozen and its failure facts are plain data
                # that nothing changes later.
                return outcome
            question = self._next.get(key)
            reply = None if question is None else answer(question)
            if reply is None:
                self.misses += 1
                return None
            path += ((question, reply),)

    def store(self, test: str, tape: list[Step], outcome: Any, *, learnt: bool = False) -> None:
        """Remember ``outcome`` of ``test``, computed from the answers on ``tape``, in order.

        ``learnt``: the entry comes from another memo (:meth:`take_new`), so it is not handed
        on again.
        """
        failure = getattr(outcome, "failure", None) or {}
        if failure.get("kind") in SANDBOX_FAILURE_KINDS:
            return
        if len(self._outcomes) + len(self._next) >= self._limit:
            return
        path: tuple[Step, ...] = ()
        for question, reply in tape:
            self._next[(test, path)] = question
            path += ((question, reply),)
        self._outcomes[(test, path)] = copy.deepcopy(outcome)
        if self.collect_new and not learnt:
            self._new.append((test, list(tape), self._outcomes[(test, path)]))

    def take_new(self) -> list[Entry]:
        """The outcomes stored here (not learnt) since the last call, for other memos."""
        new, self._new = self._new, []
        return new


class MemoLink(Protocol):
    """How the workers of one batch share the outcomes they store.

    Each worker grades with a memo of its own; without sharing, a behaviour first met by
    four workers is graded four times. With a link, every outcome a worker stores reaches the
    others' memos before their next submission. An outcome is a function of the answers it
    was computed from (the rule that makes the memo sound), whichever worker computed it.
    """

    def publish(self, entries: list[Entry]) -> None:
        """Hand the outcomes this worker stored to the other workers."""

    def receive(self) -> Iterable[Entry]:
        """The outcomes the other workers stored since the last call (never blocks)."""
