"""The one in-memory quiz that every renderer reads, so answers agree in every format."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from optigrade.i18n import Text
from quizzes.formula import fmt

LETTERS = "ABCDEFGHIJ"
TRUTH = {True: Text(ko="참", en="True"), False: Text(ko="거짓", en="False")}


@dataclass(frozen=True)
class Choice:
    """One option shown to the student (or, for a numeric item, a tagged wrong value)."""

    text: Mapping[str, str]  # language -> text with $LaTeX$
    correct: bool
    misconception: str | None = None
    value: float | None = None


@dataclass(frozen=True)
class Pair:
    left: Mapping[str, str]
    right: Mapping[str, str]


@dataclass(frozen=True)
class Numeric:
    """A numeric answer: the exact value computed by ``solutions`` and the accepted margin."""

    value: float
    margin: float
    digits: int

    @property
    def exact(self) -> str:
        """The value as every export writes it (enough digits to be exact for grading)."""
        return repr(round(self.value, 12))

    @property
    def shown(self) -> str:
        return fmt(self.value, self.digits)


@dataclass(frozen=True)
class Variant:
    """One concrete question: an item with its parameters drawn, texts rendered, answer known."""

    item_id: str
    topic: str
    type: str
    kind: str
    prompt: Mapping[str, str]
    choices: tuple[Choice, ...] = ()
    numeric: Numeric | None = None
    truth: bool | None = None
    accepted: tuple[str, ...] = ()
    pairs: tuple[Pair, ...] = ()
    right_order: tuple[int, ...] = ()  # display order of the right-hand side of a matching
    distractors: tuple[Choice, ...] = ()  # numeric items: wrong values with their misconception
    margin: float = 0.0  # value choices: how far apart they are kept (the item's tolerance)
    params: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def correct_positions(self) -> tuple[int, ...]:
        return tuple(i for i, choice in enumerate(self.choices) if choice.correct)

    def matching_answer(self) -> tuple[int, ...]:
        """For each left entry, the display position of its right-hand partner."""
        return tuple(self.right_order.index(i) for i in range(len(self.pairs)))

    def answer_text(self, lang: str) -> str:
        """The key's answer in one language (letters, value ± margin, truth, text)."""
        if self.type in ("single", "multiple"):
            return ", ".join(
                f"{LETTERS[i]}. {self.choices[i].text[lang]}" for i in self.correct_positions
            )
        if self.type == "truefalse":
            return TRUTH[bool(self.truth)].render(lang)
        if self.numeric is not None:
            return f"{self.numeric.shown} (± {fmt(self.numeric.margin, 2)})"
        if self.type == "short":
            return " | ".join(self.accepted)
        return ", ".join(f"{i + 1}–{LETTERS[j]}" for i, j in enumerate(self.matching_answer()))

    def fingerprint(self) -> tuple[Any, ...]:
        """What makes two variants the same question for a student."""
        return (
            self.item_id,
            tuple(sorted(self.prompt.items())),
            tuple(tuple(sorted(c.text.items())) for c in self.choices),
            tuple(
                (tuple(sorted(p.left.items())), tuple(sorted(p.right.items()))) for p in self.pairs
            ),
            self.right_order,
        )


@dataclass(frozen=True)
class Sheet:
    """One student's (or one anonymous variant's) sheet."""

    student_id: str
    header: Mapping[str, str]
    variants: tuple[Variant, ...]


@dataclass(frozen=True)
class Quiz:
    """A built quiz: every sheet, in one language, plus what the proof sheet and LMS need."""

    name: str
    seed: int
    lang: str
    item_ids: tuple[str, ...]
    sheets: tuple[Sheet, ...]

    def variants_by_item(self) -> dict[str, list[tuple[Variant, list[str]]]]:
        """Each item's distinct variants in order of first appearance, with who got each."""
        result: dict[str, dict[tuple[Any, ...], tuple[Variant, list[str]]]] = {
            item_id: {} for item_id in self.item_ids
        }
        for sheet in self.sheets:
            for variant in sheet.variants:
                seen = result[variant.item_id]
                key = variant.fingerprint()
                if key not in seen:
                    seen[key] = (variant, [])
                seen[key][1].append(sheet.student_id)
        return {item_id: list(seen.values()) for item_id, seen in result.items()}

    def lms_questions(self) -> list[tuple[str, Variant]]:
        """(question name, variant) for every distinct variant: the LMS exports' question list."""
        return [
            (f"{item_id} v{k + 1}", variant)
            for item_id, variants in self.variants_by_item().items()
            for k, (variant, _) in enumerate(variants)
        ]
