"""A sandbox's relay: the only process of a sandbox that talks to the grader.

The zygote forks a sandbox's first process (PID 1 of its namespaces) and locks it down; that
process becomes the *relay*. It never runs student code. Before it reads any request it

1. marks the plan's arena ``MADV_DONTFORK`` (:mod:`autograder.sandbox.arena`),
2. forks the *student process*, which closes the grader's channel, adds a Landlock layer of
   its own (so that it can neither signal nor trace the relay) and runs the student's code
   (:mod:`autograder.sandbox.runtime`), talking to the relay over a socket pair of its own,
3. makes itself non-dumpable (``PR_SET_DUMPABLE`` 0): a process without capabilities can
   then neither ``ptrace`` it nor read its memory through ``/proc``.

It then drives the student process in lockstep (:mod:`autograder.sandbox.lockstep`): one
question at a time (a cell, the names, a call, a trace), each with a fresh random sequence
number. An answer with another number, out of turn, oversized or malformed ends the student
process, and the grader is told it was a protocol violation. The grader's request ids never
reach the student process; the relay puts each answer in its own envelope. So whatever the
student's code writes, to any file descriptor it has, can only ever be its own answer to the
question it was asked, and the progress of a load (which cell runs) comes from the relay.

The relay hands the student process the plan's traces one at a time, each only after the
previous one is answered: the student process never holds the input of a run it is not
executing. When the student process dies, the relay exits (the grader sees the sandbox end,
as it always has); when the relay dies, so does the student process (it is PID 1 of their
namespace, and the student process's parent-death signal is ``SIGKILL``).

The relay is on every submission's path, so it does little: it decodes only the answers it
builds its own replies from (cells, names) and forwards the others as the bytes they are.
"""

from __future__ import annotations

import _signal
import contextlib
import ctypes
import os
import random
import socket
from typing import Any, NoReturn

from autograder import wire
from autograder.sandbox import isolation, landlock, lockstep, runtime, schema
from autograder.sandbox.arena import PlanArena

_libc = ctypes.CDLL(None, use_errno=True)
_PR_SET_DUMPABLE = 4
#: Characters of cell errors a load reply carries in full; past it, only each error's type
#: (12,000 failing cells would otherwise make a reply of 60 MB).
ERROR_BUDGET = 1_000_000
_ANSWER_HEADER = lockstep.ANSWER.size


class Violation(Exception):
    """The student process answered out of turn, with the wrong shape or not at all."""


def main(channel: socket.socket, plan: PlanArena) -> NoReturn:
    """In the locked-down sandbox: fork the student process, then relay. Never returns."""
    relay_end, student_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    plan.hide_from_children()
    student = os.fork()
    if student == 0:
        try:
            channel.close()
            relay_end.close()
            _become_student(student_end)
        finally:
            os._exit(70)
    student_end.close()
    _libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)
    isolation.name_process("optigrade-rly")
    relay = Relay(channel, relay_end, student, plan)
    # The C function, as in the zygote. PID 1 of a namespace receives from inside it only
    # the signals it handles: this one, which only ever ends the relay with its student.
    _signal.signal(_signal.SIGCHLD, relay.on_child)
    if _student_gone(student):  # it died before the handler was in place
        os._exit(0)
    try:
        relay.serve()
    finally:
        relay.end()


def _student_gone(pid: int) -> bool:
    try:
        return os.waitpid(pid, os.WNOHANG)[0] == pid
    except ChildProcessError:
        return True


def _become_student(sock: socket.socket) -> None:
    """In the student process: one more Landlock layer, then run the student's code."""
    isolation.die_with_parent(_signal.SIGKILL)
    isolation.name_process("optigrade-sbx")
    # A domain of its own, nested in the sandbox's: Landlock then refuses it signals to and
    # ptrace of the relay, which stays in the outer domain (ABI 6 scopes signals). Where it
    # cannot, the sandbox has reported its layers already; PID 1 and non-dumpable still hold.
    with contextlib.suppress(landlock.LandlockError, OSError):
        landlock.nest()
    runtime.main(sock)


