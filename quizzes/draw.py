"""Seeded drawing: an item and (seed, quiz, student) give one variant, always the same one.

The random generator of a variant is derived from a hash of (seed, quiz, student, item), so a
student's question depends on nothing else: adding a student or an item to a quiz changes
nobody else's questions.
"""

from __future__ import annotations

import hashlib
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from optigrade.i18n import LANGS
from quizzes.errors import BankError, DegenerateItemError
from quizzes.formula import evaluate, fmt
from quizzes.items import ItemSpec, OptionSpec, ParamSpec
from quizzes.model import Choice, Numeric, Pair, Quiz, Sheet, Variant
from quizzes.parallel import fan_out
from quizzes.templating import render

MAX_ATTEMPTS = 60
DISTINCT_RETRIES = 20


class _Redraw(Exception):
    """This draw is unusable (a check failed, a distractor hit the answer): draw again."""


def stable_hash(*parts: object) -> int:
    """A hash that is the same in every process and Python version (unlike ``hash``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def variant_rng(
    seed: int, quiz: str, student: str, item_id: str, attempt: int = 0
) -> random.Random:
    return random.Random(stable_hash(seed, quiz, student, item_id, attempt))


def _draw_param(spec: ParamSpec, rng: random.Random, values: Mapping[str, Any]) -> Any:
    def bound(x: Any) -> Any:
        return evaluate(compile(x, spec.name, "eval"), values) if isinstance(x, str) else x

    if spec.kind == "choice":
        return rng.choice(spec.args)
    lo, hi = (bound(x) for x in spec.args)
    if spec.kind == "int":
        return rng.randint(int(lo), int(hi))
    if spec.kind == "pow2":
        return 2 ** rng.randint(int(lo), int(hi))
    value = rng.uniform(float(lo), float(hi))
    return round(value, spec.digits) if spec.digits is not None else value


def _texts(sources: Mapping[str, str], values: Mapping[str, Any], where: str) -> dict[str, str]:
    return {lang: render(sources[lang], values, f"{where}.{lang}") for lang in LANGS}


def _margin(item: ItemSpec, value: float) -> float:
    kind, amount = item.tolerance
    return amount * abs(value) if kind == "rel" else amount


def _option_choice(
    item: ItemSpec, option: OptionSpec, values: Mapping[str, Any], where: str
) -> Choice:
    correct = bool(evaluate(option.correct, values))
    if option.value is not None:
        number = float(evaluate(option.value, values))
        if not math.isfinite(number):
            raise _Redraw
        shown = fmt(number, item.digits)
        text = (
            _texts(option.text, {**values, "value": shown}, where)
            if option.text
            else {lang: shown for lang in LANGS}
        )
        return Choice(text, correct, _tag(option, correct), number)
    assert option.text is not None
    return Choice(_texts(option.text, values, where), correct, _tag(option, correct))


def _tag(option: OptionSpec, correct: bool) -> str | None:
    """The option's misconception, or None where it is right in this variant: an option whose
    truth depends on the parameters (Xavier is right for tanh, a mistake for ReLU) models the
    mistake only when it is wrong."""
    return None if correct else option.misconception


def _distinct(choices: Iterable[Choice], margin: float) -> list[Choice]:
    """Drop choices that read like an earlier one or whose value is within the margin of one."""
    kept: list[Choice] = []
    for choice in choices:
        clash = any(
            set(choice.text.values()) & set(other.text.values())
            or (
                choice.value is not None
                and other.value is not None
                and abs(choice.value - other.value) <= margin
            )
            for other in kept
        )
        if not clash:
            kept.append(choice)
    return kept


def _draw_choices(item: ItemSpec, values: Mapping[str, Any], rng: random.Random) -> Variant:
    where = item.path.name
    pool = [
        _option_choice(item, o, values, f"{where}.choices[{i}]") for i, o in enumerate(item.options)
    ]
    right = [c for c in pool if c.correct]
    wrong = [c for c in pool if not c.correct]
    if not right or not wrong:
        raise _Redraw
    pick = item.pick or len(pool)
    if item.type == "single":
        first = rng.choice(right)
        margin = _margin(item, first.value) if first.value is not None else 0.0
        # The correct choice goes first so that clashing distractors are the ones dropped.
        survivors = _distinct([first, *wrong], margin)[1:]
        if len(survivors) < pick - 1:
            raise _Redraw
        chosen = [first, *rng.sample(survivors, pick - 1)]
    else:
        margin = 0.0
        n_right = rng.randint(1, min(len(right), pick - 1))
        if pick - n_right > len(wrong):
            raise _Redraw
        chosen = rng.sample(right, n_right) + rng.sample(wrong, pick - n_right)
        if len(_distinct(chosen, 0.0)) < len(chosen):
            raise _Redraw
    rng.shuffle(chosen)
    return _variant(item, values, choices=tuple(chosen), margin=margin)


def _draw_truefalse(item: ItemSpec, values: Mapping[str, Any], rng: random.Random) -> Variant:
    where = item.path.name
    statements = [(bool(evaluate(o.correct, values)), i, o) for i, o in enumerate(item.options)]
    want = rng.random() < 0.5
    pool = [s for s in statements if s[0] == want] or statements
    truth, index, option = rng.choice(pool)
    assert option.text is not None
    statement = _texts(option.text, values, f"{where}.statements[{index}]")
    # ``statement`` holds both languages: each language's prompt takes its own statement only.
    prompt = {lang: f"{text}\n\n{statement[lang]}" for lang, text in _prompt(item, values).items()}
    misconception = () if truth else (Choice(statement, False, option.misconception),)
    return _variant(item, values, prompt=prompt, truth=truth, distractors=misconception)


def _draw_numeric(item: ItemSpec, values: Mapping[str, Any]) -> Variant:
    assert item.answer is not None
    value = float(evaluate(item.answer, values))
    if not math.isfinite(value):
        raise _Redraw
    margin = _margin(item, value)
    wrong = [
        _option_choice(item, o, values, f"{item.path.name}.distractors[{i}]")
        for i, o in enumerate(item.options)
    ]
    # A misconception that lands within the margin cannot be told apart from the right answer:
    # the variant is degenerate (e.g. a bias correction that has already vanished), so redraw.
    if any(c.value is None or abs(c.value - value) <= margin for c in wrong):
        raise _Redraw
    if fmt(value, item.digits) in {c.text[LANGS[0]] for c in wrong}:
        raise _Redraw
    return _variant(
        item, values, numeric=Numeric(value, margin, item.digits), distractors=tuple(wrong)
    )


def _draw_short(item: ItemSpec, values: Mapping[str, Any]) -> Variant:
    accepted = tuple(
        dict.fromkeys(render(a, values, f"{item.path.name}.accept") for a in item.accept)
    )
    if not all(accepted):
        raise _Redraw
    return _variant(item, values, accepted=accepted)


def _draw_matching(item: ItemSpec, values: Mapping[str, Any], rng: random.Random) -> Variant:
    where = item.path.name
    pick = min(item.pick or 4, len(item.pairs))
    chosen = rng.sample(range(len(item.pairs)), pick)
    pairs = tuple(
        Pair(
            _texts(item.pairs[i].left, values, f"{where}.pairs[{i}].left"),
            _texts(item.pairs[i].right, values, f"{where}.pairs[{i}].right"),
        )
        for i in chosen
    )
    for side in ("left", "right"):
        for lang in LANGS:
            texts = [getattr(pair, side)[lang] for pair in pairs]
            if len(set(texts)) < len(texts):
                raise _Redraw
    order = list(range(pick))
    rng.shuffle(order)
    return _variant(item, values, pairs=pairs, right_order=tuple(order))


def _prompt(item: ItemSpec, values: Mapping[str, Any]) -> dict[str, str]:
    return _texts(item.prompt, values, item.path.name)


def _variant(item: ItemSpec, values: Mapping[str, Any], **parts: Any) -> Variant:
    parts.setdefault("prompt", _prompt(item, values))
    shown = {k: v for k, v in values.items() if not k.startswith("_")}
    return Variant(item.id, item.topic, item.type, item.kind, params=shown, **parts)


def _attempt(item: ItemSpec, rng: random.Random) -> Variant:
    values: dict[str, Any] = {}
    for param in item.params:
        values[param.name] = _draw_param(param, rng, values)
    for name, code in item.lets:
        values[name] = evaluate(code, values)
    if item.check is not None and not evaluate(item.check, values):
        raise _Redraw
    if item.type in ("single", "multiple"):
        return _draw_choices(item, values, rng)
    if item.type == "truefalse":
        return _draw_truefalse(item, values, rng)
    if item.type == "numeric":
        return _draw_numeric(item, values)
    if item.type == "short":
        return _draw_short(item, values)
    return _draw_matching(item, values, rng)


def draw_variant(item: ItemSpec, seed: int, quiz: str, student: str) -> Variant:
    """The variant of ``item`` for ``student``; depends on (seed, quiz, student, item) only."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            return _attempt(item, variant_rng(seed, quiz, student, item.id, attempt))
        except _Redraw:
            continue
        except (ArithmeticError, ValueError, TypeError, NameError, IndexError) as error:
            raise BankError(f"{item.path.name}: formula failed: {error!r}; fix the item") from None
    raise DegenerateItemError(
        f"{item.path.name}: no valid variant in {MAX_ATTEMPTS} draws (distractors keep hitting "
        "the answer or `check` keeps failing); widen its parameter ranges"
    )


