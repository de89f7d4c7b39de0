"""The public check cases of every item, with expected values computed from the reference.

All random inputs come from seeds 1000-1999, the public seed space: the hidden suites draw from
other seeds, so a student who fits the public cases learns nothing about the graded ones.

A case is plain data (JSON-like, see ``encode``) that ``checks_runtime`` decodes with numpy:

* ``optimizer``: construct with ``kwargs``, call ``update`` once per entry of ``grads`` on
  ``params``; ``expected[i]`` holds the parameters after call ``i + 1``;
* ``call``: ``expected`` is the value of ``item(*args, **kwargs)``;
* ``raises``: the call must raise the built-in exception named ``error``.

``optimizer`` and ``call`` cases also carry ``mistakes``: for each known mistake of the item
(``solutions.variants.MISTAKES``), what it gives on the case's inputs, computed here so that the
checks can name a mistake while staying numpy-only. See :func:`mistake_outcome`.
"""

from __future__ import annotations

import functools
import inspect
import math
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from assignments.checks_runtime import matches
from assignments.reference import Reference
from solutions.variants import MISTAKES

PUBLIC_SEEDS = range(1000, 2000)


@dataclass(frozen=True)
class Rng:
    """An ``np.random.default_rng(seed)`` argument: stored as its seed, made fresh per call."""

    seed: int


def public_seed(*key: object) -> int:
    """A seed of the public space, fixed by ``key`` (stable across runs and machines)."""
    digest = zlib.crc32(repr(key).encode())
    return PUBLIC_SEEDS.start + digest % len(PUBLIC_SEEDS)


