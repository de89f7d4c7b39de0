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
from autograder import nearmiss
from autograder.escaping import md_block, md_code, md_text, visible
from autograder.lms import texts as lt
from autograder.lms.late import duration
from autograder.record import TESTED
from autograder.scoring import shown
from optigrade.i18n import Text
from solutions.variants import MISTAKES


def _status_text(status: str, lang: str) -> str:
    text = m.STATUS.get(status)
    return text.render(lang) if text else status


def render_markdown(result: dict[str, Any], lang: str) -> str:
    """One page per student: the total, then one section per item (its score and one
    verdict), then the problems of the student's own cells and the notes."""
    lines = [
        "# "
        + m.TITLE.render(
            lang, assignment=md_text(result["assignment"]), student=md_text(result["student"])
        ),
        "",
        m.SCORE.render(lang, score=shown(result["score"]), max_score=shown(result["max_score"])),
        "",
        m.STATUS_LINE.render(lang, status=_status_text(result["status"], lang)),
    ]
    lines += _late_lines(result, lang)
    if result.get("reason"):
        lines += ["", m.REASON.render(lang, reason=md_text(result["reason"]))]
    cells = result.get("cells") or []
    syntax = [cell for cell in cells if cell["status"] == "syntax_error"]
    if syntax:
        lines += ["", f"## {m.SYNTAX_HEADER.render(lang)}", ""]
        for cell in syntax:
            lines += [f"- {_syntax_line(cell, result, lang)}"]
    verdicts = item_verdicts(result, lang)
    for item, score in result["items"].items():
        lines += [
            "",
            f"## {md_code(item)} — {shown(score['score'])} / {shown(score['max_score'])}",
        ]
        if item in verdicts:
            lines += ["", verdicts[item]]
    others = [cell for cell in cells if cell["status"] != "syntax_error"]
    if others:
        lines += ["", f"## {m.CELLS_HEADER.render(lang)}", ""]
        for cell in others:
            text = m.CELL_STATUS.get(cell["status"])
            error = cell.get("error") or {}
            detail = ""
            if error:
                detail = md_code(f"{error.get('type', '')}: {error.get('message', '')}")
            if text:
                where = _cell_ref(cell, lang)
                lines.append(f"- {_capitalised(text.render(lang, index=where, detail=detail))}")
    if cells:
        lines += ["", m.CELL_RULE.render(lang)]
    if result.get("notes"):
        lines += ["", f"## {m.OUTPUT_NOTE.render(lang)}", ""]
        lines += [f"- {md_text(note)}" for note in result["notes"]]
    if result.get("omitted"):
        lines += ["", m.OMITTED.render(lang, count=result["omitted"])]
    lines += _reviewed_lines(result, lang)
    return "\n".join(lines) + "\n"


def _late_lines(result: dict[str, Any], lang: str) -> list[str]:
    """The late line under the score (a course file's policy): how late, and what it cost."""
    late = result.get("late")
    if not isinstance(late, dict):
        return []
    seconds = late.get("seconds")
    if late.get("flagged"):
        return ["", lt.LATE_FLAG.render(lang)]
    if not isinstance(seconds, int) or seconds <= 0:
        return []
    when = duration(seconds, lang)
    if not late.get("penalty"):
        return ["", lt.LATE_GRACE.render(lang, late=when)]
    text = lt.LATE_LINE.render(
        lang,
        late=when,
        penalty=shown(late["penalty"]),
        raw=shown(late.get("raw", 0)),
        max_score=shown(result["max_score"]),
    )
    return ["", f"**{text}**"]


def _reviewed_lines(result: dict[str, Any], lang: str) -> list[str]:
    """A TA's overrides: which items a TA reviewed, from what to what, and why."""
    overrides = result.get("overrides")
    if not overrides:
        return []
    lines = ["", f"## {lt.REVIEWED_HEADER.render(lang)}", ""]
    for override in overrides:
        text = lt.REVIEWED_LINE.render(
            lang,
            item=md_code(override["item"]),
            old=shown(override["suite_points"]),
            points=shown(override["points"]),
            reason=md_text(override.get("reason", "")),
        )
        lines.append(f"- {text}")
    return lines


def item_verdicts(result: dict[str, Any], lang: str) -> dict[str, str]:
    """Each item's verdict (Markdown), as the feedback page shows it under the item's score;
    none for a submission whose tests did not run. The Gradescope export carries the same."""
    if result["status"] not in TESTED:
        return {}
    blocked = {
        name: cell
        for cell in result.get("cells") or []
        if cell["status"] == "syntax_error"
        for name in cell.get("defines", [])
    }
    return {
        item: "\n".join(
            _verdict(
                item, [t for t in result["tests"] if t["item"] == item], blocked.get(item), lang
            )
        )
        for item in result["items"]
    }


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def _cell_ref(cell: dict[str, Any], lang: str) -> str:
    """A cell as the student finds it in Jupyter: its position among the code cells (from
    1) and its first line. Records from before cells had positions give the run's index."""
    number = cell.get("number", cell["index"] + 1)
    return m.CELL_REF.render(lang, number=number, first_line=md_code(cell.get("first_line", "")))


