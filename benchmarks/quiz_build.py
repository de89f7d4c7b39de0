"""Quiz build speed: 1,000 personalised sheets with keys in Markdown + HTML + Moodle XML.

Run: `make bench-quiz` (or `.venv/bin/python benchmarks/quiz_build.py`). Target: < 10 s on 2 cores.
Drawing and the per-sheet files use every core (`quizzes.parallel`); the CPU time (this process
and its workers) is printed too, because on a shared machine the wall time depends on the load.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from quizzes.draw import build_quiz, choose_items
from quizzes.items import load_bank
from quizzes.render import html, markdown, moodle

STUDENTS = 1000


def cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


if __name__ == "__main__":
    started, cpu_started = time.perf_counter(), cpu_seconds()
    items = choose_items(load_bank(), seed=1, quiz="bench", per_topic=1)
    students = [(f"2026{n:05d}", {"name": f"student {n}"}) for n in range(STUDENTS)]
    quiz = build_quiz(items, 1, "bench", students, "ko")
    drawn = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        files = sum(len(w.write(quiz, Path(tmp))) for w in (markdown, html, moodle))
    ended = time.perf_counter()
    print(
        f"{STUDENTS} sheets × {len(items)} items: draw {drawn - started:.2f} s, "
        f"render md+html+moodle {ended - drawn:.2f} s, total {ended - started:.2f} s "
        f"({files} files; target < 10 s; {len(os.sched_getaffinity(0))} cores, "
        f"CPU {cpu_seconds() - cpu_started:.2f} s)"
    )
