"""Exports of the gradebook: grades.csv, Gradescope results.json per student, feedback files.

These are regenerated from the gradebook (``optigrade report``), never the only copy. Every
field a student controls is escaped for where it lands (``autograder.escaping``): the CSV's
cells cannot be formulas and hold one line each, the JSON is valid UTF-8, the feedback is
inert Markdown and HTML.
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections.abc import Container, Iterable, Sequence
from pathlib import Path
from typing import Any

import solutions
from autograder import messages as m
from autograder.escaping import csv_cell, json_text
from autograder.feedback import item_verdicts, render_html, render_markdown
from autograder.scoring import shown

CSV_COLUMNS = ("student", "status", "score", "max_score")
_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)
#: Ids kept as they are as file names: lower-case ASCII letters, digits, Hangul syllables,
#: ``_ . -``, not hidden nor option-like (a leading ``.`` or ``-``). Lower case only, so that
#: no two kept names are the same file on a case-insensitive file system (a TA's Mac).
_KEPT = re.compile(r"[0-9a-z_\uac00-\ud7a3][0-9a-z_.\-\uac00-\ud7a3]*")
#: Names Windows refuses as files, whatever their extension.
_RESERVED = frozenset(
    ["con", "prn", "aux", "nul", *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))]
)
_KEPT_BYTES = 120  # with ``.html`` and a folder's prefix, far under any file system's limit
_BASE_BYTES = 96


def safe_name(student: str) -> str:
    """The file name (without extension) of a student id that came from an uploaded file name.

    Injective: two different ids never share a name. An id that is already a plain, short,
    lower-case name is kept as it is; any other is shown in a cleaned form followed by ``+``
    and 16 hex digits of its SHA-256 (``+`` never occurs in a kept name, so a hashed name
    cannot equal a kept one). ``optigrade report`` computes the same names again.
    """
    if (
        _KEPT.fullmatch(student)
        and len(student.encode()) <= _KEPT_BYTES
        and not student.endswith(".")
        and student.split(".", 1)[0] not in _RESERVED
    ):
        return student
    digest = hashlib.sha256(student.encode("utf-8", "surrogatepass")).hexdigest()[:16]
    base = _UNSAFE.sub("_", student).strip("._-")
    base = base.encode("utf-8", "ignore")[:_BASE_BYTES].decode("utf-8", "ignore") or "student"
    return f"{base}+{digest}"


def gradescope_json(result: dict[str, Any], lang: str) -> dict[str, Any]:
    """Gradescope's ``results.json``: the score, and one entry per item with the verdict the
    feedback page gives for it, in ``lang`` (Markdown, escaped as in the feedback)."""
    verdicts = item_verdicts(result, lang)
    tests = [
        {
            "name": item,
            "score": score["score"],
            "max_score": score["max_score"],
            "status": "passed" if score["score"] == score["max_score"] else "failed",
            "output": verdicts.get(item, ""),
            "visibility": "visible",
        }
        for item, score in result["items"].items()
    ]
    payload: dict[str, Any] = {
        "score": result["score"],
        "tests": tests,
        "visibility": "visible",
        "test_output_format": "md",
    }
    if result["status"] != "graded":
        status = m.STATUS.get(result["status"])
        shown_status = status.render(lang) if status else result["status"]
        payload["output"] = f"{shown_status}: {result.get('reason') or ''}"
    return payload


def make_folders(out: Path) -> None:
    """Create ``results/`` and ``feedback/`` in ``out``, where :func:`write_student` writes."""
    (out / "results").mkdir(parents=True, exist_ok=True)
    (out / "feedback").mkdir(parents=True, exist_ok=True)


def write_student(result: dict[str, Any], out: Path, lang: str) -> None:
    """Write one student's results/<name>.json and feedback/<name>.{md,html} into the
    folders :func:`make_folders` made, in the student's own language if the roster gives one
    (``result["lang"]``), else in ``lang``."""
    lang = result.get("lang") or lang
    name = safe_name(result["student"])
    # Compact: an indented dump goes through json's pure-Python encoder, about 4 ms a student
    # in the main process (`jq .` or any JSON viewer indents it for a human).
    (out / "results" / f"{name}.json").write_text(
        json_text(gradescope_json(result, lang)), encoding="utf-8"
    )
    (out / "feedback" / f"{name}.md").write_text(render_markdown(result, lang), encoding="utf-8")
    (out / "feedback" / f"{name}.html").write_text(render_html(result, lang), encoding="utf-8")


def write_all(
    results: Iterable[dict[str, Any]],
    assignment: str,
    out: Path,
    lang: str,
    written: Container[str] = (),
    extra_columns: Sequence[str] = (),
) -> int:
    """Write grades.csv, results/*.json and feedback/*.{md,html}; return the number of students.

    Students in ``written`` already have their files (``grade`` writes them as each result
    arrives, while the workers go on) and are only added to the CSV, as are roster students
    without a submission (status ``missing``). ``extra_columns`` follow the items, each
    taken from ``result["columns"]`` (a course file's name, raw score, late penalty…).
    """
    items = solutions.ASSIGNMENTS[assignment]
    make_folders(out)
    count = 0
    temporary = out / "grades.csv.tmp"
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow([*CSV_COLUMNS, *items, *extra_columns])
        for result in results:
            count += 1
            writer.writerow(
                [
                    csv_cell(result["student"]),
                    csv_cell(result["status"]),
                    shown(result["score"]),
                    shown(result["max_score"]),
                    *(shown(result["items"].get(i, {}).get("score", 0)) for i in items),
                    *(csv_cell(result.get("columns", {}).get(c, "")) for c in extra_columns),
                ]
            )
            if result["student"] not in written and result["status"] != "missing":
                write_student(result, out, lang)
    temporary.replace(out / "grades.csv")  # readers never see a half-written CSV
    return count
