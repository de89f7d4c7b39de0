"""The zygote: a process that has imported numpy once and forks a sandbox per request.

Started by the trusted grader (``client.Zygote``) with a control socket whose fd is argv[1].
A request without a file descriptor adds an entry to the suite's plan (a recorded trace, see
:mod:`autograder.sandbox.arena`). Any other request carries one end of a fresh socket pair
(passed as a file descriptor) and a scratch directory; the zygote forks the sandbox, which
becomes PID 1 of its own PID namespace (so that killing it kills everything the student
started), and reports its PID on the socket. As root the zygote forks it directly (see
``isolation.ZygoteNamespaces``); an ordinary user's zygote forks a short-lived *monitor*
that enters new user, PID and network namespaces, forks the sandbox proper, reports, exits.

This module imports only what the sandbox needs: never ``solutions`` or the hidden suites.
"""

from __future__ import annotations

import _signal

# Imported once here so that every fork has them for free: numpy, and what notebooks of this
# course commonly import next to it.
import collections  # noqa: F401
import contextlib
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

import numpy
import numpy.typing  # noqa: F401

from autograder import wire
from autograder.sandbox import arena, isolation, relay

#: The zygote's own ``pids`` cgroup (as root; ``None`` otherwise or where there is none). Its
#: sandboxes are born in it, one at a time: moving each new process into a cgroup of its own
#: would cost an RCU grace period (about 17 ms of waiting) per sandbox on cgroup v1.
_CGROUP: str | None = None
#: As root: sandboxes are forked straight from the zygote into new namespaces, no monitor.
_NAMESPACES: isolation.ZygoteNamespaces | None = None
#: Requests are received into this buffer, mapped once and not into sandboxes (no page table
#: entries for fork to copy or exit to clear): see :func:`_receive`.
_BUFFER = mmap.mmap(-1, 1 << 20)
_BUFFER.madvise(mmap.MADV_DONTFORK)


def _spawn_via_monitor(request: dict, channel: socket.socket) -> None:
    """In a forked monitor (ordinary users): enter the namespaces, fork the sandbox, report."""
    layers = isolation.Layers()
    isolation.name_process("optigrade-mon")
    isolation.enter_namespaces(layers)
    sandbox_pid = os.fork()
    if sandbox_pid == 0:
        _become_sandbox(request, channel, layers)
    wire.send(channel, {"pid": sandbox_pid})


def _become_sandbox(request: dict, channel: socket.socket, layers: isolation.Layers) -> None:
    """In the freshly forked sandbox: lock down, say which layers hold, serve. Never returns."""
    try:
        isolation.name_process("optigrade-sbx")
        # The C functions, not signal.signal: its wrapper converts to and from enums, Python
        # work (and page faults, see isolation.lock_down) for nothing here.
        _signal.signal(_signal.SIGTERM, _signal.SIG_DFL)
        _signal.signal(_signal.SIGCHLD, _signal.SIG_DFL)
        os.setsid()
        _keep_only(channel.fileno())
        layers.process_limit = _CGROUP is not None
        limits = isolation.Limits(**request["limits"])
        isolation.lock_down(request["scratch"], limits, layers)
        wire.send(channel, {"ready": True, "layers": layers.as_dict()})
        relay.main(channel, arena.ZYGOTE_PLAN)
    finally:
        os._exit(70)


def _keep_only(fd: int) -> None:
    """Leave the sandbox with its channel and a harmless stdin/stdout/stderr, nothing else."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(devnull, target)
    os.closerange(3, fd)
    os.closerange(fd + 1, 65536)


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
    """Sandboxes are our children (we are their subreaper): none may outlive the grader."""
    me = str(os.getpid())
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                parent = stat.read().rsplit(")", 1)[1].split()[1]
        except OSError:
            continue
        if parent == me:
            with contextlib.suppress(OSError):
                os.kill(int(entry), signal.SIGKILL)
    if _CGROUP is not None:  # the grader may be gone (SIGKILL) and cannot remove it for us
        isolation.leave_and_remove_cgroup(_CGROUP)
        # Again on the way out: a killed batch's last sandbox may still have been exiting
        # when this zygote started and swept.
        isolation.remove_abandoned_cgroups()
    os._exit(0)


def main() -> None:
    global _CGROUP, _NAMESPACES
    isolation.python_read_paths()  # computed once, while the whole installation is readable
    isolation.settle_environment()  # numpy has read its thread settings; sandboxes need none
    counter = None
    if os.getuid() == 0:  # the kernel never applies RLIMIT_NPROC to root: a cgroup caps forks
        isolation.remove_abandoned_cgroups()
        _CGROUP = isolation.join_pids_cgroup(isolation.zygote_cgroup_name(os.getpid()), "max")
        if _CGROUP is not None:
            try:
                counter = isolation.PidsCounter(_CGROUP)
            except OSError:  # a cap that cannot be set per sandbox is no process limit
                isolation.leave_and_remove_cgroup(_CGROUP)
                _CGROUP = None
        with contextlib.suppress(OSError):  # else each sandbox gets a monitor, as for users
            _NAMESPACES = isolation.ZygoteNamespaces()
        isolation.drop_bounding_set()  # for every sandbox at once (the zygote never execs)
    # Names a TA can recognise in `ps` and `top`, and a profiler can tell apart.
    isolation.name_process("optigrade-zyg")
    # Sandboxes are our children, or reparented to us when their monitor exits; ignoring
    # SIGCHLD reaps them.
    isolation.become_subreaper()
    isolation.die_with_parent(signal.SIGTERM)
    signal.signal(signal.SIGTERM, _kill_sandboxes_and_exit)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    # Only the installation stays importable: no working directory, no checkout of the course.
    prefixes = (sys.prefix, sys.base_prefix)
    sys.path[:] = [p for p in sys.path if p and os.path.abspath(p).startswith(prefixes)]
    control = socket.socket(fileno=int(sys.argv[1]))
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
        # The sandbox's processes, plus us (and the monitor, if there is one).
        cap = request["limits"]["processes"] + (1 if _NAMESPACES is not None else 2)
        if counter is not None:
            # The previous sandbox's processes must be gone before the cap applies to the next;
            # if some linger, they are counted on top rather than taken from the new one.
            lingering = 0 if counter.await_at_most(1) else 64
            counter.set_max(cap + lingering)
        try:
            if _NAMESPACES is not None:
                layers = isolation.Layers()
                sandbox_pid = _NAMESPACES.fork(layers)
                if sandbox_pid == 0:
                    # Dies with us, and so does its whole PID namespace (via a monitor, the
                    # sandbox's parent exits at once, hence only here).
                    isolation.die_with_parent(signal.SIGKILL)
                    _become_sandbox(request, channel, layers)
                wire.send(channel, {"pid": sandbox_pid})
            else:
                monitor = os.fork()
                if monitor == 0:
                    try:
                        control.close()
                        _spawn_via_monitor(request, channel)
                    finally:
                        os._exit(0)
        except OSError as exc:
            with contextlib.suppress(OSError):
                wire.send(channel, {"error": f"the zygote could not fork: {exc}"})
        channel.close()


if __name__ == "__main__":
    main()
