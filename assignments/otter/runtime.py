"""What runs in the student's kernel under otter: our hidden suite's cases, replayed there.

``optigrade export otter`` ships this file as ``optigrade_otter.py`` in the autograder zip, next
to a copy of the hidden suite's modules (``hidden/``) and ``hidden_cases.json``: for every pytest
case of the suite, its parameters (``callspec.params``) and what the reference produced for each
``check.same`` the case makes. An otter test case is then one line::

    run_case(env, "test_optimizers.py::test_updates[Adam-large-gradients]")

which imports the suite's test module, calls the test function with those parameters and a
``check`` bound to the notebook's namespace, and turns a failed check into an
``AssertionError`` that otter scores as a failed case. The test functions themselves are our
suite's, unchanged, so a case added to the suite is a case of the otter export.

Needs numpy and pytest (the suite's modules use ``pytest.param``); nothing of optigrade.
``encode`` is used by the exporter; the rest runs in the kernel.
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
import sys
import types
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
CASES_FILE = "hidden_cases.json"
SUITE_DIR = "hidden"

# -- the data format: JSON with tagged arrays, tuples and the suite's dataclasses ---------------


def encode(value: Any) -> Any:
    """``value`` as JSON-ready data that :func:`decode` turns back into an equal value."""
    if isinstance(value, np.ndarray):
        array = np.array(value, order="C")  # not ascontiguousarray: it makes 0-d arrays 1-d
        data = base64.b64encode(array.tobytes()).decode("ascii")
        return {"__array__": data, "dtype": array.dtype.str, "shape": list(array.shape)}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(f"only string-keyed dicts can be exported: {list(value)[:3]}")
        return {"__dict__": {k: encode(v) for k, v in value.items()}}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        init = [f.name for f in dataclasses.fields(value) if f.init]
        fields = {name: encode(getattr(value, name)) for name in init}
        kind = type(value)
        return {"__dataclass__": f"{kind.__module__}:{kind.__qualname__}", "fields": fields}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"values of type {type(value).__name__} cannot be exported to otter")


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "__array__" in data:
        raw = base64.b64decode(data["__array__"])
        return np.frombuffer(raw, dtype=data["dtype"]).reshape(tuple(data["shape"])).copy()
    if "__tuple__" in data:
        return tuple(decode(v) for v in data["__tuple__"])
    if "__dict__" in data:
        return {k: decode(v) for k, v in data["__dict__"].items()}
    module, _, name = data["__dataclass__"].partition(":")
    kind = getattr(_suite_module(module), name)
    return kind(**{k: decode(v) for k, v in data["fields"].items()})


# -- stand-ins for the two optigrade names a suite imports ---------------------------------------


class Words:
    """Stands in for ``autograder.engine.testing.Case`` and ``optigrade.i18n.Text``: words in ko
    and en."""

    def __init__(self, ko: str, en: str, inputs: dict | None = None) -> None:
        self.ko, self.en, self.inputs = ko, en, inputs or {}


_STAND_INS = {"autograder.engine.testing": {"Case": Words}, "optigrade.i18n": {"Text": Words}}


def _suite_module(name: str) -> types.ModuleType:
    """A module of the shipped suite, imported with the optigrade names it uses stood in for."""
    if name in sys.modules:
        return sys.modules[name]
    folder = str(HERE / SUITE_DIR)
    saved = {key: sys.modules.get(key) for key in ("autograder", "optigrade", *_STAND_INS)}
    # Only while importing: the kernel's own modules (or a real optigrade) are put back after.
    for package in ("autograder", "optigrade"):
        sys.modules[package] = types.ModuleType(package)
    for module_name, names in _STAND_INS.items():
        stand_in = types.ModuleType(module_name)
        stand_in.__dict__.update(names)
        sys.modules[module_name] = stand_in
    sys.path.insert(0, folder)
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(folder)
        for key, module in saved.items():
            if module is None:
                sys.modules.pop(key, None)
            else:
                sys.modules[key] = module


# -- the check a hidden test receives, bound to the notebook's namespace -------------------------

LABELS = {
    "ko": {
        "expected": "기대값",
        "received": "받은 값",
        "where": "위치",
        "mistake": "알려진 실수와 같음",
        "missing": "정의되지 않음 (셀을 실행했나요?)",
        "raised": "예외 발생",
        "no_exception": "예외가 발생해야 함",
        "property": "성질이 성립하지 않음",
    },
    "en": {
        "expected": "expected",
        "received": "received",
        "where": "where",
        "mistake": "matches the known mistake",
        "missing": "is not defined (did you run its cell?)",
        "raised": "raised",
        "no_exception": "should raise",
        "property": "property does not hold",
    },
}


class CaseFailed(AssertionError):
    """A hidden case failed; the message is what the student reads in the otter results."""


class Student:
    """The notebook's names as the ``impl`` a scenario uses: ``student.Adam(lr=0.1)``."""

    def __init__(self, env: dict[str, Any], lang: str) -> None:
        self._env, self._lang = env, lang

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self._env:
            raise CaseFailed(f"{name} {LABELS[self._lang]['missing']}")
        return self._env[name]


