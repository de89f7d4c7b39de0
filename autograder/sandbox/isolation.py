"""Locking a freshly forked sandbox down, layer by layer, and saying which layers hold.

The layers, from outside in:

* namespaces (``unshare``): a PID namespace, so that killing the sandbox's first process kills
  everything the student started and nothing outside can be named by PID; a network namespace
  with no interfaces up; a user namespace where we are not root (it is what lets an ordinary
  user create the other two);
* no capabilities when the grader runs as root (uid 0 stays, so that the interpreter under a
  private home directory remains readable, but without any of root's powers), and a ``pids``
  cgroup (one per zygote, which its sandboxes are born in, one at a time) that caps the number
  of processes, because the kernel never applies RLIMIT_NPROC to uid 0;
* resource limits (``setrlimit``): CPU seconds, address space, file size, open files, and
  processes for ordinary users;
* Landlock: read-only access to the Python installation, read-write to the scratch directory,
  nothing else; no TCP; no signals out of the sandbox.

Each layer that the machine does not offer is reported, never faked: see ``optigrade doctor``.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import resource
import signal
import sys
import sysconfig
import time
from dataclasses import dataclass

from autograder.sandbox import landlock

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)
_PR_CAPBSET_DROP = 24
_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_CAP_LAST = 63
CGROUP_PIDS_ROOTS = ("/sys/fs/cgroup/pids", "/sys/fs/cgroup")
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Limits:
    """Resource budget of one sandbox (one submission)."""

    cpu_seconds: int = 60
    memory_mb: int = 1024
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 32


@dataclass
class Layers:
    """Which isolation layers are in force inside a sandbox."""

    user_namespace: bool = False
    pid_namespace: bool = False
    network_namespace: bool = False
    no_capabilities: bool = False
    process_limit: bool = False
    rlimits: bool = False
    landlock_fs: bool = False
    landlock_tcp: bool = False
    landlock_signal_scope: bool = False

    def as_dict(self) -> dict[str, bool]:
        # Not dataclasses.asdict: it deep-copies field by field, Python work that each
        # sandbox would do (and pay for in page faults, see lock_down) for nine booleans.
        return dict(vars(self))


def enter_namespaces(layers: Layers) -> None:
    """Called in the sandbox's parent: new PID/net (and user) namespaces for its next child.

    For an ordinary user, whose new user namespace cannot be left again: the parent is then a
    short-lived *monitor* between the zygote and the sandbox (see :class:`ZygoteNamespaces`
    for root, which needs no monitor).
    """
    uid, gid = os.getuid(), os.getgid()
    flags = CLONE_NEWPID | CLONE_NEWNET
    if uid != 0:
        flags |= CLONE_NEWUSER
    if _libc.unshare(flags) != 0:
        # Some machines forbid unprivileged user namespaces (and containers may forbid
        # namespaces even to root): carry on with the other layers, reported as missing.
        return
    if uid != 0:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
        layers.user_namespace = True
    layers.pid_namespace = layers.network_namespace = True


class ZygoteNamespaces:
    """Namespaces for sandboxes forked straight from a zygote running as root.

    The zygote moves once into a network namespace of its own, with no interface up, which
    its sandboxes share one after another: a process without capabilities cannot configure
    it, and whatever a sandbox opens in it (sockets) dies with the sandbox's processes, all
    killed before the next sandbox starts. Each sandbox is forked into a new PID namespace,
    after which the zygote returns to its own (``setns``, which needs root). One fork per
    sandbox instead of two, and no network namespace built and torn down per submission.
    """

    def __init__(self) -> None:
        """Raises ``OSError`` where this cannot work (not root, or namespaces forbidden)."""
        if os.getuid() != 0:
            raise PermissionError("forking into PID namespaces and back needs root")
        self._home = os.open("/proc/self/ns/pid", os.O_RDONLY | os.O_CLOEXEC)
        try:
            if _libc.unshare(CLONE_NEWPID) != 0:  # a trial: may we, and may we come back?
                raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID) failed")
            self._return()
        except OSError:
            os.close(self._home)
            raise
        self.network = _libc.unshare(CLONE_NEWNET) == 0

    def fork(self, layers: Layers) -> int:
        """``os.fork()`` with the child as PID 1 of a new PID namespace; raises ``OSError``."""
        if _libc.unshare(CLONE_NEWPID) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWPID) failed")
        layers.pid_namespace, layers.network_namespace = True, self.network
        try:
            pid = os.fork()
        except OSError:
            self._return()
            raise
        if pid != 0:
            self._return()
        return pid

    def _return(self) -> None:
        if _libc.setns(self._home, CLONE_NEWPID) != 0:
            raise OSError(ctypes.get_errno(), "setns back to the zygote's PID namespace failed")


def name_process(name: str) -> None:
    """Name this process as ``ps`` and ``top`` show it (at most 15 bytes are kept)."""
    _libc.prctl(_PR_SET_NAME, name.encode()[:15], 0, 0, 0)


def die_with_parent(signum: int = signal.SIGTERM) -> None:
    """Have the kernel send ``signum`` to this process when its parent exits (Linux)."""
    with contextlib.suppress(AttributeError):  # no prctl: nothing to ask for
        _libc.prctl(_PR_SET_PDEATHSIG, signum, 0, 0, 0)


def become_subreaper() -> None:
    """Adopt this process's orphaned descendants (its sandboxes, once their monitor exits)."""
    _libc.prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


