# A student's equivalent answer: vectorised, in place, state created lazily, ε inside the square
# root everywhere (Adam too), Momentum with lr folded into the velocity.
import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for key, g in grads.items():
            params[key] -= self.lr * g


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.v[k] *= self.momentum
            self.v[k] -= self.lr * grads[k]
            params[k] += self.v[k]


class AdaGrad:
    def __init__(self, lr=0.01, eps=1e-7):
        self.lr, self.eps, self.h = lr, eps, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.h[k] += np.square(grads[k])
            params[k] -= self.lr * grads[k] / np.sqrt(self.h[k] + self.eps)


class RMSProp:
    def __init__(self, lr=0.01, beta=0.9, eps=1e-7):
        self.lr, self.beta, self.eps, self.h = lr, beta, eps, None

    def update(self, params, grads):
        if self.h is None:
            self.h = {k: np.zeros_like(p) for k, p in params.items()}
        for k in params:
            self.h[k] *= self.beta
            self.h[k] += (1 - self.beta) * grads[k] * grads[k]
            params[k] -= self.lr * grads[k] / np.sqrt(self.h[k] + self.eps)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t, self.m, self.v = 0, None, None

    def update(self, params, grads):
        if self.m is None:
            self.m = {k: np.zeros_like(p) for k, p in params.items()}
            self.v = {k: np.zeros_like(p) for k, p in params.items()}
        self.t += 1
        for k in params:
            self.m[k] = self.beta1 * self.m[k] + (1 - self.beta1) * grads[k]
            self.v[k] = self.beta2 * self.v[k] + (1 - self.beta2) * grads[k] ** 2
            m_hat = self.m[k] / (1 - self.beta1**self.t)
            v_hat = self.v[k] / (1 - self.beta2**self.t)
            params[k] -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
