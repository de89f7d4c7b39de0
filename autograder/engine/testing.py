"""What a hidden test uses: the ``check`` helper and the failure it raises.

A hidden test is an ordinary pytest function. It receives the ``student`` fixture (the
submission, running in its sandbox: ``student.Adam(lr=0.1)`` builds an object there, calls on
it run there), the ``reference`` fixture (the ``solutions`` package) and ``check``. The usual
shape is a *scenario*, a function of an implementation namespace that returns what to compare::

    def adam_three_steps(impl):
        opt = impl.Adam(lr=0.05)
        params = {"w": np.array([1.0, -2.0])}
        for g in ([0.1, 0.2], [0.3, -0.1], [0.0, 0.5]):
            opt.update(params, {"w": np.array(g)})
        return params["w"]

    def test_adam_carries_state(check):
        check.same(adam_three_steps, case=Case(ko="세 번 update", en="three updates"))

``check.same`` runs the scenario on the reference and on the student's code and compares
element-wise. When they differ it tries the accepted equivalents of the item (the student
passes if one matches) and then the known mistakes, both from ``solutions.variants``: the
failure records which mistakes the student's result matches on this run and which of them the
run cannot tell apart (:func:`run_evidence`); :mod:`autograder.engine.diagnosis` names a mistake
only
when the evidence of all the item's failing runs singles it out. Every failure is a
:class:`Failure` carrying structured, bilingual facts for the feedback: the case, the inputs in
brief, expected, received, the first differing element, the diagnosed mistake, the student's
traceback.
"""

from __future__ import annotations

import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import solutions
from autograder.engine.proxy import StudentProxy
from autograder.sandbox.client import MissingName, SandboxFailure, StudentError
from autograder.speedups.reference import ReferenceRuns, Scenario
from autograder.speedups.replay import Diverged, Replayer, Trace
from optigrade.i18n import Text
from solutions.variants import EQUIVALENTS, MISTAKES, Variant

RTOL, ATOL = 1e-6, 1e-10


@dataclass(frozen=True)
class Case:
    """A test case as the student will read it: in words, and its inputs (described briefly)."""

    ko: str
    en: str
    inputs: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> Text:
        return Text(ko=self.ko, en=self.en)


class Failure(AssertionError):
    """A failed hidden test, with the facts the feedback is written from (plain data only)."""

    def __init__(self, kind: str, case: Case, **facts: Any) -> None:
        self.kind, self.case, self.facts = kind, case, facts
        super().__init__(f"{kind}: {case.en} {facts}")

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "case": {"ko": self.case.ko, "en": self.case.en},
            "inputs": {k: brief(v) for k, v in self.case.inputs.items()},
            **self.facts,
        }


def brief(value: Any, items: int = 4) -> str:
    """A short description of a value: shape and first elements of arrays, nested briefly."""
    if isinstance(value, np.ndarray):
        flat = value.reshape(-1)[:items]
        head = ", ".join(
            f"{x:.6g}" if np.issubdtype(value.dtype, np.number) else str(x) for x in flat
        )
        more = ", …" if value.size > items else ""
        return f"array(shape={value.shape}, [{head}{more}])"
    if isinstance(value, dict):
        return (
            "{"
            + ", ".join(f"{k!r}: {brief(v, items)}" for k, v in list(value.items())[:items])
            + "}"
        )
    if isinstance(value, tuple) and all(type(v) is int for v in value):
        return repr(value)  # a shape, as numpy writes it: (3, 4), (4,), () for a scalar
    if isinstance(value, (list, tuple)):
        inner = ", ".join(brief(v, items) for v in value[:items])
        return f"[{inner}{', …' if len(value) > items else ''}] (length {len(value)})"
    if isinstance(value, float):
        return f"{value:.10g}"
    return repr(value)[:200]


def reference_namespace() -> types.SimpleNamespace:
    """The reference's public names, standing in for a submission."""
    return types.SimpleNamespace(**{name: getattr(solutions, name) for name in solutions.__all__})


def variant_namespace(variant: Variant) -> types.SimpleNamespace:
    """The reference with one item replaced by a variant: what a scenario runs against."""
    namespace = reference_namespace()
    setattr(namespace, variant.item, variant.impl)
    return namespace


