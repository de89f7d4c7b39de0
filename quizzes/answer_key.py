"""The build's answer key as data (``key.json``): what ``quiz grade`` scores against.

A build writes it beside the sheets, so that grading needs neither the bank nor the seed again
(the bank may have changed since the quiz was printed). It holds every distinct variant once,
under the name the LMS exports give it (``<item> v<k>``), and per sheet the variant of each
question; choices keep their display letters and the misconception each wrong one models.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from quizzes.errors import QuizError
from quizzes.model import LETTERS, Quiz, Variant

KEY_FILE = "key.json"
KEY_FORMAT = "optigrade-quiz-key/1"


class AnswerKeyError(QuizError):
    """``key.json`` is missing or unreadable: the build directory is not a quiz build."""


@dataclass(frozen=True)
class KeyChoice:
    letter: str
    text: str  # in the quiz language, with $LaTeX$
    correct: bool
    misconception: str | None


@dataclass(frozen=True)
class KeyQuestion:
    """One distinct variant: enough to score any response to it and to name the mistakes."""

    name: str
    item: str
    type: str
    prompt: str
    choices: tuple[KeyChoice, ...] = ()
    truth: bool | None = None
    false_misconception: str | None = None  # true/false: the belief of answering "true"
    value: float | None = None
    margin: float = 0.0
    distractors: tuple[tuple[float, str], ...] = ()  # numeric: (wrong value, misconception)
    accepted: tuple[str, ...] = ()
    matching: tuple[str, ...] = ()  # per left entry, the letter of its partner
    lefts: tuple[str, ...] = ()
    rights: tuple[str, ...] = ()  # matching: right-hand texts in display order

    @property
    def key_text(self) -> str:
        """The right response in the canonical form of :mod:`quizzes.scoring`."""
        if self.type in ("single", "multiple"):
            return ";".join(c.letter for c in self.choices if c.correct)
        if self.type == "truefalse":
            return "true" if self.truth else "false"
        if self.type == "numeric":
            return repr(self.value)
        if self.type == "short":
            return self.accepted[0] if self.accepted else ""
        return ";".join(self.matching)


@dataclass(frozen=True)
class AnswerKey:
    name: str
    seed: int
    lang: str
    items: tuple[str, ...]
    questions: Mapping[str, KeyQuestion]  # variant name -> question
    sheets: Mapping[str, tuple[str, ...]]  # student id -> variant name per question, in order

    def sheet_questions(self, student: str) -> list[KeyQuestion]:
        return [self.questions[name] for name in self.sheets[student]]


def _question(name: str, variant: Variant, lang: str) -> KeyQuestion:
    choices = tuple(
        KeyChoice(LETTERS[i], c.text[lang], c.correct, None if c.correct else c.misconception)
        for i, c in enumerate(variant.choices)
    )
    numeric = variant.numeric
    return KeyQuestion(
        name=name,
        item=variant.item_id,
        type=variant.type,
        prompt=variant.prompt[lang],
        choices=choices,
        truth=variant.truth,
        false_misconception=(
            variant.distractors[0].misconception
            if variant.type == "truefalse" and variant.distractors
            else None
        ),
        value=numeric.value if numeric else None,
        margin=numeric.margin if numeric else 0.0,
        distractors=tuple(
            (float(c.value), c.misconception or "")
            for c in variant.distractors
            if c.value is not None
        ),
        accepted=variant.accepted,
        matching=tuple(LETTERS[j] for j in variant.matching_answer()) if variant.pairs else (),
        lefts=tuple(p.left[lang] for p in variant.pairs),
        rights=tuple(variant.pairs[i].right[lang] for i in variant.right_order),
    )


def answer_key(quiz: Quiz) -> AnswerKey:
    """The key of a built quiz; variant names are those of :meth:`Quiz.lms_questions`."""
    names: dict[tuple[Any, ...], str] = {}
    questions: dict[str, KeyQuestion] = {}
    for name, variant in quiz.lms_questions():
        names[variant.fingerprint()] = name
        questions[name] = _question(name, variant, quiz.lang)
    sheets = {
        sheet.student_id: tuple(names[v.fingerprint()] for v in sheet.variants)
        for sheet in quiz.sheets
    }
    return AnswerKey(quiz.name, quiz.seed, quiz.lang, quiz.item_ids, questions, sheets)


def _plain(value: Any) -> Any:
    if hasattr(value, "__dataclass_fields__"):
        return {k: _plain(getattr(value, k)) for k in value.__dataclass_fields__}
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def to_json(key: AnswerKey) -> str:
    return json.dumps({"format": KEY_FORMAT, **_plain(key)}, ensure_ascii=False, indent=1) + "\n"


def _tuple(values: Sequence[Any] | None) -> tuple[Any, ...]:
    return tuple(values or ())


def read_key(build: Path) -> AnswerKey:
    """The key of the build directory ``build``; a clear error when it is not one."""
    path = build / KEY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("format") != KEY_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {KEY_FORMAT}")
        questions = {
            name: KeyQuestion(
                **{
                    **q,
                    "choices": tuple(KeyChoice(**c) for c in q["choices"]),
                    "distractors": tuple((float(v), str(t)) for v, t in q["distractors"]),
                    **{k: _tuple(q[k]) for k in ("accepted", "matching", "lefts", "rights")},
                }
            )
            for name, q in data["questions"].items()
        }
        return AnswerKey(
            name=str(data["name"]),
            seed=int(data["seed"]),
            lang=str(data["lang"]),
            items=_tuple(data["items"]),
            questions=questions,
            sheets={s: _tuple(names) for s, names in data["sheets"].items()},
        )
    except OSError:
        raise AnswerKeyError(
            f"{path}: not found; give --build the folder that `optigrade quiz build --out` wrote "
            f"({path}: 없음; `optigrade quiz build --out` 이 만든 폴더를 --build 로 주십시오)"
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise AnswerKeyError(
            f"{path}: not a quiz key ({error}); rebuild the quiz with the same command "
            f"({path}: 퀴즈 정답 파일이 아닙니다; 같은 명령으로 다시 만드십시오)"
        ) from None


def write(quiz: Quiz, out: Path) -> list[Path]:
    path = out / KEY_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(to_json(answer_key(quiz)), encoding="utf-8", newline="\n")
    return [path]
