# A student's equivalent answer: EWMA in closed form, math for scalars, Ng-style mini-batch loop.
import math

import numpy as np


def ewma(theta, beta=0.9, bias_correction=False):
    theta = np.array(theta, dtype=float)
    t = np.arange(1, len(theta) + 1)
    weights = (1 - beta) * beta ** (t[:, None] - t[None, :]) * (t[:, None] >= t[None, :])
    v = weights @ theta
    return v / (1 - beta**t) if bias_correction else v


def lr_inverse_time(lr0, epoch, decay_rate=1.0):
    if np.isscalar(epoch):
        return lr0 / (1 + decay_rate * epoch)
    return lr0 / (1 + decay_rate * np.asarray(epoch))


def lr_exponential(lr0, epoch, base=0.95):
    return lr0 * np.power(base, epoch)


def lr_inverse_sqrt(lr0, epoch, k=1.0):
    if np.min(epoch) < 1:
        raise ValueError("epoch must be at least 1")
    return k * lr0 / np.sqrt(epoch)


def lr_staircase(lr0, epoch, decay_rate=1.0, time_interval=1000):
    return lr0 / (1 + decay_rate * (np.asarray(epoch) // time_interval))


def random_mini_batches(X, Y, batch_size=64, seed=0):
    m = X.shape[1]
    permutation = list(np.random.default_rng(seed).permutation(m))
    shuffled_X, shuffled_Y = X[:, permutation], Y[:, permutation].reshape((1, m))
    mini_batches = []
    for k in range(math.floor(m / batch_size)):
        part = slice(k * batch_size, (k + 1) * batch_size)
        mini_batches.append((shuffled_X[:, part], shuffled_Y[:, part]))
    if m % batch_size != 0:
        rest = slice(m - m % batch_size, m)
        mini_batches.append((shuffled_X[:, rest], shuffled_Y[:, rest]))
    return mini_batches
