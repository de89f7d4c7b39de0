"""Grading on a real Dask cluster: a scheduler and two workers started as `dask` commands.

The cluster runs on loopback, as separate processes the way a TA would start them on other
machines (`dask scheduler`, `dask worker`); the class is graded through `optigrade grade
--cluster`, and compared with the same class graded by the local pool.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from examples.local_dask import LocalDask
from tests.grading import ROOT, grade_command, optigrade_exe, read_grades

pytest.importorskip("distributed")

#: Shorter than the defaults so that the class's hanging submissions cost seconds, not minutes;
#: the same for every run compared.
LIMITS = ["--timeout-submission", "8", "--timeout-call", "2"]


def _children(pid: int) -> set[int]:
    """``pid``'s descendants (our own processes only: read from /proc's children lists)."""
    found: set[int] = set()
    todo = [pid]
    while todo:
        here = todo.pop()
        for task in Path(f"/proc/{here}/task").glob("*"):
            try:
                kids = (task / "children").read_text().split()
            except OSError:
                continue
            for kid in map(int, kids):
                if kid not in found:
                    found.add(kid)
                    todo.append(kid)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture(scope="module")
def klass(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic class of 30 (correct, mistaken, broken and hostile notebooks)."""
    folder = tmp_path_factory.mktemp("class")
    subprocess.run(
        [sys.executable, ROOT / "examples" / "synthetic_class.py", folder, "-n", "30"],
        check=True,
        cwd=ROOT,
    )
    return folder


@pytest.fixture(scope="module")
def local_grades(klass: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = tmp_path_factory.mktemp("local")
    subprocess.run(grade_command(klass, out, *LIMITS), check=True, capture_output=True)
    return read_grades(out)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[LocalDask]:
    running = LocalDask(tmp_path, workers=2)
    try:
        yield running
    finally:
        running.stop()


def _comparable(grades: dict) -> dict:
    # Everything but the time each took.
    return {s: {k: v for k, v in row.items() if "second" not in k} for s, row in grades.items()}


def _recorded(gradebook: Path) -> list[str]:
    with sqlite3.connect(gradebook) as db:
        return [row[0] for row in db.execute("SELECT student FROM results")]


def test_a_class_graded_on_the_cluster_gets_the_local_grades(
    cluster: LocalDask, klass: Path, local_grades: dict, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    done = subprocess.run(
        grade_command(klass, out, "--cluster", cluster.address, *LIMITS),
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["graded_now"] == len(local_grades)
    assert _comparable(read_grades(out)) == _comparable(local_grades)
    # Each worker prepared its grading service (with its zygote) through the plugin.
    for worker in cluster.workers:
        assert {"optigrade-svc", "optigrade-zyg"} <= _command_names(_children(worker.pid))


def _command_names(pids: set[int]) -> set[str]:
    names = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            names.add(Path(f"/proc/{pid}/comm").read_text().strip())
    return names


def test_a_worker_killed_mid_batch_loses_no_submission(
    cluster: LocalDask, klass: Path, local_grades: dict, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    book = out / "gradebook.sqlite"
    run = subprocess.Popen(
        grade_command(klass, out, "--cluster", cluster.address, *LIMITS),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    victim = cluster.workers[0]
    deadline = time.monotonic() + 240
    while True:  # mid-batch: some results recorded, most not
        assert run.poll() is None, "the batch ended before a worker could be killed"
        assert time.monotonic() < deadline, "no result was recorded"
        try:
            if len(_recorded(book)) >= 3:
                break
        except sqlite3.Error:
            pass  # the gradebook is being created
        time.sleep(0.2)
    left_behind = _children(victim.pid)
    assert "optigrade-svc" in _command_names(left_behind), "the worker had no grading service"
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    printed, errors = run.communicate(timeout=300)
    assert run.returncode == 0, errors
    # Every student graded exactly once: none lost, none committed twice.
    assert json.loads(printed)["graded_now"] == len(local_grades)
    assert sorted(_recorded(book)) == sorted(local_grades)
    assert _comparable(read_grades(out)) == _comparable(local_grades)
    # The dead worker's grading service, zygote and sandboxes went with it.
    time.sleep(1)
    assert not [pid for pid in left_behind if _alive(pid)]


def test_doctor_checks_every_worker_of_the_cluster(cluster: LocalDask) -> None:
    done = subprocess.run(
        [optigrade_exe(), "doctor", "--cluster", cluster.address, "--json"],
        capture_output=True,
        text=True,
    )
    findings = json.loads(done.stdout)
    # One report per worker, each from hostile probes run in a sandbox on that worker.
    assert len(findings) == len(cluster.workers)
    for report in findings.values():
        assert report["probes"] and all(o.startswith("blocked") for o in report["probes"].values())
        assert report["missing"] == []
    assert done.returncode == 0, done.stderr
