"""The zygote: a process that has imported numpy once and forks a sandbox per request.

Started by the trusted grader (``client.Zygote``) with a control socket whose fd is argv[1].
After its imports it builds the sandboxes' world once (:mod:`autograder.sandbox.world`: a mount
namespace holding only the standard library, numpy and what they load, made its root), joins
its cgroups (:mod:`autograder.sandbox.cgroups`) and prepares a Landlock ruleset; every sandbox
inherits all of it. A request without a file descriptor adds an entry to the suite's plan
(stored raw, see :mod:`autograder.sandbox.arena`). Any other request carries one end of a fresh
socket pair (passed as a file descriptor); the zygote forks the sandbox, which becomes PID 1 of
its own PID namespace (so that killing it kills everything the student started), gets its own
mount, IPC and UTS namespaces and a scratch tmpfs, reports its PID on the socket and runs the
relay (:mod:`autograder.sandbox.relay`), which forks the student's process beneath it.
As root the zygote forks it directly (see ``isolation.ZygoteNamespaces``); an ordinary user's
zygote, in a user namespace of its own, forks a *monitor* that enters a new PID namespace,
forks the sandbox proper, reports, and waits for it (so that the sandbox dies with the
zygote, whatever kills the zygote).

The zygote dies with its worker (``PR_SET_PDEATHSIG``, set before its imports), and its
sandboxes with it (the same, towards the zygote or the monitor).

This module imports only what the sandbox needs: never ``solutions`` or the hidden suites.
"""

from __future__ import annotations

import _signal

# Imported once here so that every fork has them for free: numpy, and what notebooks of this
# course commonly import next to it.
import collections  # noqa: F401
import contextlib
import ctypes
import dataclasses  # noqa: F401
import functools  # noqa: F401
import itertools  # noqa: F401
import math  # noqa: F401
import mmap
import os
import signal
import socket
import sys
import typing  # noqa: F401

# Die with the worker that started us from here on: the imports below take a while, and a
# worker killed meanwhile must not leave a zygote behind (PR_SET_PDEATHSIG).
ctypes.CDLL(None).prctl(1, signal.SIGTERM, 0, 0, 0)
_PARENT = os.getppid()

import numpy  # noqa: E402

# numpy loads numpy.random on first use, about 20 ms of CPU in each sandbox that touches it:
# students' code often does, and so does the runtime whenever a call has an argument that is
# neither a dict nor an array (it asks whether it is a Generator). Loaded once here instead.
import numpy.random  # noqa: E402
import numpy.typing  # noqa: E402, F401

from autograder import wire  # noqa: E402
from autograder.sandbox import (  # noqa: E402
    arena,
    cgroups,
    isolation,
    landlock,
    relay,
    seccomp,
    world,
)


class _Zygote:
    """What the zygote prepared once for all its sandboxes."""

    def __init__(self) -> None:
        #: The zygote's cgroups (``None`` where they cannot be had: an ordinary user, say).
        self.cgroups: cgroups.ZygoteCgroups | None = None
        #: As root: sandboxes are forked straight from the zygote into new namespaces.
        self.namespaces: isolation.ZygoteNamespaces | None = None
        #: The zygote is in a user namespace of its own (an ordinary user).
        self.user_namespace = False
        #: The sandboxes' world is built (:mod:`world`); else the fallback scratch is used.
        self.world = False
        self.fallback: world.FallbackScratch | None = None
        self.ruleset: landlock.Ruleset | None = None
        #: The system calls no sandbox needs (keyrings, new namespaces, tracing, ...).
        self.seccomp: seccomp.Filter | None = None
        self.files: isolation.ZygoteFiles | None = None
        #: RLIMIT_NPROC's count of processes that are not the sandbox's (ordinary users in a
        #: user namespace of the zygote: the zygote and the monitor; ``None``: count them).
        self.processes_outside: int | None = None
        #: The zygote's network namespace, with no interface up, shared by its sandboxes.
        self.network = False
        #: This process's PID (a monitor checks that its parent still is the zygote).
        self.pid = 0

    @property
    def scratch(self) -> str:
        return world.SCRATCH if self.world else self.fallback.path if self.fallback else "/"

    @property
    def writable(self) -> str:
        """What the Landlock rules let a sandbox write beneath."""
        return world.SCRATCH_RULE if self.world else self.scratch


_ZYGOTE = _Zygote()
#: Requests are received into this buffer, mapped once and not into sandboxes (no page table
#: entries for fork to copy or exit to clear): see :func:`_receive`.
_BUFFER = mmap.mmap(-1, 1 << 20)
_BUFFER.madvise(mmap.MADV_DONTFORK)