class Relay:
    """Requests from the grader, answered by asking the student process question by question."""

    def __init__(
        self, grader: socket.socket, student: socket.socket, pid: int, plan: PlanArena
    ) -> None:
        self.grader, self.student, self.pid, self.plan = grader, student, pid, plan
        # Seeded now, after the fork: the student process cannot know its state.
        self._random = random.Random(os.urandom(16))
        self._buffer = bytearray()

    def on_child(self, _signum: int, _frame: Any) -> None:
        """SIGCHLD: reap; if the student process is gone, so is the relay."""
        while True:
            try:
                pid, _status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            if pid == self.pid:
                os._exit(0)

    def end(self) -> NoReturn:
        """Take the student process down (PID 1 exiting does it too where there is a PID
        namespace; where there is none, its parent-death signal would) and exit."""
        with contextlib.suppress(OSError):
            os.kill(self.pid, _signal.SIGKILL)
        os._exit(0)

    # -- the grader's side ----------------------------------------------------------------
    def serve(self) -> None:
        reader = wire.Reader(self.grader)
        while True:
            try:
                request = reader.recv()
            except wire.PeerClosed:
                return
            request_id = request["id"]
            try:
                op = request["op"]
                if op == "load":
                    self._load(request_id, request)
                elif op == "call":
                    body = self._ask(lockstep.CALL, request["call"])
                    self._send({"id": request_id, "body": body})
                elif op == "replay":
                    body = self._ask(lockstep.TRACE, request["trace"])
                    self._send({"id": request_id, "body": body})
                else:
                    return  # not a request of this protocol: the grader is not talking to us
            except Violation as violation:
                self._send({"id": request_id, "violation": str(violation)[: schema.MAX_REASON]})
                return

    def _send(self, message: dict[str, Any]) -> None:
        wire.send(self.grader, message)

    def _load(self, request_id: int, request: dict[str, Any]) -> None:
        cells: list[str] = request["cells"]
        skip = set(request.get("skip", ()))
        reports: list[dict[str, Any]] = []
        budget = ERROR_BUDGET
        for index, source in enumerate(cells):
            if index in skip:
                reports.append({"index": index, "status": "skipped"})
                continue
            self._send({"id": request_id, "progress": index})
            question = lockstep.CELL_INDEX.pack(index) + source.encode()
            answer = self._decoded(lockstep.CELL, question, schema.cell_answer)
            error = answer.get("error")
            if error is not None:
                budget -= sum(map(len, error.values()))
                if budget < 0:
                    answer["error"] = {"type": error["type"], "message": ""}
            reports.append({"index": index, **answer})
        self._send({"id": request_id, "progress": len(cells)})  # no cell runs now
        names = self._decoded(lockstep.NAMES, b"", schema.names_answer)
        self._send({"id": request_id, "ok": True, "cells": reports, **names})
        size = request.get("plan")
        for index in range(size if isinstance(size, int) else 0):
            trace = self.plan.trace(index)
            body = None if trace is None else self._ask(lockstep.TRACE, trace)
            self._send({"id": request_id, "plan": index, "body": body})

    # -- the student's side ---------------------------------------------------------------
    def _decoded(self, op: int, payload: bytes, check: Any) -> dict[str, Any]:
        try:
            return check(wire.decode(self._ask(op, payload), wire.MAX_CONTAINERS))
        except (wire.ProtocolError, schema.Invalid) as exc:
            raise Violation(f"the student process answered wrongly: {exc}") from None

    def _ask(self, op: int, payload: bytes) -> bytes:
        """Ask the student process one question; its answer's payload."""
        sequence = self._random.getrandbits(64)
        header = lockstep.QUESTION.pack(len(payload), sequence, op)
        try:
            sent = self.student.sendmsg([header, payload])
            if sent < len(header) + len(payload):  # interrupted (a signal) part of the way
                self.student.sendall((header + payload)[sent:])
            self._fill(_ANSWER_HEADER)
        except OSError as exc:  # it shut its end down
            raise Violation(f"the student process stopped answering: {exc}") from None
        length, answered = lockstep.ANSWER.unpack_from(self._buffer)
        if answered != sequence:
            raise Violation("an answer out of turn (wrong sequence number)")
        if length > lockstep.MAX_ANSWER_BYTES:
            raise Violation(f"an answer of {length} bytes")
        end = _ANSWER_HEADER + length
        try:
            self._fill(end)
        except OSError as exc:
            raise Violation(f"the student process stopped answering: {exc}") from None
        if len(self._buffer) > end:
            raise Violation("more than one answer to one question")
        answer = bytes(self._buffer[_ANSWER_HEADER:end])
        self._buffer.clear()
        return answer

    def _fill(self, size: int) -> None:
        """Read until ``size`` bytes are buffered; exit if the student process closed its end
        (it is gone or going, which the grader will see as the sandbox ending)."""
        while len(self._buffer) < size:
            chunk = self.student.recv(max(size - len(self._buffer), 1 << 16))
            if not chunk:
                self.end()
            self._buffer += chunk
