"""The course's picture of the optimizers: f(x, y) = x²/20 + y², starting from (-7, 2).

The valley is twenty times flatter along x than along y, so plain SGD zig-zags across it while
Momentum overshoots and comes back and AdaGrad, RMSProp and Adam adapt the step per coordinate
(the lecture notes' comparison figure). ``examples/optimizer_paths.py`` prints the reference's
paths; the feedback page draws a student's path next to the reference's
(``autograder/engine/pictures.py``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

START = (-7.0, 2.0)
#: The learning rates of the notes' comparison figure, per optimizer.
LEARNING_RATES = {"SGD": 0.95, "Momentum": 0.1, "AdaGrad": 1.5, "RMSProp": 0.2, "Adam": 0.3}


def f(x: float, y: float) -> float:
    return x**2 / 20 + y**2


def grad_f(x: float, y: float) -> tuple[float, float]:
    return x / 10, 2 * y


def coordinate(value: Any) -> float:
    """A parameter as a float: a number or an array of one element (anything else raises)."""
    return float(np.asarray(value, dtype=float).reshape(()))


def visits(
    optimizer: Any, steps: int = 30, start: tuple[float, float] = START
) -> Iterator[tuple[float, float]]:
    """The points visited by ``optimizer`` in ``steps`` updates, starting point first, one at
    a time (a caller may stop at a point it cannot use).

    ``params`` holds 0-d arrays ``x`` and ``y``; after each ``update`` both are read back, so
    an optimizer that updates in place and one that rebinds ``params[k]`` draw the same path.
    """
    params = {"x": np.array(start[0]), "y": np.array(start[1])}
    yield start
    for _ in range(steps):
        gx, gy = grad_f(coordinate(params["x"]), coordinate(params["y"]))
        optimizer.update(params, {"x": np.array(gx), "y": np.array(gy)})
        yield coordinate(params["x"]), coordinate(params["y"])


def path(optimizer: Any, steps: int = 30, start: tuple[float, float] = START) -> np.ndarray:
    """The points of :func:`visits` as an array of shape ``(steps + 1, 2)``."""
    return np.array(list(visits(optimizer, steps, start)))
