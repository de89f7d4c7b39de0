"""The Dask executor: each submission graded on a worker of a ``dask.distributed`` cluster.

``--cluster tcp://HOST:8786`` connects to a running scheduler (started with plain
``dask scheduler``; its workers with plain ``dask worker``, optigrade installed beside them);
``--cluster local:N`` starts a :class:`distributed.LocalCluster` of N worker processes on this
machine, with as many grading slots in all as the local pool would have (two per core).

Submissions travel as bytes (:class:`~autograder.executors.service.Parcel`): workers share no
disk with the client. Each worker gets :class:`ServicePlugin`, which prepares the grading
service (the engine with its zygote, the same sandbox layers as a local worker) once per
worker thread, and every task answers with plain data that the client checks and records as
it arrives, so a run on a cluster resumes exactly as a local one does. A worker that dies
mid-task loses nothing: the scheduler runs the task on another worker, and the batch records
each student once.
"""

from __future__ import annotations

import itertools
import logging
import queue
import threading
import uuid
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from distributed import Client, LocalCluster, WorkerPlugin, as_completed, get_worker

from autograder.engine.settings import Settings, Task
from autograder.executors import Outcome
from autograder.executors.local import default_jobs
from autograder.executors.service import GradingService, MemoExchange, Parcel, ServiceDied

PLUGIN_NAME = "optigrade-grading"

#: Tasks in flight per worker thread: enough that no worker waits for the client, few enough
#: that a class's bytes are not all held by the scheduler at once.
_IN_FLIGHT_PER_THREAD = 3


class ServicePlugin(WorkerPlugin):
    """On each worker: grading services for one batch's settings, one per worker thread.

    All of them are started as the plugin is set up (each prepares the suite in its own
    process, at the same time), so that no task waits for a service started on demand while
    the client is still sending the first submissions. The services share the test outcomes they
    store (a :class:`~autograder.executors.service.MemoExchange`), as the local pool's
    workers do, so that a behaviour is graded about once per worker rather than once per
    service.
    """

    name = PLUGIN_NAME

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def setup(self, worker: Any) -> None:
        from autograder.engine.scoring import suite_version

        here = suite_version(self.settings.assignment)
        if here != self.settings.suite_version:
            # Grading with another suite than the client's would record grades the client's
            # gradebook believes current: refuse every task instead, saying why.
            self.mismatch = (
                f"this worker has suite version {here} of {self.settings.assignment!r}, "
                f"the client {self.settings.suite_version}: install the same optigrade"
            )
        else:
            self.mismatch = None
        self._idle: queue.LifoQueue[GradingService] = queue.LifoQueue()
        self._started: list[GradingService] = []
        # The worker's services share the outcomes they store, as the local pool's workers do.
        self._exchange = MemoExchange()
        self._lock = threading.Lock()
        if self.mismatch is None:
            for _ in range(max(1, worker.state.nthreads)):
                self._idle.put(self._start())

    def _start(self) -> GradingService:
        service = GradingService(self.settings, self._exchange)
        with self._lock:
            self._started.append(service)
        return service

    def teardown(self, worker: Any) -> None:
        with self._lock:
            services, self._started = self._started, []
        for service in services:
            service.close()

    def grade(self, parcel: Parcel) -> dict[str, Any]:
        """Grade ``parcel`` on an idle service (a new one if every service is busy)."""
        if self.mismatch is not None:
            raise RuntimeError(self.mismatch)
        try:
            service = self._idle.get_nowait()
        except queue.Empty:
            service = self._start()
        try:
            result = service.grade(parcel)
        except ServiceDied:
            service.close()
            with self._lock:
                self._started.remove(service)
            raise
        self._idle.put(service)
        return result


def grade_on_worker(parcel: Parcel) -> dict[str, Any]:
    """The Dask task: grade ``parcel`` with this worker's :class:`ServicePlugin`."""
    plugin = get_worker().plugins.get(PLUGIN_NAME)
    if plugin is None:
        raise RuntimeError("the optigrade grading plugin is not set up on this worker")
    return plugin.grade(parcel)


def missing_layers_here() -> list[Any]:
    """On a worker: the isolation layers that do not hold there (``optigrade doctor``)."""
    from autograder.doctor import gate

    return gate()


class DaskExecutor:
    """Grades on the Dask cluster at ``address`` (a scheduler's address, or ``local:N``)."""

    def __init__(self, address: str) -> None:
        self.cluster: LocalCluster | None = None
        if address.startswith("local:"):
            workers = int(address.removeprefix("local:") or "0")
            if workers < 1:
                raise ValueError(f"local:N needs N >= 1 workers, not {address!r}")
            self.cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=max(1, default_jobs() // workers),
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            self.client = Client(self.cluster)
        else:
            self.client = Client(address, timeout="20s")

    def run_everywhere(self, function: Callable[[], Any]) -> dict[str, Any]:
        """``function()`` run on every worker, by worker address (``optigrade doctor``)."""
        return self.client.run(function)

    def missing_layers(self) -> list[Any]:
        """Every layer missing on at least one worker (each named once)."""
        by_worker = self.run_everywhere(missing_layers_here)
        missing: dict[str, Any] = {}
        for layers in by_worker.values():
            for layer in layers:
                missing.setdefault(layer.layer, layer)
        return list(missing.values())

    def grade(self, settings: Settings, tasks: Sequence[Task]) -> Iterator[Outcome]:
        """Send ``tasks`` to the workers, a window at a time; yield outcomes as they finish."""
        if not tasks:
            return
        self.client.register_plugin(ServicePlugin(settings), name=PLUGIN_NAME)
        threads = max(1, sum(self.client.nthreads().values()))
        batch_id = uuid.uuid4().hex[:12]
        waiting = iter(enumerate(tasks))
        of_key: dict[str, Task] = {}
        running = as_completed()

        def send(count: int) -> None:
            for number, task in itertools.islice(waiting, count):
                future = self.client.submit(
                    grade_on_worker,
                    Parcel.of(task),
                    key=f"optigrade-{batch_id}-{number}",
                    pure=False,
                    # A grading service that died is retried once elsewhere; a worker that
                    # died is the scheduler's to retry (its allowed-failures setting).
                    retries=1,
                )
                of_key[future.key] = task
                running.add(future)

        send(threads * _IN_FLIGHT_PER_THREAD)
        for future in running:
            task = of_key.pop(future.key)
            try:
                outcome = Outcome(task, future.result())
            except Exception as exc:  # the cluster gave up on this task: say why, go on
                outcome = Outcome(
                    task, lost=f"the cluster could not grade this submission: {exc!r}"[:500]
                )
            future.release()
            send(1)
            yield outcome

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
