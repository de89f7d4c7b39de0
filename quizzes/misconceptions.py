"""The misconception catalogue: what each ``misconception:`` id of the bank means, in words a
student reads as feedback (``quizzes/misconceptions.yaml``, Korean and English).

Ids tag distractors so that wrong answers can be counted by the mistake they model; only the
sentences are printed, in every format, so that no sheet, key or LMS file shows an id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import yaml

from optigrade.i18n import LANGS, Text, check_lang
from quizzes.errors import BankError

CATALOGUE_PATH = Path(__file__).with_name("misconceptions.yaml")


@dataclass(frozen=True)
class Catalogue:
    """Misconception id -> its sentence in both languages."""

    sentences: Mapping[str, Text]

    @cached_property
    def ids(self) -> tuple[str, ...]:
        """Every id, in catalogue order."""
        return tuple(self.sentences)

    def explain(self, tag: str, lang: str) -> str:
        """The sentence of ``tag`` in ``lang``; an unknown id is a bank error naming it."""
        if tag not in self.sentences:
            raise BankError(
                f"misconception {tag!r} has no sentence: add it to {CATALOGUE_PATH.name} "
                "in ko and en"
            )
        # Not ``Text.render``: the sentences hold LaTeX braces, which are no format fields.
        return str(getattr(self.sentences[tag], check_lang(lang)))

    def missing(self, tags: Iterable[str]) -> list[str]:
        """The ids among ``tags`` that the catalogue does not explain, sorted."""
        return sorted({tag for tag in tags if tag not in self.sentences})


def parse_catalogue(data: object, where: str) -> Catalogue:
    """Validate the catalogue's mapping: every id needs a non-empty ``ko`` and ``en`` text."""
    if not isinstance(data, Mapping):
        raise BankError(f"{where}: the catalogue is a mapping of id -> {{ko: …, en: …}}")
    sentences: dict[str, Text] = {}
    for tag, entry in data.items():
        texts = entry if isinstance(entry, Mapping) else {}
        missing = [lang for lang in LANGS if not str(texts.get(lang) or "").strip()]
        if missing:
            raise BankError(f"{where}: {tag}: missing text in {', '.join(missing)}")
        sentences[str(tag)] = Text(ko=str(texts["ko"]).strip(), en=str(texts["en"]).strip())
    return Catalogue(sentences)


@lru_cache(maxsize=2)
def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise BankError(f"{path.name}: not valid YAML ({error})") from None
    return parse_catalogue(data, path.name)


def explain(tag: str | None, lang: str) -> str:
    """The catalogue's sentence for ``tag`` in ``lang``; empty for no tag (a right answer)."""
    return load_catalogue().explain(tag, lang) if tag else ""
