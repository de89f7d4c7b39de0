"""Verdicts do not flip with the hidden seed: every verdict is decisive.

The hidden suites draw their inputs from fixed seeds. A verdict that a tolerance edge decides
(the book's Adam with ε = 1e-7 against the spec's 1e-8 on an element that happened to be tiny)
would pass with one seed and fail with another. This test re-runs the comparison ``check.same``
makes (the student's output against the reference and the accepted equivalents, with the
suite's tolerance) with many other seeds, for every "student" whose verdict is known:

* every accepted equivalent of ``solutions.variants`` (it must pass every run);
* every known mistake (it must fail at least one run of its item, whatever the seed);
* the reference with one pinned default changed, or two parameters swapped in the signature
  (it must fail: every default is exercised by a call that relies on it, positionally too).

A verdict counts as decisive when the largest error, in units of the tolerance, is below
``1/MARGIN`` (a pass) or above ``MARGIN`` (a fail); each (student, run) must get the same
verdict for every seed. Runs of property tests (``check.holds``) are not comparisons and are left
out; their verdicts do not depend on tolerances.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import inspect
import sys
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import solutions
from autograder.engine.testing import ATOL, RTOL, reference_namespace, variant_namespace
from solutions.variants import EQUIVALENTS, MISTAKES, Variant

SUITES = Path(__file__).resolve().parents[1] / "autograder" / "suites"
SEEDS = range(1, 41)
MARGIN = 10.0

pytestmark = [
    pytest.mark.slow,  # a few minutes in all: every catalogued answer, every run, 40 seeds
    pytest.mark.filterwarnings("ignore::RuntimeWarning"),  # some mistakes overflow
]


def _suite_module(assignment: str, name: str) -> types.ModuleType:
    folder = str(SUITES / assignment)
    sys.path.insert(0, folder)  # the suite's own helper modules, as pytest's rootdir-less import
    try:
        spec = importlib.util.spec_from_file_location(f"_stability_{name}", f"{folder}/{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(folder)
    return module


def _parameters(test: Callable) -> list[tuple]:
    """The values of a test's ``parametrize`` marks, each case as a tuple of its arguments."""
    mark = next(m for m in test.pytestmark if m.name == "parametrize")
    return [tuple(p.values) if hasattr(p, "values") else (p,) for p in mark.args[1]]


# -- the runs, as functions of a seed ------------------------------------------------------------

Family = Callable[[int], Callable[[Any], Any]]


def optimizer_families() -> dict[str, dict[str, Family]]:
    suite = _suite_module("optimizers", "test_optimizers")
    families: dict[str, dict[str, Family]] = {}
    for name, test in vars(suite).items():
        if not name.startswith("test_") or not hasattr(test, "pytestmark"):
            continue
        # Each case is a run of one optimizer (the tests are parametrised over the optimizers).
        for (run,) in _parameters(test):
            family = families.setdefault(run.optimizer, {})
            family[str(run)] = functools.partial(_reseeded, run)
    return families


def _reseeded(run: Any, seed: int) -> Any:
    return dataclasses.replace(run, seed=run.seed + 1000 * seed)


def schedule_families() -> dict[str, dict[str, Family]]:
    suite = _suite_module("schedules", "test_schedules")
    ewma: dict[str, Family] = {}
    for bias_correction in (False, True):
        for beta in suite.BETAS:
            for length, sequence in (
                ("short", suite.short_sequence),
                ("long", suite.long_sequence),
            ):
                ewma[f"{length}-{beta}-{bias_correction}"] = functools.partial(
                    _ewma_run, suite, sequence, beta, bias_correction
                )
    ewma["positional"] = functools.partial(_ewma_run, suite, suite.short_sequence, 0.5, True)
    ewma["default-beta"] = functools.partial(_ewma_run, suite, suite.short_sequence, None, None)
    families = {"ewma": ewma}
    for function, calls in suite.SCHEDULES.items():
        families[function] = {
            f"{args[1:]}-{kwargs}": functools.partial(_schedule_run, suite, function, args, kwargs)
            for args, kwargs in calls
        }
    families["random_mini_batches"] = {
        f"{m}-{size}": functools.partial(_batches_run, suite, m, size)
        for m, size in ((150, 64), (33, 8), (150, None))
    }
    return families


def _ewma_run(
    suite: Any, sequence: Callable, beta: float | None, bc: bool | None, seed: int
) -> Any:
    if beta is None:  # the defaults
        return suite.call("ewma", list(sequence(7100 + seed)))
    return suite.call("ewma", sequence(7100 + seed), beta, bc)


def _schedule_run(suite: Any, function: str, args: tuple, kwargs: dict, seed: int) -> Any:
    # Another initial rate for every seed: the epochs and arguments are the suite's own.
    lr0 = float(np.random.default_rng(seed).uniform(0.01, 1.0))
    return suite.call(function, lr0, *args[1:], **kwargs)


def _batches_run(suite: Any, m: int, size: int | None, seed: int) -> Any:
    X, Y = suite.examples(m, seed=7200 + seed)
    if size is None:  # the defaults, and the two numbers by position
        return lambda impl: [
            impl.random_mini_batches(X, Y),
            impl.random_mini_batches(X, Y, 16, 7250 + seed),
        ]
    return suite.call("random_mini_batches", X, Y, batch_size=size, seed=seed)


