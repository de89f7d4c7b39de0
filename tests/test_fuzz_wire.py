"""Fuzzing the grader's side of the sandbox protocol: nothing but a sandbox failure gets out.

Hypothesis generates what a hostile sandbox could send: every frame and reply of the protocol
(:mod:`autograder.sandbox.schema`), well formed, or with a key dropped or added, a value
replaced by junk of any type, nested too deep, an index out of range, the wrong request id, or
raw bytes that are no message at all. A fake relay (a thread on a socket pair, standing in for
the sandbox) answers a real :class:`~autograder.sandbox.client.Sandbox`'s requests with them,
and the grader drives it as the engine does: start (load and plan), read the plan, call,
replay. Whatever arrives, the grader may only raise a :class:`SandboxFailure` (the
submission's recorded failure) or report the student's own exception (:class:`StudentError`,
from a well-formed error reply).

Run with ``-s`` to see how many cases each fuzzer ran.
"""

from __future__ import annotations

import contextlib
import os
import select
import socket
import struct
import subprocess
import threading
from collections.abc import Iterator
from typing import Any

import msgpack
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder import wire
from autograder.sandbox import arena, schema
from autograder.sandbox.client import Sandbox, SandboxCrashed, SandboxFailure, StudentError
from autograder.sandbox.client import Timeouts as Limits

#: Stands for the id of the request being answered (filled in by the fake relay).
REQUEST = "<request id>"
CELLS = ["a = 1\n", "b = 2\n", "c = 3\n"]
#: The fake zygote's plan: calls per entry (-1: not planned) and each call's arguments.
PLAN_CALLS = [2, 1, -1]
PLAN_ARITIES = [[1, 1], [0], []]

_arrays = st.builds(
    lambda shape, dtype: np.zeros(shape, dtype=dtype),
    st.lists(st.integers(0, 3), max_size=3).map(tuple),
    st.sampled_from(["f8", "i4", "u1", "?", "c16"]),
)
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=True)
    | st.text(max_size=12)
    | st.binary(max_size=12)
    | _arrays
)
#: Any value that can cross the wire (and some keys that are not strings).
junk = st.recursive(
    _scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.text(max_size=8) | st.sampled_from(["id", "ok", "body"]), inner, max_size=4
        )
    ),
    max_leaves=12,
)


def _deep(depth: int) -> Any:
    value: Any = 1.0
    for _ in range(depth):
        value = [value]
    return value


@st.composite
def mutated(draw: st.DrawFn, message: Any) -> Any:
    """``message``, or one of its maps with a key dropped, added or given a junk value."""
    maps = []

    def collect(value: Any) -> None:
        if isinstance(value, dict):
            maps.append(value)
            for v in value.values():
                collect(v)
        elif isinstance(value, list):
            for v in value:
                collect(v)

    collect(message)
    how = draw(st.sampled_from(["keep", "keep", "drop", "add", "junk", "deep", "replace"]))
    if how == "replace":
        return draw(junk)
    if how == "keep" or not maps:
        return message
    target = draw(st.sampled_from(maps))
    keys = list(target)
    if how == "drop" and keys:
        del target[draw(st.sampled_from(keys))]
    elif how == "add":
        target[draw(st.text(max_size=6))] = draw(junk)
    elif how == "junk" and keys:
        target[draw(st.sampled_from(keys))] = draw(junk)
    elif how == "deep" and keys:
        target[draw(st.sampled_from(keys))] = _deep(draw(st.integers(30, 900)))
    return message


def _error() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {"type": st.sampled_from(["ValueError", "MissingName", "X" * 300]), "message": st.text()},
        optional={"traceback": st.text(max_size=30)},
    )


def _after() -> st.SearchStrategy[Any]:
    entry = st.fixed_dictionaries({"value": junk, "same": st.booleans()})
    return st.one_of(
        st.none(),
        st.fixed_dictionaries({"array": _arrays}),
        st.fixed_dictionaries(
            {
                "dict": st.dictionaries(st.text(max_size=3), entry, max_size=3),
                "keys": st.lists(st.text(max_size=3), max_size=3),
            }
        ),
        st.fixed_dictionaries({wire.GENERATOR_TAG: junk}),
    )


@st.composite
def trace_reply(draw: st.DrawFn) -> Any:
    calls = draw(st.integers(0, 3))
    results = draw(
        st.lists(
            st.fixed_dictionaries(
                {"args_after": st.lists(_after(), max_size=2)}, optional={"value": junk}
            ),
            min_size=calls,
            max_size=calls,
        )
    )
    reply: dict[str, Any] = {"ok": True, "results": results}
    if draw(st.booleans()):
        reply.update(error=draw(_error()), error_index=draw(st.integers(-1, 4)))
    if draw(st.integers(0, 5)) == 0:
        reply = {"ok": False, "error": draw(_error())}
    return draw(mutated(reply))


