"""The trusted grader's handle on sandboxes: start, load a submission, call, recover, kill.

Everything that comes back from a sandbox is treated as hostile input: decoded as plain data
only, bounded in size and in time, and checked against the exact shape the protocol allows at
that point (:mod:`autograder.sandbox.schema`) before anything reads it. When a sandbox hangs,
crashes or breaks the protocol, the current call fails with a named reason, the sandbox is
killed (its whole PID namespace with it) and a fresh one is started from the same submission,
without the cell that hung, crashed or broke the protocol, for the calls that follow.

A sandbox started with a *plan* (the suite's recorded traces, held by the zygote) computes the
reply to every trace right after loading and streams them back; :meth:`Sandbox.planned` reads
them in order, each within its own time limit. After any failure the stream is gone and the
remaining traces are replayed one request at a time, as without a plan.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
import select
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import numpy as np

from autograder import wire
from autograder.sandbox import arena, isolation, schema
from autograder.sandbox.isolation import Limits


class SandboxFailure(Exception):
    """A call into the sandbox did not complete. ``reason`` is a stable code for reports."""

    reason = "crashed"

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail or self.reason)
        self.detail = detail


class CallTimeout(SandboxFailure):
    reason = "timeout"


class BudgetExhausted(SandboxFailure):
    reason = "time_budget"


class SandboxCrashed(SandboxFailure):
    reason = "crashed"


class ProtocolViolation(SandboxFailure):
    reason = "protocol"


class StaleHandle(SandboxFailure):
    reason = "restarted"


class StudentError(Exception):
    """The student's code raised an exception (inside the sandbox); carries its description."""

    def __init__(self, exc_type: str, message: str, traceback: str = "") -> None:
        super().__init__(f"{exc_type}: {message}")
        self.exc_type, self.message, self.traceback = exc_type, message, traceback


class MissingName(StudentError):
    """The submission does not define the name a test asked for."""


@dataclass
class CellReport:
    index: int
    status: str  # ok, error, syntax_error, exit, timeout, crashed, skipped
    error: dict[str, str] | None = None


@dataclass
class Timeouts:
    """Wall-clock budgets in seconds."""

    call: float = 5.0
    cell: float = 3.0  # one notebook cell while loading: defining functions takes milliseconds
    load: float = 10.0
    submission: float = 60.0
    #: A step (a cell, a call, a trace) still running after this long keeps its time limit but
    #: drops to the lowest CPU priority for the rest of the sandbox's life: a hung cell would
    #: otherwise take a core from the other students' grading for its whole limit. Honest steps
    #: take milliseconds, and on a machine with a free core a demoted one still gets it.
    runaway: float = 1.0


#: A trace larger than this is not put in the plan (it is replayed on request instead): one
#: control message must carry it to the zygote.
MAX_PLAN_TRACE_BYTES = 150_000
#: All plan replies of one sandbox together: past this the stream is a protocol violation
#: (a submission's honest replies take a few hundred kB; this bounds the grader's memory).
MAX_PLAN_REPLY_BYTES = 64 * 1024 * 1024


#: While a sandbox is demoted, its tree is walked again at most this often, whenever the grader
#: wakes up waiting for it: a process that calls ``setsid`` after a walk has a new scheduling
#: group (autogroup) at nice 0 until the next walk raises it. A walk reads each thread's
#: ``/proc/<pid>/task/<tid>/children``: microseconds on most kernels, but up to 4 ms a thread
#: on some virtual machines, so it is one pass each time and not more often than this.
REDEMOTE_EVERY = 0.2
#: How long :meth:`Sandbox.kill` waits for the sandbox to be gone (it takes milliseconds).
SANDBOX_EXIT_WAIT = 1.0
#: The nice value of a demoted sandbox (the lowest priority there is).
RUNAWAY_NICE = 19
#: While a sandbox streams (cells loading, plan replies), the grader lets this long pass
#: before reading again whenever nothing is waiting for it: the frames of a few milliseconds
#: are then read in one wake-up instead of one each. Waking per frame cost the grader about
#: 60 microseconds of CPU a frame, 3 ms a submission; the wait adds no CPU, and a step's
#: time limit only starts once it is over.
STREAM_GATHER = 0.004


