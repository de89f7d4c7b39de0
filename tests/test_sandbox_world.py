"""The sandbox's world, attacked from inside as a hostile student would.

It sees the standard library, numpy and its own scratch, nothing else, whichever way optigrade
was installed (``autograder/sandbox/world.py``); System V IPC of one sandbox never reaches the
next; the memory cap holds for the whole tree; demotion and the final kill reach every process
the sandbox started; the zygote and its sandboxes die with their worker, and a killed zygote's
cgroups are reclaimed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import secrets
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import solutions
from autograder.sandbox import cgroups, isolation, world
from autograder.sandbox.client import Sandbox, Zygote
from examples.synthetic_class import item_sources, notebook, preamble
from tests.grading import ROOT, optigrade_exe, read_grades

LOOK = """
import os

def look(paths):
    seen = {}
    for path in paths:
        try:
            if os.path.isdir(path):
                seen[path] = sorted(os.listdir(path))
            else:
                with open(path, "rb") as handle:
                    seen[path] = handle.read(40).decode(errors="replace")
        except OSError as exc:
            seen[path] = type(exc).__name__
    return seen


def imports(names):
    import importlib
    found = {}
    for name in names:
        try:
            importlib.import_module(name)
            found[name] = "imported"
        except Exception as exc:
            found[name] = type(exc).__name__
    return found


def works():
    import subprocess, sys, tempfile
    import numpy as np
    np.save("weights.npy", np.arange(4.0))
    with tempfile.NamedTemporaryFile(dir=None) as handle:
        handle.write(b"scratch")
    started = subprocess.run([sys.executable, "-c", "import json; print(json.dumps(1))"],
                             capture_output=True, text=True, timeout=30)
    return [float(np.load("weights.npy").sum()), os.getcwd() == os.environ["HOME"],
            started.stdout.strip() or started.stderr[-300:]]
"""


def call(zygote: Zygote, cells: list[str], name: str, *args: object) -> object:
    sandbox = Sandbox(zygote, cells)
    try:
        sandbox.start()
        return sandbox.call(name, None, list(args), {})["value"]
    finally:
        sandbox.kill()


def project_paths() -> dict[str, str]:
    package = Path(solutions.__file__).parent
    suites = ROOT / "autograder" / "suites"
    import numpy

    return {
        "solution": str(package / "optimizers.py"),
        "suite": str(next(iter(sorted(suites.rglob("test_*.py"))))),
        "site-packages": str(Path(numpy.__file__).parent.parent),
        "project": str(ROOT),
    }


def test_a_sandbox_sees_the_standard_library_numpy_and_its_scratch_only(zygote, tmp_path):
    other = tmp_path / "another_student.ipynb"
    other.write_text("the other student's answers")
    paths = project_paths()
    tried = [
        *paths.values(),
        str(other),
        "/etc/passwd",
        "/proc/1/cmdline",
        "/proc",
        "/sys",
        "/root",
        "/home",
    ]
    seen = call(zygote, [LOOK], "look", tried)
    site_packages = seen.pop(paths["site-packages"])
    assert site_packages in ("PermissionError", "FileNotFoundError") or set(site_packages) <= {
        "numpy",
        "numpy.libs",
    }, f"site-packages as a whole is visible: {site_packages}"
    for path, what in seen.items():
        if path == "/home":  # the scratch's mount point, and nothing else
            assert what in ("PermissionError", ["student"]), f"/home holds {what}"
            continue
        assert what in ("FileNotFoundError", "PermissionError"), f"the sandbox read {path}: {what}"
    imported = call(
        zygote,
        [LOOK],
        "imports",
        [
            "solutions",
            "solutions.optimizers",
            "autograder.suites",
            "json",
            "sqlite3",
            "hashlib",
            "decimal",
            "ctypes",
            "numpy.linalg",
            "numpy.fft",
            "numpy.random",
        ],
    )
    assert {k: v for k, v in imported.items() if v != "imported"} == {
        "solutions": "ModuleNotFoundError",
        "solutions.optimizers": "ModuleNotFoundError",
        "autograder.suites": "ModuleNotFoundError",
    }, imported
    total, at_home, started = call(zygote, [LOOK], "works")
    assert (total, at_home, started) == (6.0, True, "1"), (
        "numpy, the scratch and the interpreter must work as before"
    )


def test_links_in_a_submission_folder_lead_nowhere_inside_the_sandbox(zygote, tmp_path):
    paths = project_paths()
    links = {}
    for name, target in (
        ("ref", paths["solution"]),
        ("suite", paths["suite"]),
        ("passwd", "/etc/passwd"),
    ):
        link = tmp_path / name
        link.symlink_to(target)
        links[str(link)] = target
    seen = call(zygote, [LOOK], "look", [*links, *links.values()])
    assert set(seen.values()) <= {"FileNotFoundError", "PermissionError"}, seen


IPC_CELL = """
import ctypes, os
_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p

