"""Properties the course notes state about the reference, checked with hypothesis."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import solutions

finite = st.floats(-1e3, 1e3, allow_nan=False, allow_infinity=False)
betas = st.floats(0.01, 0.99)


@given(c=finite, n=st.integers(1, 200), beta=betas)
def test_bias_corrected_ewma_of_a_constant_is_that_constant(c, n, beta):
    v = solutions.ewma(np.full(n, c), beta=beta, bias_correction=True)
    np.testing.assert_allclose(v, c, rtol=1e-9, atol=1e-9)


@given(c=st.floats(0.1, 1e3), n=st.integers(2, 100), beta=betas)
def test_uncorrected_ewma_of_a_positive_constant_starts_below_it(c, n, beta):
    v = solutions.ewma(np.full(n, c), beta=beta)
    assert v[0] == pytest.approx((1 - beta) * c)
    assert np.all(np.diff(v) >= -1e-12), "rises monotonically towards the constant"


@given(
    g=arrays(
        np.float64,
        st.integers(1, 20),
        elements=st.floats(-1e3, 1e3).filter(lambda x: abs(x) > 1e-3),
    ),
    lr=st.floats(1e-4, 1.0),
)
def test_adams_first_step_has_size_lr_in_every_coordinate(g, lr):
    w = np.zeros_like(g)
    solutions.Adam(lr=lr, eps=0.0).update({"w": w}, {"w": g})
    np.testing.assert_allclose(np.abs(w), lr, rtol=1e-12)
    np.testing.assert_array_equal(np.sign(w), -np.sign(g))


@given(g=st.floats(0.01, 100.0), lr=st.floats(1e-3, 1.0))
def test_adagrad_step_shrinks_as_one_over_sqrt_t_under_a_constant_gradient(g, lr):
    opt = solutions.AdaGrad(lr=lr, eps=0.0)
    w = np.zeros(1)
    previous = w.copy()
    for t in range(1, 30):
        opt.update({"w": w}, {"w": np.array([g])})
        step = abs(float(w[0] - previous[0]))
        assert step == pytest.approx(lr / np.sqrt(t), rel=1e-9), f"step {t}"
        previous = w.copy()


schedules = st.sampled_from(
    [
        lambda e: solutions.lr_inverse_time(0.3, e, 0.7),
        lambda e: solutions.lr_exponential(0.3, e, 0.95),
        lambda e: solutions.lr_inverse_sqrt(0.3, e + 1, 2.0),
        lambda e: solutions.lr_staircase(0.3, e, 1.0, 10),
    ]
)


@given(schedule=schedules, e1=st.integers(0, 10_000), e2=st.integers(0, 10_000))
def test_every_schedule_is_non_increasing_in_the_epoch(schedule, e1, e2):
    lo, hi = sorted((e1, e2))
    assert schedule(hi) <= schedule(lo)


@settings(max_examples=60)
@given(
    m=st.integers(1, 300),
    batch=st.integers(1, 100),
    n_x=st.integers(1, 4),
    seed=st.integers(0, 2**31),
)
def test_mini_batches_partition_pair_size_and_reproduce(m, batch, n_x, seed):
    X = np.arange(n_x * m, dtype=float).reshape(n_x, m)
    Y = X[:1] * 10  # each label is derived from its column, so pairing can be checked
    batches = solutions.random_mini_batches(X, Y, batch_size=batch, seed=seed)
    assert len(batches) == -(-m // batch)
    sizes = [xb.shape[1] for xb, _ in batches]
    assert all(s == batch for s in sizes[:-1])
    assert sizes[-1] == (m % batch or batch)
    columns = np.concatenate([xb[0] for xb, _ in batches])
    assert sorted(columns) == list(X[0]), "the batches together hold every column once"
    for xb, yb in batches:
        np.testing.assert_array_equal(yb, xb[:1] * 10)
    again = solutions.random_mini_batches(X, Y, batch_size=batch, seed=seed)
    for (a, b), (c, d) in zip(batches, again, strict=True):
        np.testing.assert_array_equal(a, c)
        np.testing.assert_array_equal(b, d)


def test_mini_batch_order_is_the_specs_permutation():
    X = np.arange(30.0).reshape(1, 30)
    perm = np.random.default_rng(5).permutation(30)
    batches = solutions.random_mini_batches(X, X, batch_size=8, seed=5)
    np.testing.assert_array_equal(np.concatenate([xb[0] for xb, _ in batches]), perm)


@pytest.mark.parametrize(
    ("init", "variance"),
    [
        (solutions.xavier_init, lambda i, o: 2 / (i + o)),
        (solutions.he_init, lambda i, o: 4 / (i + o)),
    ],
)
@pytest.mark.parametrize(("n_in", "n_out"), [(300, 200), (784, 100), (50, 1000)])
def test_initializers_have_the_specs_variance(init, variance, n_in, n_out):
    # n = n_in*n_out samples of N(0, σ²): the sample variance has standard error σ²·sqrt(2/n).
    # 5 standard errors keeps the false-failure rate below 1e-6 while a 2x error (Xavier vs He)
    # is hundreds of standard errors away.
    w = init(n_in, n_out, np.random.default_rng(7))
    assert w.shape == (n_in, n_out)
    sigma2 = variance(n_in, n_out)
    tolerance = 5 * sigma2 * np.sqrt(2 / w.size)
    assert abs(w.var() - sigma2) < tolerance, (
        f"variance {w.var():.5f}, expected {sigma2:.5f} ± {tolerance:.5f}"
    )
    assert abs(w.mean()) < 5 * np.sqrt(sigma2 / w.size)


@given(x=arrays(np.float64, st.integers(1, 50), elements=st.floats(-50, 50)))
def test_activation_derivatives_match_finite_differences(x):
    h = 1e-6
    x = x[np.abs(x) > 1e-3]  # ReLU's kink
    numeric = (solutions.sigmoid(x + h) - solutions.sigmoid(x - h)) / (2 * h)
    np.testing.assert_allclose(solutions.sigmoid_grad(x), numeric, atol=1e-8)
    numeric = (solutions.relu(x + h) - solutions.relu(x - h)) / (2 * h)
    np.testing.assert_allclose(solutions.relu_grad(x), numeric, atol=1e-6)


def test_activations_values():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(solutions.leaky_relu(x, 0.1), [-0.2, -0.05, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(solutions.elu(x), [np.exp(-2) - 1, np.exp(-0.5) - 1, 0, 0.5, 3])
    assert solutions.sigmoid(np.array([-1000.0, 1000.0])).tolist() == [0.0, 1.0]
    assert solutions.sigmoid_grad(0.0) == 0.25
