"""The worker server: the process every grading worker of a batch is forked from.

It is multiprocessing's forkserver with ``autograder.preload`` loaded: the engine, the
notebook reader and, when it is started for an assignment, that assignment's suite collected
and its reference pass done (the plan every sandbox runs, and the reference's results), so
that the batch's workers inherit them instead of each doing the same work at the same time.

``optigrade grade`` starts it before it imports itself (:func:`prestart_grade`), which lets
the server load while the command does; any later call only returns the same server.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import multiprocessing.util
import os
from collections.abc import Iterator, Sequence
from multiprocessing import forkserver
from multiprocessing.context import BaseContext
from pathlib import Path

from autograder.scratch import run_temp

#: Names the assignment whose suite the server prepares (read by ``autograder.preload``).
WARM_ENV = "OPTIGRADE_WARM_SUITE"
_SUITES = Path(__file__).resolve().parent / "suites"


def start_worker_server(assignment: str | None = None) -> BaseContext:
    """Start the worker server if it is not running; return its multiprocessing context.

    Workers start clean (no inherited sqlite handle or threads): each is forked from this
    fresh server process. ``assignment`` only matters to the call that starts the server.
    A server prepared for another assignment (or none) costs the workers their own reference
    pass, nothing else: each worker checks what it inherited (``engine``).
    """
    context = mp.get_context("forkserver")
    context.set_forkserver_preload(["autograder.preload"])
    # The server, its workers and their sandboxes keep their temporary files in the run's
    # own folder: removed at exit, and by the next run if this one is killed.
    run = run_temp()
    with _environment(WARM_ENV, assignment), _environment("TMPDIR", run.path):
        forkserver.ensure_running()
    # This process's multiprocessing folder (``pymp-*``, made for the server's socket) stays
    # beside it, where the socket's path fits in the 108 bytes a unix socket allows; the run
    # folder names it, so that the next run removes it too if this one is killed.
    run.adopt(multiprocessing.util.get_temp_dir())
    return context


def prestart_grade(args: Sequence[str]) -> None:
    """Start the server for ``optigrade grade ARGS`` before the command is even imported.

    The assignment is read from the arguments as a hint only (click parses them properly
    later): a wrong or missing hint leaves the workers to prepare the suite themselves.
    """
    if "--help" in args or "-h" in args or any(a.startswith("--cluster") for a in args):
        return  # help needs no server; a cluster's workers prepare the suite themselves
    start_worker_server(assignment_hint(args))


def assignment_hint(args: Sequence[str]) -> str | None:
    """The ``--assignment``/``-a`` value in ``args``, if it names a suite; else ``None``."""
    found = None
    for index, arg in enumerate(args):
        if arg == "--":
            break
        if arg in ("-a", "--assignment"):
            found = args[index + 1] if index + 1 < len(args) else None
        elif arg.startswith("--assignment="):
            found = arg.split("=", 1)[1]
        elif arg.startswith("-a") and not arg.startswith("--"):
            found = arg[2:]
    if found and found.isidentifier() and (_SUITES / found).is_dir():
        return found
    return None


@contextlib.contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """``name`` set to ``value`` (or removed) for the duration, as the server inherits it."""
    previous = os.environ.pop(name, None)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        os.environ.pop(name, None)
        if previous is not None:
            os.environ[name] = previous
