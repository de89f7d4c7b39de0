"""One scanned page read against the layout: whose sheet and which page (the page code), then
every question's marks and the response they make, with what a person must check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import cv2
import numpy as np

from quizzes.scan.align import Aligned, align
from quizzes.scan.marks import CROSSED, DOUBTFUL, FILLED, Mark, measure, verdict
from quizzes.sheets.code import decode
from quizzes.sheets.layout import Bubble, Layout, PageLayout, QuestionLayout, SheetLayout

#: A code column is read when one digit is this dark and every other one at most half of it.
CODE_FILLED = 0.5
MAX_EMPTY_LEVEL = 0.08


@dataclass(frozen=True)
class QuestionRead:
    n: int
    item: str
    type: str
    response: str  # the canonical response of quizzes.scoring ("A;C", "true", "B;;A", "")
    marks: tuple[tuple[str, Mark], ...]
    review: tuple[str, ...]  # reasons (keys of quizzes.texts.REVIEW_REASON)
    box_px: tuple[int, int, int, int] | None = None  # write-in box in image pixels

    @property
    def confidence(self) -> float:
        return min((mark.confidence for _c, mark in self.marks), default=0.0)


@dataclass(frozen=True)
class PageRead:
    source: str
    index: int
    student_id: str = ""
    sheet: int = 0
    page: int = 0
    problem: str = ""  # key of REVIEW_REASON ("page", "code") when the page is not read
    detail: str = ""
    questions: tuple[QuestionRead, ...] = field(default_factory=tuple)


def _bubble_px(aligned: Aligned, b: Bubble) -> tuple[float, float, float]:
    x, y = aligned.to_pixels(b.x, b.y)
    return x, y, b.r * aligned.scale


def read_code(aligned: Aligned, layout: Layout) -> str | None:
    columns: dict[int, list[tuple[float, int]]] = {}
    for column, digit, x, y, r in layout.code_bubbles:
        px, py = aligned.to_pixels(x, y)
        value = measure(aligned.darkness, px, py, r * aligned.scale).inside
        columns.setdefault(column, []).append((value, digit))
    code = ""
    for column in sorted(columns):
        ranked = sorted(columns[column], reverse=True)
        best, second = ranked[0], ranked[1]
        if not best[0] >= CODE_FILLED or not second[0] <= best[0] / 2:
            return None
        code += str(best[1])
    return code


def _response(q: QuestionLayout, marks: list[tuple[str, Mark]]) -> tuple[str, list[str]]:
    chosen = [choice for choice, mark in marks if mark.state == FILLED]
    review = ["doubtful"] if any(mark.state == DOUBTFUL for _c, mark in marks) else []
    if not chosen and any(mark.state == CROSSED for _c, mark in marks):
        # Only crossed-out answers and nothing else: a student who changes an answer fills
        # another bubble, so this is more likely a ring, an underline or a stain around a
        # real answer than an answer withdrawn. A person decides, never the scanner.
        review.append("crossed-only")
    if q.type == "matching":
        rows: dict[str, list[str]] = {}
        for choice, _mark in marks:
            rows.setdefault(choice.split(":")[0], [])
        for choice in chosen:
            row, letter = choice.split(":")
            rows[row].append(letter)
        if any(len(letters) > 1 for letters in rows.values()):
            review.append("several")
        return ";".join("".join(rows[r]) if len(rows[r]) == 1 else "" for r in rows), review
    if q.type in ("single", "truefalse") and len(chosen) > 1:
        return "", [*review, "several"]
    return ";".join(chosen), review


def _empty_level(values: list[float]) -> float:
    """The darkness of an empty bubble on this page (printed letter, paper tone, noise).

    Most bubbles of a page are empty (a true/false pair has one of two, a 4-choice item three
    of four), so a low percentile is an empty one even on a page of true/false items that all
    were answered; it is capped because paper is never darker than this, so a page covered in
    ink cannot make filled bubbles count as empty."""
    if not values:
        return 0.0
    return float(np.clip(np.percentile(values, 25), 0.0, MAX_EMPTY_LEVEL))


def read_questions(aligned: Aligned, page: PageLayout) -> tuple[QuestionRead, ...]:
    measured = {
        (q.n, b.choice): measure(aligned.darkness, *_bubble_px(aligned, b))
        for q in page.questions
        for b in q.bubbles
    }
    values = [m for m in measured.values() if not np.isnan(m.inside)]
    inside_level = _empty_level([m.inside for m in values])
    ring_level = _empty_level([m.ring for m in values])
    result = []
    for q in page.questions:
        if q.box is not None:
            x, y, w, h = q.box
            corners = [
                aligned.to_pixels(x + dx, y + dy) for dx in (-4, w + 4) for dy in (-4, h + 4)
            ]
            xs, ys = [c[0] for c in corners], [c[1] for c in corners]
            box = (int(min(xs)), int(min(ys)), int(max(xs)), int(max(ys)))
            result.append(QuestionRead(q.n, q.item, q.type, "", (), ("write-in",), box))
            continue
        marks = [
            (b.choice, verdict(measured[(q.n, b.choice)], inside_level, ring_level))
            for b in q.bubbles
        ]
        response, review = _response(q, marks)
        result.append(QuestionRead(q.n, q.item, q.type, response, tuple(marks), tuple(review)))
    return tuple(result)


def _read_upright(
    image: np.ndarray,
    source: str,
    index: int,
    layout: Layout,
    pages: Mapping[str, tuple[SheetLayout, PageLayout]],
) -> tuple[PageRead, Aligned | None]:
    aligned = align(image, layout)
    if isinstance(aligned, str):
        return PageRead(source, index, problem="page", detail=aligned), None
    code = read_code(aligned, layout)
    found = pages.get(code or "")
    if code is None or decode(code) is None:
        return PageRead(source, index, problem="code", detail=code or ""), aligned
    if found is None:
        return PageRead(source, index, problem="other-build", detail=code), aligned
    sheet, page = found
    questions = read_questions(aligned, page)
    return PageRead(
        source, index, sheet.student_id, sheet.sheet, page.page, questions=questions
    ), aligned


def read_page(
    image: np.ndarray,
    source: str,
    index: int,
    layout: Layout,
    pages: Mapping[str, tuple[SheetLayout, PageLayout]],
) -> tuple[PageRead, Aligned | None, np.ndarray]:
    """The page read, its alignment, and the image as read (turned when fed upside down: the
    corner markers look the same either way, so the page code decides)."""
    read, aligned = _read_upright(image, source, index, layout, pages)
    if read.problem == "code":
        turned = cv2.rotate(image, cv2.ROTATE_180)
        again, aligned_again = _read_upright(turned, source, index, layout, pages)
        if not again.problem:
            return again, aligned_again, turned
    return read, aligned, image
