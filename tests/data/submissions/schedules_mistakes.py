# A student's answer with known mistakes in ewma, lr_staircase and random_mini_batches.
import numpy as np


def ewma(theta, beta=0.9, bias_correction=False):
    v, out = theta[0], []  # ewma_starts_at_first_value
    for t, x in enumerate(theta, start=1):
        v = beta * v + (1 - beta) * x
        out.append(v / (1 - beta**t) if bias_correction else v)
    return np.array(out)


def lr_inverse_time(lr0, epoch, decay_rate=1.0):
    return lr0 / (1 + decay_rate * np.asarray(epoch, dtype=float))


def lr_exponential(lr0, epoch, base=0.95):
    return base ** np.asarray(epoch, dtype=float) * lr0


def lr_inverse_sqrt(lr0, epoch, k=1.0):
    epoch = np.asarray(epoch, dtype=float)
    if (epoch < 1).any():
        raise ValueError(epoch)
    return k / np.sqrt(epoch) * lr0


def lr_staircase(lr0, epoch, decay_rate=1.0, time_interval=1000):
    return lr0 / (1 + decay_rate * np.asarray(epoch) / time_interval)  # lr_staircase_no_floor


def random_mini_batches(X, Y, batch_size=64, seed=0):
    rng = np.random.default_rng(seed)
    X, Y = X[:, rng.permutation(X.shape[1])], Y[:, rng.permutation(Y.shape[1])]  # two permutations
    return [
        (X[:, i : i + batch_size], Y[:, i : i + batch_size])
        for i in range(0, X.shape[1], batch_size)
    ]
