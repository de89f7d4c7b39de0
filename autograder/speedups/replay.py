"""Record and replay: a whole scenario in one round trip to the sandbox.

A scenario (see :mod:`autograder.engine.testing`) usually makes many calls (build an optimizer, call
``update`` forty times). Made live, each is a round trip to the sandbox. But a scenario's
inputs rarely depend on the student's outputs, so the calls the reference run made are the
calls the student run will make. So:

1. **Record.** The reference run goes through a :class:`Recorder`, which notes every call:
   its target, its plain-data arguments (copied at call time) and which arguments are the
   *same objects* as in an earlier call (a ``params`` dict passed to every ``update``).
2. **Replay in the sandbox.** The trace is sent once; the sandbox runs it against the
   student's code, reusing its own copy of each shared object exactly as the caller would,
   and returns every call's result and what it left in its arguments.
3. **Re-run, answered from the replies.** The scenario runs again on the trusted side
   against a :class:`Replayer`, which answers each call from the sandbox's replies, after
   checking that the call is the one recorded and that every argument is exactly what the
   sandbox used (the same object, unchanged since the sandbox last saw it, or equal values).

Any difference raises :class:`Diverged`, and the caller runs the scenario live instead. The
replay is an optimisation that never changes a grade: only a run that provably made the same
calls with the same arguments is answered from it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder import wire
from autograder.sandbox.client import mirror

_TRACKED = (dict, np.ndarray, np.random.Generator)


class Diverged(Exception):
    """The scenario did not repeat the recorded calls: run it live instead."""


def _copy(value: Any) -> Any:
    """A deep copy of plain data and arrays, as it was at call time."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, np.random.Generator):
        return wire.generator_to_plain(value)
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    return value


def _same_content(a: Any, b: Any) -> bool:
    """Exact equality of plain data (arrays bit for bit, shape and dtype included)."""
    if isinstance(a, np.random.Generator):
        a = wire.generator_to_plain(a)
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (
            isinstance(a, np.ndarray)
            and isinstance(b, np.ndarray)
            and a.shape == b.shape
            and a.dtype == b.dtype
            and a.tobytes() == b.tobytes()
        )
    if isinstance(a, dict):
        return (
            isinstance(b, dict)
            and a.keys() == b.keys()
            and all(_same_content(a[k], b[k]) for k in a)
        )
    if isinstance(a, (list, tuple)):
        return (
            isinstance(b, (list, tuple))
            and len(a) == len(b)
            and all(_same_content(x, y) for x, y in zip(a, b, strict=True))
        )
    return type(a) is type(b) and a == b


@dataclass
class Trace:
    """The calls of one reference run, ready to send (``encoded``) and to check against."""

    ops: list[dict[str, Any]] = field(default_factory=list)
    encoded: bytes = b""
    plan_index: int | None = None  # its place in the worker's :class:`Plan`, once it has one

    def arities(self) -> list[int]:
        """Each call's number of positional arguments: what a reply must report on."""
        return [len(op["args"]) for op in self.ops]


class Plan:
    """A suite's traces in the order they were first recorded.

    Every submission meets the same traces, so a worker's sandboxes compute the replies to all
    of them right after loading, in one go (see :mod:`autograder.sandbox.runtime`), instead of
    one request per test.
    """

    def __init__(self) -> None:
        self.traces: list[Trace] = []

    def add(self, trace: Trace) -> None:
        trace.plan_index = len(self.traces)
        self.traces.append(trace)


