"""The zygote's cgroups: a process cap and a memory cap for the whole tree of each sandbox.

One ``pids`` and one ``memory`` cgroup per zygote (``optigrade/zygote-<pidns inode>-<pid>``
under each controller's hierarchy on cgroup v1, one directory with both controllers on cgroup
v2). Its
sandboxes are born in it one at a time: moving each new process into a cgroup of its own would
cost an RCU grace period (about 17 ms of waiting) per sandbox on cgroup v1. Before each sandbox
the zygote waits for the previous one's processes to be gone and sets both caps: the sandbox's
processes plus the zygote's own, and the sandbox's memory on top of what the zygote holds (so
that six forked children of 900 MB each cannot hold more than the cap together).

A zygote removes its cgroups when it exits; a zygote killed before it could is *abandoned*, and
the next zygote to start (any batch) removes its cgroups, killing any process left in them.
"""

from __future__ import annotations

import contextlib
import functools
import os
import signal
import time
from dataclasses import dataclass

PARENT = "optigrade"
PREFIX = "zygote-"
MIB = 1024 * 1024


@dataclass(frozen=True)
class Hierarchy:
    """Where a controller is mounted, and in which cgroup version."""

    root: str
    v2: bool


def hierarchies() -> dict[str, Hierarchy]:
    """The ``pids`` and ``memory`` controllers of this machine: a v1 hierarchy of their own
    where there is one, else the v2 hierarchy if it offers them."""
    found: dict[str, Hierarchy] = {}
    unified = None
    try:
        with open("/proc/self/mountinfo") as handle:
            lines = handle.read().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) < 5 or len(tail) < 3:
            continue
        point, fstype, options = fields[4].replace("\\040", " "), tail[0], tail[2].split(",")
        if fstype == "cgroup":
            for name in ("pids", "memory"):
                if name in options and name not in found:
                    found[name] = Hierarchy(point, v2=False)
        elif fstype == "cgroup2" and unified is None:
            unified = point
    if unified is not None:
        try:
            with open(os.path.join(unified, "cgroup.controllers")) as handle:
                offered = handle.read().split()
        except OSError:
            offered = []
        for name in ("pids", "memory"):
            if name in offered and name not in found:
                found[name] = Hierarchy(unified, v2=True)
    return found


#: memory.stat's counters of what the kernel reclaims rather than refuse a charge: file cache
#: (v1 and v2), and reclaimable slab (v2 only: dentries and inodes of the zygote's world).
_RECLAIMABLE = ("active_file", "inactive_file", "slab_reclaimable")


@functools.cache
def _own_prefix() -> str:
    """The name prefix of the cgroups of zygotes whose PIDs this process can see.

    A zygote's cgroups are named after its PID *and* its PID namespace (the inode of
    ``/proc/self/ns/pid``): the cgroup file system may be shared with other containers whose
    PIDs this one cannot see, and whose live zygotes would otherwise look abandoned here.
    Cached on first use, which the zygote makes before it leaves ``/proc`` behind.
    """
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        namespace = 0
    return f"{PREFIX}{namespace}-"


def cgroup_name(pid: int) -> str:
    """The name of the cgroups of the zygote ``pid`` (of this PID namespace)."""
    return f"{_own_prefix()}{pid}"


def zygote_paths(pid: int) -> list[str]:
    """Every cgroup directory of the zygote ``pid`` (to remove them once it is gone)."""
    roots = {h.root for h in hierarchies().values()}
    return [os.path.join(root, PARENT, cgroup_name(pid)) for root in sorted(roots)]


def remove(path: str, wait: float = 0.0) -> None:
    """Remove a cgroup, retrying for up to ``wait`` seconds while its processes exit."""
    _remove_at(None, path, wait)


def reclaim_abandoned(folders: list[int] | None = None, proc: int | None = None) -> None:
    """Remove the cgroups of zygotes that are gone (killed before they could), after killing
    whatever process was left in them (a sandbox of a dead zygote has nobody to answer to).

    ``folders``: descriptors of the ``optigrade`` folders and ``proc`` one of ``/proc``, for a
    zygote that no longer sees them by name (see :meth:`ZygoteCgroups.keep_reachable`).
    """
    if folders is None:
        folders = []
        for root in sorted({h.root for h in hierarchies().values()}):
            with contextlib.suppress(OSError):
                folders.append(os.open(os.path.join(root, PARENT), os.O_RDONLY | os.O_DIRECTORY))
        try:
            _reclaim(folders, proc)
        finally:
            for fd in folders:
                os.close(fd)
    else:
        _reclaim(folders, proc)