@functools.cache
def python_read_paths() -> list[str]:
    """Where the interpreter, the standard library and installed packages live."""
    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(sys.executable)}
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        paths.add(sysconfig.get_paths()[name])
    paths.update(p for p in sys.path if "site-packages" in p or "dist-packages" in p)
    # Shared libraries that numpy and the interpreter may still load lazily.
    paths.update(("/usr/lib", "/lib", "/lib64", "/usr/lib64", "/usr/share/zoneinfo"))
    paths.update(("/dev/null", "/dev/urandom", "/dev/zero"))
    return sorted(p for p in paths if p)


#: The environment a sandbox starts with, its scratch directory as ``HOME`` and ``TMPDIR``
#: aside. The zygote takes it on once numpy is imported (:func:`settle_environment`).
SANDBOX_ENVIRONMENT = {"LANG": "C.UTF-8", "PATH": "/usr/bin:/bin"}


#: Set once :func:`settle_environment` has run in this process (or the zygote it is a fork of).
_environment_settled = False


def settle_environment() -> None:
    """Give this process the sandboxes' environment (in the zygote, after its imports).

    Every sandbox is a fork of the zygote; what the zygote has done once, none of them
    redoes. That matters here: each page a sandbox writes to costs it a copy-on-write fault,
    about 5 µs on a virtual machine that shadows page tables, and the Python work of
    rewriting ``os.environ`` alone wrote to about 50 pages.
    """
    global _environment_settled
    os.environ.clear()
    os.environ.update(SANDBOX_ENVIRONMENT)
    _environment_settled = True


def lock_down(scratch: str, limits: Limits, layers: Layers) -> None:
    """Called in the sandbox itself, before any student code runs. Irreversible.

    Cheap by design, as it runs once per submission: what does not depend on the sandbox
    (the capability bounding set, the environment) the zygote has done for all its sandboxes
    (:func:`drop_bounding_set`, :func:`settle_environment`); this checks, and only redoes
    what a process that was not prepared so still needs.
    """
    read_paths = python_read_paths()
    _set_rlimits(limits, layers)
    if os.getuid() == 0:
        _drop_capabilities()
        layers.no_capabilities = True
    try:
        held = landlock.restrict(read_paths, [scratch])
    except landlock.LandlockError:
        held = {}
    for name, value in held.items():
        setattr(layers, name, value)
    os.chdir(scratch)
    if not _environment_settled:
        settle_environment()
    os.environ["HOME"] = os.environ["TMPDIR"] = scratch


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


#: Set once this process (or the zygote it was forked from) has emptied its bounding set.
_bounding_set_dropped = False


def drop_bounding_set() -> None:
    """Empty the capability bounding set: no ``execve`` can give this process or its
    descendants a capability again, not even as uid 0.

    The zygote does it once for all its sandboxes: it needs its own capabilities (namespaces,
    cgroups) but never executes a program, and the bounding set only limits what an
    ``execve`` grants. In each sandbox it was 64 ``prctl`` calls through ctypes.
    """
    global _bounding_set_dropped
    for cap in range(_CAP_LAST + 1):
        _libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly past the last cap
    _bounding_set_dropped = True


#: The arguments of the ``capset`` that clears every capability, built where the zygote
#: imports this module rather than in each sandbox.
_NO_CAPABILITIES = (_CapHeader(version=0x20080522, pid=0), (_CapData * 2)())  # version 3
# Looked up here, not in each sandbox; absent outside Linux (importing must still work there).
_capset = getattr(_libc, "capset", None)


