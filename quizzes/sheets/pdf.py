"""The answer sheets' PDF, drawn with reportlab straight from :mod:`.layout`: every bubble
is exactly where ``layout.json`` says (no browser layout in between), and the same command
gives the same bytes (reportlab's invariant mode fixes dates and ids)."""

from __future__ import annotations

import io
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from quizzes.errors import ExportError
from quizzes.model import Quiz
from quizzes.sheets.layout import BUBBLE_STEP, Layout, PageLayout, QuestionLayout
from quizzes.texts import (
    ANSWER_SHEET_BOX,
    ANSWER_SHEET_CODE,
    ANSWER_SHEET_HOW,
    ANSWER_SHEET_MATCHING,
    ANSWER_SHEET_TITLE,
    ANSWER_SHEET_WHO,
    TRUTH_MARKS,
)

PDF_FILE = "answer_sheets.pdf"
FONT = "NanumGothic"
FONT_FILES = (
    Path("/usr/share/fonts/truetype/nanum/NanumGothic.ttf"),
    Path("/usr/share/fonts/nanum/NanumGothic.ttf"),
)
#: Printed letters inside bubbles are light, so that the scanner's darkness of an empty
#: bubble stays near the paper's and a filled one stands out.
LETTER_GREY = 0.72
OUTLINE_GREY = 0.3


@lru_cache(maxsize=1)
def font_file() -> Path:
    for path in FONT_FILES:
        if path.exists():
            return path
    if shutil.which("fc-match"):
        found = subprocess.run(
            ["fc-match", "-f", "%{file}", "NanumGothic:lang=ko"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        if found.lower().endswith(".ttf") and "nanum" in found.lower():
            return Path(found)
    raise ExportError(
        "the answer sheets need the Nanum fonts for Korean: run `make system-deps` (as root) or "
        "`apt-get install fonts-nanum` (답안지에는 나눔 글꼴이 필요합니다: `make system-deps`)"
    )


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT, str(font_file())))
    return FONT


class _Page:
    """Drawing in layout coordinates (top-left origin) on a reportlab canvas."""

    def __init__(self, canvas: Canvas, height: float) -> None:
        self.canvas = canvas
        self.height = height

    def text(
        self, x: float, y: float, text: str, size: float, grey: float = 0.0, centred: bool = False
    ) -> None:
        self.canvas.setFillGray(grey)
        self.canvas.setFont(FONT, size)
        if centred:
            self.canvas.drawCentredString(x, self.height - y, text)
        else:
            self.canvas.drawString(x, self.height - y, text)

    def square(self, x: float, y: float, side: float) -> None:
        self.canvas.setFillGray(0)
        self.canvas.rect(x - side / 2, self.height - y - side / 2, side, side, stroke=0, fill=1)

    def bubble(self, x: float, y: float, r: float, label: str) -> None:
        self.canvas.setStrokeGray(OUTLINE_GREY)
        self.canvas.setLineWidth(0.7)
        self.canvas.circle(x, self.height - y, r, stroke=1, fill=0)
        if label:
            self.text(x, y + r * 0.36, label, r * 1.05, LETTER_GREY, centred=True)

    def box(self, x: float, y: float, width: float, height: float) -> None:
        self.canvas.setStrokeGray(OUTLINE_GREY)
        self.canvas.setLineWidth(0.7)
        self.canvas.rect(x, self.height - y - height, width, height, stroke=1, fill=0)


def _question(page: _Page, q: QuestionLayout, lang: str) -> None:
    x, y = q.label
    page.text(x, y + 3.5, f"{q.n}.", 10)
    if q.box:
        bx, by, bw, bh = q.box
        page.box(bx, by, bw, bh)
        page.text(bx + bw + 6, by + bh / 2 + 3, ANSWER_SHEET_BOX[q.type].render(lang), 7, 0.45)
        return
    if q.type == "matching":
        rows = sorted({b.choice.split(":")[0] for b in q.bubbles}, key=int)
        for row in rows:
            first = next(b for b in q.bubbles if b.choice == f"{row}:A")
            page.text(first.x - 14, first.y + 3, f"{row}", 8, 0.3, centred=True)
        last = q.bubbles[-1]
        page.text(x + 16, last.y + BUBBLE_STEP * 0.8, ANSWER_SHEET_MATCHING.render(lang), 6.5, 0.45)
    for b in q.bubbles:
        label = b.choice.split(":")[-1]
        if q.type == "truefalse":
            label = TRUTH_MARKS[lang][0 if b.choice == "true" else 1]
        page.bubble(b.x, b.y, b.r, label)


def _page(
    page: _Page, layout: Layout, sheet_page: PageLayout, student: str, pages: int, quiz: Quiz
) -> None:
    lang = quiz.lang
    for _corner, x, y, side in layout.markers:
        page.square(x, y, side)
    page.text(62, 62, ANSWER_SHEET_TITLE.render(lang, quiz=quiz.name), 15)
    who = ANSWER_SHEET_WHO.render(lang, student=student, page=sheet_page.page, pages=pages)
    page.text(62, 84, who, 10.5)
    for line, text in enumerate(ANSWER_SHEET_HOW):
        page.text(62, 240 + 12 * line, text.render(lang), 7.6, 0.2)
    first_x, first_y = layout.code_bubbles[0][2:4]
    page.text(first_x - 6, first_y - 14, ANSWER_SHEET_CODE.render(lang), 7, 0.35)
    for column, digit, x, y, r in layout.code_bubbles:
        # The code is pre-filled: the scanner reads which sheet and page this is.
        if sheet_page.code[column] == str(digit):
            page.canvas.setFillGray(0)
            page.canvas.circle(x, page.height - y, r, stroke=0, fill=1)
        else:
            page.bubble(x, y, r, str(digit))
    for q in sheet_page.questions:
        _question(page, q, lang)


def draw(layout: Layout, quiz: Quiz) -> bytes:
    _font()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=layout.page_size, invariant=1)
    canvas.setTitle(ANSWER_SHEET_TITLE.render(quiz.lang, quiz=quiz.name))
    canvas.setCreator("optigrade")
    for sheet in layout.sheets:
        for sheet_page in sheet.pages:
            _page(
                _Page(canvas, layout.page_size[1]),
                layout,
                sheet_page,
                sheet.student_id,
                len(sheet.pages),
                quiz,
            )
            canvas.showPage()
    canvas.save()
    return buffer.getvalue()
