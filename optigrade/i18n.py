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

    >>> Text(ko="{n}개 통과", en="{n} passed").render("en", n=3)
    '3 passed'
    """

    ko: str
    en: str

    def __post_init__(self) -> None:
        if not self.ko.strip() or not self.en.strip():
            raise ValueError(f"a bilingual text needs both languages: {self!r}")

    def render(self, lang: str, /, **values: object) -> str:
        return getattr(self, check_lang(lang)).format(**values)
