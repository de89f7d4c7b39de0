"""The reference's side of a suite, computed once per grading process and reused.

Every submission of a batch meets the same scenarios, so a grading process computes each
expected value (the reference's result, a variant's result, which mistakes a test rules out)
once instead of once per student, and keeps the reference's call trace of each scenario: the
*plan* every sandbox replays up front (:mod:`autograder.speedups.replay`). Scenarios are
deterministic by contract (their inputs come from their own seeds); an unhashable scenario is
simply not cached, and its trace is not planned.

A :class:`ReferenceRuns` belongs to one grading process (held by its
:class:`~autograder.speedups.Speedups`). The worker server makes one by grading the reference
first (``engine.prepare_suite``) and its workers inherit it by fork; ``made_for`` says which
suite it was made for, so that a worker given another suite makes its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np

import solutions
from autograder.speedups.replay import Plan, Recorder, Trace

Scenario = Callable[[Any], Any]

#: Cached results per process: far above what a suite needs (a few hundred), a bound on a
#: scenario that would make a new key per submission.
CACHE_LIMIT = 20_000


class ReferenceRuns:
    """The reference's results and traces for one suite, and what they rule out."""

    def __init__(self, limit: int = CACHE_LIMIT) -> None:
        self._results: dict[tuple[str, Any], Any] = {}
        self._limit = limit
        #: The traces of the cached reference runs, in the suite's order.
        self.plan = Plan()
        #: For each test (by its name in the suite, ``test_x[case]``), the known mistakes that
        #: would fail it: a student who passes it made none of them. Filled by the reference's
        #: pass (which runs every test), read by :mod:`autograder.engine.diagnosis`, also for
        #: outcomes the memo answers without running the test.
        self.ruled_out_by_passing: dict[str, set[str]] = {}
        #: The (assignment, suite version) whose reference pass filled the plan, once one did.
        self.made_for: tuple[str, str] | None = None

    def forget(self) -> None:
        """Empty everything (before another suite's reference pass)."""
        self.made_for = None
        self.plan.traces.clear()
        self._results.clear()
        self.ruled_out_by_passing.clear()

    def cached(self, key: str, scenario: Scenario, compute: Callable[[], Any]) -> Any:
        """``compute()``, once per (``key``, scenario)."""
        cache_key = _cache_key(key, scenario)
        if cache_key is None:
            return compute()
        if cache_key in self._results:
            return self._results[cache_key]
        result = compute()
        if len(self._results) < self._limit:
            self._results[cache_key] = result
        return result

    def result(self, scenario: Scenario, key: str, namespace: Any) -> Any:
        """A scenario's result on trusted code (the reference or a variant), computed once."""
        return self.cached(key, scenario, lambda: scenario(namespace))

    def run(self, scenario: Scenario) -> tuple[Any, Trace | None]:
        """The reference's result and its recorded call trace (for replay), computed once."""
        cache_key = _cache_key("reference+trace", scenario)
        if cache_key is not None and cache_key in self._results:
            return self._results[cache_key]
        recorder = Recorder(solutions)
        result = scenario(recorder)
        try:
            trace: Trace | None = recorder.finish()
        except (TypeError, ValueError, OverflowError):
            trace = None  # an argument that is not plain data: this scenario runs live
        if cache_key is not None and len(self._results) < self._limit:
            self._results[cache_key] = (result, trace)
            if trace is not None:
                # Only a cached trace: the plan must not grow with every submission.
                self.plan.add(trace)
        return result, trace


def _cache_key(key: str, scenario: Scenario) -> tuple[str, Any] | None:
    # A dataclass scenario is identified by the exact values of its fields (dict fields make it
    # unhashable as it is); anything else by itself, if hashable. A function kept as a key
    # cannot be freed, so its identity is never reused by another.
    if dataclasses.is_dataclass(scenario) and not isinstance(scenario, type):
        fields = _frozen([getattr(scenario, f.name) for f in dataclasses.fields(scenario)])
        identity = (type(scenario).__module__, type(scenario).__qualname__, fields)
    else:
        identity = scenario
    try:
        hash(identity)
    except TypeError:
        return None
    return (key, identity)


def _frozen(value: Any) -> Any:
    """An exact, hashable image of plain data: arrays by their bytes, never by their repr
    (which rounds and elides, so two different arrays could share one)."""
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, dict):
        return ("dict", tuple((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, tuple(_frozen(v) for v in value))
    if isinstance(value, (set, frozenset)):
        return ("set", frozenset(_frozen(v) for v in value))
    return value