def _spawn_via_monitor(request: dict, channel: socket.socket) -> None:
    """In a forked monitor (ordinary users): a new PID namespace, fork the sandbox, report,
    and wait for it: the sandbox dies when the monitor does, and the monitor when the zygote
    does, so that no sandbox outlives its zygote however the zygote ends."""
    isolation.die_with_parent(signal.SIGKILL)
    if os.getppid() != _ZYGOTE.pid:
        os._exit(0)  # the zygote is gone already
    layers = isolation.Layers()
    isolation.name_process("optigrade-mon")
    isolation.enter_pid_namespace(layers)
    layers.network_namespace = _ZYGOTE.network
    layers.user_namespace = _ZYGOTE.user_namespace
    sandbox_pid = os.fork()
    if sandbox_pid == 0:
        isolation.die_with_parent(signal.SIGKILL)
        _become_sandbox(request, channel, layers)
    wire.send(channel, {"pid": sandbox_pid})
    channel.close()
    _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)  # to wait for it (the zygote ignores it)
    with contextlib.suppress(ChildProcessError, InterruptedError):
        os.waitpid(sandbox_pid, 0)


def _become_sandbox(request: dict, channel: socket.socket, layers: isolation.Layers) -> None:
    """In the freshly forked sandbox: lock down, say which layers hold, serve. Never returns."""
    try:
        isolation.name_process("optigrade-sbx")
        # The C functions, not signal.signal: its wrapper converts to and from enums, Python
        # work (and page faults, see isolation.lock_down) for nothing here.
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
        _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)
        os.setsid()
        zygote = _ZYGOTE
        limits = isolation.Limits(**request["limits"])
        if zygote.world:
            world.enter_own_namespaces(limits.scratch_mb)
            layers.mount_namespace = layers.scratch_quota = True
            layers.ipc_namespace = layers.uts_namespace = True
        else:
            with contextlib.suppress(world.WorldError):
                world.unshare(world.CLONE_NEWIPC | world.CLONE_NEWUTS)
                layers.ipc_namespace = layers.uts_namespace = True
            os.chdir(zygote.scratch)
        cgroup = zygote.cgroups
        layers.process_limit = cgroup is not None
        layers.memory_cgroup = cgroup is not None and cgroup.memory
        mapped = zygote.files.mapped_bytes() if zygote.files is not None else 0
        ruleset = zygote.ruleset
        _keep_only(channel.fileno(), ruleset.fd if ruleset is not None else -1)
        isolation.lock_down(
            zygote.scratch,
            limits,
            layers,
            mapped,
            ruleset,
            zygote.processes_outside,
            zygote.seccomp,
        )
        if ruleset is not None:
            ruleset.close()
        wire.send(channel, {"ready": True, "layers": layers.as_dict()})
        relay.main(channel, arena.ZYGOTE_PLAN)
    finally:
        os._exit(70)


