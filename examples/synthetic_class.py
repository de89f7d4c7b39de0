"""A synthetic class of submissions, for the demo, the tests and the grading benchmark.

``python examples/synthetic_class.py OUT_DIR --assignment optimizers -n 40`` writes OUT_DIR
full of notebooks as students hand them in: mostly correct (in several styles), some with a
classic mistake (a mutation of the reference, e.g. Adam without bias correction), and a few
broken or hostile ones (syntax error, infinite loop, ``os._exit``, output flood, memory bomb,
not a notebook at all, nbformat 3). The mix is seeded, so the same arguments give the same
class.
"""

from __future__ import annotations

import argparse
import inspect
import json
import random
import textwrap
from collections.abc import Callable
from pathlib import Path

import nbformat

import solutions
from solutions import init, optimizers, schedules

MODULES = {"optimizers": optimizers, "schedules": schedules, "init": init}
HELPERS = {"optimizers": ("Arrays", "_zeros_like_each"), "schedules": ("_as_result",), "init": ()}

# Mutations of the reference text: (item, old, new). Each is a classic student mistake.
MUTATIONS: dict[str, list[tuple[str, str, str]]] = {
    "optimizers": [
        ("Adam", "m_hat = self.m[key] / (1 - self.beta1**self.t)", "m_hat = self.m[key]"),
        ("Adam", "v_hat = self.v[key] / (1 - self.beta2**self.t)", "v_hat = self.v[key]"),
        ("AdaGrad", "self.h[key] += grads[key] * grads[key]", "self.h[key] += grads[key]"),
        (
            "RMSProp",
            "self.h[key] = self.beta * self.h[key] + (1 - self.beta) * g * g",
            "self.h[key] = (1 - self.beta) * self.h[key] + self.beta * g * g",
        ),
        ("Momentum", "params[key] += self.v[key]", "params[key] -= self.v[key]"),
        ("SGD", "params[key] -= self.lr * grads[key]", "params[key] += self.lr * grads[key]"),
    ],
    "schedules": [
        (
            "ewma",
            "v[t - 1] = running / (1 - beta**t) if bias_correction else running",
            "v[t - 1] = running / (1 - beta**(t - 1) + 1e-12) if bias_correction else running",
        ),
        (
            "lr_staircase",
            "np.floor(np.asarray(epoch, dtype=float) / time_interval)",
            "np.asarray(epoch, dtype=float) / time_interval",
        ),
        (
            "lr_exponential",
            "np.power(base, np.asarray(epoch, dtype=float))",
            "base * np.asarray(epoch, dtype=float)",
        ),
    ],
    "init": [
        ("sigmoid_grad", "return s * (1.0 - s)", "return s * (1.0 - np.asarray(x, dtype=float))"),
        ("he_init", "np.sqrt(4.0 / (n_in + n_out))", "np.sqrt(2.0 / n_in)"),
        (
            "leaky_relu",
            "return np.where(x > 0, x, alpha * x)",
            "return np.where(x > 0, alpha * x, x)",
        ),
    ],
}

BROKEN: dict[str, Callable[[list[str]], list[str] | str | bytes]] = {
    "syntax_error": lambda cells: [*cells[:2], "def oops(:\n    pass\n", *cells[2:]],
    "missing_item": lambda cells: cells[:-1],
    "infinite_loop": lambda cells: [*cells[:2], "while True:\n    pass\n", *cells[2:]],
    "sleep": lambda cells: [*cells, "import time\ntime.sleep(3600)\n"],
    "os_exit": lambda cells: [*cells[:1], "import os\nos._exit(1)\n", *cells[1:]],
    "sys_exit": lambda cells: [*cells, "import sys\nsys.exit(0)\n"],
    "output_flood": lambda cells: [*cells, "for i in range(10**6):\n    print('spam' * 10)\n"],
    "memory_bomb": lambda cells: [*cells, "hog = [bytearray(10**8) for _ in range(10**3)]\n"],
    "exception_in_cell": lambda cells: [
        *cells[:1],
        "raise RuntimeError('half-finished cell')\n",
        *cells[1:],
    ],
    "magics": lambda cells: ["%matplotlib inline\n!pip install numpy\n", *cells],
    "not_a_notebook": lambda cells: "this is not JSON {",
    "binary": lambda cells: bytes(range(256)) * 40,
    "empty": lambda cells: b"",
}