def first_difference(
    received: Any, expected: Any, rtol: float, atol: float, path: str = "", equal_nan: bool = False
) -> dict | None:
    """``None`` when ``received`` matches ``expected`` within tolerance, else where it does not.

    ``equal_nan`` lets NaN match NaN: never for the reference (a NaN answer is wrong), but a
    known mistake that produces NaN is still recognised by its NaNs.
    """
    if isinstance(expected, dict):
        if not isinstance(received, dict) or set(map(str, received)) != set(map(str, expected)):
            return {
                "where": path or "result",
                "expected": brief(expected),
                "received": brief(received),
            }
        for key in expected:
            found = first_difference(
                received[key], expected[key], rtol, atol, f"{path}[{key!r}]", equal_nan
            )
            if found:
                return found
        return None
    if isinstance(expected, (list, tuple)):
        if not isinstance(received, (list, tuple)) or len(received) != len(expected):
            return {
                "where": path or "result",
                "expected": brief(expected),
                "received": brief(received),
            }
        for i, (r, e) in enumerate(zip(received, expected, strict=True)):
            found = first_difference(r, e, rtol, atol, f"{path}[{i}]", equal_nan)
            if found:
                return found
        return None
    if expected is None or isinstance(expected, (str, bool)):
        same = received == expected and type(received) is type(expected)
        return (
            None
            if same
            else {
                "where": path or "result",
                "expected": brief(expected),
                "received": brief(received),
            }
        )
    return _numeric_difference(received, expected, rtol, atol, path, equal_nan)


def _numeric_difference(
    received: Any, expected: Any, rtol: float, atol: float, path: str, equal_nan: bool
) -> dict | None:
    exp = np.asarray(expected, dtype=float)
    try:
        rec = np.asarray(received, dtype=float)
    except (TypeError, ValueError):
        return {"where": path or "result", "expected": brief(expected), "received": brief(received)}
    if rec.shape != exp.shape:
        return {
            "where": path or "result",
            "expected": f"shape {exp.shape}",
            "received": f"shape {rec.shape}: {brief(received)}",
        }
    # np.isclose's rule (|r - e| <= atol + rtol*|e|, infinities equal only to themselves),
    # written out: this runs hundreds of times per submission and isclose's overhead dominated.
    with np.errstate(invalid="ignore", over="ignore"):
        close = (rec == exp) | (np.abs(rec - exp) <= atol + rtol * np.abs(exp))
    if equal_nan:
        close |= np.isnan(rec) & np.isnan(exp)
    if close.all():
        return None
    index = tuple(int(i) for i in np.argwhere(~close)[0])
    where = f"{path}{list(index) if index else ''}" or "result"
    return {
        "where": where,
        "expected": f"{exp[index]:.10g}",
        "received": f"{rec[index]:.10g}",
        "mismatched": int((~close).sum()),
        "total": int(close.size),
    }


def _run_variant(reference: ReferenceRuns, scenario: Scenario, variant: Variant) -> Any:
    return reference.result(scenario, f"{variant.item}:{variant.id}", variant_namespace(variant))


@dataclass(frozen=True)
class _Raised:
    """A run that raised instead of returning: it matches only a run raising the same type."""

    exc_type: str


def _matches(a: Any, b: Any, rtol: float, atol: float) -> bool:
    """``a`` and ``b`` agree within tolerance, each relative to the other (an infinite value
    would otherwise be "close" to anything measured relative to it)."""
    if isinstance(a, _Raised) or isinstance(b, _Raised):
        return a == b
    return all(
        first_difference(x, y, rtol, atol, equal_nan=True) is None for x, y in ((a, b), (b, a))
    )


def run_evidence(
    received: Any,
    expected: Any,
    outputs: dict[str, Any],
    rtol: float = RTOL,
    atol: float = ATOL,
) -> dict[str, list[str]]:
    """What one failing run says about the known mistakes of its item.

    ``outputs`` maps each candidate mistake to its result on the run (or :class:`_Raised`).
    The answer maps every candidate the student's result matches, and the reference's does not,
    to the other candidates that this run cannot tell apart from it (their outputs agree within
    tolerance): a run where two candidates agree is no evidence for either against the other.
    """
    matching = [
        key
        for key, output in outputs.items()
        if _matches(received, output, rtol, atol) and not _matches(expected, output, rtol, atol)
    ]
    return {
        key: [
            other
            for other, output in outputs.items()
            if other != key and _matches(outputs[key], output, rtol, atol)
        ]
        for key in matching
    }


