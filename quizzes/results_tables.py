"""``scores.csv`` (per student: points per item and the total) and ``item_analysis.csv``
(per item: facility, discrimination, misconception counts, flags), spreadsheet-safe."""

from __future__ import annotations

import csv
from pathlib import Path

from autograder.escaping import csv_cell
from quizzes.analysis import ItemStats, Results

SCORES_FILE = "scores.csv"
ITEMS_FILE = "item_analysis.csv"


def _number(value: float | None, digits: int = 3) -> str:
    return "" if value is None else f"{value:.{digits}f}".rstrip("0").rstrip(".") or "0"


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return cell.strip() == cell and cell.lower() not in ("nan", "inf", "-inf", "infinity")


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([csv_cell(h) for h in header])
        # Our own numbers stay numbers ("-0.2"); every other cell is made spreadsheet-safe.
        writer.writerows(
            [[cell if _is_number(cell) else csv_cell(cell) for cell in row] for row in rows]
        )
    return path


def write_scores(results: Results, out: Path) -> Path:
    items = list(results.key.items)
    header = ["student_id", "name", *items, "total", "max", "pending_review"]
    rows = [
        [
            student,
            results.names.get(student, ""),
            *(_number(results.points.get((student, item), 0.0)) for item in items),
            _number(results.total(student)),
            str(len(items)),
            str(results.pending.get(student, 0)),
        ]
        for student in results.students
    ]
    return _write(out / SCORES_FILE, header, rows)


def item_figures(s: ItemStats) -> list[str]:
    """Item, type, answered, facility, point-biserial, upper-lower: as the CSV and the report
    show them."""
    return [
        s.item,
        s.type,
        str(s.answered),
        _number(s.facility),
        _number(s.point_biserial),
        _number(s.upper_lower),
    ]


def write_items(results: Results, out: Path) -> Path:
    header = [
        "item", "type", "answered", "facility", "point_biserial", "upper_lower",
        "misconceptions", "flags",
    ]  # fmt: skip
    rows = [
        [
            *item_figures(s),
            "; ".join(f"{tag}={count}" for tag, count in s.misconceptions.items()),
            "; ".join(s.flags),
        ]
        for s in results.items
    ]
    return _write(out / ITEMS_FILE, header, rows)
