"""Diagnosis before submitting: the public checks of a built notebook name a known mistake
only when the student's answers show it, and ``check("all")`` checks the whole notebook.

The notebooks and ``checks.py`` are built by the installed ``optigrade assign``; the planted
mistakes are written into the notebook's own solution cells and the notebook is executed in a
real kernel, as a student runs it.
"""

from __future__ import annotations

import nbformat
import numpy as np
import pytest

import solutions
from assignments.messages import MESSAGES
from solutions.variants import MISTAKES
from tests.test_assign import _checks_for, built, cells, execute, stdout

__all__ = ["built"]  # the module's fixture: the bundles as `optigrade assign` writes them

MISTAKE_IDS = [(item, v.id) for items in solutions.ASSIGNMENTS.values() for item in items
               for v in MISTAKES.get(item, [])]  # fmt: skip


def variant(item: str, mistake: str):
    return next(v for v in MISTAKES[item] if v.id == mistake)


def mistake_line(lang: str, item: str, mistake: str) -> str:
    label = getattr(variant(item, mistake).label, lang)
    return MESSAGES["mistake"].render(lang, label=label)


#: Catalogue mistakes that the two public cases of their item cannot single out, by design:
#: their answer there is no update at all or an update that works once (which many other bugs
#: give too), or they fail only when an argument the public cases do not pass is given. The
#: hidden suites name them; the public checks must not (a wrong name is worse than none).
#: A mistake that leaves this list because the public cases learn to show it fails here.
NOT_NAMEABLE_IN_PUBLIC = {
    "sgd_no_update", "momentum_no_update", "momentum_first_call_only", "adagrad_no_update",
    "adagrad_first_call_only", "adagrad_no_eps_argument", "rmsprop_book_signature",
    "rmsprop_no_update", "rmsprop_first_call_only", "rmsprop_no_eps_argument", "adam_no_update",
    "adam_first_call_only", "adam_no_eps_argument", "adam_no_eps_argument_folded",
}  # fmt: skip


def decisive_in_public(checks, item: str, mistake: str) -> bool:
    """Whether the build stored, for ``mistake``, an answer on the public cases that singles
    it out (see ``assignments.cases.mistake_outcome``)."""
    outcomes = [
        c["mistakes"].get(mistake, {}) for c in checks._DATA["cases"][item] if c.get("mistakes")
    ]
    return all("same" in o or "output" in o for o in outcomes) and any(
        "output" in o for o in outcomes
    )


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # some mistakes divide by zero on purpose
@pytest.mark.parametrize(("item", "mistake"), MISTAKE_IDS, ids=[m for _, m in MISTAKE_IDS])
def test_every_catalogue_mistake_the_public_cases_show_is_named_and_no_other(built, item, mistake):
    checks = _checks_for(built, item, "en")
    found = checks.result(item, {item: variant(item, mistake).impl})
    if mistake in NOT_NAMEABLE_IN_PUBLIC:
        # It may even pass (the public cases never pass an eps): what matters is no name.
        assert not decisive_in_public(checks, item, mistake)
        named = {mistake_line("en", item, other.id) for other in MISTAKES[item]}
        assert not named & set(found.text.splitlines()), found.text
    else:
        assert found.status == "failed"
        assert found.text.splitlines()[1] == mistake_line("en", item, mistake), found.text


