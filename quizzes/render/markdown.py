"""Markdown sheets, keys and proof sheet (math stays as ``$…$``, as Pandoc and GitHub read it)."""

from __future__ import annotations

from pathlib import Path

from quizzes.model import Quiz
from quizzes.render.output import write_sheets, write_text
from quizzes.render.view import PageView, QuestionView, proof_page
from quizzes.texts import ANSWER, ANSWER_BLANK, MISCONCEPTIONS


def _question(q: QuestionView, lang: str) -> str:
    lines = [f"### {q.heading}", "", q.prompt.strip(), "", f"*{q.instruction}*", ""]
    lines += [f"- **{label}.** {text}" for label, text in q.options]
    if q.right:
        lines += ["", *(f"- **{label}.** {text}" for label, text in q.right)]
    if q.answer is not None:
        lines += ["", f"**{ANSWER.render(lang)}:** {q.answer}"]
        if q.misconceptions:
            lines += ["", f"*{MISCONCEPTIONS.render(lang)}:*", ""]
            lines += [f"- {text} — {why}" for text, why in q.misconceptions]
    elif not q.options:
        lines += ["", ANSWER_BLANK.render(lang)]
    return "\n".join(lines).rstrip() + "\n"


def page_markdown(page: PageView, lang: str) -> str:
    parts = [f"# {page.title}", ""]
    parts += [f"**{label}:** {value or '________________'}  " for label, value in page.header]
    parts.append("")
    parts += [_question(q, lang) for q in page.questions]
    return "\n".join(parts)


def write(quiz: Quiz, out: Path) -> list[Path]:
    written = write_sheets(quiz, out, ".md", page_markdown)
    written.append(write_text(out / "proof.md", page_markdown(proof_page(quiz), quiz.lang)))
    return written
