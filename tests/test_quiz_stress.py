"""The stress test of the bank, at test-suite size (`optigrade quiz stress --seeds 2000` is the
big run), and proof that each of its checks catches the fault it is there for."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from quizzes.draw import draw_variant
from quizzes.errors import BankError, DegenerateItemError
from quizzes.items import ItemSpec, load_bank, parse_item
from quizzes.model import Choice, Numeric, Variant
from quizzes.stress import (
    CHI2_CRITICAL,
    MIN_DISTINCT,
    ItemReport,
    balance,
    stress,
    stress_item,
    variant_problems,
)

#: About 10 s on one core for the 60 items; the CLI run uses 2,000.
SEEDS = 500
BANK = load_bank()


@pytest.fixture(scope="module")
def reports() -> dict[str, ItemReport]:
    return {report.item_id: report for report in stress(BANK, SEEDS)}


@pytest.mark.parametrize("item", BANK, ids=lambda item: item.id)
def test_item_survives_many_seeds(item: ItemSpec, reports: dict[str, ItemReport]) -> None:
    """Every seed draws (templates render in ko and en, no undefined name), no choice repeats
    another, no distractor is within tolerance of the answer, no numeric key is degenerate, and
    the item has at least MIN_DISTINCT distinct variants."""
    report = reports[item.id]
    assert report.problems == []
    assert report.draws == SEEDS
    assert report.distinct >= MIN_DISTINCT


@pytest.mark.parametrize(
    "item", [i for i in BANK if i.type in ("single", "truefalse")], ids=lambda item: item.id
)
def test_answer_positions_are_balanced(item: ItemSpec, reports: dict[str, ItemReport]) -> None:
    """Bound: the chi-square statistic of the correct answer's position (or of true vs false)
    stays under its p = 0.001 critical value. The seeds are fixed, so this is deterministic."""
    report = reports[item.id]
    assert report.dof >= 1 and sum(report.positions.values()) == SEEDS
    assert report.chi2 <= CHI2_CRITICAL[report.dof], report.positions


def test_every_text_renders_in_both_languages_without_leftover_jinja() -> None:
    for item in BANK:
        variant = draw_variant(item, 0, "render", "S")
        texts = [*variant.prompt.values()]
        texts += [t for c in variant.choices for t in c.text.values()]
        texts += [t for p in variant.pairs for t in (*p.left.values(), *p.right.values())]
        assert all(text.strip() for text in texts), item.id
        assert not any("{{" in text or "{%" in text for text in texts), item.id


# --- each check can fail: crafted faulty items and variants -------------------------------------


def _item(**fields: Any) -> ItemSpec:
    data = {"id": "bad", "topic": "ewma", "kind": "recall", "ko": "문제", "en": "Question"}
    return parse_item({**data, **fields}, Path("bad.yaml"))


def _numeric(value: float, margin: float, digits: int, wrong: float) -> Variant:
    return Variant(
        "bad",
        "ewma",
        "numeric",
        "computation",
        {"ko": "문제", "en": "Question"},
        numeric=Numeric(value, margin, digits),
        distractors=(Choice({"ko": "x", "en": "x"}, False, "plain-sgd", wrong),),
    )


def test_a_distractor_equal_to_the_answer_is_caught() -> None:
    # The drawing itself refuses the item (every draw collides) ...
    item = _item(
        type="numeric",
        params={"x": {"int": [1, 9]}},
        answer="x * 2",
        tolerance=0.01,
        distractors=[{"misconception": "same", "value": "x + x"}],
        ko="{{ x }}",
        en="{{ x }}",
    )
    with pytest.raises(DegenerateItemError):
        draw_variant(item, 1, "q", "S")
    assert stress_item(item, 5).problems
    # ... and a variant that slipped through is named by the check.
    assert any("right answer" in p for p in variant_problems(_numeric(2.0, 0.01, 4, 2.005)))
    assert variant_problems(_numeric(2.0, 0.01, 4, 2.5)) == []


def test_a_key_rounded_outside_the_tolerance_is_caught() -> None:
    problems = variant_problems(_numeric(0.123456, 1e-4, 2, 0.5))
    assert any("outside" in p for p in problems)
    assert any("finite" in p for p in variant_problems(_numeric(float("nan"), 0.1, 4, 0.5)))


def test_identical_choices_and_a_repeated_instruction_are_caught() -> None:
    same = Choice({"ko": "가", "en": "A"}, False, "m")
    variant = Variant(
        "bad",
        "adam",
        "multiple",
        "recall",
        {"ko": "옳은 것을 모두 고르시오", "en": "Which are true?"},
        choices=(Choice({"ko": "나", "en": "B"}, True), same, same),
    )
    problems = variant_problems(variant)
    assert any("identical choices" in p for p in problems)
    assert any("repeats the sheet's instruction in ko" in p for p in problems)


def test_unbalanced_positions_are_caught() -> None:
    item = next(i for i in BANK if i.type == "single")
    report = ItemReport(
        item.id, draws=300, positions=Counter({"0": 150, "1": 50, "2": 50, "3": 50})
    )
    balance(item, report)
    assert report.problems and "unbalanced" in report.problems[0]
    even = ItemReport(item.id, draws=300, positions=Counter({"0": 80, "1": 70, "2": 75, "3": 75}))
    balance(item, even)
    assert even.problems == []


def test_an_undefined_variable_and_a_constant_item_are_caught() -> None:
    undefined = _item(type="short", accept=["a"], ko="{{ nope }}", en="x")
    with pytest.raises(BankError, match="nope"):
        draw_variant(undefined, 1, "q", "S")
    assert any("nope" in p for p in stress_item(undefined, 3).problems)
    constant = _item(type="short", accept=["a"])
    assert any("distinct" in p for p in stress_item(constant, 30).problems)


def test_anonymous_sheets_do_not_repeat_a_variant(reports: dict[str, ItemReport]) -> None:
    """With ``--variants``, no two sheets get the same variant of an item that has plenty."""
    from quizzes.draw import anonymous_students, build_quiz

    sheets = 20
    quiz = build_quiz(BANK, 3, "distinct", anonymous_students(sheets), "ko", distinct=True)
    for item_id, variants in quiz.variants_by_item().items():
        if reports[item_id].distinct >= 100:
            assert len(variants) == sheets, item_id
