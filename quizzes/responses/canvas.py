"""Canvas's quiz "Student Analysis" report (Quiz statistics → Student Analysis → CSV).

Columns: ``name``, ``id``, ``sis_id``, ``section``, ``section_id``, ``section_sis_id``,
``submitted``, ``attempt``, then per question a column headed ``<Canvas question id>:
<question text>`` holding the student's answer, followed by a column of its points, and at
the end ``n correct``, ``n incorrect``, ``score``. Canvas's ids are its own, so the question
text finds our variant. An answer is the choice's text (several joined by ``,``), ``True``
or ``False`` as we exported them, the number, or the typed text.
"""

from __future__ import annotations

import re

from quizzes.answer_key import AnswerKey
from quizzes.responses import Response, Responses
from quizzes.responses.lmstext import QuestionFinder, choose

_QUESTION = re.compile(r"^(\d+):\s*(.*)$", re.DOTALL)


def recognises(header: list[str]) -> bool:
    return header[:2] == ["name", "id"] and any(_QUESTION.match(h) for h in header)


def read(header: list[str], rows: list[list[str]], key: AnswerKey) -> Responses:
    finder = QuestionFinder(key)
    columns = []
    result = Responses("canvas")
    for k, h in enumerate(header):
        match = _QUESTION.match(h)
        if not match:
            continue
        question = finder.find(match.group(2))
        if question is None:
            result.problems.append(
                f"column {k + 1}: question “{match.group(2)[:60]}” is not one question of this "
                "build's export (absent, or the start of several that score differently): not "
                f"scored / {k + 1}열: 이 빌드의 문항 하나로 정할 수 없어 채점하지 않았습니다"
            )
            continue
        columns.append((k, question))
    sis = header.index("sis_id") if "sis_id" in header else None
    for line, row in enumerate(rows, start=2):
        if not row or not any(cell.strip() for cell in row):
            continue
        name = row[0].strip()
        student = (row[sis].strip() if sis is not None and sis < len(row) else "") or (
            row[1].strip() if len(row) > 1 else ""
        )
        if not student:
            result.problems.append(f"line {line}: no student id")
            continue
        result.students.setdefault(student, name)
        for k, question in columns:
            answer = row[k].strip() if k < len(row) else ""
            if not answer:
                continue  # a question this student did not get (Canvas groups) or left blank
            response = choose(question, answer)
            if response is None:
                result.problems.append(
                    f"line {line}: answer “{answer[:60]}” is none of {question.name}'s choices"
                )
                continue
            result.rows.append(Response(student, name, question.name, response))
    return result
