"""Per-student feedback, in Korean or English, rendered from a gradebook record.

It describes hidden cases in words and their inputs in brief (shapes, a few values), never the
suite's source. Markdown is the source; HTML is rendered from it with markdown-it (the parser
rich already depends on), so the two always say the same thing.

Every value taken from the record is escaped for Markdown where it is placed (text, inline
code or a fenced block: ``autograder.escaping``), so that nothing a student wrote or named
(exception messages, tracebacks, returned values, file names) is read as Markdown, and the
renderer itself is set to show raw HTML as text: the page has no markup a student chose.
"""

from __future__ import annotations

import functools
import html
import re
import string
from typing import Any

from markdown_it import MarkdownIt

from autograder import messages as m
from autograder.escaping import md_block, md_code, md_text, visible


def _status_text(status: str, lang: str) -> str:
    text = m.STATUS.get(status)
    return text.render(lang) if text else status


def render_markdown(result: dict[str, Any], lang: str) -> str:
    lines = [
        "# "
        + m.TITLE.render(
            lang, assignment=md_text(result["assignment"]), student=md_text(result["student"])
        ),
        "",
        m.SCORE.render(lang, score=result["score"], max_score=result["max_score"]),
        "",
        m.STATUS_LINE.render(lang, status=_status_text(result["status"], lang)),
    ]
    if result.get("reason"):
        lines += ["", m.REASON.render(lang, reason=md_text(result["reason"]))]
    lines += [
        "",
        f"| {m.ITEM_HEADER.render(lang)} | {m.POINTS_HEADER.render(lang)} |",
        "|---|---:|",
    ]
    for item, score in result["items"].items():
        lines.append(
            f"| {md_code(item, in_table=True)} | {score['score']:g} / {score['max_score']:g} |"
        )
    failed = [t for t in result["tests"] if not t["passed"]]
    if result["status"] == "graded" and not failed:
        lines += ["", m.ALL_PASSED.render(lang)]
    if failed:
        lines += ["", f"## {m.FAILED_TESTS.render(lang)}"]
        for test in failed:
            lines += ["", *_failure_lines(test, lang)]
    if result.get("cells"):
        lines += ["", f"## {m.CELLS_HEADER.render(lang)}", ""]
        for cell in result["cells"]:
            text = m.CELL_STATUS.get(cell["status"])
            error = cell.get("error") or {}
            detail = ""
            if error:
                detail = md_code(f"{error.get('type', '')}: {error.get('message', '')}")
            if text:
                lines.append(f"- {text.render(lang, index=cell['index'] + 1, detail=detail)}")
    if result.get("notes"):
        lines += ["", f"## {m.OUTPUT_NOTE.render(lang)}", ""]
        lines += [f"- {md_text(note)}" for note in result["notes"]]
    if result.get("omitted"):
        lines += ["", m.OMITTED.render(lang, count=result["omitted"])]
    return "\n".join(lines) + "\n"


def _failure_lines(test: dict[str, Any], lang: str) -> list[str]:
    lines = [
        f"### {md_code(test['item'])}: {md_text(test['name'])} "
        f"({test['score']:g} / {test['max_score']:g})",
        "",
    ]
    failure = test.get("failure")
    if failure is None:
        return [*lines, m.SUITE_ERROR.render(lang)]
    case = failure.get("case") or {}
    lines.append(f"**{m.CASE.render(lang)}**: {md_text(case.get(lang, case.get('en', '')))}")
    if failure.get("inputs"):
        lines.append("")
        lines.append(f"**{m.INPUTS.render(lang)}**:")
        lines += [f"- {md_code(k)} = {md_code(v)}" for k, v in failure["inputs"].items()]
    kind = failure.get("kind", "mismatch")
    text = m.FAILURE_KIND.get(kind)
    if text is not None:
        # Only the facts this sentence shows are escaped (most show none or one).
        facts = {name: _FACTS[name](failure, lang) for name in _fields(getattr(text, lang))}
        lines += ["", text.render(lang, **facts)]
    if kind in ("mismatch", "property"):
        if kind == "mismatch":
            lines += [
                "",
                f"- {m.WHERE.render(lang)}: {md_code(failure.get('where', ''))}",
                f"- {m.EXPECTED.render(lang)}: {md_code(failure.get('expected', ''))}",
            ]
        lines.append(f"- {m.RECEIVED.render(lang)}: {md_code(failure.get('received', ''))}")
        if "mismatched" in failure:
            lines.append(
                "- "
                + m.MISMATCHED.render(
                    lang, mismatched=failure["mismatched"], total=failure.get("total", "?")
                )
            )
    mistake = failure.get("mistake")
    if mistake:
        label = md_text(mistake.get(lang, mistake.get("en", "")))
        lines += ["", m.MISTAKE.render(lang, label=label)]
    if failure.get("traceback"):
        lines += ["", f"{m.YOUR_TRACEBACK.render(lang)}:", "", *md_block(failure["traceback"])]
    return lines