def _drop_capabilities() -> None:
    if not _bounding_set_dropped:
        drop_bounding_set()
    if _capset is None:
        raise OSError("capset is not available on this system")
    header, data = _NO_CAPABILITIES
    if _capset(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def zygote_cgroup_name(pid: int) -> str:
    return f"zygote-{pid}"


def zygote_cgroup_paths(pid: int) -> list[str]:
    """Where a zygote's cgroup may be, to remove it once the zygote is gone."""
    return [os.path.join(root, "optigrade", zygote_cgroup_name(pid)) for root in CGROUP_PIDS_ROOTS]


def remove_abandoned_cgroups() -> None:
    """Remove the (empty) cgroups of zygotes that were killed before they could do it."""
    for root in CGROUP_PIDS_ROOTS:
        folder = os.path.join(root, "optigrade")
        with contextlib.suppress(OSError):
            for name in os.listdir(folder):
                pid = name.removeprefix("zygote-")
                if pid.isdigit() and not os.path.exists(f"/proc/{pid}"):
                    with contextlib.suppress(OSError):  # not empty: not abandoned after all
                        os.rmdir(os.path.join(folder, name))


def leave_and_remove_cgroup(path: str) -> None:
    """Move this process back to the hierarchy's root and remove its (emptied) cgroup."""
    root = os.path.dirname(os.path.dirname(path))  # <root>/optigrade/<name>
    with contextlib.suppress(OSError):
        _write(os.path.join(root, "cgroup.procs"), str(os.getpid()))
        remove_cgroup(path, wait=1.0)


class PidsCounter:
    """A ``pids`` cgroup's counter and cap, each file kept open.

    The zygote reads one and sets the other before every sandbox: with a file object per
    access, that was Python work in the process every sandbox is forked from, hence pages
    it wrote to (and a copy-on-write fault each) after every fork.
    """

    def __init__(self, path: str) -> None:
        """Raises ``OSError`` if the cap cannot be opened (the counter may be missing)."""
        self._max = os.open(os.path.join(path, "pids.max"), os.O_WRONLY | os.O_CLOEXEC)
        try:
            current = os.open(os.path.join(path, "pids.current"), os.O_RDONLY | os.O_CLOEXEC)
        except OSError:
            current = None  # no counter: nothing to wait for
        self._current = current

    def set_max(self, limit: int) -> None:
        os.pwrite(self._max, str(limit).encode(), 0)

    def await_at_most(self, at_most: int, timeout: float = 2.0) -> bool:
        """Wait (briefly) until the cgroup holds at most ``at_most`` processes; say if it
        does."""
        if self._current is None:
            return True
        deadline = time.monotonic() + timeout
        while True:
            try:
                if int(os.pread(self._current, 32, 0)) <= at_most:
                    return True
            except (OSError, ValueError):
                return True  # the cgroup is gone: nothing to wait for
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)


def join_pids_cgroup(name: str, limit: int | str) -> str | None:
    """Put this process (and so its future children) in a new ``pids`` cgroup.

    Returns the cgroup's path, to be removed once its processes are gone, or ``None`` where no
    writable pids controller exists (then only RLIMIT_NPROC, if anything, limits forks).
    """
    for root in CGROUP_PIDS_ROOTS:
        if not os.path.exists(os.path.join(root, "pids.max")) and not os.path.exists(
            os.path.join(root, "cgroup.procs")
        ):
            continue
        path = os.path.join(root, "optigrade", name)
        try:
            os.makedirs(path, exist_ok=True)
            _write(os.path.join(path, "pids.max"), str(limit))
            _write(os.path.join(path, "cgroup.procs"), str(os.getpid()))
        except OSError:
            with contextlib.suppress(OSError):
                os.rmdir(path)
            continue
        return path
    return None


def remove_cgroup(path: str, wait: float = 0.0) -> None:
    """Remove a zygote's cgroup, retrying for up to ``wait`` seconds while processes in it
    are still exiting (a cgroup with processes cannot be removed)."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.01)


def _set_rlimits(limits: Limits, layers: Layers) -> None:
    mib = 1024 * 1024
    # The address-space cap is on top of what the interpreter and numpy already mapped.
    statm = os.open("/proc/self/statm", os.O_RDONLY)  # no file object: see lock_down
    try:
        mapped = int(os.read(statm, 200).split()[0]) * _PAGE_SIZE
    finally:
        os.close(statm)
    caps = {
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_AS: mapped + limits.memory_mb * mib,
        resource.RLIMIT_FSIZE: limits.file_size_mb * mib,
        resource.RLIMIT_NOFILE: limits.open_files,
        resource.RLIMIT_CORE: 0,
        # No raising of its own CPU priority: the grader demotes runaway sandboxes for good.
        resource.RLIMIT_NICE: 0,
    }
    if os.getuid() != 0:  # the kernel never applies RLIMIT_NPROC to uid 0
        caps[resource.RLIMIT_NPROC] = _processes_of_this_user() + limits.processes
        layers.process_limit = True
    for which, value in caps.items():
        resource.setrlimit(which, (value, value))
    layers.rlimits = True


def _processes_of_this_user() -> int:
    # RLIMIT_NPROC counts every process of the real uid, the grader's included.
    uid = os.getuid()
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            with contextlib.suppress(OSError):  # the process may be gone already
                count += os.stat(f"/proc/{entry}").st_uid == uid
    return count
