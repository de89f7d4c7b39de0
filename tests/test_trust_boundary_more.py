"""More attacks on the trust boundary, through the real ``optigrade grade``.

A second red-team pass beyond ``test_trust_boundary.py`` (issue 21): the same harness, the
same bystanders and the same "Done when" (no point unearned, bystanders byte for byte as
alone, the batch finishes, nothing outside the output folder changes, nothing of the run
survives the command). Each test here broke a guarantee when it was written.
"""

from __future__ import annotations

import ctypes
import os
import time
from pathlib import Path

import pytest

from tests import test_trust_boundary as tb
from tests.attacks import harness as h
from tests.attacks import sources as src

# The bystanders, the workspace and the "Done when" of test_trust_boundary.py, and its
# fixtures (pytest finds a fixture by its name in the test's module).
alone, ceiling, ws = tb.alone, tb.ceiling, tb.ws
contained = tb.contained

pytestmark = pytest.mark.slow


# == Kernel keyrings: a System V-like store the IPC namespace does not cover ================

_KEYS = r"""
import ctypes
import time
_libc = ctypes.CDLL(None, use_errno=True)
_SYS_add_key, _SYS_keyctl = 248, 250
_KEY_SPEC_USER_KEYRING, _KEY_SPEC_USER_SESSION_KEYRING = -4, -5
_KEYCTL_SEARCH, _KEYCTL_READ = 10, 11
"""


def keyring_planter(description: str, payload: str) -> str:
    """Leaves ``payload`` as a "user" key in the user and user-session keyrings (no
    capability needed); its own code stays BASE."""
    return src.hostile(
        _KEYS,
        f"""
        _data = {payload!r}.encode()
        for _ring in (_KEY_SPEC_USER_KEYRING, _KEY_SPEC_USER_SESSION_KEYRING):
            _libc.syscall(_SYS_add_key, b"user", {description.encode()!r}, _data, len(_data), _ring)
        """,
    )


def keyring_harvester(description: str) -> str:
    """Runs whatever an earlier sandbox left in a keyring under ``description``."""
    return src.hostile(
        _KEYS,
        f"""
        import time
        _deadline = time.monotonic() + 3
        while time.monotonic() < _deadline:
            _key = _libc.syscall(
                _SYS_keyctl, _KEYCTL_SEARCH, _KEY_SPEC_USER_KEYRING, b"user",
                {description.encode()!r}, 0,
            )
            if _key > 0:
                _buf = ctypes.create_string_buffer(1 << 15)
                _n = _libc.syscall(_SYS_keyctl, _KEYCTL_READ, _key, _buf, len(_buf))
                exec(_buf.raw[:_n].decode(), globals())
                break
            time.sleep(0.05)
        """,
    )


def _keys_described(description: str) -> list[int]:
    """Serial numbers of the keys in this machine's ``/proc/keys`` with ``description``."""
    found = []
    for line in Path("/proc/keys").read_text().splitlines():
        # serial, flags, usage, timeout, permissions, uid, gid, type, "description: summary"
        fields = line.split(None, 8)
        if len(fields) == 9 and fields[8].split(":")[0] == description:
            found.append(int(fields[0], 16))
    return found


def _remove_keys(description: str) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    for key in _keys_described(description):
        for ring in (-4, -5, -3):  # KEYCTL_UNLINK from the user, user-session, session ring
            libc.syscall(250, 9, key, ring)


@pytest.mark.skipif(not Path("/proc/keys").exists(), reason="no kernel keyrings")
def test_kernel_keyrings_neither_cross_sandboxes_nor_outlive_the_batch(ws, alone, ceiling):
    """One sandbox adds a correct Adam as a key to its user keyring (``add_key``, no
    capability needed); the next sandbox of the same worker searches its user keyring and runs
    what it finds. Keyrings are per user (per user namespace), not per IPC namespace: a root
    grader's sandboxes all share root's, which also outlives the batch."""
    description = f"optigrade-rt-{os.urandom(6).hex()}"
    assert not _keys_described(description)
    ws.add("a_planter.py", keyring_planter(description, src.correct_adam()))
    ws.add("b_harvester.py", keyring_harvester(description))
    before = ws.tree()
    try:
        run = ws.grade("--jobs", "1")
        left = _keys_described(description)
        contained(run, alone, before, ws)
        rows = run.rows()
        h.assert_no_point_unearned(rows.get("a_planter"), ceiling, "the planter")
        h.assert_no_point_unearned(rows.get("b_harvester"), ceiling, "the harvester")
        assert not left, f"keys a sandbox added outlived the batch: {left}"
    finally:
        _remove_keys(description)


