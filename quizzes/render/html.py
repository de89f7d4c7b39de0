"""HTML sheets, keys and proof sheet. Math is converted to MathML on the server
(``latex2mathml``), which Chromium, Firefox and Safari draw natively: the files need no
JavaScript, no web font and no network, and print to PDF as they look."""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from quizzes.mathtext import to_html
from quizzes.model import Quiz
from quizzes.render.output import write_text
from quizzes.render.view import PageView, proof_page, sheet_page
from quizzes.texts import ANSWER, ANSWER_BLANK


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("quizzes", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["math"] = lambda text, paragraphs=False: Markup(to_html(text, paragraphs))
    return env.get_template("page.html.j2")


def document(pages: Sequence[PageView], lang: str) -> str:
    """One HTML document holding ``pages``, each starting on a new printed page."""
    return _template().render(
        pages=pages, lang=lang, answer_label=ANSWER.render(lang), blank=ANSWER_BLANK.render(lang)
    )


def write(quiz: Quiz, out: Path) -> list[Path]:
    written = []
    for sheet in quiz.sheets:
        for folder, with_answer in (("sheets", False), ("keys", True)):
            page = sheet_page(quiz, sheet, with_answer)
            written.append(
                write_text(out / folder / f"{sheet.student_id}.html", document([page], quiz.lang))
            )
    written.append(write_text(out / "proof.html", document([proof_page(quiz)], quiz.lang)))
    return written
