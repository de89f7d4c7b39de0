"""``OUT/lms/``: the four files that take one assignment's grades and feedback back to the LMS.

Each is written to a temporary name and renamed, so that an upload never picks up a half-written
file. The feedback files are those ``grades.csv``'s pass has just written (``OUT/feedback/``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder.lms import canvas, moodle_files, moodle_worksheet, plain
from autograder.lms.standing import CourseView

FOLDER = "lms"


@dataclass(frozen=True)
class Written:
    folder: Path
    files: dict[str, str]
    moodle_rows: int
    moodle_feedback_files: int


def write_lms(out: Path, view: CourseView) -> Written:
    """Write ``OUT/lms/*`` from ``view``'s standings (its records must have been presented)."""
    folder = out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    standings, plan, now = view.standings, view.plan, view.now
    counts: dict[str, int] = {}

    def worksheet(path: Path) -> None:
        counts["rows"] = moodle_worksheet.write_worksheet(path, view.max_score, standings, now)

    def feedback_zip(path: Path) -> None:
        counts["files"] = moodle_files.write_feedback_zip(
            path, out / "feedback", plan.name, standings
        )

    writers: dict[str, Callable[[Path], None]] = {
        canvas.NAME: lambda path: canvas.write_canvas(
            path, plan.lms_name, view.max_score, standings
        ),
        moodle_worksheet.NAME: worksheet,
        moodle_files.NAME: feedback_zip,
        plain.NAME: lambda path: plain.write_plain(path, standings),
    }
    for name, write in writers.items():
        temporary = folder / f".{name}.tmp"
        write(temporary)
        os.replace(temporary, folder / name)
    return Written(
        folder,
        {name: str(folder / name) for name in writers},
        counts["rows"],
        counts["files"],
    )