class FirstCallOnly:
    """The bug seen in 3 of 48 real files: the update loop indented inside the first call's
    ``if``, so only the first ``update`` moves the parameters."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr, momentum, None

    def update(self, params, grads):
        if self.v is None:
            self.v = {key: np.zeros_like(value) for key, value in params.items()}
            for key in params:
                self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]
                params[key] += self.v[key]


class NoUpdate:
    def __init__(self, lr=0.01, momentum=0.9):
        self.lr = lr

    def update(self, params, grads):
        return {key: value - self.lr * grads[key] for key, value in params.items()}


class TinyStep:
    """Momentum whose step is a thousandth of the right one: close to no update at all."""

    def __init__(self, lr=0.01, momentum=0.9):
        self.lr, self.momentum, self.v = lr * 1e-3, momentum, {}

    def update(self, params, grads):
        for key in params:
            self.v[key] = self.momentum * self.v.get(key, 0) - self.lr * grads[key]
            params[key] += self.v[key]


@pytest.mark.parametrize("wrong", [FirstCallOnly, NoUpdate, TinyStep], ids=lambda c: c.__name__)
def test_a_wrong_answer_no_mistake_explains_is_not_given_a_name(built, wrong):
    checks = _checks_for(built, "Momentum", "ko")
    found = checks.result("Momentum", {"Momentum": wrong})
    assert found.status == "failed"
    assert "🔎" not in found.text, found.text


def test_a_mistake_the_second_case_contradicts_is_not_named(built):
    """Right with the default hyper-parameters, the sign error only with others: the sign
    error's answer on the first case is not the student's, so it is not named."""
    sign_error = variant("Momentum", "momentum_sign_error").impl
    right = solutions.Momentum

    def momentum(lr=0.01, momentum=0.9):
        return (right if (lr, momentum) == (0.01, 0.9) else sign_error)(lr, momentum)

    checks = _checks_for(built, "Momentum", "en")
    found = checks.result("Momentum", {"Momentum": momentum})
    assert found.status == "failed" and "🔎" not in found.text, found.text


def role(nb: nbformat.NotebookNode, name: str, item: str | None = None) -> list:
    return [c for c in cells(nb, name) if item is None or c.metadata.optigrade.item == item]


ADAM_RIGHT = "v_hat = self.v[key] / (1 - self.beta2**self.t)"
ADAM_WRONG = "v_hat = self.v[key]"  # bias-corrects m but not v


@pytest.mark.slow
def test_a_planted_mistake_is_named_in_the_executed_notebook_and_check_all_sums_up(built):
    path = built / "ko" / "instructor" / "optimizers" / "optimizers.ipynb"
    nb = nbformat.read(path, as_version=4)
    (adam,) = role(nb, "solution", "Adam")
    assert ADAM_RIGHT in adam.source, "the reference's Adam changed: update this test"
    adam.source = adam.source.replace(ADAM_RIGHT, ADAM_WRONG)
    (adam_check,) = role(nb, "check", "Adam")
    checks = role(nb, "check")
    nb.cells.append(nbformat.v4.new_code_cell('check("all")'))  # a cell the student adds
    execute(path, nb)

    lines = stdout(adam_check).splitlines()
    assert lines[0].startswith("❌ Adam: 공개 검사 2개 중 1번째에서 실패했어요"), lines
    assert lines[1] == mistake_line("ko", "Adam", "adam_corrects_only_m"), lines
    for cell in checks:
        if cell is not adam_check:
            assert stdout(cell).startswith("✅"), stdout(cell)

    every = stdout(nb.cells[-1]).splitlines()
    assert every[-1] == "📋 공개 검사 요약 (항목 5개): 4개 통과, 1개 실패", every
    assert [line[0] for line in every if line[:1] in "✅❌💥⏳❓"] == ["✅"] * 4 + ["❌"]
    assert mistake_line("ko", "Adam", "adam_corrects_only_m") in every


@pytest.mark.slow
def test_check_all_in_the_untouched_student_notebook_says_nothing_is_implemented(built):
    path = built / "en" / "student" / "schedules" / "schedules.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell('check("all")'))
    execute(path, nb)
    every = stdout(nb.cells[-1]).splitlines()
    count = len(solutions.ASSIGNMENTS["schedules"])
    assert every[-1] == f"📋 Public checks, {count} items: {count} not implemented yet", every


def test_a_mistake_whose_answer_looks_like_no_update_or_a_frozen_update_is_never_decisive():
    """What the build stores for a mistake on one case (the issue's wrong name came from a
    variant within tolerance of no update at all, on tiny gradients)."""
    from assignments.cases import mistake_outcome

    start = {"w": np.array([1.0, -2.0])}
    unchanged = [start] * 3
    expected = [{"w": np.array([1 - s, -2 + s])} for s in (0.1, 0.2, 0.3)]
    barely_moved = [{"w": start["w"] * (1 + 1e-9)}] * 3
    frozen = [{"w": np.array([0.5, -0.5])}] * 3
    decisive = [{"w": np.array([1 + s, -2 - s])} for s in (0.1, 0.2, 0.3)]
    assert mistake_outcome(expected, expected, unchanged) == {"same": True}
    for answer in (unchanged, barely_moved, frozen):
        assert mistake_outcome(answer, expected, unchanged) == {"undecided": True}
    stored = mistake_outcome(decisive, expected, unchanged)
    assert list(stored) == ["output"]
    assert stored["output"]["seq"][2]["w"]["ndarray"] == [1 + 0.3, -2 - 0.3]


def test_the_diagnosis_runs_the_students_code_silently(built, capsys):
    """Naming a mistake runs the student's code on every public case again: what it prints
    there is not shown a second time (only the failing case's own run speaks)."""
    plus_sign = variant("SGD", "sgd_plus_sign").impl

    class Chatty(plus_sign):
        def update(self, params, grads):
            print("updating")
            super().update(params, grads)

    _checks_for(built, "SGD", "en").check("SGD", {"SGD": Chatty})
    lines = capsys.readouterr().out.splitlines()
    assert lines.count("updating") == 1, lines  # the first case fails at its first update
    assert mistake_line("en", "SGD", "sgd_plus_sign") in lines
