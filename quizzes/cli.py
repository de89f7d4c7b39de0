"""``optigrade quiz``: list the bank, build sheets and exports, stress-test the items."""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from optigrade.i18n import LANGS
from quizzes.draw import anonymous_students, build_quiz, choose_items
from quizzes.errors import QuizError
from quizzes.items import load_bank, select
from quizzes.roster import read_roster
from quizzes.texts import BANK_TITLE, BUILT

#: Items on a sheet when no choice is given: one per topic for 12 of the 15 topics, about a
#: 20-minute quiz and three printed A4 pages, instead of the whole bank.
DEFAULT_ITEMS = 12


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _fail(error: QuizError) -> None:
    raise click.ClickException(str(error))


def _build_option(help_text: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    return click.option(
        "--build",
        type=click.Path(exists=True, file_okay=False, path_type=Path),
        required=True,
        help=help_text,
    )


@click.group()
def quiz() -> None:
    """Quiz bank, personalised quiz sheets and LMS exports."""


@quiz.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the bank as JSON.")
@click.option("--topics", help="Comma-separated topics to show.")
@click.option("--lang", type=click.Choice(LANGS), default="ko", show_default=True)
def list_items(as_json: bool, topics: str | None, lang: str) -> None:
    """Show the bank, one item per line: id, topic, type, kind, languages, misconception ids."""
    try:
        items = select(load_bank(), topics=_split(topics))
    except QuizError as error:
        _fail(error)
    rows = [
        {
            "id": i.id,
            "topic": i.topic,
            "type": i.type,
            "kind": i.kind,
            "languages": list(i.languages),
            "misconceptions": list(i.misconceptions),
            "file": i.path.name,
        }
        for i in items
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    click.echo(BANK_TITLE.render(lang, items=len(rows), topics=len({r["topic"] for r in rows})))
    # Plain columns, one line per item: an id is never folded, whatever the terminal's width,
    # and `grep`/`cut` work on the output. Only the last column may run past the edge.
    columns = ("id", "topic", "type", "kind", "languages", "misconceptions")
    cells = [
        [*(r[key] for key in columns[:4]), ",".join(r["languages"]), ", ".join(r["misconceptions"])]
        for r in rows
    ]
    widths = [max(len(line[k]) for line in [list(columns), *cells]) for k in range(5)]
    for line in [list(columns), *cells]:
        padded = [text.ljust(width) for text, width in zip(line, widths, strict=False)]
        click.echo("  ".join([*padded, line[5]]).rstrip())


@quiz.command("build")
@click.option("--seed", type=int, required=True, help="The quiz seed: same seed, same sheets.")
@click.option("--name", default="quiz", show_default=True, help="Quiz name (part of the seed).")
@click.option(
    "--roster",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="CSV with a student_id column: one sheet per student.",
)
@click.option("--variants", type=click.IntRange(1), help="N anonymous sheets instead of a roster.")
@click.option("--topics", help="Comma-separated topics (default: all).")
@click.option("--item-ids", help="Comma-separated item ids to choose from (default: all).")
@click.option("--per-topic", type=click.IntRange(1), help="K items drawn from each topic.")
@click.option(
    "--items",
    "count",
    type=click.IntRange(1),
    help=f"N items spread over the topics (default {DEFAULT_ITEMS}; with --item-ids, all of them).",
)
@click.option("--all", "take_all", is_flag=True, help="Every item of the selection.")
@click.option("--lang", type=click.Choice(LANGS), default="ko", show_default=True)
@click.option(
    "--format",
    "formats",
    default="md,html",
    show_default=True,
    help="Comma-separated: md, html, pdf, moodle, gift, qti.",
)
@click.option(
    "--answer-sheets",
    is_flag=True,
    help="Also write machine-readable paper answer sheets to scan: "
    "answer_sheets/answer_sheets.pdf (bubbles, a page code, corner markers) and "
    "answer_sheets/layout.json (every bubble's centre and radius in PDF points).",
)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True)
def build(
    seed: int,
    name: str,
    roster: Path | None,
    variants: int | None,
    topics: str | None,
    item_ids: str | None,
    per_topic: int | None,
    count: int | None,
    take_all: bool,
    lang: str,
    formats: str,
    answer_sheets: bool,
    out: Path,
) -> None:
    """Build personalised sheets, answer keys, a proof sheet and the exports.

    Every build also writes key.json, the answer key that `optigrade quiz grade --build OUT`
    scores against (scans of the answer sheets, Moodle or Canvas responses)."""
    from quizzes import answer_key
    from quizzes.render import FORMATS

    chosen_formats = _split(formats)
    unknown = [f for f in chosen_formats if f not in FORMATS]
    if unknown:
        raise click.BadParameter(
            f"unknown format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}",
            param_hint="--format",
        )
    if sum(map(bool, (per_topic, count, take_all))) > 1:
        raise click.UsageError(
            "give one of --per-topic, --items and --all, not both "
            "(--per-topic, --items, --all 중 하나만 쓰십시오)"
        )
    if not (per_topic or count or take_all or item_ids):
        count = DEFAULT_ITEMS
    if roster and variants:
        raise click.UsageError("give --roster or --variants, not both")
    started = time.perf_counter()
    try:
        students = read_roster(roster) if roster else anonymous_students(variants or 1)
        pool = select(load_bank(), topics=_split(topics), ids=_split(item_ids))
        items = choose_items(pool, seed, name, per_topic=per_topic, count=count)
        built = build_quiz(items, seed, name, students, lang, distinct=roster is None)
        written = [path for fmt in chosen_formats for path in FORMATS[fmt](built, out)]
        written += answer_key.write(built, out)
        if answer_sheets:
            from quizzes import sheets

            written += sheets.write(built, out)
    except QuizError as error:
        _fail(error)
    elapsed = time.perf_counter() - started
    click.echo(
        BUILT.render(
            lang,
            sheets=len(built.sheets),
            items=len(items),
            files=len(written),
            out=out,
            seconds=elapsed,
        )
    )


@quiz.command("stress")
@click.option("--seeds", type=click.IntRange(1), default=2000, show_default=True)
@click.option("--item-ids", help="Comma-separated item ids (default: all).")
def stress_command(seeds: int, item_ids: str | None) -> None:
    """Draw every item under many seeds; fail on any broken, unbalanced or degenerate item."""
    from quizzes.stress import stress

    try:
        items = select(load_bank(), ids=_split(item_ids))
    except QuizError as error:
        _fail(error)
    reports = stress(items, seeds)
    bad = [r for r in reports if not r.ok]
    for report in reports:
        status = "ok " if report.ok else "BAD"
        balance = f"chi²={report.chi2:5.1f}/dof {report.dof}" if report.dof else " " * 15
        click.echo(
            f"{status} {report.item_id:32s} {report.draws:5d} draws "
            f"{report.distinct:5d} distinct {balance}"
        )
        for problem in report.problems[:5]:
            click.echo(f"    {problem}")
    click.echo(f"{len(reports) - len(bad)} ok, {len(bad)} with problems ({seeds} seeds each)")
    if bad:
        sys.exit(1)


@quiz.command("scan")
@_build_option("The folder `quiz build --answer-sheets --out` wrote (layout.json, key.json).")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write responses.csv, review.csv, review.html (default: BUILD/scan).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@click.argument("scans", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def scan_command(build: Path, out: Path | None, as_json: bool, scans: tuple[Path, ...]) -> None:
    """Read scanned answer sheets (PDF pages or PNG/JPEG/TIFF images, 150-300 dpi, any order).

    Writes responses.csv (one row per student and question: the marked answer, the confidence
    of its marks, whether it needs review), review.csv and review.html (doubtful marks,
    unreadable pages, and the written numeric/short answers, which are typed in by hand).
    A folder among SCANS gives all its files.

    After the review, correct the response column of responses.csv, set its review column to
    done, and run `optigrade quiz grade --build BUILD --responses responses.csv`."""
    from quizzes.scan.run import scan
    from quizzes.texts import SCANNED

    target = out or build / "scan"
    try:
        summary = scan(build, list(scans), target)
    except QuizError as error:
        _fail(error)
    result = summary.result
    figures = {
        "pages": result.pages,
        "failed": result.failed,
        "students": len(result.students),
        "review": sum(1 for row in result.review if row["question"]),
        "missing": len(summary.missing),
        "seconds": summary.seconds_per_page,
    }
    if as_json:
        files = [str(path) for path in summary.files]
        click.echo(
            json.dumps(
                {**figures, "not_scanned": summary.missing, "files": files},
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(SCANNED.render(result.lang, out=target, **figures))


@quiz.command("grade")
@_build_option("The folder `quiz build --out` wrote (its key.json holds every sheet's key).")
@click.option(
    "--responses",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    required=True,
    help="responses.csv from `quiz scan`, Moodle's quiz Responses report (CSV, with "
    "'Question text' ticked) or Canvas's Student Analysis CSV; the format is told by its header.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write scores.csv, item_analysis.csv, report.html (default: BUILD/results).",
)
@click.option("--lang", type=click.Choice(LANGS), help="Report language (default: the quiz's).")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def grade_command(
    build: Path, responses: Path, out: Path | None, lang: str | None, as_json: bool
) -> None:
    """Score responses against the build's keys and analyse the items.

    Writes scores.csv (per student: points per item, total), item_analysis.csv (facility,
    point-biserial and upper-lower discrimination, how often each misconception was chosen,
    flags) and report.html (histogram, facility vs discrimination, common misconceptions)."""
    from quizzes import results_report, results_tables
    from quizzes.analysis import analyse
    from quizzes.answer_key import read_key
    from quizzes.responses import read_responses
    from quizzes.texts import GRADED

    target = out or build / "results"
    try:
        key = read_key(build)
        read = read_responses(responses, key)
        results = analyse(key, read)
    except QuizError as error:
        _fail(error)
    target.mkdir(parents=True, exist_ok=True)
    report_lang = lang or key.lang
    files = [
        results_tables.write_scores(results, target),
        results_tables.write_items(results, target),
        results_report.write(results, target, report_lang, read.source),
    ]
    totals = [results.total(s) for s in results.students]
    figures = {
        "students": len(totals),
        "mean": sum(totals) / len(totals) if totals else 0.0,
        "max": len(key.items),
        "problems": len(results.problems),
        "pending": sum(results.pending.values()),
    }
    if as_json:
        top = results.misconception_counts().most_common(5)
        click.echo(
            json.dumps(
                {
                    **figures,
                    "source": read.source,
                    "problem_list": results.problems,
                    "top_misconceptions": top,
                    "files": [str(f) for f in files],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(GRADED.render(report_lang, out=target, **figures))
    for problem in results.problems[:10]:
        click.echo(f"  {problem}", err=True)
