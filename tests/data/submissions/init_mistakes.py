# A student's answer with known mistakes in elu, sigmoid_grad and he_init.
import numpy as np


def relu(x):
    return np.maximum(0, np.asarray(x, dtype=float))


def relu_grad(x):
    return (np.asarray(x) > 0).astype(float)


def leaky_relu(x, alpha=0.01):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * x)


def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * np.exp(np.minimum(x, 0)))  # elu_without_minus_one


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    return np.exp(-np.logaddexp(0, -x))


def sigmoid_grad(x):
    return sigmoid(x) * (1 - np.asarray(x))  # sigmoid_grad_one_minus_x


def xavier_init(n_in, n_out, rng):
    return rng.normal(0, np.sqrt(2 / (n_in + n_out)), (n_in, n_out))


def he_init(n_in, n_out, rng):
    return rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out))  # he_fan_in_only
