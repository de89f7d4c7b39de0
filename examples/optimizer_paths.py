"""The reference optimizers at work: paths on f(x, y) = x²/20 + y² from (-7, 2).

Run with ``python examples/optimizer_paths.py``. The table is what the course notes draw: SGD
zig-zags across the valley, Momentum overshoots and comes back, AdaGrad, RMSProp and Adam adapt
the step per coordinate.
"""

from __future__ import annotations

import numpy as np
from rich.console import Console
from rich.table import Table

from solutions import SGD, AdaGrad, Adam, Momentum, RMSProp


def f(x: float, y: float) -> float:
    return x**2 / 20 + y**2


def grad_f(x: float, y: float) -> tuple[float, float]:
    return x / 10, 2 * y


def path(
    optimizer: object, steps: int = 30, start: tuple[float, float] = (-7.0, 2.0)
) -> np.ndarray:
    """The points visited by ``optimizer`` in ``steps`` updates, starting point included."""
    params = {"x": np.array(start[0]), "y": np.array(start[1])}
    points = [start]
    for _ in range(steps):
        gx, gy = grad_f(float(params["x"]), float(params["y"]))
        optimizer.update(params, {"x": np.array(gx), "y": np.array(gy)})  # type: ignore[attr-defined]
        points.append((float(params["x"]), float(params["y"])))
    return np.array(points)


def main() -> None:
    # Learning rates from the notes' comparison figure.
    optimizers = {
        "SGD": SGD(lr=0.95),
        "Momentum": Momentum(lr=0.1),
        "AdaGrad": AdaGrad(lr=1.5),
        "RMSProp": RMSProp(lr=0.2),
        "Adam": Adam(lr=0.3),
    }
    steps = (0, 1, 2, 5, 10, 20, 30)
    table = Table(title="f(x, y) = x²/20 + y²  from (-7, 2): (x, y) after t updates")
    table.add_column("t", justify="right")
    paths = {name: path(opt) for name, opt in optimizers.items()}
    for name in paths:
        table.add_column(name, justify="right")
    for t in steps:
        table.add_row(str(t), *(f"({p[t, 0]:6.3f}, {p[t, 1]:6.3f})" for p in paths.values()))
    table.add_row("f", *(f"{f(*p[-1]):.2e}" for p in paths.values()))
    Console().print(table)


if __name__ == "__main__":
    main()
