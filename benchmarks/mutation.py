"""Mutation analysis of the hidden suites: single-point changes of the reference, graded by the CLI.

Each mutant is the reference file of an assignment (``solutions/<assignment>.py``) with exactly
one change: an arithmetic or comparison operator, an augmented assignment (``-=`` for ``+=``), a
numeric constant (a default argument included), a dropped unary minus, or two neighbouring
parameters swapped in a signature. Every mutant of an assignment is graded in one batch through
``optigrade grade``, as a TA grades students, and then classified:

* **killed**: some item lost points (or the submission could not be graded);
* **equivalent**: full marks, and the mutant gives the reference's results on many random calls
  beyond the suite's own (so no test could tell them apart: not a gap of the suite);
* **survived**: full marks although random calls tell it from the reference (a gap).

Usage: ``python benchmarks/mutation.py [--assignment A ...] [--keep DIR]`` (``make
bench-mutation``). Prints a table per assignment and the survivors; exits 1 if any survive.
"""

from __future__ import annotations

import argparse
import ast
import copy
import importlib.util
import shutil
import subprocess
import sys
import tempfile
import types
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from gradebook_diagnoses import diagnoses  # noqa: E402

import solutions  # noqa: E402

_SWAPS: dict[type, tuple[type, ...]] = {
    ast.Add: (ast.Sub,),
    ast.Sub: (ast.Add,),
    ast.Mult: (ast.Div,),
    ast.Div: (ast.Mult, ast.FloorDiv),
    ast.Pow: (ast.Mult,),
    ast.Lt: (ast.LtE,),
    ast.LtE: (ast.Lt,),
    ast.Gt: (ast.GtE,),
    ast.GtE: (ast.Gt,),
}


@dataclass(frozen=True)
class Mutant:
    name: str  # e.g. "L123 Add->Sub"
    source: str


def _constants(value: object) -> tuple[object, ...]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return ()
    if isinstance(value, int):
        return (value + 1,) if value else (1,)
    return (value * 10,) if value else (1.0,)


def _targets(tree: ast.Module) -> Iterator[tuple[ast.AST, str]]:
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef))
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) in docstrings:
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)) or getattr(node, "lineno", 0) == 0:
            continue
        yield node, f"L{getattr(node, 'lineno', '?')}"


def mutants(source: str) -> list[Mutant]:
    """Every single-point change of ``source``, each unparsed to a full module."""
    tree = ast.parse(source)
    found: list[Mutant] = []
    count = sum(1 for _ in _targets(tree))
    for index in range(count):
        for change in _changes_at(tree, index):
            found.append(change)
    return found


def _changes_at(tree: ast.Module, index: int) -> Iterator[Mutant]:
    node, where = list(_targets(tree))[index]
    edits: list[tuple[str, Callable[[ast.AST], None]]] = []
    if isinstance(node, (ast.BinOp, ast.AugAssign)):
        for new in _SWAPS.get(type(node.op), ()):
            edits.append((f"{type(node.op).__name__}->{new.__name__}", _set_op(new)))
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        for new in _SWAPS.get(type(node.ops[0]), ()):
            edits.append((f"{type(node.ops[0]).__name__}->{new.__name__}", _set_cmp(new)))
    if isinstance(node, ast.Constant):
        for value in _constants(node.value):
            edits.append((f"{node.value!r}->{value!r}", _set_value(value)))
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        edits.append(("drop unary -", None))
    if isinstance(node, ast.FunctionDef):
        names = [a.arg for a in node.args.args]
        for i in range(len(names) - 1):
            if "self" not in names[i : i + 2]:
                edits.append((f"swap {names[i]}/{names[i + 1]} in {node.name}", _swap_args(i)))
    for label, edit in edits:
        mutated = copy.deepcopy(tree)
        target, _ = list(_targets(mutated))[index]
        if edit is None:
            _replace(mutated, target, target.operand)
        else:
            edit(target)
        yield Mutant(f"{where} {label}", ast.unparse(ast.fix_missing_locations(mutated)))


def _set_op(new: type) -> Callable[[ast.AST], None]:
    return lambda node: setattr(node, "op", new())


def _set_cmp(new: type) -> Callable[[ast.AST], None]:
    return lambda node: setattr(node, "ops", [new()])


