"""``make bench-peers``: optigrade, otter-grader and nbgrader on one batch, on this machine.

Steps: (1) a virtual environment per peer (and a clean one for optigrade, to measure its
install), (2) the optimizers assignment three ways from our hidden suite, (3) the same 40
submissions written into each tool's notebook shape, (4) each tool grades the batch, three
repetitions, interleaved, (5) two hostile probes, (6) REPORT.md, then the ``ratio:`` line.
Everything it writes besides REPORT.md goes to ``benchmarks/peers/.work`` (git-ignored).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

from benchmarks.peers import notebooks as nbs
from benchmarks.peers.measure import Measured, du_mb, run_measured
from benchmarks.peers.report import ratio_line, render
from benchmarks.peers.suite import ASSIGNMENT, ITEMS, ROOT, PeerTest, peer_tests
from examples.synthetic_class import item_sources, preamble

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
PER_TEST = 5  # seconds: our --timeout-call, nbgrader's Execute.timeout (otter run has none)
PER_SUBMISSION = 60  # seconds: our --timeout-submission default; the kill limit of an otter run
OTTER_JOBS = 2  # otter run calls at once: one per core, as our grader's default pool
INSTALLS = {
    "optigrade": [str(ROOT)],
    "otter": ["otter-grader==7.0.0", "ipykernel"],
    "nbgrader": ["nbgrader==0.9.6", "ipykernel", "numpy"],
}


def log(message: str) -> None:
    print(f"[bench-peers {time.strftime('%H:%M:%S')}] {message}", flush=True)


# -- environments ------------------------------------------------------------------------------


def venv(tool: str) -> Path:
    return HERE / f".venv-{tool}"


def peer_env(tool: str) -> dict[str, str]:
    # The venv's bin first: nbgrader runs `alembic` by name, and jupyter_client starts the
    # "python3" kernel with this venv's interpreter. A private Jupyter data dir keeps a user's
    # own kernelspecs out of the way.
    return {
        "PATH": f"{venv(tool) / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "JUPYTER_DATA_DIR": str(WORK / "jupyter-data"),
        "PYTHONWARNINGS": "ignore",
    }


def install(tool: str) -> dict[str, Any]:
    """Create the tool's venv unless an identical one exists; its install time and size."""
    stamp = venv(tool) / ".bench-install.json"
    spec = INSTALLS[tool]
    recorded = json.loads(stamp.read_text()) if stamp.exists() else {}
    if recorded.get("spec") != spec:
        log(f"installing {tool} into {venv(tool).name}: {' '.join(spec)}")
        shutil.rmtree(venv(tool), ignore_errors=True)
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "venv", venv(tool)], check=True)
        pip = [venv(tool) / "bin" / "python", "-m", "pip", "install", "--quiet"]
        with (WORK / f"install-{tool}.log").open("w") as pip_log:  # pip is chatty here
            subprocess.run([*pip, *spec], check=True, cwd=WORK, stdout=pip_log, stderr=pip_log)
        recorded = {"spec": spec, "seconds": time.perf_counter() - start}
        stamp.write_text(json.dumps(recorded))
    else:
        log(f"{tool}: reusing {venv(tool).name} (install time measured when it was created)")
    package = {"optigrade": "optigrade", "otter": "otter-grader", "nbgrader": "nbgrader"}[tool]
    show = subprocess.run(
        [venv(tool) / "bin" / "python", "-m", "pip", "show", package],
        capture_output=True,
        text=True,
    ).stdout
    version = next((ln.split()[1] for ln in show.splitlines() if ln.startswith("Version:")), "?")
    return {"seconds": recorded["seconds"], "mb": du_mb(venv(tool)), "version": version}


# -- the three builds --------------------------------------------------------------------------