# == The time budget, spent by the grader on a student's behalf ===============================

#: Every optimizer's ``update`` is BASE's, then adds 10,000 keys (all one 0-d array, so that
#: the sandbox sends them once per trace and each later step costs it one comparison a key).
#: The grader mirrors them into its own ``params`` and, per call of every replayed scenario,
#: deep-copies, compares and ``np.copy``s every key: about 0.1 s a call, 355 calls.
KEY_FLOOD = src.hostile(
    """
    import numpy as _np
    _ZERO = _np.zeros(())
    _EXTRA = {f"k{i}": _ZERO for i in range(10_000)}
    def _flooding(cls):
        _update = cls.update
        def update(self, params, grads):
            _update(self, params, grads)
            if len(params) < 1000:
                params.update(_EXTRA)
        cls.update = update
    for _cls in (SGD, Momentum, AdaGrad, RMSProp, Adam):
        _flooding(_cls)
    """
)


def test_keys_added_to_params_keep_the_time_budget(ws, alone, ceiling):
    """``update`` adds 10,000 keys to the caller's ``params``: cheap in the sandbox, which
    answers every trace well within a 6 s budget, but every reply is then replayed on the
    grader's side (mirror, copy, compare, per key and per call) with no time limit at all."""
    ws.add("flood.py", KEY_FLOOD)
    before = ws.tree()
    budget = 6.0
    run = ws.grade("--timeout-submission", str(budget), timeout=300)
    contained(run, alone, before, ws)
    h.assert_no_point_unearned(run.rows().get("flood"), ceiling, "flood")
    held = {s["student"]: s["seconds"] for s in run.summary()["slowest"]}
    assert held.get("flood", 0) <= budget * 1.25 + 1, (
        f"a worker spent {held.get('flood')} s on one submission against a {budget} s budget"
    )


# == Ingest: a zip bomb that is never counted =================================================


def _overlapping_bomb(entries: int, inflated: int = 50 * 1024 * 1024, declared: int = 0) -> bytes:
    """A zip of ``entries`` directory records that all point at one local header, whose
    deflate stream (about 50 kB) inflates to ``inflated`` bytes of ``#``; each record
    declares a size of ``declared`` (0: no budget is ever charged for it) and is named
    ``a<i>.py``."""
    import struct
    import zlib

    data = b"#" * inflated
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = deflate.compress(data) + deflate.flush()
    crc = zlib.crc32(data) if declared else 0
    local = (
        struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(stream), declared, 4, 0)
        + b"x.py"
    )
    body = local + stream
    directory = bytearray()
    for i in range(entries):
        name = f"a{i}.py".encode()
        directory += (
            struct.pack(
                "<4s6H3L5H2L",
                b"PK\x01\x02",
                20,
                20,
                0,
                8,
                0,
                0,
                crc,
                len(stream),
                declared,
                len(name),
                0,
                0,
                0,
                0,
                0,
                0,
            )
            + name
        )
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, entries, entries, len(directory), len(body), 0
    )
    return body + bytes(directory) + end


def _seconds_to_inflate_the_archive_budget(folder: Path) -> float:
    """What the documented budget (MAX_ZIP_BYTES inflated per archive) costs on this machine,
    through ingest's own reader: one honest 50 MiB entry, timed, scaled to the budget."""
    from autograder.intake.archive import ZipReader
    from autograder.intake.discover import MAX_ZIP_BYTES
    from autograder.intake.reader import MAX_FILE_BYTES

    inflated = 50 * 1024 * 1024
    path = folder / "one-honest-entry.zip"
    path.write_bytes(_overlapping_bomb(1, inflated, declared=inflated))
    fd = os.open(path, os.O_RDONLY)
    try:
        reader = ZipReader(fd, os.fstat(fd).st_size, 10)
        started = time.monotonic()
        assert len(reader.read(reader.entries[0], MAX_FILE_BYTES)) == inflated
        seconds = time.monotonic() - started
    finally:
        os.close(fd)
        path.unlink()
    return seconds * MAX_ZIP_BYTES / inflated


