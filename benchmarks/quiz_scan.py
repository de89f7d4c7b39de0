"""Scanning made answer sheets of a 40-student quiz (issue 18's figure).

Builds a 40-student quiz with answer sheets (`optigrade quiz build --answer-sheets`), answers
every sheet with the simulated pen of quizzes.scan.simulate, scans it at 150, 200 and 300 dpi,
writes the pages as JPEG files, runs `optigrade quiz scan` and compares bubble by bubble:

- read right: a bubble reported as what is on it (filled, empty, crossed out);
- sent to review: a bubble reported doubtful (and so its question is on the review list);
- read wrong: a bubble reported filled, empty or crossed out that is something else (target 0).

Run: `.venv/bin/python benchmarks/quiz_scan.py` (about a minute). `--pen stress` marks many
more answers crossed out or unclear than a class does.
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2

from quizzes.scan.simulate import Pen, make_scans
from quizzes.sheets.layout import read_layout

PENS = {"class": Pen(), "stress": Pen(crossed=0.15, unclear=0.15, strays=6)}


def optigrade(*args: str) -> str:
    exe = Path(sys.executable).with_name("optigrade")
    result = subprocess.run([str(exe), *args], capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(result.stderr)
    return result.stdout


def bench(build: Path, folder: Path, dpi: int, pen: Pen, seed: int) -> dict[str, float]:
    layout = read_layout((build / "answer_sheets" / "layout.json").read_text("utf-8"))
    scans, truth = make_scans(build / "answer_sheets" / "answer_sheets.pdf", layout, seed, dpi, pen)
    pages = folder / f"scans-{dpi}"
    pages.mkdir()
    for k, img in enumerate(scans):
        cv2.imwrite(str(pages / f"page-{k:03d}.jpg"), img, [cv2.IMWRITE_JPEG_QUALITY, 85])
    out = folder / f"out-{dpi}"
    started = time.perf_counter()
    summary = json.loads(optigrade("quiz", "scan", "--build", str(build), "--out", str(out),
                                   "--json", str(pages)))  # fmt: skip
    wall = time.perf_counter() - started
    with (out / "responses.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    right = review = wrong = 0
    for row in rows:
        for mark in row["marks"].split():
            choice, rest = mark.split("=")
            state = rest.split(":")[0]
            actual = truth.marks.get((row["student_id"], int(row["question"]), choice), "empty")
            if state == "doubtful":
                review += 1
            elif state == actual:
                right += 1
            else:
                wrong += 1
                print(f"  read wrong: {row['student_id']} q{row['question']} {choice}: "
                      f"{state}, is {actual}")  # fmt: skip
    questions = [r for r in rows if r["marks"]]
    return {
        "dpi": dpi,
        "pages": summary["pages"],
        "marks": right + review + wrong,
        "right": right,
        "review": review,
        "wrong": wrong,
        "unclear_made": sum(1 for v in truth.marks.values() if v == "unclear"),
        "crossed_made": sum(1 for v in truth.marks.values() if v == "crossed"),
        "questions_to_review": sum(1 for r in questions if r["review"] == "yes"),
        "questions": len(questions),
        "seconds_per_page": summary["seconds"],
        "wall_seconds_per_page": wall / max(summary["pages"], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=40)
    parser.add_argument("--pen", choices=sorted(PENS), default="class")
    parser.add_argument("--dpi", default="150,200,300")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="quiz-scan-bench-") as tmp:
        folder = Path(tmp)
        roster = folder / "roster.csv"
        roster.write_text(
            "student_id\n" + "".join(f"2026{n:04d}\n" for n in range(args.students)), "utf-8"
        )
        build = folder / "build"
        optigrade("quiz", "build", "--seed", "18", "--roster", str(roster), "--items", "24",
                  "--format", "md", "--answer-sheets", "--out", str(build))  # fmt: skip
        print(f"{args.students} students, 24 items, pen: {args.pen}")
        print("dpi  pages  marks  right  review  wrong  (made: crossed unclear)  "
              "questions to review  s/page (scan)  s/page (wall)")  # fmt: skip
        for k, dpi in enumerate(int(d) for d in args.dpi.split(",")):
            r = bench(build, folder, dpi, PENS[args.pen], seed=100 + k)
            print(f"{r['dpi']:>3}  {r['pages']:>5}  {r['marks']:>5}  {r['right']:>5}  "
                  f"{r['review']:>6}  {r['wrong']:>5}  ({r['crossed_made']:>5} "
                  f"{r['unclear_made']:>7})  {r['questions_to_review']:>9} of "
                  f"{r['questions']:<5}  "
                  f"{r['seconds_per_page']:>13.3f}  "
                  f"{r['wall_seconds_per_page']:>13.3f}")  # fmt: skip


if __name__ == "__main__":
    main()
