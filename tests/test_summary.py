"""The end-of-batch summary, built one result at a time, against a direct computation."""

from __future__ import annotations

import random

import pytest

from autograder.records.summary import Tally

ITEMS = ("SGD", "Adam")


def result(rng: random.Random, index: int) -> dict:
    tests = []
    for item in ITEMS:
        for case in ("a", "b"):
            passed = rng.random() < 0.7
            failure = None
            if not passed and rng.random() < 0.5:
                failure = {"mistake": {"id": f"{item}-m", "en": f"{item} mistake"}}
            tests.append({"item": item, "name": case, "passed": passed, "failure": failure})
    items = {
        item: {
            "score": sum(t["passed"] for t in tests if t["item"] == item),
            "max_score": 2 if item == "SGD" else 0,  # an item worth nothing still counts
        }
        for item in ITEMS
    }
    return {
        "student": f"s{index:03d}",
        "status": rng.choice(["graded", "graded", "timeout", "unreadable"]),
        "score": sum(i["score"] for i in items.values()),
        "max_score": rng.choice([4, 4, 0]),
        "items": items,
        "tests": tests,
        "seconds": rng.choice([0.5, 1.0, 1.0, 2.0, 3.0]),  # ties among the slowest
    }


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_tally_equals_a_direct_computation(seed):
    rng = random.Random(seed)
    results = [result(rng, i) for i in range(60)]
    tally = Tally()
    streamed = list(tally.counted(iter(results)))
    assert streamed == results, "results pass through unchanged"
    summary = tally.summary(new=7, skipped=3)

    percents = [r["score"] / r["max_score"] * 100 if r["max_score"] else 0.0 for r in results]
    assert summary["submissions"] == 60 and summary["graded_now"] == 7
    assert summary["skipped_unchanged"] == 3
    assert summary["mean_percent"] == round(sum(percents) / 60, 2)
    for b in range(10):
        expected = sum(1 for p in percents if min(int(p // 10), 9) == b)
        assert summary["histogram"][f"{b * 10}-{b * 10 + 10}%"] == expected
    for status in {r["status"] for r in results}:
        assert summary["status"][status] == sum(r["status"] == status for r in results)
    for item in ITEMS:
        shares = [
            r["items"][item]["score"] / r["items"][item]["max_score"]
            if r["items"][item]["max_score"]
            else 0
            for r in results
        ]
        assert summary["item_pass_rate"][item] == round(sum(shares) / 60, 3)
        for case in ("a", "b"):
            passed = [
                t["passed"]
                for r in results
                for t in r["tests"]
                if (t["item"], t["name"]) == (item, case)
            ]
            assert summary["test_pass_rate"][f"{item}::{case}"] == round(sum(passed) / 60, 3)
        students = sum(any(t["failure"] and t["item"] == item for t in r["tests"]) for r in results)
        assert summary["common_mistakes"].get(f"{item}: {item} mistake", 0) == students
    # The five slowest, ties in the gradebook's (student) order, as a stable sort gives them.
    slowest = sorted(results, key=lambda r: -r["seconds"])[:5]
    assert summary["slowest"] == [
        {"student": r["student"], "seconds": r["seconds"]} for r in slowest
    ]


def test_an_empty_tally_has_no_mean():
    summary = Tally().summary(0, 0)
    assert summary["submissions"] == 0 and summary["mean_percent"] is None
    assert summary["slowest"] == [] and sum(summary["histogram"].values()) == 0
