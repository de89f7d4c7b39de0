"""The class report: one self-contained HTML page and one CSV about a whole batch.

What an instructor reads at a glance after grading: how each item's scores are spread, how
often each hidden test passed, why points were lost (each named mistake and each dominant
error, with the students it affects), which required names were not found, which notebook
cells did not run, and which submissions were not graded and why.

The page has no scripts, no external links or resources (the charts are inline SVG) and no
text a student controls that is not escaped (student ids, exception messages, reasons).
It is built from the gradebook's records, streamed: :meth:`ClassReport.counted` passes each
record on while it is counted, so ``grade`` and ``report`` compute it in the same pass as the
other exports.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from autograder.escaping import csv_cell, html_text, visible
from autograder.records import classreport_messages as t
from autograder.records import messages as m
from autograder.records import reasons
from autograder.records.record import TESTED

HTML_NAME = "class_report.html"
CSV_NAME = "class_report.csv"
CSV_COLUMNS = ("section", "item", "key", "kind", "count", "total", "rate", "students", "detail")

#: Score ranges of the distributions, as shares of an item's points: ten of 10 % each, and a
#: bar of its own for full marks (the one an instructor looks for first).
BINS = 11
#: How many students are named in a cell of the page (the CSV names them all).
NAMED = 12

# Parts of an exception message that differ between students who made the same error:
# memory addresses, numbers (shapes, indices, values), long quoted values. Identifiers with
# digits (W1, beta1) are kept, and so are short quoted names ('eps').
_ADDRESS = re.compile(r"0x[0-9a-fA-F]+")
_NUMBER = re.compile(r"(?<![\w.])[-+]?\d+(?:\.\d*)?(?:[eE][-+]?\d+)?(?![\w.])")
_LONG_QUOTE = re.compile(r"'[^']{25,}'|\"[^\"]{25,}\"")
_MAX_PATTERN = 160


def error_pattern(error: str) -> str:
    """The pattern of an exception's ``Type: message``, shared by students who made the same
    error: its first line, with addresses, numbers and long quoted values replaced.

    >>> error_pattern("ValueError: shapes (3,4) and (2,) not aligned: 4 (dim 1) != 2 (dim 0)")
    'ValueError: shapes (N,N) and (N,) not aligned: N (dim N) != N (dim N)'
    """
    line = visible(error.strip().split("\n", 1)[0])
    line = _ADDRESS.sub("0x…", line)
    line = _LONG_QUOTE.sub("'…'", line)
    line = _NUMBER.sub("N", line)
    return line if len(line) <= _MAX_PATTERN else line[: _MAX_PATTERN - 1] + "…"


@dataclass(frozen=True)
class Cause:
    """Why a failing test lost its points, as the report groups it.

    ``kind`` is one of :data:`classreport_messages.CAUSE_KIND`; ``key`` tells causes of one
    kind apart (a mistake's id, an error's pattern, a missing name); ``texts`` is what the
    page shows, per language (student-controlled parts still raw: escaped where written).
    """

    kind: str
    key: str
    texts: tuple[tuple[str, str], ...]

    def text(self, lang: str) -> str:
        return dict(self.texts)[lang]


def _both(text: Any, **values: Any) -> tuple[tuple[str, str], ...]:
    return tuple((lang, text.render(lang, **values)) for lang in ("ko", "en"))


def cause_of(test: dict[str, Any]) -> Cause:
    """The cause of one failing test of a record."""
    if test.get("error"):
        return Cause("other", "suite_error", _both(t.CAUSE_TEXT["suite_error"]))
    failure = test.get("failure") or {}
    kind = str(failure.get("kind", ""))
    mistake = failure.get("mistake")
    if kind == "mismatch" and mistake:
        label = (("ko", mistake.get("ko", "")), ("en", mistake.get("en", "")))
        return Cause("mistake", mistake.get("id", label[1][1]), label)
    if kind == "exception":
        pattern = error_pattern(str(failure.get("error", "")))
        return Cause("exception", pattern, (("ko", pattern), ("en", pattern)))
    if kind == "missing":
        name = str(failure.get("name", ""))
        return Cause("missing", name, _both(t.CAUSE_TEXT["missing"], name=name))
    if kind in ("mismatch", "not_implemented"):
        return Cause(kind, kind, _both(t.CAUSE_TEXT[kind]))
    if kind in ("wrong_exception", "no_exception"):
        values = {k: str(failure.get(k, "")) for k in ("expected", "received")}
        text = _both(t.CAUSE_TEXT[kind], **values)
        return Cause("exception", f"{kind}:{values['expected']}:{values['received']}", text)
    if kind in t.CAUSE_TEXT:
        return Cause("other", kind, _both(t.CAUSE_TEXT[kind]))
    return Cause("other", f"unknown:{kind}", _both(t.CAUSE_TEXT["unknown"], kind=kind))


@dataclass
class _Item:
    max_score: float = 0.0
    bins: list[int] = field(default_factory=lambda: [0] * BINS)
    share_total: float = 0.0
    count: int = 0
    full: int = 0
    lost: int = 0  # students who lost points on it


class ClassReport:
    """The class report of one assignment, built one record at a time."""

    def __init__(self, assignment: str) -> None:
        self.assignment = assignment
        self.count = 0
        self.total = _Item()
        self.items: dict[str, _Item] = {}
        self.tests: dict[tuple[str, str], list[int]] = {}  # (item, test) -> [passed, count]
        # (item, test) -> the run in words ({"ko": …, "en": …}), from a failure that said it
        self.runs: dict[tuple[str, str], dict[str, str]] = {}
        self.causes: dict[tuple[str, Cause], list[str]] = {}  # (item, cause) -> students
        self.cells: dict[str, list[str]] = {}  # cell status -> students
        # (item, missing name) -> the names students defined instead, when the record says
        # (a "not defined" failure's ``near``), each counted once per student
        self.near: dict[tuple[str, str], Counter[str]] = {}
        self.not_graded: list[tuple[str, str, str]] = []  # (student, status, reason)

    def add(self, result: dict[str, Any]) -> None:
        self.count += 1
        student = result["student"]
        if result["status"] != "graded":
            self.not_graded.append((student, result["status"], result.get("reason") or ""))
        if result["status"] not in TESTED:
            return  # no test ran: its zeros say nothing about the items
        _count_score(self.total, result["score"], result["max_score"])
        for name, item in result["items"].items():
            _count_score(self.items.setdefault(name, _Item()), item["score"], item["max_score"])
        seen: set[tuple[str, Cause]] = set()
        near: set[tuple[str, str, str]] = set()
        for test in result["tests"]:
            counts = self.tests.setdefault((test["item"], test["name"]), [0, 0])
            counts[0] += int(test["passed"])
            counts[1] += 1
            if not test["passed"]:
                case = (test.get("failure") or {}).get("case")
                if case and (test["item"], test["name"]) not in self.runs:
                    self.runs[(test["item"], test["name"])] = case
                cause = cause_of(test)
                seen.add((test["item"], cause))
                instead = (test.get("failure") or {}).get("near")
                if cause.kind == "missing" and isinstance(instead, str) and instead:
                    near.add((test["item"], cause.key, instead))
        for key in sorted(seen, key=lambda k: (k[0], k[1].kind, k[1].key)):
            self.causes.setdefault(key, []).append(student)
        for item, name, instead in near:
            self.near.setdefault((item, name), Counter())[instead] += 1
        for status in sorted({cell["status"] for cell in result["cells"]} - {"ok"}):
            self.cells.setdefault(status, []).append(student)

    def counted(self, results: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        """``results`` passed through, each one added on the way."""
        for result in results:
            self.add(result)
            yield result

    # -- what the page and the CSV show ----------------------------------------------------

    def ranked_causes(self) -> list[tuple[str, Cause, list[str]]]:
        """Every (item, cause, students), the most frequent first."""
        ranked = [(item, cause, students) for (item, cause), students in self.causes.items()]
        return sorted(ranked, key=lambda entry: (-len(entry[2]), entry[0], entry[1].key))

    def dominant(self, item: str) -> tuple[Cause, int] | None:
        """The cause that cost the most students points on ``item``, and how many."""
        for name, cause, students in self.ranked_causes():
            if name == item:
                return cause, len(students)
        return None

    def missing_names(self) -> list[tuple[str, Cause, list[str]]]:
        """The required names not found, the most often missing first."""
        return [entry for entry in self.ranked_causes() if entry[1].kind == "missing"]

    def defined_instead(self, item: str, name: str) -> list[tuple[str, int]]:
        """The names students defined where ``item`` asks for ``name``, the most common first."""
        return self.near.get((item, name), Counter()).most_common()

    def write(self, out: Path, lang: str) -> tuple[Path, Path]:
        """Write ``class_report.html`` and ``class_report.csv`` into ``out``; return both."""
        out.mkdir(parents=True, exist_ok=True)
        page, table = out / HTML_NAME, out / CSV_NAME
        _replace(page, lambda handle: handle.write(render_html(self, lang)))
        _replace(table, lambda handle: csv.writer(handle).writerows(csv_rows(self, lang)))
        return page, table


def _count_score(item: _Item, score: float, max_score: float) -> None:
    item.max_score = max(item.max_score, max_score)
    share = score / max_score if max_score else 0.0
    item.share_total += share
    item.count += 1
    full = max_score > 0 and score >= max_score - 1e-9
    item.full += int(full)
    item.lost += int(not full and max_score > 0)
    item.bins[BINS - 1 if full else min(int(share * 10), BINS - 2)] += 1


def _replace(path: Path, write: Any) -> None:
    """Write ``path`` through a temporary file: a reader never sees half a report."""
    temporary = path.with_name(path.name + ".tmp")
    with open(temporary, "w", newline="", encoding="utf-8") as handle:
        write(handle)
    temporary.replace(path)


def bin_labels() -> list[str]:
    return [f"{b * 10}–{b * 10 + 9}%" for b in range(BINS - 1)] + ["100%"]


# -- CSV ---------------------------------------------------------------------------------------


def csv_rows(report: ClassReport, lang: str) -> Iterator[list[str]]:
    """The CSV: a header, then one row per fact, its ``section`` saying what it is."""
    yield list(CSV_COLUMNS)
    labels = bin_labels()
    for name, item in [(t.TOTAL.render(lang), report.total), *report.items.items()]:
        for label, count in zip(labels, item.bins, strict=True):
            yield _row("score_distribution", name, label, "", count, item.count)
    for (item, test), (passed, count) in report.tests.items():
        words = report.runs.get((item, test), {}).get(lang, "")
        rate = passed / count
        yield _row("test_pass_rate", item, test, "", passed, count, rate=rate, detail=words)
    for item, cause, students in report.ranked_causes():
        kind = t.CAUSE_KIND[cause.kind].render(lang)
        detail = ""
        if cause.kind == "missing":
            detail = "; ".join(f"{n} ({c})" for n, c in report.defined_instead(item, cause.key))
        text = cause.text(lang)
        yield _row("cause", item, text, kind, len(students), students=students, detail=detail)
    for status, students in report.cells.items():
        text = t.CELL_KIND.get(status, t.CELL_KIND["error"]).render(lang)
        yield _row("cell_problem", "", text, status, len(students), students=students)
    for student, status, reason in report.not_graded:
        text = m.STATUS[status].render(lang)
        detail = f"{text}: {reasons.render(reason, lang)}"
        yield _row("not_graded", "", student, status, 1, detail=detail)


def _row(
    section: str,
    item: str,
    key: str,
    kind: str,
    count: int,
    total: int | str = "",
    *,
    rate: float | None = None,
    students: Iterable[str] = (),
    detail: str = "",
) -> list[str]:
    cells: list[Any] = [section, item, key, kind, count, total]
    cells += ["" if rate is None else f"{rate:.3f}", "; ".join(students), detail]
    return [csv_cell(cell) for cell in cells]


# -- HTML --------------------------------------------------------------------------------------

_STYLE = """
body { font-family: "Noto Sans KR", "Nanum Gothic", system-ui, sans-serif; max-width: 64rem;
       margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1f2328; }
