"""The reference implementation of the course: the single source of truth.

Notebooks, public checks, hidden suites and quiz answers all derive from these names, whose
signatures and defaults are exactly those of ``COURSE_SPEC.md``.
"""

from solutions.init import (
    elu,
    he_init,
    leaky_relu,
    relu,
    relu_grad,
    sigmoid,
    sigmoid_grad,
    xavier_init,
)
from solutions.optimizers import SGD, AdaGrad, Adam, Momentum, RMSProp
from solutions.schedules import (
    ewma,
    lr_exponential,
    lr_inverse_sqrt,
    lr_inverse_time,
    lr_staircase,
    random_mini_batches,
)

#: The items of each assignment, in the order the course teaches them.
ASSIGNMENTS: dict[str, tuple[str, ...]] = {
    "optimizers": ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"),
    "schedules": (
        "ewma",
        "lr_inverse_time",
        "lr_exponential",
        "lr_inverse_sqrt",
        "lr_staircase",
        "random_mini_batches",
    ),
    "init": (
        "relu",
        "relu_grad",
        "leaky_relu",
        "elu",
        "sigmoid",
        "sigmoid_grad",
        "xavier_init",
        "he_init",
    ),
}

__all__ = [
    "ASSIGNMENTS",
    "SGD",
    "AdaGrad",
    "Adam",
    "Momentum",
    "RMSProp",
    "elu",
    "ewma",
    "he_init",
    "leaky_relu",
    "lr_exponential",
    "lr_inverse_sqrt",
    "lr_inverse_time",
    "lr_staircase",
    "random_mini_batches",
    "relu",
    "relu_grad",
    "sigmoid",
    "sigmoid_grad",
    "xavier_init",
]
