"""Landlock: unprivileged file-system, TCP and signal restrictions from the Linux kernel.

Only the three system calls are wrapped (with ctypes, as Python has no binding). A process that
calls :func:`restrict` (or applies a :class:`Ruleset`) keeps access to the listed paths only,
for itself and every process it starts, and cannot undo it. In a sandbox it is the second
layer: the first is the sandbox's own file system (:mod:`autograder.sandbox.world`), which
holds the same paths. See the kernel's ``Documentation/userspace-api/landlock.rst``.
"""

from __future__ import annotations

import ctypes
import os
from collections.abc import Iterable

_SYS_CREATE_RULESET, _SYS_ADD_RULE, _SYS_RESTRICT_SELF = 444, 445, 446  # same on x86_64/arm64
_CREATE_RULESET_VERSION = 1
_RULE_PATH_BENEATH = 1
_PR_SET_NO_NEW_PRIVS = 38

# File-system access rights, by the ABI version that introduced them.
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
FS_REMOVE_DIR, FS_REMOVE_FILE, FS_MAKE_CHAR, FS_MAKE_DIR = 1 << 4, 1 << 5, 1 << 6, 1 << 7
FS_MAKE_REG, FS_MAKE_SOCK, FS_MAKE_FIFO, FS_MAKE_BLOCK, FS_MAKE_SYM = (1 << n for n in range(8, 13))
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15  # ABI 2, 3, 5
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1  # ABI 4
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1  # ABI 6

READ = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR


def _fs_rights(abi: int) -> int:
    rights = (1 << 13) - 1
    if abi >= 2:
        rights |= FS_REFER
    if abi >= 3:
        rights |= FS_TRUNCATE
    if abi >= 5:
        rights |= FS_IOCTL_DEV
    return rights


class _RulesetAttr(ctypes.Structure):
    _fields_ = [
        ("handled_access_fs", ctypes.c_uint64),
        ("handled_access_net", ctypes.c_uint64),
        ("scoped", ctypes.c_uint64),
    ]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1  # the kernel declares this struct __attribute__((packed))
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class LandlockError(OSError):
    """Landlock is missing or refused the ruleset."""


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def abi_version() -> int:
    """The Landlock ABI the running kernel offers, or 0 where it offers none."""
    version = _libc.syscall(_SYS_CREATE_RULESET, None, ctypes.c_size_t(0), _CREATE_RULESET_VERSION)
    return max(int(version), 0)


def restrict(read_paths: Iterable[str], write_paths: Iterable[str]) -> dict[str, bool]:
    """Confine this process: read (and execute) ``read_paths``, read and write ``write_paths``.

    Every other path is off limits; from ABI 4 on, TCP bind and connect are refused; from
    ABI 6 on, signals and abstract unix sockets cannot reach processes outside the sandbox.
    Returns which of those layers are in force. Raises :class:`LandlockError` when Landlock
    is unavailable.
    """
    ruleset = Ruleset(read_paths, write_paths)
    try:
        return ruleset.apply()
    finally:
        ruleset.close()


def nest() -> None:
    """Put this process into a Landlock domain of its own, nested in the one it is in, that
    restricts no path.

    A process in a nested domain can neither ``ptrace`` nor (from ABI 6, which scopes
    signals and abstract unix sockets to the domain) signal a process of the outer one. The
    file-system rules stay those of the outer domain, so the ruleset needs no paths: it handles
    only the scopes, or, before ABI 6, making block devices (which no rule allows anyway).
    Raises :class:`LandlockError` when Landlock is unavailable.
    """
    abi = abi_version()
    if abi < 1:
        raise LandlockError("Landlock is not available in this kernel")
    if abi >= 6:
        attr = _RulesetAttr(scoped=SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL)
        size = ctypes.sizeof(attr)
    else:
        attr, size = _RulesetAttr(handled_access_fs=FS_MAKE_BLOCK), 8
    fd = _create_ruleset(attr, size)
    try:
        _restrict_self(fd)
    finally:
        os.close(fd)


def _create_ruleset(attr: _RulesetAttr, size: int) -> int:
    fd = _libc.syscall(_SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(size), 0)
    if fd < 0:
        raise LandlockError(ctypes.get_errno(), "landlock_create_ruleset failed")
    return int(fd)


def _restrict_self(ruleset: int) -> None:
    """Confine this process (irreversibly) by the ruleset ``ruleset``."""
    if _libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise LandlockError(ctypes.get_errno(), "prctl(NO_NEW_PRIVS) failed")
    if _libc.syscall(_SYS_RESTRICT_SELF, ruleset, 0) != 0:
        raise LandlockError(ctypes.get_errno(), "landlock_restrict_self failed")


class Ruleset:
    """A ruleset built once (in the zygote) and applied by each sandbox: the rules name paths
    by their inodes, so that every sandbox of the zygote, which sees the same file system,
    needs only the one system call that confines it (:meth:`apply`)."""

    def __init__(
        self,
        read_paths: Iterable[str],
        write_paths: Iterable[str],
        write_files: Iterable[str] = (),
    ) -> None:
        """``write_files``: single files that may be written as well as read (``/dev/null``).
        Raises :class:`LandlockError` when Landlock is unavailable."""
        abi = abi_version()
        if abi < 1:
            raise LandlockError("Landlock is not available in this kernel")
        self.abi = abi
        fs = _fs_rights(abi)
        attr = _RulesetAttr(
            handled_access_fs=fs,
            handled_access_net=(NET_BIND_TCP | NET_CONNECT_TCP) if abi >= 4 else 0,
            scoped=(SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL) if abi >= 6 else 0,
        )
        # Older ABIs reject fields they do not know, so pass the struct's prefix they understand.
        size = ctypes.sizeof(attr) if abi >= 6 else (16 if abi >= 4 else 8)
        self.fd = _create_ruleset(attr, size)
        os.set_inheritable(self.fd, False)
        file_rights = READ | FS_WRITE_FILE | FS_TRUNCATE | FS_IOCTL_DEV
        try:
            for paths, access in (
                (read_paths, READ),
                (write_paths, fs),
                (write_files, file_rights),
            ):
                for path in paths:
                    _add_path(self.fd, path, access & fs)
        except LandlockError:
            self.close()
            raise

    def apply(self) -> dict[str, bool]:
        """Confine this process (irreversibly) and say which layers hold."""
        _restrict_self(self.fd)
        abi = self.abi
        return {"landlock_fs": True, "landlock_tcp": abi >= 4, "landlock_signal_scope": abi >= 6}

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _add_path(ruleset: int, path: str, access: int) -> None:
    try:
        fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not os.path.isdir(path):
            # Directory-only rights are refused on files.
            access &= FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
        rule = _PathBeneathAttr(allowed_access=access, parent_fd=fd)
        if _libc.syscall(_SYS_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
            raise LandlockError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
    finally:
        os.close(fd)
