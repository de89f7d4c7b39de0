"""``optigrade grade``, ``optigrade report`` and ``optigrade doctor``: the TA's commands."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import sys
import threading
from collections import deque
from collections.abc import Sequence
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
from rich.text import Text

import solutions
from autograder import batch, reports
from autograder import messages as m
from autograder.classreport import HTML_NAME as CLASS_HTML
from autograder.classreport import ClassReport
from autograder.escaping import json_text, visible
from autograder.executors import Executor, make_executor
from autograder.gradebook import Gradebook
from autograder.intake import IngestError
from autograder.intake import options as intake_options
from autograder.intake import texts as intake_texts
from autograder.intake.worksheet import WorksheetError
from autograder.lms import changes
from autograder.lms import texts as lt
from autograder.lms.course import Course, CourseError, load_course
from autograder.lms.overrides import OverrideError, apply_overrides, checked_override, os_user
from autograder.lms.publish import publish
from autograder.sandbox.client import Timeouts
from autograder.sandbox.isolation import Limits
from autograder.scoring import SuiteError, load_points, shown, suite_version
from autograder.scratch import Scratch
from autograder.server import start_worker_server
from autograder.settings import Settings
from autograder.summary import Tally, print_summary
from optigrade.i18n import LANGS

#: Exit status of a ``grade`` refused because an isolation layer is missing (2: usage errors).
EXIT_LAYER_MISSING = 3


class _FilesAfterOptions(click.Command):
    """A command whose file arguments cannot be taken for options by mistake.

    ``optigrade grade ... *`` in a folder holding a file named ``--out=elsewhere.ipynb`` would
    hand that name to the option parser. Before click parses, every argument up to ``--`` is
    looked at: one that looks like an option but names a file here, or an option given a second
    time (``--out x`` then ``--out=y``, ``-oy``), is refused with the advice to put ``--``
    before the submissions.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        _refuse_ambiguous(self, ctx, args)
        return super().parse_args(ctx, args)


def _refuse_ambiguous(command: click.Command, ctx: click.Context, args: Sequence[str]) -> None:
    takes_value: dict[str, tuple[str, bool]] = {}  # option string -> (its parameter, a value?)
    repeatable: set[str] = set()  # parameters meant to be given more than once
    for param in command.get_params(ctx):
        if isinstance(param, click.Option):
            if param.multiple:
                repeatable.add(param.name or "")
            for opt in (*param.opts, *param.secondary_opts):
                takes_value[opt] = (param.name or opt, not (param.is_flag or param.count))
    seen: dict[str, str] = {}
    # With `--`, what comes before it was typed as options (a shell's `*` expands after it):
    # only a repeated option is refused then, so that a file named `-a` here does not stop
    # `-a optimizers` from being an option.
    separated = "--" in args
    index = 0
    while index < len(args):
        arg = args[index]
        index += 1
        if arg == "--":
            return
        if not arg.startswith("-") or arg == "-":
            continue
        if not separated and os.path.lexists(arg):
            raise click.UsageError(m.both(m.OPTION_IS_A_FILE, arg=visible(arg)))
        for option, attached in _options_in(arg, takes_value):
            param, needs_value = takes_value[option]
            if param in seen and param not in repeatable:
                first, second = visible(seen[param]), visible(arg)
                raise click.UsageError(
                    m.both(m.OPTION_TWICE, option=option, first=first, second=second)
                )
            seen[param] = arg
            if needs_value and not attached:
                index += 1  # its value, whatever it looks like (click takes it as it is)


def _options_in(arg: str, known: dict[str, tuple[str, bool]]) -> list[tuple[str, bool]]:
    """The options one argument gives, as click reads it: ``(option string, value attached)``.

    ``--name=value`` and ``--name``; ``-o``, ``-ovalue`` and grouped short flags (``-hx``).
    Unknown options are left to click, which refuses them.
    """
    if arg.startswith("--"):
        name, equals, _value = arg.partition("=")
        return [(name, bool(equals))] if name in known else []
    found = []
    for position in range(1, len(arg)):
        name = "-" + arg[position]
        if name not in known:
            break
        rest = position + 1 < len(arg)
        found.append((name, rest))
        if known[name][1]:  # takes a value: the rest of the argument is that value
            break
    return found