#: How each fact a failure's sentence may show is escaped for Markdown.
_FACTS = {
    "name": lambda failure, _lang: md_code(failure.get("name", "")),
    "error": lambda failure, _lang: md_code(failure.get("error", "")),
    "expected": lambda failure, _lang: md_code(failure.get("expected", "")),
    "received": lambda failure, _lang: md_code(failure.get("received", "")),
    "detail": lambda failure, _lang: md_text(failure.get("detail", "")),
    "expected_text": lambda failure, lang: md_text(
        (failure.get("expected_text") or {}).get(lang, "")
    ),
}


@functools.lru_cache(maxsize=256)
def _fields(template: str) -> tuple[str, ...]:
    """The placeholders of a message template."""
    return tuple(name for _text, name, _spec, _conv in string.Formatter().parse(template) if name)


_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: "Noto Sans KR", "Nanum Gothic", system-ui, sans-serif; max-width: 52rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.55; color: #1f2328; }}
table {{ border-collapse: collapse; }} td, th {{ border: 1px solid #d0d7de; padding: .3rem .7rem; }}
code, pre {{ background: #f6f8fa; border-radius: 4px; }} pre {{ padding: .7rem; overflow-x: auto; }}
h3 {{ margin-top: 1.6rem; border-top: 1px solid #d0d7de; padding-top: 1rem; }}
</style></head><body>
{body}
</body></html>
"""


#: CommonMark with tables, and raw HTML shown as text: whatever reaches the renderer, the
#: page holds only the markup Markdown itself makes (headings, tables, code, lists).
_MARKDOWN = MarkdownIt("commonmark", {"html": False}).enable("table")


#: Student ids that Markdown leaves as they are, inside a line (no emphasis, code, escapes,
#: entities or HTML characters, no spaces that a heading would trim or that could matter).
_INERT = re.compile(r"[0-9A-Za-z\uac00-\ud7a3]+(?:[.\-][0-9A-Za-z\uac00-\ud7a3]+)*")
_STUDENT_SLOT = "OPTIGRADESTUDENTSLOT"


def _title_html(title_line: str, student: str) -> str:
    """The title heading's HTML: rendered once per assignment and language with the id as a
    slot when the id is inert (a Markdown render costs about 1 ms), else rendered as is."""
    if _INERT.fullmatch(student) and title_line.count(student) == 1:
        template = _html_of(title_line.replace(student, _STUDENT_SLOT) + "\n")
        if template.count(_STUDENT_SLOT) == 1:
            return template.replace(_STUDENT_SLOT, student)
    return _MARKDOWN.render(title_line + "\n")


@functools.lru_cache(maxsize=1024)
def _html_of(markdown: str) -> str:
    # Most students of a class share everything below their title line (all passed, or the
    # same failed test), so each distinct body is rendered once.
    return _MARKDOWN.render(markdown)


def render_html(result: dict[str, Any], lang: str) -> str:
    # The title is a block of its own (a heading line, then a blank line), so rendering it
    # apart gives the same HTML as rendering the whole page at once.
    title_line, rest = render_markdown(result, lang).split("\n\n", 1)
    body = _title_html(title_line, str(result["student"])) + _html_of(rest)
    title = html.escape(
        m.TITLE.render(
            lang, assignment=visible(result["assignment"]), student=visible(result["student"])
        )
    )
    return _PAGE.format(lang=lang, title=title, body=body)