class Observer(Protocol):
    """Who learns what the tests learn from a sandbox (the memo's tape, see
    :mod:`autograder.speedups.memo`), injected by whoever makes the sandbox."""

    def record(self, question: tuple[str, Any], answer: Any) -> None:
        """A test learnt ``answer`` to ``question`` (a plan entry's digest, a name defined)."""

    def taint(self) -> None:
        """Something else passed between a test and the sandbox (a live call, a failure)."""


class _Unobserved:
    """The observer of a sandbox nobody watches."""

    def record(self, question: tuple[str, Any], answer: Any) -> None:
        pass

    def taint(self) -> None:
        pass


def trace_timeout(timeouts: Timeouts, calls: int) -> float:
    """Time for a trace of ``calls`` calls: a call's own budget, plus a little per further
    call, so that forty fast updates do not time out and a hang still ends within seconds."""
    return timeouts.call + 0.25 * max(calls, 0)


class Zygote:
    """A pre-forked interpreter with numpy imported, from which sandboxes are forked."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        env = {
            "PATH": "/usr/bin:/bin",
            "LANG": "C.UTF-8",
            # One BLAS thread: the zygote must stay single-threaded to fork and unshare safely.
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        self.process = subprocess.Popen(
            [sys.executable, "-I", "-m", "autograder.sandbox.zygote", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=None if os.environ.get("OPTIGRADE_SANDBOX_DEBUG") else subprocess.DEVNULL,
            cwd="/",
        )
        theirs.close()
        self.control = ours
        self.plan_calls: list[int] = []  # per plan entry the zygote holds: its number of calls
        self.plan_arities: list[list[int]] = []  # and each call's number of arguments
        #: and what a report on each argument is bounded by (``schema.trace_sizes``; ``None``
        #: for an entry not planned)
        self.plan_sizes: list[list[list[int]] | None] = []

    def extend_plan(self, traces: list[tuple[bytes, list[int]]]) -> None:
        """Hand the zygote more plan entries, in plan order: ``(encoded trace, arities)``
        each, ``arities`` giving each call's number of positional arguments."""
        for encoded, arities in traces:
            planned = len(encoded) <= MAX_PLAN_TRACE_BYTES
            index = len(self.plan_calls)
            self.control.send(arena.entry(index, encoded if planned else None))
            self.plan_calls.append(len(arities) if planned else -1)
            self.plan_arities.append(list(arities))
            # Decoded once per worker, from the very bytes the sandbox gets (trusted: ours).
            self.plan_sizes.append(schema.trace_sizes(wire.decode(encoded)) if planned else None)

    def spawn(self, limits: Limits) -> tuple[socket.socket, int, dict[str, bool]]:
        """Fork a locked-down sandbox; return its channel, its PID and its isolation layers."""
        if self.process.poll() is not None:
            raise SandboxCrashed("the zygote process has exited")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            request = wire.encode({"limits": asdict(limits)})
            socket.send_fds(self.control, [request], [theirs.fileno()])
        finally:
            theirs.close()
        found: dict[str, Any] = {}
        deadline = time.monotonic() + 10
        try:
            while len(found) < 2:
                kind, content = schema.startup(wire.recv(ours, deadline))
                if kind == "error":  # the zygote could not fork (e.g. at the process cap)
                    raise wire.ProtocolError(content)
                if kind in found:
                    raise schema.Invalid("a start-up message sent twice")
                found[kind] = content
        except schema.Invalid as exc:
            ours.close()
            raise ProtocolViolation(f"a malformed start-up message: {exc}") from exc
        except (wire.ProtocolError, TimeoutError, OSError) as exc:
            ours.close()
            raise SandboxCrashed(f"the sandbox did not start: {exc}") from exc
        return ours, found["pid"], found["layers"]

    def close(self) -> None:
        self.control.close()  # the zygote kills its sandboxes and removes its cgroup, then exits
        with contextlib.suppress(Exception):
            self.process.wait(timeout=1)
        with contextlib.suppress(Exception):
            self.process.kill()
            self.process.wait(timeout=5)
        if os.getuid() == 0:
            for path in isolation.zygote_cgroup_paths(self.process.pid):
                isolation.remove_cgroup(path, wait=1.0)  # its last sandbox may still be exiting


