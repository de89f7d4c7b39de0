"""Hidden suite of assignment 3 — activations, their derivatives, Xavier and He initialization.

Activations are called in the student's sandbox and compared element-wise with the reference
(``solutions/init.py``) on a Python number, a 0-d array, vectors, matrices and a 3-d array,
including large magnitudes (±50, ±800: a sigmoid must not return NaN there) and, for the
exact zeros. ``relu_grad`` is tested at exactly 0 too: the derivative is not defined there, and
the notebook states the course's convention ("we take 0 at x = 0"), which a student can follow.

Initializers draw from a seeded ``numpy.random.Generator`` (seeds 7400+) and are checked three
ways: the exact numbers for the same seed (drawing the transposed matrix is accepted, see
``solutions/variants.py``); that the draw continues the given generator's stream (two calls
in a row); and, as a property that any correct method passes, the shape and the sample mean and
variance of a 400 x 600 draw. With N = 240 000 samples the standard error of the mean is
σ/sqrt(N) ≈ 0.002 σ (tolerance: 0.01 σ, five standard errors) and the relative standard error of
the sample variance is sqrt(2/N) ≈ 0.3 % (tolerance: 3 %, ten standard errors), while the
known wrong variances (1/n_in, 2/n_in, the variance used as the standard deviation) are 25 % or
more away.

The tests marked ``needs_generator_transport`` pass a Generator into the sandbox: the proxy sends
its state and the caller's generator is advanced as the student's code advanced it.
"""

from typing import Any

import numpy as np
import pytest

from autograder.engine.testing import Case
from optigrade.i18n import Text

# -- activations --------------------------------------------------------------------------------

_rng = np.random.default_rng(7300)
INPUTS = [
    pytest.param(2.5, id="python-float"),
    pytest.param(np.array(-1.25), id="0-d"),
    pytest.param(np.array([-3.0, -0.5, 0.25, 4.0]), id="vector"),
    pytest.param(_rng.normal(0, 3, size=(4, 5)), id="matrix"),
    pytest.param(_rng.normal(0, 2, size=(2, 3, 4)), id="3-d"),
    pytest.param(np.array([-800.0, -50.0, -1e-9, 1e-9, 50.0, 800.0]), id="large-and-tiny"),
]
WITH_ZEROS = [*INPUTS, pytest.param(np.array([[0.0, -0.0], [0.0, 1.0]]), id="zeros")]


def activation(function, x, **kwargs):
    """The scenario ``function(x, **kwargs)`` and the case a student reads when it fails."""
    shown = f"{x!r}" if np.ndim(x) == 0 else f"array(shape={np.shape(x)})"
    call = f"{function}({shown}{''.join(f', {k}={v!r}' for k, v in kwargs.items())})"

    def scenario(impl):
        return getattr(impl, function)(x, **kwargs)

    return scenario, Case(
        ko=f"{call}의 결과", en=f"the result of {call}", inputs={"x": x, **kwargs}
    )


#: Each activation's inputs and its other arguments (None: the default).
ACTIVATIONS = {
    "relu": (WITH_ZEROS, [None]),
    "relu_grad": (WITH_ZEROS, [None]),
    "leaky_relu": (WITH_ZEROS, [None, 0.2]),
    "elu": (WITH_ZEROS, [None, 0.5]),
    "sigmoid": (WITH_ZEROS, [None]),
    "sigmoid_grad": (WITH_ZEROS, [None]),
}


def activation_cases() -> list:
    """Every (activation, x, alpha) case, marked with its item."""
    return [
        pytest.param(
            function,
            x.values[0],
            alpha,
            marks=pytest.mark.item(function),
            id=f"{function}-{x.id}" + ("" if alpha is None else f"-{alpha}"),
        )
        for function, (inputs, alphas) in ACTIVATIONS.items()
        for alpha in alphas
        for x in inputs
    ]


@pytest.mark.parametrize(("function", "x", "alpha"), activation_cases())
def test_activation(check, function, x, alpha):
    check.same(*activation(function, x, **({} if alpha is None else {"alpha": alpha})))


