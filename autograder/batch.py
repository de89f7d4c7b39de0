"""A whole class: discover submissions, skip finished ones, grade them, record each.

The main process never runs student code or tests: it discovers the submissions, asks the
gradebook which ones are already graded (same content hash and suite version), hands the rest
to an executor (:mod:`autograder.executors`: local worker processes, or a Dask cluster) and
commits every result to the gradebook the moment it arrives. A result is checked before it is
committed (``autograder.record``): one of the wrong shape, or for another student than the
task it answers, is recorded as that student's ``internal_error`` with the reason; so is a task
the executor lost. Every student is recorded once, whatever the executor did twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.executors import Executor, make_executor
from autograder.gradebook import Gradebook
from autograder.intake import Ingested, Intake, Submission, content_hash, discover
from autograder.record import RecordError, checked_for
from autograder.scoring import Points, load_points
from autograder.settings import Settings, Task


@dataclass
class BatchPlan:
    tasks: list[Task]
    skipped: list[str] = field(default_factory=list)  # already graded, unchanged
    #: What intake refused, as (student, "where: why"), and refusals of no student ("", ...):
    #: for the TA's summary. Each student's are also in their gradebook row (status
    #: ``refused`` when nothing else was left to grade, else notes).
    refused: list[tuple[str, str]] = field(default_factory=list)
    #: Every submission intake found (graded now or skipped), with its provenance.
    submissions: list[Submission] = field(default_factory=list)


def plan(
    settings: Settings,
    paths: list[Path],
    gradebook: Gradebook,
    scratch: Path,
    regrade: bool = False,
    intake: Intake | None = None,
) -> BatchPlan:
    """Which students of ``paths`` to grade: one task per student id (intake makes ids unique
    in the batch), without those whose files and suite are unchanged since they were graded.

    Raises :class:`~autograder.intake.IngestError` only for the TA's own unusable input.
    """
    found = discover(paths, scratch, intake)
    result = BatchPlan([], refused=[("", warning) for warning in found.warnings])
    for submission in found.submissions:
        result.refused.extend((submission.student, line) for line in submission.refused)
        result.submissions.append(submission)
        digest = content_hash(
            submission.files, submission.names, submission.refused, submission.notes
        )
        provenance = submission.provenance.as_json()
        if not regrade and gradebook.is_current(
            settings.assignment, submission.student, digest, settings.suite_version
        ):
            # The same file, but perhaps a time learnt since (a worksheet passed this time).
            gradebook.set_provenance(settings.assignment, submission.student, provenance)
            result.skipped.append(submission.student)
        else:
            result.tasks.append(
                Task(
                    submission.student,
                    [str(f) for f in submission.files],
                    digest,
                    submission.names,
                    submission.refused,
                    submission.notes,
                    provenance,
                )
            )
    return result


def run(
    settings: Settings,
    batch: BatchPlan,
    gradebook: Gradebook,
    jobs: int | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
    executor: Executor | None = None,
) -> list[str]:
    """Grade ``batch.tasks`` with ``executor`` (default: the local pool of ``jobs`` worker
    processes); return the students graded.

    Each result is checked, recorded in ``gradebook`` and handed to ``on_result`` as it
    arrives, and not kept: the batch's memory does not grow with the number of students. A
    task graded twice (a cluster that re-ran it) is recorded once.
    """
    if not batch.tasks:
        return []
    executor = executor or make_executor(jobs=jobs)
    points = load_points(settings.assignment)
    item_max = {item: points.item_max(item) for item in points.by_item}
    finished: list[str] = []
    done: set[str] = set()
    for outcome in executor.grade(settings, batch.tasks):
        task = outcome.task
        if task.student in done:
            continue
        if outcome.lost is not None:
            result = _internal_error(settings, points, task, outcome.lost)
        else:
            if isinstance(outcome.result, dict):
                # Intake's word, from this process: never what a worker says about it.
                outcome.result["provenance"] = task.provenance
            try:
                result = checked_for(
                    outcome.result,
                    assignment=settings.assignment,
                    suite_version=settings.suite_version,
                    student=task.student,
                    content_hash=task.content_hash,
                    item_max=item_max,
                )
            except RecordError as exc:
                reason = f"the grader produced a malformed result: {exc}"
                result = _internal_error(settings, points, task, reason)
        gradebook.record(result)
        done.add(task.student)
        finished.append(task.student)
        if on_result:
            on_result(result)
    return finished


def _internal_error(settings: Settings, points: Points, task: Task, reason: str) -> dict[str, Any]:
    from autograder.engine import build_result  # rare: not worth pytest in every main process

    # The names the submission knows its files by (an archive entry's own name), never the
    # generated names they were extracted under.
    files = task.names or [Path(f).name for f in task.files]
    submission = Ingested(
        task.student, files, task.content_hash, status="internal_error", reason=reason
    )
    return {
        **build_result(settings, points, submission, None, [], 0.0),
        "provenance": task.provenance,
    }
