"""Sandbox backends: where a submission's sandboxes come from.

The engine, ``optigrade doctor`` and the pytest plugin ask a backend for a
:class:`~autograder.sandbox.client.Sandbox` and talk to it only through the sandbox's own
methods (start, call, kill); none of them builds the machinery behind it. :func:`open_backend`
is the one place that chooses it.

Today there is one backend, :class:`LocalZygote`: every sandbox is forked from a zygote process
on this machine (``autograder/sandbox/zygote.py``; the layers in ``docs/SECURITY.md``). Another
(a container per submission, a remote sandbox service) would implement the same four methods.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from autograder.sandbox.client import Observer, Sandbox, Timeouts, Zygote
from autograder.sandbox.isolation import Limits


class SandboxBackend(Protocol):
    """Makes sandboxes; holds whatever they are forked or started from."""

    def sandbox(
        self,
        cells: list[str],
        limits: Limits | None = None,
        timeouts: Timeouts | None = None,
        *,
        use_plan: bool = True,
        on_runaway: Callable[[], None] | None = None,
        observer: Observer | None = None,
    ) -> Sandbox:
        """A sandbox for ``cells`` (not started yet)."""
        ...

    def share_plan(self, traces: Sequence[tuple[bytes, list[int]]]) -> None:
        """Hand the suite's recorded call traces to future sandboxes (plan replay); only the
        ones the backend does not hold yet are sent."""
        ...

    def recover(self) -> bool:
        """After a sandbox failed to start: replace the machinery if it is what died. True if
        it did (a second try may work), False if the failure was the submission's own."""
        ...

    def close(self) -> None: ...


class LocalZygote:
    """Sandboxes forked from a zygote on this machine, started when the backend is made."""

    def __init__(self) -> None:
        self.zygote = Zygote()

    @property
    def pid(self) -> int:
        """The zygote's process id (placement puts it on its worker's core)."""
        return self.zygote.process.pid

    def sandbox(
        self,
        cells: list[str],
        limits: Limits | None = None,
        timeouts: Timeouts | None = None,
        *,
        use_plan: bool = True,
        on_runaway: Callable[[], None] | None = None,
        observer: Observer | None = None,
    ) -> Sandbox:
        return Sandbox(
            self.zygote,
            cells,
            limits or Limits(),
            timeouts or Timeouts(),
            use_plan=use_plan,
            on_runaway=on_runaway,
            observer=observer,
        )

    def share_plan(self, traces: Sequence[tuple[bytes, list[int]]]) -> None:
        known = len(self.zygote.plan_calls)
        if len(traces) > known:
            self.zygote.extend_plan(list(traces[known:]))

    def recover(self) -> bool:
        if self.zygote.process.poll() is None:
            return False
        self.zygote.close()
        self.zygote = Zygote()
        return True

    def close(self) -> None:
        self.zygote.close()


def open_backend() -> LocalZygote:
    """The sandbox backend of this machine."""
    return LocalZygote()
