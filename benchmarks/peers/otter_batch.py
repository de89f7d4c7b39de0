"""``otter run`` over a folder of submissions, ``--jobs`` at a time, each with a time limit.

``otter run`` grades one notebook per call and has no batch mode outside Docker, so a TA runs
it in a loop; this is that loop, with as many calls at once as the machine has cores (as our
grader uses). ``otter run`` has no execution timeout of its own: a submission that does not
finish within ``--limit`` seconds is killed with its kernel and gets no result (whole
submission lost). Run by the benchmark as one process, so its whole tree is measured.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks.peers.measure import run_measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--otter", type=Path, required=True, help="the otter executable")
    parser.add_argument("--autograder", type=Path, required=True, help="otter's autograder zip")
    parser.add_argument("--out", type=Path, required=True, help="one results folder per student")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--limit", type=float, default=30.0)
    parser.add_argument("submissions", type=Path, nargs="+")
    args = parser.parse_args()

    def grade(submission: Path) -> tuple[str, dict]:
        out = args.out / submission.stem
        out.mkdir(parents=True, exist_ok=True)
        cmd = [args.otter, "run", "--no-logo", "-a", args.autograder, "-o", out, submission]
        measured = run_measured(cmd, limit=args.limit)
        return submission.stem, {"seconds": measured.seconds, "killed": measured.killed}

    with ThreadPoolExecutor(args.jobs) as pool:
        timings = dict(pool.map(grade, args.submissions))
    (args.out / "timings.json").write_text(json.dumps(timings, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