def choose_items(
    items: Sequence[ItemSpec],
    seed: int,
    quiz: str,
    per_topic: int | None = None,
    count: int | None = None,
) -> tuple[ItemSpec, ...]:
    """The items of a quiz: the same for every student; each item ranked by its own hash, so
    adding an item to the bank displaces at most one chosen item per topic.

    ``count`` items are dealt round-robin over the topics (in an order drawn from the seed), so
    that 12 items cover 12 topics rather than wherever the hashes happen to fall."""

    def rank(item: ItemSpec) -> int:
        return stable_hash(seed, quiz, "select", item.id)

    by_topic: dict[str, list[ItemSpec]] = {}
    for item in items:
        by_topic.setdefault(item.topic, []).append(item)
    ranked = {topic: sorted(group, key=rank) for topic, group in by_topic.items()}
    if count is not None:
        topics = sorted(ranked, key=lambda topic: stable_hash(seed, quiz, "topic", topic))
        deepest = max((len(group) for group in ranked.values()), default=0)
        dealt = [ranked[t][n] for n in range(deepest) for t in topics if n < len(ranked[t])]
        chosen = dealt[:count]
    elif per_topic is not None:
        chosen = [item for group in ranked.values() for item in group[:per_topic]]
    else:
        chosen = list(items)
    order = {item.id: n for n, item in enumerate(items)}
    return tuple(sorted(chosen, key=lambda item: order[item.id]))


