"""``optigrade grade``, ``optigrade report`` and ``optigrade doctor``: the TA's commands."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

import solutions
from autograder import batch, reports
from autograder.gradebook import Gradebook
from autograder.ingest import IngestError
from autograder.sandbox.client import Timeouts
from autograder.sandbox.isolation import Limits
from autograder.scoring import SuiteError, load_points, suite_version
from autograder.server import start_worker_server
from autograder.settings import Settings
from autograder.summary import Tally, print_summary
from optigrade.i18n import LANGS

ASSIGNMENT = click.option(
    "--assignment",
    "-a",
    required=True,
    type=click.Choice(sorted(solutions.ASSIGNMENTS)),
    help="Which assignment's hidden suite to grade with.",
)
LANG = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default="ko",
    show_default=True,
    help="Language of the feedback files.",
)


@click.command()
@ASSIGNMENT
@click.argument("submissions", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder for grades.csv, results/, feedback/ and the gradebook.",
)
@LANG
@click.option(
    "--gradebook",
    type=click.Path(path_type=Path, dir_okay=False),
    help="SQLite gradebook [default: OUT/gradebook.sqlite].",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(1, 256),
    help="Worker processes [default: two per core].",
)
@click.option(
    "--regrade",
    is_flag=True,
    help="Grade again even submissions that are unchanged since the last run.",
)
@click.option(
    "--timeout-call",
    type=float,
    default=5.0,
    show_default=True,
    help="Seconds per call into student code.",
)
@click.option(
    "--timeout-cell",
    type=float,
    default=3.0,
    show_default=True,
    help="Seconds per notebook cell while loading a submission; a cell that hangs is skipped.",
)
@click.option(
    "--timeout-submission",
    type=float,
    default=60.0,
    show_default=True,
    help="Seconds of sandbox time per submission in all.",
)
@click.option(
    "--memory-mb",
    type=int,
    default=1024,
    show_default=True,
    help="Memory cap of a student's process.",
)
@click.option(
    "--no-reuse",
    is_flag=True,
    help="Run every hidden test for every submission, even where an earlier submission gave "
    "exactly the same answers (by default that test's outcome is reused: same grade, faster).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def grade(
    assignment: str,
    submissions: tuple[Path, ...],
    out: Path,
    lang: str,
    gradebook: Path | None,
    jobs: int | None,
    regrade: bool,
    timeout_call: float,
    timeout_cell: float,
    timeout_submission: float,
    memory_mb: int,
    no_reuse: bool,
    as_json: bool,
) -> None:
    """Grade SUBMISSIONS (.ipynb, .py, folders of them, or LMS download zips).

    Student code runs only in a sandbox; the hidden pytest suite runs in the grader. Every result
    is committed to the gradebook as its submission finishes, so an interrupted run resumes where
    it stopped (unchanged submissions are skipped; --regrade forces). Writes OUT/grades.csv,
    OUT/results/<student>.json (Gradescope format) and OUT/feedback/<student>.{md,html}.

    \b
    Example:
      optigrade grade -a optimizers --out graded/ canvas_download.zip
    """
    console = Console(stderr=True)
    try:
        points = load_points(assignment)
        settings = Settings(
            assignment,
            suite_version(assignment),
            Limits(memory_mb=memory_mb, cpu_seconds=int(timeout_submission) + 5),
            Timeouts(
                call=timeout_call,
                cell=timeout_cell,
                load=max(timeout_cell * 3, 10.0),
                submission=timeout_submission,
            ),
            reuse_outcomes=not no_reuse,
        )
    except SuiteError as exc:
        raise click.ClickException(str(exc)) from exc
    reports.make_folders(out)
    start_worker_server(assignment)  # already running if `optigrade` started it (prestart)
    book = Gradebook(gradebook or out / "gradebook.sqlite")
    scratch = batch.scratch_dir(out)
    try:
        try:
            plan = batch.plan(settings, list(submissions), book, scratch, regrade)
        except IngestError as exc:
            raise click.ClickException(str(exc)) from exc
        if not plan.tasks and not plan.skipped:
            raise click.ClickException("no .ipynb or .py submissions found in the given paths")
        console.print(
            f"Grading [bold]{len(plan.tasks)}[/] submissions of [bold]{assignment}[/] "
            f"({points.max_score:g} points; {len(plan.skipped)} unchanged, skipped)"
        )
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )

        def exported(result: dict[str, Any]) -> None:
            # Each student's files are written as the result arrives, while the workers grade
            # on, rather than all at the end with one core idle; the CSV is written last.
            reports.write_student(result, out, lang)
            progress.advance(bar)

        with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
            bar = progress.add_task("grading", total=len(plan.tasks))
            graded = batch.run(settings, plan, book, jobs, on_result=exported)
        # Streamed from the gradebook, never held as a whole: memory does not grow with the class.
        tally = Tally()
        reports.write_all(
            tally.counted(book.results(assignment)), assignment, out, lang, set(graded)
        )
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
        book.close()
    summary = tally.summary(len(graded), len(plan.skipped))
    summary["outputs"] = {
        "csv": str(out / "grades.csv"),
        "results": str(out / "results"),
        "feedback": str(out / "feedback"),
        "gradebook": str(book.path),
    }
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_summary(summary, Console())
        click.echo(
            f"Wrote {out / 'grades.csv'}, {out / 'results'}/, {out / 'feedback'}/ "
            f"(gradebook {book.path})"
        )


@click.command()
@ASSIGNMENT
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder the exports are written to.",
)
@click.option(
    "--gradebook",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="SQLite gradebook [default: OUT/gradebook.sqlite].",
)
@LANG
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def report(assignment: str, out: Path, gradebook: Path | None, lang: str, as_json: bool) -> None:
    """Regenerate grades.csv, results/ and feedback/ from the gradebook.

    Use it to write the feedback in the other language, or after a change to the exports.
    """
    path = gradebook or out / "gradebook.sqlite"
    if not path.exists():
        raise click.ClickException(
            f"{path}: no gradebook there; run `optigrade grade` first or pass --gradebook"
        )
    book = Gradebook(path)
    try:
        if not book.count(assignment):
            raise click.ClickException(f"the gradebook {path} has no results for {assignment!r}")
        tally = Tally()
        reports.write_all(tally.counted(book.results(assignment)), assignment, out, lang)
    finally:
        book.close()
    summary = tally.summary(0, 0)
    if as_json:
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
    else:
        print_summary(summary, Console())


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def doctor(as_json: bool) -> None:
    """Say which sandbox isolation layers are active on this machine, proven by hostile probes."""
    from autograder.doctor import diagnose

    findings = diagnose()
    if as_json:
        click.echo(json.dumps(findings, indent=2))
        return
    console = Console()
    table = Table(
        title=f"Sandbox isolation (Landlock ABI {findings['landlock_abi']}, "
        f"{'root' if findings['running_as_root'] else 'unprivileged user'})"
    )
    table.add_column("layer")
    table.add_column("active")
    root = findings["running_as_root"]
    for layer, active in findings["layers"].items():
        # A user namespace is how an ordinary user gets the others; root has no capabilities to drop
        # unless it is root. Each is only meaningful on one side.
        if (layer == "user_namespace" and root) or (layer == "no_capabilities" and not root):
            table.add_row(layer.replace("_", " "), "n/a")
        else:
            table.add_row(layer.replace("_", " "), "[green]yes[/]" if active else "[red]NO[/]")
    console.print(table)
    probes = Table(title="Probes run as student code")
    probes.add_column("attempt")
    probes.add_column("result")
    for name, outcome in findings["probes"].items():
        probes.add_row(
            name, f"[green]{outcome}[/]" if outcome.startswith("blocked") else f"[red]{outcome}[/]"
        )
    console.print(probes)
    if any(not outcome.startswith("blocked") for outcome in findings["probes"].values()):
        sys.exit(1)  # a probe got through: say so in the exit code too
