"""Hidden suite of assignment 2 — EWMA, learning-rate decay and mini-batches.

Each function is called in the student's sandbox and compared with the reference
(``solutions/schedules.py``) on inputs of the suite's own (seeds 7100+; the notebooks' public checks
use 1000-1999):

* ``ewma``: short and long sequences, β from 0.5 to 0.98, with and without bias correction,
  the default β, a plain list and a one-element sequence;
* the four decay schedules: epoch 0, scalar and array epochs, default and other arguments,
  epochs exactly on a ``time_interval`` boundary and just before it (staircase), and
  ``lr_inverse_sqrt`` raising ``ValueError`` for every epoch below 1;
* ``random_mini_batches``: exact values would be unfair everywhere but in one test, so the
  batch sizes, the partition of the examples, the X/Y pairing and the reproducibility for a seed
  are checked as properties; only ``test_random_mini_batches_exact_order`` demands the spec's
  permutation ``np.random.default_rng(seed).permutation(m)``.

Named known mistakes (no zero start, β swapped, no ``1 +``, no floor, last batch dropped, …)
come from ``solutions/variants.py``.
"""

import numpy as np
import pytest

from autograder.engine.testing import Case
from optigrade.i18n import Text


def call(function, *args, **kwargs):
    """The scenario ``function(*args, **kwargs)`` in an implementation (reference or student)."""

    def scenario(impl):
        return getattr(impl, function)(*args, **kwargs)

    return scenario


def described(function, args, kwargs):
    """A case naming the exact call, which is all a student needs to reproduce it."""
    shown = [
        repr(a) if np.ndim(a) == 0 else f"{type(a).__name__}(shape={np.shape(a)})" for a in args
    ]
    shown += [f"{k}={v!r}" for k, v in kwargs.items()]
    call_text = f"{function}({', '.join(shown)})"
    return Case(
        ko=f"{call_text}의 결과",
        en=f"the result of {call_text}",
        inputs={f"argument {i + 1}": a for i, a in enumerate(args)} | kwargs,
    )


# -- ewma ---------------------------------------------------------------------------------------


def short_sequence(seed=7100):
    return np.random.default_rng(seed).normal(10.0, 3.0, size=5)


def long_sequence(seed=7101):
    """A slow wave with noise: the average lags behind it, more so for a larger β."""
    return 20 + 5 * np.sin(np.arange(80) / 6) + np.random.default_rng(seed).normal(0, 1, size=80)


SHORT, LONG = short_sequence(), long_sequence()
SEQUENCES = [pytest.param(SHORT, id="5-values"), pytest.param(LONG, id="80-values")]
BETAS = [0.5, 0.9, 0.98]


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("theta", SEQUENCES)
def test_ewma_without_bias_correction(check, theta, beta):
    check.same(call("ewma", theta, beta=beta), described("ewma", [theta], {"beta": beta}))


@pytest.mark.parametrize("beta", BETAS)
@pytest.mark.parametrize("theta", SEQUENCES)
def test_ewma_with_bias_correction(check, theta, beta):
    kwargs = {"beta": beta, "bias_correction": True}
    check.same(call("ewma", theta, **kwargs), described("ewma", [theta], kwargs))


@pytest.mark.parametrize(
    "theta",
    [
        pytest.param(list(SHORT), id="default-beta"),
        pytest.param([3, 1, 4, 1, 5, 9, 2, 6], id="list-of-ints"),
        pytest.param(np.array([7, 2, 9, 4, 4, 1]), id="int-array"),
        pytest.param([4.0], id="one-value"),
    ],
)
def test_ewma_defaults_and_lists(check, theta):
    check.same(call("ewma", theta), described("ewma", [theta], {}))


@pytest.mark.parametrize(
    ("theta", "beta"),
    [pytest.param(SHORT, 0.5, id="5-values"), pytest.param(np.arange(1, 12) ** 2, 0.8, id="ints")],
)
def test_ewma_positional_arguments(check, theta, beta):
    """``ewma(theta, beta, True)``: the signature's order is part of the spec."""
    check.same(call("ewma", theta, beta, True), described("ewma", [theta, beta, True], {}))


# -- learning-rate decay ------------------------------------------------------------------------

