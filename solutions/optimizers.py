"""Assignment 1 — gradient-descent optimizers.

Every optimizer follows the same small contract, taken from the course notes:

* ``params`` and ``grads`` are dicts that map a name (``"W1"``, ``"b1"``, ...) to a numpy array;
* ``update(params, grads)`` changes every ``params[k]`` **in place** and returns ``None``;
* any state (velocity, squared-gradient accumulator, step count) lives on the optimizer,
  is created lazily on the first ``update`` with ``np.zeros_like`` and is kept per key.

Notation used in the docstrings: ``w`` is one parameter array, ``g`` its gradient, ``lr`` the
learning rate (the notes write it as α), and every operation is element-wise.
"""

from __future__ import annotations

import numpy as np

Arrays = dict[str, np.ndarray]


def _zeros_like_each(params: Arrays) -> Arrays:
    """A fresh zero array for every key of ``params`` (the lazily created optimizer state)."""
    return {key: np.zeros_like(value) for key, value in params.items()}


class SGD:
    r"""Stochastic gradient descent: step straight down the gradient.

    .. math:: w \leftarrow w - \alpha\, g

    The simplest optimizer. On an elongated valley such as
    ``f(x, y) = x²/20 + y²`` it zig-zags, because the gradient does not point at the minimum.
    """

    def __init__(self, lr: float = 0.01) -> None:
        self.lr = lr

    def update(self, params: Arrays, grads: Arrays) -> None:
        for key in params:
            params[key] -= self.lr * grads[key]


class Momentum:
    r"""Gradient descent with momentum: a ball rolling downhill gathers speed.

    .. math::
        v &\leftarrow \mu\, v - \alpha\, g \\
        w &\leftarrow w + v

    ``v`` (the velocity, one array per key, zero at the start) accumulates past steps, so
    directions that agree from step to step speed up and directions that flip sign cancel out.
    ``momentum`` (μ) plays the role of friction: 0 is plain SGD, 0.9 is the usual choice.
    """

    def __init__(self, lr: float = 0.01, momentum: float = 0.9) -> None:
        self.lr = lr
        self.momentum = momentum
        self.v: Arrays | None = None

    def update(self, params: Arrays, grads: Arrays) -> None:
        if self.v is None:
            self.v = _zeros_like_each(params)
        for key in params:
            self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
            params[key] += self.v[key]


class AdaGrad:
    r"""AdaGrad: a learning rate of its own for every parameter.

    .. math::
        h &\leftarrow h + g \odot g \\
        w &\leftarrow w - \alpha\, \frac{g}{\sqrt{h} + \epsilon}

    ``h`` sums the squares of all past gradients, so parameters that have moved a lot get
    smaller steps. Because ``h`` only grows, the step keeps shrinking (as ``1/√t`` under a
    constant gradient) and learning can stop too early; RMSProp fixes that. ``eps`` only
    guards against division by zero.
    """

    def __init__(self, lr: float = 0.01, eps: float = 1e-7) -> None:
        self.lr = lr
        self.eps = eps
        self.h: Arrays | None = None

    def update(self, params: Arrays, grads: Arrays) -> None:
        if self.h is None:
            self.h = _zeros_like_each(params)
        for key in params:
            self.h[key] += grads[key] * grads[key]
            params[key] -= self.lr * grads[key] / (np.sqrt(self.h[key]) + self.eps)


class RMSProp:
    r"""RMSProp: AdaGrad that forgets old gradients.

    .. math::
        h &\leftarrow \beta\, h + (1 - \beta)\, g \odot g \\
        w &\leftarrow w - \alpha\, \frac{g}{\sqrt{h} + \epsilon}

    ``h`` is an exponentially weighted average of squared gradients instead of a sum: the
    last ``≈ 1/(1-β)`` steps dominate, so the step size adapts without decaying to zero.
    """

    def __init__(self, lr: float = 0.01, beta: float = 0.9, eps: float = 1e-7) -> None:
        self.lr = lr
        self.beta = beta
        self.eps = eps
        self.h: Arrays | None = None

    def update(self, params: Arrays, grads: Arrays) -> None:
        if self.h is None:
            self.h = _zeros_like_each(params)
        for key in params:
            g = grads[key]
            self.h[key] = self.beta * self.h[key] + (1 - self.beta) * g * g
            params[key] -= self.lr * g / (np.sqrt(self.h[key]) + self.eps)


class Adam:
    r"""Adam: Momentum and RMSProp together, with bias correction.

    .. math::
        t &\leftarrow t + 1 \\
        m &\leftarrow \beta_1 m + (1 - \beta_1)\, g \\
        v &\leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g \\
        \hat m &= m / (1 - \beta_1^t), \qquad \hat v = v / (1 - \beta_2^t) \\
        w &\leftarrow w - \alpha\, \frac{\hat m}{\sqrt{\hat v} + \epsilon}

    ``m`` (first moment) is Momentum's velocity, ``v`` (second moment) is RMSProp's ``h``.
    Both start at zero, so early averages are biased towards zero; dividing by
    ``1 - β^t`` removes that bias (it matters for the first ``≈ 1/(1-β)`` steps only).
    ``t`` counts ``update`` calls, once per call, whatever the number of keys.
    """

    def __init__(
        self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8
    ) -> None:
        self.lr = lr
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.t = 0
        self.m: Arrays | None = None
        self.v: Arrays | None = None

    def update(self, params: Arrays, grads: Arrays) -> None:
        if self.m is None or self.v is None:
            self.m = _zeros_like_each(params)
            self.v = _zeros_like_each(params)
        self.t += 1
        for key in params:
            g = grads[key]
            self.m[key] = self.beta1 * self.m[key] + (1 - self.beta1) * g
            self.v[key] = self.beta2 * self.v[key] + (1 - self.beta2) * g * g
            m_hat = self.m[key] / (1 - self.beta1**self.t)
            v_hat = self.v[key] / (1 - self.beta2**self.t)
            params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
