"""Drawing every item under many seeds and checking what no single test draw would show."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from optigrade.i18n import LANGS
from quizzes.draw import draw_variant
from quizzes.errors import QuizError
from quizzes.items import ItemSpec
from quizzes.leaks import text_leaks
from quizzes.misconceptions import load_catalogue
from quizzes.model import Variant
from quizzes.texts import INSTRUCTION

#: chi-square critical values at p = 0.001 by degrees of freedom: a balanced position count
#: exceeds them once in a thousand items, a biased shuffle almost always does.
CHI2_CRITICAL = {1: 10.83, 2: 13.82, 3: 16.27, 4: 18.47, 5: 20.52, 6: 22.46, 7: 24.32}
MIN_DISTINCT = 3


@dataclass
class ItemReport:
    item_id: str
    draws: int = 0
    distinct: int = 0
    positions: Counter[str] = field(default_factory=Counter)
    chi2: float = 0.0
    dof: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def variant_problems(variant: Variant) -> list[str]:
    problems = []
    for lang in LANGS:
        if not variant.prompt[lang].strip():
            problems.append(f"empty prompt in {lang}")
        # The sheet prints the type's instruction under every prompt; saying it twice reads badly.
        instruction = INSTRUCTION[variant.type].render(lang, margin="").split("(")[0].strip()
        if _core(instruction) in _core(variant.prompt[lang]):
            problems.append(f"the prompt repeats the sheet's instruction in {lang}: {instruction}")
        texts = [c.text[lang] for c in variant.choices]
        if len(set(texts)) < len(texts):
            problems.append(f"two identical choices in {lang}: {texts}")
        for side in ("left", "right"):
            sides = [getattr(p, side)[lang] for p in variant.pairs]
            if len(set(sides)) < len(sides):
                problems.append(f"two identical {side} entries in {lang}")
    problems += _leak_problems(variant)
    right = [c for c in variant.choices if c.correct]
    problems += [
        f"the right answer {c.text[LANGS[-1]]!r} carries the misconception {c.misconception}"
        for c in right
        if c.misconception
    ]
    for choice in variant.choices:
        if choice.correct or choice.value is None:
            continue
        for r in right:
            if r.value is not None and abs(choice.value - r.value) <= variant.margin:
                problems.append(f"distractor {choice.value} within tolerance of {r.value}")
    if variant.numeric is not None:
        value, margin = variant.numeric.value, variant.numeric.margin
        if not math.isfinite(value) or not math.isfinite(margin):
            problems.append(f"numeric answer {value} ± {margin} is not a finite number")
        # The key prints the answer rounded; a student who writes exactly that must be right.
        elif abs(float(variant.numeric.shown) - value) > margin:
            problems.append(
                f"the key's {variant.numeric.shown} is outside ± {margin} of {value}: "
                "raise `digits` or the tolerance"
            )
        for d in variant.distractors:
            if d.value is None or abs(d.value - variant.numeric.value) <= variant.numeric.margin:
                problems.append(f"misconception {d.misconception} gives the right answer")
    return problems


def reader_texts(variant: Variant, lang: str) -> list[str]:
    """Every text of ``variant`` that a ``lang`` reader meets on a sheet, key or LMS file,
    misconception feedback included."""
    catalogue = load_catalogue()
    tags = [c.misconception for c in (*variant.choices, *variant.distractors) if c.misconception]
    return [
        variant.prompt[lang],
        *(c.text[lang] for c in (*variant.choices, *variant.distractors)),
        *(text for p in variant.pairs for text in (p.left[lang], p.right[lang])),
        *(catalogue.explain(tag, lang) for tag in tags if tag in catalogue.sentences),
    ]


def _leak_problems(variant: Variant) -> list[str]:
    catalogue = load_catalogue()
    tags = catalogue.ids
    used = [c.misconception for c in (*variant.choices, *variant.distractors) if c.misconception]
    unexplained = [f"misconception {tag} has no sentence" for tag in catalogue.missing(used)]
    found = dict.fromkeys(
        problem
        for lang in LANGS
        for text in reader_texts(variant, lang)
        for problem in (
            [f"a text is a {type(text).__name__}, not a str"]
            if not isinstance(text, str)
            else text_leaks(text, lang, tags)
        )
    )
    return unexplained + list(found)


def _core(text: str) -> str:
    """Lower case, letters only: "옳은 것을 모두 고르시오." and "옳은 것을 모두 고르시오" match."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _position_key(variant: Variant) -> str | None:
    if variant.type == "single":
        return str(variant.correct_positions[0])
    if variant.type == "truefalse":
        return str(variant.truth)
    return None


def stress_item(item: ItemSpec, seeds: int, quiz: str = "stress") -> ItemReport:
    report = ItemReport(item.id)
    fingerprints = set()
    for seed in range(seeds):
        try:
            variant = draw_variant(item, seed, quiz, "S")
        except QuizError as error:
            report.problems.append(f"seed {seed}: {error}")
            break
        report.draws += 1
        fingerprints.add(variant.fingerprint())
        for problem in variant_problems(variant):
            report.problems.append(f"seed {seed}: {problem}")
        key = _position_key(variant)
        if key is not None:
            report.positions[key] += 1
        if len(report.problems) > 5:
            break
    report.distinct = len(fingerprints)
    if report.draws >= 20 and report.distinct < MIN_DISTINCT:
        report.problems.append(f"only {report.distinct} distinct variant(s): randomise more")
    balance(item, report)
    return report


def balance(item: ItemSpec, report: ItemReport) -> None:
    if not report.positions or report.draws < 50:
        return
    slots = (
        [str(b) for b in (True, False)]
        if item.type == "truefalse"
        else [str(i) for i in range(item.pick or len(item.options))]
    )
    expected = report.draws / len(slots)
    report.chi2 = sum((report.positions[s] - expected) ** 2 / expected for s in slots)
    report.dof = len(slots) - 1
    limit = CHI2_CRITICAL.get(report.dof)
    if limit is not None and report.chi2 > limit:
        report.problems.append(
            f"answer positions unbalanced (chi² = {report.chi2:.1f} > {limit} at p = 0.001, "
            f"counts {dict(report.positions)})"
        )


def stress(items: Sequence[ItemSpec], seeds: int) -> list[ItemReport]:
    return [stress_item(item, seeds) for item in items]
