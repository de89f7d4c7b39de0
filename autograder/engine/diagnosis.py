"""Naming a known mistake for an item, from the evidence of all its failing runs.

Each run that ``check.same`` fails carries *evidence*
(:func:`autograder.engine.testing.run_evidence`):
the catalogued mistakes whose output the student's matches on that run, each with the other
mistakes that run cannot tell apart from it. One run is weak evidence: on a run with tiny
gradients, "no update at all", "updates only on the first call" and "the (1 − β) EWMA form" may
all give the reference's starting point within tolerance. So a mistake is named for an item only
when

* it matches the student's output on *every* failing run of the item that can be compared
  with the catalogue (a run that raised where the mistake does not, or a student output no
  mistake produces, rules every name out), and
* for every other candidate, some failing run tells the two apart, or the student passed a
  test that the other candidate would fail (it is then ruled out).

Otherwise nothing is named and the feedback shows the evidence (expected, received, where).
Failures that are not comparisons of outputs (a property, an expected exception, a sandbox
failure) say nothing either way.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from solutions.variants import MISTAKES, Variant

if TYPE_CHECKING:
    from autograder.engine.plugin import TestOutcome

#: The key of a failure's facts holding its run's evidence, until the item is diagnosed.
EVIDENCE = "evidence"


def named_mistake(
    runs: list[dict[str, list[str]]], item: str, ruled_out: set[str] | frozenset = frozenset()
) -> str | None:
    """The one mistake the runs' evidence singles out, or ``None``.

    ``ruled_out``: mistakes that would have failed a test the student passed.

    Two catalogue entries with the same label are one diagnosis written two ways (the book's
    Adam without an ``eps`` argument, folded or not): a tie between them is no doubt.
    """
    if not runs:
        return None
    label = {v.id: v.label for v in MISTAKES.get(item, [])}
    consistent = set(runs[0]).intersection(*runs[1:]) - set(ruled_out)
    singled_out: dict[Any, str] = {}
    for key in (v for v in label if v in consistent):  # in catalogue order
        doubts = set(runs[0][key]).intersection(*(r[key] for r in runs[1:]))
        if all(label.get(other) == label[key] for other in doubts - set(ruled_out)):
            singled_out.setdefault(label[key], key)
    return next(iter(singled_out.values())) if len(singled_out) == 1 else None


def diagnose(
    outcomes: list[TestOutcome], ruled_out_by_passing: dict[str, set[str]] | None = None
) -> list[TestOutcome]:
    """The outcomes with each item's named mistake (or none) in place of the runs' evidence.

    ``ruled_out_by_passing``: per test, the mistakes that would fail it (a passed test rules
    them out; :class:`autograder.speedups.reference.ReferenceRuns` keeps them).

    Idempotent: outcomes already diagnosed carry no evidence and are returned as they are.
    Never changes an outcome in place (the memo shares them between submissions).
    """
    runs: dict[str, list[dict[str, list[str]]]] = defaultdict(list)
    ruled_out: dict[str, set[str]] = defaultdict(set)
    for outcome in outcomes:
        if outcome.failure is not None and EVIDENCE in outcome.failure:
            runs[outcome.item].append(outcome.failure[EVIDENCE])
        elif outcome.passed:
            ruled_out[outcome.item] |= (ruled_out_by_passing or {}).get(outcome.name, set())
    names = {
        item: named_mistake(evidence, item, ruled_out[item]) for item, evidence in runs.items()
    }
    return [_with_name(o, names[o.item]) if o.item in names else o for o in outcomes]


def _with_name(outcome: TestOutcome, mistake: str | None) -> TestOutcome:
    if outcome.failure is None or EVIDENCE not in outcome.failure:
        return outcome
    failure = {k: v for k, v in outcome.failure.items() if k != EVIDENCE}
    if outcome.failure.get("kind") == "mismatch" or mistake is not None:
        failure["mistake"] = _label(outcome.item, mistake)
    return dataclasses.replace(outcome, failure=failure)


def _label(item: str, mistake: str | None) -> dict[str, Any] | None:
    variant: Variant | None = next((v for v in MISTAKES.get(item, []) if v.id == mistake), None)
    if variant is None:
        return None
    return {"id": variant.id, "ko": variant.label.ko, "en": variant.label.en}
