"""What the three LMS exports share: questions grouped by topic, and answer weights."""

from __future__ import annotations

from collections.abc import Iterator

from quizzes.mathtext import to_lms_html
from quizzes.misconceptions import explain
from quizzes.model import Quiz, Variant
from quizzes.topics import TOPICS

#: Moodle's allowed answer fractions (question_bank::fraction_options_full), in percent. Its
#: importers reject any other value, so multiple-answer weights are snapped to this list.
MOODLE_FRACTIONS = (
    100,
    90,
    83.33333,
    80,
    75,
    70,
    66.66667,
    60,
    50,
    40,
    33.33333,
    30,
    25,
    20,
    16.66667,
    14.28571,
    12.5,
    11.11111,
    10,
    5,
    0,
)


def moodle_fraction(share: float) -> str:
    """``share`` in percent (e.g. 100/3) as the nearest allowed Moodle fraction, as text."""
    sign = "-" if share < 0 else ""
    best = min(MOODLE_FRACTIONS, key=lambda allowed: abs(allowed - abs(share)))
    if abs(best - abs(share)) > 1e-3:
        raise ValueError(f"{share}% is not a Moodle answer weight; use fewer choices")
    return f"{sign}{best:g}" if best else "0"


def choice_weights(variant: Variant) -> list[str]:
    """Per choice, its weight in percent: all-or-nothing for single choice, and for multiple
    choice the correct ones share 100 % and the wrong ones share −100 %."""
    if variant.type == "single":
        return ["100" if c.correct else "0" for c in variant.choices]
    n_right = sum(c.correct for c in variant.choices)
    n_wrong = len(variant.choices) - n_right
    return [
        moodle_fraction(100 / n_right) if c.correct else moodle_fraction(-100 / n_wrong)
        for c in variant.choices
    ]


def feedback(tag: str | None, lang: str) -> str:
    """An answer's LMS feedback: the misconception's sentence as LMS HTML; empty for no tag."""
    why = explain(tag, lang)
    return to_lms_html(why) if why else ""


def by_topic(quiz: Quiz) -> Iterator[tuple[str, str, list[tuple[str, Variant]]]]:
    """(topic id, topic title in the quiz language, [(question name, variant)]) in course order."""
    groups: dict[str, list[tuple[str, Variant]]] = {}
    for name, variant in quiz.lms_questions():
        groups.setdefault(variant.topic, []).append((name, variant))
    for topic in TOPICS:
        if topic in groups:
            yield topic, TOPICS[topic].render(quiz.lang), groups[topic]
