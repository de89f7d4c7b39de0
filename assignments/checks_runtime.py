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
import contextlib
import io
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


#: ``check(ALL)`` runs the checks of every item of the notebook.
ALL = "all"
#: The order in which ``check("all")`` counts the outcomes in its summary line.
STATUSES = ("passed", "failed", "not_implemented", "missing")


def check(name: str, namespace: dict[str, Any] | None = None) -> None:
    """Run the public checks of ``name`` (as defined in the caller's namespace) and print why.

    ``check("all")`` runs those of every item, then prints a one-line summary.
    """
    if namespace is None:
        namespace = sys._getframe(1).f_globals
    if name != ALL or name in _DATA["cases"]:
        print(result(name, namespace).text)
        return
    found = [result(item, namespace) for item in _DATA["cases"]]
    for found_one in found:
        print(found_one.text)
    print(summary(found))


def summary(found: list[Result]) -> str:
    """One line counting the items by outcome, e.g. "5 items: 3 passed, 2 failed"."""
    counts = {status: sum(r.status == status for r in found) for status in STATUSES}
    parts = [_message(f"count_{status}", n=n) for status, n in counts.items() if n]
    return _message("summary", total=len(found), parts=", ".join(parts))


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
        earlier = _message("earlier_passed", passed=index - 1) if index > 1 else ""
        head = {"name": name, "index": index, "total": total, "earlier": earlier}
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
            label = diagnosis(name, subject, cases)
            named = [_message("mistake", label=label)] if label else []
            text = "\n".join([_message("failed", **head), *named, brief, *problem])
            return Result(name, "failed", text)
    return Result(name, "passed", _message("passed", name=name, total=total))


def diagnosis(name: str, subject: Any, cases: list[dict[str, Any]]) -> str | None:
    """The known mistake that the student's answers on the public cases show, or None.

    A mistake is named only when it explains everything seen: on each case the student
    passes, it gives the reference's answer too; on each case the student fails, the
    student's answer is its answer, and that answer is decisive (the build checked that no
    update at all, or an update that works only once, does not give it). If two different
    mistakes fit, neither is named: a wrong name is worse than none.
    """
    mistakes = _DATA.get("mistakes", {}).get(name, {})
    if not mistakes:
        return None
    answers = []  # (case, the student's answer, whether it is the expected one)
    # The student's code runs once more per case, silently: what it prints was seen already.
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        for case in cases:
            if not case.get("mistakes"):
                continue  # a case that says nothing of mistakes (an expected exception)
            try:
                answer = _outputs(subject, case)
            except Exception:
                return None  # the code raised: no mistake of the catalogue does that
            answers.append((case, answer, matches(_decode_all(case["expected"]), answer)))
    # Two catalogue entries may be one mistake written two ways (the same label): one name.
    fitting = {label for mistake, label in mistakes.items() if _explains(mistake, answers)}
    return fitting.pop() if len(fitting) == 1 else None


def _explains(mistake: str, answers: list[tuple[dict[str, Any], Any, bool]]) -> bool:
    failed = False
    for case, answer, right in answers:
        outcome = case["mistakes"].get(mistake, {})
        if right:
            if "same" not in outcome:
                return False
            continue
        failed = True
        if "output" not in outcome or not matches(
            _decode_all(outcome["output"]), answer, equal_nan=True
        ):
            return False
    return failed


def _outputs(subject: Any, case: dict[str, Any]) -> Any:
    """The student's answer to a case, in the shape of its ``expected``."""
    if case["kind"] == "optimizer":
        optimizer = subject(**{k: _decode(v) for k, v in case["kwargs"].items()})
        params = {key: _decode(value) for key, value in case["params"].items()}
        after = []
        for grads in case["grads"]:
            optimizer.update(params, {key: _decode(value) for key, value in grads.items()})
            after.append({key: np.array(value, dtype=float) for key, value in params.items()})
        return after
    args = [_decode(a) for a in case["args"]]
    return subject(*args, **{k: _decode(v) for k, v in case["kwargs"].items()})


def matches(expected: Any, received: Any, *, equal_nan: bool = False) -> bool:
    """Whether ``received`` is ``expected`` within the checks' tolerance, at every key and
    position (``equal_nan``: a NaN matches a NaN, for recognising a mistake by its NaNs)."""
    if isinstance(expected, dict):
        return isinstance(received, dict) and all(
            key in received and matches(value, received[key], equal_nan=equal_nan)
            for key, value in expected.items()
        )
    if isinstance(expected, list | tuple) and any(isinstance(v, dict) for v in expected):
        return (
            isinstance(received, list | tuple)
            and len(received) == len(expected)
            and all(
                matches(e, r, equal_nan=equal_nan) for e, r in zip(expected, received, strict=True)
            )
        )
    try:
        return _compare(expected, received, "", equal_nan=equal_nan) is None
    except Exception:  # an answer numpy cannot even compare is not a match
        return False


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


def _compare(
    expected: Any, received: Any, path: str, *, equal_nan: bool = False
) -> tuple[str, list[str]] | None:
    """None when ``received`` matches; else where (an index path) and what differs."""
    if isinstance(expected, list | tuple):
        if not isinstance(received, list | tuple):
            return path, [_message("not_sequence", kind=_kind(received))]
        if len(received) != len(expected):
            return path, [_message("length", expected=len(expected), received=len(received))]
        for index, (want, got) in enumerate(zip(expected, received, strict=True)):
            mismatch = _compare(want, got, f"{path}[{index}]", equal_nan=equal_nan)
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
    close = np.isclose(got, want, rtol=RTOL, atol=atol, equal_nan=equal_nan)
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
        if "float" in value:
            return float(value["float"])
    return value


def _decode_all(value: Any) -> Any:
    """:func:`_decode` of a value and of everything in it (lists, dicts of parameters)."""
    if isinstance(value, dict) and "seq" in value:
        return [_decode_all(v) for v in value["seq"]]
    decoded = _decode(value)
    if decoded is not value:
        return decoded
    if isinstance(value, dict):
        return {key: _decode_all(v) for key, v in value.items()}
    if isinstance(value, list):
        return [_decode_all(v) for v in value]
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