def _set_value(value: object) -> Callable[[ast.AST], None]:
    return lambda node: setattr(node, "value", value)


def _swap_args(i: int) -> Callable[[ast.AST], None]:
    def swap(node: ast.AST) -> None:
        args = node.args.args
        args[i], args[i + 1] = args[i + 1], args[i]
        # Defaults align with the last parameters: swap them along when both have one.
        first_default = len(args) - len(node.args.defaults)
        if i >= first_default:
            d = node.args.defaults
            j = i - first_default
            d[j], d[j + 1] = d[j + 1], d[j]

    return swap


def _replace(tree: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for parent in ast.walk(tree):
        for name, value in ast.iter_fields(parent):
            if value is old:
                setattr(parent, name, new)
            elif isinstance(value, list):
                parent_list = value
                for k, item in enumerate(parent_list):
                    if item is old:
                        parent_list[k] = new


# -- equivalence: the mutant against the reference on random calls ------------------------------


def _load(path: Path, name: str) -> types.ModuleType | None:
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except Exception:
        return None
    return module


def _outcome(call: Callable[[], Any]) -> Any:
    with np.errstate(all="ignore"):
        try:
            return ("ok", call())
        except Exception as exc:
            return ("raised", type(exc).__name__)


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) or isinstance(b, str) or a is None or b is None:
        return a == b
    try:
        x, y = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    except (TypeError, ValueError):
        return a == b
    return x.shape == y.shape and bool(np.allclose(x, y, rtol=1e-12, atol=0, equal_nan=True))


def _optimizer_calls(rng: np.random.Generator) -> Iterator[Callable[[Any], Any]]:
    signatures = {
        "SGD": ("lr",),
        "Momentum": ("lr", "momentum"),
        "AdaGrad": ("lr", "eps"),
        "RMSProp": ("lr", "beta", "eps"),
        "Adam": ("lr", "beta1", "beta2", "eps"),
    }
    for name, params in signatures.items():
        for trial in range(12):
            values = [float(rng.uniform(0.05, 0.95)) for _ in params]
            scale = 10.0 ** rng.integers(-8, 4)
            mode, seed = trial % 3, int(rng.integers(1 << 30))

            def run(
                module: Any,
                name: str = name,
                values: list = values,
                mode: int = mode,
                scale: float = scale,
                seed: int = seed,
            ) -> Any:
                cls = getattr(module, name)
                opt = (
                    cls()
                    if mode == 0
                    else cls(*values)
                    if mode == 1
                    else cls(**dict(zip(signatures[name], values, strict=True)))
                )
                local = np.random.default_rng(seed)
                params = {"a": local.normal(size=(3, 2)) * scale, "b": np.asarray(scale)}
                history = []
                for _ in range(6):
                    grads = {k: local.normal(size=np.shape(v)) * scale for k, v in params.items()}
                    history.append(opt.update(params, grads))
                    history.append({k: np.copy(v) for k, v in params.items()})
                return history

            yield run


def _schedule_calls(rng: np.random.Generator) -> Iterator[Callable[[Any], Any]]:
    epochs = [0, 1, 3, 999, 1000, 2500, np.array([0, 4, 1000, 1999]), np.array([2, 0]), 0.5, -1]
    for _ in range(10):
        theta = rng.normal(5, 3, size=int(rng.integers(1, 30)))
        beta = float(rng.uniform(0.1, 0.99))
        yield lambda m, t=theta: m.ewma(t)
        yield lambda m, t=theta, b=beta: m.ewma(t, b, True)
        yield lambda m, t=theta, b=beta: m.ewma(list(np.round(t).astype(int)), beta=b)
    for epoch in epochs:
        lr0, rate = float(rng.uniform(0.01, 1)), float(rng.uniform(0.1, 3))
        for fn in ("lr_inverse_time", "lr_exponential", "lr_inverse_sqrt", "lr_staircase"):
            yield lambda m, fn=fn, e=epoch, lr0=lr0: getattr(m, fn)(lr0, e)
            yield lambda m, fn=fn, e=epoch, lr0=lr0, r=rate: getattr(m, fn)(lr0, e, r)
        yield lambda m, e=epoch, lr0=lr0, r=rate: m.lr_staircase(lr0, e, r, 7)
    for m_examples, size in ((150, 64), (10, 3), (64, 64), (5, 100)):
        X = rng.normal(size=(2, m_examples))
        yield lambda m, X=X: m.random_mini_batches(X, X[:1])
        yield lambda m, X=X, s=size: m.random_mini_batches(X, X[:1], s, 11)


