"""The reference optimizers and schedules agree with PyTorch, an independent implementation.

torch is an optional extra: without it these tests skip (``make test`` installs it, so CI runs
them). Float64 throughout, so that agreement to 1e-12 is meaningful.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import solutions

torch = pytest.importorskip("torch")

STEPS = 100
SHAPES = {"W1": (4, 3), "b1": (3,), "W2": (2, 3, 2), "s": ()}


def _run_both(ours: object, make_torch_opt, rng: np.random.Generator) -> None:
    """Drive our optimizer and torch's with the same gradient sequence; compare every step."""
    params = {k: rng.normal(size=s) for k, s in SHAPES.items()}
    tparams = {
        k: torch.tensor(v.copy(), dtype=torch.float64, requires_grad=True)
        for k, v in params.items()
    }
    topt = make_torch_opt(list(tparams.values()))
    for step in range(1, STEPS + 1):
        grads = {
            k: rng.normal(scale=10.0 ** rng.integers(-3, 2), size=s) for k, s in SHAPES.items()
        }
        ours.update(params, grads)  # type: ignore[attr-defined]
        for k, p in tparams.items():
            p.grad = torch.tensor(grads[k], dtype=torch.float64)
        topt.step()
        for k, p in tparams.items():
            expected = p.detach().numpy()
            np.testing.assert_allclose(
                params[k],
                expected,
                rtol=1e-12,
                atol=1e-12,
                err_msg=f"{type(ours).__name__}: key {k!r} differs from torch at step {step}",
            )


def test_sgd_matches_torch(rng):
    _run_both(solutions.SGD(lr=0.05), lambda p: torch.optim.SGD(p, lr=0.05), rng)


def test_momentum_matches_torch_through_the_exact_mapping(rng):
    # Ours: v = μv - lr g; w += v.  torch: b = μb + g; w -= lr b.  With v = -lr b these are one
    # recurrence (lr constant), so the weights agree exactly, step by step.
    _run_both(
        solutions.Momentum(lr=0.03, momentum=0.85),
        lambda p: torch.optim.SGD(p, lr=0.03, momentum=0.85),
        rng,
    )


def test_adagrad_matches_torch(rng):
    _run_both(
        solutions.AdaGrad(lr=0.1, eps=1e-7),
        lambda p: torch.optim.Adagrad(p, lr=0.1, eps=1e-7, initial_accumulator_value=0.0),
        rng,
    )


def test_rmsprop_matches_torch(rng):
    _run_both(
        solutions.RMSProp(lr=0.01, beta=0.8, eps=1e-7),
        lambda p: torch.optim.RMSprop(p, lr=0.01, alpha=0.8, eps=1e-7),
        rng,
    )


def test_adam_matches_torch(rng):
    _run_both(
        solutions.Adam(lr=0.02, beta1=0.8, beta2=0.99, eps=1e-8),
        lambda p: torch.optim.Adam(p, lr=0.02, betas=(0.8, 0.99), eps=1e-8),
        rng,
    )


def test_defaults_match_the_spec():
    """Hard-coded on purpose: these numbers are the contract in COURSE_SPEC.md."""
    assert vars(solutions.SGD()) == {"lr": 0.01}
    m = solutions.Momentum()
    assert (m.lr, m.momentum) == (0.01, 0.9)
    assert (solutions.AdaGrad().lr, solutions.AdaGrad().eps) == (0.01, 1e-7)
    r = solutions.RMSProp()
    assert (r.lr, r.beta, r.eps) == (0.01, 0.9, 1e-7)
    a = solutions.Adam()
    assert (a.lr, a.beta1, a.beta2, a.eps, a.t) == (0.001, 0.9, 0.999, 1e-8, 0)


def _torch_lrs(scheduler_factory, lr0: float, epochs: int) -> list[float]:
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr0)
    sched = scheduler_factory(opt)
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return lrs


EPOCHS = 60


def test_inverse_time_matches_lambda_lr():
    got = solutions.lr_inverse_time(0.2, np.arange(EPOCHS), decay_rate=0.3)
    want = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + 0.3 * e)), 0.2, EPOCHS
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_exponential_matches_exponential_lr():
    got = solutions.lr_exponential(0.2, np.arange(EPOCHS), base=0.93)
    want = _torch_lrs(lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=0.93), 0.2, EPOCHS)
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_staircase_matches_lambda_lr_of_floor():
    got = solutions.lr_staircase(0.2, np.arange(EPOCHS), decay_rate=0.5, time_interval=7)
    want = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.LambdaLR(o, lambda e: 1 / (1 + 0.5 * (e // 7))),
        0.2,
        EPOCHS,
    )
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_staircase_with_decay_rate_one_is_piecewise_constant_like_step_lr():
    # StepLR multiplies by γ every interval; staircase divides by 1 + k. Both hold the rate
    # constant inside an interval and change it exactly at its boundaries.
    ours = solutions.lr_staircase(1.0, np.arange(EPOCHS), time_interval=10)
    steplr = _torch_lrs(
        lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=10, gamma=0.5), 1.0, EPOCHS
    )
    changes_ours = np.flatnonzero(np.diff(ours)) + 1
    changes_torch = np.flatnonzero(np.diff(steplr)) + 1
    np.testing.assert_array_equal(changes_ours, changes_torch)


def test_schedules_match_their_closed_forms():
    for epoch in (0, 1, 3, 17, 999, 1000, 2500):
        assert solutions.lr_inverse_time(0.5, epoch, 2.0) == pytest.approx(
            0.5 / (1 + 2.0 * epoch), rel=1e-15
        )
        assert solutions.lr_exponential(0.5, epoch, 0.9) == pytest.approx(
            0.9**epoch * 0.5, rel=1e-12
        )
        assert solutions.lr_staircase(0.5, epoch, 2.0, 1000) == pytest.approx(
            0.5 / (1 + 2.0 * (epoch // 1000)), rel=1e-15
        )
        if epoch >= 1:
            assert solutions.lr_inverse_sqrt(0.5, epoch, 3.0) == pytest.approx(
                3.0 / math.sqrt(epoch) * 0.5, rel=1e-15
            )
    with pytest.raises(ValueError, match="epoch >= 1"):
        solutions.lr_inverse_sqrt(0.5, 0)


def test_ewma_matches_torch_ema_recurrence():
    # torch's swa_utils EMA is v ← decay·v + (1-decay)·x started from the first value, so compare
    # with an explicit torch-tensor recurrence started from zero, as the spec defines v_0 = 0.
    theta = np.random.default_rng(1).normal(size=50)
    v = torch.zeros((), dtype=torch.float64)
    want = []
    for t, x in enumerate(theta, start=1):
        v = 0.9 * v + 0.1 * float(x)
        want.append(float(v / (1 - 0.9**t)))
    np.testing.assert_allclose(solutions.ewma(theta, 0.9, bias_correction=True), want, rtol=1e-12)