ASSIGNMENT = click.option(
    "--assignment",
    "-a",
    required=True,
    type=click.Choice(sorted(solutions.ASSIGNMENTS)),
    help="Which assignment's hidden suite to grade with.",
)
EXISTING_GRADEBOOK = click.option(
    "--gradebook",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="SQLite gradebook [default: OUT/gradebook.sqlite].",
)
COURSE = click.option(
    "--course",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="The course file (course.toml: roster, due dates, late policy; docs/COURSE_FILE.md). "
    "With it, exports are keyed by the roster's student ids, carry the late penalty, and "
    "OUT/lms/ gets the Canvas and Moodle upload files.",
)
LANG = click.option(
    "--lang",
    type=click.Choice(LANGS),
    default=None,
    help="Language of the feedback files and results.json [default: the last one chosen for "
    "this gradebook, else ko].",
)


@click.command(cls=_FilesAfterOptions, options_metavar="[OPTIONS] [--]")
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
    help="Grade again even submissions that are unchanged since the last run (after a suite "
    "fix). TA overrides stay in force; the students whose grades changed are listed and "
    "written to OUT/grade_changes.csv.",
)
@click.option(
    "--drop-overrides",
    is_flag=True,
    help="Stop applying every TA override of this assignment from this run on (the override "
    "history stays in the gradebook).",
)
@COURSE
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
@click.option(
    "--no-speedups",
    is_flag=True,
    help="Switch off every speed-up (plan replay, reused outcomes, core placement): the same "
    "grades, slower. For checking that a grade does not depend on them.",
)
@click.option(
    "--accept-missing-layer",
    "accepted",
    multiple=True,
    metavar="LAYER",
    help="Grade even though this sandbox isolation layer does not hold here (repeat for each "
    "layer `optigrade doctor` reports missing). Without it, a missing layer stops grading.",
)
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Grade on a Dask cluster: a scheduler's address (tcp://HOST:8786), or local:N for N "
    "worker processes on this machine. Submissions travel as bytes; results are recorded here "
    "as they arrive. See docs/CLUSTER.md.",
)
@click.option(
    "--worksheet",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Moodle's grading worksheet (CSV) of this assignment: each participant's submission "
    "time is read from its 'Last modified (submission)' column.",
)
@click.option(
    "--timezone",
    metavar="ZONE",
    help="Time zone of the worksheet's times and of zip entry times (e.g. Asia/Seoul) "
    "[default: the course file's with --course, else UTC].",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def grade(
    assignment: str,
    submissions: tuple[Path, ...],
    out: Path,
    lang: str | None,
    gradebook: Path | None,
    jobs: int | None,
    regrade: bool,
    drop_overrides: bool,
    course: Path | None,
    timeout_call: float,
    timeout_cell: float,
    timeout_submission: float,
    memory_mb: int,
    no_reuse: bool,
    no_speedups: bool,
    accepted: tuple[str, ...],
    cluster: str | None,
    worksheet: Path | None,
    timezone: str | None,
    as_json: bool,
) -> None:
    """Grade SUBMISSIONS (.ipynb, .py, folders of them, or LMS download zips).

    Student code runs only in a sandbox; the hidden pytest suite runs in the grader. Every result
    is committed to the gradebook as its submission finishes, so an interrupted run resumes where
    it stopped (unchanged submissions are skipped; --regrade forces). Writes OUT/grades.csv,
    OUT/results/<student>.json (Gradescope format) and OUT/feedback/<student>.{md,html}.

    Put `--` between the options and the submissions: everything after it is a file, even a
    name that starts with `-` (a file named `--out=x.ipynb` is then a submission, not an
    option). Without it, an option given twice, or one that is also a file here, is refused.

    Before grading, one sandbox is started and probed (`optigrade doctor`): if an isolation
    layer does not hold, grading stops unless --accept-missing-layer names that layer.

    A student with several files has exactly one graded, by the rule in docs/TA_GUIDE.md
    (named like the assignment, else the latest resubmission, else the newest, else none).
    Exit codes: 1 the input is unusable, 2 usage (-a matches none of the notebooks),
    3 an isolation layer is missing, 4 graded, but some student's files were refused.

    \b
    Examples:
      optigrade grade -a optimizers --out graded/ -- canvas_download.zip
      optigrade grade -a optimizers --out graded/ -- submissions/*
      optigrade grade -a optimizers -o graded/ --worksheet ws.csv --timezone Asia/Seoul -- m.zip
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
            plan=not no_speedups,
            reuse_outcomes=not (no_reuse or no_speedups),
        )
    except SuiteError as exc:
        raise click.ClickException(str(exc)) from exc
    plan_of_course = _load_course(course, assignment)
    if timezone is None and plan_of_course is not None:
        # The download's times are in the course's zone unless told otherwise: a default of
        # UTC would charge on-time students of a Korean course nine hours.
        timezone = plan_of_course.assignment(assignment).timezone
    try:
        told, sheet_warnings = intake_options.intake(assignment, worksheet, timezone)
    except (intake_options.OptionError, WorksheetError) as exc:
        raise click.ClickException(visible(exc, lines=True)) from exc
    reports.make_folders(out)
    executor = _executor(cluster, jobs, placement=not no_speedups)
    if cluster is None:
        start_worker_server(assignment)  # already running if `optigrade` started it (prestart)
    # One sandbox probed (on every worker of a cluster) while the worker server prepares the
    # suite and the submissions are found: the three are independent, and the probe mostly
    # waits for its sandbox.
    gate = _Gate(executor)
    book = _open_gradebook(gradebook or out / "gradebook.sqlite")
    lang = book.language(assignment, lang)
    failed_exports: list[tuple[str, OSError]] = []
    try:
        maximum = float(points.max_score)
        before = changes.snapshot(book, assignment, plan_of_course, maximum)
        changes.settle_overrides(book, assignment, drop_overrides, console)
        in_force = book.overrides(assignment)
        with Scratch(out) as scratch:
            try:
                plan = batch.plan(settings, list(submissions), book, scratch, regrade, told)
            except IngestError as exc:
                raise click.ClickException(visible(exc, lines=True)) from exc
            wrong = intake_options.wrong_assignment(plan.submissions, assignment)
            if wrong is not None:
                raise click.UsageError(visible(wrong))
            plan.refused[:0] = [("", warning) for warning in sheet_warnings]
            _print_refused(plan.refused, console)
            _print_choices(plan, console)
            if not plan.tasks and not plan.skipped:
                raise click.ClickException(m.both(m.NOTHING_FOUND))
            gate.enforce(set(accepted), console)
            counts = {
                "count": len(plan.tasks),
                "assignment": assignment,
                "points": shown(points.max_score),
                "skipped": len(plan.skipped),
            }
            console.print(Text(m.both(m.GRADING, **counts)))
            columns = (
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                TextColumn("ETA"),
                TimeRemainingColumn(),
            )

            def exported(result: dict[str, Any]) -> None:
                # Each student's files are written as the result arrives, while the workers
                # grade on, rather than all at the end with one core idle; the CSV is last.
                # With a course file they are written at the end, under the roster's ids.
                try:
                    if plan_of_course is None:
                        result = apply_overrides(result, in_force.get(result["student"]))
                        reports.write_student(result, out, lang)
                except OSError as exc:  # a full disk: the gradebook has it, `report` rewrites
                    failed_exports.append((result["student"], exc))
                progress.advance(bar)

            with Progress(*columns, console=console, disable=not console.is_terminal) as progress:
                bar = progress.add_task("grading", total=len(plan.tasks))
                graded = batch.run(settings, plan, book, on_result=exported, executor=executor)
            # Streamed from the gradebook, never held as a whole: memory does not grow with
            # the class.
            tally, classes = Tally(), ClassReport(assignment)
            problems = intake_options.Problems((s.student for s in plan.submissions), plan.refused)
            results = classes.counted(tally.counted(problems.counted(book.results(assignment))))
            published = publish(
                results, book, assignment, out, lang, plan_of_course, maximum, written=set(graded)
            )
            classes.write(out, lang)
        after = changes.snapshot(book, assignment, plan_of_course, maximum)
        outdated = changes.outdated_overrides(book, assignment)
        changed = changes.compare(before, after)
        changes_file = changes.write_changes(out, changed)
    finally:
        book.close()
        gate.abandon()
        executor.close()
    if failed_exports:
        student, error = failed_exports[0]
        console.print(
            Text(
                m.both(
                    m.EXPORT_FAILED,
                    count=len(failed_exports),
                    student=visible(student),
                    error=visible(error),
                )
            )
        )
    summary = tally.summary(len(graded), len(plan.skipped))
    summary["refused"] = [{"student": who, "reason": why} for who, why in plan.refused]
    summary["intake"] = [
        {"student": s.student, "notes": s.notes, "provenance": s.provenance.as_json()}
        for s in plan.submissions
    ]
    summary["exit_code"] = problems.exit_code
    summary["outputs"] = {
        "csv": str(out / "grades.csv"),
        "results": str(out / "results"),
        "feedback": str(out / "feedback"),
        "class_report": str(out / CLASS_HTML),
        "gradebook": str(book.path),
        "grade_changes": str(changes_file),
    }
    summary["changed"] = changed
    summary["overrides_not_applied"] = outdated
    summary.update(published.summary())
    if as_json:
        click.echo(json_text(summary, indent=2))
    else:
        print_summary(summary, Console())
        published.print(console)
        if before:  # a first run changes nobody's grade: nothing to compare with
            changes.print_changes(changed, changes_file, console)
        changes.print_outdated(outdated, console)
        click.echo(
            visible(
                f"Wrote {out / 'grades.csv'}, {out / 'results'}/, {out / 'feedback'}/, "
                f"{out / CLASS_HTML} (gradebook {book.path})"
            )
        )
    if problems.exit_code:
        sys.exit(problems.exit_code)


def _load_course(path: Path | None, assignment: str) -> Course | None:
    """The course file given with --course (checked whole before anything is graded)."""
    if path is None:
        return None
    try:
        course = load_course(path)
        course.assignment(assignment)
    except CourseError as exc:
        raise click.ClickException(str(exc)) from exc
    return course


#: How many of intake's refusals the console lists (all are in ``--json`` and the feedback).
_REFUSALS_SHOWN = 20


def _print_refused(refused: list[tuple[str, str]], console: Console) -> None:
    """What intake refused, for the TA: student and reason, every byte made visible (a file
    name is the student's), in both languages' headings."""
    if not refused:
        return
    console.print(Text(m.both(m.REFUSED_AT_INTAKE, count=len(refused)), style="yellow"))
    for student, reason in refused[:_REFUSALS_SHOWN]:
        who = visible(student) or " / ".join(m.BATCH_WARNING.render(lang) for lang in ("ko", "en"))
        console.print(Text(f"  {who}: {visible(reason)}"))
    if len(refused) > _REFUSALS_SHOWN:
        console.print(Text(m.both(m.REFUSED_MORE, count=len(refused) - _REFUSALS_SHOWN)))


def _print_choices(plan: batch.BatchPlan, console: Console) -> None:
    """Which file was graded of each student who had several, and by which rule."""
    chosen = [s for s in plan.submissions if s.notes]
    if not chosen:
        return
    console.print(Text(m.both(intake_texts.CHOICES, count=len(chosen)), style="yellow"))
    for submission in chosen[:_REFUSALS_SHOWN]:
        for note in submission.notes:
            console.print(Text(f"  {visible(submission.student)}: {visible(note)}"))
    if len(chosen) > _REFUSALS_SHOWN:
        console.print(Text(m.both(m.REFUSED_MORE, count=len(chosen) - _REFUSALS_SHOWN)))


class _Gate:
    """``autograder.doctor.gate()`` run in a thread from the moment it is made, then enforced.

    It starts one sandbox and probes it (under a second, mostly the sandbox's own start-up on
    another core), while the main process finds the submissions and the worker server prepares
    the suite.
    """

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.missing: list[Any] = []
        self.error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="optigrade-gate", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.missing = self.executor.missing_layers()
        except Exception as exc:  # any failure to check is a refusal that says why
            self.error = exc

    def enforce(self, accepted: set[str], console: Console) -> None:
        """Refuse (exit 3) if a layer is missing that ``accepted`` does not name; warn for each
        accepted one."""
        self._thread.join()
        if self.error is not None:
            raise _Refused(m.both(m.GATE_FAILED, error=visible(self.error)))
        refused = [layer for layer in self.missing if layer.layer not in accepted]
        for layer in self.missing:
            if layer.layer in accepted:
                console.print(Text(_about(m.GATE_ACCEPTED, layer)))
        if refused:
            lines = [_about(m.LAYER_MISSING, layer) for layer in refused]
            flags = " ".join(f"--accept-missing-layer {visible(layer.layer)}" for layer in refused)
            raise _Refused("\n".join([*lines, m.both(m.GATE_REFUSED, flags=flags)]))

    def abandon(self) -> None:
        """Wait for the probe's sandbox to be gone if grading stopped before it was enforced."""
        self._thread.join(timeout=10)


def _about(text: Any, layer: Any) -> str:
    """``text`` about a missing ``layer``, in Korean then English, each with its own
    description of what the layer's absence allows."""
    return "\n".join(
        text.render(lang, layer=visible(layer.layer), allows=visible(layer.allows.render(lang)))
        for lang in ("ko", "en")
    )


def _executor(cluster: str | None, jobs: int | None, placement: bool = True) -> Executor:
    try:
        return make_executor(cluster, jobs, placement)
    except (OSError, ValueError) as exc:  # no scheduler there, or a malformed address
        raise click.ClickException(
            m.both(m.CLUSTER_UNREACHABLE, address=visible(cluster), error=visible(exc))
        ) from exc


class _Refused(click.ClickException):
    exit_code = EXIT_LAYER_MISSING


def _open_gradebook(path: Path) -> Gradebook:
    try:
        return Gradebook(path)
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(
            m.both(m.GRADEBOOK_UNREADABLE, path=visible(path), error=visible(exc))
        ) from exc


@click.command(cls=_FilesAfterOptions)
@ASSIGNMENT
@click.option(
    "--out",
    "-o",
    required=True,
    type=click.Path(path_type=Path, file_okay=False),
    help="Folder the exports are written to.",
)
@EXISTING_GRADEBOOK
@LANG
@click.option(
    "--class",
    "class_only",
    is_flag=True,
    help="Write only the class report (OUT/class_report.html and OUT/class_report.csv).",
)
@COURSE
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON on stdout.")
def report(
    assignment: str,
    out: Path,
    gradebook: Path | None,
    lang: str | None,
    class_only: bool,
    course: Path | None,
    as_json: bool,
) -> None:
    """Regenerate grades.csv, results/, feedback/ and the class report from the gradebook.

    Use it to write the feedback in the other language, or after a change to the exports. The
    language given with --lang is remembered in the gradebook: the next `grade` keeps it.
    With --class, only the class report is written (one page and one CSV for the whole batch),
    in --lang if given, which is then not remembered.
    With --course, the late penalties are computed again from the course file (change the
    policy or an extension, run `report --course` again) and OUT/lms/ is rewritten.
    """
    plan_of_course = _load_course(course, assignment)
    published = None
    path = gradebook or out / "gradebook.sqlite"
    if not path.exists():
        raise click.ClickException(
            visible(f"{path}: no gradebook there; run `optigrade grade` first or pass --gradebook")
        )
    book = _open_gradebook(path)
    try:
        if not book.count(assignment):
            raise click.ClickException(
                visible(f"the gradebook {path} has no results for {assignment!r}")
            )
        # The class report in the other language leaves the students' language as it was:
        # the next `report` or `grade` writes their feedback as before.
        lang = lang if class_only and lang else book.language(assignment, lang)
        tally, classes = Tally(), ClassReport(assignment)
        results = classes.counted(tally.counted(book.results(assignment)))
        if class_only:
            deque(results, maxlen=0)  # counted on the way: nothing else to write
        else:
            maximum = float(load_points(assignment).max_score)
            published = publish(results, book, assignment, out, lang, plan_of_course, maximum)
        classes.write(out, lang)
    except sqlite3.DatabaseError as exc:
        raise click.ClickException(
            m.both(m.GRADEBOOK_UNREADABLE, path=visible(path), error=visible(exc))
        ) from exc
    finally:
        book.close()
    summary = tally.summary(0, 0)
    if published is not None:
        summary.update(published.summary())
    if as_json:
        click.echo(json_text(summary, indent=2))
    else:
        print_summary(summary, Console())
        if published is not None:
            published.print(Console(stderr=True))


@click.command()
@ASSIGNMENT
@click.option("--student", "-s", required=True, help="The student: the gradebook's id, or "
              "with --course the roster's student id.")  # fmt: skip
@click.option("--item", "-i", required=True, help="The item (e.g. Adam).")
@click.option("--points", "-p", required=True, type=float, help="The item's new points.")
@click.option("--reason", "-r", required=True, help="Why (shown to the student).")
@click.option("--by", default=None, help="Who decides [default: the OS user].")
@click.option("--out", "-o", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="The graded folder (its gradebook.sqlite).")  # fmt: skip
@EXISTING_GRADEBOOK
@COURSE
@click.option("--json", "as_json", is_flag=True, help="Print the recorded override as JSON.")
def override(
    assignment: str,
    student: str,
    item: str,
    points: float,
    reason: str,
    by: str | None,
    out: Path,
    gradebook: Path | None,
    course: Path | None,
    as_json: bool,
) -> None:
    """Record a TA's manual change of one item's points for one student.

    The gradebook keeps who, when, why and the value replaced, in an append-only history; the
    suite's own result is never changed. Every export shows the new value and the student's
    feedback says the item was reviewed by a TA. A later `grade` (even --regrade) keeps it
    unless --drop-overrides. Run `optigrade report` afterwards to rewrite the exports.

    \b
    Example:
      optigrade override -a optimizers --out graded/ -s 31002 -i Momentum -p 8 \\
          -r "sign fixed in the resubmitted cell, accepted"
    """
    path = gradebook or out / "gradebook.sqlite"
    if not path.exists():
        raise click.ClickException(visible(f"{path}: no gradebook there; run `optigrade grade`"))
    plan_of_course = _load_course(course, assignment)
    book = _open_gradebook(path)
    try:
        key, old = checked_override(book, assignment, student, item, points, reason, plan_of_course)
        judged = (book.result(assignment, key) or {}).get("content_hash")
        made = book.add_override(
            assignment, key, item, points, old, reason.strip()[:2000], by or os_user(), judged
        )
    except OverrideError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        book.close()
    if as_json:
        at = dt.datetime.fromtimestamp(made["at"], dt.UTC).isoformat(timespec="seconds")
        click.echo(json_text({**made, "at": at}, indent=2))
    else:
        shown_by = visible(made["by"])
        text = lt.both(
            lt.OVERRIDE_DONE, student=visible(key), item=item, old=shown(old),
            points=shown(points), by=shown_by,
        )  # fmt: skip
        click.echo(text)


@click.command()
@click.option(
    "--cluster",
    metavar="ADDRESS",
    help="Check every worker of this Dask cluster instead of this machine (see grade --cluster).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def doctor(cluster: str | None, as_json: bool) -> None:
    """Say which sandbox isolation layers are active on this machine (or on every worker of a
    cluster), proven by hostile probes. Exits 1 if a layer is missing anywhere."""
    from autograder.doctor import diagnose

    if cluster is None:
        by_machine = {"": diagnose()}  # this machine, without a pool to start
    else:
        executor = _executor(cluster, None)
        try:
            by_machine = executor.run_everywhere(diagnose)
        finally:
            executor.close()
    # A layer the threat model relies on is missing, or a probe got through: grade would
    # refuse, and scripts that check the machine learn it from the exit code, in both modes.
    failed = any(_doctor_failed(findings) for findings in by_machine.values())
    if as_json:
        shown_findings = by_machine[""] if cluster is None else by_machine
        click.echo(json_text(shown_findings, indent=2))
        sys.exit(1 if failed else 0)
    console = Console()
    for machine, findings in by_machine.items():
        _print_findings(findings, machine, console)
    if failed:
        sys.exit(1)


def _doctor_failed(findings: dict[str, Any]) -> bool:
    return bool(findings["missing"]) or any(
        not outcome.startswith("blocked") for outcome in findings["probes"].values()
    )


def _print_findings(findings: dict[str, Any], machine: str, console: Console) -> None:
    where = f"{visible(machine)}: " if machine else ""
    table = Table(
        title=f"{where}Sandbox isolation (Landlock ABI {findings['landlock_abi']}, "
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
    probes = Table(title=f"{where}Probes run as student code")
    probes.add_column("attempt")
    probes.add_column("result")
    for name, outcome in findings["probes"].items():
        # The outcome quotes what the sandbox said: plain text, never markup.
        style = "green" if outcome.startswith("blocked") else "red"
        probes.add_row(name, Text(visible(outcome), style=style))
    console.print(probes)
    for missing in findings["missing"]:
        for lang in ("ko", "en"):
            text = m.LAYER_MISSING.render(
                lang, layer=visible(missing["layer"]), allows=visible(missing["allows"][lang])
            )
            console.print(Text(text, style="red"))
