"""Finding our questions and choices in what an LMS reports back.

An LMS shows a question's text and a chosen answer's text, converted from the HTML we
exported (``quizzes.mathtext.to_lms_html``) to plain text; its own ids are not ours. So both
sides are brought to one plain form (tags dropped, entities decoded, math delimiters and
whitespace removed, case folded) and compared.
"""

from __future__ import annotations

import html
import re

from quizzes.answer_key import AnswerKey, KeyQuestion
from quizzes.mathtext import to_lms_html

_TAG = re.compile(r"<[^>]*>")
_MATH = re.compile(r"\\[()\[\]]")
TRUE_WORDS = {"true", "참", "o", "예", "t"}
FALSE_WORDS = {"false", "거짓", "x", "아니요", "f"}


def plain(text: str) -> str:
    text = html.unescape(_TAG.sub(" ", text))
    text = _MATH.sub(" ", text)
    return "".join(text.split()).casefold()


def ours(text: str) -> str:
    """Plain form of one of our texts (``$LaTeX$`` source) as the LMS got it."""
    return plain(to_lms_html(text))


def meaning(q: KeyQuestion) -> tuple[object, ...]:
    """What scores a response to ``q`` by its text: two variants that differ only in the
    order of their choices score every answer text alike."""
    pairs = frozenset(
        (ours(left), ours(q.rights[ord(letter) - ord("A")]))
        for left, letter in zip(q.lefts, q.matching, strict=False)
    )
    choices = frozenset((ours(c.text), c.correct, c.misconception) for c in q.choices)
    return (q.item, q.type, ours(q.prompt), choices, q.truth, q.value, q.margin, q.accepted, pairs)


def summary(q: KeyQuestion) -> str:
    """Moodle's question summary of a choice question in plain form: text, then the choices."""
    return ours(q.prompt) + (":" + ";".join(ours(c.text) for c in q.choices) if q.choices else "")


class QuestionFinder:
    """The key's variant a question text belongs to (an LMS may cut or extend the text)."""

    def __init__(self, key: AnswerKey) -> None:
        self.by_text = [(ours(q.prompt), q) for q in key.questions.values()]

    def find(self, text: str) -> KeyQuestion | None:
        target = plain(text)
        if not target:
            return None
        found = [q for t, q in self.by_text if t == target]
        if not found:
            # Moodle's summary appends ": choice; choice" to our text: the longest of ours it
            # starts with is the question.
            longer = [q for t, q in self.by_text if target.startswith(t)]
            longest = max((len(ours(q.prompt)) for q in longer), default=0)
            found = [q for q in longer if len(ours(q.prompt)) == longest]
        if not found:
            # Canvas may cut a long text: every question it could be the start of is a
            # candidate, and they must score alike (below), or none is guessed.
            found = [q for t, q in self.by_text if t.startswith(target)]
        if len(found) > 1:
            # Variants that share a text but order their choices differently: Moodle's
            # summary lists the choices in order; if nothing tells them apart, they score alike.
            ordered = [q for q in found if summary(q) == target]
            found = ordered or found
            if len({meaning(q) for q in found}) == 1:
                found = found[:1]
        return found[0] if len(found) == 1 else None


def choose(question: KeyQuestion, answer: str) -> str | None:
    """The canonical response for an LMS's text of the chosen answer(s), None when unknown."""
    target = plain(answer)
    if question.type == "truefalse":
        if target in TRUE_WORDS:
            return "true"
        if target in FALSE_WORDS:
            return "false"
        return None
    if question.type in ("single", "multiple"):
        texts = sorted(
            ((ours(c.text), c.letter) for c in question.choices), key=lambda t: -len(t[0])
        )
        exact = [letter for text, letter in texts if text == target]
        if exact:
            return exact[0]
        if question.type == "single":
            return None
        found, rest = [], target
        for text, letter in texts:  # longest first, so a choice inside another is not taken
            if text and text in rest:
                found.append(letter)
                rest = rest.replace(text, "", 1)
        if not found or rest.strip(";,"):
            return None
        return ";".join(sorted(found))
    if question.type == "matching":
        return _matching(question, answer)
    return answer.strip()


def _matching(question: KeyQuestion, answer: str) -> str | None:
    """Moodle's summary of a matching response: ``left -> right; left -> right``."""
    lefts = {ours(text): k for k, text in enumerate(question.lefts)}
    rights = {ours(text): chr(ord("A") + k) for k, text in enumerate(question.rights)}
    given = [""] * len(question.lefts)
    for part in answer.split(";"):
        if "->" not in part:
            continue
        left, right = (plain(side) for side in part.split("->", 1))
        if left not in lefts or right not in rights:
            return None
        given[lefts[left]] = rights[right]
    return ";".join(given)
