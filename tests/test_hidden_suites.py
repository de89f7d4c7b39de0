"""The hidden suites grade equivalent answers as right and known mistakes as wrong, by name.

Two kinds of evidence:

* student-like files graded through the real sandbox, exactly as a TA would run
  ``pytest autograder/suites/<a> --submission FILE``: the reference itself, hand-written answers
  in other styles (``tests/data/submissions/``, completed with the reference for an item they
  do not define) and answers with known mistakes written from the catalogue's edits
  (``examples/students.py``);
* every variant of ``solutions/variants.py`` run in-process as the "student" of its item's hidden
  tests: each accepted equivalent passes them all, each known mistake fails at least one and is
  named there by its own id.

Both run the suite in a subprocess (``python -m tests.test_hidden_suites ...``, the ``__main__``
block at the end) that writes the outcomes as JSON, so that the suites' modules and the sandbox
stay out of this process.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import solutions
from autograder.engine.scoring import load_points
from examples.students import completed, python_file, written
from solutions.variants import EQUIVALENTS, MISTAKES, Variant

ROOT = Path(__file__).resolve().parents[1]
SUBMISSIONS = Path(__file__).resolve().parent / "data" / "submissions"
SUITES = ROOT / "autograder" / "suites"


def _driven(mode: str, assignment: str, tmp_path: Path, *extra: str) -> Any:
    out = tmp_path / f"{mode}-{assignment}.json"
    command = [sys.executable, "-m", "tests.test_hidden_suites", mode, assignment, str(out), *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.exists(), f"the suite did not run:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return json.loads(out.read_text())


def grade(assignment: str, submission: Path, tmp_path: Path) -> dict[str, Any]:
    """Score per item and failed outcomes of a submission graded through the sandbox."""
    outcomes = _driven("grade", assignment, tmp_path, str(submission))
    points = load_points(assignment)
    scores = dict.fromkeys(points.by_item, Fraction(0))
    for outcome in outcomes:
        assert outcome["error"] is None, f"a hidden test is broken: {outcome}"
        scores[outcome["item"]] += Fraction(outcome["points"]) if outcome["passed"] else 0
    maxima = {item: points.item_max(item) for item in points.by_item}
    failed = [o for o in outcomes if not o["passed"]]
    return {"scores": scores, "maxima": maxima, "failed": failed}


def named_mistakes(failed: list[dict], item: str) -> set[str]:
    return {
        o["failure"]["mistake"]["id"]
        for o in failed
        if o["item"] == item and o["failure"] and o["failure"].get("mistake")
    }


# -- the reference and student-like files, through the sandbox ----------------------------------

REFERENCE_FILES = {
    "optimizers": ROOT / "solutions" / "optimizers.py",
    "schedules": ROOT / "solutions" / "schedules.py",
    "init": ROOT / "solutions" / "init.py",
}


@pytest.mark.parametrize("assignment", solutions.ASSIGNMENTS)
def test_the_reference_earns_full_marks(assignment, tmp_path):
    result = grade(assignment, REFERENCE_FILES[assignment], tmp_path)
    assert result["scores"] == result["maxima"], result["failed"][:3]


EQUIVALENT_FILES = [
    ("optimizers", "optimizers_loops_rebinding_folded_adam.py"),
    ("optimizers", "optimizers_vectorised_eps_inside.py"),
    ("schedules", "schedules_other_style.py"),
    ("init", "init_other_style.py"),
]


@pytest.mark.parametrize(("assignment", "name"), EQUIVALENT_FILES)
def test_equivalent_submission_earns_full_marks(assignment, name, tmp_path):
    submission = tmp_path / name
    submission.write_text(completed((SUBMISSIONS / name).read_text(), assignment))
    result = grade(assignment, submission, tmp_path)
    assert result["scores"] == result["maxima"], result["failed"][:3]


#: Each student makes one known mistake per item it lists (written into the reference's source
#: by the catalogue's edit); other items are the reference's.
MISTAKEN_STUDENTS = {
    "optimizers": {
        "SGD": "sgd_plus_sign",
        "Momentum": "momentum_ewma_form",
        "AdaGrad": "adagrad_no_sqrt",
        "RMSProp": "rmsprop_state_reset",
        "Adam": "adam_t_per_key",
    },
    "schedules": {
        "ewma": "ewma_starts_at_first_value",
        "lr_staircase": "lr_staircase_no_floor",
        "random_mini_batches": "mini_batches_two_permutations",
    },
    "init": {
        "sigmoid_grad": "sigmoid_grad_one_minus_x",
        "elu": "elu_without_minus_one",
        "he_init": "he_fan_in_only",
    },
}


@pytest.mark.parametrize("assignment", MISTAKEN_STUDENTS)
def test_mistaken_submission_loses_the_item_and_is_named(assignment, tmp_path):
    mistakes = MISTAKEN_STUDENTS[assignment]
    submission = tmp_path / f"{assignment}_mistakes.py"
    submission.write_text(python_file(assignment, mistakes.values()))
    result = grade(assignment, submission, tmp_path)
    for item, score in result["scores"].items():
        if item in mistakes:
            assert score < result["maxima"][item], f"{item}: the mistake was not detected"
            assert mistakes[item] in named_mistakes(result["failed"], item), (
                f"{item}: expected the mistake {mistakes[item]!r} to be named, "
                f"got {named_mistakes(result['failed'], item) or 'none'}"
            )
        else:
            assert score == result["maxima"][item], f"{item} is correct but lost points"


# -- every catalogued variant, in-process --------------------------------------------------------


def _assignment_of(variant: Variant) -> str:
    return next(a for a, items in solutions.ASSIGNMENTS.items() if variant.item in items)


def _all(catalogue: dict[str, list[Variant]]) -> list[Any]:
    return [pytest.param(v, id=v.id) for variants in catalogue.values() for v in variants]


@pytest.fixture(scope="module")
def variant_outcomes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[dict]]:
    tmp_path = tmp_path_factory.mktemp("variants")
    outcomes: dict[str, list[dict]] = {}
    for assignment in solutions.ASSIGNMENTS:
        outcomes |= _driven("variants", assignment, tmp_path)
    return outcomes


@pytest.mark.parametrize("variant", _all(EQUIVALENTS))
def test_every_equivalent_passes_its_item(variant, variant_outcomes):
    outcomes = variant_outcomes[variant.id]
    assert outcomes, f"no hidden test ran for {variant.item}"
    failed = [(o["name"], o["failure"] or o["error"]) for o in outcomes if not o["passed"]]
    assert not failed, f"the accepted formulation {variant.id} fails: {failed[:2]}"


@pytest.mark.parametrize("variant", _all(EQUIVALENTS))
def test_every_equivalent_is_needed(variant, variant_outcomes):
    """Without its catalogue entry the formulation fails somewhere: the hidden tests do tell it
    apart from the reference, and the entry is what lets it pass."""
    outcomes = variant_outcomes[f"{variant.id} without itself"]
    assert not all(o["passed"] for o in outcomes), (
        f"{variant.id} matches the reference on every hidden test: its entry is never used"
    )


@pytest.mark.parametrize("variant", _all(MISTAKES))
def test_every_mistake_is_detected_and_named(variant, variant_outcomes):
    outcomes = variant_outcomes[variant.id]
    assert not [o for o in outcomes if o["error"]], "a hidden test is broken"
    failed = [o for o in outcomes if not o["passed"]]
    assert failed, f"no hidden test of {variant.item} detects {variant.id}"
    # Exactly itself: a name given where another catalogued mistake fits as well is a wrong name.
    assert named_mistakes(failed, variant.item) == {variant.id}, (
        f"{variant.id} is detected but not named as itself alone; named: "
        f"{named_mistakes(failed, variant.item) or 'nothing'}"
    )


def _written(catalogue: dict[str, list[Variant]]) -> list[Any]:
    return [param for param in _all(catalogue) if param.values[0].edit is not None]


@pytest.mark.parametrize("variant", _written(MISTAKES))
def test_every_mistake_as_written_is_named_as_itself(variant, variant_outcomes):
    """The catalogue's edit of the reference (how the demo class and the fixtures write the
    mistake) is graded as the mistake it stands for, and as nothing else."""
    failed = [o for o in variant_outcomes[f"{variant.id} written"] if not o["passed"]]
    assert named_mistakes(failed, variant.item) == {variant.id}, (
        f"the edit of {variant.id} is named {named_mistakes(failed, variant.item) or 'nothing'}"
    )


# -- the subprocess side -------------------------------------------------------------------------


class _Guarded:
    """An object built by a guarded constructor: its methods are guarded too."""

    def __init__(self, target: Any, guard: Any) -> None:
        self._target, self._guard = target, guard

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._target, name)
        return self._guard(value) if callable(value) else value


def _main(mode: str, assignment: str, out: str, *submission: str) -> None:
    """Run one suite and write its outcomes as JSON to ``out``."""
    from autograder.engine.plugin import GradingPlugin, run_submissions
    from autograder.engine.testing import variant_namespace

    def as_json(outcomes: list) -> list[dict]:
        # Points are exact fractions: written as text ("4/3"), read back exactly.
        return [{**dataclasses.asdict(o), "points": str(o.points)} for o in outcomes]

    class Grade:
        """``--submission``: the real sandbox, through the plugin the TA's command uses."""

        def pytest_sessionfinish(self, session: pytest.Session) -> None:
            grading = session.config.pluginmanager.get_plugin("optigrade_grading")
            Path(out).write_text(json.dumps(as_json(grading.state.outcomes)))

    class Variants:
        """Every variant of this assignment as the student of its own item's tests."""

        def __init__(self) -> None:
            self.grading = GradingPlugin(assignment)

        @pytest.hookimpl(tryfirst=True)
        def pytest_runtestloop(self, session: pytest.Session) -> bool:
            results: dict[str, list[dict]] = {}
            everything = self.grading.items
            item_of = self.grading.state.item_of

            def run(variant: Variant, key: str) -> None:
                self.grading.items = [t for t in everything if item_of[t.nodeid] == variant.item]
                run_submissions(
                    session,
                    self.grading,
                    [variant],
                    as_student,
                    lambda _, outcomes: results.__setitem__(key, as_json(outcomes)),
                )

            for catalogue in (EQUIVALENTS, MISTAKES):
                for item in solutions.ASSIGNMENTS[assignment]:
                    for variant in catalogue.get(item, []):
                        run(variant, variant.id)
            for item in solutions.ASSIGNMENTS[assignment]:
                for variant in MISTAKES.get(item, []):
                    if variant.edit is not None:
                        as_written = dataclasses.replace(variant, impl=written(variant.id))
                        run(as_written, f"{variant.id} written")
            for item in solutions.ASSIGNMENTS[assignment]:
                accepted = EQUIVALENTS.get(item, [])
                for index, variant in enumerate(list(accepted)):
                    accepted.remove(variant)  # the catalogue the checker reads, for one run
                    try:
                        run(variant, f"{variant.id} without itself")
                    finally:
                        accepted.insert(index, variant)
            Path(out).write_text(json.dumps(results))
            return True

    def as_student(variant: Variant) -> Any:
        """The variant's namespace, raising as the sandbox does (a ``StudentError``), so that
        ``check.raises`` and crashes behave as they do for a real submission."""
        import functools
        import traceback
        import types

        from autograder.sandbox.client import StudentError

        def guarded(function: Any, wrap: Any = None) -> Any:
            @functools.wraps(function)
            def call(*args: Any, **kwargs: Any) -> Any:
                try:
                    result = function(*args, **kwargs)
                except Exception as exc:
                    raise StudentError(
                        type(exc).__name__, str(exc), traceback.format_exc()
                    ) from exc
                return wrap(result) if wrap else result

            return call

        def build(cls: type) -> Any:
            return guarded(cls, wrap=lambda obj: _Guarded(obj, guarded))

        names = vars(variant_namespace(variant))
        return types.SimpleNamespace(
            **{k: build(v) if isinstance(v, type) else guarded(v) for k, v in names.items()}
        )

    args = [str(SUITES / assignment), "-q", "-p", "no:cacheprovider", "-W", "ignore"]
    if mode == "grade":
        pytest.main([*args, "--submission", submission[0]], plugins=[Grade()])
    else:
        driver = Variants()
        pytest.main(args, plugins=[driver.grading, driver])


if __name__ == "__main__":
    _main(*sys.argv[1:])
