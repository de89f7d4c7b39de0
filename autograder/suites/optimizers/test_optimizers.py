"""Hidden suite of assignment 1 — optimizers (SGD, Momentum, AdaGrad, RMSProp, Adam).

Every optimizer is built in the student's sandbox and compared with the reference
(``solutions/optimizers.py``) on the parameters after *every* ``update`` call, on inputs the
student never sees (seeds 7000+). The runs (see ``optimizer_runs.standard_runs``) cover:

* default and non-default constructor arguments;
* several calls, so that state (velocity, accumulators, Adam's ``t``) must carry over;
* several keys of several shapes at once (matrix, vector, 0-d, 3-d), so that Adam's ``t``
  must count calls, not keys;
* tiny (~1e-6) and large (~1e3) gradients, where ε and the bias correction matter most;
* a steady slope (every gradient positive), where ``g`` instead of ``g*g`` gives finite but
  wrong numbers (with mixed signs it gives NaN, which cannot be diagnosed);
* two instances on different keys, so that no state may be shared between objects.

A second test per optimizer checks the contract of ``update``: the caller's ``params`` hold the
new values and it returns ``None`` (updating in place or rebinding ``params[k]`` both pass).

Both tests are parametrised over the optimizers of the reference (``solutions.ASSIGNMENTS``),
each case marked with its item, so that a new optimizer is graded as soon as the reference and
``points.toml`` list it.

Accepted formulations (ε inside the root, Adam's folded bias correction) and the named known
mistakes come from ``solutions/variants.py``: ``check.same`` tries them when the student's numbers
differ from the reference.
"""

import inspect

import pytest
from optimizer_runs import InPlace, standard_runs

import solutions

#: The suite's own non-default arguments of each optimizer, in its signature's order (the public
#: checks use others). An optimizer not named here gets arguments derived from its defaults
#: (:func:`other_arguments`); naming it here chooses them by hand.
ARGUMENTS = {
    "SGD": {"lr": 0.05},
    "Momentum": {"lr": 0.02, "momentum": 0.8},
    "AdaGrad": {"lr": 0.1, "eps": 1e-6},
    "RMSProp": {"lr": 0.02, "beta": 0.8, "eps": 1e-6},
    "Adam": {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6},
}
OPTIMIZERS = solutions.ASSIGNMENTS["optimizers"]


def other_arguments(optimizer: str) -> dict[str, float]:
    """Every default of ``optimizer``'s constructor changed decisively: the learning rate
    doubled, a decay rate β twice as far from 1 (0.9 → 0.8), ε ten times larger."""
    changed = {}
    for name, parameter in inspect.signature(getattr(solutions, optimizer)).parameters.items():
        default = parameter.default
        if name == "eps":
            changed[name] = default * 10
        elif name == "lr":
            changed[name] = default * 2
        elif isinstance(default, float) and 0 < default < 1:
            changed[name] = round(1 - 2 * (1 - default), 12)
    return changed


def per_optimizer(cases) -> list:
    """``cases(optimizer)`` for every optimizer, each marked with its item."""
    return [
        pytest.param(case, marks=pytest.mark.item(name), id=f"{name}-{case}")
        for name in OPTIMIZERS
        for case in cases(name)
    ]


@pytest.mark.parametrize(
    "run",
    per_optimizer(lambda name: standard_runs(name, **ARGUMENTS.get(name) or other_arguments(name))),
)
def test_updates(check, run):
    check.same(run, run.case)


@pytest.mark.parametrize("in_place", per_optimizer(lambda name: [InPlace(name)]))
def test_updates_in_place(check, in_place):
    check.same(in_place, in_place.case)
