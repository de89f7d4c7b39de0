"""Opening a submission's files: never through a link, never blocking, only regular files.

The decision is taken on the file that was opened (``open`` with ``O_NOFOLLOW``, then
``fstat``), never on a name checked before the open: a file swapped for a link or a FIFO between
the two is refused all the same. ``O_NONBLOCK`` keeps the open of a FIFO from waiting for a
writer; ``O_NOCTTY`` keeps a terminal from becoming ours.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from autograder.intake import texts
from optigrade.i18n import Text

_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC | os.O_NOCTTY
_KINDS = {
    stat.S_IFDIR: texts.FOLDER,
    stat.S_IFIFO: texts.FIFO,
    stat.S_IFSOCK: texts.SOCKET,
    stat.S_IFCHR: texts.CHAR_DEVICE,
    stat.S_IFBLK: texts.BLOCK_DEVICE,
}


class NotAFile(Exception):
    """The path is not a regular file; the message is the bilingual reason."""


def refusal(mode: int) -> str | None:
    """Why a file of this ``st_mode`` is refused, or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return texts.say(texts.SYMLINK)
    kind: Text = _KINDS.get(stat.S_IFMT(mode), texts.UNKNOWN_KIND)
    return texts.say(texts.SPECIAL, kind=kind)


def open_regular(path: Path | str) -> int:
    """A descriptor of ``path`` if it is a regular file reached without following a link
    at its last component; :class:`NotAFile` otherwise (``OSError`` if it cannot be opened)."""
    try:
        fd = os.open(path, _FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotAFile(texts.say(texts.SYMLINK)) from None
        if exc.errno == errno.ENXIO:  # a socket, or a device without its driver
            raise NotAFile(texts.say(texts.SPECIAL, kind=texts.SOCKET)) from None
        raise
    reason = refusal(os.fstat(fd).st_mode)
    if reason is not None:
        os.close(fd)
        raise NotAFile(reason)
    return fd


def read_regular(path: Path | str, limit: int) -> tuple[bytes, int]:
    """The first ``limit + 1`` bytes at most of a regular file (one past the limit says it
    is over), and its size."""
    fd = open_regular(path)
    try:
        size = os.fstat(fd).st_size
        with os.fdopen(fd, "rb", closefd=False) as handle:
            # Sized to the file: a read of the limit itself allocates 50 MB every time.
            return handle.read(min(size, limit) + 1), size
    finally:
        os.close(fd)
