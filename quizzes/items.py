"""Loading and validating the item bank (one YAML file per item under ``quizzes/bank/``)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import Any

import yaml

from optigrade.i18n import LANGS
from quizzes.errors import BankError, UnknownItemError, UnknownTopicError
from quizzes.formula import compile_formula
from quizzes.misconceptions import CATALOGUE_PATH, load_catalogue
from quizzes.topics import KINDS, TOPICS, TYPES

BANK_DIR = Path(__file__).with_name("bank")  # the item files; this module reads them
PARAM_KINDS = ("choice", "int", "uniform", "pow2")


@dataclass(frozen=True)
class ParamSpec:
    """How one parameter is drawn: ``choice`` of values, ``int``/``uniform`` in a range, or a
    power of two ``pow2: [lo, hi]`` (exponents). ``digits`` rounds a ``uniform`` draw to the
    decimals printed on the sheet, so that answers use exactly the numbers students see."""

    name: str
    kind: str
    args: tuple[Any, ...]
    digits: int | None = None


@dataclass(frozen=True)
class OptionSpec:
    """A choice, a true/false statement, or a numeric distractor."""

    text: Mapping[str, str] | None  # Jinja source per language; None for a value-only option
    value: CodeType | None
    correct: CodeType
    misconception: str | None


@dataclass(frozen=True)
class PairSpec:
    left: Mapping[str, str]
    right: Mapping[str, str]


@dataclass(frozen=True)
class ItemSpec:
    """One validated item file."""

    id: str
    topic: str
    type: str
    kind: str
    path: Path
    prompt: Mapping[str, str]
    params: tuple[ParamSpec, ...] = ()
    lets: tuple[tuple[str, CodeType], ...] = ()
    check: CodeType | None = None
    options: tuple[OptionSpec, ...] = ()
    pick: int | None = None
    answer: CodeType | None = None
    tolerance: tuple[str, float] = ("abs", 0.0)
    digits: int = 4
    accept: tuple[str, ...] = ()
    pairs: tuple[PairSpec, ...] = ()
    misconceptions: tuple[str, ...] = field(default=())

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(lang for lang in LANGS if self.prompt.get(lang))


def _need(data: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in data or data[key] in (None, ""):
        raise BankError(f"{where}: missing field `{key}`; see docs/QUIZZES.md for the item format")
    return data[key]


def _bilingual(data: Mapping[str, Any], where: str) -> dict[str, str]:
    texts = {lang: data.get(lang) for lang in LANGS}
    missing = [lang for lang, text in texts.items() if not isinstance(text, str) or not text]
    if missing:
        raise BankError(f"{where}: missing text in {', '.join(missing)}; write both ko and en")
    return texts  # type: ignore[return-value]


def _param(name: str, raw: Any, where: str) -> ParamSpec:
    if not isinstance(raw, Mapping):
        raise BankError(f"{where}: parameter `{name}` must be a mapping such as {{int: [1, 9]}}")
    kinds = [kind for kind in PARAM_KINDS if kind in raw]
    if len(kinds) != 1:
        raise BankError(
            f"{where}: parameter `{name}` needs exactly one of {', '.join(PARAM_KINDS)}"
        )
    kind = kinds[0]
    args = raw[kind]
    if not isinstance(args, list) or not args or (kind != "choice" and len(args) != 2):
        raise BankError(f"{where}: parameter `{name}`: `{kind}` needs a list ([lo, hi] for ranges)")
    return ParamSpec(name, kind, tuple(args), raw.get("digits"))


def _tolerance(raw: Any, where: str) -> tuple[str, float]:
    if raw is None:
        return ("abs", 0.0)
    text = str(raw).strip()
    try:
        if text.endswith("%"):
            return ("rel", float(text[:-1]) / 100)
        return ("abs", float(text))
    except ValueError:
        raise BankError(
            f"{where}: tolerance {raw!r} is neither a number (absolute) nor a percentage"
        ) from None


def _option(raw: Any, where: str, need_tag: bool) -> OptionSpec:
    if not isinstance(raw, Mapping):
        raise BankError(f"{where}: each choice is a mapping with ko/en text or a value")
    value = compile_formula(raw["value"], f"{where}.value") if "value" in raw else None
    text = None if value is not None and "ko" not in raw else _bilingual(raw, where)
    correct = compile_formula(raw.get("correct", False), f"{where}.correct")
    tag = raw.get("misconception")
    if need_tag and raw.get("correct", False) is False and not tag:
        raise BankError(
            f"{where}: a wrong choice needs a `misconception` tag naming the mistake it models"
        )
    return OptionSpec(text, value, correct, tag)


def parse_item(data: Mapping[str, Any], path: Path) -> ItemSpec:
    """Validate one item's mapping (as read from ``path``) into an :class:`ItemSpec`."""
    where = path.name
    item_id = str(_need(data, "id", where))
    topic, kind, qtype = (_need(data, key, where) for key in ("topic", "kind", "type"))
    for value, allowed, name in (
        (topic, TOPICS, "topic"),
        (kind, KINDS, "kind"),
        (qtype, TYPES, "type"),
    ):
        if value not in allowed:
            raise BankError(f"{where}: {name} {value!r} is not one of {', '.join(allowed)}")
    params = tuple(_param(n, raw, where) for n, raw in (data.get("params") or {}).items())
    lets = tuple(
        (name, compile_formula(source, f"{where}.let.{name}"))
        for name, source in (data.get("let") or {}).items()
    )
    check = compile_formula(data["check"], f"{where}.check") if "check" in data else None
    raw_options = data.get("choices") or data.get("statements") or data.get("distractors") or []
    options = tuple(
        _option(raw, f"{where}.choices[{i}]", need_tag=qtype != "numeric")
        for i, raw in enumerate(raw_options)
    )
    if qtype == "numeric" and any(option.misconception is None for option in options):
        raise BankError(f"{where}: every numeric distractor needs a `misconception` tag")
    answer = compile_formula(data["answer"], f"{where}.answer") if "answer" in data else None
    pairs = tuple(
        PairSpec(
            _bilingual(p.get("left", {}), f"{where}.pairs[{i}].left"),
            _bilingual(p.get("right", {}), f"{where}.pairs[{i}].right"),
        )
        for i, p in enumerate(data.get("pairs") or [])
    )
    accept = tuple(str(a) for a in (data.get("accept") or []))
    _check_shape(qtype, options, answer, accept, pairs, where)
    return ItemSpec(
        id=item_id,
        topic=topic,
        type=qtype,
        kind=kind,
        path=path,
        prompt=_bilingual(data, where),
        params=params,
        lets=lets,
        check=check,
        options=options,
        pick=data.get("pick"),
        answer=answer,
        tolerance=_tolerance(data.get("tolerance"), where),
        digits=int(data.get("digits", 4)),
        accept=accept,
        pairs=pairs,
        misconceptions=tuple(sorted({o.misconception for o in options if o.misconception})),
    )