def _draw_rows(
    shared: tuple[Sequence[ItemSpec], int, str], student_ids: Sequence[str]
) -> list[tuple[Variant, ...]]:
    """Each student's first draw of every item (one row per student)."""
    items, seed, name = shared
    return [tuple(draw_variant(item, seed, name, sid) for item in items) for sid in student_ids]


def build_quiz(
    items: Sequence[ItemSpec],
    seed: int,
    name: str,
    students: Sequence[tuple[str, Mapping[str, str]]],
    lang: str,
    distinct: bool = False,
) -> Quiz:
    """Draw every student's sheet. ``students`` are (student id, header fields).

    With ``distinct`` (anonymous variants), a variant identical to one of an *earlier* sheet is
    redrawn, so no two sheets share a question while the parameter space allows; earlier sheets
    never depend on later ones, so asking for more variants keeps the first ones.
    """
    # Each first draw depends on its student alone, so they run in parallel; the redraws of
    # ``distinct`` depend on earlier sheets and stay serial, below.
    ids = [student_id for student_id, _ in students]
    first = [row for chunk in fan_out(_draw_rows, (items, seed, name), ids) for row in chunk]
    seen: dict[str, set[tuple[Any, ...]]] = {item.id: set() for item in items}
    sheets = []
    for (student_id, header), row in zip(students, first, strict=True):
        variants = []
        for item, variant in zip(items, row, strict=True):
            for retry in range(1, DISTINCT_RETRIES + 1 if distinct else 1):
                if variant.fingerprint() not in seen[item.id]:
                    break
                variant = draw_variant(item, seed, name, f"{student_id}#{retry}")
            seen[item.id].add(variant.fingerprint())
            variants.append(variant)
        sheets.append(Sheet(student_id, dict(header), tuple(variants)))
    return Quiz(name, seed, lang, tuple(item.id for item in items), tuple(sheets))


def anonymous_students(count: int) -> list[tuple[str, dict[str, str]]]:
    """Stand-ins for a roster: variant ``V01`` … (zero-padded so that files sort)."""
    width = max(2, len(str(count)))
    return [(f"V{n:0{width}d}", {}) for n in range(1, count + 1)]