def build_otter(tests: list[PeerTest]) -> dict[str, Any]:
    """``otter assign`` on our master notebook: the autograder zip and the student notebook."""
    folder = WORK / "otter-assign"
    shutil.rmtree(folder, ignore_errors=True)
    master = nbs.otter_master(tests, preamble(ASSIGNMENT), item_sources(ASSIGNMENT))
    nbs.write(master, folder / f"{ASSIGNMENT}.ipynb")
    otter = venv("otter") / "bin" / "otter"
    measured = run_measured(
        [otter, "assign", f"{ASSIGNMENT}.ipynb", "dist"], cwd=folder, env=peer_env("otter")
    )
    if measured.returncode:
        raise RuntimeError(f"otter assign failed:\n{measured.output[-3000:]}")
    (zip_path,) = (folder / "dist" / "autograder").glob("*.zip")
    student = nbformat.read(folder / "dist" / "student" / f"{ASSIGNMENT}.ipynb", as_version=4)
    return {"zip": zip_path, "student": student, "seconds": measured.seconds}


def build_nbgrader(tests: list[PeerTest]) -> dict[str, Any]:
    """An nbgrader course: source notebook, ``generate_assignment``, the gradebook it fills."""
    course = WORK / "nbgrader-course"
    shutil.rmtree(course, ignore_errors=True)
    source = nbs.nbgrader_source(tests, preamble(ASSIGNMENT), item_sources(ASSIGNMENT))
    nbs.write(source, course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    (course / "nbgrader_config.py").write_text(
        "c = get_config()\n"
        'c.CourseDirectory.course_id = "optigrade-bench"\n'
        f"c.Execute.timeout = {PER_TEST}\n",
        encoding="utf-8",
    )
    nbgrader = venv("nbgrader") / "bin" / "nbgrader"
    measured = run_measured(
        [nbgrader, "generate_assignment", ASSIGNMENT, "--force"],
        cwd=course,
        env=peer_env("nbgrader"),
    )
    release = course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    if measured.returncode or not release.exists():
        raise RuntimeError(f"nbgrader generate_assignment failed:\n{measured.output[-3000:]}")
    return {
        "course": course,
        "release": nbformat.read(release, as_version=4),
        "seconds": measured.seconds,
    }


# -- grading runs --------------------------------------------------------------------------


@dataclass
class Run:
    measured: Measured
    scores: dict[str, dict[str, float]]  # student -> item -> points
    lost: dict[str, str]  # student -> why the whole submission got no score
    seconds: dict[str, float]  # student -> seconds the tool spent on that submission


def grade_optigrade(batch: list[nbs.Submission], out: Path) -> Run:
    subs = out / "submissions"
    for sub in batch:
        nbs.write(nbs.optigrade_notebook(sub), subs / f"{sub.student}.ipynb")
    cmd = [
        Path(sys.executable).parent / "optigrade", "grade", "-a", ASSIGNMENT,
        "--out", out / "graded", "--regrade", "--lang", "en",
        "--timeout-call", str(PER_TEST), "--timeout-submission", str(PER_SUBMISSION),
        subs,
    ]  # fmt: skip
    measured = run_measured(cmd, cwd=ROOT)
    scores, lost = {}, {}
    with contextlib.closing(sqlite3.connect(out / "graded" / "gradebook.sqlite")) as db:
        seconds = dict(db.execute("SELECT student, seconds FROM results"))
    grades = out / "graded" / "grades.csv"
    rows = list(csv.DictReader(grades.open(encoding="utf-8"))) if grades.exists() else []
    for row in rows:
        scores[row["student"]] = {item: float(row[item] or 0) for item in ITEMS}
        if row["status"] != "graded" and not float(row["score"] or 0):
            lost[row["student"]] = f"status {row['status']}"
    for sub in batch:
        if sub.student not in scores:
            lost[sub.student] = "no result"
    return Run(measured, scores, lost, seconds)


def grade_otter(batch: list[nbs.Submission], out: Path, built: dict[str, Any]) -> Run:
    subs = out / "submissions"
    paths = [
        nbs.write(nbs.otter_submission(built["student"], sub), subs / f"{sub.student}.ipynb")
        for sub in batch
    ]
    cmd = [
        sys.executable, "-m", "benchmarks.peers.otter_batch",
        "--otter", venv("otter") / "bin" / "otter", "--autograder", built["zip"],
        "--out", out / "results", "--jobs", str(OTTER_JOBS), "--limit", str(PER_SUBMISSION),
        *paths,
    ]  # fmt: skip
    measured = run_measured(cmd, cwd=ROOT, env=peer_env("otter"))
    timings = json.loads((out / "results" / "timings.json").read_text())
    scores, lost = {}, {}
    for sub in batch:
        result = out / "results" / sub.student / "results.json"
        if timings[sub.student]["killed"] or not result.exists():
            why = f"killed after {PER_SUBMISSION} s (otter run has no timeout)"
            lost[sub.student] = why if timings[sub.student]["killed"] else "no results.json"
            continue
        tests = json.loads(result.read_text())["tests"]
        scores[sub.student] = {t["name"]: float(t["score"]) for t in tests if t["name"] in ITEMS}
    seconds = {student: t["seconds"] for student, t in timings.items()}
    return Run(measured, scores, lost, seconds)


def grade_nbgrader(batch: list[nbs.Submission], out: Path, built: dict[str, Any]) -> Run:
    course = out / "course"
    shutil.copytree(built["course"], course)
    for sub in batch:
        nb = nbs.nbgrader_submission(built["release"], sub)
        nbs.write(nb, course / "submitted" / sub.student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    nbgrader = venv("nbgrader") / "bin" / "nbgrader"
    cmd = [nbgrader, "autograde", ASSIGNMENT, "--create", "--force"]
    measured = run_measured(cmd, cwd=course, env=peer_env("nbgrader"))
    raw = subprocess.run(
        [venv("nbgrader") / "bin" / "python", HERE / "nbgrader_scores.py",
         course / "gradebook.db", ASSIGNMENT, ASSIGNMENT],
        capture_output=True, text=True, check=True, env={**os.environ, **peer_env("nbgrader")},
    ).stdout  # fmt: skip
    scores, lost = {}, {}
    for student, cells in json.loads(raw).items():
        scores[student] = {
            item: sum(v for k, v in cells.items() if k.rsplit("-", 1)[0] == item) for item in ITEMS
        }
    for sub in batch:
        if sub.student not in scores:
            lost[sub.student] = "not autograded (see the nbgrader log)"
    return Run(measured, scores, lost, log_seconds(measured, [s.student for s in batch]))


def log_seconds(measured: Measured, students: list[str]) -> dict[str, float]:
    """Per student, from the first log line naming them to the next student's (or the end).

    nbgrader autogrades one student after another and logs each by name, so the arrival times
    of those lines split the batch's wall time into per-student times.
    """
    starts = {}
    for at, line in measured.lines:
        for student in students:
            if student not in starts and f"/{student}/" in line:
                starts[student] = at
    order = sorted(starts, key=starts.__getitem__)
    ends = [starts[s] for s in order[1:]] + [measured.seconds]
    return {s: end - starts[s] for s, end in zip(order, ends, strict=True)}


# -- hostile probes ----------------------------------------------------------------------------

NO_OP = (
    "class {name}:\n"
    "    def __init__(self, *args, **kwargs):\n"
    "        pass\n\n"
    "    def update(self, params, grads):\n"
    "        return None\n"
)

# Looks for a hidden test in the folders around the one the notebook runs in (and the temp
# dir); the needles are assembled at run time so that this cell does not match itself.
FINDER = """
import os, tempfile


def _hidden_tests_on_disk():
    needles = ("test_" + "SGD_1", "def test_" + "sgd_updates")
    here = os.path.abspath(os.getcwd())
    roots = [here, *[os.path.abspath(os.path.join(here, *[".."] * n)) for n in (1, 2, 3)]]
    for root in [*roots, tempfile.gettempdir()]:
        for dirpath, dirnames, filenames in os.walk(root):
            if dirpath.count(os.sep) - root.count(os.sep) >= 3:
                dirnames[:] = []
            for name in filenames:
                if name.endswith((".py", ".ipynb", ".json")):
                    try:
                        with open(os.path.join(dirpath, name), errors="ignore") as f:
                            text = f.read(3_000_000)
                    except OSError:
                        continue
                    if any(n in text for n in needles):
                        return os.path.join(dirpath, name)
    return None


_FOUND = _hidden_tests_on_disk()
"""


def probes() -> dict[str, dict[str, Any]]:
    sources = item_sources(ASSIGNMENT)
    setup = preamble(ASSIGNMENT)
    patch = (
        "\nnp.allclose = lambda *args, **kwargs: True\n"
        "np.testing.assert_allclose = lambda *args, **kwargs: None\n"
    )
    patched = nbs.Submission(
        "probe_patch_allclose",
        "probe",
        [("setup", setup + patch), *[(item, NO_OP.format(name=item)) for item in ITEMS]],
    )
    sgd = (
        sources["SGD"] + "\n\nif _FOUND is None:  # no tests found: hand in nothing\n    del SGD\n"
    )
    reader = nbs.Submission(
        "probe_read_tests",
        "probe",
        [("setup", setup + FINDER), ("SGD", sgd), *[(i, sources[i]) for i in ITEMS[1:]]],
    )
    return {
        "patch_allclose": {
            "submission": patched,
            "description": "every optimizer is a no-op (`update` does nothing) and the setup cell "
            "replaces `np.allclose` with `lambda *a, **k: True` and `np.testing.assert_allclose` "
            "with a no-op. A grader that resists scores it 0 on every item.",
        },
        "read_tests": {
            "submission": reader,
            "description": "the setup cell searches the folders around the notebook (3 levels "
            "up and down) and the temp dir for a file holding a hidden test; `SGD` is correct "
            "and kept only if one was found, the other items are correct. So SGD = 10 means the "
            "student's code could read the hidden tests (and their expected values).",
        },
    }


def verdicts(name: str, scores: dict[str, float], lost: bool) -> str:
    if lost:
        return "no result"
    if name == "patch_allclose":
        total = sum(scores.values())
        return "gains nothing" if total == 0 else f"**{total:g}/50 for no work**"
    return "**read the hidden tests**" if scores.get("SGD", 0) > 0 else "could not read them"


# -- main --------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("-n", "--count", type=int, default=40)
    parser.add_argument("--report", type=Path, default=HERE / "REPORT.md")
    parser.add_argument(
        "--from-results",
        action="store_true",
        help="only render the report again from the last run's .work/results.json",
    )
    args = parser.parse_args()
    if args.from_results:
        write_report(json.loads((WORK / "results.json").read_text()), args.report)
        return
    started = time.perf_counter()
    WORK.mkdir(exist_ok=True)

    installs = {tool: install(tool) for tool in INSTALLS}
    tests = peer_tests()
    log(f"{len(tests)} hidden tests restated for the peers; building otter and nbgrader")
    otter, nbgrader = build_otter(tests), build_nbgrader(tests)
    batch = nbs.make_batch(args.count)
    runners = {
        "optigrade": lambda subs, out: grade_optigrade(subs, out),
        "otter": lambda subs, out: grade_otter(subs, out, otter),
        "nbgrader": lambda subs, out: grade_nbgrader(subs, out, nbgrader),
    }
    reps: dict[str, list[dict[str, Any]]] = {tool: [] for tool in runners}
    final: dict[str, Run] = {}
    load_before = [round(x, 2) for x in os.getloadavg()]
    for rep in range(args.reps):
        for tool, runner in runners.items():  # interleaved, so that load spreads over all
            out = WORK / "runs" / f"{tool}-{rep}"
            shutil.rmtree(out, ignore_errors=True)
            run = final[tool] = runner(batch, out)
            measured = run.measured
            reps[tool].append(
                {
                    "seconds": measured.seconds,
                    "peak_rss_mb": measured.peak_rss_mb,
                    "per_submission": run.seconds,
                }
            )
            log(
                f"rep {rep + 1}/{args.reps} {tool}: {measured.seconds:.1f} s, "
                f"median {statistics.median(run.seconds.values()):.2f} s/submission, "
                f"peak {measured.peak_rss_mb:.0f} MiB, {len(run.lost)} lost"
            )
    load_after = [round(x, 2) for x in os.getloadavg()]

    probe_results = {}
    for name, probe in probes().items():
        per_tool, verdict = {}, {}
        for tool, runner in runners.items():
            out = WORK / "probes" / f"{name}-{tool}"
            shutil.rmtree(out, ignore_errors=True)  # a previous run's files
            run = runner([probe["submission"]], out)
            per_tool[tool] = run.scores.get(probe["submission"].student, {})
            verdict[tool] = verdicts(name, per_tool[tool], probe["submission"].student in run.lost)
        probe_results[name] = {
            "description": probe["description"],
            "tools": per_tool,
            "verdict": verdict,
        }
        log(f"probe {name}: {verdict}")

    modes = {
        "optigrade": f"`optigrade grade` (pool of {os.cpu_count()} workers, sandboxed)",
        "otter": f"`otter run` per notebook, {OTTER_JOBS} at a time, no container",
        "nbgrader": "`nbgrader autograde` (one notebook after another), no container",
    }
    results = {
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "date": datetime.date.today().isoformat(),
            "load_before": load_before,
            "load_after": load_after,
        },
        "categories": dict(Counter(sub.category for sub in batch)),
        "limits": f"{PER_TEST} s per test call or cell (optigrade `--timeout-call`, nbgrader "
        f"`Execute.timeout`; otter run has no such option), {PER_SUBMISSION} s per submission "
        f"(optigrade `--timeout-submission`; for otter run a wall-clock kill by this benchmark)",
        "max_points": {item: sum(t.points for t in tests if t.item == item) for item in ITEMS},
        "submissions": [
            {"student": s.student, "category": s.category, "expected_full": s.expected_full()}
            for s in batch
        ],
        "tools": {
            tool: {
                "version": installs[tool]["version"],
                "install": installs[tool],
                "mode": modes[tool],
                "reps": reps[tool],
                "scores": final[tool].scores,
                "lost": final[tool].lost,
            }
            for tool in runners
        },
        "probes": probe_results,
        "build_seconds": {"otter": otter["seconds"], "nbgrader": nbgrader["seconds"]},
        "elapsed_seconds": time.perf_counter() - started,
    }
    (WORK / "results.json").write_text(json.dumps(results, indent=1, default=str))
    write_report(results, args.report)


def notes(results: dict[str, Any]) -> list[str]:
    build = results["build_seconds"]
    elapsed = results.get("elapsed_seconds")
    return [
        *([f"The whole run took {elapsed / 60:.1f} min."] if elapsed else []),
        f"Build: `otter assign` took {build['otter']:.1f} s (it also runs the tests on the "
        f"master solution), `nbgrader generate_assignment` {build['nbgrader']:.1f} s; "
        "optigrade needs no build step (the suite is read as it is).",
        "Hidden tests: the 45 tests of `autograder/suites/optimizers` (points from its "
        "`points.toml`), restated for the peers by `suite.py` as self-contained test code "
        "with the reference's and the accepted equivalents' outputs embedded; the restated "
        "scenarios are checked number for number against our suite before each run.",
        "The two infinite loops: one at the top level of a cell of its own (every item is "
        "still gradable), one inside `SGD.update` (only SGD is wrong). Each costs every tool "
        "its time limits, so they dominate the *wall* figures, not the medians.",
        "`otter grade` in otter-grader 7.0.0 runs only in Docker containers (its `--timeout` "
        "is per container), so it is not part of this non-container comparison.",
        "`otter run` has no execution timeout: a notebook that never finishes hangs the "
        "call; this benchmark kills it (and its kernel) after the per-submission limit.",
        "Install sizes are the `du` of each tool's own venv (optigrade: a non-editable "
        "`pip install` of this repository without test extras); install times were measured "
        "when each venv was created (a later run reuses an identical venv).",
        "optigrade is graded from this working tree's `autograder/` as it is at run time.",
    ]


def write_report(results: dict[str, Any], path: Path) -> None:
    results["notes"] = notes(results)
    path.write_text(render(results), encoding="utf-8")
    log(f"wrote {path}")
    print(ratio_line(results))


if __name__ == "__main__":
    main()
