"""Reading responses into one form, whatever wrote them: our scan's ``responses.csv``, Moodle's
quiz "Responses" report, Canvas's "Student Analysis" CSV. Each reader maps what it reads to
the key's questions; a row or cell it cannot map becomes a recorded problem, never a crash."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from quizzes.answer_key import AnswerKey
from quizzes.errors import QuizError


class ResponsesError(QuizError):
    """The responses file cannot be read at all (not a CSV, or no known format)."""


@dataclass(frozen=True)
class Response:
    student: str  # the student's id (roster id, LMS id number or e-mail)
    name: str  # shown in the report; may be empty
    question: str  # the key's variant name ("<item> v<k>")
    response: str  # canonical form, see quizzes.scoring
    pending: bool = False  # still on the scan's review list


@dataclass
class Responses:
    source: str  # "scan", "moodle" or "canvas"
    rows: list[Response] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "line 7: …", one per unusable cell
    students: dict[str, str] = field(default_factory=dict)  # id -> name, in file order


def read_table(path: Path) -> tuple[list[str], list[list[str]]]:
    """A CSV's header and rows (UTF-8 with or without BOM, as LMS downloads are)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ResponsesError(
            f"{path}: cannot read it as UTF-8 CSV ({error}) ({path}: UTF-8 CSV 로 읽을 수 없습니다)"
        ) from None
    try:
        table = list(csv.reader(text.splitlines()))
    except csv.Error as error:
        raise ResponsesError(f"{path}: not a CSV ({error}) (CSV 파일이 아닙니다)") from None
    if not table:
        raise ResponsesError(f"{path}: empty file (빈 파일입니다)")
    return [h.strip() for h in table[0]], table[1:]


def read_responses(path: Path, key: AnswerKey) -> Responses:
    """The responses of ``path``, its format told by its header."""
    from quizzes.responses import canvas, moodle, ours

    header, rows = read_table(path)
    for reader in (ours, moodle, canvas):
        if reader.recognises(header):
            return _one_attempt_each(reader.read(header, rows, key))
    raise ResponsesError(
        f"{path}: not a responses file this tool knows (our scan's responses.csv, Moodle's "
        "quiz Responses report as CSV, Canvas's Student Analysis CSV); header starts "
        f"{', '.join(header[:5])} (알 수 있는 응답 파일 형식이 아닙니다)"
    )


def _one_attempt_each(found: Responses) -> Responses:
    """Without the students who answered one question more than once (an LMS export of every
    attempt): their answers would be mixed from several attempts, question by question. Each
    is listed with what to do instead."""
    seen: dict[tuple[str, str], int] = {}
    for row in found.rows:
        seen[row.student, row.question] = seen.get((row.student, row.question), 0) + 1
    repeated = sorted({student for (student, _q), count in seen.items() if count > 1})
    if not repeated:
        return found
    found.rows = [row for row in found.rows if row.student not in repeated]
    for student in repeated:
        found.problems.append(
            f"{student}: several attempts in this file, not scored; export one attempt per "
            "student (Moodle: Attempts from → highest grade; Canvas: the latest) and grade "
            f"again / {student}: 이 파일에 응시가 여러 번 있어 채점하지 않았습니다. 학생마다 "
            "응시 하나만 내보내(Moodle: 응시 → 최고 점수, Canvas: 최신) 다시 채점하십시오"
        )
    return found
