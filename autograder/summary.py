"""The end-of-batch summary: score histogram, pass rates, slowest submissions, common mistakes."""

from __future__ import annotations

from collections import Counter
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table


def summarize(results: list[dict[str, Any]], new: int, skipped: int) -> dict[str, Any]:
    scores = [r["score"] / r["max_score"] * 100 if r["max_score"] else 0.0 for r in results]
    bins = Counter(min(int(s // 10), 9) for s in scores)
    tests: dict[str, list[int]] = {}
    items: dict[str, list[float]] = {}
    mistakes: Counter[str] = Counter()
    for result in results:
        seen: set[str] = set()  # a mistake counts once per student, however many tests show it
        for name, item in result["items"].items():
            items.setdefault(name, []).append(
                item["score"] / item["max_score"] if item["max_score"] else 0
            )
        for test in result["tests"]:
            tests.setdefault(f"{test['item']}::{test['name']}", []).append(int(test["passed"]))
            mistake = (test.get("failure") or {}).get("mistake")
            if mistake:
                seen.add(f"{test['item']}: {mistake.get('en', mistake.get('id'))}")
        mistakes.update(seen)
    return {
        "submissions": len(results),
        "graded_now": new,
        "skipped_unchanged": skipped,
        "status": dict(Counter(r["status"] for r in results)),
        "mean_percent": round(sum(scores) / len(scores), 2) if scores else None,
        "histogram": {f"{b * 10}-{b * 10 + 10}%": bins.get(b, 0) for b in range(10)},
        "item_pass_rate": {k: round(sum(v) / len(v), 3) for k, v in items.items()},
        "test_pass_rate": {k: round(sum(v) / len(v), 3) for k, v in tests.items()},
        "slowest": [
            {"student": r["student"], "seconds": r.get("seconds", 0.0)}
            for r in sorted(results, key=lambda r: -r.get("seconds", 0.0))[:5]
        ],
        "common_mistakes": dict(mistakes.most_common(8)),
    }


def print_summary(summary: dict[str, Any], console: Console) -> None:
    console.print(
        f"[bold]{summary['submissions']}[/] submissions: {summary['graded_now']} graded now, "
        f"{summary['skipped_unchanged']} unchanged since the last run. Status: "
        + ", ".join(f"{k} {v}" for k, v in summary["status"].items())
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
        rates.add_row(item, f"{rate:.0%}")
    console.print(rates)
    worst = sorted(summary["test_pass_rate"].items(), key=lambda kv: kv[1])[:8]
    if worst:
        tests = Table(title="Hardest tests", show_edge=False)
        tests.add_column("test")
        tests.add_column("passed", justify="right")
        for name, rate in worst:
            tests.add_row(escape(name), f"{rate:.0%}")  # [param] ids are not rich markup
        console.print(tests)
    if summary["common_mistakes"]:
        mistakes = Table(title="Most frequent diagnosed mistakes", show_edge=False)
        mistakes.add_column("mistake")
        mistakes.add_column("students", justify="right")
        for name, count in summary["common_mistakes"].items():
            mistakes.add_row(escape(name), str(count))
        console.print(mistakes)
    slow = ", ".join(f"{s['student']} ({s['seconds']:.2f} s)" for s in summary["slowest"])
    console.print(f"Slowest: {slow}")
