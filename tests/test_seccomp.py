"""The sandbox's seccomp filter, from inside real sandboxes: what it refuses, what still works.

Each refused call is one an unprivileged process could otherwise make across the other layers
(a keyring shared by every process of the user, a user namespace, tracing, io_uring, bpf, a
vsock socket, another core); what must keep working is what student code and the sandbox's
own runtime use (threads, fork, numpy, unix sockets, Landlock for the nested domain).
"""

from __future__ import annotations

import os

import pytest

from autograder.sandbox import seccomp
from autograder.sandbox.client import Sandbox, Zygote

TRIES = r"""
import ctypes, errno, os, socket, threading
import numpy as np

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long
_X86 = os.uname().machine == "x86_64"
NUMBERS = {
    "add_key": 248 if _X86 else 217,
    "keyctl": 250 if _X86 else 219,
    "bpf": 321 if _X86 else 280,
    "perf_event_open": 298 if _X86 else 241,
    "userfaultfd": 323 if _X86 else 282,
    "io_uring_setup": 425,
    "ptrace": 101 if _X86 else 117,
}


def _errno(result):
    return 0 if result >= 0 else ctypes.get_errno()


def refused():
    found = {}
    found["add_key"] = _errno(
        _libc.syscall(NUMBERS["add_key"], b"user", b"k", b"v", 1, ctypes.c_int(-4))
    )
    found["keyctl"] = _errno(_libc.syscall(NUMBERS["keyctl"], 0, ctypes.c_int(-3), 0))  # get id
    found["unshare_user"] = _errno(_libc.unshare(0x10000000))
    found["unshare_mount"] = _errno(_libc.unshare(0x00020000))
    found["bpf"] = _errno(_libc.syscall(NUMBERS["bpf"], 0, None, 0))
    found["perf_event_open"] = _errno(_libc.syscall(NUMBERS["perf_event_open"], None, 0, -1, 0, 0))
    found["userfaultfd"] = _errno(_libc.syscall(NUMBERS["userfaultfd"], 0))
    params = ctypes.create_string_buffer(120)
    found["io_uring_setup"] = _errno(_libc.syscall(NUMBERS["io_uring_setup"], 4, params))
    found["ptrace_parent"] = _errno(_libc.syscall(NUMBERS["ptrace"], 16, os.getppid(), 0, 0))
    try:
        socket.socket(40, socket.SOCK_STREAM)  # AF_VSOCK
        found["vsock"] = 0
    except OSError as exc:
        found["vsock"] = exc.errno
    try:
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
        found["sched_setaffinity"] = 0
    except OSError as exc:
        found["sched_setaffinity"] = exc.errno
    return found


def still_works():
    ran = []
    thread = threading.Thread(target=lambda: ran.append("thread"))
    thread.start()
    thread.join()
    child = os.fork()
    if child == 0:
        os._exit(7)
    ran.append(os.waitpid(child, 0)[1] >> 8)
    left, right = socket.socketpair()
    left.send(b"x")
    ran.append(right.recv(1).decode())
    ran.append(float(np.linalg.norm(np.ones(4))))
    return ran
"""


def run(function: str) -> object:
    zygote = Zygote()
    try:
        sandbox = Sandbox(zygote, [TRIES])
        try:
            sandbox.start()
            assert sandbox.layers.get("seccomp"), sandbox.layers
            return sandbox.call(function, None, [], {})["value"]
        finally:
            sandbox.kill()
    finally:
        zygote.close()


@pytest.mark.skipif(os.uname().machine not in ("x86_64", "aarch64"), reason="no filter here")
def test_the_calls_no_sandbox_needs_are_refused():
    found = run("refused")
    allowed = {name: code for name, code in found.items() if code == 0}
    assert not allowed, f"allowed in a sandbox: {allowed}"
    assert found["vsock"] == 97, found  # EAFNOSUPPORT, as a kernel without vsock answers
    assert found["add_key"] == found["keyctl"] == 1, found  # EPERM


@pytest.mark.skipif(os.uname().machine not in ("x86_64", "aarch64"), reason="no filter here")
def test_what_student_code_and_the_runtime_use_still_works():
    assert run("still_works") == ["thread", 7, "x", 2.0]


def test_a_machine_without_a_table_gets_no_filter_rather_than_a_wrong_one():
    with pytest.raises(seccomp.SeccompError):
        seccomp.program("riscv64")
    for machine in ("x86_64", "aarch64"):
        code = seccomp.program(machine)
        assert len(code) % 8 == 0 and len(code) // 8 < 4096  # BPF's own limit
