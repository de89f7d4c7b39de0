"""What the grader accepts from a sandbox: the exact shape of every message, checked first.

Nothing from a sandbox is read before it has passed the check for its kind: keys (no missing,
no extra), types, sizes, allowed values and index ranges. A message that fails raises
:class:`Invalid`, which the grader turns into that submission's ``protocol`` failure
(:class:`autograder.sandbox.client.ProtocolViolation`), never an exception elsewhere.

The relay of a sandbox (:mod:`autograder.sandbox.relay`) checks the student process's cell and
name answers with the same functions before it builds its load reply from them, so an honest
relay never forwards a message that the grader would refuse.

Messages, grader side (every frame from the relay carries the request's ``id``):

=========== ==========================================================================
progress    ``{"id", "progress": i}``: cell ``i`` starts (``i`` = the number of cells:
            the names are being collected)
load        ``{"id", "ok": True, "cells", "names", "output", "output_truncated"}``
body        ``{"id", "body": bytes}``: the student's encoded reply to a call or a replay
plan        ``{"id", "plan": k, "body": bytes | None}``: the reply to plan entry ``k``
violation   ``{"id", "violation": str}``: the student process broke the lockstep
=========== ==========================================================================

and the bodies: a call reply (:func:`call_reply`) and a trace reply (:func:`trace_reply`).
"""

from __future__ import annotations

from typing import Any, NoReturn

import numpy as np

from autograder import wire

MAX_ERROR_TYPE = 200
MAX_ERROR_MESSAGE = 1000
MAX_TRACEBACK = 4000
MAX_OUTPUT = 20_000
#: Names a submission defines that are reported (sorted): tests ask whether one is defined.
MAX_NAMES = 4096
MAX_NAME = 256
#: Nesting of a returned value: deeper values cannot be an answer and would exhaust the
#: recursion of the code that compares them.
MAX_DEPTH = 32
MAX_REASON = 300
MAX_LAYERS = 64
#: How many objects one call may build in the sandbox (handles number them from 1).
MAX_HANDLE = 1 << 31
#: Keys a submission may add to a dict argument beyond those it was sent (an honest ``update``
#: rebinds the keys it is given). Every reported key costs the grader a mirror, a copy and a
#: comparison on each later call it replays, so a report is bounded by what was sent, not by
#: the frame's limits alone (10,000 added keys held a worker for a minute).
MAX_NEW_KEYS = 16
#: What a cell can end as in the student process; ``skipped`` is the relay's alone.
CELL_STATUSES = frozenset({"ok", "error", "syntax_error", "exit"})
_SKIPPED = frozenset({"skipped"})
_ERROR_KEYS = frozenset({"type", "message", "traceback"})
_LOAD_KEYS = frozenset({"id", "ok", "cells", "names", "output", "output_truncated"})
_NAMES_KEYS = frozenset({"names", "output", "output_truncated"})


class Invalid(ValueError):
    """A message that is not what the protocol allows at this point."""


def _invalid(reason: str) -> NoReturn:
    raise Invalid(reason)


def _text(value: Any, limit: int, what: str) -> str:
    if type(value) is not str:
        _invalid(f"{what} is not a string")
    if len(value) > limit:
        _invalid(f"{what} longer than {limit} characters")
    return value


def _index(value: Any, end: int, what: str) -> int:
    if type(value) is not int or not 0 <= value < end:
        _invalid(f"{what} out of range")
    return value


def _one_of(value: Any, allowed: frozenset[str]) -> bool:
    """Whether ``value`` is one of the ``allowed`` strings (an array is hashed by nobody)."""
    return type(value) is str and value in allowed


def _flag(value: Any) -> bool:
    return value is True or value is False


def _keys(message: Any, required: frozenset[str], optional: frozenset[str] = frozenset()) -> dict:
    if type(message) is not dict:
        _invalid("a message that is not a map")
    keys = message.keys()
    if not required <= keys or not keys <= required | optional:
        _invalid(f"a message with keys {sorted(map(str, keys))[:8]}")
    return message


# -- start-up -------------------------------------------------------------------------------
def startup(message: Any) -> tuple[str, Any]:
    """A start-up message: ``("pid", int)`` from the zygote, ``("error", str)`` when it could
    not fork, or ``("layers", {name: bool})`` from the locked-down sandbox."""
    if type(message) is dict and message.keys() == {"pid"}:
        pid = message["pid"]
        if type(pid) is not int or not 0 < pid < 1 << 31:
            _invalid("a process id out of range")
        return "pid", pid
    if type(message) is dict and message.keys() == {"error"}:
        return "error", _text(message["error"], MAX_REASON, "the zygote's error")
    _keys(message, frozenset({"ready", "layers"}))
    layers = message["layers"]
    if message["ready"] is not True or type(layers) is not dict or len(layers) > MAX_LAYERS:
        _invalid("a malformed report of the isolation layers")
    for name, held in layers.items():
        _text(name, 64, "a layer's name")
        if type(held) is not bool:
            _invalid("a layer that neither holds nor fails")
    return "layers", layers


