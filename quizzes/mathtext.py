"""Item text is prose with LaTeX between ``$…$`` (inline) or ``$$…$$`` (display); this module
splits it and writes the math the way each output wants it."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from functools import lru_cache

from latex2mathml.converter import convert

_MATH = re.compile(r"\$\$(.+?)\$\$|\$(.+?)\$", re.DOTALL)
_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def segments(text: str) -> Iterator[tuple[str, str]]:
    """("text", prose) and ("math" / "display", LaTeX) pieces, in order."""
    pos = 0
    for match in _MATH.finditer(text):
        if match.start() > pos:
            yield "text", text[pos : match.start()]
        yield ("display", match.group(1)) if match.group(1) else ("math", match.group(2))
        pos = match.end()
    if pos < len(text):
        yield "text", text[pos:]


@lru_cache(maxsize=65536)
def mathml(latex: str, display: bool = False) -> str:
    """LaTeX to MathML, on the server, so that the HTML needs no script and no network."""
    return convert(latex, display="block" if display else "inline")


def _prose_html(text: str) -> str:
    escaped = html.escape(text, quote=False)
    escaped = _CODE.sub(r"<code>\1</code>", escaped)
    return _BOLD.sub(r"<strong>\1</strong>", escaped)


def _paragraphs(text: str, piece: Callable[[str, str], str]) -> str:
    blocks = [block for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    rendered = ("".join(piece(kind, body) for kind, body in segments(b)) for b in blocks)
    return (
        "".join(f"<p>{block}</p>" for block in rendered) if len(blocks) > 1 else next(rendered, "")
    )


@lru_cache(maxsize=65536)
def to_html(text: str, paragraphs: bool = False) -> str:
    """HTML with MathML math (for the sheets). Cached: a class's sheets repeat the same
    prompts, choices and instructions, and each costs a regex pass and MathML lookups."""

    def piece(kind: str, body: str) -> str:
        return _prose_html(body) if kind == "text" else mathml(body, kind == "display")

    if paragraphs:
        return _paragraphs(text, piece)
    return "".join(piece(kind, body) for kind, body in segments(text))


def to_lms_html(text: str) -> str:
    """HTML with math as ``\\( … \\)`` / ``\\[ … \\]``, which Moodle's and Canvas's MathJax
    filters typeset."""

    def piece(kind: str, body: str) -> str:
        if kind == "text":
            return _prose_html(body)
        open_, close = (r"\[", r"\]") if kind == "display" else (r"\(", r"\)")
        return f"{open_}{html.escape(body, quote=False)}{close}"

    return _paragraphs(text, piece)


def to_tex_delimited(text: str) -> str:
    """Plain text with math as ``\\( … \\)`` (for GIFT, before its own escaping)."""
    out = []
    for kind, body in segments(text):
        if kind == "text":
            out.append(body)
        else:
            out.append(rf"\[{body}\]" if kind == "display" else rf"\({body}\)")
    return " ".join("".join(out).split())