# -- the margin of a verdict ---------------------------------------------------------------------


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key in sorted(value, key=str):
            yield from _leaves(value[key], f"{path}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        yield f"{path}#len", len(value)
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def error_in_tolerances(received: Any, expected: Any) -> float:
    """The largest error of ``received`` in units of the suite's tolerance (∞ if the shapes or
    types differ or anything is NaN); at most 1 passes."""
    got, want = dict(_leaves(received)), dict(_leaves(expected))
    if got.keys() != want.keys():
        return np.inf
    worst = 0.0
    for key, e in want.items():
        r = got[key]
        if e is None or isinstance(e, (str, bool)) or r is None or isinstance(r, (str, bool)):
            if not (r == e and type(r) is type(e)):
                return np.inf
            continue
        r_arr, e_arr = np.asarray(r, dtype=float), np.asarray(e, dtype=float)
        if r_arr.shape != e_arr.shape:
            return np.inf
        with np.errstate(invalid="ignore", over="ignore"):
            same = r_arr == e_arr
            error = np.where(same, 0.0, np.abs(r_arr - e_arr) / (ATOL + RTOL * np.abs(e_arr)))
        if np.isnan(error).any():
            return np.inf
        worst = max(worst, float(error.max(initial=0.0)))
    return worst


def margin(student: Any, item: str, run: str, seed: int) -> float:
    """What ``check.same`` decides for ``student``: the error against the closest accepted
    answer (the reference or an equivalent), in tolerances; ∞ when the student raises."""
    try:
        received = FAMILIES[item][run](seed)(student)
    except Exception:
        return np.inf
    return min(error_in_tolerances(received, answer) for answer in accepted(item, run, seed))


@functools.cache
def accepted(item: str, run: str, seed: int) -> list[Any]:
    """The results of the reference and of the item's equivalents on a run (the same for every
    student, so computed once)."""
    scenario = FAMILIES[item][run](seed)
    answers = [reference_namespace()] + [variant_namespace(v) for v in EQUIVALENTS.get(item, [])]
    return [scenario(answer) for answer in answers]


# -- the students --------------------------------------------------------------------------------


def _changed_defaults(item: str) -> Iterator[tuple[str, Any]]:
    """The reference of ``item`` with one pinned default changed, for each default."""
    impl = getattr(solutions, item)
    target = impl.__init__ if isinstance(impl, type) else impl
    parameters = list(inspect.signature(target).parameters.values())
    for parameter in parameters:
        default = parameter.default
        if default is inspect.Parameter.empty or isinstance(default, bool):
            continue
        if isinstance(default, int):
            others = (default + 1, default * 2)
        elif 0 < default < 1:  # a β: twice as far from 1
            others = (1 - 2 * (1 - default),)
        else:
            others = (default * 10,)
        for other in dict.fromkeys(o for o in others if o != default):
            changed = [
                p.replace(default=other) if p.name == parameter.name else p for p in parameters
            ]
            yield f"{item}:{parameter.name}={other!r}", _resigned(impl, changed)


def _swapped_parameters(item: str) -> Iterator[tuple[str, Any]]:
    """The reference with two neighbouring parameters swapped in its signature."""
    impl = getattr(solutions, item)
    target = impl.__init__ if isinstance(impl, type) else impl
    parameters = list(inspect.signature(target).parameters.values())
    names = [p.name for p in parameters]
    for i in range(len(parameters) - 1):
        if parameters[i].default is inspect.Parameter.empty or names[i] == "self":
            continue
        swapped = [*parameters[:i], parameters[i + 1], parameters[i], *parameters[i + 2 :]]
        yield f"{item}:swapped {names[i]}/{names[i + 1]}", _resigned(impl, swapped)


def _resigned(impl: Any, parameters: list[inspect.Parameter]) -> Any:
    """``impl`` behind another signature: arguments are bound by it, then passed by name."""
    signature = inspect.Signature(parameters)

    def bound(args: tuple, kwargs: dict) -> dict:
        arguments = signature.bind(*args, **kwargs)
        arguments.apply_defaults()
        return dict(arguments.arguments)

    if isinstance(impl, type):

        def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
            named = bound((self, *args), kwargs)
            named.pop("self")
            impl.__init__(self, **named)

        return type(impl.__name__, (impl,), {"__init__": __init__})
    return lambda *args, **kwargs: impl(**bound(args, kwargs))


def _namespace(item: str, impl: Any) -> types.SimpleNamespace:
    return variant_namespace(Variant("mutant", item, impl, None))


FAMILIES = optimizer_families() | schedule_families()


def students() -> list[Any]:
    cases = []
    for kind, catalogue in (("equivalent", EQUIVALENTS), ("mistake", MISTAKES)):
        for item, variants in catalogue.items():
            if item in FAMILIES:
                cases += [pytest.param(kind, item, variant_namespace(v), id=v.id) for v in variants]
    for item in FAMILIES:
        for name, impl in [*_changed_defaults(item), *_swapped_parameters(item)]:
            cases.append(pytest.param("mistake", item, _namespace(item, impl), id=name))
    return cases


@pytest.mark.parametrize(("kind", "item", "student"), students())
def test_every_verdict_is_decisive_and_the_same_for_every_seed(kind, item, student):
    verdicts: dict[str, set[bool]] = {}
    undecided: list[str] = []
    failed_somewhere: list[bool] = []
    for seed in SEEDS:
        failed = False
        for run in FAMILIES[item]:
            error = margin(student, item, run, seed)
            if 1 / MARGIN < error < MARGIN:
                undecided.append(f"{run} seed {seed}: {error:.3g} tolerances")
            verdicts.setdefault(run, set()).add(error <= 1)
            failed |= error > 1
        failed_somewhere.append(failed)
    flips = sorted(run for run, seen in verdicts.items() if len(seen) > 1)
    assert not flips, f"the verdict depends on the seed in runs {flips}"
    assert not undecided, f"verdicts within a factor {MARGIN} of the tolerance: {undecided[:5]}"
    if kind == "equivalent":
        assert all(True in seen and len(seen) == 1 for seen in verdicts.values())
    else:
        assert all(failed_somewhere), "no run of the item detects it"
