"""Writing output files the same way every time (UTF-8, ``\\n``), so builds are byte-identical."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from quizzes.model import Quiz, Sheet
from quizzes.parallel import fan_out
from quizzes.render.view import PageView, sheet_page

#: A page in the quiz language -> the text of its file.
PageText = Callable[[PageView, str], str]


def write_text(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path


def write_bytes(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _write_chunk(shared: tuple[Quiz, Path, str, PageText], sheets: Sequence[Sheet]) -> list[Path]:
    quiz, out, suffix, text = shared
    return [
        write_text(out / folder / f"{sheet.student_id}{suffix}", text(page, quiz.lang))
        for sheet in sheets
        for folder, with_answer in (("sheets", False), ("keys", True))
        for page in (sheet_page(quiz, sheet, with_answer),)
    ]


def write_sheets(quiz: Quiz, out: Path, suffix: str, text: PageText) -> list[Path]:
    """Every sheet as ``sheets/<id><suffix>`` and its key as ``keys/<id><suffix>``; sheets are
    independent, so they are written on all cores (see :mod:`quizzes.parallel`)."""
    chunks = fan_out(_write_chunk, (quiz, out, suffix, text), quiz.sheets)
    return [path for chunk in chunks for path in chunk]
