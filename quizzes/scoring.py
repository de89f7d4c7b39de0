"""Scoring one response against the key, the same rules the LMS exports give the LMS:

- single choice, true/false: 1 for the key, 0 otherwise;
- multiple choice: each right choice marked adds 1/(number right), each wrong one subtracts
  1/(number wrong), at least 0 (Moodle's and our exports' weights);
- numeric: 1 within the margin; short answer: 1 for an accepted text (case ignored);
- matching: the share of left entries matched right.

A response is in the canonical form every reader produces: letters joined by ``;`` for choice
items (``A;C``), ``true``/``false``, the number as text, the text itself, and for matching
one letter per left entry joined by ``;`` (empty for an entry left blank).
"""

from __future__ import annotations

from dataclasses import dataclass

from quizzes.answer_key import KeyQuestion


@dataclass(frozen=True)
class Scored:
    points: float  # 0 … 1
    answered: bool
    chosen: tuple[str, ...]  # letters, "true"/"false", or () for typed answers
    misconceptions: tuple[str, ...]  # what the wrong parts of this response model
    problem: str = ""  # e.g. "not a number": the response could not be scored


def number(text: str) -> float | None:
    """A typed number: a decimal comma and spaces forgiven, anything else refused."""
    cleaned = text.strip().replace(" ", "").replace(",", ".")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value if value == value and abs(value) != float("inf") else None


def _letters(response: str) -> tuple[str, ...]:
    return tuple(sorted({part.strip().upper() for part in response.split(";") if part.strip()}))


def score(key: KeyQuestion, response: str) -> Scored:
    response = response.strip()
    if not response.replace(";", ""):
        return Scored(0.0, False, (), ())
    if key.type in ("single", "multiple"):
        chosen = _letters(response)
        by_letter = {c.letter: c for c in key.choices}
        unknown = [letter for letter in chosen if letter not in by_letter]
        if unknown:
            return Scored(0.0, True, chosen, (), f"no choice {', '.join(unknown)}")
        wrong = tuple(by_letter[x].misconception or "" for x in chosen if not by_letter[x].correct)
        right = {c.letter for c in key.choices if c.correct}
        if key.type == "single":
            points = 1.0 if set(chosen) == right else 0.0
        else:
            n_wrong = max(len(key.choices) - len(right), 1)
            points = max(
                0.0,
                sum(1 / len(right) if x in right else -1 / n_wrong for x in chosen),
            )
            points = min(points, 1.0)
        return Scored(round(points, 6), True, chosen, tuple(t for t in wrong if t))
    if key.type == "truefalse":
        value = response.lower()
        if value not in ("true", "false"):
            return Scored(0.0, True, (value,), (), "not true or false")
        right = value == ("true" if key.truth else "false")
        tags = (
            ()
            if right or value == "false" or not key.false_misconception
            else (key.false_misconception,)
        )
        return Scored(1.0 if right else 0.0, True, (value,), tags)
    if key.type == "numeric":
        value = number(response)
        if value is None or key.value is None:
            return Scored(0.0, True, (), (), "not a number")
        if abs(value - key.value) <= key.margin + 1e-12:
            return Scored(1.0, True, (), ())
        tags = tuple(tag for wrong, tag in key.distractors if abs(value - wrong) <= key.margin)
        return Scored(0.0, True, (), tags)
    if key.type == "short":
        right = response.casefold() in {a.casefold() for a in key.accepted}
        return Scored(1.0 if right else 0.0, True, (), ())
    given = [part.strip().upper() for part in response.split(";")]
    hits = sum(1 for g, k in zip(given, key.matching, strict=False) if g == k)
    return Scored(round(hits / max(len(key.matching), 1), 6), True, tuple(given), ())