@dataclass
class Sandbox:
    """One submission's sandbox session. Restarts itself after a failed call."""

    zygote: Zygote
    cells: list[str]
    limits: Limits = field(default_factory=Limits)
    timeouts: Timeouts = field(default_factory=Timeouts)
    use_plan: bool = True
    #: Called once when the sandbox is demoted (see :class:`Timeouts`), e.g. so that its
    #: worker's core is offered to the other workers (:mod:`autograder.speedups.placement`).
    on_runaway: Callable[[], None] | None = None
    #: Told what the tests learn from this sandbox (and when anything else passes); none:
    #: nobody is.
    observer: Observer | None = None

    def __post_init__(self) -> None:
        if self.observer is None:
            self.observer = _Unobserved()
        self.generation = 0
        # The plan stream of the first start (see the module's docstring).
        self._plan_calls: list[int] = []
        self._plan_arities: list[list[int]] = []
        self._plan_sizes: list[list[list[int]] | None] = []
        self._plan_request: int | None = None
        self._plan_bodies: dict[int, bytes | None] = {}
        self._plan_bytes = 0
        self._plan_digests: dict[int, bytes] = {}
        self._plan_failed: dict[int, SandboxFailure] = {}
        self._started = False
        self.skip: dict[int, CellReport] = {}
        self.cell_reports: list[CellReport] = []
        self.names: list[str] = []
        self.output = ""
        self.layers: dict[str, bool] = {}
        self.failures: list[str] = []  # reasons of every sandbox failure, in order
        self._sock: socket.socket | None = None
        self._reader: wire.Reader | None = None
        self._pid: int | None = None
        self._pidfd: int | None = None
        self._demoted = False
        self._walked_at = 0.0  # when the demoted sandbox's tree was last walked
        self._current_cell: int | None = None
        self._handles = 0  # objects built in the current sandbox (see schema.call_reply)
        self._budget_end = time.monotonic() + self.timeouts.submission

    @property
    def budget_end(self) -> float:
        """When the submission's time budget runs out (``time.monotonic()``)."""
        return self._budget_end

    def share_budget(self, budget_end: float) -> None:
        """Spend what is left of an earlier sandbox's budget, not a new one (a second try)."""
        self._budget_end = min(self._budget_end, budget_end)

    # -- life cycle ---------------------------------------------------------------------------
    def start(self) -> None:
        """Start a sandbox and run the submission's cells, skipping any that hung or crashed."""
        while True:
            if time.monotonic() >= self._budget_end:
                raise self._failed(BudgetExhausted("the submission used up its time budget"))
            self._spawn()
            # Only the first start streams the plan (again if a cell hung while loading); after
            # a failed call the replies come on request.
            plan = self.zygote.plan_calls if self.use_plan and not self._started else []
            load = {"op": "load", "cells": self.cells, "skip": sorted(self.skip)}
            if plan:
                load["plan"] = len(plan)
            try:
                reply = self._request(load, self.timeouts.load, step_timeout=self.timeouts.cell)
            except SandboxFailure as exc:
                cell = self._current_cell
                self.kill()
                # Past the last cell, the names were being collected: no cell to go without.
                if cell is None or cell >= len(self.cells) or cell in self.skip:
                    raise
                self.skip[cell] = CellReport(
                    cell, exc.reason, {"type": exc.reason, "message": exc.detail}
                )
                continue
            reports = [CellReport(c["index"], c["status"], c.get("error")) for c in reply["cells"]]
            self.cell_reports = [self.skip.get(r.index, r) for r in reports]
            self.names = reply["names"]
            self.output = reply["output"]
            if plan:
                self._plan_calls, self._plan_request = list(plan), reply["id"]
                self._plan_arities = list(self.zygote.plan_arities)
                self._plan_sizes = list(self.zygote.plan_sizes)
            self._started = True
            return

    def _spawn(self) -> None:
        self.generation += 1
        self._sock, self._pid, self.layers = self.zygote.spawn(self.limits)
        self._reader = wire.Reader(self._sock, wire.MAX_REPLY_BYTES, wire.MAX_CONTAINERS)
        self._demoted = False
        self._handles = 0
        try:
            self._pidfd = os.pidfd_open(self._pid)
        except OSError:
            self._pidfd = None  # it already died; the first request will notice

    def kill(self) -> None:
        """Kill the sandbox and everything it started (its scratch tmpfs goes with it)."""
        self._plan_request = None  # what was received stays readable; nothing more will come
        if self._pidfd is not None:
            with contextlib.suppress(OSError):
                signal.pidfd_send_signal(self._pidfd, signal.SIGKILL)
            _readable(self._pidfd, wait=SANDBOX_EXIT_WAIT)  # exited
            os.close(self._pidfd)
            self._pidfd = None
        self._pid = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def __enter__(self) -> Sandbox:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.kill()

    # -- requests -----------------------------------------------------------------------------
    def _request(
        self, message: dict[str, Any], timeout: float, step_timeout: float | None = None
    ) -> Any:
        """Send one request and wait for its answer: a load's reply (checked against the cells
        it was sent), or any other request's body, as the bytes the sandbox sent.

        While loading, the relay reports each cell as it starts; each such step then gets
        ``step_timeout`` seconds of its own, within the overall ``timeout``. A stream of frames
        never stretches either: each limit is checked whatever arrives.
        """
        self._current_cell = None
        self.prefetch_plan()
        if self._sock is None:
            if message.get("op") == "load":
                raise SandboxCrashed("the sandbox is not running")
            self.start()  # the plan's remainder failed and took the sandbox with it
        remaining = self._budget_end - time.monotonic()
        if remaining <= 0:
            raise self._failed(BudgetExhausted("the submission used up its time budget"))
        loading = message.get("op") == "load"
        request_id = secrets.randbits(62)
        try:
            request = wire.encode({**message, "id": request_id})
        except (TypeError, ValueError, OverflowError) as exc:
            # Only what a submission holds can fail here (a cell UTF-8 cannot carry).
            raise self._failed(ProtocolViolation(f"the request cannot be sent: {exc}")) from exc
        step_started = time.monotonic()
        overall = step_started + min(timeout, remaining)
        deadline = overall
        with self._failures_named(lambda: step_timeout if deadline < overall else timeout):
            wire.send_encoded(self._sock, request)
            while True:
                if time.monotonic() >= deadline:
                    raise TimeoutError("a time limit passed while frames kept arriving")
                kind, content = schema.frame(self._recv(step_started, deadline), request_id)
                if kind == "violation":
                    raise ProtocolViolation(content)
                if loading and kind == "progress":
                    if content != self._next_cell():
                        raise schema.Invalid("a cell reported out of order")
                    self._current_cell = content
                    self._gather()
                    step_started = time.monotonic()
                    if step_timeout is not None:
                        deadline = min(overall, step_started + step_timeout)
                    continue
                if kind != ("load" if loading else "body"):
                    raise schema.Invalid(f"a {kind} frame where a reply was due")
                if loading:
                    if self._current_cell != len(self.cells):
                        raise schema.Invalid("a load reply before every cell ran")
                    return schema.load_reply(content, len(self.cells), set(self.skip))
                return content

    def _next_cell(self) -> int:
        """The cell the relay must report next while loading (the number of cells: none)."""
        index = -1 if self._current_cell is None else self._current_cell + 1
        while index < len(self.cells) and (index < 0 or index in self.skip):
            index += 1
        return index

    def _body(self, body: bytes, check: Callable[[Any], dict[str, Any]]) -> dict[str, Any]:
        """A reply's body, decoded and checked (``check``); a violation otherwise."""
        try:
            return check(wire.decode(body, wire.MAX_CONTAINERS))
        except (wire.ProtocolError, schema.Invalid) as exc:
            raise self._failed(ProtocolViolation(f"a malformed reply: {exc}")) from None

    def _recv(self, step_started: float, deadline: float) -> Any:
        """The sandbox's next message, by ``deadline``; a step that runs past
        ``timeouts.runaway`` seconds demotes the sandbox on the way (see :class:`Timeouts`)."""
        assert self._reader is not None
        runaway_at = step_started + self.timeouts.runaway
        if not self._demoted and runaway_at < deadline:
            try:
                return self._reader.recv(runaway_at)  # a frame cut short stays buffered
            except TimeoutError:
                self._demote()
        while self._demoted:
            # Demotion holds only for the sessions a walk found: walk again while waiting.
            if time.monotonic() >= self._walked_at + REDEMOTE_EVERY:
                self._walk_demoted()
            wake = min(deadline, self._walked_at + REDEMOTE_EVERY)
            try:
                return self._reader.recv(wake)
            except TimeoutError:
                if wake >= deadline:
                    raise
        return self._reader.recv(deadline)

    def _gather(self) -> None:
        """Wait :data:`STREAM_GATHER` seconds if no frame is ready to be read."""
        assert self._reader is not None and self._sock is not None
        if not self._reader.has_frame() and not _readable(self._sock):
            time.sleep(STREAM_GATHER)

    def _demote(self) -> None:
        """Lowest CPU priority for every process of the sandbox, whatever session or group
        each put itself in (:func:`isolation.demote_tree`)."""
        self._demoted = True
        if self.on_runaway is not None:
            self.on_runaway()
        self._walk_demoted(again=False)

    def _walk_demoted(self, again: bool = True) -> None:
        """Demote every process of the sandbox found now (``again``: a new session since the
        last walk has a scheduling group of its own at full priority; one pass, as whatever
        it misses the next finds)."""
        if self._pid is None or self._pidfd is None or _readable(self._pidfd):  # exited
            pass  # never renice a number that may already name another process
        elif again:
            isolation.demote_tree(self._pid, RUNAWAY_NICE, passes=1)
        else:
            isolation.demote_tree(self._pid, RUNAWAY_NICE)
        # Timed from the walk's end: a slow walk still leaves the interval for reading.
        self._walked_at = time.monotonic()

    @contextlib.contextmanager
    def _failures_named(self, limit: Callable[[], float | None]) -> Iterator[None]:
        """Turn what can go wrong while waiting for the sandbox into a named failure.

        The sandbox is killed (it is in an unknown state); ``limit()`` gives the time limit
        that was exceeded, for the message.
        """
        try:
            yield
        except SandboxFailure as exc:
            raise self._failed(exc) from None
        except TimeoutError as exc:
            if time.monotonic() >= self._budget_end:
                failure: SandboxFailure = BudgetExhausted("the submission used up its time budget")
            else:
                seconds = min(limit() or 0.0, max(self._budget_end - time.monotonic(), 0.0))
                failure = CallTimeout(f"no answer within {seconds:.1f} s")
            raise self._failed(failure) from exc
        except wire.PeerClosed as exc:
            raise self._failed(SandboxCrashed("the sandbox process ended")) from exc
        except (wire.ProtocolError, schema.Invalid) as exc:
            raise self._failed(ProtocolViolation(str(exc))) from exc
        except OSError as exc:
            raise self._failed(SandboxCrashed(str(exc))) from exc

    # -- the plan -----------------------------------------------------------------------------
    def planned(self, index: int) -> dict[str, Any] | None:
        """The sandbox's reply to plan entry ``index`` (as :meth:`replay` gives it), or
        ``None`` if that entry is not planned.

        Raises the :class:`SandboxFailure` that ended the stream at this entry (a hang, a
        crash), so that the test waiting for it fails exactly as a live call would have.
        """
        try:
            # The grader's own work on a reply (mirroring, copying, comparing) is the
            # submission's too: replies that all came in time must not hold a worker past it.
            self.check_budget()
            body = self._plan_body(index)
            if body is None:
                return None  # the caller replays it on request (which the observer is told)
            calls, arities = self._plan_calls[index], self._plan_arities[index]
            sent = self._plan_sizes[index] if index < len(self._plan_sizes) else None
            reply = self._body(body, lambda value: schema.trace_reply(value, arities, calls, sent))
        except SandboxFailure as failure:
            self._plan_failed[index] = failure
            self.observer.taint()
            raise
        self.observer.record(("plan", index), self.plan_digest(index))
        return reply

    def plan_digest(self, index: int) -> bytes | None:
        """A digest of the reply to plan entry ``index`` (``None`` if not planned or failed)."""
        if index not in self._plan_digests:
            try:
                body = self._plan_body(index)
            except SandboxFailure:
                return None
            if body is None:
                return None
            self._plan_digests[index] = hashlib.blake2b(body, digest_size=16).digest()
        return self._plan_digests[index]

    def _plan_body(self, index: int) -> bytes | None:
        if index in self._plan_failed:
            raise self._plan_failed[index]
        while index not in self._plan_bodies and self._plan_streaming():
            try:
                self._next_plan_frame()
            except SandboxFailure:
                if index in self._plan_failed:
                    raise
                return None  # an earlier entry failed (and is charged to its own test)
        return self._plan_bodies.get(index)

    def _plan_streaming(self) -> bool:
        return self._plan_request is not None and len(self._plan_bodies) < len(self._plan_calls)

    def _next_plan_frame(self) -> None:
        index = len(self._plan_bodies)
        if self._sock is None or self._reader is None:
            self._plan_request = None
            return
        self._gather()
        remaining = self._budget_end - time.monotonic()
        limit = trace_timeout(self.timeouts, self._plan_calls[index])
        try:
            with self._failures_named(lambda: limit):
                if remaining <= 0:
                    raise BudgetExhausted("the submission used up its time budget")
                now = time.monotonic()
                kind, content = schema.frame(
                    self._recv(now, now + min(limit, remaining)), self._plan_request
                )
                if kind == "violation":
                    raise ProtocolViolation(content)
                if kind != "plan" or content[0] != index:
                    raise ProtocolViolation("a plan frame out of order or malformed")
                body = content[1]
                if body is not None and self._plan_calls[index] < 0:
                    raise ProtocolViolation("a reply to a trace that was not planned")
                self._plan_bytes += len(body or b"")
                if self._plan_bytes > MAX_PLAN_REPLY_BYTES:
                    raise ProtocolViolation("plan replies larger than the grader accepts")
        except SandboxFailure as failure:
            self._plan_failed[index] = failure
            self._plan_request = None
            raise
        self._plan_bodies[index] = body

    def prefetch_plan(self) -> None:
        """Read the rest of the plan stream, each frame within its own time limit.

        The engine calls it right after loading, whatever is reused later, so that every entry
        is timed the same way in every mode; any other request calls it first, as replies come
        in order.
        """
        while self._plan_streaming():
            try:
                self._next_plan_frame()
            except SandboxFailure:
                return  # recorded for its entry; the sandbox restarts for the next request

    def check_budget(self) -> None:
        """Raise :class:`BudgetExhausted` (and end the sandbox) once the submission's time
        budget has run out, whatever spent it: the sandbox, or the grader on its behalf
        (replaying a reply call by call, see :class:`autograder.speedups.replay.Replayer`)."""
        if time.monotonic() >= self._budget_end:
            raise self._failed(BudgetExhausted("the submission used up its time budget"))

    def _failed(self, failure: SandboxFailure) -> SandboxFailure:
        self.failures.append(failure.reason)
        self.observer.taint()
        self.kill()
        return failure

    def replay(self, trace: bytes, calls: int, arities: list[int] | None = None) -> dict[str, Any]:
        """Run a recorded trace of ``calls`` calls in one request (see
        :mod:`autograder.speedups.replay`); ``arities``, where known, gives each call's number
        of positional arguments.

        The reply holds one result per call made, and ``error``/``error_index`` where a call
        of the student's code raised; the replay stops there.
        """
        self.observer.taint()  # an answer the observer does not see
        if self._sock is None:
            self.start()
        body = self._request({"op": "replay", "trace": trace}, trace_timeout(self.timeouts, calls))
        sent = schema.trace_sizes(wire.decode(trace))  # our own bytes: what the sandbox got
        return self._body(body, lambda value: schema.trace_reply(value, arities, calls, sent))

    def call(
        self,
        target: str | int,
        method: str | None,
        args: list,
        kwargs: dict,
        generation: int | None = None,
    ) -> dict[str, Any]:
        """One call into the sandbox; mirrors in-place changes to ``args`` back to the caller."""
        self.observer.taint()  # an answer the observer does not see
        self.prefetch_plan()  # first, as it may end in a restart that invalidates handles
        if generation is not None and generation != self.generation:
            raise StaleHandle("the object was lost when the sandbox restarted after a failure")
        # Encoded here: arguments that are not plain data are the test's own error.
        call = wire.encode(
            {
                "target": target,
                "method": method,
                "args": [_to_wire(a) for a in args],
                "kwargs": {k: _to_wire(v) for k, v in kwargs.items()},
            }
        )
        if self._sock is None:
            self.start()
        body = self._request({"op": "call", "call": call}, self.timeouts.call)
        sent = schema.sent_sizes(args)
        reply = self._body(
            body, lambda value: schema.call_reply(value, len(args), self._handles, sent)
        )
        if not reply["ok"]:
            error = reply["error"]
            kind = MissingName if error["type"] == "MissingName" else StudentError
            raise kind(error["type"], error["message"], error.get("traceback", ""))
        if "handle" in reply:
            self._handles += 1
        for original, state in zip(args, reply["args_after"], strict=True):
            mirror(original, state)  # the call's effects, on the caller's own arguments
        return reply


