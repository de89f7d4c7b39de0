"""Exports of the gradebook: grades.csv, Gradescope results.json per student, feedback files.

These are regenerated from the gradebook (``optigrade report``), never the only copy.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Container, Iterable
from pathlib import Path
from typing import Any

import solutions
from autograder.feedback import render_html, render_markdown

CSV_COLUMNS = ("student", "status", "score", "max_score")
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def safe_name(student: str) -> str:
    """A file name for a student id that came from an uploaded file name."""
    name = _UNSAFE.sub("_", student).strip("._") or "student"
    return name[:120]


def gradescope_json(result: dict[str, Any]) -> dict[str, Any]:
    """Gradescope's ``results.json``: score, and one entry per test, visible to the student."""
    tests = []
    for test in result["tests"]:
        failure = test.get("failure") or {}
        case = failure.get("case", {})
        output = (
            ""
            if test["passed"]
            else (case.get("en", "") + (f" — {failure.get('kind')}" if failure else ""))
        )
        tests.append(
            {
                "name": f"{test['item']}: {test['name']}",
                "score": test["score"],
                "max_score": test["max_score"],
                "status": "passed" if test["passed"] else "failed",
                "output": output,
                "visibility": "visible",
            }
        )
    payload: dict[str, Any] = {"score": result["score"], "tests": tests, "visibility": "visible"}
    if result["status"] != "graded":
        payload["output"] = f"{result['status']}: {result.get('reason', '')}"
    return payload


def make_folders(out: Path) -> None:
    """Create ``results/`` and ``feedback/`` in ``out``, where :func:`write_student` writes."""
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(parents=True, exist_ok=True)


def write_student(result: dict[str, Any], out: Path, lang: str) -> None:
    """Write one student's results/<name>.json and feedback/<name>.{md,html} into the
    folders :func:`make_folders` made."""
    name = safe_name(result["student"])
    # Compact: an indented dump goes through json's pure-Python encoder, about 4 ms a student
    # in the main process (`jq .` or any JSON viewer indents it for a human).
    (out / "results" / f"{name}.json").write_text(
        json.dumps(gradescope_json(result), ensure_ascii=False), encoding="utf-8"
    )
    (out / "feedback" / f"{name}.md").write_text(render_markdown(result, lang), encoding="utf-8")
    (out / "feedback" / f"{name}.html").write_text(render_html(result, lang), encoding="utf-8")


def write_all(
    results: Iterable[dict[str, Any]],
    assignment: str,
    out: Path,
    lang: str,
    written: Container[str] = (),
) -> int:
    """Write grades.csv, results/*.json and feedback/*.{md,html}; return the number of students.

    Students in ``written`` already have their files (``grade`` writes them as each result
    arrives, while the workers go on) and are only added to the CSV.
    """
    items = solutions.ASSIGNMENTS[assignment]
    make_folders(out)
    count = 0
    temporary = out / "grades.csv.tmp"
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CSV_COLUMNS, *items])
        for result in results:
            count += 1
            writer.writerow(
                [
                    result["student"],
                    result["status"],
                    f"{result['score']:g}",
                    f"{result['max_score']:g}",
                    *(f"{result['items'].get(i, {}).get('score', 0):g}" for i in items),
                ]
            )
            if result["student"] not in written:
                write_student(result, out, lang)
    temporary.replace(out / "grades.csv")  # readers never see a half-written CSV
    return count