def encode(value: Any) -> Any:
    """Plain data (numbers, strings, lists, dicts) that ``checks_runtime._decode`` reverses."""
    if isinstance(value, np.ndarray):
        data = value.tolist()
        if value.dtype.kind == "f" and not np.isfinite(value).all():
            # NaN and infinities are not Python literals: written as text, which numpy reads
            # back as floats (a known mistake may give NaN, and is recognised by it).
            data = _floats_or_text(data)
        return {"ndarray": data, "shape": list(value.shape), "dtype": str(value.dtype)}
    if isinstance(value, Rng):
        return {"rng": value.seed}
    if isinstance(value, list | tuple):
        return {"seq": [encode(v) for v in value]}
    if isinstance(value, dict):
        return {key: encode(v) for key, v in value.items()}
    if isinstance(value, np.generic):
        return encode(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return {"float": repr(value)}
    return value


def _floats_or_text(data: Any) -> Any:
    if isinstance(data, list):
        return [_floats_or_text(v) for v in data]
    return data if math.isfinite(data) else repr(data)


def _materialise(value: Any) -> Any:
    """The reference's own copy of an argument: a fresh generator, a private array."""
    if isinstance(value, Rng):
        return np.random.default_rng(value.seed)
    if isinstance(value, np.ndarray):
        return value.copy()
    return value


# --- optimizers ---------------------------------------------------------------------------------

#: Constructor keywords per case: the defaults first, then other hyper-parameters, so that a
#: hard-coded constant shows up. An optimizer not named here gets :func:`_other_hyperparameters`.
_OPTIMIZER_KWARGS: dict[str, list[dict[str, float]]] = {
    "SGD": [{}, {"lr": 0.1}],
    "Momentum": [{}, {"lr": 0.05, "momentum": 0.5}],
    "AdaGrad": [{}, {"lr": 0.1}],
    "RMSProp": [{}, {"lr": 0.05, "beta": 0.5}],
    "Adam": [{}, {"lr": 0.05, "beta1": 0.8, "beta2": 0.9}],
}
_SHAPES: list[dict[str, tuple[int, ...]]] = [
    {"W1": (2, 3), "b1": (3,)},
    {"W": (3, 2), "b": (2,), "gamma": (1,)},
]


def _gradient(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    # Magnitudes in [0.5, 2]: far from 0, so where exactly ε enters changes nothing visible.
    return rng.uniform(0.5, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def _other_hyperparameters(optimizer: Any) -> dict[str, float]:
    """The learning rate ten times its default and every other rate in (0, 1) (a β, a
    momentum) 0.5; ε stays at its default (the checks' gradients make it negligible)."""
    changed = {}
    for name, parameter in inspect.signature(optimizer).parameters.items():
        if name == "lr":
            changed[name] = parameter.default * 10
        elif name != "eps" and isinstance(parameter.default, float) and 0 < parameter.default < 1:
            changed[name] = 0.5
    return changed


def _optimizer_cases(reference: Reference, item: str) -> Iterator[dict[str, Any]]:
    table = _OPTIMIZER_KWARGS.get(item) or [{}, _other_hyperparameters(reference.obj(item))]
    for index, kwargs in enumerate(table):
        rng = np.random.default_rng(public_seed(item, index))
        shapes = _SHAPES[index % len(_SHAPES)]
        params = {key: rng.normal(size=shape) for key, shape in shapes.items()}
        grads = [{key: _gradient(rng, shape) for key, shape in shapes.items()} for _ in range(3)]
        run = functools.partial(_optimize, kwargs=kwargs, params=params, grads=grads)
        expected = run(reference.obj(item))
        unchanged = [{key: value.copy() for key, value in params.items()} for _ in grads]
        yield {
            "kind": "optimizer",
            "kwargs": encode(kwargs),
            "params": encode(params),
            "grads": [encode(step) for step in grads],
            "expected": [encode(step) for step in expected],
            "mistakes": _mistakes(item, run, expected, unchanged),
        }


def _optimize(
    implementation: Any,
    *,
    kwargs: dict[str, float],
    params: dict[str, np.ndarray],
    grads: list[dict[str, np.ndarray]],
) -> list[dict[str, np.ndarray]]:
    """The parameters after each ``update`` of ``implementation(**kwargs)`` (on copies)."""
    optimizer = implementation(**kwargs)
    current = {key: value.copy() for key, value in params.items()}
    after = []
    for step in grads:
        optimizer.update(current, {key: value.copy() for key, value in step.items()})
        after.append({key: value.copy() for key, value in current.items()})
    return after


# --- known mistakes -----------------------------------------------------------------------------


def mistake_outcome(
    output: Any, expected: Any, unchanged: list[dict[str, np.ndarray]] | None
) -> dict[str, Any]:
    """What one known mistake's ``output`` on a case tells the public checks.

    ``{"same": True}``: it gives the reference's answer here, so a student who passes the
    case may still have made it. ``{"output": ...}``: its answer, stored because it is
    *decisive*: it differs beyond the checks' tolerance from the reference, from no update at
    all (``unchanged``, for optimizers) and from parameters frozen after the first update;
    a student whose answer is this one made that mistake, and no other usual error gives it.
    ``{"undecided": True}``: it differs from the reference but one of those other explanations
    gives the same answer (or it could not run): such a case never names it.
    """
    if matches(expected, output):
        return {"same": True}
    if unchanged is not None:
        frozen = [output[0]] * len(output)
        if matches(unchanged, output) or matches(frozen, output):
            return {"undecided": True}
    return {"output": encode(output)}


def _mistakes(
    item: str,
    run: Callable[[Any], Any],
    expected: Any,
    unchanged: list[dict[str, np.ndarray]] | None = None,
) -> dict[str, dict[str, Any]]:
    outcomes = {}
    for variant in MISTAKES.get(item, []):
        try:
            with np.errstate(all="ignore"):  # some mistakes divide by zero: that is the point
                output = run(variant.impl)
        except Exception:  # a mistake that cannot run this case cannot explain it
            outcomes[variant.id] = {"undecided": True}
            continue
        outcomes[variant.id] = mistake_outcome(output, expected, unchanged)
    return outcomes


# --- functions ----------------------------------------------------------------------------------

Call = tuple[tuple[Any, ...], dict[str, Any]]


def _schedule_calls(item: str, rng: np.random.Generator) -> list[Call]:
    epochs = np.arange(0, 8)
    calls: dict[str, Callable[[], list[Call]]] = {
        "ewma": lambda: [
            ((10 + rng.normal(size=8),), {}),
            ((10 + rng.normal(size=8),), {"beta": 0.5, "bias_correction": True}),
            ((rng.normal(size=12),), {"beta": 0.98, "bias_correction": True}),
        ],
        "lr_inverse_time": lambda: [
            ((0.2, 3), {}),
            ((0.1, epochs), {"decay_rate": 0.5}),
        ],
        "lr_exponential": lambda: [
            ((0.2, 3), {}),
            ((0.1, epochs), {"base": 0.8}),
        ],
        "lr_inverse_sqrt": lambda: [
            ((0.2, 4), {}),
            ((0.1, epochs + 1), {"k": 2.0}),
        ],
        "lr_staircase": lambda: [
            ((0.2, np.array([0, 999, 1000, 2500, 5000])), {}),
            ((0.1, np.arange(0, 40, 7)), {"decay_rate": 0.5, "time_interval": 10}),
        ],
        "random_mini_batches": lambda: [
            (
                (rng.normal(size=(3, 10)), rng.normal(size=(1, 10))),
                {"batch_size": 4, "seed": public_seed(item, 0)},
            ),
            (
                (rng.normal(size=(2, 8)), rng.normal(size=(1, 8))),
                {"batch_size": 4, "seed": public_seed(item, 1)},
            ),
        ],
    }
    return calls[item]()


def _init_calls(item: str, rng: np.random.Generator) -> list[Call]:
    grid = np.array([[-3.0, -1.0, -0.25, 0.0], [0.5, 1.0, 2.0, 4.0]])
    if item in ("xavier_init", "he_init"):
        return [((5, 3, Rng(public_seed(item, 0))), {}), ((4, 6, Rng(public_seed(item, 1))), {})]
    options = {"leaky_relu": {"alpha": 0.1}, "elu": {"alpha": 0.5}}.get(item)
    calls: list[Call] = [((grid,), {}), ((rng.normal(scale=3.0, size=(3, 5)),), {})]
    if options:
        calls.append(((rng.normal(scale=3.0, size=(4,)),), options))
    return calls


_RAISES: dict[str, list[tuple[Call, str]]] = {
    "lr_inverse_sqrt": [(((0.1, 0), {}), "ValueError")],
}


def _call_cases(reference: Reference, item: str) -> Iterator[dict[str, Any]]:
    rng = np.random.default_rng(public_seed(item))
    make = _schedule_calls if reference.assignment == "schedules" else _init_calls
    function = reference.obj(item)
    for args, kwargs in make(item, rng):
        run = functools.partial(_call, args=args, kwargs=kwargs)
        value = run(function)
        yield {
            "kind": "call",
            **_arguments(args, kwargs),
            "expected": encode(value),
            "mistakes": _mistakes(item, run, value),
        }
    for (args, kwargs), error in _RAISES.get(item, []):
        yield {"kind": "raises", **_arguments(args, kwargs), "error": error}


def _call(implementation: Any, *, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    return implementation(*map(_materialise, args), **kwargs)


def _arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
    return {"args": [encode(a) for a in args], "kwargs": encode(kwargs)}


def public_cases(reference: Reference) -> dict[str, list[Any]]:
    """Every item's public cases, encoded as plain data, in course order."""
    make = _optimizer_cases if reference.assignment == "optimizers" else _call_cases
    return {item: list(make(reference, item)) for item in reference.items}
