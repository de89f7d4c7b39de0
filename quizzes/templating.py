"""The one Jinja environment of item texts: undefined variables are errors, never blanks."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2

from quizzes.errors import BankError
from quizzes.formula import fmt

_ENV = jinja2.Environment(
    undefined=jinja2.StrictUndefined,
    autoescape=False,  # item text is LaTeX-and-prose; each renderer escapes for its format
    keep_trailing_newline=False,
)
_ENV.filters["fmt"] = fmt


@cache
def _compiled(source: str) -> jinja2.Template:
    return _ENV.from_string(source)


def render(source: str, values: Mapping[str, Any], where: str) -> str:
    """Render one item text; ``where`` (file and field) is named if a variable is missing."""
    try:
        return _compiled(source).render(values).strip()
    except jinja2.TemplateSyntaxError as error:
        raise BankError(f"{where}: template syntax error: {error.message}") from None
    except jinja2.UndefinedError as error:
        raise BankError(
            f"{where}: {error.message}; add it to `params` or `let`, or fix the spelling"
        ) from None
