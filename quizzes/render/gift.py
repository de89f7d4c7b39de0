"""GIFT, with Moodle's escaping (``qformat_gift::repchar``): a backslash becomes ``\\\\`` and
each of ``~ = # { } :`` gets a backslash, so LaTeX such as ``\\frac{a}{b}`` survives import."""

from __future__ import annotations

from pathlib import Path

from quizzes.mathtext import to_lms_html, to_tex_delimited
from quizzes.model import Quiz, Variant
from quizzes.render.lms import by_topic, choice_weights, feedback
from quizzes.render.output import write_text

_SPECIAL = "~=#{}:"


def escape(text: str) -> str:
    """Moodle's GIFT escaping; newlines become spaces because a blank line ends a question."""
    text = text.replace("\\", "\\\\")
    for char in _SPECIAL:
        text = text.replace(char, "\\" + char)
    return " ".join(text.split())


def _feedback(tag: str | None, lang: str) -> str:
    why = feedback(tag, lang)
    return f"#{escape(why)}" if why else ""


def _html(text: str) -> str:
    return escape(to_lms_html(text))


def answers(variant: Variant, lang: str) -> list[str]:
    if variant.type in ("single", "multiple"):
        lines = []
        for choice, weight in zip(variant.choices, choice_weights(variant), strict=True):
            mark = "=" if weight == "100" and variant.type == "single" else f"~%{weight}%"
            if variant.type == "single" and weight != "100":
                mark = "~"
            lines.append(f"{mark}{_html(choice.text[lang])}{_feedback(choice.misconception, lang)}")
        return lines
    if variant.type == "truefalse":
        wrong = variant.distractors[0].misconception if variant.distractors else None
        return [f"{'TRUE' if variant.truth else 'FALSE'}{_feedback(wrong, lang)}"]
    if variant.numeric is not None:
        lines = ["#", f"={variant.numeric.exact}:{variant.numeric.margin!r}"]
        lines += [
            f"=%0%{c.value!r}:0{_feedback(c.misconception, lang)}" for c in variant.distractors
        ]
        return lines
    if variant.type == "short":
        return [f"={escape(a)}" for a in variant.accepted]
    return [
        f"={_html(p.left[lang])} -> {escape(to_tex_delimited(p.right[lang]))}"
        for p in variant.pairs
    ]


def question(name: str, variant: Variant, lang: str) -> str:
    body = "\n".join(answers(variant, lang)).replace("#\n", "#", 1)
    return f"::{escape(name)}::[html]{_html(variant.prompt[lang])} {{\n{body}\n}}\n"


def document(quiz: Quiz) -> str:
    parts = [f"// {quiz.name}: seed {quiz.seed}, language {quiz.lang} (optigrade)\n"]
    for topic, title, questions in by_topic(quiz):
        parts.append(f"// topic: {topic}\n$CATEGORY: $course$/top/{quiz.name}/{title}\n")
        parts += [question(name, variant, quiz.lang) for name, variant in questions]
    return "\n".join(parts)


def write(quiz: Quiz, out: Path) -> list[Path]:
    return [write_text(out / "quiz.gift.txt", document(quiz))]
