"""The teaching text of the notebooks, kept as data: Jinja templates under ``content/``.

``content/<lang>/<assignment>.md.j2`` holds the prose, one Markdown cell per section, sections
opened by a marker line (``<!-- intro -->``, ``<!-- item Adam -->``, ``<!-- experiment paths -->``).
``content/experiments/<assignment>.py.j2`` holds the language-neutral experiment code, one cell
per ``# %% <name>`` marker. Templates see ``formula(item)`` (the display math of the reference's
docstring, so formulas are never typed twice), ``defaults[item][parameter]``, the reference's
``items`` in course order, ``number(item)`` (its number in that order, from 1),
``assignment_number`` and ``learning_rates[optimizer]`` (the notes' comparison figure,
``solutions/surface.py``): an item added to the reference is numbered and listed without
editing the templates' headings or lists.
"""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

import solutions
from assignments.reference import Reference
from solutions import surface

CONTENT = Path(__file__).parent / "content"
_PROSE_MARKER = re.compile(r"^<!-- (intro|item|experiment|outro)(?: (\w+))? -->$", re.MULTILINE)
_CODE_MARKER = re.compile(r"^# %% (\w+)$", re.MULTILINE)
_MATH = re.compile(r"^(?P<indent> *)\.\. math::(?P<first>.*)$")
_INLINE_MATH = re.compile(r":math:`([^`]*)`")


class ContentError(ValueError):
    """The prose or experiment templates do not match the reference's items."""


@dataclass(frozen=True)
class Section:
    kind: str  # intro, item, experiment or outro
    name: str | None
    text: str


def prose(reference: Reference, lang: str) -> list[Section]:
    """The rendered prose sections of one notebook, in order, each item present once."""
    text = _render(f"{lang}/{reference.assignment}.md.j2", reference, lang)
    sections = [Section(kind, name, body) for kind, name, body in _split(text, _PROSE_MARKER)]
    items = [s.name for s in sections if s.kind == "item"]
    if items != list(reference.items):
        raise ContentError(
            f"{lang}/{reference.assignment}.md.j2 describes items {items}, "
            f"but the reference lists {list(reference.items)} (same order, each once)"
        )
    return sections


def experiments(reference: Reference) -> dict[str, str]:
    """Experiment name → code of its cell."""
    text = _render(f"experiments/{reference.assignment}.py.j2", reference, "en")
    return {name: body for _, name, body in _split(text, _CODE_MARKER, kind="experiment")}


def formula(doc: str) -> str:
    """The math of a docstring as Markdown display math (``$$ … $$``).

    The ``.. math::`` blocks; failing those, the inline ``:math:`` spans that state a formula
    (an equation or a distribution), not the ones that merely name a symbol.
    """
    blocks: list[list[str]] = []
    current: list[str] | None = None
    indent = 0
    for line in doc.splitlines():
        match = _MATH.match(line)
        if match:
            indent = len(match["indent"])
            current = [match["first"].strip()] if match["first"].strip() else []
            blocks.append(current)
        elif current is not None and (not line.strip() or len(line) - len(line.lstrip()) > indent):
            if line.strip():
                current.append(line.strip())
        else:
            current = None
    rendered = []
    for block in blocks:
        body = "\n".join(block)
        if "\\\\" in body or "&" in body:
            body = f"\\begin{{aligned}}\n{body}\n\\end{{aligned}}"
        rendered.append(f"$$\n{body}\n$$")
    if not rendered:
        spans = " ".join(doc.split())  # an inline span may be wrapped across lines
        rendered = [
            f"$$\n{math}\n$$"
            for math in _INLINE_MATH.findall(spans)
            if "=" in math or "\\sim" in math
        ]
    return "\n\n".join(rendered)


def _render(template: str, reference: Reference, lang: str) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(CONTENT),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown and Python, never HTML
    )

    def formula_of(item: str) -> str:
        math = formula(inspect.getdoc(reference.obj(item)) or "")
        if not math:
            raise ContentError(f"{template}: the docstring of {item} has no `.. math::` block")
        return math

    def number(item: str) -> int:
        if item not in reference.items:
            raise ContentError(f"{template}: {item!r} is not an item of {reference.assignment}")
        return reference.items.index(item) + 1

    context: dict[str, Any] = {
        "lang": lang,
        "formula": formula_of,
        "defaults": {item: _defaults(reference.obj(item)) for item in reference.items},
        "items": list(reference.items),
        "number": number,
        "assignment_number": list(solutions.ASSIGNMENTS).index(reference.assignment) + 1,
        "learning_rates": surface.LEARNING_RATES,
    }
    return env.get_template(template).render(context)


def _defaults(obj: Any) -> dict[str, Any]:
    return {
        name: parameter.default
        for name, parameter in inspect.signature(obj).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def _split(
    text: str, marker: re.Pattern[str], kind: str | None = None
) -> list[tuple[str, str | None, str]]:
    matches = list(marker.finditer(text))
    parts = []
    for match, following in zip(matches, [*matches[1:], None], strict=True):
        end = following.start() if following else len(text)
        groups = match.groups()
        section_kind, name = (kind, groups[0]) if kind else (groups[0], groups[1])
        parts.append((section_kind, name, text[match.end() : end].strip("\n")))
    return parts
