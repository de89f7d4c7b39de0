# A student's answer with one known mistake per optimizer (see MISTAKE_FILES in the test).
import numpy as np


class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr

    def update(self, params, grads):
        for k in params:
            params[k] += self.lr * grads[k]  # sgd_plus_sign


class Momentum:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, {}

    def update(self, params, grads):
        for k in params:
            v = self.v.get(k, np.zeros_like(params[k]))
            self.v[k] = self.momentum * v + (1 - self.momentum) * grads[k]  # momentum_ewma_form
            params[k] -= self.lr * self.v[k]


class AdaGrad:
    def __init__(self, lr=0.01, eps=1e-7):
        self.lr, self.eps, self.h = lr, eps, {}

    def update(self, params, grads):
        for k in params:
            self.h[k] = self.h.get(k, 0) + grads[k] * grads[k]
            params[k] -= self.lr * grads[k] / (self.h[k] + self.eps)  # adagrad_no_sqrt


class RMSProp:
    def __init__(self, lr=0.01, beta=0.9, eps=1e-7):
        self.lr, self.beta, self.eps = lr, beta, eps

    def update(self, params, grads):
        h = {k: np.zeros_like(p) for k, p in params.items()}  # rmsprop_state_reset
        for k in params:
            h[k] = self.beta * h[k] + (1 - self.beta) * grads[k] ** 2
            params[k] -= self.lr * grads[k] / (np.sqrt(h[k]) + self.eps)


class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        self.lr, self.beta1, self.beta2, self.eps = lr, beta1, beta2, eps
        self.t, self.m, self.v = 0, {}, {}

    def update(self, params, grads):
        for k in params:
            self.t += 1  # adam_t_per_key
            m = self.m[k] = self.beta1 * self.m.get(k, 0) + (1 - self.beta1) * grads[k]
            v = self.v[k] = self.beta2 * self.v.get(k, 0) + (1 - self.beta2) * grads[k] ** 2
            m_hat, v_hat = m / (1 - self.beta1**self.t), v / (1 - self.beta2**self.t)
            params[k] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)
