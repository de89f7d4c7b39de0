"""``optigrade doctor``: which isolation layers hold on this machine, proven by probes; and
:func:`gate`, which ``optigrade grade`` asks before it grades anything.

It starts a real zygote and real sandboxes and runs hostile probes in them as student code would
(read the solutions by path and by ``import solutions``, read a hidden suite, list
site-packages, open a TCP connection, signal the grader, see another process's command line,
leave System V shared memory for the next sandbox, fork past the process cap, fork a tree past
the memory cap, fill the scratch space, add a key to the user keyring, create a user
namespace), then reports each layer as the kernel reported it and
each probe as it actually ended.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autograder.sandbox import landlock
from autograder.sandbox.backend import open_backend
from autograder.sandbox.client import Sandbox, SandboxFailure, StudentError, Timeouts
from autograder.sandbox.isolation import Limits
from optigrade.i18n import Text


@dataclass(frozen=True)
class MissingLayer:
    layer: str  # a stable name, e.g. "mount_namespace", "memory_cgroup", "landlock_fs"
    allows: Text  # bilingual: what a hostile submission could do while it is missing


#: The layers the threat model relies on, and what a hostile submission can do without each.
#: Landlock (``landlock_*``) and the UTS namespace are second layers behind these: the doctor
#: shows them, the gate does not ask for them.
ALLOWS: dict[str, Text] = {
    "mount_namespace": Text(
        ko="학생 코드가 채점기가 읽을 수 있는 파일을 읽을 수 있습니다(Landlock이 막는 곳 제외): "
        "모범 답안, 숨겨진 테스트, 다른 학생의 제출물, site-packages 전체",
        en="student code can read whatever the grader can read (except where Landlock stops "
        "it): the reference solutions, the hidden suites, other students' submissions, all of "
        "site-packages",
    ),
    "scratch_quota": Text(
        ko="제출물이 작업 디렉터리에 파일을 써서 채점기의 디스크를 채울 수 있고(그러면 채점 전체가 "
        "ENOSPC로 멈춤), 남긴 파일이 디스크에 남습니다",
        en="a submission can fill the grader's disk through its working directory (the batch "
        "then stops on ENOSPC), and what it writes is left on disk",
    ),
    "pid_namespace": Text(
        ko="학생 코드가 채점기의 프로세스를 보고 신호를 보낼 수 있으며, "
        "띄운 프로세스가 샌드박스보다 오래 살아남을 수 있습니다",
        en="student code can see and signal the grader's processes, and processes it starts "
        "can outlive its sandbox",
    ),
    "network_namespace": Text(
        ko="학생 코드가 네트워크에 연결할 수 있습니다(테스트를 밖으로 보내거나 답을 받아 오기)",
        en="student code can open network connections (send the tests out, fetch answers)",
    ),
    "ipc_namespace": Text(
        ko="System V 공유 메모리, 세마포어, 메시지 큐를 샌드박스끼리 공유합니다: 한 학생의 코드가 "
        "다음 학생의 코드에 닿고, 채점이 끝난 뒤에도 남습니다",
        en="System V shared memory, semaphores and message queues are shared between "
        "sandboxes: one student's code reaches the next student's, and they outlive the grader",
    ),
    "no_capabilities": Text(
        ko="학생 코드가 root 권한으로 실행됩니다", en="student code runs with root's powers"
    ),
    "process_limit": Text(
        ko="포크 폭탄이 기계의 프로세스를 다 써서 채점 전체를 멈출 수 있습니다",
        en="a fork bomb can exhaust the machine's processes and stop the batch",
    ),
    "memory_cgroup": Text(
        ko="포크하는 제출물이 메모리 한도의 몇 배를 쓸 수 있습니다(한도가 프로세스마다 따로): "
        "기계를 메모리 부족으로 몰 수 있습니다",
        en="a submission that forks can hold a multiple of the memory cap (each process has "
        "its own), enough to drive the machine out of memory",
    ),
    "rlimits": Text(
        ko="프로세스마다 CPU 시간, 파일 크기, 열린 파일 수의 한도가 없습니다",
        en="no per-process cap on CPU time, file size or open files",
    ),
    "seccomp": Text(
        ko="학생 코드가 커널 키링을 쓸 수 있습니다(키링은 사용자 단위라 다음 학생의 코드에 닿고, "
        "조교의 세션 키를 읽을 수 있음). 새 사용자·마운트 네임스페이스, 다른 프로세스 추적, "
        "io_uring, bpf, 다른 CPU 코어로 옮기기도 막히지 않습니다",
        en="student code can use the kernel keyrings (per user, so they reach the next "
        "student's code and the TA's session keys), and create user and mount namespaces, "
        "trace other processes, use io_uring and bpf, or move to other cores",
    ),
}
#: Probe -> the layer it proves.
_PROBE_LAYER = {
    "read the reference solutions": "mount_namespace",
    "import solutions": "mount_namespace",
    "read a hidden suite": "mount_namespace",
    "list site-packages": "mount_namespace",
    "open a TCP connection": "network_namespace",
    "signal the grader": "pid_namespace",
    "see another process's command line": "pid_namespace",
    "leave System V shared memory for the next sandbox": "ipc_namespace",
    "fork past the process cap": "process_limit",
    "fork a tree past the memory cap": "memory_cgroup",
    "fill the scratch space": "scratch_quota",
    "use the kernel keyring": "seccomp",
    "create a user namespace": "seccomp",
}

#: The probing sandbox's limits: small, so that the probes that fill them take milliseconds.
PROBE_LIMITS = Limits(memory_mb=128, processes=8, scratch_mb=8)
#: One child fits under PROBE_LIMITS with the sandbox itself; two exceed it by 72 MiB, more than
#: the caches and reclaimable kernel memory charged to a zygote's cgroup that the kernel can
#: drop to make room (with 72 MiB children, 16 MiB of those made the probe fail under load).
_CHILD_MB = 100

_PROBES = """
import ctypes, errno, os, signal, socket, time

