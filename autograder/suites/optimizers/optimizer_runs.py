"""Scenarios of the optimizers suite: an optimizer is built and ``update`` is called several times.

A *run* is a scenario in the sense of :mod:`autograder.engine.testing`: called with an
implementation
namespace (the reference, the student's sandboxed code, or a catalogued variant) it builds the
optimizer there, feeds it seeded gradients and returns the parameters after every call. The
seeds (7000+) are the suite's own: the public checks in the notebooks use 1000-1999.
"""

from __future__ import annotations

import inspect
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import solutions
from autograder.engine.testing import Case

#: A matrix, a vector, a 0-d array and a 3-d array, so that no shape is assumed.
KEYS = {"W1": (3, 4), "b1": (4,), "gamma": (), "W2": (2, 3, 2)}
#: A second network with other names, for a second optimizer instance.
OTHER_KEYS = {"conv.weight": (2, 2, 3), "bias": (5,)}


def _arrays(rng: np.random.Generator, keys: dict, scale: float = 1.0, positive: bool = False):
    """Arrays of magnitude ``scale`` times 0.5 to 2, never near zero: a near-zero element would
    give the tolerance (relative) or ε (next to a tiny g) a say in the verdict, which would then
    depend on the draw rather than on the student's code."""
    # One draw for all keys, then cut: a draw per key cost more than the update it feeds (a
    # failing test re-runs its scenario for every catalogued mistake).
    sizes = [math.prod(shape) for shape in keys.values()]
    values = scale * rng.uniform(0.5, 2.0, size=sum(sizes))
    if not positive:
        values *= np.where(rng.random(size=values.size) < 0.5, -1.0, 1.0)
    arrays, start = {}, 0
    for (key, shape), size in zip(keys.items(), sizes, strict=True):
        # copy: each array owns its memory; a 0-d "gamma" stays an array.
        arrays[key] = values[start : start + size].reshape(shape).copy()
        start += size
    return arrays


def _signature(name: str, kwargs: dict, positional: bool = False) -> str:
    shown = (repr(v) if positional else f"{k}={v!r}" for k, v in kwargs.items())
    return f"{name}({', '.join(shown)})"


@dataclass(frozen=True)
class Run:
    """``optimizer(**kwargs)`` updating parameters with ``keys`` for ``steps`` calls."""

    optimizer: str
    kwargs: dict[str, Any]
    label: tuple[str, str]  # (ko, en): what this run is about, for the student
    steps: int = 5
    keys: dict[str, tuple] = field(default_factory=lambda: KEYS)
    grad_scale: float = 1.0
    positive: bool = False  # every gradient > 0: a steady slope (g and g*g differ in sign)
    seed: int = 7000
    positional: bool = False  # the arguments passed in the signature's order, without names
    # Parameters this many times the gradients' size. 10 where the defaults run on gradients of
    # about 1: the step is then far above the tolerance, and another ε far below it.
    param_scale: float = 1.0

    def __call__(self, impl: Any) -> list[dict[str, np.ndarray]]:
        rng = np.random.default_rng(self.seed)
        cls = getattr(impl, self.optimizer)
        opt = cls(*self.kwargs.values()) if self.positional else cls(**self.kwargs)
        params = _arrays(rng, self.keys, self.param_scale * self.grad_scale)
        after_each_step = []
        for _ in range(self.steps):
            opt.update(params, _arrays(rng, self.keys, self.grad_scale, self.positive))
            after_each_step.append({k: np.copy(v) for k, v in params.items()})
        return after_each_step

    def __str__(self) -> str:
        return self.label[1].split(":")[0].replace(" ", "-")

    @property
    def case(self) -> Case:
        call = _signature(self.optimizer, self.kwargs, self.positional)
        return Case(
            ko=f"{call}: {self.label[0]}, update {self.steps}번",
            en=f"{call}: {self.label[1]}, {self.steps} update calls",
            inputs={
                "keys and shapes": dict(self.keys),
                "gradient scale": self.grad_scale,
            },
        )


@dataclass(frozen=True)
class TwoInstances:
    """Two optimizers of the same class, each on its own network, updated in turn."""

    optimizer: str
    kwargs: dict[str, Any]
    steps: int = 4
    seed: int = 7050

    def __call__(self, impl: Any) -> list[dict[str, np.ndarray]]:
        rng = np.random.default_rng(self.seed)
        first, second = (getattr(impl, self.optimizer)(**self.kwargs) for _ in range(2))
        net1, net2 = _arrays(rng, KEYS), _arrays(rng, OTHER_KEYS)
        history = []
        for _ in range(self.steps):
            first.update(net1, _arrays(rng, KEYS))
            second.update(net2, _arrays(rng, OTHER_KEYS))
            # Copies: an in-place update would otherwise rewrite the history it is compared on.
            history.append({k: np.copy(v) for k, v in (net1 | net2).items()})
        return history

    def __str__(self) -> str:
        return "two-instances"

    @property
    def case(self) -> Case:
        call = _signature(self.optimizer, self.kwargs)
        return Case(
            ko=f"{call} 객체 두 개가 서로 다른 매개변수(키가 다름)를 번갈아 update: "
            "상태를 공유하면 안 됨",
            en=f"two {call} objects updating different parameters (other keys) in turn: "
            "they must not share state",
            inputs={"keys of the first": list(KEYS), "keys of the second": list(OTHER_KEYS)},
        )


