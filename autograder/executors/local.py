"""The local executor: grading worker processes on this machine.

Each worker is forked from the worker server (:mod:`autograder.server`), runs
:func:`autograder.engine.grade_stream` with its own zygote, and takes students from a shared
queue. A worker that dies takes only its submission in flight with it; that submission is
retried once on another worker, and otherwise reported lost.

Nothing of a batch outlives its main process, however it ends (SIGKILL included): each worker
watches a pipe only the main process holds open (:class:`_Lifeline`) and exits when it reads
the end of it; each worker's zygote dies with its worker, and each sandbox with its zygote.
The worker server sees the main process go as well, once no worker holds its "alive" pipe.

Two speed-ups live here, each switchable: placement (a worker and its sandbox share one core,
:mod:`autograder.placement`; ``placement=False``) and the sharing of reused test outcomes
between workers (:class:`_QueueLink`; off with ``Settings.reuse_outcomes``).
"""

from __future__ import annotations

import multiprocessing as mp
import os
import pickle
import queue
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from autograder.executors import Outcome
from autograder.executors.process import become_grading_process
from autograder.placement import CoreBoard, Placement, available_cores
from autograder.sandbox import isolation
from autograder.server import start_worker_server
from autograder.settings import Settings, Task

_STOP = None


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
    board: CoreBoard | None  # every worker's: who is at work on which core (placement)
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
    _release_worker_server_pipe()
    become_grading_process(f"optigrade-wrk{index}", wiring.lifeline.fileno())

    results = wiring.results

    def feed():
        while (task := wiring.tasks.get()) is not _STOP:
            results.put(("start", index, task.student))
            yield task

    code = grade_stream(
        settings,
        feed(),
        lambda result: results.put(("done", index, result)),
        Placement(wiring.board, index) if wiring.board is not None else None,
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


class LocalPool:
    """``jobs`` worker processes on this machine (default: :func:`default_jobs`)."""

    def __init__(self, jobs: int | None = None, placement: bool = True) -> None:
        self.jobs, self.placement = jobs, placement

    def missing_layers(self) -> list[Any]:
        from autograder.doctor import gate  # starts one sandbox: only when asked

        return gate()

    def run_everywhere(self, function: Callable[[], Any]) -> dict[str, Any]:
        return {"": function()}  # one machine: this one

    def close(self) -> None:
        pass  # every worker of a batch is gone when its grade() ends

    def grade(self, settings: Settings, tasks: Sequence[Task]) -> Iterator[Outcome]:
        """Grade ``tasks``; yield each one's outcome as it arrives."""
        if not tasks:
            return
        jobs = max(1, min(self.jobs or default_jobs(), len(tasks)))
        context = start_worker_server(settings.assignment)
        queued: mp.Queue = context.Queue()
        results: mp.Queue = context.Queue()
        by_student = {t.student: t for t in tasks}
        for task in tasks:
            queued.put(task)
        # Each worker and its sandboxes on one core, chosen again per submission (placement).
        board = CoreBoard(context, available_cores(), jobs) if self.placement else None
        # Each worker's inbox of outcomes the others stored. What a worker never reads is
        # only a missed reuse, so the main process never waits for an inbox to be drained.
        inboxes: dict[int, mp.Queue] = {i: context.Queue() for i in range(jobs)}
        for inbox in inboxes.values():
            inbox.cancel_join_thread()
        lifeline = _Lifeline(context)
        wiring = {
            i: _Wiring(queued, results, board, inboxes[i], lifeline.reader) for i in range(jobs)
        }
        workers = {i: _start_worker(context, i, settings, wiring[i]) for i in range(jobs)}
        in_flight: dict[int, str | None] = dict.fromkeys(workers)
        retried: set[str] = set()
        remaining = len(tasks)
        stops_sent = False
        exited: set[int] = set()  # workers that said they are done, pytest's exit code checked
        try:
            # Once every result is in, only the workers' own word that they are done is
            # awaited: polling for their processes to be gone cost up to one more poll period.
            while remaining > 0 or any(
                w.is_alive() and i not in exited for i, w in workers.items()
            ):
                if remaining == 0 and not stops_sent:
                    for _ in workers:
                        queued.put(_STOP)
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
                            remaining -= 1
                            yield Outcome(
                                by_student[lost],
                                lost="the grading worker died twice on this submission "
                                f"(exit code {worker.exitcode})",
                            )
                        else:
                            retried.add(lost)
                            queued.put(by_student[lost])
                    continue
                if kind == "memo":
                    for other, inbox in inboxes.items():
                        if other != index:
                            inbox.put(payload)
                elif kind == "start":
                    in_flight[index] = payload
                elif kind == "done":
                    task = by_student.get(in_flight.get(index) or "")
                    in_flight[index] = None
                    if task is None:  # a result no worker said it started: no one to give it to
                        continue
                    remaining -= 1
                    yield Outcome(task, payload)
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


def _start_worker(context: Any, index: int, settings: Settings, wiring: _Wiring) -> Any:
    process = context.Process(target=_worker, args=(index, settings, wiring), daemon=True)
    process.start()
    return process
