"""The grading service: one grading engine in a process of its own, fed over pipes.

An executor whose host process must not run pytest and zygotes itself (a Dask worker: its own
threads, event loop and signal handlers) starts one service per grading slot. The service runs
:func:`autograder.engine.grade_stream` exactly as a local worker does, with the same sandbox
machinery; it reads the batch's settings, then one :class:`Parcel` after another, and answers
each with its result.

Frames are length-prefixed pickles. Both ends are the grader's own processes (a sandbox never
writes here: its replies reach the engine over the sandbox channel, checked by
:mod:`autograder.sandbox.schema`), so pickle is as safe here as between the local pool's
processes. The service exits when its host is gone (the end of a lifeline pipe only the host
holds), taking its zygote and sandboxes with it.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import struct
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO, Any

from autograder.intake.files import NotAFile, read_regular
from autograder.intake.reader import MAX_FILE_BYTES
from autograder.settings import Settings, Task

_FRAME = struct.Struct("<Q")


class ServiceDied(RuntimeError):
    """The service process ended before it answered."""


@dataclass(frozen=True)
class Parcel:
    """A submission as bytes: what travels to a machine that shares no disk with the batch.

    It carries the task itself (every field but the paths, which mean nothing there) and each
    file's bytes, in the order of ``task.names``.
    """

    task: Task
    contents: list[bytes] = field(default_factory=list)

    @classmethod
    def of(cls, task: Task) -> Parcel:
        """Read ``task``'s files here, the way intake reads them (no link followed, at most
        one byte past the limit, so that the worker still sees a file as too large)."""
        names = task.names or [Path(f).name for f in task.files]
        contents: list[bytes] = []
        kept: list[str] = []
        refused = list(task.refused)
        for name, path in zip(names, task.files, strict=True):
            try:
                raw, _ = read_regular(path, MAX_FILE_BYTES)
            except (NotAFile, OSError) as exc:
                why = str(exc) if isinstance(exc, NotAFile) else (exc.strerror or "unreadable")
                refused.append(f"{Path(name).name}: {why}")
                continue
            kept.append(name)
            contents.append(raw)
        return cls(replace(task, files=[], names=kept, refused=refused), contents)

    def unpack(self, folder: Path) -> Task:
        """The task for this parcel, its files written under generated names in ``folder``
        (the names the submission knows them by travel in ``Task.names``)."""
        paths = []
        for number, raw in enumerate(self.contents):
            path = folder / f"{number:04d}"
            path.write_bytes(raw)
            paths.append(str(path))
        return replace(self.task, files=paths)


def _send(stream: IO[bytes], message: Any) -> None:
    blob = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_FRAME.pack(len(blob)) + blob)
    stream.flush()


def _receive(stream: IO[bytes]) -> Any:
    head = stream.read(_FRAME.size)
    if len(head) < _FRAME.size:
        raise EOFError
    (size,) = _FRAME.unpack(head)
    blob = stream.read(size)
    if len(blob) < size:
        raise EOFError
    return pickle.loads(blob)


class GradingService:
    """The host's end: starts a service process for ``settings`` and grades one parcel at a
    time with it (not thread-safe: one service per grading slot)."""

    def __init__(self, settings: Settings) -> None:
        self._life_read, self._life_write = os.pipe()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "autograder.executors.service", str(self._life_read)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            pass_fds=(self._life_read,),
        )
        os.close(self._life_read)
        _send(self.process.stdin, settings)

    def grade(self, parcel: Parcel) -> dict[str, Any]:
        """The service's result for ``parcel``; :class:`ServiceDied` if it ends first."""
        try:
            _send(self.process.stdin, parcel)
            return _receive(self.process.stdout)
        except (EOFError, BrokenPipeError, OSError) as exc:
            raise ServiceDied(
                f"the grading service ended (exit code {self.process.poll()})"
            ) from exc

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self._life_write)  # the service sees its lifeline end and exits
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _serve(lifeline: int) -> int:
    from autograder.engine import grade_stream
    from autograder.executors.process import become_grading_process

    # The protocol keeps the real stdout; whatever pytest or a dying worker prints goes to
    # stderr (shown escaped, as in every grading process).
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    become_grading_process("optigrade-svc", lifeline)
    requests = sys.stdin.buffer
    settings = _receive(requests)

    def parcels() -> Iterator[Task]:
        while True:
            try:
                parcel = _receive(requests)
            except EOFError:
                return
            with tempfile.TemporaryDirectory(prefix="optigrade-parcel-") as folder:
                yield parcel.unpack(Path(folder))

    return grade_stream(settings, parcels(), lambda result: _send(answers, result))


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1])))