def item_sources(assignment: str) -> dict[str, str]:
    module = MODULES[assignment]
    return {
        item: inspect.getsource(getattr(module, item)) for item in solutions.ASSIGNMENTS[assignment]
    }


def preamble(assignment: str) -> str:
    module = MODULES[assignment]
    lines = ["import numpy as np", "from numpy.typing import ArrayLike"]
    for name in HELPERS[assignment]:
        obj = getattr(module, name)
        lines.append(
            f"{name} = dict[str, np.ndarray]" if name == "Arrays" else inspect.getsource(obj)
        )
    return "\n".join(lines) + "\n"


def restyle(source: str, rng: random.Random) -> str:
    """Equivalent rewrites students produce: rebinding instead of in-place, renamed locals."""
    if rng.random() < 0.5:
        source = source.replace("params[key] -= ", "params[key] = params[key] - ")
    if rng.random() < 0.3:
        source = source.replace("for key in params:", "for key in list(params.keys()):")
    return source


def notebook(cells: list[str], version: int = 4) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells.append(nbformat.v4.new_markdown_cell("# 과제 / Assignment"))
    for index, source in enumerate(cells):
        nb.cells.append(nbformat.v4.new_code_cell(source, id=f"cell-{index}"))
        check = nbformat.v4.new_code_cell('check("all")\n', id=f"check-{index}")
        check.metadata["optigrade"] = {"role": "check", "item": None}
        nb.cells.append(check)
    if version == 3:
        nb = nbformat.convert(nb, 3)
    return nbformat.writes(nb, version=version)


def make_class(
    out: Path,
    assignment: str,
    count: int,
    seed: int = 0,
    mistake_rate: float = 0.2,
    broken_rate: float = 0.08,
) -> dict[str, str]:
    """Write ``count`` submissions into ``out``; return each student's category."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    sources = item_sources(assignment)
    categories: dict[str, str] = {}
    broken_kinds = list(BROKEN)
    for index in range(count):
        student = f"student{index:04d}"
        cells = [preamble(assignment)] + [restyle(src, rng) for src in sources.values()]
        roll = rng.random()
        suffix, payload = ".ipynb", None
        if roll < broken_rate:
            kind = broken_kinds[index % len(broken_kinds)]
            result = BROKEN[kind](cells)
            category = f"broken:{kind}"
            if isinstance(result, (str, bytes)):
                payload = result
            else:
                cells = result
        elif roll < broken_rate + mistake_rate:
            item, old, new = rng.choice(MUTATIONS[assignment])
            position = 1 + list(sources).index(item)
            cells[position] = cells[position].replace(old, new)
            category = f"mistake:{item}"
        else:
            category = "correct"
            if rng.random() < 0.15:
                suffix = ".py"
        path = out / f"{student}{suffix}"
        if payload is not None:
            path.write_bytes(payload if isinstance(payload, bytes) else payload.encode())
        elif suffix == ".py":
            path.write_text("\n# %%\n".join(cells), encoding="utf-8")
        else:
            version = 3 if category == "correct" and rng.random() < 0.05 else 4
            path.write_text(notebook(cells, version), encoding="utf-8")
        categories[student] = category
    (out / "categories.json").write_text(json.dumps(categories, indent=1), encoding="utf-8")
    return categories


def main() -> None:
    parser = argparse.ArgumentParser(
        description=textwrap.dedent(__doc__ or "").strip().splitlines()[0]
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--assignment", default="optimizers", choices=sorted(MODULES))
    parser.add_argument("-n", "--count", type=int, default=40)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    categories = make_class(args.out, args.assignment, args.count, args.seed)
    print(f"wrote {len(categories)} submissions to {args.out}")


if __name__ == "__main__":
    main()
