"""What must never reach a reader of a sheet, key or LMS file: internal structure (a Python
dict or list, template syntax, ``None``, a misconception id) and the other language's text
(Hangul on an English sheet, an English sentence on a Korean one).

``optigrade quiz stress`` runs these checks on every drawn text, and the tests run them on the
files ``optigrade quiz build`` writes, after stripping each format's markup.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Math and code are notation, not language: ``$…$``, ``\\( … \\)``, ``\\[ … \\]``, backticks.
_NOTATION = re.compile(r"\$\$.+?\$\$|\$.+?\$|\\\(.+?\\\)|\\\[.+?\\\]|`[^`]*`", re.DOTALL)
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]")
#: Four Latin words of two letters or more in a row is an English phrase; the Korean texts name
#: methods and symbols (Xavier, ReLU, time_interval) and label choices (A. B. C.), never that.
_ENGLISH_RUN = re.compile(r"(?<![\w-])(?:[A-Za-z][A-Za-z'-]+[.,;:]?\s+){3}[A-Za-z][A-Za-z'-]+")
_STRUCTURE = (
    (re.compile(r"""[{,]\s*['"](?:ko|en)['"]\s*:"""), "a dict of both languages"),
    (re.compile(r"""\{\s*['"][^'"]*['"]\s*:"""), "a Python dict"),
    (re.compile(r"""\[\s*['"][^'"]*['"]\s*[,\]]"""), "a Python list"),
    (re.compile(r"\{\{|\{%|%\}|\{#"), "template syntax"),
    (re.compile(r"\b(?:None|nan|NaN|inf)\b"), "a Python value"),
    (re.compile(r"<[\w.]+ object at 0x|<function |<bound method "), "a Python object"),
)


def prose(text: str) -> str:
    """``text`` without its math and code (the parts no language check applies to)."""
    return _NOTATION.sub(" ", text)


def text_leaks(text: str, lang: str, tags: tuple[str, ...] = ()) -> list[str]:
    """What in ``text`` (meant for a ``lang`` reader) leaks: each problem as a short phrase with
    the offending excerpt. ``tags`` are the misconception ids that must not be printed."""
    return list(_leaks(text, lang, tags))


@lru_cache(maxsize=65536)
def _leaks(text: str, lang: str, tags: tuple[str, ...]) -> tuple[str, ...]:
    """Cached: a stress run checks the same choice texts and sentences thousands of times."""
    problems = []
    words = prose(text)
    for pattern, what in _STRUCTURE:
        found = pattern.search(words)
        if found:
            problems.append(f"{what} in {lang}: …{_around(words, found.start())}…")
    found = _ids(tags).search(text) if tags else None
    if found:
        problems.append(f"the misconception id {found.group(0)} in {lang}")
    if lang == "en":
        found = _HANGUL.search(words)
        if found:
            problems.append(f"Korean text on an English page: …{_around(words, found.start())}…")
    elif lang == "ko":
        found = _ENGLISH_RUN.search(words)
        if found:
            problems.append(f"English text on a Korean page: {found.group(0)!r}")
    return tuple(problems)


@lru_cache(maxsize=8)
def _ids(tags: tuple[str, ...]) -> re.Pattern[str]:
    """One pattern for all ids (longest first), each a whole hyphenated word."""
    alternatives = "|".join(re.escape(tag) for tag in sorted(tags, key=len, reverse=True))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")


def _around(text: str, at: int) -> str:
    return " ".join(text[max(0, at - 20) : at + 40].split())