# -- frames ---------------------------------------------------------------------------------
def frame(message: Any, request_id: int) -> tuple[str, Any]:
    """The kind and content of a frame answering request ``request_id`` (see the table in
    the module's docstring). The load reply is returned whole, for :func:`load_reply`."""
    # The type first: an array compared with == is no truth value, and True == 1.
    if type(message) is not dict or type(message.get("id")) is not int:
        _invalid("a frame that does not answer the request")
    if message["id"] != request_id:
        _invalid("a frame that does not answer the request")
    size = len(message)
    if size == 2:
        if "progress" in message:
            progress = message["progress"]
            if type(progress) is not int:
                _invalid("a progress frame without a cell")
            return "progress", progress
        if "body" in message:
            body = message["body"]
            if type(body) is not bytes:
                _invalid("a reply without a body")
            return "body", body
        if "violation" in message:
            return "violation", _text(message["violation"], MAX_REASON, "a violation's reason")
    elif size == 3 and "plan" in message and "body" in message:
        index, body = message["plan"], message["body"]
        if type(index) is not int or (body is not None and type(body) is not bytes):
            _invalid("a malformed plan frame")
        return "plan", (index, body)
    elif message.keys() == _LOAD_KEYS:
        return "load", message
    _invalid(f"an unknown frame with keys {sorted(map(str, message))[:8]}")


# -- the load reply -------------------------------------------------------------------------
def error(value: Any) -> dict[str, str]:
    """An exception as the sandbox describes it: ``type``, ``message``, maybe ``traceback``."""
    _keys(value, frozenset({"type", "message"}), _ERROR_KEYS)
    _text(value["type"], MAX_ERROR_TYPE, "an error's type")
    _text(value["message"], MAX_ERROR_MESSAGE, "an error's message")
    if "traceback" in value:
        _text(value["traceback"], MAX_TRACEBACK, "an error's traceback")
    return value


def cell_answer(value: Any) -> dict[str, Any]:
    """How one cell ended in the student process: ``{"status"}``, with ``error`` unless ok."""
    if type(value) is not dict or not _one_of(value.get("status"), CELL_STATUSES):
        _invalid("a cell that ended in no known way")
    if value["status"] == "ok":
        _keys(value, frozenset({"status"}))
    else:
        error(_keys(value, frozenset({"status", "error"}))["error"])
    return value


def names_answer(value: Any) -> dict[str, Any]:
    """What the student process defined and printed, once its cells have run."""
    _keys(value, _NAMES_KEYS)
    names = value["names"]
    if type(names) is not list or len(names) > MAX_NAMES:
        _invalid("a malformed list of names")
    for name in names:
        if not _text(name, MAX_NAME, "a name").isidentifier():
            _invalid("a name that is not an identifier")
    _text(value["output"], MAX_OUTPUT, "the output")
    if type(value["output_truncated"]) is not bool:
        _invalid("a malformed output flag")
    return value


def load_reply(
    message: dict[str, Any], cells: int, skip: set[int] | frozenset[int]
) -> dict[str, Any]:
    """The relay's reply to a load request of ``cells`` cells, ``skip`` not run: one report
    per cell, in order, each skipped exactly when it was to be skipped."""
    _keys(message, _LOAD_KEYS)
    names_answer({k: message[k] for k in _NAMES_KEYS})
    reports = message["cells"]
    if message["ok"] is not True or type(reports) is not list or len(reports) != cells:
        _invalid("a load reply that does not report every cell")
    for index, report in enumerate(reports):
        if type(report) is not dict or type(report.get("index")) is not int:
            _invalid("a cell report out of order")
        if report["index"] != index:
            _invalid("a cell report out of order")
        if index in skip:
            if report.keys() != {"index", "status"} or not _one_of(report["status"], _SKIPPED):
                _invalid("a skipped cell reported as run")
        else:
            cell_answer({k: v for k, v in report.items() if k != "index"})
    return message


# -- call and trace replies -----------------------------------------------------------------
def plain(value: Any, depth: int = 0) -> Any:
    """A value that crossed from the sandbox: plain data and arrays, not nested too deep."""
    kind = type(value)
    if kind in (str, int, float, bool, bytes, np.ndarray) or value is None:
        return value
    if depth >= MAX_DEPTH:
        _invalid(f"a value nested deeper than {MAX_DEPTH}")
    if kind is list:
        for item in value:
            plain(item, depth + 1)
        return value
    if kind is dict:
        for key, item in value.items():
            if type(key) is not str:
                _invalid("a map whose keys are not strings")
            plain(item, depth + 1)
        return value
    _invalid(f"a value of type {kind.__name__}")


def sent_sizes(args: list[Any]) -> list[int]:
    """What a report on each argument is bounded by: a dict's keys, an array's elements, 0
    for anything else (see :func:`_after`)."""
    return [len(a) if type(a) is dict else a.size if type(a) is np.ndarray else 0 for a in args]