table { border-collapse: collapse; margin: .5rem 0 1rem; }
td, th { border: 1px solid #d0d7de; padding: .3rem .6rem; text-align: left; vertical-align: top; }
td.n { text-align: right; white-space: nowrap; }
code { background: #f6f8fa; border-radius: 4px; padding: 0 .2rem; word-break: break-word; }
h2 { margin-top: 2rem; border-top: 1px solid #d0d7de; padding-top: 1rem; }
.charts { display: flex; flex-wrap: wrap; gap: 1rem; }
figure { margin: 0; width: 330px; } figcaption { font-size: .9rem; }
svg .bar { fill: #4c78a8; } svg .full { fill: #2e7d32; } svg text { font-size: 10px; }
.note { color: #57606a; font-size: .9rem; }
"""


def render_html(report: ClassReport, lang: str) -> str:
    """The page, in ``lang`` throughout (only what students wrote stays as they wrote it)."""
    title = html_text(t.TITLE.render(lang, assignment=report.assignment))
    parts = [f"<h1>{title}</h1>"]
    if not report.count:
        parts.append(f"<p>{html_text(t.NO_SUBMISSIONS.render(lang))}</p>")
    else:
        graded = report.count - len(report.not_graded)
        mean = _share(report.total)
        overview = t.OVERVIEW.render(
            lang, count=report.count, graded=graded, not_graded=len(report.not_graded), mean=mean
        )
        parts.append(f"<p>{html_text(overview)}</p>")
        parts += _distribution(report, lang)
        parts += _items(report, lang)
        parts += _tests(report, lang)
        parts += _causes(report, lang)
        parts += _missing(report, lang)
        parts += _cells(report, lang)
        parts += _not_graded(report, lang)
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f"<title>{title}</title><style>{_STYLE}</style></head><body>\n"
        + "\n".join(parts)
        + "\n</body></html>\n"
    )


def _share(item: _Item) -> str:
    if not item.count:
        return "–"
    share = item.share_total / item.count
    return f"{share * item.max_score:.1f} / {item.max_score:g} ({share:.0%})"


def _heading(text: Any, lang: str, anchor: str) -> str:
    return f'<h2 id="{anchor}">{html_text(text.render(lang))}</h2>'


def _note(text: Any, lang: str) -> str:
    return f'<p class="note">{html_text(text.render(lang))}</p>'


def _table(headers: list[str], rows: list[list[str]], numeric: set[int] = frozenset()) -> str:
    """A table of cells already escaped (``rows``) under plain ``headers``."""
    head = "".join(f"<th>{html_text(h)}</th>" for h in headers)
    body = "".join(
        "<tr>" + "".join(_cell(c, i in numeric) for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(content: str, numeric: bool) -> str:
    return f'<td class="n">{content}</td>' if numeric else f"<td>{content}</td>"


def _students(students: list[str]) -> str:
    shown = ", ".join(f"<code>{html_text(s)}</code>" for s in students[:NAMED])
    more = len(students) - NAMED
    return shown + (f", … (+{more})" if more > 0 else "")


def bar_chart(title: str, counts: list[int], lang: str) -> str:
    """An inline SVG bar chart of ``counts`` per score range (:func:`bin_labels`)."""
    width, height, top, bottom, left = 330, 150, 12, 28, 24
    peak = max(counts, default=0) or 1
    step = (width - left) / len(counts)
    labels = bin_labels()
    shapes = []
    for index, (label, count) in enumerate(zip(labels, counts, strict=True)):
        bar = (height - top - bottom) * count / peak
        x = left + index * step
        y = height - bottom - bar
        kind = "full" if index == len(counts) - 1 else "bar"
        tip = html_text(t.BAR_TIP.render(lang, range=label, count=count))
        shapes.append(
            f'<rect class="{kind}" x="{x + 2:.1f}" y="{y:.1f}" width="{step - 4:.1f}" '
            f'height="{bar:.1f}"><title>{tip}</title></rect>'
        )
        if count:
            shapes.append(
                f'<text x="{x + step / 2:.1f}" y="{y - 2:.1f}" text-anchor="middle">{count}</text>'
            )
    axis = height - bottom
    ticks = "".join(
        f'<text x="{left + i * step + step / 2:.1f}" y="{axis + 12}" text-anchor="middle">'
        f"{html_text(labels[i].split('–')[0].rstrip('%'))}</text>"
        for i in range(0, len(counts), 2)
    )
    label = html_text(t.CHART_LABEL.render(lang, title=title))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{label}" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
        f"<title>{label}</title>"
        f'<line x1="{left}" y1="{axis}" x2="{width}" y2="{axis}" stroke="#57606a"/>'
        + "".join(shapes)
        + ticks
        + f'<text x="{width - 2}" y="{axis + 24}" text-anchor="end">%</text></svg>'
    )


def _figure(title: str, item: _Item, lang: str) -> str:
    caption = t.ITEM_MEAN.render(lang, item=title, mean=_share(item), full=item.full)
    return (
        f"<figure>{bar_chart(title, item.bins, lang)}"
        f"<figcaption>{html_text(caption)}</figcaption></figure>"
    )


def _distribution(report: ClassReport, lang: str) -> list[str]:
    figures = [_figure(t.TOTAL.render(lang), report.total, lang)]
    figures += [_figure(name, item, lang) for name, item in report.items.items()]
    return [
        _heading(t.DISTRIBUTION, lang, "distribution"),
        _note(t.DISTRIBUTION_NOTE, lang),
        f'<div class="charts">{"".join(figures)}</div>',
    ]


def _items(report: ClassReport, lang: str) -> list[str]:
    rows = []
    for name, item in report.items.items():
        found = report.dominant(name)
        if found is None:
            dominant = html_text(t.NOTHING_LOST.render(lang))
        else:
            cause, count = found
            # The cause goes in as markup of its own (an error pattern is shown as code).
            text = t.DOMINANT_CELL.render(lang, cause="{cause}", count=count, lost=item.lost)
            dominant = html_text(text).replace("{cause}", _cause_html(cause, lang), 1)
        rows.append([html_text(name), html_text(_share(item)), str(item.full), dominant])
    headers = [x.render(lang) for x in (t.ITEM, t.MEAN, t.FULL_MARKS, t.DOMINANT)]
    return [_heading(t.ITEMS, lang, "items"), _table(headers, rows, {1, 2})]


def _tests(report: ClassReport, lang: str) -> list[str]:
    rows = []
    for (item, test), (passed, count) in sorted(
        report.tests.items(), key=lambda kv: (kv[1][0] / kv[1][1], kv[0])
    ):
        text = t.PASSED_CELL.render(lang, passed=passed, total=count, rate=f"{passed / count:.0%}")
        name = f"<code>{html_text(test)}</code>"
        words = report.runs.get((item, test), {}).get(lang)
        if words:  # what the run does, as the feedback says it (known once someone failed it)
            name += f'<br><span class="run">{html_text(words)}</span>'
        rows.append([html_text(item), name, html_text(text)])
    headers = [x.render(lang) for x in (t.ITEM, t.TEST, t.PASSED)]
    return [_heading(t.TESTS, lang, "tests"), _table(headers, rows, {2})]


def _causes(report: ClassReport, lang: str) -> list[str]:
    ranked = report.ranked_causes()
    if not ranked:
        return [_heading(t.CAUSES, lang, "causes"), _note(t.NO_CAUSES, lang)]
    rows = [
        [
            html_text(item),
            html_text(t.CAUSE_KIND[cause.kind].render(lang)),
            _cause_html(cause, lang),
            str(len(students)),
            _students(students),
        ]
        for item, cause, students in ranked
    ]
    headers = [x.render(lang) for x in (t.ITEM, t.KIND, t.CAUSE, t.STUDENTS, t.WHO)]
    return [
        _heading(t.CAUSES, lang, "causes"),
        _note(t.CAUSES_NOTE, lang),
        _table(headers, rows, {3}),
    ]


def _cause_html(cause: Cause, lang: str) -> str:
    # An exception's pattern is what the student's code said: shown as code, literally.
    if cause.kind == "exception" and cause.key == cause.text(lang):
        return f"<code>{html_text(cause.text(lang))}</code>"
    return html_text(cause.text(lang))


def _missing(report: ClassReport, lang: str) -> list[str]:
    found = report.missing_names()
    parts = [_heading(t.MISNAMED, lang, "misnamed")]
    if not found:
        return [*parts, _note(t.NO_MISNAMED, lang)]
    parts.append(_note(t.NEAR_NOTE if report.near else t.MISNAMED_NOTE, lang))
    rows = []
    for item, cause, students in found:
        instead = ", ".join(
            f"<code>{html_text(name)}</code> ({count})"
            for name, count in report.defined_instead(item, cause.key)
        )
        name = f"<code>{html_text(cause.key)}</code>"
        rows.append([html_text(item), name, str(len(students)), instead, _students(students)])
    headers = [x.render(lang) for x in (t.ITEM, t.NAME, t.STUDENTS, t.INSTEAD, t.WHO)]
    return [*parts, _table(headers, rows, {2})]


def _cells(report: ClassReport, lang: str) -> list[str]:
    if not report.cells:
        return [_heading(t.CELLS, lang, "cells"), _note(t.NO_CELLS, lang)]
    rows = [
        [
            html_text(t.CELL_KIND.get(status, t.CELL_KIND["error"]).render(lang)),
            str(len(students)),
            _students(students),
        ]
        for status, students in report.cells.items()
    ]
    headers = [x.render(lang) for x in (t.CELL_PROBLEM, t.STUDENTS, t.WHO)]
    return [_heading(t.CELLS, lang, "cells"), _table(headers, rows, {1})]


def _not_graded(report: ClassReport, lang: str) -> list[str]:
    if not report.not_graded:
        return [_heading(t.NOT_GRADED, lang, "not-graded"), _note(t.NONE_NOT_GRADED, lang)]
    rows = [
        [
            f"<code>{html_text(student)}</code>",
            html_text(m.STATUS[status].render(lang)),
            f"<code>{html_text(reasons.render(reason, lang))}</code>" if reason else "",
        ]
        for student, status, reason in report.not_graded
    ]
    headers = [x.render(lang) for x in (t.STUDENT, t.STATUS, t.DETAIL)]
    return [_heading(t.NOT_GRADED, lang, "not-graded"), _table(headers, rows)]


def write_class_report(
    results: Iterable[dict[str, Any]], assignment: str, out: Path, lang: str
) -> tuple[Path, Path]:
    """Count ``results`` and write the class report; return the page's and the CSV's paths."""
    report = ClassReport(assignment)
    for result in results:
        report.add(result)
    return report.write(out, lang)