def _reclaim(folders: list[int], proc: int | None) -> None:
    # Only this PID namespace's zygotes: another's PIDs are not visible, so its live zygotes
    # would look gone (see _own_prefix).
    prefix = _own_prefix()
    for folder in folders:
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            pid = name.removeprefix(prefix)
            if not (name.startswith(prefix) and pid.isdigit()) or _running(pid, proc):
                continue
            killed = _kill_members(folder, name)
            _remove_at(folder, name, wait=0.5 if killed else 0.0)


def _running(pid: str, proc: int | None) -> bool:
    """Whether the process ``pid`` exists and has not exited (a zombie has: its parent was
    killed too and nobody has reaped it yet)."""
    try:
        fd = (
            os.open(f"{pid}/stat", os.O_RDONLY, dir_fd=proc)
            if proc
            else os.open(f"/proc/{pid}/stat", os.O_RDONLY)
        )
        try:
            state = os.read(fd, 1024).rsplit(b")", 1)[1].split()[0]
        finally:
            os.close(fd)
    except (OSError, IndexError):
        return False
    return state not in (b"Z", b"X")


def _kill_members(folder: int, name: str) -> bool:
    try:
        fd = os.open(f"{name}/cgroup.procs", os.O_RDONLY, dir_fd=folder)
        try:
            members = [int(p) for p in os.read(fd, 1 << 16).split()]
        finally:
            os.close(fd)
    except (OSError, ValueError):
        return False
    for member in members:
        with contextlib.suppress(OSError):
            os.kill(member, signal.SIGKILL)
    return bool(members)


