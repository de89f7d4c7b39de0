"""Printable PDF: Chromium prints the HTML (MathML and Korean via the Nanum fonts that
``make`` installs), so the PDF looks exactly like the HTML and needs no TeX installation.

All sheets go into one ``sheets.pdf`` (each on new pages, ready for the printer), likewise
``keys.pdf`` and ``proof.pdf``: one Chromium run per file instead of one per student.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from quizzes.errors import ExportError
from quizzes.model import Quiz
from quizzes.render.html import document
from quizzes.render.view import PageView, proof_page, sheet_page

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
HEADLESS_FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root in CI containers, where the sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
)


#: The Info dictionary's dates, as Skia (Chromium's PDF back end) writes them, uncompressed:
#: ``/CreationDate (D:20261123112845+00'00')``. Group 2 is the time zone (``Z`` or ``+hh'mm'``).
_PDF_DATE = re.compile(rb"(/(?:CreationDate|ModDate) \(D:)\d{14}(Z|[+-]\d\d'\d\d')?\)")
#: The same fixed instant as the QTI zip's entries: a build's output must not depend on when it ran.
_FIXED_DATE = b"19800101000000"


def _fixed_time(match: re.Match[bytes]) -> bytes:
    zone = match.group(2) or b""
    return match.group(1) + _FIXED_DATE + (b"+00'00'" if len(zone) == 7 else zone) + b")"


def fix_dates(pdf: bytes) -> bytes:
    """The PDF with its creation and modification dates set to a fixed instant, so the same
    command gives the same bytes. Each replacement has the length of what it replaces, so the
    cross-reference table's byte offsets stay right and the file needs no rewriting."""
    return _PDF_DATE.sub(_fixed_time, pdf)


def find_browser() -> str:
    for name in BROWSERS:
        path = shutil.which(name)
        if path:
            return path
    raise ExportError(
        "the PDF export needs Chromium: run `make system-deps` (as root) or "
        "`apt-get install chromium fonts-nanum`"
    )


def print_html(html_text: str, target: Path, timeout: float = 180) -> Path:
    """Print one HTML document to ``target`` with headless Chromium."""
    browser = find_browser()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="optigrade-pdf-") as tmp:
        source = Path(tmp) / "print.html"
        source.write_text(html_text, encoding="utf-8")
        command = [
            browser,
            *HEADLESS_FLAGS,
            f"--user-data-dir={Path(tmp) / 'profile'}",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target.resolve()}",
            source.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0 or not target.exists():
        raise ExportError(f"Chromium could not print {target.name}: {result.stderr.strip()[-400:]}")
    target.write_bytes(fix_dates(target.read_bytes()))
    return target


def write(quiz: Quiz, out: Path) -> list[Path]:
    books: dict[str, list[PageView]] = {
        "sheets.pdf": [sheet_page(quiz, s, False) for s in quiz.sheets],
        "keys.pdf": [sheet_page(quiz, s, True) for s in quiz.sheets],
        "proof.pdf": [proof_page(quiz)],
    }
    return [print_html(document(pages, quiz.lang), out / name) for name, pages in books.items()]
