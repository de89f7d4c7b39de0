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

Accepted formulations (ε inside the root, Adam's folded bias correction) and the named known
mistakes come from ``solutions/variants.py``: ``check.same`` tries them when the student's numbers
differ from the reference.
"""

import pytest
from optimizer_runs import InPlace, standard_runs


@pytest.mark.parametrize("run", standard_runs("SGD", lr=0.05), ids=str)
def test_sgd_updates(check, run):
    check.same(run, run.case)


def test_sgd_updates_in_place(check):
    check.same(InPlace("SGD"), InPlace("SGD").case)


@pytest.mark.parametrize("run", standard_runs("Momentum", lr=0.02, momentum=0.8), ids=str)
def test_momentum_updates(check, run):
    check.same(run, run.case)


def test_momentum_updates_in_place(check):
    check.same(InPlace("Momentum"), InPlace("Momentum").case)


@pytest.mark.parametrize("run", standard_runs("AdaGrad", lr=0.1, eps=1e-6), ids=str)
def test_adagrad_updates(check, run):
    check.same(run, run.case)


def test_adagrad_updates_in_place(check):
    check.same(InPlace("AdaGrad"), InPlace("AdaGrad").case)


@pytest.mark.parametrize("run", standard_runs("RMSProp", lr=0.02, beta=0.8, eps=1e-6), ids=str)
def test_rmsprop_updates(check, run):
    check.same(run, run.case)


def test_rmsprop_updates_in_place(check):
    check.same(InPlace("RMSProp"), InPlace("RMSProp").case)


ADAM = {"lr": 0.05, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6}


@pytest.mark.parametrize("run", standard_runs("Adam", **ADAM), ids=str)
def test_adam_updates(check, run):
    check.same(run, run.case)


def test_adam_updates_in_place(check):
    check.same(InPlace("Adam"), InPlace("Adam").case)
