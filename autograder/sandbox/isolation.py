"""Locking a freshly forked sandbox down, layer by layer, and saying which layers hold.

The layers, from outside in:

* its own file system (:mod:`autograder.sandbox.world`): the standard library, numpy, the
  libraries they load and three devices, read-only, in a mount namespace built once per zygote;
  a size-limited tmpfs per sandbox as its scratch (working directory, ``HOME``, ``TMPDIR``);
* namespaces: a PID namespace, so that killing the sandbox's first process kills everything
  the student started and nothing outside can be named by PID; a network namespace with no
  interface up; IPC and UTS namespaces of its own (System V shared memory, semaphores and
  message queues of one sandbox are invisible to the next and gone with it); for an ordinary
  user, the zygote's user namespace, which is what lets it create the others;
* no capabilities (uid 0 stays for a root grader, so that an interpreter under a private home
  directory remains readable, but without any of root's powers);
* cgroups (:mod:`autograder.sandbox.cgroups`): one ``pids`` and one ``memory`` cgroup per zygote,
  which its sandboxes are born in one at a time, capping the processes and the memory of the
  sandbox's whole tree (the kernel never applies RLIMIT_NPROC to uid 0, and rlimits on memory
  are per process); the out-of-memory killer picks the sandbox's processes, never the zygote;
* resource limits (``setrlimit``): CPU seconds, address space, file size, open files, and
  processes for ordinary users;
* Landlock: read-only access to the same paths as the sandbox's file system, read-write to its
  scratch, nothing else; no TCP; no signals out of the sandbox.

Each layer that the machine does not offer is reported, never faked: see ``optigrade doctor``.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import resource
import signal
from dataclasses import dataclass

from autograder.sandbox import cgroups, landlock, seccomp

CLONE_NEWNS, CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x20000, 0x10000000, 0x20000000, 0x40000000
CLONE_NEWIPC, CLONE_NEWUTS = 0x08000000, 0x04000000
_libc = ctypes.CDLL(None, use_errno=True)
_PR_CAPBSET_DROP = 24
_PR_SET_NAME = 15
_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38
_CAP_LAST = 63
_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


@dataclass(frozen=True)
class Limits:
    """Resource budget of one sandbox (one submission)."""

    cpu_seconds: int = 60
    #: The whole tree of the sandbox's processes together (its scratch files included, which
    #: live in memory) where the memory cgroup holds; each process alone otherwise.
    memory_mb: int = 1024
    file_size_mb: int = 16
    open_files: int = 64
    processes: int = 32
    #: The size of the sandbox's scratch tmpfs (its working directory, HOME and TMPDIR).
    scratch_mb: int = 64


@dataclass
class Layers:
    """Which isolation layers are in force inside a sandbox."""

    mount_namespace: bool = False
    scratch_quota: bool = False
    user_namespace: bool = False
    pid_namespace: bool = False
    network_namespace: bool = False
    ipc_namespace: bool = False
    uts_namespace: bool = False
    no_capabilities: bool = False
    process_limit: bool = False
    memory_cgroup: bool = False
    rlimits: bool = False
    landlock_fs: bool = False
    landlock_tcp: bool = False
    landlock_signal_scope: bool = False
    seccomp: bool = False

    def as_dict(self) -> dict[str, bool]:
        # Not dataclasses.asdict: it deep-copies field by field, Python work that each
        # sandbox would do (and pay for in page faults, see lock_down) for a few booleans.
        return dict(vars(self))


def enter_user_namespace() -> None:
    """For an ordinary user's zygote: a user namespace of its own (uid and gid mapped to
    themselves), in which it holds the capabilities to create the sandboxes' namespaces.
    Raises ``OSError`` where unprivileged user namespaces are not allowed."""
    uid, gid = os.getuid(), os.getgid()
    if _libc.unshare(CLONE_NEWUSER) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWUSER) failed")
    _write("/proc/self/setgroups", "deny")
    _write("/proc/self/uid_map", f"{uid} {uid} 1")
    _write("/proc/self/gid_map", f"{gid} {gid} 1")


def unshare_network() -> bool:
    """A network namespace of our own, with no interface up (once per zygote); say if so."""
    return _libc.unshare(CLONE_NEWNET) == 0


def enter_pid_namespace(layers: Layers) -> None:
    """In a monitor (an ordinary user's zygote, which cannot come back from a PID namespace):
    the next child is PID 1 of a new one."""
    if _libc.unshare(CLONE_NEWPID) == 0:
        layers.pid_namespace = True


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


def no_new_privileges() -> None:
    """No ``execve`` can grant privileges to this process or its descendants again (and
    Landlock may then be applied without capabilities)."""
    _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


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


class ZygoteFiles:
    """Files of the zygote's own that its sandboxes and its exit need once ``/proc`` is out
    of sight (the sandboxes' file system has none): opened before, kept open."""

    def __init__(self) -> None:
        flags = os.O_CLOEXEC
        self.proc = os.open("/proc", os.O_RDONLY | os.O_DIRECTORY | flags)
        self.statm = os.open("/proc/self/statm", os.O_RDONLY | flags)
        self.oom = os.open("/proc/self/oom_score_adj", os.O_RDWR | flags)
        self._oom_home = os.pread(self.oom, 16, 0).strip() or b"0"
        self.protected = False

    def protect_from_oom(self) -> None:
        """The out-of-memory killer never picks the zygote (root only)."""
        with contextlib.suppress(OSError):
            os.pwrite(self.oom, b"-1000", 0)
            self._oom_home, self.protected = b"-1000", True

    def oom_first(self) -> None:
        """Until :meth:`oom_back`: what this process forks is the out-of-memory killer's first
        choice, and cannot lower that again (a sandbox has no ``/proc`` to write it anyway)."""
        with contextlib.suppress(OSError):
            os.pwrite(self.oom, b"1000", 0)

    def oom_back(self) -> None:
        with contextlib.suppress(OSError):
            os.pwrite(self.oom, self._oom_home, 0)

    def mapped_bytes(self) -> int:
        """The zygote's mapped memory (a sandbox just forked has the same mappings)."""
        try:
            return int(os.pread(self.statm, 64, 0).split()[0]) * _PAGE_SIZE
        except (OSError, ValueError, IndexError):
            return 0


def lock_down(
    scratch: str,
    limits: Limits,
    layers: Layers,
    mapped: int,
    ruleset: landlock.Ruleset | None,
    processes_outside: int | None,
    syscall_filter: seccomp.Filter | None = None,
) -> None:
    """Called in the sandbox itself, before any student code runs. Irreversible.

    ``mapped``: the bytes the process has mapped already (the address-space cap comes on
    top). ``processes_outside``: for RLIMIT_NPROC (ordinary users), how many processes of
    this user the kernel counts that are not the sandbox's (``None``: count them now).
    Cheap by design, as it runs once per submission: what does not depend on the sandbox
    (the capability bounding set, the environment, the Landlock rules) the zygote has done
    for all its sandboxes; this checks, and only redoes what a process that was not prepared
    so still needs.
    """
    _set_rlimits(limits, layers, mapped, processes_outside)
    _drop_capabilities()
    layers.no_capabilities = True
    if ruleset is not None:
        try:
            held = ruleset.apply()
        except landlock.LandlockError:
            held = {}
        for name, value in held.items():
            setattr(layers, name, value)
    if syscall_filter is not None:
        try:
            syscall_filter.install()
            layers.seccomp = True
        except seccomp.SeccompError:
            layers.seccomp = False
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


def zygote_cgroup_paths(pid: int) -> list[str]:
    """Where a zygote's cgroups may be, to remove them once the zygote is gone."""
    return cgroups.zygote_paths(pid)


def remove_cgroup(path: str, wait: float = 0.0) -> None:
    """Remove a zygote's cgroup, retrying for up to ``wait`` seconds while processes in it
    are still exiting (a cgroup with processes cannot be removed)."""
    cgroups.remove(path, wait)


def _set_rlimits(
    limits: Limits, layers: Layers, mapped: int, processes_outside: int | None
) -> None:
    mib = 1024 * 1024
    caps = {
        resource.RLIMIT_CPU: limits.cpu_seconds,
        # The address-space cap is on top of what the interpreter and numpy already mapped.
        resource.RLIMIT_AS: mapped + limits.memory_mb * mib,
        resource.RLIMIT_FSIZE: limits.file_size_mb * mib,
        resource.RLIMIT_NOFILE: limits.open_files,
        resource.RLIMIT_CORE: 0,
        # No raising of its own CPU priority: the grader demotes runaway sandboxes for good.
        resource.RLIMIT_NICE: 0,
    }
    if os.getuid() != 0:  # the kernel never applies RLIMIT_NPROC to uid 0
        if processes_outside is None:
            processes_outside = _processes_of_this_user()
        caps[resource.RLIMIT_NPROC] = processes_outside + limits.processes
        layers.process_limit = True
    for which, value in caps.items():
        resource.setrlimit(which, (value, value))
    layers.rlimits = True


def _processes_of_this_user() -> int:
    # RLIMIT_NPROC counts every process of the real uid, the grader's included (outside a
    # user namespace of the zygote's own, where it counts only that namespace's).
    uid = os.getuid()
    count = 0
    with contextlib.suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError):  # the process may be gone already
                    count += os.stat(f"/proc/{entry}").st_uid == uid
    return count


# -- demotion ------------------------------------------------------------------------------------
#: How many times :func:`demote_tree` walks the tree at most, looking for processes that a
#: busy forker started while it walked.
_DEMOTION_PASSES = 8


def demote_tree(pid: int, nice: int) -> None:
    """Lowest CPU priority for every process of the sandbox whose first process is `pid`
    (its whole PID namespace), whatever session or process group each put itself in.

    Every process of the sandbox's PID namespace descends from its first process: an orphan
    there is adopted by that process (or by a subreaper inside), never by one outside. So the
    tree is walked through each thread's ``children``, every thread reniced (nice values are
    per thread; a thread or process started later inherits its creator's), and the
    scheduling group of every session raised too (with autogroup scheduling, which most
    desktop kernels enable, a session is weighed against the others before nice values
    count, and ``setsid`` makes a new one). Walked again until a walk finds no process it
    had not seen, as a forker may start children while it is walked. No capability is left
    in the sandbox to undo any of it (``RLIMIT_NICE`` is 0 there).
    """
    seen: set[int] = set()
    for _ in range(_DEMOTION_PASSES):
        found_new = False
        stack = [pid]
        while stack:
            process = stack.pop()
            try:
                threads = os.listdir(f"/proc/{process}/task")
            except OSError:
                continue  # gone
            if process not in seen:
                seen.add(process)
                found_new = True
                with contextlib.suppress(OSError), open(f"/proc/{process}/autogroup", "w") as f:
                    f.write(str(nice))
            for tid in threads:
                with contextlib.suppress(OSError):
                    os.setpriority(os.PRIO_PROCESS, int(tid), nice)
                try:
                    with open(f"/proc/{process}/task/{tid}/children") as handle:
                        stack.extend(int(c) for c in handle.read().split())
                except (OSError, ValueError):
                    continue
        if not found_new:
            return
