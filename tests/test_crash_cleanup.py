"""The grader's own crash leaves nothing behind, and the next run reclaims what it could not.

``optigrade grade`` is started by a small *witness* process that is a child subreaper: every
process of the batch that loses its parent (the worker server and workers once the main process
is killed, the zygotes, the sandboxes) is re-parented to the witness, not to the machine's init.
So the witness sees exactly the processes of that one run, and nothing of the other tests or
helpers running on the machine: it lists them before the kill, SIGKILLs the main process (or
the whole process group), then reaps and lists what is still alive.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from examples.synthetic_class import item_sources, notebook, preamble
from tests.grading import optigrade_exe

pytestmark = pytest.mark.slow

WITNESS = r"""
import ctypes, json, os, signal, sqlite3, subprocess, sys, time

PR_SET_CHILD_SUBREAPER = 36
ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
command, database, at_least, mode = json.loads(sys.argv[1])
me = os.getpid()


def descendants():
    # Every live process whose chain of parents reaches the witness (zombies are reaped).
    parent_of, name_of = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        state, ppid = stat[stat.rindex(")") + 2 :].split()[:2]
        if state != "Z":
            parent_of[int(entry)], name_of[int(entry)] = int(ppid), name
    found = {}
    for pid in parent_of:
        chain, seen = pid, set()
        while chain in parent_of and chain not in seen:
            seen.add(chain)
            chain = parent_of[chain]
            if chain == me:
                found[pid] = name_of[pid]
                break
    return found


def reap():
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


main = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                        start_new_session=True)
committed, deadline = 0, time.monotonic() + 180
while committed < at_least and time.monotonic() < deadline and main.poll() is None:
    time.sleep(0.02)
    try:
        with sqlite3.connect(database, timeout=0.1) as db:
            committed = db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.Error:
        pass
before = descendants()
if mode == "group":
    os.killpg(main.pid, signal.SIGKILL)
else:
    os.kill(main.pid, signal.SIGKILL)
main.wait()
deadline, left = time.monotonic() + 20, None
while time.monotonic() < deadline:
    reap()
    left = descendants()
    if not left:
        break
    time.sleep(0.05)
for pid in left or {}:  # the test fails; leave nothing behind for the next one
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
reap()
print(json.dumps({"committed": committed, "before": before, "left": left,
                  "seconds": round(20 - (deadline - time.monotonic()), 2)}))
"""


def grade(*args: str) -> list[str]:
    return [optigrade_exe(), "grade", "-a", "optimizers", *args]


def a_class(folder: Path, size: int) -> Path:
    folder.mkdir()
    cells = [preamble("optimizers"), *item_sources("optimizers").values()]
    for i in range(size):
        (folder / f"s{i:03d}.ipynb").write_text(notebook([*cells, f"marker = {i}\n"]))
    return folder


def private_tmp(tmp_path: Path) -> dict[str, str]:
    """An environment whose temporary folder is the test's own, to look at what is left."""
    (tmp_path / "tmp").mkdir()
    return {**os.environ, "TMPDIR": str(tmp_path / "tmp")}