class Check:
    """The kernel's ``check``: the suite's comparisons, against the reference's recorded values."""

    def __init__(self, student: Student, expectations: list[dict[str, Any]], lang: str) -> None:
        self.student, self.lang = student, lang
        self._expectations = iter(expectations)

    def _fail(self, case: Words, *lines: str) -> CaseFailed:
        return CaseFailed("\n".join([getattr(case, self.lang), *lines]))

    def run(self, scenario: Any, case: Words) -> Any:
        try:
            return scenario(self.student)
        except CaseFailed:
            raise
        except Exception as exc:
            label = LABELS[self.lang]["raised"]
            raise self._fail(case, f"{label}: {type(exc).__name__}: {exc}") from None

    def same(self, scenario: Any, case: Words, *_tolerances: float, **_named: float) -> None:
        # Mirrors autograder.engine.testing.Checker.same, with the values it computes read from the
        # export instead (tolerances too: the recorded ones are those the suite passed).
        recorded = next(self._expectations)
        rtol, atol = recorded["rtol"], recorded["atol"]
        received = self.run(scenario, case)
        difference = first_difference(received, decode(recorded["expected"]), rtol, atol)
        if difference is None:
            return
        for equivalent in recorded["equivalents"]:
            if first_difference(received, decode(equivalent), rtol, atol) is None:
                return
        labels = LABELS[self.lang]
        lines = [
            f"{labels['where']}: {difference['where']}",
            f"{labels['expected']}: {difference['expected']}",
            f"{labels['received']}: {difference['received']}",
        ]
        for mistake in recorded["mistakes"]:
            value = decode(mistake["value"])
            if first_difference(received, value, rtol, atol, equal_nan=True) is None:
                lines.append(f"{labels['mistake']}: {mistake[self.lang]}")
                break
        raise self._fail(case, *lines)

    def raises(self, scenario: Any, exc_type: str, case: Words) -> None:
        try:
            scenario(self.student)
        except CaseFailed:
            raise
        except Exception as exc:
            if type(exc).__name__ == exc_type:
                return
            label = LABELS[self.lang]["raised"]
            raise self._fail(case, f"{label}: {type(exc).__name__}: {exc}") from None
        raise self._fail(case, f"{LABELS[self.lang]['no_exception']}: {exc_type}")

    def holds(self, condition: bool, case: Words, expected: Words, received: str = "") -> None:
        if not condition:
            label = LABELS[self.lang]["property"]
            raise self._fail(case, f"{label}: {getattr(expected, self.lang)}", received)


# -- one case --------------------------------------------------------------------------------------

_CASES: dict[str, Any] = {}


def run_case(env: dict[str, Any], case_id: str) -> None:
    """Run the hidden case ``case_id`` (a pytest node id) against the notebook's namespace."""
    if not _CASES:
        _CASES.update(json.loads((HERE / CASES_FILE).read_text(encoding="utf-8")))
    case = _CASES["cases"][case_id]
    lang = _CASES["lang"]
    module_file, _, function = case_id.partition("::")
    test = getattr(_suite_module(Path(module_file).stem), function.split("[")[0])
    student = Student(env, lang)
    fixtures = {"check": Check(student, case["expectations"], lang), "student": student}
    params = {k: decode(v) for k, v in case["params"].items()}
    test(**{name: fixtures[name] for name in case["fixtures"]}, **params)


# The exporter puts the source of these functions here instead: the kernel has no optigrade, and
# the comparison must be the very one our grader uses.
from autograder.engine.testing import first_difference  # noqa: E402  # INLINE
