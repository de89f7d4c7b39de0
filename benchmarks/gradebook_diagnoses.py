"""Per student and item: score, and the mistake the grader named (or why none), from a gradebook.

Used by the diagnosis-precision and mutation benchmarks, which grade through ``optigrade grade``
and read back what it decided::

    python benchmarks/gradebook_diagnoses.py OUT/gradebook.sqlite
"""

from __future__ import annotations

import json
import sqlite3
import sys
from pathlib import Path
from typing import Any


def diagnoses(gradebook: Path) -> dict[str, dict[str, dict[str, Any]]]:
    """``{student: {item: {"score", "max", "named", "failures"}}}`` of the latest results."""
    found: dict[str, dict[str, dict[str, Any]]] = {}
    with sqlite3.connect(gradebook) as db:
        for student, result in db.execute("SELECT student, result FROM results"):
            record = json.loads(result)
            items = found.setdefault(student.split("+")[0], {})
            for item, summary in record.get("items", {}).items():
                items[item] = {
                    "score": summary.get("score"),
                    "max": summary.get("max_score"),
                    "named": set(),
                    "failures": [],
                }
            for test in record.get("tests", []):
                failure = test.get("failure")
                if test.get("passed") or not failure or test["item"] not in items:
                    continue
                entry = items[test["item"]]
                mistake = failure.get("mistake")
                if mistake:
                    entry["named"].add(mistake.get("id", "?"))
                entry["failures"].append(failure.get("kind", "?"))
            if not record.get("items"):
                items["(submission)"] = {"status": record.get("status"), "named": set()}
    return found


def main() -> None:
    for student, items in sorted(diagnoses(Path(sys.argv[1])).items()):
        for item, entry in items.items():
            named = ", ".join(sorted(entry["named"])) or "-"
            print(f"{student}\t{item}\t{entry.get('score')}/{entry.get('max')}\t{named}")


if __name__ == "__main__":
    main()