_libc = ctypes.CDLL(None, use_errno=True)
_libc.shmat.restype = ctypes.c_void_p


def _attempt(action):
    try:
        return "NOT BLOCKED", repr(action())[:80]
    except BaseException as exc:
        return "blocked", f"{type(exc).__name__}: {str(exc)[:60]}"


def read_file(path):
    return _attempt(lambda: open(path).read()[:20])


def import_solutions():
    def action():
        import importlib
        return sorted(vars(importlib.import_module("solutions.optimizers")))[:5]
    return _attempt(action)


def list_folder(path, allowed):
    try:
        seen = sorted(os.listdir(path))
    except OSError as exc:
        return "blocked", f"{type(exc).__name__}: {str(exc)[:60]}"
    extra = [name for name in seen if name not in allowed]
    return ("NOT BLOCKED" if extra else "blocked"), f"sees {seen[:8]}"


def keyring():
    # add_key(2) into the user keyring (-4): no capability needed, and shared by every
    # process of this uid, whatever its namespaces.
    _libc.syscall.restype = ctypes.c_long
    number = {"x86_64": 248, "aarch64": 217}.get(os.uname().machine)
    if number is None:
        return "NOT BLOCKED", "no known add_key number to try on this machine"
    key = _libc.syscall(number, b"user", b"optigrade-doctor", b"x", 1, ctypes.c_int(-4))
    if key < 0:
        return "blocked", os.strerror(ctypes.get_errno())
    _libc.syscall({"x86_64": 250, "aarch64": 219}[os.uname().machine], 21, key)  # unlink
    return "NOT BLOCKED", f"added key {key}"


def user_namespace():
    pid = os.fork()
    if pid == 0:  # in a child: a sandbox that got one would stay in it
        os._exit(0 if _libc.unshare(0x10000000) == 0 else 1)
    made = os.waitpid(pid, 0)[1] == 0
    return ("NOT BLOCKED", "unshare(CLONE_NEWUSER) succeeded") if made else ("blocked", "refused")


def connect(port):
    def action():
        socket.create_connection(("127.0.0.1", port), timeout=1)
        return "connected"
    return _attempt(action)


def signal_pid(pid):
    return _attempt(lambda: os.kill(pid, 0) or "allowed")


def cmdline(pid):
    def action():
        return open(f"/proc/{pid}/cmdline", "rb").read()[:40]
    outcome = _attempt(action)
    if outcome[0] == "blocked":
        try:
            listed = os.listdir("/proc")
            return "NOT BLOCKED", f"/proc lists {listed[:6]}"
        except OSError:
            pass
    return outcome


