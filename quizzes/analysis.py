"""Scores and classical item analysis of one quiz's responses.

Per item: facility (mean points), discrimination as the corrected point-biserial (the item
against the total without it) and the upper–lower index (top 27 % minus bottom 27 %), how
often each misconception was chosen, and flags for items that misbehave.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from quizzes.answer_key import AnswerKey
from quizzes.responses import Responses
from quizzes.scoring import Scored, score

GROUP_SHARE = 0.27  # Kelley's upper and lower groups
NEGATIVE, UNUSED, KEY_REJECTED = "negative-discrimination", "unused-distractor", "key-rejected"


@dataclass(frozen=True)
class ItemStats:
    item: str
    type: str
    answered: int
    facility: float
    point_biserial: float | None
    upper_lower: float | None
    misconceptions: dict[str, int]  # every tag offered to this class -> times chosen
    flags: tuple[str, ...]


@dataclass
class Results:
    key: AnswerKey
    students: list[str]
    names: dict[str, str]
    points: dict[tuple[str, str], float]  # (student, item) -> points
    scored: dict[tuple[str, str], Scored]
    pending: dict[str, int]  # student -> answers still on the review list
    problems: list[str] = field(default_factory=list)
    items: list[ItemStats] = field(default_factory=list)

    def total(self, student: str) -> float:
        return sum(self.points.get((student, item), 0.0) for item in self.key.items)

    def misconception_counts(self) -> Counter[str]:
        counts: Counter[str] = Counter()
        for scored in self.scored.values():
            counts.update(scored.misconceptions)
        return counts


def _offered(key: AnswerKey, variant_names: set[str]) -> dict[str, set[str]]:
    """Per item, the misconceptions its variants that this class saw can show."""
    offered: dict[str, set[str]] = {}
    for name in variant_names:
        q = key.questions[name]
        tags = {c.misconception for c in q.choices if c.misconception}
        tags |= {tag for _value, tag in q.distractors if tag}
        if q.false_misconception and q.truth is False:
            tags.add(q.false_misconception)
        offered.setdefault(q.item, set()).update(tags)
    return offered


def _correlation(x: np.ndarray, y: np.ndarray) -> float | None:
    if len(x) < 3 or x.std() == 0 or y.std() == 0:
        return None
    return float(np.corrcoef(x, y)[0, 1])


def item_stats(results: Results, seen: set[str]) -> list[ItemStats]:
    students = results.students
    if not students:
        return []
    matrix = np.array(
        [[results.points.get((s, item), 0.0) for item in results.key.items] for s in students]
    )
    totals = matrix.sum(axis=1)
    order = np.argsort(totals, kind="stable")
    size = max(1, round(GROUP_SHARE * len(students)))
    lower, upper = order[:size], order[-size:]
    offered = _offered(results.key, seen)
    stats = []
    for k, item in enumerate(results.key.items):
        column = matrix[:, k]
        answered = sum(
            1
            for s in students
            if (s, item) in results.scored and results.scored[(s, item)].answered
        )
        chosen: Counter[str] = Counter()
        for s in students:
            if (s, item) in results.scored:
                chosen.update(results.scored[(s, item)].misconceptions)
        tags = {tag: chosen.get(tag, 0) for tag in sorted(offered.get(item, set()) | set(chosen))}
        rpb = _correlation(column, totals - column)
        ul = float(column[upper].mean() - column[lower].mean()) if len(students) >= 4 else None
        item_type = next((q.type for q in results.key.questions.values() if q.item == item), "")
        flags = []
        if not answered:
            pass
        elif (rpb is not None and rpb < 0) or (ul is not None and ul < 0):
            flags.append(NEGATIVE)
        if answered and any(count == 0 for count in tags.values()):
            flags.append(UNUSED)
        if answered and len(students) >= 4 and float((column[upper] >= 1.0).mean()) < 0.5:
            flags.append(KEY_REJECTED)
        stats.append(
            ItemStats(item, item_type, answered, float(column.mean()), rpb, ul, tags, tuple(flags))
        )
    return stats


def analyse(key: AnswerKey, responses: Responses) -> Results:
    results = Results(
        key=key,
        students=list(responses.students),
        names=dict(responses.students),
        points={},
        scored={},
        pending={},
        problems=list(responses.problems),
    )
    seen: set[str] = set()
    if responses.source == "scan":
        # A paper sheet shows every question of the student's sheet, answered or not.
        seen = {name for s in results.students for name in key.sheets.get(s, ())}
        results.problems += [
            f"{student}: no scanned answers (sheet not scanned, or its pages unreadable)"
            for student in key.sheets
            if student not in responses.students
        ]
    for row in responses.rows:
        question = key.questions[row.question]
        seen.add(row.question)
        result = score(question, row.response)
        if result.problem:
            results.problems.append(
                f"{row.student}, {question.name}: {result.problem} (“{row.response[:40]}”)"
            )
        cell = (row.student, question.item)
        if cell in results.scored and results.scored[cell].answered and not result.answered:
            continue  # Canvas: another variant of the item, not received by this student
        results.scored[cell] = result
        results.points[cell] = result.points
        if row.pending:
            results.pending[row.student] = results.pending.get(row.student, 0) + 1
    results.items = item_stats(results, seen)
    return results
