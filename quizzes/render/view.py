"""What a sheet shows, in one language, before any format: shared by Markdown and HTML so
that both print the same numbering, letters, instructions and answers."""

from __future__ import annotations

from dataclasses import dataclass

from quizzes.formula import fmt
from quizzes.misconceptions import explain
from quizzes.model import LETTERS, Quiz, Sheet, Variant
from quizzes.texts import (
    INSTRUCTION,
    ITEM,
    KEY_TITLE,
    NAME_LINE,
    PROOF_TITLE,
    QUESTION,
    SHEET_TITLE,
    STUDENT,
    VARIANT,
)
from quizzes.topics import TOPICS


@dataclass(frozen=True)
class QuestionView:
    heading: str
    prompt: str
    instruction: str
    options: tuple[tuple[str, str], ...]  # (label, text)
    right: tuple[tuple[str, str], ...]  # matching: the right-hand column (letter, text)
    answer: str | None
    misconceptions: tuple[tuple[str, str], ...]  # (distractor text, what the mistake is)


@dataclass(frozen=True)
class PageView:
    title: str
    header: tuple[tuple[str, str], ...]
    questions: tuple[QuestionView, ...]
    kind: str  # "sheet", "key" or "proof"


def question(variant: Variant, lang: str, heading: str, with_answer: bool) -> QuestionView:
    margin = fmt(variant.numeric.margin, 2) if variant.numeric else ""
    options: tuple[tuple[str, str], ...] = ()
    right: tuple[tuple[str, str], ...] = ()
    if variant.choices:
        options = tuple((LETTERS[i], c.text[lang]) for i, c in enumerate(variant.choices))
    if variant.pairs:
        options = tuple((str(i + 1), p.left[lang]) for i, p in enumerate(variant.pairs))
        right = tuple(
            (LETTERS[pos], variant.pairs[i].right[lang])
            for pos, i in enumerate(variant.right_order)
        )
    tagged = [c for c in (*variant.choices, *variant.distractors) if c.misconception]
    return QuestionView(
        heading=heading,
        prompt=variant.prompt[lang],
        instruction=INSTRUCTION[variant.type].render(lang, margin=margin),
        options=options,
        right=right,
        answer=variant.answer_text(lang) if with_answer else None,
        misconceptions=tuple((c.text[lang], explain(c.misconception, lang)) for c in tagged)
        if with_answer
        else (),
    )


def sheet_page(quiz: Quiz, sheet: Sheet, with_answer: bool) -> PageView:
    lang = quiz.lang
    title = (KEY_TITLE if with_answer else SHEET_TITLE).render(lang, quiz=quiz.name)
    header = ((STUDENT.render(lang), sheet.student_id), *sheet.header.items())
    if not sheet.header and not with_answer:
        header = (*header, (NAME_LINE.render(lang), ""))
    questions = tuple(
        question(v, lang, QUESTION.render(lang, n=n), with_answer)
        for n, v in enumerate(sheet.variants, start=1)
    )
    return PageView(title, tuple(header), questions, "key" if with_answer else "sheet")


def proof_page(quiz: Quiz) -> PageView:
    lang = quiz.lang
    questions = []
    for item_id, variants in quiz.variants_by_item().items():
        for k, (variant, who) in enumerate(variants, start=1):
            topic = TOPICS[variant.topic].render(lang)
            heading = (
                ITEM.render(lang, item=item_id, topic=topic)
                + " · "
                + VARIANT.render(
                    lang,
                    k=k,
                    count=len(who),
                    who=", ".join(who[:6]) + (" …" if len(who) > 6 else ""),
                )
            )
            questions.append(question(variant, lang, heading, True))
    title = PROOF_TITLE.render(lang, quiz=quiz.name, seed=quiz.seed)
    return PageView(title, (), tuple(questions), "proof")