def shm_leave(key):
    shmid = _libc.shmget(key, 4096, 0o1600)  # IPC_CREAT | 0600
    if shmid < 0:
        return "error", os.strerror(ctypes.get_errno())
    address = _libc.shmat(shmid, None, 0)
    ctypes.memmove(address, b"left by the previous student", 28)
    return "left", str(shmid)


def shm_find(key):
    shmid = _libc.shmget(key, 0, 0)
    if shmid < 0:
        return "blocked", "the segment is not there: " + os.strerror(ctypes.get_errno())
    address = _libc.shmat(shmid, None, 0)
    return "NOT BLOCKED", ctypes.string_at(address, 28).decode(errors="replace")


def fork_many(cap):
    children = []
    try:
        for _ in range(cap + 8):
            pid = os.fork()
            if pid == 0:
                time.sleep(5)
                os._exit(0)
            children.append(pid)
        return "NOT BLOCKED", f"{len(children)} processes started under a cap of {cap}"
    except OSError as exc:
        return "blocked", f"fork refused after {len(children)}: {exc.strerror}"
    finally:
        for pid in children:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def memory_tree(children, megabytes, cap):
    # One child after another touches its megabytes, says so on the pipe and holds them. Under
    # a cap for the whole tree no two can hold theirs at once (the kernel kills the larger).
    read_end, write_end = os.pipe()
    pids, dead = [], set()

    def alive(pid):
        if pid not in dead and os.waitpid(pid, os.WNOHANG) != (0, 0):
            dead.add(pid)
        return pid not in dead

    os.set_blocking(read_end, False)
    reported = set()
    for _ in range(children):
        pid = os.fork()
        if pid == 0:
            os.close(read_end)
            try:
                block = bytearray(megabytes << 20)
                for at in range(0, len(block), 4096):
                    block[at] = 1
                os.write(write_end, b"x")
                time.sleep(10)
            finally:
                os._exit(0)
        pids.append(pid)
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline and alive(pid) and pid not in reported:
            try:
                if os.read(read_end, 1):
                    reported.add(pid)
            except BlockingIOError:
                time.sleep(0.005)
    holding = [pid for pid in reported if alive(pid)]
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    os.close(read_end)
    os.close(write_end)
    verdict = "NOT BLOCKED" if len(holding) * megabytes > cap else "blocked"
    return verdict, (
        f"{len(holding)} of {children} children held {megabytes} MiB each at once, "
        f"{len(reported)} got there (cap {cap} MiB for the tree)"
    )


def fill_scratch(quota_mb):
    written, chunk = 0, b"x" * (1 << 20)
    limit = 4 * quota_mb << 20
    try:
        n = 0
        while written < limit:
            with open(f"fill-{n}", "wb") as handle:
                for _ in range(4):
                    written += handle.write(chunk)
            n += 1
        return "NOT BLOCKED", f"wrote {written >> 20} MiB, no quota met"
    except OSError as exc:
        code = errno.errorcode.get(exc.errno, str(exc.errno))
        ok = exc.errno in (errno.ENOSPC, errno.EDQUOT) and written <= (quota_mb + 1) << 20
        return ("blocked" if ok else "NOT BLOCKED"), f"{code} after {written >> 20} MiB"
    finally:
        for name in os.listdir("."):
            if name.startswith("fill-"):
                os.unlink(name)
