"""Public checks for one assignment notebook. Needs numpy and the standard library, nothing else.

Use, in the notebook (the kernel's working directory is the notebook's folder)::

    from checks import check
    check("Adam")

``check`` looks the name up in the globals of the code that calls it, i.e. the notebook's own
namespace, so nothing has to be passed. The cases and their expected values were computed from
the course's reference when this file was built, and are stored as plain data at its end.
"""

from __future__ import annotations

import builtins
import numbers
import os
import sys
import traceback
import unicodedata
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Equivalent implementations (ε inside or outside the square root, Adam's bias correction
#: folded into the step size, loops or vectorised code) differ by far less than this, while
#: real mistakes differ in the first digits. The absolute part is scaled to the expected values.
RTOL = 1e-6
ATOL_SCALE = 1e-9

# The build appends the real data after this module's source; this default keeps the module
# importable on its own (for the project's tests).
_DATA: dict[str, Any] = {"messages": {}, "cases": {}}


@dataclass(frozen=True)
class Result:
    """What one ``check`` found: ``status`` is passed, failed, not_implemented or missing."""

    name: str
    status: str
    text: str


def check(name: str, namespace: dict[str, Any] | None = None) -> None:
    """Run the public checks of ``name`` (as defined in the caller's namespace) and print why."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    print(result(name, namespace).text)


def ready(*names: str, namespace: dict[str, Any] | None = None) -> bool:
    """True when every item passes its public checks; otherwise say kindly what is missing."""
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    missing = [name for name in names if result(name, namespace).status != "passed"]
    if missing:
        print(_message("not_ready", names=", ".join(names), missing=", ".join(missing)))
    return not missing


def pyplot() -> Any:
    """``matplotlib.pyplot``, or None (after saying how to install it) when it is missing."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        print(_message("no_matplotlib"))
        return None
    return plt


def result(name: str, namespace: dict[str, Any]) -> Result:
    """Run every public case of ``name`` against ``namespace[name]``; stop at the first problem."""
    cases = _DATA["cases"].get(name)
    if cases is None:
        choices = ", ".join(_DATA["cases"])
        return Result(name, "missing", _message("unknown", name=name, choices=choices))
    if name not in namespace:
        return Result(name, "missing", _message("missing", name=name))
    subject = namespace[name]
    total = len(cases)
    for index, case in enumerate(cases, start=1):
        head = {"name": name, "index": index, "total": total, "passed": index - 1}
        brief = _message("input", brief=_brief_case(name, case))
        try:
            problem = _run_case(subject, case)
        except NotImplementedError:
            return Result(name, "not_implemented", _message("not_implemented", name=name))
        except Exception as error:
            lines = [
                _message("raised", error=f"{type(error).__name__}: {error}", **head),
                brief,
                _message("your_code"),
                *_student_frames(error),
            ]
            return Result(name, "failed", "\n".join(lines))
        if problem:
            text = "\n".join([_message("failed", **head), brief, *problem])
            return Result(name, "failed", text)
    return Result(name, "passed", _message("passed", name=name, total=total))


def _run_case(subject: Any, case: dict[str, Any]) -> list[str] | None:
    if case["kind"] == "optimizer":
        return _run_optimizer(subject, case)
    args = [_decode(a) for a in case["args"]]
    kwargs = {k: _decode(v) for k, v in case["kwargs"].items()}
    if case["kind"] == "raises":
        error = getattr(builtins, case["error"])
        try:
            value = subject(*args, **kwargs)
        except error:
            return None
        return [_message("should_raise", error=case["error"], value=_show(value))]
    mismatch = _compare(_decode(case["expected"]), subject(*args, **kwargs), "")
    if mismatch is None:
        return None
    path, lines = mismatch
    return [_message("where_result", path=path), *lines]


def _run_optimizer(subject: Any, case: dict[str, Any]) -> list[str] | None:
    optimizer = subject(**{k: _decode(v) for k, v in case["kwargs"].items()})
    params = {key: _decode(value) for key, value in case["params"].items()}
    before = {key: value.copy() for key, value in params.items()}
    for step, (grads, expected) in enumerate(
        zip(case["grads"], case["expected"], strict=True), start=1
    ):
        optimizer.update(params, {key: _decode(value) for key, value in grads.items()})
        for key, value in expected.items():
            where = _message("where_step", step=step, key=key)
            if key not in params:
                return [where, _message("missing_key", key=key)]
            mismatch = _compare(_decode(value), params[key], "")
            if mismatch is not None:
                hint = []
                if step == 1 and np.array_equal(np.asarray(params[key]), before[key]):
                    hint = [_message("unchanged", key=key)]
                return [where, *mismatch[1], *hint]
    return None


def _compare(expected: Any, received: Any, path: str) -> tuple[str, list[str]] | None:
    """None when ``received`` matches; else where (an index path) and what differs."""
    if isinstance(expected, list):
        if not isinstance(received, list | tuple):
            return path, [_message("not_sequence", kind=_kind(received))]
        if len(received) != len(expected):
            return path, [_message("length", expected=len(expected), received=len(received))]
        for index, (want, got) in enumerate(zip(expected, received, strict=True)):
            mismatch = _compare(want, got, f"{path}[{index}]")
            if mismatch is not None:
                return mismatch
        return None
    if not isinstance(received, numbers.Number | np.ndarray | np.generic | list | tuple):
        return path, [_message("not_numeric", kind=_kind(received))]
    try:
        got = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        return path, [_message("not_numeric", kind=_kind(received))]
    want = np.asarray(expected, dtype=float)
    if got.shape != want.shape:
        return path, [_message("shape", expected=want.shape, received=got.shape)]
    atol = ATOL_SCALE * max(1.0, float(np.max(np.abs(want), initial=0.0)))
    close = np.isclose(got, want, rtol=RTOL, atol=atol)
    if close.all():
        return None
    first = tuple(int(i) for i in np.argwhere(~close)[0])
    return path, [
        _message(
            "first_difference",
            index=list(first) if first else "",
            expected=_number(want[first]),
            received=_number(got[first]),
        ),
        _labelled("expected", want),
        _labelled("received", got),
        _message("tolerance", rtol=RTOL, atol=atol),
    ]


def _student_frames(error: BaseException) -> list[str]:
    """The traceback without this file's frames: what remains is the student's code."""
    here = os.path.abspath(__file__)
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if os.path.abspath(frame.filename) != here
    ]
    return ["   " + line for entry in traceback.format_list(frames) for line in entry.splitlines()]


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "ndarray" in value:
            return np.array(value["ndarray"], dtype=value["dtype"]).reshape(value["shape"])
        if "seq" in value:
            return [_decode(v) for v in value["seq"]]
        if "rng" in value:
            return np.random.default_rng(value["rng"])
    return value


