"""The student process of a sandbox: run one submission's cells, then answer calls.

It talks only to its sandbox's relay (:mod:`autograder.sandbox.relay`), which asks one
question at a time (:mod:`autograder.sandbox.lockstep`) and checks every answer; the grader's
channel and request ids never reach this process.

* ``CELL``: run one code cell, in its own ``try`` (as a student re-running the notebook would
  go on after a failing cell), and say how it ended.
* ``NAMES``: once the cells have run, the names they defined and what they printed.
* ``CALL``: call a top-level name (``target``: a string) or a method of an object made
  earlier (``target``: a handle number), and answer the return value together with what the
  call left in its array/dict arguments, so that in-place updates are observable.
* ``TRACE``: run a recorded trace of calls (see :mod:`autograder.speedups.replay`): a replay
  request, or an entry of the suite's plan, which the relay hands over one at a time. Each answer is
  the encoded reply on its own, so that the grader can recognise a behaviour it has seen
  before by the bytes alone (:mod:`autograder.speedups.memo`).
"""

from __future__ import annotations

import _signal
import io
import linecache
import os
import socket
import sys
import traceback
import types
from typing import Any

import numpy as np

from autograder import wire
from autograder.sandbox import lockstep, schema

_ndarray = np.ndarray
MAX_OUTPUT_CHARS = schema.MAX_OUTPUT
MAX_TRACEBACK_CHARS = schema.MAX_TRACEBACK
_CELL_FILE = "<cell {}>"


class Discarding(io.TextIOWrapper):
    """A text stream on the process's standard output (``/dev/null`` in a sandbox) whose
    ``write`` keeps nothing: it is ``str.__len__`` itself, so ``print`` runs no Python frame,
    encodes nothing and fills no buffer. A sandbox flooding a million prints took 1.27 s
    with an ordinary text stream on ``/dev/null`` and takes 1.03 s with this one, most of it
    the student's own loop.

    Everything else is the text stream's own (``flush``, ``fileno``, ``buffer``,
    ``encoding``, …), and ``write`` still takes only a ``str``, as any text stream does.
    """

    write = staticmethod(str.__len__)

    @classmethod
    def on_stdout(cls) -> Discarding:
        """One on file descriptor 1, which closing it leaves open."""
        return cls(io.BufferedWriter(io.FileIO(1, "w", closefd=False)), encoding="utf-8")


class CappedText(io.TextIOBase):
    """A stdout/stderr replacement that keeps the first ``limit`` characters.

    Once full, it hands ``sys.stdout`` and ``sys.stderr`` to a :class:`Discarding` stream:
    a flood of a million prints then costs little more than the loop that prints, instead of
    a Python-level ``write`` call per line.
    """

    def __init__(self, limit: int) -> None:
        self.limit, self.parts, self.size, self.truncated = limit, [], 0, False
        # Kept here as well as in sys: a stream that is collected closes its buffer.
        self.sink: Discarding | None = None

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        text = str(text)
        room = self.limit - self.size
        if len(text) > room:
            self.truncated = True
            self._divert()
        kept = text[:room]
        if kept:
            self.parts.append(kept)
            self.size += len(kept)
        return len(text)

    def _divert(self) -> None:
        if self.sink is None:
            try:
                self.sink = Discarding.on_stdout()
            except OSError:  # no standard output at all: nothing to divert to
                return
        for name in ("stdout", "stderr"):
            if getattr(sys, name) is self:
                setattr(sys, name, self.sink)

    def value(self) -> str:
        return "".join(self.parts)


