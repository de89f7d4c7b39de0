"""Machine-readable paper answer sheets: their geometry (:mod:`.layout`) and their PDF
(:mod:`.pdf`), written together by :func:`write`."""

from __future__ import annotations

from pathlib import Path

from quizzes.model import Quiz
from quizzes.sheets.layout import LAYOUT_FILE, SHEETS_DIR, layout_json, layout_of
from quizzes.sheets.pdf import PDF_FILE, draw


def write(quiz: Quiz, out: Path) -> list[Path]:
    """``answer_sheets/answer_sheets.pdf`` (every student's pages, in roster order) and
    ``answer_sheets/layout.json`` (where every bubble is, in PDF points)."""
    layout = layout_of(quiz)
    folder = out / SHEETS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    pdf_path = folder / PDF_FILE
    pdf_path.write_bytes(draw(layout, quiz))
    layout_path = folder / LAYOUT_FILE
    layout_path.write_text(layout_json(layout), encoding="utf-8", newline="\n")
    return [pdf_path, layout_path]
