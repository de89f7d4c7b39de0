"""What makes a process a grading process, whichever executor started it.

A local pool's worker and a Dask worker's grading service run the same engine and must behave
the same way: end at once when whoever started them is gone (the zygote, their child, and its
sandboxes with them), show what they print escaped (a traceback may quote a student's values),
and take overflow on hostile inputs as data rather than as warnings.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import warnings

from autograder.escaping import VisibleWriter
from autograder.sandbox import isolation


def exit_when_closed(fd: int) -> None:
    """Exit this process as soon as the writing end of the pipe ``fd`` reads from is closed
    (its holder exited, however it ended): nothing is ever sent on it."""

    def wait() -> None:
        with contextlib.suppress(OSError):
            while os.read(fd, 1):
                pass
        os._exit(70)  # at once: the zygote, our child, dies with us (and its sandbox)

    threading.Thread(target=wait, name="optigrade-lifeline", daemon=True).start()


def become_grading_process(name: str, lifeline: int) -> None:
    """Make this process a grading process named ``name`` that lives as long as the holder
    of ``lifeline``'s writing end."""
    exit_when_closed(lifeline)
    isolation.name_process(name)
    sys.stdout, sys.stderr = VisibleWriter(sys.stdout), VisibleWriter(sys.stderr)
    warnings.simplefilter("ignore", RuntimeWarning)