class Recorder:
    """Wraps a trusted namespace (the reference); records every call made through it."""

    def __init__(self, namespace: Any) -> None:
        self._namespace = namespace
        self.trace = Trace()
        self._refs: dict[int, int] = {}
        self._alive: list[Any] = []  # keeps recorded objects alive, so no id() is reused

    def _arg(self, value: Any) -> Any:
        if isinstance(value, _TRACKED):
            ref = self._refs.get(id(value))
            if ref is not None:
                return {"__ref__": ref}
            ref = self._refs[id(value)] = len(self._refs)
            self._alive.append(value)
            return {"__def__": ref, "value": _copy(value)}
        return _copy(value)

    def _record(
        self, target: Any, method: str | None, function: Any, args: tuple, kwargs: dict
    ) -> Any:
        op = {
            "target": target,
            "method": method,
            "args": [self._arg(a) for a in args],
            "kwargs": {k: self._arg(v) for k, v in kwargs.items()},
        }
        index = len(self.trace.ops)
        self.trace.ops.append(op)
        result = function(*args, **kwargs)
        if method is None and isinstance(function, type):
            op["constructs"] = True
            return _RecordedObject(self, result, index)
        return result

    def __getattr__(self, name: str) -> Any:
        function = getattr(self._namespace, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._record(name, None, function, args, kwargs)

        return call

    def finish(self) -> Trace:
        self.trace.encoded = wire.encode(self.trace.ops)
        return self.trace


class _RecordedObject:
    def __init__(self, recorder: Recorder, obj: Any, index: int) -> None:
        self._recorder, self._obj, self._index = recorder, obj, index

    def __getattr__(self, method: str) -> Any:
        function = getattr(self._obj, method)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._recorder._record({"__obj__": self._index}, method, function, args, kwargs)

        return call


class Replayer:
    """Answers a scenario's calls from the sandbox's replies to a replayed trace.

    ``check_budget`` is called before each call is answered and raises once the submission's
    time budget is spent (``Sandbox.check_budget``): answering costs the grader time in
    proportion to what the student's code left in the arguments, and that time is the
    submission's, like the sandbox's own.
    """

    def __init__(
        self,
        trace: Trace,
        reply: dict[str, Any],
        error_type: type[Exception],
        check_budget: Callable[[], None] | None = None,
    ) -> None:
        self._ops = trace.ops
        self._check_budget = check_budget
        self._results = reply.get("results") if isinstance(reply.get("results"), list) else []
        self._error = reply.get("error")
        self._error_index = reply.get("error_index")
        self._error_type = error_type
        self._position = 0
        self._bound: dict[int, Any] = {}  # ref -> the trusted object playing that role
        self._seen: dict[int, Any] = {}  # ref -> its content when the sandbox last had it

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            return self._answer(name, None, args, kwargs)

        return call

    def _check_arg(self, recorded: Any, actual: Any) -> int | None:
        """Raise :class:`Diverged` unless ``actual`` is what the sandbox used; return its ref."""
        if isinstance(recorded, dict) and "__ref__" in recorded:
            ref = recorded["__ref__"]
            if self._bound.get(ref) is not actual or not _same_content(actual, self._seen[ref]):
                raise Diverged(f"argument changed between calls (ref {ref})")
            return ref
        if isinstance(recorded, dict) and "__def__" in recorded:
            ref = recorded["__def__"]
            if any(obj is actual for obj in self._bound.values()) or not _same_content(
                actual, recorded["value"]
            ):
                raise Diverged(f"argument differs from the recorded one (ref {ref})")
            self._bound[ref] = actual
            return ref
        if isinstance(actual, _TRACKED) or not _same_content(actual, recorded):
            raise Diverged("argument differs from the recorded one")
        return None

    def _answer(self, target: Any, method: str | None, args: tuple, kwargs: dict) -> Any:
        if self._check_budget is not None:
            self._check_budget()
        if self._position >= len(self._ops):
            raise Diverged("more calls than recorded")
        index = self._position
        op = self._ops[index]
        if op["target"] != target or op["method"] != method or len(op["args"]) != len(args):
            raise Diverged("a different call than recorded")
        if op["kwargs"].keys() != kwargs.keys():
            raise Diverged("different keyword arguments than recorded")
        touched = [self._check_arg(r, a) for r, a in zip(op["args"], args, strict=True)]
        touched += [self._check_arg(op["kwargs"][key], actual) for key, actual in kwargs.items()]
        self._position += 1
        if self._error_index == index:
            error = self._error if isinstance(self._error, dict) else {}
            raise self._error_type(
                str(error.get("type")),
                str(error.get("message", "")),
                str(error.get("traceback", "")),
            )
        if index >= len(self._results) or not isinstance(self._results[index], dict):
            raise Diverged("the sandbox answered fewer calls than were made")
        result = self._results[index]
        after = result.get("args_after")
        if isinstance(after, list) and len(after) == len(args):
            for actual, state in zip(args, after, strict=True):
                mirror(actual, state)  # exactly as a live call would
        for ref in touched:
            if ref is not None:
                self._seen[ref] = _copy(self._bound[ref])
        if op.get("constructs"):
            return _ReplayedObject(self, index)
        return result.get("value")


class _ReplayedObject:
    def __init__(self, replayer: Replayer, index: int) -> None:
        self._replayer, self._index = replayer, index

    def __getattr__(self, method: str) -> Any:
        if method.startswith("_"):
            raise AttributeError(method)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._replayer._answer({"__obj__": self._index}, method, args, kwargs)

        return call