def student_traceback(exc: BaseException) -> str:
    """The traceback restricted to frames from the student's cells, capped."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename.startswith("<cell")]
    lines = traceback.format_list(frames) + traceback.format_exception_only(type(exc), exc)
    return "".join(lines)[-MAX_TRACEBACK_CHARS:]


def describe_error(exc: BaseException) -> dict[str, str]:
    try:
        message = str(exc)
    except BaseException:  # the student's own __str__ failed: the exception still counts
        message = "?"
    return {
        "type": sendable_text(type(exc).__name__, schema.MAX_ERROR_TYPE),
        "message": sendable_text(message, schema.MAX_ERROR_MESSAGE),
        "traceback": sendable_text(student_traceback(exc)[-MAX_TRACEBACK_CHARS:], None),
    }


def _exit_error(exc: SystemExit) -> dict[str, str]:
    try:
        message = str(exc.code)
    except BaseException:
        message = "?"
    return {"type": "SystemExit", "message": sendable_text(message, schema.MAX_ERROR_MESSAGE)}


def sendable_text(text: str, limit: int | None) -> str:
    """``text`` cut to ``limit`` characters, with anything UTF-8 cannot carry (lone
    surrogates) replaced, so that it can always be sent."""
    text = text if limit is None else text[:limit]
    try:
        text.encode()
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode()
    return text


class Runtime:
    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.namespace: dict[str, Any] = {"__name__": "__main__", "__builtins__": __builtins__}
        self.handles: dict[int, Any] = {}
        self.output = CappedText(MAX_OUTPUT_CHARS)

    def serve(self) -> None:
        """Answer the relay's questions, one at a time, until it goes away."""
        buffer = bytearray()
        header = lockstep.QUESTION.size
        while True:
            while len(buffer) < header:
                chunk = self.sock.recv(1 << 16)
                if not chunk:
                    return
                buffer += chunk
            length, sequence, op = lockstep.QUESTION.unpack_from(buffer)
            while len(buffer) < header + length:
                chunk = self.sock.recv(max(header + length - len(buffer), 1 << 16))
                if not chunk:
                    return
                buffer += chunk
            payload = bytes(buffer[header : header + length])
            del buffer[: header + length]
            answer = self.answer(op, payload)
            self.sock.sendall(lockstep.ANSWER.pack(len(answer), sequence) + answer)

    def answer(self, op: int, payload: bytes) -> bytes:
        """The encoded answer to one question of the relay."""
        if op == lockstep.TRACE:
            return encoded_reply(self._replay(wire.decode(payload)))
        if op == lockstep.CELL:
            (index,) = lockstep.CELL_INDEX.unpack_from(payload)
            source = payload[lockstep.CELL_INDEX.size :].decode()
            return wire.encode(self._run_cell(index, source))
        if op == lockstep.NAMES:
            return wire.encode(self.names())
        if op == lockstep.CALL:
            return encoded_reply(self.op_call(wire.decode(payload)))
        raise ValueError(f"unknown question {op}")

    # -- load ---------------------------------------------------------------------------------
    def names(self) -> dict[str, Any]:
        """What the cells defined (the names a test may ask about) and printed."""
        names = sorted(
            k
            for k in self.namespace
            if type(k) is str
            and not k.startswith("_")
            and len(k) <= schema.MAX_NAME
            and k.isidentifier()
        )
        return {
            "names": names[: schema.MAX_NAMES],
            "output": sendable_text(self.output.value(), MAX_OUTPUT_CHARS),
            "output_truncated": self.output.truncated,
        }

    def _run_cell(self, index: int, source: str) -> dict[str, Any]:
        filename = _CELL_FILE.format(index)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        try:
            code = compile(source, filename, "exec")
        except SyntaxError as exc:
            return {"status": "syntax_error", "error": describe_error(exc)}
        try:
            exec(code, self.namespace)
        except SystemExit as exc:
            return {"status": "exit", "error": _exit_error(exc)}
        except BaseException as exc:
            return {"status": "error", "error": describe_error(exc)}
        return {"status": "ok"}

    # -- call ---------------------------------------------------------------------------------
    def _function(self, target: Any, method: str | None, objects: dict[int, Any]) -> Any:
        if isinstance(target, int):
            return getattr(self.handles[target], method)
        if isinstance(target, dict):  # an object built earlier in the same replay
            return getattr(objects[target["__obj__"]], method)
        if target not in self.namespace:
            raise _Missing(target)
        return self.namespace[target]

    def _invoke(
        self, target: Any, method: str | None, args: list, kwargs: dict, objects: dict[int, Any]
    ) -> tuple[dict[str, Any], Any]:
        function = self._function(target, method, objects)
        before = [_snapshot(a) for a in args]
        value = function(*args, **kwargs)
        reply: dict[str, Any] = {"args_after": list(map(_after, args, before))}
        if method is None and isinstance(function, type) and isinstance(value, function):
            return reply, value
        reply["value"] = None if value is None else _plain(value)
        return reply, None

    def op_call(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            args = [_revive(a) for a in request.get("args", [])]
            kwargs = {k: _revive(v) for k, v in request.get("kwargs", {}).items()}
            reply, built = self._invoke(request["target"], request.get("method"), args, kwargs, {})
            if built is not None:
                self.handles[len(self.handles) + 1] = built
                reply["handle"] = len(self.handles)
        except _Missing as missing:
            return {"ok": False, "error": {"type": "MissingName", "message": missing.name}}
        except SystemExit as exc:
            return {"ok": False, "error": _exit_error(exc)}
        except BaseException as exc:  # any failure of student code is data
            return {"ok": False, "error": describe_error(exc)}
        reply["ok"] = True
        return reply

    def _replay(self, ops: list[dict[str, Any]]) -> dict[str, Any]:
        """Run a recorded trace (as decoded from the wire)."""
        try:
            steps = prepare_trace(ops)
        except Exception as exc:  # a malformed trace: reported like a failing first call
            return {"ok": True, "results": [], "error": describe_error(exc), "error_index": 0}
        return self._run(steps)

    def _run(self, steps: list[Step]) -> dict[str, Any]:
        """Run a prepared trace: calls in order, shared arguments kept as shared objects."""
        refs: dict[int, Any] = {}
        objects: dict[int, Any] = {}
        results: list[dict[str, Any]] = []
        for index, (target, method, arg_steps, kwarg_steps) in enumerate(steps):
            try:
                args, before = [], []
                for kind, ref, value, snapshot in arg_steps:
                    if kind is _REF:
                        value = refs[ref]
                        snapshot = _snapshot(value)
                    elif kind is _DEF:
                        refs[ref] = value
                    args.append(value)
                    before.append(snapshot)
                kwargs = {}
                for key, (kind, ref, value, _) in kwarg_steps.items():
                    if kind is _REF:
                        value = refs[ref]
                    elif kind is _DEF:
                        refs[ref] = value
                    kwargs[key] = value
                function = self._function(target, method, objects)
                value = function(*args, **kwargs)
                reply: dict[str, Any] = {"args_after": list(map(_after, args, before))}
                if method is None and isinstance(function, type) and isinstance(value, function):
                    objects[index] = value
                else:
                    reply["value"] = None if value is None else _plain(value)
            except _Missing as missing:
                error = {"type": "MissingName", "message": missing.name}
                return {"ok": True, "results": results, "error": error, "error_index": index}
            except SystemExit as exc:
                error = _exit_error(exc)
                return {"ok": True, "results": results, "error": error, "error_index": index}
            except BaseException as exc:  # any failure of student code is data
                error = describe_error(exc)
                return {"ok": True, "results": results, "error": error, "error_index": index}
            results.append(reply)
        return {"ok": True, "results": results}


#: How a prepared argument is found: an object defined earlier in the trace (by its ref), an
#: object defined by this call, or a plain value.
_REF, _DEF, _VALUE = "ref", "def", "value"
#: One argument, prepared: (kind, ref, the object, its snapshot if it is a fresh dict).
ArgStep = tuple[str, int | None, Any, Any]
#: One call, prepared: (target, method, positional arguments, keyword arguments).
Step = tuple[Any, str | None, list[ArgStep], dict[str, ArgStep]]


def prepare_trace(ops: list[dict[str, Any]]) -> list[Step]:
    """A decoded trace made ready to run: every argument revived (generators built) and
    every fresh dict argument's snapshot taken, before the first call.

    A freshly defined dict is untouched until its call, so its snapshot taken here is the one
    the call would take.
    """
    steps = []
    for op in ops:
        args = [_prepare(a) for a in op["args"]]
        kwargs = {k: _prepare(v) for k, v in op["kwargs"].items()}
        steps.append((op["target"], op["method"], args, kwargs))
    return steps


def _prepare(value: Any) -> ArgStep:
    if isinstance(value, dict) and "__ref__" in value:
        return (_REF, value["__ref__"], None, None)
    if isinstance(value, dict) and "__def__" in value:
        obj = _revive(value["value"])
        return (_DEF, value["__def__"], obj, _snapshot(obj))
    return (_VALUE, None, _revive(value), None)


class _Missing(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unsendable(exc: Exception) -> dict[str, Any]:
    message = sendable_text(str(exc), 500)
    return {"ok": False, "error": {"type": "UnsendableResult", "message": message}}


def encoded_reply(reply: dict[str, Any]) -> bytes:
    """A call or trace reply as sent: itself, or why it cannot be sent."""
    try:
        body = wire.encode(reply)
    except (TypeError, ValueError, OverflowError) as exc:
        # The student's value could not be encoded (an object, a string UTF-8 cannot carry).
        return wire.encode(_unsendable(exc))
    if len(body) > lockstep.MAX_ANSWER_BYTES:
        return wire.encode(_unsendable(ValueError("the reply is too large")))
    return body


def _revive(value: Any) -> Any:
    generator = wire.generator_from_plain(value)
    return value if generator is None else generator


def _snapshot(arg: Any) -> Any:
    """What a dict argument held before the call: each value, and an exact array's bytes,
    shape and dtype.

    The value itself is kept (not its ``id``), so that an array freed during the call cannot
    lend its address to a new one and pass for the same object.
    """
    if type(arg) is dict:  # the grader's own dict: plan and call arguments are plain data
        return {
            k: (v, v.tobytes(), v.shape, v.dtype) if type(v) is _ndarray else (v, None, None, None)
            for k, v in arg.items()
        }
    return None


def _after(arg: Any, before: Any) -> Any:
    """What a call left in one argument.

    For a dict: the keys it now has and only the entries that changed, each with ``same``
    telling an array updated in place from a rebound one. Unchanged entries (a ``grads``
    dict, say) are not sent back, which halves the traffic of a typical ``update``.
    Bytes are compared, not values: NaN == NaN here, and -0.0 differs from 0.0, as a
    faithful mirror needs. The bytes read for the comparison are the ones sent.
    """
    if before is not None:
        # The sandbox's busiest loop (every key of every argument of every call): written
        # for the interpreter, with the common cases first and no call that can be spared.
        changed = {}
        odd = False  # a key that is not a string (it is sent as one)
        for key, v in arg.items():
            old = before.get(key)
            k = key
            if type(k) is not str:
                odd, k = True, str(k)
            if old is not None and old[0] is v:  # the same object as before the call
                data = old[1]
                if data is None:  # not an array we can compare: sent again
                    changed[k] = {"value": _plain(v), "same": True}
                    continue
                now = v.tobytes()  # the same exact ndarray (an object's type cannot change)
                # A dtype other than the very same object counts as a change (sent again).
                if now != data or v.shape != old[2] or v.dtype is not old[3]:
                    changed[k] = {"value": _sendable(v, now), "same": True}
            else:  # a new key, or a new object under an old one
                value = _sendable(v) if type(v) is _ndarray else _plain(v)
                changed[k] = {"value": value, "same": False}
        return {"dict": changed, "keys": [str(k) for k in arg] if odd else list(arg)}
    if isinstance(arg, np.ndarray):
        return {"array": _plain(arg)}
    if isinstance(arg, np.random.Generator):
        return wire.generator_to_plain(arg)
    return None


def _sendable(array: np.ndarray, data: bytes | None = None) -> Any:
    """An exact ndarray as it will be sent (see :func:`wire.array_ext`); one whose dtype may
    not be sent stays an array, so that encoding the whole reply fails as it should."""
    try:
        return wire.array_ext(array, data)
    except TypeError:
        return array


def _plain(value: Any) -> Any:
    """Convert what student code returned into plain data, as far as that is meaningful."""
    if isinstance(value, np.ndarray):
        # A copy of the bytes, taken now; np.array drops any ndarray subclass and its behaviour.
        return _sendable(value if type(value) is np.ndarray else np.array(value, copy=True))
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def main(sock: socket.socket) -> None:
    """Entry point in the student process (see :mod:`autograder.sandbox.relay`)."""
    # Over-large writes fail instead of killing. The C function: signal.signal's wrapper
    # converts to and from enums, Python work each sandbox would pay for in page faults.
    _signal.signal(_signal.SIGXFSZ, _signal.SIG_IGN)
    runtime = Runtime(sock)
    sys.stdout = sys.stderr = runtime.output
    sys.modules["__main__"] = types.ModuleType("__main__")
    sys.modules["__main__"].__dict__.update(runtime.namespace)
    runtime.namespace = sys.modules["__main__"].__dict__
    try:
        runtime.serve()
    finally:
        os._exit(0)
