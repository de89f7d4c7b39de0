"""The ``optigrade`` command: one group whose subcommands mirror the users' jobs.

Each package contributes its own subcommands; a subcommand is registered here only once it
works, so ``optigrade --help`` never advertises something that is not there. They are
imported on first use (:class:`_LazyGroup`).
"""

from __future__ import annotations

import atexit
import importlib
import os
import sys
import threading
from typing import Any

import click

from optigrade import __version__


class _LazyGroup(click.Group):
    """A group whose subcommands are imported only when used (or listed by ``--help``).

    ``optigrade grade`` then never imports the quiz renderer or the notebook builder, and
    the grading workers, which start by re-importing this module, start in a fraction of the
    time.
    """

    def __init__(
        self, *args: Any, lazy: dict[str, str], prestart: dict[str, str], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = lazy  # command name -> "module:attribute"
        # command name -> "module:function", called with the command's arguments before the
        # command is imported: work that the import would otherwise hold up.
        self.prestart = prestart

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0] if args else None
        if name in self.prestart and name not in self.commands:
            module, function = self.prestart[name].split(":")
            getattr(importlib.import_module(module), function)(args[1:])
        return super().resolve_command(ctx, args)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.commands:
            module, attribute = self.lazy[cmd_name].split(":")
            self.add_command(getattr(importlib.import_module(module), attribute), cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(
    cls=_LazyGroup,
    lazy={
        "grade": "autograder.cli:grade",
        "report": "autograder.cli:report",
        "override": "autograder.cli:override",
        "doctor": "autograder.cli:doctor",
        "assign": "assignments.cli:assign",
        "export": "assignments.otter.cli:export",
        "quiz": "quizzes.cli:quiz",
    },
    # The worker server loads the engine and prepares the suite while `grade` imports itself.
    prestart={"grade": "autograder.server:prestart_grade"},
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="optigrade")
def main() -> None:
    """Grading and quizzes for a course on optimization in deep learning.

    \b
    Students:     no command: the public checks run in the notebook, check("all")
    TAs:          optigrade grade   (grade a class's submissions)
    Instructors:  optigrade assign, optigrade quiz
    """


def run() -> None:
    """The ``optigrade`` console script: :func:`main`, then a quick exit.

    Once a command has finished and its output is flushed, what is left is the interpreter
    tearing itself down, freeing every object one by one: after a batch of 1,000 the main
    process took 0.10 to 0.17 s more to end. This ends it as the interpreter would, in the
    same order, without that teardown: a ``SystemExit`` message printed, threads that are
    not daemons joined, exit handlers run (multiprocessing stops its worker server and
    removes its temporary folder there), standard streams flushed (status 120 if that
    fails, as Python gives). Every file the commands write is closed when they return.
    """
    try:
        main()
        code: object = 0
    except SystemExit as exc:  # click ends every command with one
        code = exc.code
    if code is None:
        code = 0
    elif not isinstance(code, int):  # SystemExit("message"): printed, status 1
        print(code, file=sys.stderr)
        code = 1
    threading._shutdown()  # type: ignore[attr-defined]
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:  # e.g. a closed pipe
            code = code or 120
    os._exit(code)