def _brief_case(name: str, case: dict[str, Any]) -> str:
    arguments = [_brief(a) for a in case.get("args", [])]
    arguments += [f"{k}={_brief(v)}" for k, v in case["kwargs"].items()]
    call = f"{name}({', '.join(arguments)})"
    if case["kind"] != "optimizer":
        return call
    keys = ", ".join(f"{k} {tuple(v['shape'])}" for k, v in case["params"].items())
    return f"{call}; " + _message("updates", steps=len(case["grads"]), keys=keys)


def _brief(value: Any) -> str:
    if isinstance(value, dict) and "rng" in value:
        return f"np.random.default_rng({value['rng']})"
    if isinstance(value, dict) and "ndarray" in value:
        flat = np.asarray(value["ndarray"], dtype=value["dtype"]).reshape(-1)
        if flat.size <= 4:
            return _show(np.asarray(value["ndarray"], dtype=value["dtype"]))
        head = ", ".join(_number(x) for x in flat[:3])
        return f"array{tuple(value['shape'])} [{head}, …]"
    return repr(value)


def _show(value: Any) -> str:
    if isinstance(value, np.ndarray):
        return np.array2string(value, precision=8, threshold=24, edgeitems=3, separator=", ")
    return repr(value)


def _labelled(message: str, array: np.ndarray) -> str:
    """The message with a multi-line array aligned under its first line."""
    label = _message(message, value="")
    indent = " " * sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in label)
    first, *rest = _show(array).splitlines()
    return "\n".join([label + first, *(indent + line for line in rest)])


def _number(value: Any) -> str:
    return f"{float(value):.10g}"


def _kind(value: Any) -> str:
    return "None" if value is None else type(value).__name__


def _message(message: str, /, **values: Any) -> str:
    return _DATA["messages"][message].format(**values)