class ZygoteCgroups:
    """This zygote's cgroups, joined; the caps set through files kept open.

    Kept open because the zygote sets them before every sandbox: a file object per access was
    Python work in the process that every sandbox is forked from, hence pages written (and a
    copy-on-write fault each) after every fork.
    """

    def __init__(self) -> None:
        """Create and join; raises ``OSError`` if no ``pids`` controller can be used (a
        memory controller that cannot be used is only reported: :attr:`memory` is False)."""
        self.paths: list[str] = []
        self._roots: list[tuple[str, bool]] = []  # (hierarchy root, v2)
        self._pids_max = self._pids_current = None
        self._memory_limits: list[int] = []  # limit files, in the order they must grow
        self._memory_usage: int | None = None
        self._memory_stat: int | None = None
        self._memory_set = 0
        self._reachable: list[tuple[int, int]] | None = None
        found = hierarchies()
        name = cgroup_name(os.getpid())
        try:
            for controller in ("pids", "memory"):
                hierarchy = found.get(controller)
                if hierarchy is None:
                    continue
                path = os.path.join(hierarchy.root, PARENT, name)
                try:
                    self._join(path, hierarchy, controller)
                except OSError:
                    if controller == "pids":
                        raise
                    self._memory_limits, self._memory_usage = [], None
            if self._pids_max is None:
                raise OSError("no pids controller")
        except OSError:
            self.close_and_remove()
            raise

    @property
    def memory(self) -> bool:
        return self._memory_usage is not None

    def _join(self, path: str, hierarchy: Hierarchy, controller: str) -> None:
        parent = os.path.dirname(path)
        new = path not in self.paths
        if new:
            os.makedirs(parent, exist_ok=True)
            if hierarchy.v2:  # controllers must be enabled down to the zygote's cgroup
                for folder in (hierarchy.root, parent):
                    _write(os.path.join(folder, "cgroup.subtree_control"), f"+{controller}")
            with contextlib.suppress(FileExistsError):
                os.mkdir(path)
            self.paths.append(path)
            self._roots.append((hierarchy.root, hierarchy.v2))
        elif hierarchy.v2:
            for folder in (hierarchy.root, parent):
                _write(os.path.join(folder, "cgroup.subtree_control"), f"+{controller}")
        flags = os.O_CLOEXEC
        if controller == "pids":
            _write(os.path.join(path, "pids.max"), "max")
            self._pids_max = os.open(os.path.join(path, "pids.max"), os.O_WRONLY | flags)
            with contextlib.suppress(OSError):  # no counter: nothing to wait for
                self._pids_current = os.open(os.path.join(path, "pids.current"), flags)
        else:
            names = (
                ("memory.max", "memory.swap.max", "memory.current")
                if hierarchy.v2
                else (
                    "memory.limit_in_bytes",
                    "memory.memsw.limit_in_bytes",
                    "memory.usage_in_bytes",
                )
            )
            limit = os.open(os.path.join(path, names[0]), os.O_WRONLY | flags)
            self._memory_limits = [limit]
            with contextlib.suppress(OSError):  # no swap accounting (or none to account)
                swap = os.open(os.path.join(path, names[1]), os.O_WRONLY | flags)
                self._memory_limits.append(swap)
                if hierarchy.v2:
                    os.pwrite(swap, b"0", 0)  # v2 caps swap on its own: none at all
                    self._memory_limits.pop()
            self._memory_usage = os.open(os.path.join(path, names[2]), flags)
            with contextlib.suppress(OSError):  # none: all the usage counts as held
                self._memory_stat = os.open(os.path.join(path, "memory.stat"), flags)
        if new:
            _write(os.path.join(path, "cgroup.procs"), str(os.getpid()))

    def before_sandbox(self, processes: int, memory_mb: int) -> None:
        """Caps for the next sandbox, once the previous one's processes are gone.

        ``processes`` counts the zygote (and a monitor) too. If the previous sandbox's
        processes linger, they are counted on top rather than taken from the new one.
        """
        lingering = 0 if self._await_at_most(1) else 64
        os.pwrite(self._pids_max, str(processes + lingering).encode(), 0)
        if self._memory_usage is not None:
            try:
                held = int(os.pread(self._memory_usage, 32, 0)) - self._reclaimable()
            except (OSError, ValueError):
                return
            limit = max(held, 0) + memory_mb * MIB
            # v1 wants memory+swap >= memory at all times: raise it first, lower it last.
            order = self._memory_limits if limit < self._memory_set else self._memory_limits[::-1]
            for fd in order:
                with contextlib.suppress(OSError):
                    os.pwrite(fd, str(limit).encode(), 0)
            self._memory_set = limit

    def _reclaimable(self) -> int:
        """The file cache and reclaimable kernel memory charged to the zygote's cgroup (the
        libraries it read, say), which the kernel drops rather than refuse a sandbox memory.
        Counted as held, it would be that much more room for the sandbox than ``memory_mb``:
        the tree's cap would not be the one the doctor checks and the documentation
        promises."""
        if self._memory_stat is None:
            return 0
        try:
            text = os.pread(self._memory_stat, 1 << 16, 0).decode()
        except (OSError, UnicodeDecodeError):
            return 0
        found = 0
        for line in text.splitlines():
            key, _, value = line.partition(" ")
            if key in _RECLAIMABLE and value.strip().isdigit():
                found += int(value)
        return found

    def _await_at_most(self, at_most: int, timeout: float = 2.0) -> bool:
        if self._pids_current is None:
            return True
        deadline = time.monotonic() + timeout
        while True:
            try:
                if int(os.pread(self._pids_current, 32, 0)) <= at_most:
                    return True
            except (OSError, ValueError):
                return True  # the cgroup is gone: nothing to wait for
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.001)

    def close_and_remove(self, wait: float = 0.0) -> None:
        """Move this process back to each hierarchy's root and remove its cgroups.

        Works after the zygote's ``pivot_root`` too: the directories are reached through
        descriptors opened by :meth:`keep_reachable`, when there are any."""
        for fd in [
            self._pids_max,
            self._pids_current,
            self._memory_usage,
            self._memory_stat,
            *self._memory_limits,
        ]:
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._pids_max = self._pids_current = self._memory_usage = self._memory_stat = None
        self._memory_limits = []
        reachable = self._reachable
        for index, (path, (root, _v2)) in enumerate(zip(self.paths, self._roots, strict=True)):
            if reachable is not None:
                procs, parent = reachable[index]
                with contextlib.suppress(OSError):
                    os.write(procs, str(os.getpid()).encode())
                _remove_at(parent, os.path.basename(path), wait)
            else:
                with contextlib.suppress(OSError):
                    _write(os.path.join(root, "cgroup.procs"), str(os.getpid()))
                remove(path, wait)
        self.paths, self._roots = [], []

    def reclaim_abandoned(self, proc: int | None) -> None:
        """:func:`reclaim_abandoned`, from a zygote that may no longer see the folders by name:
        on its way out, as a batch killed with SIGKILL may have left some since it started."""
        if self._reachable is None:
            reclaim_abandoned(None, proc)
        else:
            reclaim_abandoned([parent for _procs, parent in self._reachable], proc)

    def keep_reachable(self) -> None:
        """Open what :meth:`close_and_remove` needs, for a zygote about to lose the path
        names (``pivot_root``)."""
        self._reachable = [
            (
                os.open(os.path.join(root, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC),
                os.open(os.path.dirname(path), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC),
            )
            for path, (root, _v2) in zip(self.paths, self._roots, strict=True)
        ]


def _remove_at(parent: int | None, name: str, wait: float) -> None:
    """Remove the cgroup ``name`` (beneath the folder descriptor ``parent``, if given),
    retrying for up to ``wait`` seconds while its processes exit."""
    deadline = time.monotonic() + wait
    while True:
        try:
            os.rmdir(name, dir_fd=parent)
            return
        except FileNotFoundError:
            return
        except OSError:
            if time.monotonic() >= deadline:
                return
            time.sleep(0.01)


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)
