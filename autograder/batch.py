"""A whole class: discover submissions, skip finished ones, grade in parallel, record each.

The main process never runs student code or tests: it discovers the submissions, asks the
gradebook which ones are already graded (same content hash and suite version), hands the rest
to worker processes (each an :mod:`autograder.engine` worker with its own zygote) and commits
every result to the gradebook the moment it arrives. A worker that dies takes only its
submission in flight with it; that submission is retried once on another worker and otherwise
recorded as ``internal_error``. A result is checked before it is committed
(``autograder.record``): one of the wrong shape, or for another student than the one in
flight on that worker, is recorded as that student's ``internal_error`` with the reason.

Nothing of a batch outlives its main process, however it ends (SIGKILL included): each worker
watches a pipe only the main process holds open (:class:`_Lifeline`) and exits when it reads
the end of it; each worker's zygote dies with its worker, and each sandbox with its zygote.
The worker server sees the main process go as well, once no worker holds its "alive" pipe.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import pickle
import queue
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.escaping import VisibleWriter
from autograder.gradebook import Gradebook
from autograder.intake import Ingested, Intake, Submission, content_hash, discover
from autograder.placement import CoreBoard, Placement, available_cores
from autograder.record import RecordError, checked_for
from autograder.sandbox import isolation
from autograder.scoring import Points, load_points
from autograder.server import start_worker_server
from autograder.settings import Settings, Task

_STOP = None


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


class _Lifeline:
    """A pipe whose writing end only the batch's main process holds.

    Workers are forked from the worker server, not from the main process, so the kernel's
    parent-death signal cannot tell them it died; the end of this pipe can, whenever and
    however it dies: each worker reads its end in a thread and exits on end-of-file.
    """

    def __init__(self, context: Any) -> None:
        self.reader, self.writer = context.Pipe(duplex=False)

    def close(self) -> None:
        self.writer.close()  # every worker still alive reads end-of-file and exits

    @staticmethod
    def watch(reader: Any) -> None:
        """In a worker: exit this process as soon as the main process is gone."""

        def wait() -> None:
            with contextlib.suppress(EOFError, OSError):
                reader.recv_bytes()  # nothing is ever sent: this returns only at the end
            os._exit(70)  # at once: the zygote, our child, dies with us (and its sandbox)

        threading.Thread(target=wait, name="optigrade-lifeline", daemon=True).start()


def _release_worker_server_pipe() -> None:
    """Close this worker's copy of the worker server's "alive" pipe.

    multiprocessing hands every process the server forks a copy of the pipe whose end-of-file
    tells the server that the main process exited. While any worker kept it, the server
    outlived a killed main process, and so did the workers (whose parent it is).
    """
    from multiprocessing import forkserver

    server = forkserver._forkserver  # private, but the only handle on the inherited pipe
    if server._forkserver_alive_fd is not None:
        os.close(server._forkserver_alive_fd)
        server._forkserver_alive_fd = None


@dataclass(frozen=True)
class _Wiring:
    """What one worker shares with its batch; handed to the worker process as it starts."""

    tasks: mp.Queue  # every worker's: the students to grade, then one stop per worker
    results: mp.Queue  # every worker's: start, done, memo and exit messages to the main process
    board: CoreBoard  # every worker's: who is at work on which core (placement)
    inbox: mp.Queue  # this worker's: outcomes the other workers stored
    lifeline: Any  # every worker's: the reading end of the main process's lifeline


class _QueueLink:
    """A worker's :class:`~autograder.memo.MemoLink`: what it stores goes to the main process
    with its results, which hands it to every other worker's inbox.

    The entries travel as one pickled blob that only workers open: unpickling them would make
    the main process import the engine's types (pytest with them), about a second that held
    up every result of the batch's first seconds. Pickle is safe here: the blob is made by a
    trusted worker from its own memo, never by a sandbox.
    """

    def __init__(self, index: int, results: mp.Queue, inbox: mp.Queue) -> None:
        self.index, self.results, self.inbox = index, results, inbox

    def publish(self, entries: list) -> None:
        if entries:
            self.results.put(("memo", self.index, pickle.dumps(entries)))

    def receive(self) -> Iterator:
        while True:
            try:
                blob = self.inbox.get_nowait()
            except queue.Empty:
                return
            yield from pickle.loads(blob)


def _worker(index: int, settings: Settings, wiring: _Wiring) -> None:
    # Imported here: the main process never runs tests (nor imports pytest); the worker server
    # has it preloaded (autograder.server).
    from autograder.engine import grade_stream

    # A worker must not outlive its batch: neither its main process (the lifeline) nor the
    # worker server it was forked from (the parent-death signal).
    isolation.die_with_parent()
    _Lifeline.watch(wiring.lifeline)
    _release_worker_server_pipe()
    isolation.name_process(f"optigrade-wrk{index}")
    # Whatever a worker prints (a traceback as it dies) may quote a student's values.
    sys.stdout, sys.stderr = VisibleWriter(sys.stdout), VisibleWriter(sys.stderr)
    # Reference and variant runs on hostile inputs may overflow; that is data, not a warning.
    warnings.simplefilter("ignore", RuntimeWarning)

    results = wiring.results

    def feed():
        while (task := wiring.tasks.get()) is not _STOP:
            results.put(("start", index, task.student))
            yield task

    code = grade_stream(
        settings,
        feed(),
        lambda result: results.put(("done", index, result)),
        Placement(wiring.board, index),
        _QueueLink(index, results, wiring.inbox),
    )
    results.put(("exit", index, code))


def default_jobs() -> int:
    """Two workers per core.

    A worker and its sandbox take turns on their core (autograder.placement), so a core with
    one worker idles whenever that worker waits: between the sandbox's last reply and the
    worker's next read, while a sandbox waits out a time limit, at the start and the end of a
    batch. A second worker on the core fills those gaps (2 cores, alternating runs: 37.5
    against 35.3 submissions/s with three workers; ``benchmarks/RESULTS.md``).
    """
    return 2 * len(available_cores())


def run(
    settings: Settings,
    batch: BatchPlan,
    gradebook: Gradebook,
    jobs: int | None = None,
    on_result: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """Grade ``batch.tasks`` on ``jobs`` worker processes; return the students graded.

    Each result is recorded in ``gradebook`` and handed to ``on_result`` as it arrives, and
    not kept: the batch's memory does not grow with the number of students.
    """
    if not batch.tasks:
        return []
    jobs = max(1, min(jobs or default_jobs(), len(batch.tasks)))
    context = start_worker_server(settings.assignment)
    tasks: mp.Queue = context.Queue()
    results: mp.Queue = context.Queue()
    by_student = {t.student: t for t in batch.tasks}
    for task in batch.tasks:
        tasks.put(task)
    # Each worker and its sandboxes on one core, chosen again per submission (placement).
    board = CoreBoard(context, available_cores(), jobs)
    # Each worker's inbox of outcomes the others stored. What a worker never reads is only
    # a missed reuse, so the main process never waits for an inbox to be drained.
    inboxes: dict[int, mp.Queue] = {i: context.Queue() for i in range(jobs)}
    for inbox in inboxes.values():
        inbox.cancel_join_thread()
    lifeline = _Lifeline(context)
    wiring = {i: _Wiring(tasks, results, board, inboxes[i], lifeline.reader) for i in range(jobs)}
    points = load_points(settings.assignment)
    item_max = {item: points.item_max(item) for item in points.by_item}

    def commit(index: int, payload: Any) -> None:
        nonlocal remaining
        task = by_student.get(in_flight.get(index) or "")
        in_flight[index] = None
        if task is None:  # a result no worker said it started: nothing to record it for
            return
        if isinstance(payload, dict):
            # Intake's word, from this process: never what a worker says about it.
            payload["provenance"] = task.provenance
        try:
            result = checked_for(
                payload,
                assignment=settings.assignment,
                suite_version=settings.suite_version,
                student=task.student,
                content_hash=task.content_hash,
                item_max=item_max,
            )
            gradebook.record(result)
        except RecordError as exc:
            result = _internal_error(
                settings, points, task, f"the grader produced a malformed result: {exc}"
            )
            gradebook.record(result)
        finished.append(task.student)
        remaining -= 1
        if on_result:
            on_result(result)

    workers = {i: _start_worker(context, i, settings, wiring[i]) for i in range(jobs)}
    in_flight: dict[int, str | None] = dict.fromkeys(workers)
    retried: set[str] = set()
    finished: list[str] = []
    remaining = len(batch.tasks)
    stops_sent = False
    exited: set[int] = set()  # workers that said they are done, pytest's exit code checked
    try:
        # Once every result is in, only the workers' own word that they are done is awaited:
        # polling for their processes to be gone cost up to one more poll period (0.5 s).
        while remaining > 0 or any(w.is_alive() and i not in exited for i, w in workers.items()):
            if remaining == 0 and not stops_sent:
                for _ in workers:
                    tasks.put(_STOP)
                stops_sent = True
            try:
                kind, index, payload = results.get(timeout=0.5)
            except queue.Empty:
                for index, worker in list(workers.items()):
                    if worker.is_alive() or worker.exitcode == 0:
                        continue
                    lost = in_flight.get(index)
                    in_flight[index] = None
                    if remaining > 0:
                        workers[index] = _start_worker(context, index, settings, wiring[index])
                    if lost is None:
                        continue
                    if lost in retried:
                        reason = (
                            "the grading worker died twice on this submission "
                            f"(exit code {worker.exitcode})"
                        )
                        result = _internal_error(settings, points, by_student[lost], reason)
                        gradebook.record(result)
                        finished.append(result["student"])
                        remaining -= 1
                        if on_result:
                            on_result(result)
                    else:
                        retried.add(lost)
                        tasks.put(by_student[lost])
                continue
            if kind == "memo":
                for other, inbox in inboxes.items():
                    if other != index:
                        inbox.put(payload)
            elif kind == "start":
                in_flight[index] = payload
            elif kind == "done":
                commit(index, payload)
            elif kind == "exit":
                exited.add(index)
                if payload in (0, 1, 5):  # 1: some student failed a test; 5: no test ran
                    continue
                raise RuntimeError(
                    f"the hidden suite of {settings.assignment!r} could not run "
                    f"(pytest exit {payload})"
                )
    finally:
        for index, worker in workers.items():
            if index not in exited and worker.is_alive():
                worker.terminate()
        for worker in workers.values():
            worker.join(timeout=5)
        lifeline.close()  # any worker still there exits now
    return finished


def _start_worker(context: Any, index: int, settings: Settings, wiring: _Wiring) -> Any:
    process = context.Process(target=_worker, args=(index, settings, wiring), daemon=True)
    process.start()
    return process


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
