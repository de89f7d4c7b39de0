"""Where everything sits on a paper answer sheet, in PDF points from the page's top-left
corner (y grows downwards, as in a scanned image). The PDF is drawn from this geometry and
the scanner reads with it, so both agree by construction; ``layout.json`` publishes it.

A page carries four corner markers (solid squares), a page code in bubbles (sheet number,
page number, check digit; see :mod:`quizzes.sheets.code`), the student id in print, and one
row per question: bubbles for choice and true/false items, a bubble row per left entry for
matching, a write-in box for numeric and short answers (read by a person, see docs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from quizzes.model import LETTERS, Quiz, Variant
from quizzes.sheets.code import CODE_DIGITS, build_digits, encode

SHEETS_DIR = "answer_sheets"
LAYOUT_FILE = "layout.json"
LAYOUT_FORMAT = "optigrade-answer-sheets/1"

PAGE = (595.276, 841.89)  # A4 in points
MARKER = 18.0  # side of a corner marker
MARKER_INSET = 36.0  # from the page edge to a marker's centre
BUBBLE_R = 6.5
BUBBLE_STEP = 24.0  # centre to centre along a row
ROW_STEP = 22.0
CODE_R = 4.6
CODE_STEP = (14.0, 12.5)  # column, digit
CODE_ORIGIN = (392.0, 108.0)  # centre of the first column's digit 0
QUESTIONS_TOP = 280.0
QUESTIONS_BOTTOM = PAGE[1] - 66.0
COLUMNS_X = (58.0, 318.0)  # left edge of each question column
LABEL_WIDTH = 34.0  # question number before the first bubble
BOX = (150.0, 18.0)  # a write-in box
TRUTH_LABELS = ("true", "false")


@dataclass(frozen=True)
class Bubble:
    choice: str  # A, B, …; "true"/"false"; for matching "1:A" (left entry 1, letter A)
    x: float
    y: float
    r: float


@dataclass(frozen=True)
class QuestionLayout:
    n: int  # question number on the sheet
    item: str
    type: str
    bubbles: tuple[Bubble, ...] = ()
    box: tuple[float, float, float, float] | None = None  # x, y, width, height (write-in)
    label: tuple[float, float] = (0.0, 0.0)  # where the number is printed (baseline start)
    rows: int = 1


@dataclass(frozen=True)
class PageLayout:
    page: int  # 1-based within the student's sheet
    pdf_page: int  # 1-based within answer_sheets.pdf
    code: str  # the digits the page code bubbles hold
    questions: tuple[QuestionLayout, ...]


@dataclass(frozen=True)
class SheetLayout:
    student_id: str
    sheet: int  # 1-based position in the build (the number the code carries)
    pages: tuple[PageLayout, ...]


@dataclass(frozen=True)
class Layout:
    page_size: tuple[float, float]
    markers: tuple[tuple[str, float, float, float], ...]  # (corner, centre x, centre y, side)
    code_bubbles: tuple[tuple[int, int, float, float, float], ...]  # column, digit, x, y, r
    sheets: tuple[SheetLayout, ...]


def markers() -> tuple[tuple[str, float, float, float], ...]:
    w, h = PAGE
    a = MARKER_INSET
    return (
        ("top-left", a, a, MARKER),
        ("top-right", w - a, a, MARKER),
        ("bottom-left", a, h - a, MARKER),
        ("bottom-right", w - a, h - a, MARKER),
    )


def code_bubbles() -> tuple[tuple[int, int, float, float, float], ...]:
    x0, y0 = CODE_ORIGIN
    return tuple(
        (column, digit, x0 + column * CODE_STEP[0], y0 + digit * CODE_STEP[1], CODE_R)
        for column in range(CODE_DIGITS)
        for digit in range(10)
    )


def _rows(variant: Variant) -> int:
    return max(1, len(variant.pairs))


def _question(variant: Variant, n: int, x: float, y: float) -> QuestionLayout:
    first = x + LABEL_WIDTH
    if variant.type in ("single", "multiple"):
        labels: list[tuple[str, float]] = [(LETTERS[i], y) for i in range(len(variant.choices))]
    elif variant.type == "truefalse":
        labels = [(label, y) for label in TRUTH_LABELS]
    elif variant.type == "matching":
        bubbles = tuple(
            Bubble(
                f"{row + 1}:{LETTERS[k]}",
                first + 14 + k * BUBBLE_STEP,
                y + row * ROW_STEP,
                BUBBLE_R,
            )
            for row in range(len(variant.pairs))
            for k in range(len(variant.pairs))
        )
        return QuestionLayout(
            n, variant.item_id, variant.type, bubbles, None, (x, y), _rows(variant)
        )
    else:
        box = (first, y - BOX[1] / 2, BOX[0], BOX[1])
        return QuestionLayout(n, variant.item_id, variant.type, (), box, (x, y))
    bubbles = tuple(
        Bubble(label, first + k * BUBBLE_STEP, row_y, BUBBLE_R)
        for k, (label, row_y) in enumerate(labels)
    )
    return QuestionLayout(n, variant.item_id, variant.type, bubbles, None, (x, y))


def _pages(variants: tuple[Variant, ...]) -> list[list[tuple[int, Variant, float, float]]]:
    """Questions in reading order, down the left column, then the right, then a new page."""
    pages: list[list[tuple[int, Variant, float, float]]] = [[]]
    column, y = 0, QUESTIONS_TOP
    for n, variant in enumerate(variants, start=1):
        height = _rows(variant) * ROW_STEP
        if y + height - ROW_STEP > QUESTIONS_BOTTOM:
            column, y = column + 1, QUESTIONS_TOP
            if column == len(COLUMNS_X):
                pages.append([])
                column = 0
        pages[-1].append((n, variant, COLUMNS_X[column], y))
        y += height + (ROW_STEP / 2 if _rows(variant) > 1 else 0)
    return pages


def layout_of(quiz: Quiz) -> Layout:
    sheets = []
    pdf_page = 0
    students = [sheet.student_id for sheet in quiz.sheets]
    build = build_digits(quiz.name, quiz.seed, quiz.lang, *quiz.item_ids, *students)
    for number, sheet in enumerate(quiz.sheets, start=1):
        pages = []
        for page_no, placed in enumerate(_pages(sheet.variants), start=1):
            pdf_page += 1
            questions = tuple(_question(v, n, x, y) for n, v, x, y in placed)
            pages.append(PageLayout(page_no, pdf_page, encode(build, number, page_no), questions))
        sheets.append(SheetLayout(sheet.student_id, number, tuple(pages)))
    return Layout(PAGE, markers(), code_bubbles(), tuple(sheets))


def layout_json(layout: Layout) -> str:
    """The published geometry: per student, page, question and choice, each bubble's centre
    and radius in points; a page's code bubbles are the same on every page."""
    data = {
        "format": LAYOUT_FORMAT,
        "units": "pt",
        "origin": "top-left corner of the page, y grows downwards",
        "page_size": {"width": layout.page_size[0], "height": layout.page_size[1]},
        "markers": [{"corner": c, "x": x, "y": y, "size": s} for c, x, y, s in layout.markers],
        "code": {
            "digits": CODE_DIGITS,
            "meaning": (
                "build (2 digits), sheet number (4 digits), page number (1 digit), check digit "
                "(weights 3, 1, 3, …; the sum is a multiple of 10)"
            ),
            "bubbles": [
                {"column": c, "digit": d, "x": x, "y": y, "r": r}
                for c, d, x, y, r in layout.code_bubbles
            ],
        },
        "sheets": [
            {
                "student_id": sheet.student_id,
                "sheet": sheet.sheet,
                "pages": [
                    {
                        "page": page.page,
                        "pdf_page": page.pdf_page,
                        "code": page.code,
                        "questions": [
                            {
                                "n": q.n,
                                "item": q.item,
                                "type": q.type,
                                "bubbles": [
                                    {"choice": b.choice, "x": b.x, "y": b.y, "r": b.r}
                                    for b in q.bubbles
                                ],
                                **(
                                    {
                                        "box": dict(
                                            zip(("x", "y", "width", "height"), q.box, strict=True)
                                        )
                                    }
                                    if q.box
                                    else {}
                                ),
                            }
                            for q in page.questions
                        ],
                    }
                    for page in sheet.pages
                ],
            }
            for sheet in layout.sheets
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def read_layout(text: str) -> Layout:
    """``layout.json`` back into a :class:`Layout` (``ValueError`` when it is not one)."""
    try:
        data = json.loads(text)
        if data.get("format") != LAYOUT_FORMAT:
            raise ValueError(f"format {data.get('format')!r}, expected {LAYOUT_FORMAT}")
        size = data["page_size"]
        return Layout(
            page_size=(float(size["width"]), float(size["height"])),
            markers=tuple(
                (str(m["corner"]), float(m["x"]), float(m["y"]), float(m["size"]))
                for m in data["markers"]
            ),
            code_bubbles=tuple(
                (int(b["column"]), int(b["digit"]), float(b["x"]), float(b["y"]), float(b["r"]))
                for b in data["code"]["bubbles"]
            ),
            sheets=tuple(
                SheetLayout(
                    str(s["student_id"]),
                    int(s["sheet"]),
                    tuple(
                        PageLayout(
                            int(p["page"]),
                            int(p["pdf_page"]),
                            str(p["code"]),
                            tuple(
                                QuestionLayout(
                                    n=int(q["n"]),
                                    item=str(q["item"]),
                                    type=str(q["type"]),
                                    bubbles=tuple(
                                        Bubble(
                                            str(b["choice"]),
                                            float(b["x"]),
                                            float(b["y"]),
                                            float(b["r"]),
                                        )
                                        for b in q["bubbles"]
                                    ),
                                    box=(
                                        tuple(
                                            float(q["box"][k])
                                            for k in ("x", "y", "width", "height")
                                        )  # type: ignore[arg-type]
                                        if "box" in q
                                        else None
                                    ),
                                )
                                for q in p["questions"]
                            ),
                        )
                        for p in s["pages"]
                    ),
                )
                for s in data["sheets"]
            ),
        )
    except (KeyError, TypeError, AttributeError) as error:
        raise ValueError(f"not an answer-sheet layout ({error!r})") from None
