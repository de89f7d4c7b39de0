"""Bilingual text: every message a student or instructor reads exists in Korean and English."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Lang = Literal["ko", "en"]
LANGS: tuple[Lang, ...] = get_args(Lang)
DEFAULT_LANG: Lang = "ko"


class UnknownLanguageError(ValueError):
    """A language code other than ``ko`` or ``en`` was asked for."""


def check_lang(lang: str) -> Lang:
    """Return ``lang`` if it is a supported language code, else raise with the choices."""
    if lang not in LANGS:
        raise UnknownLanguageError(
            f"unknown language {lang!r}: choose one of {', '.join(LANGS)} "
            f"(지원 언어: {', '.join(LANGS)})"
        )
    return lang  # type: ignore[return-value]


@dataclass(frozen=True)
class Text:
    """One message in both languages, with ``str.format`` placeholders shared by both.

    English counts take a plural that Korean does not: ``en_one``, if given, is the English
    text when the placeholder ``count`` is 1.

    >>> Text(ko="{n}개 통과", en="{n} passed").render("en", n=3)
    '3 passed'
    >>> Text(ko="{count}개", en="{count} files", en_one="{count} file").render("en", count=1)
    '1 file'
    """

    ko: str
    en: str
    en_one: str | None = None

    def __post_init__(self) -> None:
        if not self.ko.strip() or not self.en.strip():
            raise ValueError(f"a bilingual text needs both languages: {self!r}")

    def render(self, lang: str, /, **values: object) -> str:
        if check_lang(lang) == "en" and self.en_one is not None and values.get("count") == 1:
            return self.en_one.format(**values)
        return getattr(self, lang).format(**values)
