"""A seccomp filter: the system calls a sandbox never needs, refused by the kernel.

Namespaces, capabilities, cgroups and Landlock leave a few kernel interfaces that an
unprivileged process can still reach and that cross those boundaries: the kernel keyrings
(per user, not per namespace: a root grader's sandboxes would share root's keys with one
another, and read the TA's session keyring), new user and mount namespaces (more kernel code
within reach), tracing and reading other processes, ``io_uring``, ``bpf``, ``perf_event_open``,
``userfaultfd``, moving to other cores (``sched_setaffinity``), and ``AF_VSOCK`` sockets (which
a network namespace does not cover on every kernel). The filter answers those with an error, as
Docker's default profile does for most of them; everything else is allowed.

The program is assembled once (in the zygote, :class:`Filter`) and installed by each sandbox
with one ``prctl`` call, after its own namespaces are made and before any student code runs;
it is inherited by every process the sandbox starts and cannot be removed. x86_64 and aarch64
(system calls of any other architecture, e.g. 32-bit ones on x86_64, are refused); elsewhere
:class:`Filter` raises :class:`SeccompError` and the layer is reported missing.
"""

from __future__ import annotations

import ctypes
import errno
import os
import struct

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_ALLOW = 0x7FFF0000
_RET_ERRNO = 0x00050000

# BPF instructions (classic BPF, as seccomp takes them).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06

# Offsets in struct seccomp_data: nr, arch, instruction pointer, then six 64-bit arguments
# (the low half of the first one at 16 on these little-endian machines).
_NR, _ARCH, _ARG0_LOW = 0, 4, 16

#: Any namespace flag of ``clone``: a thread or a plain fork never carries one.
_CLONE_NAMESPACES = 0x7E020000
_AF_VSOCK = 40
#: On x86_64, numbers from here on are the x32 ABI's: refused (never needed, other table).
_X32_FIRST = 0x40000000


class SeccompError(OSError):
    """No filter for this machine, or the kernel refused it."""


#: Per architecture: its audit number, and the system calls refused, by name: (number, errno).
#: The names are the kernel's; the numbers come from its tables for each architecture.
_REFUSED_NAMES = {
    "add_key": errno.EPERM,
    "request_key": errno.EPERM,
    "keyctl": errno.EPERM,
    "unshare": errno.EPERM,
    "setns": errno.EPERM,
    "mount": errno.EPERM,
    "umount2": errno.EPERM,
    "pivot_root": errno.EPERM,
    "open_tree": errno.EPERM,
    "move_mount": errno.EPERM,
    "fsopen": errno.EPERM,
    "fsconfig": errno.EPERM,
    "fsmount": errno.EPERM,
    "fspick": errno.EPERM,
    "ptrace": errno.EPERM,
    "process_vm_readv": errno.EPERM,
    "process_vm_writev": errno.EPERM,
    "kcmp": errno.EPERM,
    "pidfd_getfd": errno.EPERM,
    "bpf": errno.EPERM,
    "perf_event_open": errno.EPERM,
    "userfaultfd": errno.EPERM,
    "io_uring_setup": errno.EPERM,
    "io_uring_enter": errno.EPERM,
    "io_uring_register": errno.EPERM,
    "sched_setaffinity": errno.EPERM,
    # glibc falls back to clone when clone3 is missing; clone3's flags are out of a filter's
    # reach (in memory), clone's are not (below).
    "clone3": errno.ENOSYS,
}
_TABLES = {
    "x86_64": (
        0xC000003E,
        {
            "add_key": 248, "request_key": 249, "keyctl": 250, "unshare": 272, "setns": 308,
            "mount": 165, "umount2": 166, "pivot_root": 155, "open_tree": 428,
            "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
            "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "kcmp": 312,
            "pidfd_getfd": 438, "bpf": 321, "perf_event_open": 298, "userfaultfd": 323,
            "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
            "sched_setaffinity": 203, "clone3": 435, "clone": 56, "socket": 41,
        },
    ),
    "aarch64": (
        0xC00000B7,
        {
            "add_key": 217, "request_key": 218, "keyctl": 219, "unshare": 97, "setns": 268,
            "mount": 40, "umount2": 39, "pivot_root": 41, "open_tree": 428,
            "move_mount": 429, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
            "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271, "kcmp": 272,
            "pidfd_getfd": 438, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282,
            "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
            "sched_setaffinity": 122, "clone3": 435, "clone": 220, "socket": 198,
        },
    ),
}  # fmt: skip


def _insn(code: int, jump_true: int, jump_false: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jump_true, jump_false, k)


def _ret(action: int) -> bytes:
    return _insn(_RET_K, 0, 0, action)


def program(machine: str) -> bytes:
    """The filter's classic-BPF program for ``machine`` (``os.uname().machine``)."""
    if machine not in _TABLES:
        raise SeccompError(f"no seccomp filter for {machine}")
    audit_arch, numbers = _TABLES[machine]
    code = [
        _insn(_LD_W_ABS, 0, 0, _ARCH),
        _insn(_JEQ_K, 1, 0, audit_arch),
        _ret(_RET_ERRNO | errno.ENOSYS),  # another architecture's system call table
        _insn(_LD_W_ABS, 0, 0, _NR),
    ]
    if machine == "x86_64":
        code += [_insn(_JGE_K, 0, 1, _X32_FIRST), _ret(_RET_ERRNO | errno.ENOSYS)]
    for name, error in _REFUSED_NAMES.items():
        code += [_insn(_JEQ_K, 0, 1, numbers[name]), _ret(_RET_ERRNO | error)]
    # clone with a namespace flag; a socket of the vsock family. Each block ends in a return:
    # the number was overwritten by the argument it loaded.
    code += [
        _insn(_JEQ_K, 0, 4, numbers["clone"]),
        _insn(_LD_W_ABS, 0, 0, _ARG0_LOW),
        _insn(_JSET_K, 0, 1, _CLONE_NAMESPACES),
        _ret(_RET_ERRNO | errno.EPERM),
        _ret(_RET_ALLOW),
        _insn(_JEQ_K, 0, 4, numbers["socket"]),
        _insn(_LD_W_ABS, 0, 0, _ARG0_LOW),
        _insn(_JEQ_K, 0, 1, _AF_VSOCK),
        _ret(_RET_ERRNO | errno.EAFNOSUPPORT),
        _ret(_RET_ALLOW),
        _ret(_RET_ALLOW),
    ]
    return b"".join(code)


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


class Filter:
    """The filter, assembled once; :meth:`install` confines the calling process for good.

    Raises :class:`SeccompError` where there is no filter for this machine."""

    def __init__(self, machine: str | None = None) -> None:
        code = program(machine or os.uname().machine)
        self._buffer = ctypes.create_string_buffer(code, len(code))
        self._prog = _Fprog(len(code) // 8, ctypes.addressof(self._buffer))
        self._libc = ctypes.CDLL(None, use_errno=True)

    def install(self) -> None:
        """Needs ``no_new_privs`` (set by the zygote for all its sandboxes)."""
        done = self._libc.prctl(
            _PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(self._prog), 0, 0
        )
        if done != 0:
            raise SeccompError(ctypes.get_errno(), "prctl(PR_SET_SECCOMP) failed")
