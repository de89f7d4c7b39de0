"""Reusing a hidden test's outcome for a submission that behaves exactly like an earlier one.

A hidden test is deterministic: its inputs come from its own seeds and the reference is fixed.
What varies between submissions is only what the student's code answered, and when a test
learns those answers from the plan (:meth:`Sandbox.planned`) each answer arrives as a block of
bytes. So a test's outcome is a function of the sequence of answers it read, and the next
question it asks depends only on the answers before it. The memo keeps, per test:

* after the answers ``a1 … ak`` (by digest): which question came next, or the outcome;

and for a new submission walks that path with the new submission's digests. A path that leaves
the known ones (an answer never seen before) means: run the test. Nothing is reused from a test
that made any request outside the plan (a live call, a single replay) or met a sandbox failure,
because those answers are not on the tape; tests of an item whose earlier test timed out are
never looked up (the ``check`` fixture skips them).

Correct submissions of one class share most answers bit for bit (``params[k] -= lr * g`` gives
the same bytes whoever writes it), so most tests of most submissions are answered here, while
every new behaviour is still graded by the hidden suite itself.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

#: A question a test asked of the submission (``("plan", index)``, ``("defines", name)``) and
#: what the submission answered (a digest, a bool).
Step = tuple[tuple[str, Any], Any]


class OutcomeMemo:
    """Outcomes of hidden tests keyed by the exact answers they were computed from."""

    def __init__(self, limit: int = 200_000) -> None:
        self._next: dict[tuple[str, tuple[Step, ...]], tuple[str, Any]] = {}
        self._outcomes: dict[tuple[str, tuple[Step, ...]], Any] = {}
        self._limit = limit
        self.hits = 0
        self.misses = 0

    def lookup(self, test: str, answer: Callable[[tuple[str, Any]], Any]) -> Any | None:
        """The outcome ``test`` had for the same answers, or ``None`` (then run it).

        ``answer(question)`` asks the current submission; ``None`` means it cannot say (not
        planned, or the sandbox failed), which is a miss.
        """
        path: tuple[Step, ...] = ()
        while True:
            key = (test, path)
            if key in self._outcomes:
                self.hits += 1
                # A shallow copy: its failure facts are plain data that nothing changes later.
                return copy.copy(self._outcomes[key])
            question = self._next.get(key)
            reply = None if question is None else answer(question)
            if reply is None:
                self.misses += 1
                return None
            path += ((question, reply),)

    def store(self, test: str, tape: list[Step], outcome: Any) -> None:
        """Remember ``outcome`` of ``test``, computed from the answers on ``tape``, in order."""
        if len(self._outcomes) + len(self._next) >= self._limit:
            return
        path: tuple[Step, ...] = ()
        for question, reply in tape:
            self._next[(test, path)] = question
            path += ((question, reply),)
        self._outcomes[(test, path)] = copy.deepcopy(outcome)