# -- initialization -----------------------------------------------------------------------------

VARIANCE = {"xavier_init": lambda n_in, n_out: 2 / (n_in + n_out)}
VARIANCE["he_init"] = lambda n_in, n_out: 4 / (n_in + n_out)
SMALL_SHAPES = [pytest.param(3, 5, id="3x5"), pytest.param(64, 32, id="64x32")]
SMALL_SHAPES += [pytest.param(1, 1, id="1x1")]


def draws(function, shapes, seed):
    """Scenario: ``function(n_in, n_out, rng)`` for each shape, all from one generator."""

    def scenario(impl):
        rng = np.random.default_rng(seed)
        return [getattr(impl, function)(n_in, n_out, rng) for n_in, n_out in shapes]

    return scenario


def draw_case(function, shapes, seed, ko, en):
    calls = ", ".join(f"{function}({n_in}, {n_out}, rng)" for n_in, n_out in shapes)
    return Case(
        ko=f"rng = np.random.default_rng({seed}); {calls}: {ko}",
        en=f"rng = np.random.default_rng({seed}); {calls}: {en}",
    )


def check_same_draw(check, function, n_in, n_out):
    seed = 7400 + n_in
    case = draw_case(function, [(n_in, n_out)], seed, "같은 seed면 정답과 같은 값", "same numbers")
    check.same(draws(function, [(n_in, n_out)], seed), case)


def check_continues_stream(check, function):
    shapes = [(4, 3), (4, 3)]
    case = draw_case(
        function,
        shapes,
        7450,
        "두 번째 호출은 주어진 rng에서 이어서 뽑아야 함 (rng를 새로 만들지 말 것)",
        "the second call continues the given rng (do not create a generator of your own)",
    )
    check.same(draws(function, shapes, 7450), case)


def check_statistics(check, function):
    n_in, n_out, seed = 400, 600, 7460
    case = draw_case(function, [(n_in, n_out)], seed, "모양, 평균, 분산", "shape, mean, variance")
    (weights,) = check.run(draws(function, [(n_in, n_out)], seed), case)
    weights = np.asarray(weights, dtype=float)
    check.holds(
        weights.shape == (n_in, n_out),
        case,
        expected=Text(ko=f"모양 ({n_in}, {n_out})", en=f"shape ({n_in}, {n_out})"),
        received=f"shape {weights.shape}",
    )
    variance = VARIANCE[function](n_in, n_out)
    check.holds(
        abs(weights.mean()) < 0.01 * np.sqrt(variance),
        case,
        expected=Text(ko="평균이 0에 가까움", en="a mean close to 0"),
        received=f"mean {weights.mean():.4g}",
    )
    check.holds(
        abs(weights.var() / variance - 1) < 0.03,
        case,
        expected=Text(
            ko=f"분산 {variance:.4g} (±3 %)",
            en=f"variance {variance:.4g} (±3 %)",
        ),
        received=f"variance {weights.var():.4g}",
    )


def per_initializer(*cases: Any) -> list:
    """``cases`` (parameter tuples, or nothing) for each initializer, marked with its item."""
    return [
        pytest.param(function, *values, marks=pytest.mark.item(function), id="-".join(ids))
        for function in VARIANCE
        for values, ids in (
            [((*case.values,), (function, case.id)) for case in cases] or [((), (function,))]
        )
    ]


@pytest.mark.needs_generator_transport
@pytest.mark.parametrize(("function", "n_in", "n_out"), per_initializer(*SMALL_SHAPES))
def test_init_same_draw(check, function, n_in, n_out):
    check_same_draw(check, function, n_in, n_out)


@pytest.mark.needs_generator_transport
@pytest.mark.parametrize("function", per_initializer())
def test_init_continues_the_given_rng(check, function):
    check_continues_stream(check, function)


@pytest.mark.needs_generator_transport
@pytest.mark.parametrize("function", per_initializer())
def test_init_statistics(check, function):
    check_statistics(check, function)
