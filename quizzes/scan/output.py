"""What ``quiz scan`` writes: ``responses.csv`` (one row per student and question, with the
confidence of its marks), ``review.csv`` and ``review.html`` (every doubtful mark, unread page
and written answer, each with a picture cut from the scan under ``review/``)."""

from __future__ import annotations

import csv
import html
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np

from autograder.escaping import csv_cell, html_text
from quizzes.scan.align import Aligned
from quizzes.scan.page import PageRead, QuestionRead
from quizzes.sheets.layout import Layout
from quizzes.texts import REVIEW_COLUMNS, REVIEW_INTRO, REVIEW_NONE, REVIEW_REASON, REVIEW_TITLE

RESPONSES_FILE = "responses.csv"
REVIEW_CSV = "review.csv"
REVIEW_HTML = "review.html"
REVIEW_DIR = "review"
RESPONSE_COLUMNS = (
    "student_id", "question", "item", "type", "response", "confidence", "review", "marks",
    "source", "page",
)  # fmt: skip
REVIEW_FIELDS = (
    "source", "page", "student_id", "question", "item", "response", "reason", "picture",
)  # fmt: skip


@dataclass
class ScanResult:
    """Everything a scan run found, kept until the files are written."""

    lang: str
    quiz: str
    rows: list[dict[str, str]] = field(default_factory=list)
    review: list[dict[str, str]] = field(default_factory=list)
    students: set[str] = field(default_factory=set)
    seen_codes: set[tuple[int, int]] = field(default_factory=set)
    pages: int = 0
    failed: int = 0


def _crop(out: Path, name: str, image: np.ndarray, box: tuple[int, int, int, int]) -> str:
    height, width = image.shape
    x0, y0, x1, y1 = max(box[0], 0), max(box[1], 0), min(box[2], width), min(box[3], height)
    if x1 <= x0 or y1 <= y0:
        return ""
    folder = out / REVIEW_DIR
    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / name), image[y0:y1, x0:x1])
    return f"{REVIEW_DIR}/{name}"


def _question_box(
    aligned: Aligned, q: QuestionRead, layout_bubbles: list[tuple[float, float, float]]
) -> tuple[int, int, int, int]:
    if q.box_px is not None:
        return q.box_px
    points = [aligned.to_pixels(x, y) for x, y, _r in layout_bubbles]
    pad = 2.5 * max(r for *_xy, r in layout_bubbles) * aligned.scale
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return (int(min(xs) - pad * 2.5), int(min(ys) - pad), int(max(xs) + pad), int(max(ys) + pad))


def _reasons(lang: str, keys: tuple[str, ...], detail: str = "") -> str:
    return "; ".join(REVIEW_REASON[k].render(lang, why=detail) for k in keys)


def add_page(
    result: ScanResult,
    out: Path,
    read: PageRead,
    image: np.ndarray | None,
    aligned: Aligned | None,
    layout: Layout,
) -> None:
    """Record one page: its rows, and its review entries with their pictures."""
    result.pages += 1
    # The running page number keeps pictures of two files with the same name apart.
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(read.source).stem)
    stem = f"{result.pages:04d}-{safe[:40]}-p{read.index}"
    if read.problem:
        result.failed += 1
        picture = ""
        if image is not None:
            small = cv2.resize(image, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
            picture = _crop(out, f"{stem}.png", small, (0, 0, small.shape[1], small.shape[0]))
        result.review.append({
            "source": read.source, "page": str(read.index), "student_id": "", "question": "",
            "item": "", "response": read.detail,
            "reason": _reasons(result.lang, (read.problem,), read.detail), "picture": picture,
        })  # fmt: skip
        return
    code = (read.sheet, read.page)
    if code in result.seen_codes:
        result.failed += 1
        result.review.append({
            "source": read.source, "page": str(read.index), "student_id": read.student_id,
            "question": "", "item": "", "response": "",
            "reason": _reasons(result.lang, ("duplicate",)), "picture": "",
        })  # fmt: skip
        return
    result.seen_codes.add(code)
    result.students.add(read.student_id)
    page_layout = next(
        p for s in layout.sheets if s.sheet == read.sheet for p in s.pages if p.page == read.page
    )
    bubbles = {q.n: [(b.x, b.y, b.r) for b in q.bubbles] for q in page_layout.questions}
    for q in read.questions:
        result.rows.append({
            "student_id": read.student_id, "question": str(q.n), "item": q.item, "type": q.type,
            "response": q.response, "confidence": f"{q.confidence:.3f}",
            "review": "yes" if q.review else "",
            "marks": " ".join(f"{c}={m.state}:{m.confidence:.2f}" for c, m in q.marks),
            "source": read.source, "page": str(read.index),
        })  # fmt: skip
        if q.review and aligned is not None:
            box = _question_box(aligned, q, bubbles[q.n]) if (q.box_px or bubbles[q.n]) else None
            picture = (
                _crop(out, f"{stem}-q{q.n}.png", image, box) if box and image is not None else ""
            )
            result.review.append({
                "source": read.source, "page": str(read.index), "student_id": read.student_id,
                "question": str(q.n), "item": q.item, "response": q.response,
                "reason": _reasons(result.lang, q.review), "picture": picture,
            })  # fmt: skip


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for row in rows:
            writer.writerow([csv_cell(row.get(c, "")) for c in columns])
    return path


def review_page(result: ScanResult) -> str:
    lang = result.lang
    head = "".join(f"<th>{html_text(h)}</th>" for h in REVIEW_COLUMNS.render(lang).split("|"))
    body = []
    for row in result.review:
        picture = (
            f'<img src="{html.escape(row["picture"], quote=True)}" alt="">'
            if row["picture"]
            else ""
        )
        cells = [html_text(row[k]) for k in REVIEW_FIELDS[:-1]]
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + f"<td>{picture}</td></tr>")
    table = (
        f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        if body
        else f"<p>{html_text(REVIEW_NONE.render(lang))}</p>"
    )
    title = html_text(REVIEW_TITLE.render(lang, quiz=result.quiz))
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        "<style>body{font-family:'Nanum Gothic',sans-serif;margin:2em}table{border-collapse:"
        "collapse}td,th{border:1px solid #bbb;padding:4px 8px;text-align:left;vertical-align:top}"
        "img{max-width:420px}</style></head>"
        f"<body><h1>{title}</h1><p>{html_text(REVIEW_INTRO.render(lang))}</p>{table}</body></html>\n"
    )


def write(result: ScanResult, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    page = out / REVIEW_HTML
    page.write_text(review_page(result), encoding="utf-8")
    return [
        _write_csv(out / RESPONSES_FILE, RESPONSE_COLUMNS, result.rows),
        _write_csv(out / REVIEW_CSV, REVIEW_FIELDS, result.review),
        page,
    ]
