"""Assignment 3 — activations, their derivatives, and weight initialization.

Activations work element-wise on numpy arrays (or numbers) and return arrays of the same shape.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def relu(x: ArrayLike) -> np.ndarray:
    r"""Rectified linear unit: :math:`\mathrm{relu}(x) = \max(0, x)`."""
    return np.maximum(0.0, np.asarray(x, dtype=float))


def relu_grad(x: ArrayLike) -> np.ndarray:
    r"""Derivative of ReLU: :math:`1` where :math:`x > 0`, else :math:`0` (we take 0 at x = 0).

    Because it is exactly 1 for every active unit, ReLU does not shrink gradients on their way
    back through many layers, unlike the sigmoid.
    """
    return (np.asarray(x, dtype=float) > 0).astype(float)


def leaky_relu(x: ArrayLike, alpha: float = 0.01) -> np.ndarray:
    r"""Leaky ReLU: :math:`x` for :math:`x > 0`, else :math:`\alpha x`.

    The small slope α keeps a gradient flowing for negative inputs ("dying ReLU" fix).
    """
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * x)


def elu(x: ArrayLike, alpha: float = 1.0) -> np.ndarray:
    r"""Exponential linear unit: :math:`x` for :math:`x > 0`, else :math:`\alpha (e^x - 1)`.

    Smooth at 0 for α = 1 and saturates at :math:`-\alpha` for very negative inputs.
    """
    x = np.asarray(x, dtype=float)
    # expm1 on min(x, 0) keeps precision near 0 and never overflows for large positive x.
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def sigmoid(x: ArrayLike) -> np.ndarray:
    r"""Logistic sigmoid: :math:`\sigma(x) = \dfrac{1}{1 + e^{-x}}`, with values in (0, 1)."""
    x = np.asarray(x, dtype=float)
    # Two branches so that exp never overflows: for x < 0 use e^x / (1 + e^x).
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(x: ArrayLike) -> np.ndarray:
    r"""Derivative of the sigmoid: :math:`\sigma'(x) = \sigma(x)\,(1 - \sigma(x))`.

    Its maximum is 1/4 (at x = 0), so every sigmoid layer shrinks the gradient by at least 4×:
    the root of the vanishing-gradient problem in deep sigmoid networks.
    """
    s = sigmoid(x)
    return s * (1.0 - s)


def xavier_init(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    r"""Xavier (Glorot) initialization.

    .. math:: W \sim \mathcal{N}\!\left(0,\ \frac{2}{n_{in} + n_{out}}\right)

    Keeps the variance of activations and of gradients roughly equal from layer to layer for
    tanh/sigmoid networks. Returns an ``(n_in, n_out)`` array drawn from ``rng``.
    """
    return rng.normal(0.0, np.sqrt(2.0 / (n_in + n_out)), size=(n_in, n_out))


def he_init(n_in: int, n_out: int, rng: np.random.Generator) -> np.ndarray:
    r"""He initialization with the fan average, as the notes give it:
    :math:`W \sim \mathcal{N}\!\left(0, \dfrac{4}{n_{in} + n_{out}}\right)`.

    Twice Xavier's variance, because ReLU zeroes half of its inputs. Returns an
    ``(n_in, n_out)`` array drawn from ``rng``.
    """
    return rng.normal(0.0, np.sqrt(4.0 / (n_in + n_out)), size=(n_in, n_out))
