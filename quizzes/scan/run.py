"""A scan run: every page of the given files read against the build's layout."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from quizzes.answer_key import read_key
from quizzes.errors import QuizError
from quizzes.scan.images import read_scans
from quizzes.scan.output import ScanResult, add_page, write
from quizzes.scan.page import PageRead, read_page
from quizzes.sheets.layout import LAYOUT_FILE, SHEETS_DIR, Layout, read_layout


class ScanError(QuizError):
    """The build has no answer-sheet layout to read the scans with."""


@dataclass(frozen=True)
class ScanSummary:
    result: ScanResult
    files: list[Path]
    missing: list[str]  # students whose sheet no scan holds
    seconds_per_page: float


def load_layout(build: Path) -> Layout:
    path = build / SHEETS_DIR / LAYOUT_FILE
    try:
        return read_layout(path.read_text(encoding="utf-8"))
    except OSError:
        raise ScanError(
            f"{path}: not found; build the quiz with `--answer-sheets` and print those sheets "
            f"({path}: 없음; `--answer-sheets` 로 만든 답안지를 인쇄해 쓰십시오)"
        ) from None
    except ValueError as error:
        raise ScanError(f"{path}: {error} (답안지 배치 파일이 아닙니다)") from None


def scan(build: Path, scans: list[Path], out: Path) -> ScanSummary:
    layout = load_layout(build)
    key = read_key(build)
    pages = {page.code: (sheet, page) for sheet in layout.sheets for page in sheet.pages}
    result = ScanResult(lang=key.lang, quiz=key.name)
    started = time.perf_counter()
    for scanned in read_scans(scans):
        if scanned.image is None:
            read = PageRead(scanned.source, scanned.index, problem="page", detail=scanned.problem)
            add_page(result, out, read, None, None, layout)
            continue
        read, aligned, image = read_page(
            scanned.image, scanned.source, scanned.index, layout, pages
        )
        add_page(result, out, read, image, aligned, layout)
    elapsed = time.perf_counter() - started
    files = write(result, out)
    scanned_sheets = {sheet for sheet, _page in result.seen_codes}
    missing = [s.student_id for s in layout.sheets if s.sheet not in scanned_sheets]
    return ScanSummary(result, files, missing, elapsed / max(result.pages, 1))