def _syntax_line(cell: dict[str, Any], result: dict[str, Any], lang: str) -> str:
    error = cell.get("error") or {}
    detail = md_code(f"{error.get('type', '')}: {error.get('message', '')}")
    text = m.SYNTAX_CELL.render(
        lang, cell=_cell_ref(cell, lang), line=cell.get("line", "?"), detail=detail
    )
    lost = [
        name
        for name in cell.get("defines", [])
        if name in result["items"] and result["items"][name]["score"] == 0
    ]
    if lost:
        points = sum(result["items"][name]["max_score"] for name in lost)
        items = ", ".join(md_code(name) for name in lost)
        text += " " + m.SYNTAX_COST.render(lang, items=items, points=shown(points))
    return _capitalised(text)


def _verdict(
    item: str, tests: list[dict[str, Any]], blocked_by: dict[str, Any] | None, lang: str
) -> list[str]:
    """One verdict for an item, the most useful first: passed; a near-miss name or a
    syntax error that kept it undefined; a missing argument; a named mistake and its fix;
    else the first failing case in full."""
    failed = [t for t in tests if not t["passed"]]
    if not failed:
        return [m.PASSED.render(lang)]
    count = m.NOT_PASSED.render(lang, failed=len(failed), total=len(tests))
    failures = [t.get("failure") or {} for t in failed]
    signature = md_code(nearmiss.signature(item))
    if all(f.get("kind") == "missing" for f in failures):
        near = next((f["near"] for f in failures if f.get("near")), None)
        if near:
            return [m.NEAR_MISS.render(lang, found=md_code(near), signature=signature), "", count]
        if blocked_by is not None:
            cell = _cell_ref(blocked_by, lang)
            return [m.BLOCKED_BY_SYNTAX.render(lang, name=md_code(item), cell=cell), "", count]
        return [m.NOT_DEFINED.render(lang, name=md_code(item), signature=signature), "", count]
    wanted = set(nearmiss.signature(item).partition("(")[2].rstrip(")").split(", "))
    for failure in failures:
        argument = nearmiss.unexpected_argument(failure.get("error", ""))
        if argument in wanted:
            text = m.MISSING_ARGUMENT.render(lang, argument=md_code(argument), signature=signature)
            return [text, "", count]
    for failure in failures:
        mistake = failure.get("mistake")
        if mistake:
            label = md_text(mistake.get(lang, mistake.get("en", "")))
            lines = [m.MISTAKE.render(lang, label=label)]
            hint = _hint(item, str(mistake.get("id", "")))
            if hint is not None:
                lines += ["", m.HINT.render(lang, hint=md_text(hint.render(lang)))]
            return [*lines, "", count]
    first = failed[0]
    return [
        count,
        "",
        f"**{m.FIRST_FAILURE.render(lang)}**",
        "",
        *_failure_lines(first, lang),
    ]


def _hint(item: str, mistake_id: str) -> Text | None:
    for variant in MISTAKES.get(item, []):
        if variant.id == mistake_id:
            return variant.hint
    return None


def _where_in_words(where: str, lang: str) -> str:
    """``[0]['W1'][0, 0]`` as words: the result → item 0 → key 'W1' → element [0, 0]."""
    parts = [m.WHERE_RESULT.render(lang)]
    for found in _PATH_PART.finditer(where):
        if found["key"] is not None:
            parts.append(m.WHERE_KEY.render(lang, key=md_code(found["key"])))
        elif "," in found["index"]:
            parts.append(m.WHERE_ELEMENT.render(lang, index=md_code(f"[{found['index']}]")))
        else:
            parts.append(m.WHERE_ITEM.render(lang, index=found["index"]))
    if len(parts) == 1 and where not in ("", "result"):
        parts.append(md_code(where))  # a path of another shape: shown as it is
    return " → ".join(parts)


_PATH_PART = re.compile(r"\[(?:'(?P<key>[^'\]]*)'|(?P<index>-?\d+(?:, -?\d+)*))\]")


def _localised(text: str, lang: str) -> str:
    """A brief value description (written in English by the grader) in ``lang``."""
    if lang == "ko":
        for english, korean in m.BRIEF_WORDS_KO:
            text = text.replace(english, korean)
    return text


def _input_name(name: str, lang: str) -> str:
    known = m.INPUT_NAMES.get(name)
    if known is not None:
        return known.render(lang)
    argument = _ARGUMENT.fullmatch(name)
    if argument:
        return m.ARGUMENT_NAME.render(lang, index=argument[1])
    return name


_ARGUMENT = re.compile(r"argument (\d+)")


def _failure_lines(test: dict[str, Any], lang: str) -> list[str]:
    lines: list[str] = []
    failure = test.get("failure")
    if failure is None:
        return [*lines, m.SUITE_ERROR.render(lang)]
    case = failure.get("case") or {}
    lines.append(f"**{m.CASE.render(lang)}**: {md_text(case.get(lang, case.get('en', '')))}")
    if failure.get("inputs"):
        lines.append("")
        lines.append(f"**{m.INPUTS.render(lang)}**:")
        lines += [
            f"- {md_text(_input_name(k, lang))} = {md_code(_localised(v, lang))}"
            for k, v in failure["inputs"].items()
        ]
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
                f"- {m.WHERE.render(lang)}: {_where_in_words(failure.get('where', ''), lang)}",
                f"- {m.EXPECTED.render(lang)}: "
                f"{md_code(_localised(failure.get('expected', ''), lang))}",
            ]
        received = _localised(failure.get("received", ""), lang)
        lines.append(f"- {m.RECEIVED.render(lang)}: {md_code(received)}")
        if "mismatched" in failure:
            lines.append(
                "- "
                + m.MISMATCHED.render(
                    lang, mismatched=failure["mismatched"], total=failure.get("total", "?")
                )
            )
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