def trace_sizes(ops: list[dict[str, Any]]) -> list[list[int]]:
    """:func:`sent_sizes` of each call of a trace as the sandbox receives it (wire form, see
    :class:`autograder.speedups.replay.Recorder`): an object passed again (``__ref__``) is the
    sandbox's own copy, bounded by what it was first sent with, so what it may gain over all
    the calls of the trace is bounded too, not what each call may add."""
    defined: dict[Any, int] = {}

    def size(arg: Any) -> int:
        if type(arg) is dict and "__ref__" in arg:
            return defined.get(arg["__ref__"], 0)
        if type(arg) is dict and "__def__" in arg:
            defined[arg["__def__"]] = sent_sizes([arg.get("value")])[0]
            return defined[arg["__def__"]]
        return sent_sizes([arg])[0]

    sizes = []
    for op in ops:
        sizes.append([size(arg) for arg in op["args"]])
        for arg in op["kwargs"].values():
            size(arg)  # an object first sent by keyword may come back positionally
    return sizes


def _after(value: Any, sent: int | None) -> None:
    """What a call left in one argument (see ``runtime._after``), sent with ``sent`` keys
    or elements (:func:`sent_sizes`; ``None``: not known)."""
    if value is None:
        return
    if type(value) is not dict:
        _invalid("a malformed report of an argument")
    keys = value.keys()
    if keys == {"array"}:
        array = value["array"]
        if type(array) is not np.ndarray:
            _invalid("an array argument reported as something else")
        if sent is not None and array.size > sent:
            _invalid(f"an array argument of {sent} elements reported with {array.size}")
    elif keys == {"dict", "keys"}:
        entries, names = value["dict"], value["keys"]
        if type(entries) is not dict or type(names) is not list:
            _invalid("a malformed report of a dict argument")
        # Counted before anything is read: the bound is what keeps the rest cheap.
        if sent is not None and max(len(names), len(entries)) > sent + MAX_NEW_KEYS:
            _invalid(
                f"a dict argument of {sent} keys reported with {max(len(names), len(entries))}"
                f" (at most {MAX_NEW_KEYS} more than it was sent)"
            )
        for name in names:
            if type(name) is not str:
                _invalid("a dict argument's key that is not a string")
        for entry in entries.values():
            _keys(entry, frozenset({"value", "same"}))
            if type(entry["same"]) is not bool:
                _invalid("a malformed report of a dict entry")
            plain(entry["value"], 1)
    elif keys == {wire.GENERATOR_TAG}:
        plain(value)
    else:
        _invalid("a malformed report of an argument")


def _args_after(value: Any, arity: int | None, sent: list[int] | None) -> None:
    if type(value) is not list or (arity is not None and len(value) != arity):
        _invalid("a report of the arguments that does not match the call")
    if sent is not None and len(sent) != len(value):
        _invalid("a report of the arguments that does not match the call")
    for index, state in enumerate(value):
        _after(state, None if sent is None else sent[index])


def call_reply(
    value: Any, arity: int, handles: int, sent: list[int] | None = None
) -> dict[str, Any]:
    """A reply to one call with ``arity`` positional arguments (``sent``: their
    :func:`sent_sizes`, where known); ``handles`` objects were built in this sandbox before
    it, so a new one must be number ``handles + 1``."""
    if type(value) is not dict or not _flag(value.get("ok")):
        _invalid("a call reply that is neither a result nor an error")
    if value["ok"] is False:
        error(_keys(value, frozenset({"ok", "error"}))["error"])
        return value
    if "handle" in value:
        _keys(value, frozenset({"ok", "args_after", "handle"}))
        if type(value["handle"]) is not int or value["handle"] != handles + 1:
            _invalid("an object handle out of sequence")
        if handles + 1 > MAX_HANDLE:
            _invalid("too many objects")
    else:
        plain(_keys(value, frozenset({"ok", "args_after", "value"}))["value"])
    _args_after(value["args_after"], arity, sent)
    return value


def trace_reply(
    value: Any, arities: list[int] | None, calls: int, sent: list[list[int]] | None = None
) -> dict[str, Any]:
    """A reply to a trace of ``calls`` calls (``arities``: each call's positional arguments,
    ``sent``: their :func:`trace_sizes`, where known): one result per call made, up to the
    one that raised, if one did."""
    if type(value) is not dict or not _flag(value.get("ok")):
        _invalid("a trace reply that is neither results nor an error")
    if value["ok"] is False:  # the reply could not be sent (see runtime._unsendable)
        error(_keys(value, frozenset({"ok", "error"}))["error"])
        return value
    optional = frozenset({"error", "error_index"})
    _keys(value, frozenset({"ok", "results"}), optional)
    results = value["results"]
    if type(results) is not list:
        _invalid("trace results that are not a list")
    if "error" in value or "error_index" in value:
        if not optional <= value.keys():
            _invalid("an error without the call it happened in")
        error(value["error"])
        if _index(value["error_index"], calls, "the failing call") != len(results):
            _invalid("results past the call that failed")
    elif len(results) != calls:
        _invalid("a trace reply that does not answer every call")
    for index, result in enumerate(results):
        _keys(result, frozenset({"args_after"}), frozenset({"value"}))
        _args_after(
            result["args_after"],
            None if arities is None else arities[index],
            sent[index] if sent is not None and index < len(sent) else None,
        )
        if "value" in result:
            plain(result["value"])
    return value
