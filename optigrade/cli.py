"""The ``optigrade`` command: one group whose subcommands mirror the users' jobs.

Each package contributes its own subcommands; a subcommand is registered here only once it
works, so ``optigrade --help`` never advertises something that is not there.
"""

from __future__ import annotations

import click

from optigrade import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="optigrade")
def main() -> None:
    """Grading and quizzes for a course on optimization in deep learning.

    \b
    Students:     optigrade check   (run the public checks on a notebook)
    TAs:          optigrade grade   (grade a class's submissions)
    Instructors:  optigrade assign, optigrade quiz
    """


def _register() -> None:
    # Imported here, not at module top, so that a broken optional part cannot stop `--help`.
    from autograder.cli import doctor, grade, report

    for command in (grade, report, doctor):
        main.add_command(command)
    from assignments.cli import assign

    main.add_command(assign)
    from assignments.otter.cli import export

    main.add_command(export)
    from quizzes.cli import quiz

    main.add_command(quiz)


_register()
