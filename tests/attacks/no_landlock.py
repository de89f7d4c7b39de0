"""Run a command on a "kernel without Landlock": its three system calls fail with ENOSYS.

    python tests/attacks/no_landlock.py [--no-pivot-root] CMD...

A seccomp filter (inherited by every process the command starts, and kept across ``exec``)
answers ``landlock_create_ruleset``, ``landlock_add_rule`` and ``landlock_restrict_self``
with ENOSYS, exactly what a kernel built without Landlock answers. With ``--no-pivot-root``,
``pivot_root`` answers EPERM as well, as in a container that forbids it: the sandbox's own
file system cannot be built. Nothing is faked inside optigrade: the layers are genuinely
absent for that process tree. x86_64 only (elsewhere it exits 77, which the test turns into
a skip).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct
import sys

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_AUDIT_ARCH_X86_64 = 0xC000003E
_LANDLOCK = (444, 445, 446)  # x86_64 numbers
_PIVOT_ROOT = 155

# BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_RET_K = 0x06


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def install(hidden: dict[int, int]) -> None:
    """Answer each system call of ``hidden`` (number: errno) with that error."""
    checks = b"".join(
        _insn(_JEQ_K, 0, 1, number) + _insn(_RET_K, 0, 0, _SECCOMP_RET_ERRNO | error)
        for number, error in hidden.items()
    )
    program = b"".join(
        [
            _insn(_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
            _insn(_JEQ_K, 1, 0, _AUDIT_ARCH_X86_64),
            _insn(_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
            _insn(_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
            checks,
            _insn(_RET_K, 0, 0, _SECCOMP_RET_ALLOW),
        ]
    )
    buffer = ctypes.create_string_buffer(program)

    class _Fprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = _Fprog(len(program) // 8, ctypes.addressof(buffer))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_NO_NEW_PRIVS")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "PR_SET_SECCOMP")


if __name__ == "__main__":
    if platform.machine() != "x86_64":
        sys.exit(77)
    command = sys.argv[1:]
    hidden = dict.fromkeys(_LANDLOCK, errno.ENOSYS)
    if command[:1] == ["--no-pivot-root"]:
        command = command[1:]
        hidden[_PIVOT_ROOT] = errno.EPERM
    install(hidden)
    os.execvp(command[0], command)