def standard_runs(optimizer: str, **kwargs: Any) -> list[Any]:
    """The runs every optimizer is graded on; ``kwargs`` are its non-default arguments, in the
    signature's order (one run passes them positionally).

    The runs with default arguments decide every default the course pins: with gradients of
    about 1 (the first update, the long run), ε is negligible (it changes no verdict), and with
    tiny gradients (about 1e-6, next to the default ε of 1e-7 or 1e-8) another ε changes the
    result by orders of magnitude more than the tolerance. Each concern rides on a run that
    exists anyway (passing by position on the state run, the default ε on the default run):
    every run is a trace every student's sandbox replays, so a new concern is not a new run.
    """
    return [
        Run(
            optimizer,
            {},
            ("첫 update 한 번, 기본 인자", "first update alone: default arguments"),
            steps=1,
            seed=7001,
            param_scale=10.0,
        ),
        Run(
            optimizer,
            {},
            (
                "기본 인자로 아주 작은 gradient (~1e-6)",
                "tiny gradients with default arguments: about 1e-6",
            ),
            steps=3,
            grad_scale=1e-6,
            seed=7008,
        ),
        Run(
            optimizer,
            kwargs,
            (
                "상태가 update 사이에 이어져야 함, 인자를 이름 없이 순서대로 넘김",
                "state carried across calls, arguments passed by position",
            ),
            steps=8,
            seed=7003,
            positional=True,
        ),
        Run(
            optimizer,
            kwargs,
            ("아주 작은 gradient (~1e-6)", "tiny gradients: about 1e-6"),
            grad_scale=1e-6,
            seed=7004,
        ),
        Run(
            optimizer,
            kwargs,
            ("아주 큰 gradient (~1e3)", "large gradients: about 1e3"),
            grad_scale=1e3,
            seed=7005,
        ),
        Run(
            optimizer,
            # ε left at its default: a constructor without an eps argument answers this run,
            # so that its other arguments are still checked (and the diagnosis sees them).
            {k: v for k, v in kwargs.items() if k != "eps"},
            ("모든 gradient가 양수 (일정한 경사)", "steady slope: every gradient positive"),
            positive=True,
            seed=7006,
            param_scale=10.0,
        ),
        _long_run(optimizer),
        TwoInstances(optimizer, kwargs),
    ]


def _long_run(optimizer: str) -> Run:
    """Forty steps on one key with the pinned defaults (ε aside for Adam, see below).

    Adam's default β₂ = 0.999 decides the result beyond doubt only where a step is large next
    to the parameters (another β₂ weighs the squared gradients of forty steps differently:
    about 1e-4 of the step), so its parameters start at a tenth of the gradients' size. A
    hard-coded ε of 1e-7 would then sit near the tolerance, passing one seed and failing
    another, so this run passes the course's ε by name: 40 calls instead of the 300 that make
    β₂ count with parameters of the gradients' size, in every student's sandbox.
    """
    if optimizer != "Adam":
        return Run(
            optimizer,
            {},
            ("긴 학습, 키 하나", "long run: one key"),
            steps=40,
            keys={"w": (6,)},
            seed=7007,
            param_scale=10.0,
        )
    eps = inspect.signature(solutions.Adam).parameters["eps"].default
    return Run(
        optimizer,
        {"eps": eps},
        ("긴 학습, 키 하나, 기본 β₁·β₂", "long run: one key, default β1 and β2"),
        steps=40,
        keys={"w": (6,)},
        seed=7007,
        param_scale=0.1,
    )


@dataclass(frozen=True)
class InPlace:
    """One ``update``: its return value and the caller's own dict afterwards."""

    optimizer: str
    seed: int = 7060

    def __call__(self, impl: Any) -> dict[str, Any]:
        rng = np.random.default_rng(self.seed)
        params = _arrays(rng, KEYS, 10.0)  # as the runs with default arguments
        returned = getattr(impl, self.optimizer)().update(params, _arrays(rng, KEYS))
        return {"update returned": returned, "caller's params after update": params}

    def __str__(self) -> str:
        return "in-place"

    @property
    def case(self) -> Case:
        return Case(
            ko=f"{self.optimizer}().update(params, grads)는 호출한 쪽의 params를 바꾸고 "
            "None을 돌려줘야 함 (params[k] -= ... 또는 params[k] = params[k] - ... 모두 됨)",
            en=f"{self.optimizer}().update(params, grads) must change the caller's params and "
            "return None (params[k] -= ... and params[k] = params[k] - ... both work)",
            inputs={"keys and shapes": dict(KEYS)},
        )