EPOCH_ARRAY = np.array([0, 1, 2, 5, 10, 99, 100, 1000, 1001, 2500])


#: Each decay schedule's calls, ``(args, kwargs)``: the initial rate and the epoch come first.
SCHEDULES = {
    "lr_inverse_time": [
        ((0.2, 0), {}),
        ((0.2, 1), {}),
        ((0.05, 7), {"decay_rate": 0.5}),
        ((0.05, 7, 0.5), {}),
        ((0.3, 250), {"decay_rate": 0.01}),
        ((0.1, EPOCH_ARRAY[:5]), {"decay_rate": 2.0}),
    ],
    "lr_exponential": [
        ((0.2, 0), {}),
        ((0.2, 3), {}),
        ((0.05, 12), {"base": 0.8}),
        ((0.05, 12, 0.8), {}),
        ((0.3, 100), {"base": 0.99}),
        ((0.1, EPOCH_ARRAY[:6]), {"base": 0.5}),
    ],
    "lr_inverse_sqrt": [
        ((0.2, 1), {}),
        ((0.2, 4), {}),
        ((0.05, 30), {"k": 2.0}),
        ((0.05, 30, 2.0), {}),
        ((0.3, 1.5), {"k": 0.5}),
        ((0.1, EPOCH_ARRAY[1:]), {}),
    ],
    "lr_staircase": [
        ((0.2, 0), {}),
        ((0.2, 999), {}),
        ((0.2, 1000), {}),
        ((0.2, 2999), {"decay_rate": 0.5}),
        ((0.05, 30), {"decay_rate": 0.5, "time_interval": 10}),
        ((0.1, EPOCH_ARRAY), {}),
        ((0.1, EPOCH_ARRAY), {"decay_rate": 3.0, "time_interval": 5}),
        ((0.1, EPOCH_ARRAY, 3.0, 5), {}),
    ],
}


def schedule_cases() -> list:
    """``pytest.param``s of ``(function, args, kwargs)``, marked with their item and identified
    by the call they make."""
    return [
        pytest.param(
            function,
            args,
            kwargs,
            marks=pytest.mark.item(function),
            id="-".join(map(str, [function, *args[1:], *kwargs.values()]))
            + ("-by-position" * (len(args) > 2)),
        )
        for function, calls in SCHEDULES.items()
        for args, kwargs in calls
    ]


@pytest.mark.parametrize(("function", "args", "kwargs"), schedule_cases())
def test_schedule(check, function, args, kwargs):
    check.same(call(function, *args, **kwargs), described(function, args, kwargs))


@pytest.mark.parametrize(
    "epoch",
    [
        pytest.param(0, id="0"),
        pytest.param(0.5, id="0.5"),
        pytest.param(-3, id="-3"),
        pytest.param(EPOCH_ARRAY[:4], id="array-with-0"),
        pytest.param(np.array([4, 9, 0, 16]), id="0-inside-an-array"),
    ],
)
def test_lr_inverse_sqrt_rejects_epoch_below_one(check, epoch):
    case = described("lr_inverse_sqrt", [0.1, epoch], {})
    check.raises(call("lr_inverse_sqrt", 0.1, epoch), "ValueError", case)


# -- random_mini_batches ------------------------------------------------------------------------


def examples(m, n_x=3, seed=7200):
    """``X`` whose columns are all different, and ``Y`` a label computed from each column, so
    that a column of a batch tells which example it is and which label it must carry."""
    X = np.random.default_rng(seed).normal(size=(n_x, m))
    return X, label_of(X)


def label_of(X):
    return np.round(X[:1] * 1000) + 0.5


def batches_of(m, batch_size, seed):
    X, Y = examples(m)
    return call("random_mini_batches", X, Y, batch_size=batch_size, seed=seed)


def batches_case(m, batch_size, seed, ko, en):
    return Case(
        ko=f"random_mini_batches(X, Y, batch_size={batch_size}, seed={seed}), 예제 m={m}개: {ko}",
        en=f"random_mini_batches(X, Y, batch_size={batch_size}, seed={seed}), m={m} examples: {en}",
        inputs={"X": f"shape (3, {m})", "Y": f"shape (1, {m})"},
    )


