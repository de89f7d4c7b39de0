"""Scanning made answer sheets of a 40-student quiz (issue 18's figure).

Builds a 40-student quiz with answer sheets (`optigrade quiz build --answer-sheets`), answers
every sheet with the simulated pen of quizzes.scan.simulate, scans it at 150, 200 and 300 dpi,
writes the pages as JPEG files, runs `optigrade quiz scan` and compares bubble by bubble:

- read right: a bubble reported as what is on it (filled, empty, crossed out);
- sent to review: a bubble reported doubtful (and so its question is on the review list);
- read wrong: a bubble reported filled, empty or crossed out that is something else (target 0).

For comparison, the same aligned bubbles are also decided by a single-threshold rule like
auto-multiple-choice's on separate answer sheets (as its manual describes it, not its code):
a bubble is ticked when more than half of its central 80 % is black after a 0.6 black/white
threshold. It has no doubtful band, so every unclear mark is decided without review, and it
knows no crossing out (AMC's users erase), so a crossed-out fill reads as ticked.

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
import numpy as np

from quizzes.scan.align import align
from quizzes.scan.simulate import Pen, Truth, make_scans
from quizzes.sheets.layout import Layout, read_layout

PENS = {"class": Pen(), "stress": Pen(crossed=0.15, unclear=0.15, strays=6)}


def optigrade(*args: str) -> str:
    exe = Path(sys.executable).with_name("optigrade")
    result = subprocess.run([str(exe), *args], capture_output=True, text=True, check=False)
    if result.returncode:
        sys.exit(result.stderr)
    return result.stdout


AMC_BLACK = 0.6  # --bw-threshold: grey below 60 % of white is black
AMC_PROP = 0.8  # --prop: the measured share of the box
AMC_TICKED = 0.5  # --seuil on separate answer sheets (boxes filled, letters inside)


def single_threshold(scans: list[np.ndarray], layout: Layout, truth: Truth) -> dict[str, int]:
    """The single-threshold rule on the same scans, aligned by our markers."""
    counts = {"right": 0, "wrong": 0, "crossed_as_ticked": 0, "unclear_decided": 0}
    pages = [(sheet, page) for sheet in layout.sheets for page in sheet.pages]
    for img, (sheet, page) in zip(scans, pages, strict=True):
        aligned = align(img, layout)
        if isinstance(aligned, str):
            continue
        black = aligned.darkness > 1 - AMC_BLACK
        for q in page.questions:
            for b in q.bubbles:
                x, y = aligned.to_pixels(b.x, b.y)
                r = b.r * aligned.scale * AMC_PROP**0.5
                y0, y1, x0, x1 = int(y - r), int(y + r) + 1, int(x - r), int(x + r) + 1
                ys, xs = np.mgrid[y0:y1, x0:x1]
                disc = np.hypot(xs - x, ys - y) <= r
                ticked = black[y0:y1, x0:x1][disc].mean() > AMC_TICKED
                actual = truth.marks.get((sheet.student_id, q.n, b.choice), "empty")
                if actual == "unclear":
                    counts["unclear_decided"] += 1
                elif actual == "crossed":
                    counts["crossed_as_ticked" if ticked else "right"] += 1
                else:
                    counts["right" if ticked == (actual == "filled") else "wrong"] += 1
    return counts


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
    amc = single_threshold(scans, layout, truth)
    return {
        "amc": amc,
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
        rules = []
        for k, dpi in enumerate(int(d) for d in args.dpi.split(",")):
            r = bench(build, folder, dpi, PENS[args.pen], seed=100 + k)
            print(f"{r['dpi']:>3}  {r['pages']:>5}  {r['marks']:>5}  {r['right']:>5}  "
                  f"{r['review']:>6}  {r['wrong']:>5}  ({r['crossed_made']:>5} "
                  f"{r['unclear_made']:>7})  {r['questions_to_review']:>9} of "
                  f"{r['questions']:<5}  "
                  f"{r['seconds_per_page']:>13.3f}  "
                  f"{r['wall_seconds_per_page']:>13.3f}")  # fmt: skip
            rules.append((dpi, r["amc"]))
        print("\nsingle-threshold rule (AMC-like) on the same aligned scans:")
        print("dpi  right  wrong  crossed read as ticked  unclear decided without review")
        for dpi, a in rules:
            print(f"{dpi:>3}  {a['right']:>5}  {a['wrong']:>5}  {a['crossed_as_ticked']:>22}  "
                  f"{a['unclear_decided']:>30}")  # fmt: skip


if __name__ == "__main__":
    main()
