"""What the bank says about the course's notation holds: each item names the notation it uses
where the lecture notes differ from the book and the notebooks, and its claims about how the
notations relate are checked against the reference solutions."""

from __future__ import annotations

import numpy as np
import pytest

import solutions
from quizzes.formula import after_steps, evaluate
from quizzes.items import load_bank

BANK = {item.id: item for item in load_bank()}


def _statements(item_id: str) -> dict[str, tuple[bool, str | None]]:
    """English statement -> (is it true, its misconception)."""
    item = BANK[item_id]
    return {
        o.text["en"]: (bool(evaluate(o.correct, {})), o.misconception)
        for o in item.options
        if o.text
    }


def test_the_notes_attendance_quiz_on_adam_is_in_the_bank():
    statements = _statements("adam-tf")
    assert statements["Adam adapts the learning rate for each parameter."] == (True, None)
    batch = next(s for s in statements if "batch gradient computation" in s)
    assert statements[batch] == (False, "adam-needs-full-batch")


@pytest.mark.parametrize("item_id", ["adam-tf", "adam-true"])
def test_adam_items_state_both_notations(item_id):
    for lang in ("ko", "en"):
        prompt = BANK[item_id].prompt[lang]
        assert "$m$" in prompt and "$v$" in prompt, lang
        assert "V_{dW}" in prompt and "S_{dW}" in prompt, lang


def test_adam_v_is_rmsprops_h_only_in_the_books_notation():
    statements = _statements("adam-tf")
    books = next(s for s in statements if s.startswith("Adam's $v$"))
    notes = next(s for s in statements if "notes' notation" in s)
    assert statements[books][0] is True and "S_{dW}" in books
    assert statements[notes] == (False, "adam-moment-names-swapped")


@pytest.mark.parametrize("item_id", ["mom-step", "mom-velocity", "mom-facts"])
def test_momentum_items_say_which_form_they_use(item_id):
    item = BANK[item_id]
    assert "책과 과제의" in item.prompt["ko"] and "book's" in item.prompt["en"]


@pytest.mark.parametrize("beta", [0.5, 0.9])
def test_the_one_minus_beta_form_is_momentum_with_the_rate_rescaled(beta):
    """mom-facts claims V = bV + (1-b) dW, w -= a V equals the book's Momentum with mu = b and
    rate a (1 - b), and that m = bm + eta grad, w -= m is the book's with m = -v."""
    alpha, w0, grads = 0.1, 2.0, [1.5, -0.4, 0.8, 2.2]
    w, big_v = w0, 0.0
    for g in grads:
        big_v = beta * big_v + (1 - beta) * g
        w -= alpha * big_v
    book = after_steps(solutions.Momentum(lr=alpha * (1 - beta), momentum=beta), w0, grads)
    assert w == pytest.approx(book, rel=1e-12)
    w, m = w0, 0.0
    for g in grads:
        m = beta * m + alpha * g
        w -= m
    assert w == pytest.approx(after_steps(solutions.Momentum(lr=alpha, momentum=beta), w0, grads))
    same_alpha = after_steps(solutions.Momentum(lr=alpha, momentum=beta), w0, grads)
    assert not np.isclose(same_alpha, book)  # with the same alpha the two forms differ
    true_claims = [s for s, (truth, _) in _statements("mom-facts").items() if truth]
    assert any("\\alpha(1-\\beta)" in s for s in true_claims)
    assert any("m = -v" in s for s in true_claims)


def test_the_notebook_says_which_momentum_form_it_uses_and_how_the_others_relate(tmp_path):
    """The assignment notebook (built by the CLI) tells students the same as mom-facts."""
    import json

    from tests.test_cli import optigrade

    result = optigrade("assign", "--lang", "ko,en", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    for lang in ("ko", "en"):
        (notebook,) = (tmp_path / lang / "student" / "optimizers").glob("*.ipynb")
        cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
        prose = ["".join(c["source"]) for c in cells if c["cell_type"] == "markdown"]
        momentum = next(text for text in prose if "## 2. Momentum" in text)
        for formula in ("\\beta m + \\eta \\nabla J", "(1-\\beta)\\,dW", "\\alpha(1-\\beta)"):
            assert formula in momentum, (lang, formula)