def kill_mid_batch(command: list[str], database: Path, mode: str, env: dict[str, str]) -> dict:
    """Run ``command`` under the witness, SIGKILL it once 5 results are committed, and say
    which of its processes existed before and which are still alive after."""
    done = subprocess.run(
        [sys.executable, "-c", WITNESS, json.dumps([command, str(database), 5, mode])],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def zygote_cgroups(pids: list[int]) -> list[Path]:
    """The pids cgroups of these zygotes that still exist (as root each zygote has one)."""
    from autograder.sandbox import cgroups

    return [Path(path) for pid in pids for path in cgroups.zygote_paths(pid) if Path(path).exists()]


def check_resumed(out: Path, subs: Path, size: int, committed: int, env: dict[str, str]) -> None:
    """The same command again: every submission graded exactly once, the scratch reclaimed."""
    temp = Path(env["TMPDIR"])
    assert list((out / ".work").glob("batch-*")), "the killed batch could not remove its scratch"
    assert list(temp.glob("optigrade-run-*")), "the killed batch could not remove its folder"
    resumed = subprocess.run(
        grade("--out", str(out), "--json", "--", str(subs)),
        capture_output=True,
        text=True,
        env=env,
    )
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    summary = json.loads(resumed.stdout)
    assert summary["submissions"] == size and summary["status"] == {"graded": size}
    assert summary["graded_now"] + summary["skipped_unchanged"] == size
    assert summary["skipped_unchanged"] >= committed, "committed results survive SIGKILL"
    assert not (out / ".work").exists(), list((out / ".work").iterdir())
    # The sandboxes' scratch, the workers' files and multiprocessing's own folder of the
    # killed main process (``pymp-*``) lived in the runs' folders, all gone now.
    left = sorted(p.name for p in temp.iterdir())
    assert not left, f"left in the temporary folder: {left}"


def test_sigkill_of_the_main_process_leaves_no_process_of_the_run(tmp_path):
    size = 60
    subs = a_class(tmp_path / "subs", size)
    out = tmp_path / "out"
    env = private_tmp(tmp_path)
    command = grade("--out", str(out), "--", str(subs))
    seen = kill_mid_batch(command, out / "gradebook.sqlite", "main", env)
    assert 5 <= seen["committed"] < size, f"not interrupted mid-batch: {seen}"
    names = set(seen["before"].values())
    assert {"optigrade-wrk0", "optigrade-zyg"} <= names, f"the run was not caught at work: {seen}"
    assert not seen["left"], f"processes of the killed run are still alive: {seen}"
    zygotes = [int(pid) for pid, name in seen["before"].items() if name == "optigrade-zyg"]
    assert not zygote_cgroups(zygotes), "the killed run's zygotes left their cgroups"
    check_resumed(out, subs, size, seen["committed"], env)


def test_a_live_batchs_scratch_is_left_alone_and_a_dead_ones_reclaimed(tmp_path):
    out = tmp_path / "out"
    work = out / ".work"
    work.mkdir(parents=True)
    dead = Path(tempfile.mkdtemp(prefix="batch-", dir=work))
    (dead / "unpacked.ipynb").write_text("{}")
    live = Path(tempfile.mkdtemp(prefix="batch-", dir=work))
    (live / "unpacked.ipynb").write_text("{}")
    lock = os.open(live, os.O_RDONLY | os.O_DIRECTORY)  # as a batch running beside holds it
    fcntl.flock(lock, fcntl.LOCK_EX)
    try:
        subs = a_class(tmp_path / "subs", 2)
        graded = subprocess.run(
            grade("--out", str(out), "--json", "--", str(subs)), capture_output=True, text=True
        )
        assert graded.returncode == 0, graded.stderr[-3000:]
        assert not dead.exists(), "a dead batch's scratch was not reclaimed"
        assert (live / "unpacked.ipynb").exists(), "a live batch's scratch was removed"
        assert sorted(work.iterdir()) == [live], "the batch did not remove its own scratch"
    finally:
        os.close(lock)


def test_a_dead_runs_adopted_folders_are_removed_and_nothing_else(tmp_path):
    """A dead run's folder names the multiprocessing folder it adopted; its list is read back
    as untrusted: only a real folder beside it, named as multiprocessing names its own, goes.
    Paths elsewhere, links, other names and undecodable bytes are left alone."""
    from autograder import scratch

    base = tmp_path / "tmp"
    base.mkdir()
    dead = base / "optigrade-run-dead"
    dead.mkdir()
    adopted = base / "pymp-adopted"
    adopted.mkdir()
    (adopted / "listener-x").write_text("")
    elsewhere = tmp_path / "pymp-elsewhere"  # not beside the run folder
    elsewhere.mkdir()
    other = base / "keep-me"  # beside it, but not multiprocessing's name
    other.mkdir()
    target = tmp_path / "target"
    target.mkdir()
    (target / "file").write_text("the TA's")
    (base / "pymp-link").symlink_to(target)
    listing = [
        adopted,
        elsewhere,
        other,
        base / "pymp-link",
        base / "pymp-missing",
        f"{base}/pymp-nul\x00",
        "relative",
    ]
    (dead / "adopted").write_text("\n".join(map(str, listing)) + "\n")
    removed = scratch.reclaim_stale(base, scratch.RUN_PREFIX, owner=os.geteuid())
    assert removed == [dead] and not dead.exists() and not adopted.exists()
    assert elsewhere.is_dir() and other.is_dir() and (base / "pymp-link").is_symlink()
    assert (target / "file").read_text() == "the TA's"
    garbage = base / "optigrade-run-garbage"
    garbage.mkdir()
    (garbage / "adopted").write_bytes(b"\xff\xfe\x00" + str(other).encode())
    assert scratch.reclaim_stale(base, scratch.RUN_PREFIX) == [garbage]
    assert other.is_dir()