def _readable(source: int | socket.socket, wait: float = 0.0) -> bool:
    """Whether ``source`` has something to read, waiting up to ``wait`` seconds. A pidfd
    becomes readable when its process exits."""
    return bool(select.select([source], [], [], wait)[0])


def _to_wire(value: Any) -> Any:
    if isinstance(value, np.random.Generator):
        return wire.generator_to_plain(value)
    return value


def mirror(original: Any, state: Any) -> None:
    """Reflect what the sandbox's call did to an argument onto the caller's own object."""
    if isinstance(original, np.random.Generator):
        try:
            advanced = wire.generator_from_plain(state)
        except wire.ProtocolError:
            return
        if advanced is not None and type(advanced.bit_generator) is type(original.bit_generator):
            original.bit_generator.state = advanced.bit_generator.state
        return
    if (
        isinstance(original, dict)
        and isinstance(state, dict)
        and isinstance(state.get("dict"), dict)
    ):
        entries, keys = state["dict"], state.get("keys")
        if isinstance(keys, list):
            for key in [k for k in original if str(k) not in keys]:
                del original[key]
        for key, entry in entries.items():
            if not isinstance(entry, dict):
                continue
            value, current = entry.get("value"), original.get(key)
            same = (
                entry.get("same") is True
                and isinstance(current, np.ndarray)
                and isinstance(value, np.ndarray)
                and current.shape == value.shape
            )
            if same:
                np.copyto(current, value, casting="unsafe")
            else:
                original[key] = value
    elif isinstance(original, np.ndarray) and isinstance(state, dict):
        value = state.get("array")
        if isinstance(value, np.ndarray) and value.shape == original.shape:
            np.copyto(original, value, casting="unsafe")
