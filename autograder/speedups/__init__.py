"""The speed-ups of grading: strategies held by one object per grading process.

Three optimisations make a batch fast; none may change a grade (``tests/test_speedups.py``
grades a class with each of them off, and with all of them off):

* **plan replay** (:mod:`~autograder.speedups.replay`, :mod:`~autograder.speedups.reference`):
  the reference's call traces, recorded once per grading process, replayed by each sandbox up
  front in one go;
* **reused outcomes** (:mod:`~autograder.speedups.memo`): a test whose answers are the same
  bytes as an earlier submission's gets that submission's outcome, shared between the grading
  processes of a batch (or of a Dask worker) through a :class:`~autograder.speedups.memo.MemoLink`;
* **placement** (:mod:`~autograder.speedups.placement`): each local worker, its zygote and its
  sandbox on one core, chosen again per submission.

:class:`Switches` says which are on: plain data, carried by the batch's
:class:`~autograder.engine.settings.Settings` to wherever grading runs, and made from the command's
options in one place (:meth:`Switches.chosen`; kept in this light module because the batch's
main process reads them too). :class:`~autograder.speedups.strategies.Speedups` holds the
strategies of one grading process; :func:`autograder.engine.worker.grade_stream` builds it from the
switches and from what only the executor has (the core board, the memo link, a reference pass
inherited from the worker server), and hands it to the engine's loop and to the pytest plugin.
The sandbox client knows none of them: the engine injects what a sandbox needs (whether to run
the plan, an observer of what the tests learn, what to do once it is demoted).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Switches:
    """Which speed-ups a batch uses (all by default)."""

    #: Sandboxes compute the replies to the suite's recorded traces up front, in one go.
    plan: bool = True
    #: A test's outcome is reused for a submission whose answers are the same bytes. The memo
    #: knows answers by the plan's replies, so without the plan nothing is reused.
    reuse_outcomes: bool = True
    #: Each local worker and its sandbox share one core (the local pool only).
    placement: bool = True

    @classmethod
    def chosen(
        cls,
        *,
        none: bool = False,
        no_plan: bool = False,
        no_reuse: bool = False,
        no_placement: bool = False,
    ) -> Switches:
        """The switches a command's options ask for: ``none`` turns every one off."""
        return cls(
            plan=not (none or no_plan),
            reuse_outcomes=not (none or no_reuse),
            placement=not (none or no_placement),
        )


#: Every speed-up off: the same grades, only slower.
NONE = Switches.chosen(none=True)
