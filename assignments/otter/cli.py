"""``optigrade export otter``: one assignment as an otter-grader / Gradescope assignment."""

from __future__ import annotations

from pathlib import Path

import click

from assignments.otter.cases import ExportError
from assignments.otter.export import OtterError, export_otter
from assignments.reference import assignments
from optigrade.i18n import DEFAULT_LANG, LANGS


@click.group()
def export() -> None:
    """Export an assignment to another grading system."""


@export.command()
@click.option("--assignment", required=True, type=click.Choice(assignments()))
@click.option("--lang", type=click.Choice(LANGS), default=DEFAULT_LANG, show_default=True)
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder that receives master/, dist/ and autograder.zip.",
)
def otter(assignment: str, lang: str, out: Path) -> None:
    """Master notebook, student notebook and Gradescope autograder.zip for otter-grader.

    \b
    OUT/master/<assignment>.ipynb        the master notebook `otter assign` reads
    OUT/dist/student/<assignment>.ipynb  hand this out (with checks.py beside it)
    OUT/autograder.zip                   upload this to Gradescope
    Hidden tests are our hidden suite's cases (same points); see docs/OTTER.md.
    """
    try:
        result = export_otter(assignment, lang, out)
    except (OtterError, ExportError) as error:
        raise click.ClickException(str(error)) from None
    for label, path in (
        ("master notebook", result.master),
        ("student notebook", result.student),
        ("solution notebook", result.solution),
        ("Gradescope zip", result.autograder_zip),
    ):
        click.echo(f"{label:>18}: {path}")
