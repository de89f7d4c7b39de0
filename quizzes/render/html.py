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
from quizzes.render.output import write_sheets, write_text
from quizzes.render.view import PageView, QuestionView, proof_page
from quizzes.texts import ANSWER, ANSWER_BLANK


@lru_cache(maxsize=1)
def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("quizzes", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["math"] = lambda text, paragraphs=False: Markup(to_html(text, paragraphs))
    return env


@lru_cache(maxsize=65536)
def question_html(question: QuestionView, lang: str) -> Markup:
    """One question's HTML. Cached: the sheets of a class repeat most questions (same variant,
    same number), and rendering them once each is most of the time of 1,000 sheets."""
    html = (
        _env()
        .get_template("question.html.j2")
        .render(q=question, answer_label=ANSWER.render(lang), blank=ANSWER_BLANK.render(lang))
    )
    return Markup(html)


def document(pages: Sequence[PageView], lang: str) -> str:
    """One HTML document holding ``pages``, each starting on a new printed page."""
    return (
        _env()
        .get_template("page.html.j2")
        .render(pages=pages, lang=lang, question=lambda q: question_html(q, lang))
    )


def _page_document(page: PageView, lang: str) -> str:
    return document([page], lang)


def write(quiz: Quiz, out: Path) -> list[Path]:
    written = write_sheets(quiz, out, ".html", _page_document)
    written.append(write_text(out / "proof.html", document([proof_page(quiz)], quiz.lang)))
    return written