@st.composite
def call_reply(draw: st.DrawFn) -> Any:
    args_after = draw(st.lists(_after(), max_size=2))
    reply = draw(
        st.sampled_from(
            [
                {"ok": True, "args_after": args_after, "value": draw(junk)},
                {"ok": True, "args_after": args_after, "handle": draw(st.integers(-1, 3))},
                {"ok": False, "error": draw(_error())},
            ]
        )
    )
    return draw(mutated(reply))


def _encoded(value: Any) -> bytes:
    try:
        return wire.encode(value)
    except (TypeError, ValueError, OverflowError):
        return b"\xc1"  # msgpack's one byte that is never valid


@st.composite
def body(draw: st.DrawFn, reply: st.SearchStrategy[Any]) -> bytes:
    return draw(st.one_of(reply.map(_encoded), st.binary(max_size=40)))


@st.composite
def load_frames(draw: st.DrawFn) -> list[Any]:
    """What a relay sends for a load: progress, the reply, the plan's frames."""
    frames: list[Any] = []
    for index in draw(st.lists(st.integers(-1, 4), max_size=4)):
        frames.append(draw(mutated({"id": REQUEST, "progress": index})))
    cells = [
        draw(
            st.sampled_from(
                [
                    {"index": i, "status": "ok"},
                    {"index": i, "status": "error", "error": draw(_error())},
                    {"index": i, "status": "skipped"},
                    {"index": i, "status": draw(st.text(max_size=6))},
                ]
            )
        )
        for i in range(draw(st.integers(0, 4)))
    ]
    names = draw(st.lists(st.sampled_from(["SGD", "Adam", "_x", "1a", "ä" * 300]), max_size=3))
    load = {
        "id": REQUEST,
        "ok": True,
        "cells": cells,
        "names": names,
        "output": draw(st.text(max_size=20)),
        "output_truncated": draw(st.booleans()),
    }
    frames.append(draw(mutated(load)))
    for index in range(draw(st.integers(0, 4))):
        plan = {"id": REQUEST, "plan": draw(st.sampled_from([index, index + 1, -1])), "body": None}
        if draw(st.booleans()):
            plan["body"] = draw(body(trace_reply()))
        frames.append(draw(mutated(plan)))
    if draw(st.integers(0, 6)) == 0:
        frames.append({"id": REQUEST, "violation": draw(st.text(max_size=400))})
    return frames


def answers() -> st.SearchStrategy[list[Any]]:
    """Frames answering one request: a load's, a body (call or replay), or anything."""
    one_body = st.builds(
        lambda b, m: [m | {"body": b}],
        body(st.one_of(call_reply(), trace_reply())),
        st.just({"id": REQUEST}),
    )
    return st.one_of(
        load_frames(), one_body, st.lists(junk, max_size=3), st.lists(st.binary(max_size=30))
    )


def _with_id(value: Any, request_id: int) -> Any:
    if isinstance(value, str) and value == REQUEST:
        return request_id
    if isinstance(value, dict):
        return {k: _with_id(v, request_id) for k, v in value.items()}
    if isinstance(value, list):
        return [_with_id(v, request_id) for v in value]
    return value


def _frame(value: Any, request_id: int) -> bytes:
    if isinstance(value, bytes):  # raw bytes on the stream, framed or not
        return value
    data = _encoded(_with_id(value, request_id))
    return struct.pack("!I", len(data)) + data


class FakeRelay(threading.Thread):
    """One sandbox's relay: answers each request with the next scripted frames; closes when
    the script ends or the grader sends nothing more for a moment."""

    def __init__(self, sock: socket.socket, script: list[list[Any]]) -> None:
        super().__init__(daemon=True)
        self.sock, self.script = sock, script

    def run(self) -> None:
        reader = wire.Reader(self.sock)
        try:
            for frames in self.script:
                if not select.select([self.sock], [], [], 0.05)[0]:
                    break
                request = reader.recv()
                self.sock.sendall(b"".join(_frame(f, request["id"]) for f in frames))
        except (OSError, wire.ProtocolError):
            pass
        finally:
            self.sock.close()


class FakeZygote:
    """Hands out fake relays (scripts in turn); past the last, it cannot fork any more."""

    def __init__(self, pid: int, scripts: list[list[list[Any]]]) -> None:
        self.pid, self.scripts = pid, list(scripts)
        self.plan_calls, self.plan_arities = list(PLAN_CALLS), [list(a) for a in PLAN_ARITIES]
        # As Zygote.extend_plan: each argument sent with 2 keys or elements; none if unplanned.
        self.plan_sizes = [
            [2] * len(a) if c >= 0 else None for c, a in zip(PLAN_CALLS, PLAN_ARITIES, strict=True)
        ]
        self.relays: list[FakeRelay] = []

    def spawn(self, _limits: Any) -> tuple[socket.socket, int, dict[str, bool]]:
        if not self.scripts:
            raise SandboxCrashed("the fake zygote has no more sandboxes")
        ours, theirs = socket.socketpair()
        relay = FakeRelay(theirs, self.scripts.pop(0))
        relay.start()
        self.relays.append(relay)
        return ours, self.pid, {}


