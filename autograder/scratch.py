"""A batch's scratch folders, and the reclaiming of the ones that dead batches left behind.

Two kinds: ``OUT/.work/batch-*`` (LMS zips unpacked, beside the outputs) and, for the worker
server and every process forked from it, a temporary folder of the run
(``$TMPDIR/optigrade-run-*``: pytest's root of each worker, the sandboxes' scratch where no
mount namespace gives them a tmpfs), which the worker server gets as its ``TMPDIR``; it also
names the main process's multiprocessing folder beside it (``pymp-*``), removed with it. Both
are removed when the batch ends, and by the next batch if it was killed.

A batch holds an exclusive ``flock`` on its own folder for as long as it runs; the kernel
drops it however the batch ends, SIGKILL included. Every batch, as it starts, removes the
folders whose lock it can take: their batch is dead. A folder whose lock is held belongs to a
batch still running on the same output folder, and is left alone. Creating a folder and taking
its lock, and sweeping, are each done under a lock on ``.work`` itself, so a sweep never sees
a live batch's folder between the two steps.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import functools
import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

PREFIX = "batch-"
RUN_PREFIX = "optigrade-run-"


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


def reclaim_stale(root: Path, prefix: str = PREFIX, owner: int | None = None) -> list[Path]:
    """Remove the folders ``root/prefix*`` whose batch is dead (their lock is free), and of
    ``owner`` only if given (a shared temporary folder holds other users' runs).

    No live batch's folder is unlocked there: :class:`Scratch` makes and locks its folder
    under the lock on ``root``, :class:`RunTemp` locks its folder before giving it its name.
    """
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for entry in os.scandir(root):
            if not entry.name.startswith(prefix) or not entry.is_dir(follow_symlinks=False):
                continue
            if owner is not None and entry.stat(follow_symlinks=False).st_uid != owner:
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
                _remove_adopted(entry.path, owner)
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
            finally:
                os.close(handle)
    return removed


class RunTemp:
    """This process's temporary folder for the run, locked while the process lives."""

    def __init__(self, base: str) -> None:
        reclaim_stale(Path(base), RUN_PREFIX, owner=os.geteuid())
        # Made under another name, locked, then renamed: a sweep never sees it unlocked.
        made = tempfile.mkdtemp(prefix="optigrade-new-", dir=base)
        self._lock = os.open(made, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.path = os.path.join(base, RUN_PREFIX + os.path.basename(made).rsplit("-", 1)[-1])
        os.rename(made, self.path)
        atexit.register(self.release)

    def adopt(self, folder: str) -> None:
        """Have ``folder``, made beside this one by a library (multiprocessing's ``pymp-*``),
        removed with it by the next run if this process is killed (at a normal exit its
        maker removes it)."""
        with open(os.path.join(self.path, _ADOPTED), "a", encoding="utf-8") as listing:
            listing.write(folder + "\n")

    def release(self) -> None:
        """Remove the folder (at exit: every worker and sandbox of the run is gone by then)."""
        shutil.rmtree(self.path, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


#: The file of a run folder naming the folders it adopted (:meth:`RunTemp.adopt`).
_ADOPTED = "adopted"
#: What an adopted folder may be called: multiprocessing's own temporary folder.
_ADOPTABLE = "pymp-"


def _remove_adopted(run_folder: str, owner: int | None) -> None:
    """Remove the folders a dead run adopted: only siblings of its folder, named as
    multiprocessing names its own, real folders (not links) and, if given, ``owner``'s."""
    try:
        with open(os.path.join(run_folder, _ADOPTED), encoding="utf-8") as listing:
            named = listing.read().splitlines()
    except (OSError, UnicodeDecodeError):
        return
    base = os.path.dirname(run_folder)
    for folder in named:
        if os.path.dirname(folder) != base or not os.path.basename(folder).startswith(_ADOPTABLE):
            continue
        try:
            info = os.lstat(folder)
        except (OSError, ValueError):  # ValueError: a NUL in the name
            continue
        if stat.S_ISDIR(info.st_mode) and (owner is None or info.st_uid == owner):
            shutil.rmtree(folder, ignore_errors=True)


@functools.cache
def run_temp() -> RunTemp:
    """This process's :class:`RunTemp`, made (and stale ones reclaimed) on the first call."""
    return RunTemp(tempfile.gettempdir())
