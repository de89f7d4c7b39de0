"""A batch's scratch folder (``OUT/.work/batch-*``: LMS zips unpacked), and the reclaiming of
the ones that dead batches left behind.

A batch holds an exclusive ``flock`` on its own folder for as long as it runs; the kernel
drops it however the batch ends, SIGKILL included. Every batch, as it starts, removes the
folders whose lock it can take: their batch is dead. A folder whose lock is held belongs to a
batch still running on the same output folder, and is left alone. Creating a folder and taking
its lock, and sweeping, are each done under a lock on ``.work`` itself, so a sweep never sees
a live batch's folder between the two steps.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

PREFIX = "batch-"


class Scratch:
    """``with Scratch(out) as path:`` a fresh, locked scratch folder under ``out/.work``,
    stale ones reclaimed first; removed on the way out (and ``.work`` too, once empty)."""

    def __init__(self, out: Path) -> None:
        self.root = out / ".work"
        self.path: Path | None = None
        self._lock: int | None = None
        self.reclaimed: list[Path] = []  # dead batches' folders removed as this one started

    def __enter__(self) -> Path:
        with self._work_lock():
            self.reclaimed = reclaim_stale(self.root)
            path = Path(tempfile.mkdtemp(prefix=PREFIX, dir=self.root))
            self._lock = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.path = path
        return path

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.path is None:
            return
        with self._work_lock():
            shutil.rmtree(self.path, ignore_errors=True)
            if self._lock is not None:
                os.close(self._lock)
                self._lock = None
            with contextlib.suppress(OSError):  # another batch's folder is still there
                self.root.rmdir()
        self.path = None

    @contextlib.contextmanager
    def _work_lock(self) -> Iterator[None]:
        """An exclusive lock on ``.work``, made if needed. A batch ending may remove ``.work``
        just before this lock is taken: then the folder locked is not the one at the path,
        and it is made and locked again."""
        while True:
            self.root.mkdir(parents=True, exist_ok=True)
            try:
                handle = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except FileNotFoundError:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX)
                try:
                    current = os.stat(self.root)
                except FileNotFoundError:
                    continue
                if os.path.samestat(current, os.fstat(handle)):
                    yield
                    return
            finally:
                os.close(handle)


def reclaim_stale(root: Path) -> list[Path]:
    """Remove the scratch folders under ``root`` whose batch is dead (their lock is free).

    The caller holds the lock on ``root`` (see :class:`Scratch`): no batch is between making
    its folder and locking it.
    """
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(root):
            if not entry.name.startswith(PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            try:
                handle = os.open(entry.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError:
                continue
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a live batch's
            else:
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
            finally:
                os.close(handle)
    return removed
