"""Moodle's quiz "Responses" report, downloaded as CSV (Results → Responses → Download).

Columns: ``Surname``, ``First name``, (``ID number``,) ``Email address``, ``State``,
``Started on``, ``Completed``, ``Time taken``, ``Grade/…``, then per slot ``Question k``
(when *Question text* is ticked), ``Response k`` and ``Right answer k``. With random
questions a slot holds a different variant per student, so the slot's ``Question k`` text
(Moodle's summary: the question text, then ``: choice; choice``) tells which variant a
student got; without it, only a slot whose every variant is the same question can be read.
A response is Moodle's summary of the answer: the choice's text (``; `` between several),
``True``/``False`` (or the site language's words), the number, ``left -> right; …``.
"""

from __future__ import annotations

import re

from quizzes.answer_key import AnswerKey
from quizzes.responses import Response, Responses
from quizzes.responses.lmstext import QuestionFinder, choose

_RESPONSE = re.compile(r"^Response (\d+)$")
_NO_ANSWER = {"", "-"}


def recognises(header: list[str]) -> bool:
    return "Email address" in header and any(_RESPONSE.match(h) for h in header)


def read(header: list[str], rows: list[list[str]], key: AnswerKey) -> Responses:
    at = {name: k for k, name in enumerate(header)}
    slots = sorted(int(m.group(1)) for h in header if (m := _RESPONSE.match(h)))
    finder = QuestionFinder(key)
    only = {q.prompt: q for q in key.questions.values()}
    result = Responses("moodle")
    for line, row in enumerate(rows, start=2):

        def cell(name: str, row: list[str] = row) -> str:
            k = at.get(name)
            return row[k].strip() if k is not None and k < len(row) else ""

        email, state = cell("Email address"), cell("State")
        if not email and not cell("ID number"):
            continue  # the "Overall average" line and blank lines
        if state and state.lower() not in ("finished", "종료됨", "완료"):
            result.problems.append(f"line {line}: attempt state “{state}”, not finished: skipped")
            continue
        student = cell("ID number") or email
        name = f"{cell('First name')} {cell('Surname')}".strip()
        result.students.setdefault(student, name)
        for slot in slots:
            text = cell(f"Question {slot}")
            question = (
                finder.find(text)
                if text
                else (next(iter(only.values())) if len(only) == 1 else None)
            )
            if question is None:
                result.problems.append(
                    f"line {line}, slot {slot}: cannot tell which question this is; download "
                    "the report with 'Question text' ticked"
                )
                continue
            answer = cell(f"Response {slot}")
            if answer in _NO_ANSWER:
                result.rows.append(Response(student, name, question.name, ""))
                continue
            response = choose(question, answer)
            if response is None:
                result.problems.append(
                    f"line {line}, slot {slot}: response “{answer[:60]}” is none of "
                    f"{question.name}'s choices"
                )
                continue
            result.rows.append(Response(student, name, question.name, response))
    return result