def test_an_overlapping_zip_bomb_is_charged_to_the_archive_budget(ws, alone):
    """A student's own archive (``eve_999_888_work.zip``, as ``optigrade grade -- *`` in an
    unpacked Canvas download passes it): 123 directory records sharing one 50 kB deflate
    stream that inflates to 50 MiB, three times the 2 GiB an archive may inflate. Each
    record declares a size of 0, is inflated to the per-entry limit before its size is found
    to differ, and a refused entry is never charged to the archive's budget: every record
    is inflated, in the main process, before anything is graded (20,000 records, the entry
    limit, would hold the batch for hours). The batch may take what inflating the budget
    takes, not more."""
    from autograder.intake.discover import MAX_ZIP_BYTES

    allowed = _seconds_to_inflate_the_archive_budget(ws.root)
    entries = 3 * MAX_ZIP_BYTES // (50 * 1024 * 1024)
    bomb = ws.add("eve_999_888_work.zip", _overlapping_bomb(entries))
    assert bomb.stat().st_size < 100_000
    before = ws.tree()
    # As `optigrade grade ... -- *` run in the submissions folder passes them.
    run = ws.grade(paths=sorted(ws.subs.iterdir()), timeout=900)
    contained(run, alone, before, ws)
    assert "999" in run.rows(), "the bomb's owner must be recorded, with its reason"
    assert run.seconds <= alone.seconds + 1.5 * allowed + 5, (
        f"a {bomb.stat().st_size}-byte archive held the batch for {run.seconds:.0f} s; the "
        f"bystanders alone take {alone.seconds:.0f} s and inflating the whole archive "
        f"budget ({MAX_ZIP_BYTES >> 20} MiB) takes {allowed:.0f} s"
    )


# == Demotion: a fresh session after the walk =================================================

#: Two children spin; once the sandbox is demoted (their nice is 19: the cell below runs past
#: the 1 s runaway mark), each forks a grandchild that calls ``setsid`` and spins, and exits.
#: The grandchild inherits nice 19, but ``setsid`` gives it a new autogroup at nice 0, which
#: it has to itself: with autogroup scheduling it is weighed as a whole session at full
#: priority, so the nice of its one thread changes nothing.
HOP_SESSION = src.hostile(
    """
    import os, time
    for _ in range(2):
        if os.fork() == 0:
            while True:
                if os.getpriority(os.PRIO_PROCESS, 0) >= 19:
                    if os.fork() == 0:
                        os.setsid()
                        _end = time.monotonic() + 6
                        while time.monotonic() < _end:
                            pass
                        os._exit(0)
                    os._exit(0)
    time.sleep(4)
    """
)


def _autogroups_escaping_demotion(stop: list[bool], found: dict[int, dict]) -> None:
    """Until ``stop``: every 0.1 s, the processes of this test's runs (its descendants) in a
    sandbox whose relay is demoted (nice 19) that run in a scheduling group (autogroup) that
    is not, for more than a second of samples in a row. The grader walks a demoted sandbox
    again every 0.2 s, and a walk can take a few tenths of a second on a loaded machine: a new
    session at full priority for a moment is the bound, one that stays there is the escape."""
    from tests.attacks import reaper

    own = os.readlink("/proc/self/ns/pid")
    lagging: dict[int, int] = {}  # pid -> samples in a row at full priority
    while not stop:
        by_ns: dict[str, list[dict]] = {}
        for pid in reaper.descendants(os.getpid()):
            info = reaper.describe(pid)
            if info and info["pidns"] and info["pidns"] != own and info["state"] not in "ZX":
                by_ns.setdefault(info["pidns"], []).append(info)
        now: dict[int, int] = {}
        for infos in by_ns.values():
            if not any(i["comm"] == "optigrade-rly" and i["nice"] >= 19 for i in infos):
                continue  # not demoted (yet)
            for info in infos:
                if info["autogroup_nice"] is not None and info["autogroup_nice"] < 19:
                    now[info["pid"]] = lagging.get(info["pid"], 0) + 1
                    if now[info["pid"]] > 10:
                        found[info["pid"]] = {
                            k: info[k] for k in ("comm", "nice", "autogroup_nice", "cpu")
                        }
        lagging = now
        time.sleep(0.1)


@pytest.mark.skipif(
    not Path("/proc/self/autogroup").exists(), reason="no autogroup scheduling in this kernel"
)
def test_a_session_made_after_demotion_is_demoted_too(ws, alone, ceiling):
    """Demotion walks the sandbox once and raises the autogroup of every session it finds;
    a process that calls ``setsid`` after the walk gets a new autogroup at nice 0 and, alone
    in it, takes a core at full priority until the sandbox ends."""
    import threading

    ws.add("hopper.py", HOP_SESSION)
    before = ws.tree()
    stop: list[bool] = []
    escaped: dict[int, dict] = {}
    sampler = threading.Thread(target=_autogroups_escaping_demotion, args=(stop, escaped))
    sampler.start()
    try:
        run = ws.grade("--timeout-cell", "15", timeout=240)
    finally:
        stop.append(True)
        sampler.join()
    contained(run, alone, before, ws)
    h.assert_no_point_unearned(run.rows().get("hopper"), ceiling, "hopper")
    assert not escaped, (
        f"processes of a demoted sandbox run in a session at full priority: {escaped}"
    )


