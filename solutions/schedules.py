"""Assignment 2 — exponentially weighted averages, learning-rate decay and mini-batches.

Inputs may be numpy arrays or plain Python numbers; the decay schedules work element-wise on
an array of epochs and return a float for a scalar epoch.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def ewma(theta: ArrayLike, beta: float = 0.9, bias_correction: bool = False) -> np.ndarray:
    r"""Exponentially weighted moving average of a sequence.

    .. math::
        v_0 = 0, \qquad v_t = \beta\, v_{t-1} + (1 - \beta)\, \theta_t \quad (t = 1, \dots, n)

    With ``bias_correction=True`` each :math:`v_t` is replaced by :math:`v_t / (1 - \beta^t)`,
    which removes the pull towards the zero start during the first steps.

    :math:`v_t` averages roughly the last :math:`1/(1-\beta)` values: β = 0.9 ≈ 10 values,
    β = 0.98 ≈ 50 (smoother, but slower to follow changes), β = 0.5 ≈ 2 (noisy).

    Returns a float array ``v`` of ``len(theta)`` holding :math:`v_1, \dots, v_n`.
    """
    values = np.asarray(theta, dtype=float).reshape(-1)
    v = np.empty_like(values)
    running = 0.0
    for t, value in enumerate(values, start=1):
        running = beta * running + (1 - beta) * value
        v[t - 1] = running / (1 - beta**t) if bias_correction else running
    return v


def lr_inverse_time(
    lr0: ArrayLike, epoch: ArrayLike, decay_rate: float = 1.0
) -> float | np.ndarray:
    r"""Inverse-time decay: the rate falls like 1/epoch.

    .. math:: \alpha = \frac{\alpha_0}{1 + \text{decay\_rate} \cdot \text{epoch}}
    """
    return _as_result(
        np.asarray(lr0, dtype=float) / (1 + decay_rate * np.asarray(epoch, dtype=float))
    )


def lr_exponential(lr0: ArrayLike, epoch: ArrayLike, base: float = 0.95) -> float | np.ndarray:
    r"""Exponential decay: :math:`\alpha = \text{base}^{\text{epoch}} \cdot \alpha_0`.

    With the default base 0.95 the rate loses 5 % every epoch.
    """
    return _as_result(np.power(base, np.asarray(epoch, dtype=float)) * np.asarray(lr0, dtype=float))


def lr_inverse_sqrt(lr0: ArrayLike, epoch: ArrayLike, k: float = 1.0) -> float | np.ndarray:
    r"""Inverse square-root decay: :math:`\alpha = \dfrac{k}{\sqrt{\text{epoch}}} \cdot \alpha_0`.

    Defined for ``epoch >= 1`` only (at epoch 0 it would divide by zero): a smaller epoch
    raises ``ValueError``.
    """
    epochs = np.asarray(epoch, dtype=float)
    if np.any(epochs < 1):
        raise ValueError(f"lr_inverse_sqrt needs epoch >= 1, got {epoch!r}")
    return _as_result(k / np.sqrt(epochs) * np.asarray(lr0, dtype=float))


def lr_staircase(
    lr0: ArrayLike, epoch: ArrayLike, decay_rate: float = 1.0, time_interval: int = 1000
) -> float | np.ndarray:
    r"""Staircase (discrete) decay: the rate drops once every ``time_interval`` epochs.

    .. math::
        \alpha = \frac{\alpha_0}{1 + \text{decay\_rate} \cdot
                 \lfloor \text{epoch} / \text{time\_interval} \rfloor}
    """
    steps = np.floor(np.asarray(epoch, dtype=float) / time_interval)
    return _as_result(np.asarray(lr0, dtype=float) / (1 + decay_rate * steps))


def _as_result(value: np.ndarray) -> float | np.ndarray:
    """A 0-d result becomes a Python float, anything larger stays an array."""
    return float(value) if np.ndim(value) == 0 else value


def random_mini_batches(
    X: np.ndarray, Y: np.ndarray, batch_size: int = 64, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Shuffle the examples and cut them into mini-batches.

    Columns are examples: ``X`` is ``(n_x, m)`` and ``Y`` is ``(1, m)``.

    1. Shuffle: one permutation ``np.random.default_rng(seed).permutation(m)`` reorders the
       columns of ``X`` *and* ``Y``, so each example keeps its label.
    2. Partition: consecutive slices of ``batch_size`` columns. When ``m`` is not a multiple of
       ``batch_size`` the last batch is smaller (``m % batch_size`` columns) and is kept.

    There are ``ceil(m / batch_size)`` batches in all.
    """
    m = X.shape[1]
    permutation = np.random.default_rng(seed).permutation(m)
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation]
    return [
        (shuffled_X[:, start : start + batch_size], shuffled_Y[:, start : start + batch_size])
        for start in range(0, m, batch_size)
    ]


__all__ = [
    "ewma",
    "lr_exponential",
    "lr_inverse_sqrt",
    "lr_inverse_time",
    "lr_staircase",
    "random_mini_batches",
]
