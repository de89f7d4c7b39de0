"""The one Jinja environment of item texts: undefined variables are errors, never blanks."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
import jinja2.meta

from quizzes.errors import BankError
from quizzes.formula import fmt

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # item text is LaTeX-and-prose; each renderer escapes for its format
    keep_trailing_newline=False,
)
_ENV.filters["fmt"] = fmt

#: Types whose ``repr`` fixes how Jinja prints them, so equal keys give equal texts.
_PLAIN = (int, float, str, bool, type(None))
_CACHE_LIMIT = 200_000

#: (source, the values it reads) -> rendered text. A quiz of 1,000 sheets renders the same
#: choice texts and prompts over and over, and Jinja's per-call context costs more than the text.
_rendered: dict[tuple[str, tuple[str | None, ...]], str] = {}


@cache
def _compiled(source: str) -> tuple[jinja2.Template, tuple[str, ...]]:
    """The template and the names it reads from its context (sorted)."""
    names = jinja2.meta.find_undeclared_variables(_ENV.parse(source))
    return _ENV.from_string(source), tuple(sorted(names))


def _plain_repr(value: Any) -> str | None:
    """``repr`` of a scalar or of a list/tuple of scalars, with its type (so that ``1`` and
    ``1.0``, or ``0.0`` and ``-0.0``, stay apart); None for anything else, whose printing the
    cache cannot vouch for."""
    if type(value) in _PLAIN:
        return f"{type(value).__name__}:{value!r}"
    if type(value) in (list, tuple):
        parts = [_plain_repr(v) for v in value]
        return None if None in parts else f"{type(value).__name__}[{','.join(parts)}]"  # type: ignore[arg-type]
    return None


def render(source: str, values: Mapping[str, Any], where: str) -> str:
    """Render one item text; ``where`` (file and field) is named if a variable is missing."""
    try:
        template, names = _compiled(source)
        # A missing name falls through to Jinja, which names it in the error below.
        key = tuple(_plain_repr(values[n]) if n in values else None for n in names)
        cacheable = None not in key
        if cacheable and (source, key) in _rendered:
            return _rendered[(source, key)]
        text = template.render(values).strip()
    except jinja2.TemplateSyntaxError as error:
        raise BankError(f"{where}: template syntax error: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise BankError(
            f"{where}: {error.message}; add it to `params` or `let`, or fix the spelling"
        ) from None
    if cacheable and len(_rendered) < _CACHE_LIMIT:
        _rendered[(source, key)] = text
    return text