#: Runs the rest of its arguments in a session keyring of its own holding one "user" key:
#: the session a TA's login gives (``pam_keyinit``), where Kerberos tickets, ecryptfs and
#: AFS tokens live. ``sys.argv[1:3]``: the key's description and its secret.
_IN_A_SESSION_KEYRING = r"""
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
assert libc.syscall(250, 1, b"optigrade-rt-session") > 0  # KEYCTL_JOIN_SESSION_KEYRING
secret = sys.argv[2].encode()
assert libc.syscall(248, b"user", sys.argv[1].encode(), secret, len(secret), -3) > 0
os.execvp(sys.argv[3], sys.argv[3:])
"""


def session_key_reader(description: str) -> str:
    """Finds a key in the session keyring it inherited and shows its payload in its own
    feedback (the message of an exception of a cell)."""
    return src.hostile(
        _KEYS,
        f"""
        _key = _libc.syscall(_SYS_keyctl, _KEYCTL_SEARCH, -3, b"user", {description.encode()!r}, 0)
        _buf = ctypes.create_string_buffer(4096)
        _n = _libc.syscall(_SYS_keyctl, _KEYCTL_READ, _key, _buf, len(_buf)) if _key > 0 else 0
        raise ValueError("the TA's key: " + _buf.raw[: max(_n, 0)].decode(errors="replace"))
        """,
    )


@pytest.mark.skipif(not Path("/proc/keys").exists(), reason="no kernel keyrings")
def test_the_tas_session_keyring_is_out_of_reach(ws, alone, ceiling):
    """The TA runs ``optigrade grade`` from a login whose session keyring holds a secret; a
    sandbox inherits that session keyring (namespaces and ``setsid`` do not change it) and
    can read and write every key in it."""
    import sys

    description = f"optigrade-rt-{os.urandom(6).hex()}"
    secret = f"krb5-ticket-{os.urandom(8).hex()}"
    ws.add("reader.py", session_key_reader(description))
    before = ws.tree()
    prefix = [sys.executable, "-c", _IN_A_SESSION_KEYRING, description, secret]
    run = ws.grade(prefix=prefix)
    contained(run, alone, before, ws)
    h.assert_no_point_unearned(run.rows().get("reader"), ceiling, "reader")
    assert "reader" in run.rows()
    assert secret not in h.all_output_text(ws.out), "a sandbox read the TA's session keyring"


# == Reading a submission: nbformat's pace, outside every time limit ==========================


def old_notebook_of_many_cells(code: str, cells: int) -> str:
    """A version-3 notebook: one code cell, then ``cells`` one-letter Markdown cells
    (about 60 bytes each)."""
    import json

    first = {"cell_type": "code", "input": code, "language": "python", "outputs": []}
    first |= {"metadata": {}, "collapsed": False}
    rest = [{"cell_type": "markdown", "source": "a", "metadata": {}}] * cells
    worksheet = {"cells": [first, *rest], "metadata": {}}
    return json.dumps(
        {"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": ""}, "worksheets": [worksheet]}
    )


def test_an_old_notebook_of_many_cells_keeps_the_time_budget(ws, alone, ceiling):
    """A 9 MB nbformat-3 notebook (150,000 Markdown cells): notebooks of another version than
    4 are upgraded and validated by nbformat, about 0.3 ms a cell, in the worker before the
    sandbox starts and outside every time limit (a 50 MB one, the file limit, holds a worker
    for minutes). A version-4 notebook of the same size is read in a fraction of a second."""
    ws.add("old.ipynb", old_notebook_of_many_cells(src.BASE, 150_000))
    before = ws.tree()
    budget = 6.0
    run = ws.grade("--timeout-submission", str(budget), timeout=600)
    contained(run, alone, before, ws)
    h.assert_no_point_unearned(run.rows().get("old"), ceiling, "old")
    held = {s["student"]: s["seconds"] for s in run.summary()["slowest"]}
    assert held.get("old", 0) <= budget * 1.25 + 1, (
        f"a worker spent {held.get('old')} s on one submission against a {budget} s budget"
    )
