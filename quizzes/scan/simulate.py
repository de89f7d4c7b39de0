"""Made scans: the build's answer sheets rendered, answered the way a pen does, and put
through what an office scanner does to a page. The tests and ``benchmarks/quiz_scan.py``
scan them and compare with the truth this module records.

Per bubble question one answer is filled (blank now and then), with varying ink darkness,
size and position; some questions also get a crossed-out answer (filled, then an X larger
than the bubble, as the sheet asks), some get an unclear mark (a light tick or a faint fill)
that a person must look at; stray pen lines land away from the bubbles. The page is then
rotated, scaled, shifted, blurred and noised.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from quizzes.model import LETTERS
from quizzes.sheets.layout import Bubble, Layout, QuestionLayout


@dataclass
class Truth:
    """What was put on the paper, per (student id, question number)."""

    responses: dict[tuple[str, int], str] = field(default_factory=dict)
    unclear: set[tuple[str, int]] = field(default_factory=set)  # must go to review
    crossed: set[tuple[str, int]] = field(default_factory=set)
    filled: set[tuple[str, int, str]] = field(default_factory=set)  # every clear fill
    marks: dict[tuple[str, int, str], str] = field(default_factory=dict)  # bubble -> what is
    # on it: "filled", "crossed" or "unclear"; a bubble not listed is empty
    pages: int = 0


@dataclass(frozen=True)
class Pen:
    """How the made answers vary; the defaults are a careful but human class."""

    blank: float = 0.05  # a question left blank
    crossed: float = 0.06  # a question with a crossed-out answer besides the kept one
    unclear: float = 0.05  # a question with a light tick or faint fill on another bubble
    strays: int = 3  # stray pen lines per page, away from the bubbles


def render_pages(pdf: Path, dpi: int) -> list[np.ndarray]:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    try:
        return [
            np.array(document[i].render(scale=dpi / 72, grayscale=True).to_numpy(), np.uint8)
            for i in range(len(document))
        ]
    finally:
        document.close()


def _answer(q: QuestionLayout, rng: random.Random, pen: Pen) -> list[str]:
    if rng.random() < pen.blank:
        return []
    if q.type == "matching":
        rows = sorted({b.choice.split(":")[0] for b in q.bubbles}, key=int)
        letters = list(LETTERS[: len(rows)])
        rng.shuffle(letters)
        return [f"{row}:{letter}" for row, letter in zip(rows, letters, strict=True)]
    choices = [b.choice for b in q.bubbles]
    if q.type == "multiple":
        return sorted(rng.sample(choices, rng.randint(1, min(3, len(choices)))))
    return [rng.choice(choices)]


def _fill(img: np.ndarray, b: Bubble, s: float, rng: random.Random) -> None:
    """A pen fill: dark, mostly inside the outline, never quite round or centred."""
    ink = rng.randint(0, 80)
    radius = b.r * rng.uniform(0.8, 1.08)
    cx = (b.x + rng.uniform(-0.12, 0.12) * b.r) * s
    cy = (b.y + rng.uniform(-0.12, 0.12) * b.r) * s
    axes = (int(radius * s * rng.uniform(0.92, 1.0)), int(radius * s * rng.uniform(0.92, 1.0)))
    cv2.ellipse(img, (int(cx), int(cy)), axes, rng.uniform(0, 180), 0, 360, ink, -1, cv2.LINE_AA)


def _cross(img: np.ndarray, b: Bubble, s: float, rng: random.Random) -> None:
    """An X larger than the bubble, drawn over a fill."""
    _fill(img, b, s, rng)
    arm = b.r * rng.uniform(1.9, 2.3)
    width = max(2, int(rng.uniform(1.6, 2.2) * s))
    for sign in (1, -1):
        start = (int((b.x - arm * 0.7) * s), int((b.y - sign * arm * 0.7) * s))
        end = (int((b.x + arm * 0.7) * s), int((b.y + sign * arm * 0.7) * s))
        cv2.line(img, start, end, rng.randint(0, 60), width, cv2.LINE_AA)


def _unclear(img: np.ndarray, b: Bubble, s: float, rng: random.Random) -> None:
    """A light tick through the bubble or a faint fill: neither clearly empty nor filled."""
    if rng.random() < 0.5:
        start = (int((b.x - 0.5 * b.r) * s), int((b.y + 0.05 * b.r) * s))
        mid = (int((b.x - 0.05 * b.r) * s), int((b.y + 0.5 * b.r) * s))
        end = (int((b.x + 0.55 * b.r) * s), int((b.y - 0.5 * b.r) * s))
        for a, z in ((start, mid), (mid, end)):
            cv2.line(img, a, z, rng.randint(40, 110), max(2, int(1.3 * s)), cv2.LINE_AA)
    else:
        grey = rng.randint(165, 190)  # a faint pencil: about a quarter of full ink
        cv2.circle(img, (int(b.x * s), int(b.y * s)), int(b.r * 0.95 * s), grey, -1, cv2.LINE_AA)


def _strays(
    img: np.ndarray, layout: Layout, bubbles: list[Bubble], s: float, rng: random.Random, count: int
) -> None:
    width, height = layout.page_size
    drawn = 0
    while drawn < count:
        x, y = rng.uniform(70, width - 70), rng.uniform(110, height - 70)
        if any(np.hypot(b.x - x, b.y - y) < b.r * 4 for b in bubbles):
            continue
        dx, dy = rng.uniform(-30, 30), rng.uniform(-12, 12)
        cv2.line(
            img,
            (int(x * s), int(y * s)),
            (int((x + dx) * s), int((y + dy) * s)),
            rng.randint(0, 120),
            max(1, int(1.2 * s)),
            cv2.LINE_AA,
        )
        drawn += 1


def scanner(img: np.ndarray, rng: random.Random) -> np.ndarray:
    """What an office scanner does: a small rotation, scale and shift, blur and noise."""
    height, width = img.shape
    angle = rng.uniform(-2.0, 2.0)
    scale = rng.uniform(0.97, 1.03)
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, scale)
    matrix[:, 2] += (rng.uniform(-0.02, 0.02) * width, rng.uniform(-0.015, 0.015) * height)
    out = cv2.warpAffine(
        img, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=rng.randint(215, 245)
    )
    if rng.random() < 0.5:
        out = cv2.GaussianBlur(out, (3, 3), 0)
    noise = np.random.default_rng(rng.randrange(2**32)).normal(0, rng.uniform(4, 10), out.shape)
    out = np.clip(out.astype(np.float32) * rng.uniform(0.9, 1.0) + noise, 0, 255)
    specks = np.random.default_rng(rng.randrange(2**32)).random(out.shape) < 0.0004
    out[specks] = 30
    return out.astype(np.uint8)


def make_scans(
    pdf: Path, layout: Layout, seed: int, dpi: int = 200, pen: Pen | None = None
) -> tuple[list[np.ndarray], Truth]:
    """Every page of ``pdf`` answered and scanned, with the truth of what was written."""
    pen = pen or Pen()
    rng = random.Random(seed)
    pages = render_pages(pdf, dpi)
    s = dpi / 72
    truth = Truth(pages=len(pages))
    scans = []
    for sheet in layout.sheets:
        for page in sheet.pages:
            img = pages[page.pdf_page - 1].copy()
            bubbles = [b for q in page.questions for b in q.bubbles]
            for q in page.questions:
                if not q.bubbles:
                    continue
                key = (sheet.student_id, q.n)
                chosen = _answer(q, rng, pen)
                for b in q.bubbles:
                    if b.choice in chosen:
                        _fill(img, b, s, rng)
                        truth.filled.add((*key, b.choice))
                        truth.marks[(*key, b.choice)] = "filled"
                free = [b for b in q.bubbles if b.choice not in chosen]
                if free and rng.random() < pen.crossed:
                    crossed = rng.choice(free)
                    _cross(img, crossed, s, rng)
                    truth.marks[(*key, crossed.choice)] = "crossed"
                    truth.crossed.add(key)
                    free.remove(crossed)
                if free and rng.random() < pen.unclear:
                    faint = rng.choice(free)
                    _unclear(img, faint, s, rng)
                    truth.marks[(*key, faint.choice)] = "unclear"
                    truth.unclear.add(key)
                if q.type == "matching":
                    by_row = {c.split(":")[0]: c.split(":")[1] for c in chosen}
                    rows = sorted({b.choice.split(":")[0] for b in q.bubbles}, key=int)
                    truth.responses[key] = ";".join(by_row.get(r, "") for r in rows)
                else:
                    truth.responses[key] = ";".join(chosen)
            _strays(img, layout, bubbles, s, rng, pen.strays)
            scans.append(scanner(img, rng))
    return scans, truth
