"""Instructor formulas: the small Python expressions of an item, evaluated over ``solutions``.

An item's ``answer``, ``let`` values, ``check`` and distractor values are expressions such as
``solutions.ewma([x1, x2], beta)[-1]``. They see the item's drawn parameters, the reference
package ``solutions``, ``math``, ``np`` and the helpers below, which only *call* the reference
(one optimizer step on a one-element dict, say) so that no formula of the course is restated.
"""

from __future__ import annotations

import builtins
import math
from collections.abc import Iterable, Mapping
from types import CodeType
from typing import Any

import numpy as np

import solutions


def after_steps(optimizer: Any, w: float, grads: Iterable[float]) -> float:
    """The weight after ``optimizer.update`` has been called once per gradient in ``grads``.

    Runs the reference optimizer on a one-element parameter dict, e.g.
    ``after_steps(solutions.Adam(lr=0.1), 1.0, [0.5])`` is one Adam step by hand.
    """
    params = {"w": np.array([float(w)])}
    for g in grads:
        optimizer.update(params, {"w": np.array([float(g)])})
    return float(params["w"][0])


def state_after(optimizer: Any, name: str, w: float, grads: Iterable[float]) -> float:
    """An optimizer's state ``name`` (``"v"``, ``"h"``, ``"m"``) after those updates."""
    params = {"w": np.array([float(w)])}
    for g in grads:
        optimizer.update(params, {"w": np.array([float(g)])})
    return float(getattr(optimizer, name)["w"][0])


class _ScaleProbe:
    """Stands in for a numpy Generator: ``normal`` returns its scale, so an initializer of the
    reference reveals the standard deviation it draws with."""

    def normal(self, loc: float = 0.0, scale: float = 1.0, size: Any = None) -> np.ndarray:
        return np.full(size, float(scale))


def init_std(initializer: Any, n_in: int, n_out: int) -> float:
    """The standard deviation that ``solutions.xavier_init``/``he_init`` draws with."""
    return float(initializer(n_in, n_out, _ScaleProbe())[0, 0])


def last(values: Any) -> float:
    """The last element of a reference result as a float (e.g. ``v_t`` of ``ewma``)."""
    return float(np.asarray(values).reshape(-1)[-1])


def fmt(value: float, digits: int = 4) -> str:
    """A number as it is printed on a sheet: ``digits`` significant digits, no trailing zeros."""
    value = float(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    text = f"{value:.{digits}g}"
    return "0" if text == "-0" else text


NAMESPACE: dict[str, Any] = {
    "__builtins__": {},
    "solutions": solutions,
    "math": math,
    "np": np,
    "after_steps": after_steps,
    "state_after": state_after,
    "last": last,
    "init_std": init_std,
    "fmt": fmt,
    **{
        name: getattr(builtins, name)
        for name in (
            "abs",
            "all",
            "any",
            "bool",
            "float",
            "int",
            "len",
            "max",
            "min",
            "range",
            "round",
            "sorted",
            "str",
            "sum",
        )
    },
}


def compile_formula(source: str | int | float | bool, where: str) -> CodeType:
    """Compile one expression once, at load time; ``where`` names it in the error."""
    from quizzes.errors import BankError

    try:
        return compile(str(source), where, "eval")
    except SyntaxError as error:
        raise BankError(f"{where}: {error.msg} in formula {source!r}; fix the expression") from None


def evaluate(code: CodeType, values: Mapping[str, Any]) -> Any:
    """Evaluate a compiled formula over the drawn values of one variant."""
    return eval(code, NAMESPACE, dict(values))
