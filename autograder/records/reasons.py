"""A reason (why a file was refused, why a submission was not graded) kept in both languages.

Intake words its reasons once and cannot know who reads them: the student's feedback (Korean
or English), the class report (the batch's language), the TA's console (both). A reason is
therefore stored as text holding both renderings, each pair between three control characters
that no stored name or message can contain (names and messages are escaped before they are
put in a reason), so that a reason stays a ``str`` wherever it travels (gradebook, task lists,
``"where: why"`` lines built around it) and each reader renders it in its language:
:func:`render` for one language, :func:`both` for the console. Text without such pairs (a
record written before reasons were kept this way: ``"English / 한국어"``) is returned as it is.
"""

from __future__ import annotations

import re

from optigrade.i18n import Text

_START, _SEPARATOR, _END = "\x1e", "\x1f", "\x1d"
_PAIR = re.compile(
    f"{_START}([^{_START}{_SEPARATOR}{_END}]*){_SEPARATOR}([^{_START}{_END}]*){_END}"
)
LANGS = ("en", "ko")


def encode(text: Text, /, **values: object) -> str:
    """``text`` with ``values`` in both languages, as one storable ``str``. A value that is a
    :class:`Text` or itself a reason is rendered in the same language as the text around it."""
    en, ko = (text.render(lang, **_in(lang, values)) for lang in LANGS)
    return f"{_START}{en}{_SEPARATOR}{ko}{_END}"


def render(reason: str, lang: str) -> str:
    """``reason`` in ``lang`` (``"en"`` or ``"ko"``)."""
    index = 1 if lang == "en" else 2
    return _PAIR.sub(lambda found: found[index], reason)


def both(reason: str) -> str:
    """``reason`` with each pair as "English / 한국어", in place: what the TA's console shows."""
    return _PAIR.sub(lambda found: f"{found[1]} / {found[2]}", reason)


def _in(lang: str, values: dict[str, object]) -> dict[str, object]:
    return {
        key: value.render(lang)
        if isinstance(value, Text)
        else render(value, lang)
        if isinstance(value, str)
        else value
        for key, value in values.items()
    }