def _check_shape(
    qtype: str,
    options: tuple[OptionSpec, ...],
    answer: CodeType | None,
    accept: tuple[str, ...],
    pairs: tuple[PairSpec, ...],
    where: str,
) -> None:
    """Each type needs its own parts; say which one is missing."""
    needs = {
        "single": (len(options) >= 2, "`choices` (at least two)"),
        "multiple": (len(options) >= 3, "`choices` (at least three)"),
        "truefalse": (len(options) >= 1, "`statements`"),
        "numeric": (answer is not None, "an `answer` formula"),
        "short": (len(accept) >= 1, "`accept` (the accepted answers)"),
        "matching": (len(pairs) >= 3, "`pairs` (at least three)"),
    }
    ok, what = needs[qtype]
    if not ok:
        raise BankError(f"{where}: a {qtype} item needs {what}")


def load_item(path: Path) -> ItemSpec:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise BankError(f"{path.name}: not valid YAML ({error}); check the indentation") from None
    if not isinstance(data, Mapping):
        raise BankError(f"{path.name}: an item file must be a YAML mapping")
    return parse_item(data, path)


@lru_cache(maxsize=4)
def _load_dir(directory: Path) -> tuple[ItemSpec, ...]:
    items = tuple(load_item(path) for path in sorted(directory.glob("*.yaml")))
    seen: dict[str, Path] = {}
    for item in items:
        if item.id in seen:
            raise BankError(
                f"item id {item.id!r} is used by both {seen[item.id].name} and {item.path.name}"
            )
        seen[item.id] = item.path
    catalogue = load_catalogue()
    for item in items:
        unexplained = catalogue.missing(item.misconceptions)
        if unexplained:
            raise BankError(
                f"{item.path.name}: misconception(s) {', '.join(unexplained)} have no sentence "
                f"in {CATALOGUE_PATH.name}; add each in ko and en"
            )
    order = list(TOPICS)
    return tuple(sorted(items, key=lambda item: (order.index(item.topic), item.id)))


def load_bank(directory: Path | None = None) -> tuple[ItemSpec, ...]:
    """Every item of the bank, in course order (topic, then id)."""
    return _load_dir((directory or BANK_DIR).resolve())


def select(
    items: Iterable[ItemSpec],
    topics: Iterable[str] | None = None,
    ids: Iterable[str] | None = None,
) -> tuple[ItemSpec, ...]:
    """Filter the bank by topics and/or item ids, with an error naming the unknown ones."""
    items = tuple(items)
    if topics:
        topics = list(topics)
        unknown = [t for t in topics if t not in TOPICS]
        if unknown:
            raise UnknownTopicError(
                f"unknown topic(s) {', '.join(unknown)}: choose from {', '.join(TOPICS)}"
            )
        items = tuple(item for item in items if item.topic in topics)
    if ids:
        ids = list(ids)
        known = {item.id for item in items}
        unknown = [i for i in ids if i not in known]
        if unknown:
            raise UnknownItemError(
                f"unknown item id(s) {', '.join(unknown)}: `optigrade quiz list` shows the ids"
            )
        items = tuple(item for item in items if item.id in ids)
    return items