class Checker:
    """The ``check`` fixture: comparisons that fail with a :class:`Failure`."""

    def __init__(
        self,
        student: Any,
        item: str | None,
        test: str | None = None,
        reference: ReferenceRuns | None = None,
    ) -> None:
        """``reference``: the grading process's reference runs (computed once and shared by
        every check); by default a fresh one, for a check used on its own."""
        self.student, self.item, self.test = student, item, test
        self.reference = reference if reference is not None else ReferenceRuns()

    def _run_student(self, scenario: Scenario, case: Case, trace: Trace | None = None) -> Any:
        try:
            if trace is not None and isinstance(self.student, StudentProxy):
                try:
                    return self._replay(scenario, trace)
                except Diverged:
                    pass  # the scenario's calls depend on the student's answers: go live
            return scenario(self.student)
        except MissingName as exc:
            raise Failure("missing", case, name=exc.message) from None
        except StudentError as exc:
            kind = "not_implemented" if exc.exc_type == "NotImplementedError" else "exception"
            raise Failure(
                kind, case, error=f"{exc.exc_type}: {exc.message}", traceback=exc.traceback
            ) from None
        except SandboxFailure as exc:
            raise Failure(exc.reason, case, detail=exc.detail) from None

    def _replay(self, scenario: Scenario, trace: Trace) -> Any:
        sandbox = self.student.sandbox
        reply = None if trace.plan_index is None else sandbox.planned(trace.plan_index)
        if reply is None:
            reply = sandbox.replay(trace.encoded, len(trace.ops), trace.arities())
        error = reply.get("error")
        if isinstance(error, dict) and error.get("type") == "MissingName":
            raise MissingName("MissingName", str(error.get("message", "")))
        return scenario(Replayer(trace, reply, StudentError, sandbox.check_budget))

    def _variants(self, catalogue: dict[str, list[Variant]]) -> Iterator[Variant]:
        return iter(catalogue.get(self.item or "", []))

    def same(self, scenario: Scenario, case: Case, rtol: float = RTOL, atol: float = ATOL) -> None:
        """The student's scenario result equals the reference's (or an accepted equivalent's).

        A failure carries the run's *evidence* (see :func:`run_evidence`); which known mistake,
        if any, is named is decided per item once all its runs are known
        (:mod:`autograder.engine.diagnosis`).
        """
        expected, trace = self.reference.run(scenario)
        self._note_mistakes_failing(scenario, expected, rtol, atol)
        try:
            received = self._run_student(scenario, case, trace)
        except Failure as failure:
            if failure.kind == "exception":
                raised = str(failure.facts["error"]).split(":")[0]
                failure.facts["evidence"] = self._evidence(
                    scenario, _Raised(raised), expected, rtol, atol
                )
            elif failure.kind == "missing":
                failure.facts["evidence"] = {}
            raise
        difference = first_difference(received, expected, rtol, atol)
        if difference is None:
            return
        for variant in self._variants(EQUIVALENTS):
            if (
                first_difference(
                    received, _run_variant(self.reference, scenario, variant), rtol, atol
                )
                is None
            ):
                return
        evidence = self._evidence(scenario, received, expected, rtol, atol)
        raise Failure("mismatch", case, mistake=None, evidence=evidence, **difference)

    def _note_mistakes_failing(
        self, scenario: Scenario, expected: Any, rtol: float, atol: float
    ) -> None:
        if self.test is None or self.item is None:
            return

        def failing() -> set[str]:
            accepted = [expected] + [
                _run_variant(self.reference, scenario, v) for v in self._variants(EQUIVALENTS)
            ]
            found = set()
            for variant in self._variants(MISTAKES):
                try:
                    output = _run_variant(self.reference, scenario, variant)
                except Exception:
                    output = _Raised("")  # raising fails the test whatever it raises
                if not any(_matches(output, answer, rtol, atol) for answer in accepted):
                    found.add(variant.id)
            return found

        ruled_out = self.reference.cached(f"mistakes failing:{self.item}", scenario, failing)
        self.reference.ruled_out_by_passing.setdefault(self.test, set()).update(ruled_out)

    def _evidence(
        self, scenario: Scenario, received: Any, expected: Any, rtol: float, atol: float
    ) -> dict[str, list[str]]:
        outputs = {}
        for variant in self._variants(MISTAKES):
            try:
                outputs[variant.id] = _run_variant(self.reference, scenario, variant)
            except Exception as exc:  # the variant raises here: that too can match a student
                outputs[variant.id] = _Raised(type(exc).__name__)
        return run_evidence(received, expected, outputs, rtol, atol)

    def raises(self, scenario: Scenario, exc_type: str, case: Case) -> None:
        """The student's scenario raises ``exc_type`` (by name), as the reference does."""
        try:
            scenario(self.student)
        except StudentError as exc:
            if exc.exc_type == exc_type:
                return
            if exc.exc_type == "NotImplementedError":
                raise Failure("not_implemented", case, error=exc.message) from None
            raise Failure(
                "wrong_exception",
                case,
                expected=exc_type,
                received=exc.exc_type,
                traceback=exc.traceback,
            ) from None
        except MissingName as exc:
            raise Failure("missing", case, name=exc.message) from None
        except SandboxFailure as exc:
            raise Failure(exc.reason, case, detail=exc.detail) from None
        raise Failure("no_exception", case, expected=exc_type)

    def holds(self, condition: bool, case: Case, expected: Text, received: str = "") -> None:
        """A property of the student's output holds (for checks where exact values are unfair).

        ``expected`` says in both languages what should be true; ``received`` what was seen.
        """
        if not condition:
            raise Failure(
                "property", case, expected={"ko": expected.ko, "en": expected.en}, received=received
            )

    def run(self, scenario: Scenario, case: Case) -> Any:
        """Run a scenario on the student's code only (for property checks), failing cleanly."""
        try:
            # Only for its trace: the student's run then makes the same calls in one request.
            _, trace = self.reference.run(scenario)
        except Exception:
            trace = None  # a scenario the reference cannot run: the student's runs live
        return self._run_student(scenario, case, trace)
