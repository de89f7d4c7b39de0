"""What every sandbox of a batch starts with: no capabilities (under a root grader), a bare
environment, default signal handlers.

The zygote prepares part of this once for all its sandboxes (it empties the capability
bounding set and settles its own environment, see ``isolation.drop_bounding_set`` and
``isolation.settle_environment``), so the test looks at several sandboxes of one zygote in a
row, from inside, with what student code can use: ``capget``, ``prctl`` and a program it
starts itself.
"""

from __future__ import annotations

import ast
import os
import signal

import pytest

from autograder.sandbox.client import Sandbox, Zygote

PROBE = """
import ctypes

_libc = ctypes.CDLL(None, use_errno=True)


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                ("inheritable", ctypes.c_uint32)]


def capabilities():
    header, data = _Header(0x20080522, 0), (_Data * 2)()
    if _libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    bounding = [cap for cap in range(64) if _libc.prctl(23, cap, 0, 0, 0) == 1]  # CAPBSET_READ
    return {"bounding": bounding,
            "sets": [[d.effective, d.permitted, d.inheritable] for d in data]}
"""

LOOK = (
    f"PROBE = {PROBE!r}\nexec(PROBE)\n"
    + """
import os, signal, subprocess, sys

def look():
    started = subprocess.run(
        [sys.executable, "-I", "-c", PROBE + "print(capabilities())"],
        capture_output=True, text=True, timeout=20,
    )
    handlers = [signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGCHLD, signal.SIGXFSZ)]
    return {
        "capabilities": capabilities(),
        "started": started.stdout.strip() or started.stderr[-500:],
        "environment": dict(os.environ),
        "cwd": os.getcwd(),
        "handlers": [int(h) if isinstance(h, int) else repr(h) for h in handlers],
    }
"""
)

NONE = {"bounding": [], "sets": [[0, 0, 0], [0, 0, 0]]}


@pytest.fixture
def zygote_of_a_busy_grader(monkeypatch: pytest.MonkeyPatch):
    # Whatever the grader's own environment holds must not reach a student.
    monkeypatch.setenv("OPTIGRADE_TEST_SECRET", "the TA's token")
    zygote = Zygote()
    yield zygote
    zygote.close()


def test_every_sandbox_of_a_zygote_starts_without_privileges(zygote_of_a_busy_grader):
    seen = []
    for _ in range(3):
        sandbox = Sandbox(zygote_of_a_busy_grader, [LOOK])
        try:
            sandbox.start()
            seen.append(sandbox.call("look", None, [], {})["value"])
        finally:
            sandbox.kill()
    for number, inside in enumerate(seen, 1):
        where = f"sandbox {number} of 3"
        # An ordinary user's sandbox is root of a user namespace of its own, with the
        # capabilities that gives over that namespace alone (isolation.enter_namespaces);
        # a sandbox of a root grader must hold none at all.
        if os.getuid() == 0:
            assert inside["capabilities"] == NONE, f"{where} holds capabilities: {inside}"
            # A program the student starts gets none back either (for uid 0 without
            # no_new_privs, execve would grant every capability left in the bounding set).
            assert ast.literal_eval(inside["started"]) == NONE, (
                f"a program started in {where} holds capabilities: {inside['started']}"
            )
        scratch = inside["cwd"]
        assert inside["environment"] == {
            "HOME": scratch,
            "TMPDIR": scratch,
            "LANG": "C.UTF-8",
            "PATH": "/usr/bin:/bin",
        }, f"{where} has another environment: {inside['environment']}"
        assert inside["handlers"] == [
            int(signal.SIG_DFL),
            int(signal.SIG_DFL),
            int(signal.SIG_IGN),
        ], f"{where}: SIGTERM, SIGCHLD, SIGXFSZ handled as {inside['handlers']}"


def test_a_sandbox_holds_no_privilege_after_its_zygote_built_its_world(zygote_of_a_busy_grader):
    # The zygote built the sandboxes' file system with its capabilities (mounts, pivot_root);
    # a sandbox must not be able to undo any of it: no mount, no new namespace it could use
    # to reach the machine's file system again, no capability in a program it starts.
    cell = (
        "import ctypes, os\n"
        "_libc = ctypes.CDLL(None, use_errno=True)\n"
        "def undo():\n"
        "    tried = {}\n"
        "    tried['mount'] = _libc.mount(b'/', b'/home/student', None, 4096, None)\n"
        "    tried['umount'] = _libc.umount2(b'/home/student', 2)\n"
        "    tried['unshare'] = _libc.unshare(0x20000)\n"
        "    tried['chroot'] = _libc.chroot(b'/')\n"
        "    return tried\n"
    )
    sandbox = Sandbox(zygote_of_a_busy_grader, [cell])
    try:
        sandbox.start()
        tried = sandbox.call("undo", None, [], {})["value"]
    finally:
        sandbox.kill()
    assert tried == {"mount": -1, "umount": -1, "unshare": -1, "chroot": -1}, tried


def test_the_zygotes_caps_are_set_through_cgroup_v2_files_too(tmp_path, monkeypatch):
    # This machine's controllers are on cgroup v1; a v2 machine has one directory with both.
    # Here on plain files laid out as a v2 hierarchy's, the zygote's protocol: enable the
    # controllers down to its cgroup, join it, then before each sandbox wait for the previous
    # one's processes and set both caps (memory on top of what the zygote holds).
    from autograder.sandbox import cgroups

    monkeypatch.setattr(
        cgroups,
        "hierarchies",
        lambda: dict.fromkeys(("pids", "memory"), cgroups.Hierarchy(str(tmp_path), True)),
    )
    zygote = tmp_path / "optigrade" / cgroups.cgroup_name(os.getpid())
    zygote.mkdir(parents=True)
    for name, text in {
        "pids.max": "max",
        "pids.current": "1",
        "memory.max": "max",
        "memory.swap.max": "max",
        "memory.current": str(30 << 20),
        "cgroup.procs": "",
    }.items():
        (zygote / name).write_text(text)
    for folder in (tmp_path, tmp_path / "optigrade"):
        (folder / "cgroup.subtree_control").write_text("")
    joined = cgroups.ZygoteCgroups()
    assert joined.memory
    assert (zygote / "cgroup.procs").read_text() == str(os.getpid())
    assert (tmp_path / "optigrade" / "cgroup.subtree_control").read_text() in ("+memory", "+pids")
    # (pwrite on a plain file overwrites without truncating, as a cgroup file never shows)
    assert (zygote / "memory.swap.max").read_text().startswith("0a"), "swap past the memory cap"
    joined.before_sandbox(33, 100)
    assert (zygote / "pids.max").read_text().startswith("33")
    assert int((zygote / "memory.max").read_text()) == (30 << 20) + (100 << 20)
    joined.close_and_remove()
    # The libraries the zygote read are file cache charged to its cgroup, which the kernel
    # drops to make room: not held, or the sandbox would get that much more than its cap.
    (zygote / "memory.stat").write_text(
        f"anon {18 << 20}\nfile {12 << 20}\nactive_file {8 << 20}\ninactive_file {4 << 20}\n"
    )
    (zygote / "memory.max").write_text("max" + " " * 20)
    cached = cgroups.ZygoteCgroups()
    cached.before_sandbox(33, 100)
    assert int((zygote / "memory.max").read_text()) == (18 << 20) + (100 << 20)
    cached.close_and_remove()