SIZES = [
    pytest.param(150, 64, id="last-batch-smaller"),
    pytest.param(128, 32, id="exact-multiple"),
    pytest.param(10, 64, id="one-small-batch"),
    pytest.param(7, 1, id="batches-of-one"),
]


@pytest.mark.parametrize(("m", "batch_size"), SIZES)
def test_random_mini_batches_sizes(check, m, batch_size):
    def shapes(impl):
        run = batches_of(m, batch_size, seed=7210)
        return [[list(np.shape(x)), list(np.shape(y))] for x, y in run(impl)]

    check.same(shapes, batches_case(m, batch_size, 7210, "미니배치의 개수와 크기", "sizes"))


@pytest.mark.parametrize(("m", "batch_size"), SIZES[:2])
def test_random_mini_batches_partition_and_pairing(check, m, batch_size):
    case = batches_case(m, batch_size, 7220, "예제 분할과 X/Y 짝", "partition and X/Y pairs")
    X, _ = examples(m)
    batches = check.run(batches_of(m, batch_size, seed=7220), case)
    X_all = np.concatenate([np.asarray(x, dtype=float).reshape(3, -1) for x, _ in batches], 1)
    Y_all = np.concatenate([np.asarray(y, dtype=float).reshape(1, -1) for _, y in batches], 1)
    each_once = X_all.shape == X.shape and sorted(map(tuple, X_all.T)) == sorted(map(tuple, X.T))
    check.holds(
        each_once,
        case,
        expected=Text(
            ko="모든 예제(X의 열)가 미니배치들에 정확히 한 번씩 들어 있어야 함",
            en="every example (column of X) appears in exactly one mini-batch, once",
        ),
        received=f"{X_all.shape[1]} columns in all, for {m} examples",
    )
    paired = Y_all.shape == (1, m) and np.array_equal(Y_all, label_of(X_all))
    check.holds(
        paired,
        case,
        expected=Text(
            ko="각 예제가 자기 레이블과 함께 있어야 함: X와 Y를 같은 순열로 섞기",
            en="every example keeps its own label: X and Y shuffled with the same permutation",
        ),
        received="some columns of Y do not belong to the column of X beside them",
    )


def test_random_mini_batches_reproducible(check):
    def twice(impl):
        return [batches_of(100, 16, seed=7230)(impl), batches_of(100, 16, seed=7230)(impl)]

    case = batches_case(100, 16, 7230, "같은 seed로 두 번 호출", "called twice with the same seed")
    first, second = check.run(twice, case)
    check.holds(
        len(first) == len(second)
        and all(
            np.array_equal(a, c) and np.array_equal(b, d)
            for (a, b), (c, d) in zip(first, second, strict=True)
        ),
        case,
        expected=Text(
            ko="같은 seed면 같은 미니배치", en="the same seed gives the same mini-batches"
        ),
        received="the two calls gave different mini-batches",
    )


@pytest.mark.parametrize(("m", "batch_size", "seed"), [(150, 64, 7240), (33, 8, 7241)])
def test_random_mini_batches_exact_order(check, m, batch_size, seed):
    check.same(
        batches_of(m, batch_size, seed),
        batches_case(
            m,
            batch_size,
            seed,
            "순서까지 정확히: 순열은 np.random.default_rng(seed).permutation(m)",
            "exact order: the permutation is np.random.default_rng(seed).permutation(m)",
        ),
    )


def test_random_mini_batches_defaults_and_positions(check):
    """``random_mini_batches(X, Y)`` relies on the defaults (``batch_size=64, seed=0``), and
    ``random_mini_batches(X, Y, 16, 7250)`` on the order of the two."""
    X, Y = examples(150)

    def both(impl):
        return [impl.random_mini_batches(X, Y), impl.random_mini_batches(X, Y, 16, 7250)]

    case = Case(
        ko="random_mini_batches(X, Y)와 random_mini_batches(X, Y, 16, 7250), 예제 m=150개: "
        "기본값 batch_size=64, seed=0과 인자 순서",
        en="random_mini_batches(X, Y) and random_mini_batches(X, Y, 16, 7250), m=150 examples: "
        "the defaults batch_size=64, seed=0 and the order of the arguments",
        inputs={"X": "shape (3, 150)", "Y": "shape (1, 150)"},
    )
    check.same(both, case)