@pytest.fixture(scope="module")
def exited_pid() -> Iterator[int]:
    """A child of ours that has exited and is not yet reaped: a PID the fake sandboxes can
    stand for, which no other process can take while the tests run (killing it does nothing)."""
    child = subprocess.Popen(["sleep", "600"])
    child.kill()
    os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOWAIT)  # exited, left unreaped
    yield child.pid
    child.wait()


CASES: dict[str, int] = {}


def _count(name: str) -> None:
    CASES[name] = CASES.get(name, 0) + 1


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(scripts=st.lists(st.lists(answers(), min_size=1, max_size=4), min_size=1, max_size=4))
def test_no_sandbox_message_raises_past_the_submission(exited_pid, scripts):
    _count("sessions")
    zygote = FakeZygote(exited_pid, scripts)
    sandbox = Sandbox(
        zygote,  # type: ignore[arg-type]
        CELLS,
        timeouts=Limits(call=0.3, cell=0.3, load=0.6, submission=3.0, runaway=100.0),
    )
    trace = wire.encode([{"target": "f", "method": None, "args": [1], "kwargs": {}}])
    steps = [
        sandbox.start,
        sandbox.prefetch_plan,
        *(lambda k=k: sandbox.plan_digest(k) for k in range(len(PLAN_CALLS))),
        *(lambda k=k: sandbox.planned(k) for k in range(len(PLAN_CALLS))),
        lambda: sandbox.call("f", None, [{"w": np.zeros(2)}, np.ones(2)], {}),
        lambda: sandbox.call(1, "update", [], {}, generation=sandbox.generation),
        lambda: sandbox.replay(trace, 1, [1]),
    ]
    try:
        for step in steps:
            with contextlib.suppress(SandboxFailure, StudentError):
                step()
    finally:
        sandbox.kill()
        for relay in zygote.relays:
            relay.join(timeout=5)
    for report in sandbox.cell_reports:  # what reaches the gradebook is well formed
        assert isinstance(report.index, int) and isinstance(report.status, str)
        assert report.error is None or all(isinstance(v, str) for v in report.error.values())
    assert all(isinstance(n, str) for n in sandbox.names) and isinstance(sandbox.output, str)


# -- the checks themselves, on many more messages --------------------------------------------
_CHECKS = [
    lambda v: schema.startup(v),
    lambda v: schema.frame(v, 7),
    lambda v: schema.load_reply(v, 3, {1}),
    lambda v: schema.call_reply(v, 2, 0),
    lambda v: schema.trace_reply(v, [1, 1], 2),
    lambda v: schema.trace_reply(v, None, 3),
    lambda v: schema.trace_reply(v, [1, 1], 2, [[2], [0]]),
    lambda v: schema.call_reply(v, 2, 0, [2, 2]),
    lambda v: schema.cell_answer(v),
    lambda v: schema.names_answer(v),
    lambda v: schema.error(v),
]


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=st.one_of(
        junk,
        trace_reply(),
        call_reply(),
        load_frames().map(lambda frames: _with_id(frames[-1], 7)),
        st.fixed_dictionaries({"pid": junk}),
        st.fixed_dictionaries({"ready": junk, "layers": junk}),
    )
)
def test_every_check_either_accepts_or_refuses(message):
    _count("checks")
    for check in _CHECKS:
        with contextlib.suppress(schema.Invalid):
            check(message)


@settings(max_examples=1000, deadline=None)
@given(data=st.one_of(st.binary(max_size=200), junk.map(_encoded)))
def test_decoding_any_bytes_gives_plain_data_or_a_protocol_error(data):
    _count("decodes")
    try:
        value = wire.decode(data, wire.MAX_CONTAINERS)
    except wire.ProtocolError:
        return
    # Plain data (or only too deep, which the checks refuse where it is read).
    with contextlib.suppress(schema.Invalid):
        schema.plain(value)


def test_a_message_of_many_empty_lists_is_refused_before_it_is_built():
    """A frame of a million one-byte empty lists would decode into a million list objects."""
    data = msgpack.packb([[] for _ in range(1_000_000)])
    with pytest.raises(wire.ProtocolError, match="too many"):
        wire.decode(data, wire.MAX_CONTAINERS)


@settings(max_examples=500, deadline=None)
@given(received=st.binary(max_size=64))
def test_the_zygote_keeps_only_plan_entries_in_order(received):
    """Whatever arrives without a file descriptor, the arena stores the next entry or nothing
    (a misread index once made a zygote grow a list to gigabytes)."""
    _count("arena")
    plan = arena.PlanArena()
    before = len(plan)
    stored = plan.add(memoryview(received))
    assert len(plan) == before + (1 if stored else 0)
    assert not stored or received.startswith(b"PLAN\x00\x00\x00\x00")


def test_zz_report_the_cases_run():
    print(f"\nfuzz cases run: {CASES}")
    assert CASES.get("sessions", 0) > 0 and CASES.get("checks", 0) > 0
