# A student's equivalent answer: element-wise loops, params[k] = params[k] - ..., state dicts made
# in __init__, ε inside the square root (AdaGrad, RMSProp), Adam's bias correction folded into
# the step size, Momentum with a positive velocity (v = m*v + lr*g; w -= v).
import math

import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for k in params.keys():  # noqa: SIM118 - written as students often do
            params[k] = params[k] - self.lr * grads[k]


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}

    def update(self, params, grads):
        for k in params:
            if k not in self.v:
                self.v[k] = np.zeros_like(params[k])
            self.v[k] = self.momentum * self.v[k] + self.lr * grads[k]
            params[k] = params[k] - self.v[k]


class AdaGrad:
    def __init__(self, lr=0.01, eps=1e-7):
        self.lr, self.eps, self.h = lr, eps, {}

    def update(self, params, grads):
        for k in params:
            w, g = params[k].copy(), grads[k]
            h = self.h.setdefault(k, np.zeros_like(w))
            for i in np.ndindex(w.shape):
                h[i] += g[i] * g[i]
                w[i] = w[i] - self.lr * g[i] / math.sqrt(h[i] + self.eps)
            params[k] = w


class RMSProp:
    def __init__(self, lr=0.01, beta=0.9, eps=1e-7):
        self.lr, self.beta, self.eps, self.h = lr, beta, eps, {}

    def update(self, params, grads):
        for k in params:
            w, g = params[k].copy(), grads[k]
            h = self.h.setdefault(k, np.zeros_like(w))
            for i in np.ndindex(w.shape):
                h[i] = self.beta * h[i] + (1 - self.beta) * g[i] ** 2
                w[i] -= self.lr * g[i] / math.sqrt(h[i] + self.eps)
            params[k] = w


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.iter, self.m, self.v = 0, {}, {}

    def update(self, params, grads):
        self.iter += 1
        lr_t = self.lr * math.sqrt(1.0 - self.beta2**self.iter) / (1.0 - self.beta1**self.iter)
        for k in params:
            m = self.m.setdefault(k, np.zeros_like(params[k]))
            v = self.v.setdefault(k, np.zeros_like(params[k]))
            m += (1 - self.beta1) * (grads[k] - m)
            v += (1 - self.beta2) * (grads[k] ** 2 - v)
            params[k] = params[k] - lr_t * m / (np.sqrt(v) + self.eps)