def leave(shm, sem, msg):
    made = [_libc.shmget(shm, 4096, 0o1600), _libc.semget(sem, 1, 0o1600),
            _libc.msgget(msg, 0o1600)]
    if made[0] >= 0:
        ctypes.memmove(_libc.shmat(made[0], None, 0), b"run this, next student", 22)
    return made

def find(shm, sem, msg):
    return [_libc.shmget(shm, 0, 0), _libc.semget(sem, 0, 0), _libc.msgget(msg, 0)]
"""


def _here(kind: str, key: int) -> bool:
    """Whether an IPC object with ``key`` exists in this (the grader's) IPC namespace; removed
    if so, so that a failing run leaves nothing either."""
    libc = ctypes.CDLL(None, use_errno=True)
    get, ctl, remove = {
        "shm": (libc.shmget, libc.shmctl, 0),
        "sem": (libc.semget, libc.semctl, 0),
        "msg": (libc.msgget, libc.msgctl, 0),
    }[kind]
    ident = get(key, 0, 0) if kind != "msg" else get(key, 0)
    if ident < 0:
        return False
    ctl(ident, remove, None) if kind != "sem" else ctl(ident, 0, remove)
    return True


def test_system_v_ipc_does_not_reach_the_next_sandbox_nor_outlive_its_own(zygote):
    keys = [secrets.randbelow(1 << 30) + 1 for _ in range(3)]
    made = call(zygote, [IPC_CELL], "leave", *keys)
    assert all(ident >= 0 for ident in made), f"could not create the IPC objects: {made}"
    found = call(zygote, [IPC_CELL], "find", *keys)
    left_here = [_here(kind, key) for kind, key in zip(("shm", "sem", "msg"), keys, strict=True)]
    assert found == [-1, -1, -1], f"the next sandbox found the previous one's objects: {found}"
    assert left_here == [False, False, False], "IPC objects outlived their sandbox"


MEMORY_TREE = '''
import os, signal, time

def tree(children, megabytes):
    """Fork children one after another; each touches its megabytes, says so, and holds them.
    Return how many were holding theirs at the same time at the end."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    pids, dead, reported = [], set(), set()

    def alive(pid):
        if pid not in dead and os.waitpid(pid, os.WNOHANG) != (0, 0):
            dead.add(pid)
        return pid not in dead

    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            block = bytearray(megabytes << 20)
            for at in range(0, len(block), 4096):
                block[at] = 1
            os.write(write_end, b"x")
            time.sleep(60)
            os._exit(0)
        pids.append(pid)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and alive(pid) and pid not in reported:
            try:
                if os.read(read_end, 1):
                    reported.add(pid)
            except BlockingIOError:
                time.sleep(0.01)
    holding = [pid for pid in reported if alive(pid)]
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    return [len(holding), len(reported)]
'''


def test_six_forked_children_of_900_mb_never_hold_more_than_the_cap_together(zygote):
    from autograder.sandbox.client import Timeouts

    # Not demoted after a second (Timeouts.runaway): at nice 19 on a busy machine, touching
    # 5 GiB takes minutes.
    timeouts = Timeouts(call=120, submission=180, runaway=180)
    sandbox = Sandbox(zygote, [MEMORY_TREE], timeouts=timeouts)
    try:
        sandbox.start()
        assert sandbox.limits.memory_mb == 1024
        holding, reached = sandbox.call("tree", None, [6, 900], {})["value"]
    finally:
        sandbox.kill()
    assert holding <= 1, f"{holding} children held 900 MiB each at once under a 1 GiB cap"
    assert reached >= 1, "not even one child could use the memory it is allowed"
    # The out-of-memory killer took the children, never the zygote.
    assert zygote.process.poll() is None
    assert call(zygote, [LOOK], "imports", ["json"]) == {"json": "imported"}


SPINNERS = """
import os, time

def start(count):
    for n in range(count):
        if os.fork() == 0:
            os.setsid()          # a session (and process group) of its own
            if os.fork() == 0:   # and a grandchild, a daemon of that session
                os.setpgid(0, 0)
            name = f"nice-{os.getpid()}"
            while True:
                with open(name, "w") as handle:
                    handle.write(str(os.getpriority(os.PRIO_PROCESS, 0)))
                until = time.monotonic() + 0.05
                while time.monotonic() < until:
                    pass
    return count

def nices():
    # Read by PID (this namespace's), not from what each wrote: a spinner at nice 19 on a busy
    # machine may not get the CPU to write again in time.
    return sorted(os.getpriority(os.PRIO_PROCESS, int(n[5:]))
                  for n in os.listdir(".") if n.startswith("nice-"))
"""


def _tree(pid: int) -> set[int]:
    """The processes descending from ``pid``, read from ``/proc``."""
    found, stack = set(), [pid]
    while stack:
        current = stack.pop()
        found.add(current)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with contextlib.suppress(OSError):
                stack += [int(c) for c in (task / "children").read_text().split()]
    return found


def test_demotion_reaches_children_in_other_sessions_and_the_kill_takes_them_all(zygote):
    own = os.getpriority(os.PRIO_PROCESS, 0)
    if own == 19:
        pytest.skip("the tests already run at the lowest priority")
    sandbox = Sandbox(zygote, [SPINNERS])
    try:
        sandbox.start()
        assert sandbox.call("start", None, [3], {})["value"] == 3
        time.sleep(0.3)
        before = sandbox.call("nices", None, [], {})["value"]
        isolation.demote_tree(sandbox._pid, 19)
        time.sleep(0.3)
        after = sandbox.call("nices", None, [], {})["value"]
        processes = _tree(sandbox._pid)
        pidfds = [os.pidfd_open(p) for p in processes if Path(f"/proc/{p}").exists()]
    finally:
        sandbox.kill()
    assert before == [own] * 6, f"six spinners (three in sessions of their own) expected: {before}"
    assert after == [19] * 6, f"spinners that left the sandbox's session escaped: {after}"
    assert len(pidfds) >= 7
    gone = _exited(pidfds, wait=10.0)  # a SIGKILLed process at nice 19 still has to run to exit
    for fd in pidfds:
        os.close(fd)
    assert len(gone) == len(pidfds), (
        f"{len(pidfds) - len(gone)} of the sandbox's processes outlived the kill of its first"
    )


def _exited(pidfds: list[int], wait: float) -> list[int]:
    """The pidfds whose process has exited, waiting up to ``wait`` seconds for all of them."""
    deadline = time.monotonic() + wait
    gone: set[int] = set()
    while len(gone) < len(pidfds) and time.monotonic() < deadline:
        ready = select.select([f for f in pidfds if f not in gone], [], [], 0.1)[0]
        gone.update(ready)
    return sorted(gone)


WORKER = """
import json, sys, time
from autograder.sandbox.client import Sandbox, Zygote
zygote = Zygote()
sandbox = Sandbox(zygote, [sys.argv[1]])
sandbox.start()
sandbox.call("start", None, [2], {})
print(json.dumps({"zygote": zygote.process.pid, "sandbox": sandbox._pid}), flush=True)
time.sleep(600)
"""


def _start_worker() -> tuple[subprocess.Popen, int, set[int]]:
    worker = subprocess.Popen(
        [sys.executable, "-c", WORKER, SPINNERS],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        cwd=ROOT,
    )
    assert worker.stdout is not None
    started = json.loads(worker.stdout.readline())
    time.sleep(0.2)
    return worker, started["zygote"], _tree(started["sandbox"]) | {started["zygote"]}


def _all_gone(pids: set[int], wait: float) -> set[int]:
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        alive = {p for p in pids if Path(f"/proc/{p}").exists() and not _zombie(p)}
        if not alive:
            return set()
        time.sleep(0.05)
    return alive


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return False


def test_the_zygote_and_its_sandbox_die_with_their_worker_killed_by_sigkill():
    worker, zygote_pid, processes = _start_worker()
    paths = cgroups.zygote_paths(zygote_pid)
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    left = _all_gone(processes, wait=5)
    assert not left, f"{len(left)} processes of the zygote and its sandbox outlived the worker"
    # The zygote heard of its worker's death (PR_SET_PDEATHSIG) and removed its cgroups itself.
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline and any(os.path.exists(p) for p in paths):
        time.sleep(0.05)
    assert not [p for p in paths if os.path.exists(p)], "the zygote's cgroups were left"


@pytest.mark.skipif(os.getuid() != 0, reason="cgroups are the root grader's")
def test_cgroups_of_a_killed_zygote_are_reclaimed_by_the_next_one_to_start():
    worker, zygote_pid, processes = _start_worker()
    paths = cgroups.zygote_paths(zygote_pid)
    assert paths and all(os.path.isdir(p) for p in paths), "no cgroup to abandon"
    os.killpg(worker.pid, signal.SIGKILL)  # the worker and the zygote at once: no clean-up
    worker.wait()
    assert not _all_gone(processes, wait=5), "the sandbox outlived its zygote"
    assert any(os.path.isdir(p) for p in paths), "nothing was abandoned: the test proves nothing"
    zygote = Zygote()
    try:
        call(zygote, [LOOK], "imports", ["json"])
    finally:
        zygote.close()
    assert not [p for p in paths if os.path.exists(p)], "the abandoned cgroups were not reclaimed"


FILLER = """
import os
written = 0
try:
    while written < 512 << 20:
        with open(f"fill-{written >> 20}", "wb") as handle:
            for _ in range(8):
                written += handle.write(b"x" * (1 << 20))
except OSError as exc:
    raise OSError(exc.errno, f"{exc.strerror} after {written >> 20} MiB") from None
raise RuntimeError(f"wrote {written >> 20} MiB: no quota")
"""


def test_filling_the_scratch_costs_the_student_an_enospc_and_nothing_else(tmp_path):
    cells = [preamble("optimizers"), *item_sources("optimizers").values()]
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "filler.ipynb").write_text(notebook([FILLER, *cells]))
    (subs / "honest.ipynb").write_text(notebook(cells))
    grader_tmp = tmp_path / "grader-tmp"
    grader_tmp.mkdir()
    env = {**os.environ, "TMPDIR": str(grader_tmp)}
    for run in range(2):  # the rerun must work as well
        out = tmp_path / f"out{run}"
        result = subprocess.run(
            [optigrade_exe(), "grade", "-a", "optimizers", "--out", str(out), str(subs)],
            capture_output=True,
            text=True,
            timeout=600,
            env=env,
        )
        assert result.returncode == 0, result.stderr[-2000:]
        rows = read_grades(out)
        assert rows["honest"]["score"] == rows["honest"]["max_score"]
        assert rows["filler"]["score"] == rows["filler"]["max_score"], (
            "only the filling cell failed: the rest of the submission is graded as usual"
        )
        feedback = (out / "feedback" / "filler.md").read_text(encoding="utf-8")
        assert "No space left on device" in feedback, feedback[-1500:]
        assert "MiB" in feedback and "no quota" not in feedback
    left = [p for p in grader_tmp.rglob("*")]
    assert not left, f"the grader's temporary folder kept {left[:5]}"


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to build a throwaway installation")
def test_a_regular_install_exposes_nothing_of_the_project_either(tmp_path):
    """After a regular (non-editable) ``pip install .`` the project lives in site-packages,
    which the sandbox must not see: the doctor's probes, run from that installation."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q"]
    subprocess.run([*pip, "numpy", "msgpack"], check=True, timeout=600, capture_output=True)
    subprocess.run([*pip, "--no-deps", str(ROOT)], check=True, timeout=600, capture_output=True)
    probe = textwrap.dedent(
        """
        import json, solutions
        from autograder.doctor import diagnose
        print(json.dumps({"solutions": solutions.__file__, **diagnose()}))
        """
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", probe],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    found = json.loads(result.stdout)
    assert "site-packages" in found["solutions"], f"not a regular install: {found['solutions']}"
    probes = found["probes"]
    for name in (
        "read the reference solutions",
        "import solutions",
        "read a hidden suite",
        "list site-packages",
    ):
        assert probes[name].startswith("blocked"), f"{name}: {probes[name]}"
    assert found["layers"]["mount_namespace"]


def test_a_scratch_tree_deeper_than_the_recursion_limit_is_removed(tmp_path):
    """What a sandbox leaves in a fallback scratch: 3,000 levels of 200-character names (deeper
    than Python's recursion limit, longer than PATH_MAX), folders made unreadable, a link out.
    It is emptied without following the link, then removed."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep").write_text("the TA's")
    box = tmp_path / "box"
    box.mkdir()
    fd = os.open(box, os.O_RDONLY | os.O_DIRECTORY)
    try:
        for level in range(3000):
            os.mkdir("d" * 200, dir_fd=fd)
            os.close(os.open("f", os.O_CREAT | os.O_WRONLY, dir_fd=fd))
            if level == 5:
                os.symlink(outside, "link", dir_fd=fd)
            inner = os.open("d" * 200, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
            if level % 7 == 0:
                os.chmod("d" * 200, 0, dir_fd=fd)
            os.close(fd)
            fd = inner
    finally:
        os.close(fd)
    try:
        assert world.remove_tree(str(box), keep_root=True)
        assert box.is_dir() and not list(box.iterdir())
        assert (outside / "keep").read_text() == "the TA's", "the link was followed"
        assert world.remove_tree(str(box)) and not box.exists()
    finally:  # pytest's own clean-up of tmp_path would stop at such a tree
        subprocess.run(["rm", "-rf", "--one-file-system", str(box)], check=False)