def _keep_only(fd: int, also: int = -1) -> None:
    """Leave the sandbox with its channel (and ``also``, the Landlock ruleset until it is
    applied) and a harmless stdin/stdout/stderr, nothing else."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    low, high = sorted((fd, also)) if also > 2 else (fd, fd)
    os.closerange(3, low)
    os.closerange(low + 1, high)
    os.closerange(high + 1, 65536)


def _receive(control: socket.socket) -> tuple[memoryview, list[int]]:
    """The next request on the control socket, and the file descriptors that came with it.

    Into a buffer allocated once, not a megabyte allocated per request: after every fork, each
    page the zygote writes to costs a copy-on-write fault, and the zygote's loop between two
    sandboxes is kept to as few pages as it can.
    """
    size, ancillary, _flags, _addr = control.recvmsg_into([_BUFFER], socket.CMSG_LEN(4))
    fds = [
        int.from_bytes(data[:4], sys.byteorder, signed=True)
        for level, kind, data in ancillary
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS and len(data) >= 4
    ]
    return memoryview(_BUFFER)[:size], fds


def _kill_sandboxes_and_exit(*_: object) -> None:
    """Sandboxes (or their monitors) are our children (we are their subreaper): none may
    outlive the grader. Our ``/proc`` is reached through a descriptor kept from before the
    zygote changed its root."""
    zygote = _ZYGOTE
    proc = zygote.files.proc if zygote.files is not None else None
    me = str(os.getpid())
    with contextlib.suppress(OSError):
        for entry in os.listdir(proc if proc is not None else "/proc"):
            if not entry.isdigit():
                continue
            try:
                fd = os.open(f"{entry}/stat", os.O_RDONLY, dir_fd=proc)
                try:
                    parent = os.read(fd, 1024).rsplit(b")", 1)[1].split()[1].decode()
                finally:
                    os.close(fd)
            except (OSError, IndexError):
                continue
            if parent == me:
                with contextlib.suppress(OSError):
                    os.kill(int(entry), signal.SIGKILL)
    if zygote.cgroups is not None:  # the grader may be gone (SIGKILL) and cannot remove them
        zygote.cgroups.close_and_remove(wait=1.0)
        # Again on the way out: a killed batch's zygotes may have been exiting still when
        # this one started and looked.
        zygote.cgroups.reclaim_abandoned(proc)
    if zygote.fallback is not None:
        zygote.fallback.remove()
    os._exit(0)


def _prepare(zygote: _Zygote) -> None:
    """Everything done once for all the sandboxes, in this order: what needs the whole file
    system and the grader's credentials first (cgroups, the view's paths), then namespaces,
    then the view itself, then what works inside it."""
    try:  # computed while the whole installation is visible
        view: world.View | None = world.this_interpreter()
    except Exception:  # an installation we cannot read through: no view, said by every layer
        view = None
    isolation.settle_environment()  # numpy has read its thread settings; sandboxes need none
    root = os.getuid() == 0
    cgroups.reclaim_abandoned()
    with contextlib.suppress(OSError):
        zygote.cgroups = cgroups.ZygoteCgroups()
    zygote.files = isolation.ZygoteFiles()
    if root:
        zygote.files.protect_from_oom()
        with contextlib.suppress(OSError):  # else each sandbox gets a monitor, as for users
            zygote.namespaces = isolation.ZygoteNamespaces()
        if zygote.namespaces is not None:
            zygote.network = zygote.namespaces.network
        else:
            zygote.network = isolation.unshare_network()
    else:
        try:
            isolation.enter_user_namespace()
            zygote.user_namespace = True
            zygote.processes_outside = 2  # this zygote and the sandbox's monitor
            zygote.network = isolation.unshare_network()
        except OSError:
            pass  # no namespaces at all: reported as missing by every sandbox
    if view is not None and (root or zygote.user_namespace):
        try:
            if zygote.cgroups is not None:
                zygote.cgroups.keep_reachable()
            world.build(view)
            zygote.world = True
        except (OSError, world.WorldError):
            zygote.world = False
    if not zygote.world:
        with contextlib.suppress(OSError):
            zygote.fallback = world.FallbackScratch()
    if root or zygote.user_namespace:
        isolation.drop_bounding_set()  # for every sandbox at once (the zygote never execs)
    isolation.no_new_privileges()
    with contextlib.suppress(seccomp.SeccompError):
        zygote.seccomp = seccomp.Filter()
    if view is not None:
        with contextlib.suppress(landlock.LandlockError, OSError):
            zygote.ruleset = landlock.Ruleset(
                view.read_paths(), [zygote.writable], world.WRITABLE_DEVICES
            )


def main() -> None:
    zygote = _ZYGOTE
    zygote.pid = os.getpid()
    _prepare(zygote)
    # Names a TA can recognise in `ps` and `top`, and a profiler can tell apart.
    isolation.name_process("optigrade-zyg")
    # Sandboxes are our children, or reparented to us when their monitor exits; ignoring
    # SIGCHLD reaps them.
    isolation.become_subreaper()
    signal.signal(signal.SIGTERM, _kill_sandboxes_and_exit)
    # Again, namespaces entered (a new user namespace may have cleared it); then, if the
    # worker is gone already, so are we.
    isolation.die_with_parent(signal.SIGTERM)
    if os.getppid() != _PARENT:
        _kill_sandboxes_and_exit()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # Only the installation stays importable: no working directory, no checkout of the course.
    prefixes = (sys.prefix, sys.base_prefix)
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p).startswith(prefixes)]
    control = socket.socket(fileno=int(sys.argv[1]))
    files = zygote.files
    while True:
        try:
            data, fds = _receive(control)
        except OSError:
            _kill_sandboxes_and_exit()
        if not data:
            _kill_sandboxes_and_exit()  # the grader went away
        if not fds:  # a plan entry: stored raw, never decoded here (see arena)
            arena.ZYGOTE_PLAN.add(data)  # anything else without a descriptor is not served
            continue
        channel = socket.socket(fileno=fds[0])
        request = wire.decode(data)
        limits = request["limits"]
        if zygote.cgroups is not None:
            # The sandbox's processes, plus us (and the monitor, if there is one).
            extra = 1 if zygote.namespaces is not None else 2
            zygote.cgroups.before_sandbox(limits["processes"] + extra, limits["memory_mb"])
        if zygote.fallback is not None:
            zygote.fallback.empty()
        files.oom_first()
        try:
            if zygote.namespaces is not None:
                layers = isolation.Layers()
                sandbox_pid = zygote.namespaces.fork(layers)
                if sandbox_pid == 0:
                    # Dies with us, and so does its whole PID namespace (via a monitor, the
                    # monitor waits for the sandbox and dies with us, see above).
                    isolation.die_with_parent(signal.SIGKILL)
                    _become_sandbox(request, channel, layers)
                files.oom_back()
                wire.send(channel, {"pid": sandbox_pid})
            else:
                monitor = os.fork()
                if monitor == 0:
                    try:
                        control.close()
                        _spawn_via_monitor(request, channel)
                    finally:
                        os._exit(0)
                files.oom_back()
        except OSError as exc:
            files.oom_back()
            with contextlib.suppress(OSError):
                wire.send(channel, {"error": f"the zygote could not fork: {exc}"})
        channel.close()


if __name__ == "__main__":
    main()
