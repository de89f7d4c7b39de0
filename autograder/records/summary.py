"""The end-of-batch summary: score histogram, pass rates, slowest submissions, common mistakes."""

from __future__ import annotations

import heapq
from collections import Counter
from collections.abc import Iterable, Iterator
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from autograder.escaping import visible


class Tally:
    """The summary of a batch, built one result at a time.

    Nothing per student is kept (but the five slowest), so that summarising a class of any
    size takes the same memory: the gradebook is streamed through it.
    """

    SLOWEST = 5

    def __init__(self) -> None:
        self.count = 0
        self.percent_total = 0.0
        self.bins: Counter[int] = Counter()
        self.status: Counter[str] = Counter()
        self.items: dict[str, list[float]] = {}  # item -> [sum of score shares, count]
        self.tests: dict[str, list[int]] = {}  # test -> [passed, count]
        self.mistakes: Counter[str] = Counter()
        self._slowest: list[tuple[float, int, str]] = []  # a min-heap of the slowest

    def add(self, result: dict[str, Any]) -> None:
        self.count += 1
        percent = result["score"] / result["max_score"] * 100 if result["max_score"] else 0.0
        self.percent_total += percent
        self.bins[min(int(percent // 10), 9)] += 1
        self.status[result["status"]] += 1
        for name, item in result["items"].items():
            share = item["score"] / item["max_score"] if item["max_score"] else 0
            totals = self.items.setdefault(name, [0.0, 0])
            totals[0] += share
            totals[1] += 1
        seen: set[str] = set()  # a mistake counts once per student, however many tests show it
        for test in result["tests"]:
            counts = self.tests.setdefault(f"{test['item']}::{test['name']}", [0, 0])
            counts[0] += int(test["passed"])
            counts[1] += 1
            mistake = (test.get("failure") or {}).get("mistake")
            if mistake:
                seen.add(f"{test['item']}: {mistake.get('en', mistake.get('id'))}")
        self.mistakes.update(seen)
        # Ties keep the earlier student (the count breaks them), as a stable sort would.
        entry = (result.get("seconds", 0.0), -self.count, result["student"])
        if len(self._slowest) < self.SLOWEST:
            heapq.heappush(self._slowest, entry)
        else:
            heapq.heappushpop(self._slowest, entry)

    def summary(self, new: int, skipped: int) -> dict[str, Any]:
        return {
            "submissions": self.count,
            "graded_now": new,
            "skipped_unchanged": skipped,
            "status": dict(self.status),
            "mean_percent": round(self.percent_total / self.count, 2) if self.count else None,
            "histogram": {f"{b * 10}-{b * 10 + 10}%": self.bins.get(b, 0) for b in range(10)},
            "item_pass_rate": {k: round(v[0] / v[1], 3) for k, v in self.items.items()},
            "test_pass_rate": {k: round(v[0] / v[1], 3) for k, v in self.tests.items()},
            "slowest": [
                {"student": student, "seconds": seconds}
                for seconds, _order, student in sorted(self._slowest, reverse=True)
            ],
            "common_mistakes": dict(self.mistakes.most_common(8)),
        }

    def counted(self, results: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``results`` passed through, each one added on the way."""
        for result in results:
            self.add(result)
            yield result


def print_summary(summary: dict[str, Any], console: Console) -> None:
    """The summary as tables on ``console``.

    Every name in it (students, tests, mistakes, statuses) is printed as plain text: control
    characters shown as escapes and no rich markup read (``[bold]`` in a file name prints as
    it is), since student ids come from file names.
    """
    console.print(
        Text.assemble(
            (str(summary["submissions"]), "bold"),
            f" submissions: {summary['graded_now']} graded now, "
            f"{summary['skipped_unchanged']} unchanged since the last run. Status: ",
            visible(", ".join(f"{k} {v}" for k, v in summary["status"].items())),
        )
    )
    histogram = Table(title="Score histogram", show_edge=False)
    histogram.add_column("score")
    histogram.add_column("n", justify="right")
    histogram.add_column("")
    peak = max(summary["histogram"].values(), default=1) or 1
    for label, count in summary["histogram"].items():
        histogram.add_row(label, str(count), "█" * round(30 * count / peak))
    console.print(histogram)
    rates = Table(title="Pass rate per item", show_edge=False)
    rates.add_column("item")
    rates.add_column("mean score", justify="right")
    for item, rate in summary["item_pass_rate"].items():
        rates.add_row(_plain(item), f"{rate:.0%}")
    console.print(rates)
    worst = sorted(summary["test_pass_rate"].items(), key=lambda kv: kv[1])[:8]
    if worst:
        tests = Table(title="Hardest tests", show_edge=False)
        tests.add_column("test")
        tests.add_column("passed", justify="right")
        for name, rate in worst:
            tests.add_row(_plain(name), f"{rate:.0%}")  # [param] ids are not rich markup
        console.print(tests)
    if summary["common_mistakes"]:
        mistakes = Table(title="Most frequent diagnosed mistakes", show_edge=False)
        mistakes.add_column("mistake")
        mistakes.add_column("students", justify="right")
        for name, count in summary["common_mistakes"].items():
            mistakes.add_row(_plain(name), str(count))
        console.print(mistakes)
    slow = ", ".join(f"{visible(s['student'])} ({s['seconds']:.2f} s)" for s in summary["slowest"])
    console.print(_plain(f"Slowest: {slow}"))


def _plain(text: str) -> Text:
    """Text that rich prints as it is: no markup, no emoji codes, no controls."""
    return Text(visible(text))
