"""Our own ``responses.csv`` (written by ``quiz scan``, corrected by hand after review)."""

from __future__ import annotations

from quizzes.answer_key import AnswerKey
from quizzes.responses import Response, Responses

NEEDED = ("student_id", "question", "response")
#: csv_cell puts a ``'`` before a cell a spreadsheet would run as a formula ("-0.5"): undo it.
_NEUTRALISED = ("'=", "'+", "'-", "'@")


def recognises(header: list[str]) -> bool:
    return all(column in header for column in NEEDED)


def _cell(text: str) -> str:
    return text[1:] if text.startswith(_NEUTRALISED) else text


def read(header: list[str], rows: list[list[str]], key: AnswerKey) -> Responses:
    at = {name: header.index(name) for name in header}
    result = Responses("scan")
    seen: set[tuple[str, int]] = set()
    for line, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {name: _cell(row[i]).strip() if i < len(row) else "" for name, i in at.items()}
        student = cells["student_id"]
        names = key.sheets.get(student)
        if names is None:
            result.problems.append(f"line {line}: student “{student}” has no sheet in this build")
            continue
        try:
            n = int(cells["question"])
            if n < 1:
                raise IndexError
            question = names[n - 1]
        except (ValueError, IndexError):
            result.problems.append(
                f"line {line}: question “{cells['question']}” is not on {student}'s sheet"
            )
            continue
        item = cells.get("item", "")
        if item and item != key.questions[question].item:
            result.problems.append(
                f"line {line}: question {n} of {student}'s sheet is {key.questions[question].item}"
                f", not “{item}”: is this the scan of another build?"
            )
            continue
        if (student, n) in seen:
            result.problems.append(
                f"line {line}: question {n} of {student} appears again; the first row is kept"
            )
            continue
        seen.add((student, n))
        result.students.setdefault(student, "")
        pending = cells.get("review", "").lower() == "yes"
        result.rows.append(Response(student, "", question, cells["response"], pending))
    return result