"""


def _grader_paths() -> dict[str, str]:
    """Paths the probes try, as the grader sees them."""
    paths: dict[str, str] = {}
    spec = importlib.util.find_spec("solutions")
    if spec and spec.submodule_search_locations:
        paths["solutions"] = str(
            Path(next(iter(spec.submodule_search_locations))) / "optimizers.py"
        )
    spec = importlib.util.find_spec("autograder.suites")
    if spec and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations)))
        suite = next(iter(sorted(folder.rglob("test_*.py"))), folder / "__init__.py")
        paths["suite"] = str(suite)
    import numpy

    site_packages = Path(numpy.__file__).parent.parent
    paths["site-packages"] = str(site_packages)
    return paths


def _run_probes() -> tuple[dict[str, bool], dict[str, str]]:
    """One zygote, two sandboxes: the layers the first reported, and each probe's outcome."""
    paths = _grader_paths()
    key = secrets.randbelow(1 << 30) + 1
    grader_pid = os.getpid()
    calls: list[tuple[str, str, list]] = [
        ("read the reference solutions", "read_file", [paths.get("solutions", "/nonexistent")]),
        ("import solutions", "import_solutions", []),
        ("read a hidden suite", "read_file", [paths.get("suite", "/nonexistent")]),
        ("list site-packages", "list_folder", [paths["site-packages"], ["numpy", "numpy.libs"]]),
        ("open a TCP connection", "connect", [22]),
        ("signal the grader", "signal_pid", [grader_pid]),
        ("see another process's command line", "cmdline", [grader_pid]),
        ("fork past the process cap", "fork_many", [PROBE_LIMITS.processes]),
        (
            "fork a tree past the memory cap",
            "memory_tree",
            [3, _CHILD_MB, PROBE_LIMITS.memory_mb],
        ),
        ("fill the scratch space", "fill_scratch", [PROBE_LIMITS.scratch_mb]),
        ("use the kernel keyring", "keyring", []),
        ("create a user namespace", "user_namespace", []),
    ]
    results: dict[str, str] = {}
    layers: dict[str, bool] = {}
    timeouts = Timeouts(call=8, load=8, submission=60)
    sandboxes = open_backend()
    try:
        with sandboxes.sandbox([_PROBES], PROBE_LIMITS, timeouts) as sandbox:
            layers = {k: bool(v) for k, v in sandbox.layers.items()}
            for name, function, arguments in calls:
                results[name] = _outcome(sandbox, function, arguments)
            left = _outcome(sandbox, "shm_leave", [key])
        with sandboxes.sandbox([_PROBES], PROBE_LIMITS, timeouts) as sandbox:
            found = _outcome(sandbox, "shm_find", [key])
    finally:
        sandboxes.close()
    name = "leave System V shared memory for the next sandbox"
    survivor = _grader_segment(key)
    if not left.startswith("left"):
        results[name] = f"not run ({left})"
    elif survivor:
        results[name] = f"NOT BLOCKED (the segment outlived its sandbox; {found})"
    else:
        results[name] = found
    return layers, results


def _outcome(sandbox: Sandbox, function: str, arguments: list) -> str:
    try:
        reply = sandbox.call(function, None, arguments, {}).get("value")
    except StudentError as exc:  # the probe itself failed: it proved nothing
        return f"error ({exc.exc_type}: {exc.message[:60]})"
    except SandboxFailure as exc:
        return f"blocked (the sandbox was stopped: {exc.reason})"
    if isinstance(reply, list) and len(reply) == 2:
        return f"{reply[0]} ({reply[1]})"
    return f"NOT BLOCKED ({reply!r:.80})"


def _grader_segment(key: int) -> bool:
    """Whether a System V segment with ``key`` exists here, in the grader's own IPC
    namespace (removed if so: the probe must not leave it behind either)."""
    libc = ctypes.CDLL(None, use_errno=True)
    shmid = libc.shmget(key, 0, 0)
    if shmid < 0:
        return False
    libc.shmctl(shmid, 0, None)  # IPC_RMID
    return True


def diagnose() -> dict[str, Any]:
    """The doctor's findings: the layers a sandbox reported, each probe's outcome, and the
    missing layers as :func:`gate` names them (``missing``, in both languages)."""
    layers, probes = _run_probes()
    missing = _missing(layers, probes)
    return {
        "landlock_abi": landlock.abi_version(),
        "running_as_root": os.getuid() == 0,
        "layers": layers,
        "probes": probes,
        "missing": [
            {"layer": m.layer, "allows": {"ko": m.allows.ko, "en": m.allows.en}} for m in missing
        ],
    }


def gate() -> list[MissingLayer]:
    """Start one real sandbox, read the layers it reports and run the probes; [] if all hold."""
    layers, probes = _run_probes()
    return _missing(layers, probes)


def _missing(layers: dict[str, bool], probes: dict[str, str]) -> list[MissingLayer]:
    missing = [MissingLayer(name, text) for name, text in ALLOWS.items() if not layers.get(name)]
    named = {m.layer for m in missing}
    for probe, outcome in probes.items():
        layer = _PROBE_LAYER.get(probe, probe)
        if not outcome.startswith("blocked") and layer not in named:
            named.add(layer)
            allows = ALLOWS.get(layer)
            with contextlib.suppress(ValueError):
                allows = Text(
                    ko=f"'{probe}' 시도가 막히지 않았습니다: {outcome[:120]}",
                    en=f"the probe '{probe}' got through: {outcome[:120]}",
                )
            missing.append(MissingLayer(layer, allows))
    return missing
