"""Scenarios of the optimizers suite: an optimizer is built and ``update`` is called several times.

A *run* is a scenario in the sense of :mod:`autograder.testing`: called with an implementation
namespace (the reference, the student's sandboxed code, or a catalogued variant) it builds the
optimizer there, feeds it seeded gradients and returns the parameters after every call. The
seeds (7000+) are the suite's own: the public checks in the notebooks use 1000-1999.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from autograder.testing import Case

#: A matrix, a vector, a 0-d array and a 3-d array, so that no shape is assumed.
KEYS = {"W1": (3, 4), "b1": (4,), "gamma": (), "W2": (2, 3, 2)}
#: A second network with other names, for a second optimizer instance.
OTHER_KEYS = {"conv.weight": (2, 2, 3), "bias": (5,)}


def _arrays(rng: np.random.Generator, keys: dict, scale: float = 1.0, positive: bool = False):
    """Arrays of magnitude ``scale`` times 0.5 to 2, never near zero: a near-zero element would
    give the tolerance (relative) or ε (next to a tiny g) a say in the verdict, which would then
    depend on the draw rather than on the student's code."""
    arrays = {}
    for key, shape in keys.items():
        magnitude = rng.uniform(0.5, 2.0, size=shape)
        sign = 1.0 if positive else rng.choice([-1.0, 1.0], size=shape)
        # asarray: arithmetic on a 0-d array gives a numpy scalar, and "gamma" must stay an array.
        arrays[key] = np.asarray(scale * sign * magnitude)
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

    Two runs with default arguments decide every default the course pins: with gradients of
    about 1, ε is negligible (it changes no verdict), and with tiny gradients (about 1e-6, next
    to the default ε of 1e-7 or 1e-8) another ε changes the result by orders of magnitude more
    than the tolerance.
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
            ("기본 인자", "default arguments"),
            steps=3,
            seed=7002,
            param_scale=10.0,
        ),
        Run(
            optimizer,
            kwargs,
            ("상태가 update 사이에 이어져야 함", "state carried across calls"),
            steps=8,
            seed=7003,
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
            {},
            (
                "기본 인자로 아주 작은 gradient (~1e-6)",
                "tiny gradients with default arguments: about 1e-6",
            ),
            grad_scale=1e-6,
            seed=7008,
        ),
        Run(
            optimizer,
            kwargs,
            ("인자를 이름 없이 순서대로 넘김", "arguments passed by position"),
            steps=3,
            seed=7009,
            positional=True,
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
        Run(
            optimizer,
            {},
            ("긴 학습, 키 하나", "long run: one key"),
            # Adam's default β₂ = 0.999 matters decisively only over a long run (another β₂
            # weighs 300 squared gradients differently); 40 steps do for the others, and cost
            # every student's sandbox less.
            steps=300 if optimizer == "Adam" else 40,
            keys={"w": (6,)},
            seed=7007,
            param_scale=1.0 if optimizer == "Adam" else 10.0,
        ),
        TwoInstances(optimizer, kwargs),
    ]


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

    @property
    def case(self) -> Case:
        return Case(
            ko=f"{self.optimizer}().update(params, grads)는 호출한 쪽의 params를 바꾸고 "
            "None을 돌려줘야 함 (params[k] -= ... 또는 params[k] = params[k] - ... 모두 됨)",
            en=f"{self.optimizer}().update(params, grads) must change the caller's params and "
            "return None (params[k] -= ... and params[k] = params[k] - ... both work)",
            inputs={"keys and shapes": dict(KEYS)},
        )
