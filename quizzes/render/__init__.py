"""Renderers: each turns the one in-memory :class:`quizzes.model.Quiz` into one format."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from quizzes.model import Quiz
from quizzes.render import gift, html, markdown, moodle, pdf, qti

Renderer = Callable[[Quiz, Path], list[Path]]

#: format name (as given to ``--format``) -> writer returning the files it wrote
FORMATS: dict[str, Renderer] = {
    "md": markdown.write,
    "html": html.write,
    "pdf": pdf.write,
    "moodle": moodle.write,
    "gift": gift.write,
    "qti": qti.write,
}
