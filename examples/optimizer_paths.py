"""The reference optimizers at work: paths on f(x, y) = x²/20 + y² from (-7, 2).

Run with ``python examples/optimizer_paths.py``. The table is what the course notes draw: SGD
zig-zags across the valley, Momentum overshoots and comes back, AdaGrad, RMSProp and Adam adapt
the step per coordinate.
"""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

import solutions
from solutions.surface import LEARNING_RATES, f, path


def main() -> None:
    # Learning rates from the notes' comparison figure.
    optimizers = {name: getattr(solutions, name)(lr=lr) for name, lr in LEARNING_RATES.items()}
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
