"""Student-controlled text made inert where it lands: terminal, CSV, Markdown/HTML, JSON.

Everything a student can choose (file names, hence student ids; exception messages,
tracebacks, returned values, cell sources) reaches a TA's terminal, a spreadsheet, a browser
and other programs. Each has its own active characters, so each has its own function here,
and every export calls the one for where it writes. They are called for every student of a
batch as results arrive: each is a translate table or one regular expression, built once.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

#: Characters that act on a terminal or hide what a line says: C0 and C1 controls (ESC starts
#: every escape sequence; a lone C1 CSI acts on some terminals), DEL, the line and paragraph
#: separators, the bidirectional overrides and isolates ("Trojan Source"), and lone surrogates
#: (an undecodable file name), which no UTF-8 stream can carry.
_INVISIBLE = [
    *range(0x00, 0x20),
    *range(0x7F, 0xA0),
    0x061C,
    0x200E,
    0x200F,
    0x2028,
    0x2029,
    *range(0x202A, 0x202F),
    *range(0x2066, 0x206A),
    *range(0xD800, 0xE000),
]


def _escape_of(code: int) -> str:
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


_VISIBLE = {code: _escape_of(code) for code in _INVISIBLE}
_VISIBLE_LINES = {code: text for code, text in _VISIBLE.items() if code not in (0x09, 0x0A)}


def visible(text: object, *, lines: bool = False) -> str:
    """``text`` with every control or invisible character shown as its escape (``\\x1b``).

    With ``lines``, newlines and tabs are kept (a traceback, a message of several lines);
    a carriage return is not, as it would let a line overwrite what came before it.
    """
    text = text if isinstance(text, str) else str(text)
    if text.isprintable():  # the common case: nothing to replace (a space is printable)
        return text
    return text.translate(_VISIBLE_LINES if lines else _VISIBLE)


#: A spreadsheet evaluates a cell that starts with one of these as a formula (OWASP's list;
#: tab and carriage return are already made visible by :func:`visible`).
_FORMULA_START = ("=", "+", "-", "@", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def csv_cell(text: object) -> str:
    """A CSV cell that a spreadsheet shows as text: controls made visible (one line, so one
    row per student whatever the reader), and a formula's first character neutralised with a
    leading ``'`` (OWASP's advice), including after leading spaces that some readers trim."""
    cell = visible(text)
    if cell.lstrip(" ").startswith(_FORMULA_START):
        return "'" + cell
    return cell


#: Characters that start Markdown syntax inline (emphasis, code, links and images, raw HTML,
#: entities, headings' closing hashes, table pipes, GFM strikethrough and math), each with
#: its backslash escape.
_MARKDOWN_ACTIVE = {ord(c): "\\" + c for c in "\\`*_[]<>#!|&~$"}


def md_text(text: object) -> str:
    """Plain text inside a Markdown line: shown as is by any Markdown renderer, never markup.

    Newlines and other controls are shown as escapes first, so the text cannot start a
    block of its own (a heading, a raw HTML block) on a line of its own.
    """
    return visible(text).translate(_MARKDOWN_ACTIVE)


_BACKTICKS = re.compile(r"`+")


def md_code(text: object, *, in_table: bool = False) -> str:
    """An inline code span showing ``text`` literally, whatever backticks it holds.

    The fence is one backtick longer than the longest run inside, so the text cannot close
    it. In a table row, ``|`` would end the cell even inside code, so it is escaped there.
    """
    body = visible(text)
    if in_table:
        body = body.replace("|", "\\|")
    if not body:
        return "` `"
    if "`" not in body and body[0] != " ":  # the common case: one backtick each side
        return f"`{body}`"
    runs = _BACKTICKS.findall(body)
    fence = "`" * (max(map(len, runs)) + 1 if runs else 1)
    # A renderer strips one space each side when both are there (and the span is not all
    # spaces): padding keeps a backtick off the fence, and the text's own spaces.
    if body[0] == "`" or body[-1] == "`" or (body[0] == body[-1] == " " and body.strip(" ")):
        body = f" {body} "
    return f"{fence}{body}{fence}"


def md_block(text: object) -> list[str]:
    """A fenced code block showing ``text`` literally, as lines (fences included).

    The fence is longer than any run of backticks in the text, so no line can close it.
    """
    body = visible(text, lines=True).rstrip()
    runs = _BACKTICKS.findall(body)
    fence = "`" * max(3, max(map(len, runs), default=0) + 1)
    return [fence, *body.split("\n"), fence]


#: Characters that JSON's encoder leaves raw (it escapes only C0 controls, quotes and
#: backslashes) but a terminal acts on or a UTF-8 writer cannot encode.
_JSON_UNSAFE = re.compile(
    "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


def json_text(value: Any, *, indent: int | None = None) -> str:
    """``value`` as JSON text that is valid, encodable as UTF-8 and inert on a terminal.

    Non-ASCII text stays readable (Korean names); only the characters above are written as
    ``\\uXXXX`` escapes, which every JSON reader decodes back. NaN and infinities are refused
    (``ValueError``): they are not JSON.
    """
    text = json.dumps(value, ensure_ascii=False, allow_nan=False, indent=indent)
    if text.isascii() and "\x7f" not in text:  # json.dumps escapes all other ASCII controls
        return text
    return _JSON_UNSAFE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


class VisibleWriter:
    """A text stream that passes everything on through :func:`visible` (lines kept).

    A grading worker writes to the TA's terminal only when something went wrong (a traceback
    that multiprocessing prints as the worker dies), and that text may quote a student's
    values: it reaches the terminal with its control characters shown, not obeyed.
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(visible(text, lines=True))
        return len(text)

    def __getattr__(self, name: str) -> Any:  # flush, fileno, encoding, isatty, ...
        return getattr(self._stream, name)


def html_text(text: object) -> str:
    """Text inside an HTML element or a quoted attribute: shown as is, never markup.

    Controls are shown as escapes first (one line), then ``& < > " '`` become entities.
    """
    return html.escape(visible(text), quote=True)