def _init_calls(rng: np.random.Generator) -> Iterator[Callable[[Any], Any]]:
    x = np.concatenate([rng.normal(size=20) * 3, [0.0, -0.0, 1e-9, -1e-9, 50, -50]])
    for fn in ("relu", "relu_grad", "leaky_relu", "elu", "sigmoid", "sigmoid_grad"):
        yield lambda m, fn=fn: getattr(m, fn)(x)
        yield lambda m, fn=fn: getattr(m, fn)([-2, 0, 3])
    yield lambda m: m.leaky_relu(x, 0.3)
    yield lambda m: m.elu(x, 2.5)
    for n_in, n_out in ((3, 5), (40, 7), (1, 1)):
        for fn in ("xavier_init", "he_init"):
            yield lambda m, fn=fn, a=n_in, b=n_out: getattr(m, fn)(a, b, np.random.default_rng(5))


_CALLS = {"optimizers": _optimizer_calls, "schedules": _schedule_calls, "init": _init_calls}


def equivalent(assignment: str, mutant_file: Path, reference: types.ModuleType) -> bool:
    module = _load(mutant_file, f"_mutant_{mutant_file.stem}")
    if module is None:
        return False
    for probe in _CALLS[assignment](np.random.default_rng(2024)):
        if not _same(_outcome(lambda p=probe: p(reference)), _outcome(lambda p=probe: p(module))):
            return False
    return True


# -- the run -------------------------------------------------------------------------------------


def grade(assignment: str, folder: Path, out: Path) -> dict[str, dict[str, dict]]:
    command = [str(ROOT / ".venv" / "bin" / "optigrade"), "grade", "-a", assignment]
    command += ["--out", str(out), "--regrade", "--lang", "en", "--", str(folder)]
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return diagnoses(out / "gradebook.sqlite")


def analyse(assignment: str, work: Path) -> dict[str, list[str]]:
    reference_file = ROOT / "solutions" / f"{assignment}.py"
    folder = work / assignment / "mutants"
    folder.mkdir(parents=True)
    made = {}
    for index, mutant in enumerate(mutants(reference_file.read_text(encoding="utf-8"))):
        student = f"m{index:03d}"
        (folder / f"{student}.py").write_text(mutant.source, encoding="utf-8")
        made[student] = mutant.name
    results = grade(assignment, folder, work / assignment / "out")
    reference = _load(reference_file, f"_reference_{assignment}")
    verdicts: dict[str, list[str]] = {"killed": [], "equivalent": [], "survived": []}
    for student, name in made.items():
        items = results.get(student, {})
        full = bool(items) and all(
            e.get("score") is not None and e["score"] >= e["max"] - 1e-9 for e in items.values()
        )
        if not full:
            verdicts["killed"].append(name)
        elif equivalent(assignment, folder / f"{student}.py", reference):
            verdicts["equivalent"].append(name)
        else:
            verdicts["survived"].append(name)
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", action="append", choices=sorted(solutions.ASSIGNMENTS))
    parser.add_argument("--keep", type=Path, help="keep the mutants and outputs in this folder")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="optigrade-mutation-"))
    totals = {"killed": 0, "equivalent": 0, "survived": 0}
    survivors = []
    try:
        for assignment in args.assignment or list(solutions.ASSIGNMENTS):
            verdicts = analyse(assignment, work)
            counts = {k: len(v) for k, v in verdicts.items()}
            for k, n in counts.items():
                totals[k] += n
            print(f"{assignment:>11}: {counts}")
            survivors += [f"{assignment}: {name}" for name in verdicts["survived"]]
            for name in verdicts["equivalent"]:
                print(f"{'':>11}  equivalent: {name}")
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    wrong = totals["killed"] + totals["survived"]
    print(f"{'all':>11}: {totals}; mutation score {totals['killed']}/{wrong} non-equivalent killed")
    for line in survivors:
        print(f"  survived: {line}")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
