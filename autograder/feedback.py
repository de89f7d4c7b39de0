"""Per-student feedback, in Korean or English, rendered from a gradebook record.

It describes hidden cases in words and their inputs in brief (shapes, a few values), never the
suite's source. Markdown is the source; HTML is rendered from it with markdown-it (the parser
rich already depends on), so the two always say the same thing.
"""

from __future__ import annotations

import functools
import html
import re
from typing import Any

from markdown_it import MarkdownIt

from autograder import messages as m

_FENCE = "```"


def _status_text(status: str, lang: str) -> str:
    text = m.STATUS.get(status)
    return text.render(lang) if text else status


def render_markdown(result: dict[str, Any], lang: str) -> str:
    lines = [
        f"# {m.TITLE.render(lang, assignment=result['assignment'], student=result['student'])}",
        "",
        m.SCORE.render(lang, score=result["score"], max_score=result["max_score"]),
        "",
        m.STATUS_LINE.render(lang, status=_status_text(result["status"], lang)),
    ]
    if result.get("reason"):
        lines += ["", m.REASON.render(lang, reason=result["reason"])]
    lines += [
        "",
        f"| {m.ITEM_HEADER.render(lang)} | {m.POINTS_HEADER.render(lang)} |",
        "|---|---:|",
    ]
    for item, score in result["items"].items():
        lines.append(f"| `{item}` | {score['score']:g} / {score['max_score']:g} |")
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
            detail = f"`{error.get('type', '')}: {error.get('message', '')}`" if error else ""
            if text:
                lines.append(f"- {text.render(lang, index=cell['index'] + 1, detail=detail)}")
    if result.get("notes"):
        lines += ["", f"## {m.OUTPUT_NOTE.render(lang)}", ""]
        lines += [f"- {note}" for note in result["notes"]]
    return "\n".join(lines) + "\n"


def _failure_lines(test: dict[str, Any], lang: str) -> list[str]:
    lines = [
        f"### `{test['item']}`: {test['name']} ({test['score']:g} / {test['max_score']:g})",
        "",
    ]
    failure = test.get("failure")
    if failure is None:
        return [*lines, m.SUITE_ERROR.render(lang)]
    case = failure.get("case", {})
    lines.append(f"**{m.CASE.render(lang)}**: {case.get(lang, case.get('en', ''))}")
    if failure.get("inputs"):
        lines.append("")
        lines.append(f"**{m.INPUTS.render(lang)}**:")
        lines += [f"- `{name}` = `{value}`" for name, value in failure["inputs"].items()]
    kind = failure.get("kind", "mismatch")
    text = m.FAILURE_KIND.get(kind)
    if text is not None:
        expected_text = failure.get("expected", {})
        facts = {
            "name": failure.get("name", ""),
            "error": failure.get("error", ""),
            "expected": failure.get("expected", ""),
            "received": failure.get("received", ""),
            "detail": failure.get("detail", ""),
            "expected_text": expected_text.get(lang, "") if isinstance(expected_text, dict) else "",
        }
        lines += ["", text.render(lang, **facts)]
    if kind in ("mismatch", "property"):
        if kind == "mismatch":
            lines += [
                "",
                f"- {m.WHERE.render(lang)}: `{failure.get('where', '')}`",
                f"- {m.EXPECTED.render(lang)}: `{failure.get('expected', '')}`",
            ]
        lines.append(f"- {m.RECEIVED.render(lang)}: `{failure.get('received', '')}`")
        if "mismatched" in failure:
            lines.append(
                "- "
                + m.MISMATCHED.render(
                    lang, mismatched=failure["mismatched"], total=failure["total"]
                )
            )
    mistake = failure.get("mistake")
    if mistake:
        lines += ["", m.MISTAKE.render(lang, label=mistake.get(lang, mistake.get("en", "")))]
    if failure.get("traceback"):
        lines += [
            "",
            f"{m.YOUR_TRACEBACK.render(lang)}:",
            "",
            _FENCE,
            failure["traceback"].rstrip(),
            _FENCE,
        ]
    return lines


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


_MARKDOWN = MarkdownIt("commonmark").enable("table")


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
        m.TITLE.render(lang, assignment=result["assignment"], student=result["student"])
    )
    return _PAGE.format(lang=lang, title=title, body=body)
