"""Hidden suite of assignment 1 (optimizers): a first, small version."""

import numpy as np

from autograder.testing import Case

SHAPES = {"W1": (3, 4), "b1": (4,)}


def steps(name, kwargs, n=5, seed=7):
    def scenario(impl):
        rng = np.random.default_rng(seed)
        opt = getattr(impl, name)(**kwargs)
        params = {k: rng.normal(size=s) for k, s in SHAPES.items()}
        path = []
        for _ in range(n):
            opt.update(params, {k: rng.normal(size=s) for k, s in SHAPES.items()})
            path.append({k: v.copy() for k, v in params.items()})
        return path

    return scenario


def test_sgd_several_steps(check):
    check.same(steps("SGD", {"lr": 0.1}), Case(ko="SGD 5번 update", en="SGD, five updates"))


def test_momentum_several_steps(check):
    check.same(steps("Momentum", {"lr": 0.1}), Case(ko="Momentum 5번", en="Momentum, five updates"))


def test_adagrad_several_steps(check):
    check.same(steps("AdaGrad", {"lr": 0.1}), Case(ko="AdaGrad 5번", en="AdaGrad, five updates"))


def test_rmsprop_several_steps(check):
    check.same(steps("RMSProp", {"lr": 0.1}), Case(ko="RMSProp 5번", en="RMSProp, five updates"))


def test_adam_several_steps(check):
    check.same(steps("Adam", {"lr": 0.1}), Case(ko="Adam 5번", en="Adam, five updates"))
