"""``report.html``: the class's quiz results on one static page (inline SVG, no script, no
network): the score histogram, facility against discrimination per item, the most common
misconceptions in the catalogue's words, and the item table with its flags. Every text that
comes from a file (names, ids, responses) is escaped where it lands."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from autograder.escaping import html_text
from quizzes.analysis import Results
from quizzes.mathtext import to_html
from quizzes.misconceptions import load_catalogue
from quizzes.results_tables import item_figures
from quizzes.texts import (
    REPORT_DISCRIMINATION,
    REPORT_FACILITY,
    REPORT_FLAGS,
    REPORT_HISTOGRAM,
    REPORT_ITEM_COLUMNS,
    REPORT_ITEMS,
    REPORT_MISCONCEPTION_ROW,
    REPORT_MISCONCEPTIONS,
    REPORT_NO_MISCONCEPTIONS,
    REPORT_PENDING,
    REPORT_PROBLEMS,
    REPORT_SCATTER,
    REPORT_STUDENTS,
    REPORT_SUMMARY,
    REPORT_TITLE,
)

REPORT_FILE = "report.html"
TOP_MISCONCEPTIONS = 8
STYLE = (
    "body{font-family:'Nanum Gothic',sans-serif;margin:2em;max-width:60em}"
    "table{border-collapse:collapse}td,th{border:1px solid #bbb;padding:3px 7px;text-align:left}"
    "svg text{font-size:11px;font-family:sans-serif}.flag{color:#a40000}"
)


def _histogram(results: Results, lang: str) -> str:
    totals = [results.total(s) for s in results.students]
    top = len(results.key.items)
    counts = Counter(min(int(t), top) for t in totals)
    most = max(counts.values(), default=1)
    width, height, bar = 40 + 22 * (top + 1), 170, 18
    parts = []
    for value in range(top + 1):
        h = 120 * counts.get(value, 0) / most
        x = 36 + 22 * value
        parts.append(
            f'<rect class="bar" data-score="{value}" data-count="{counts.get(value, 0)}" '
            f'x="{x}" y="{140 - h:.1f}" width="{bar}" height="{h:.1f}" fill="#4a74b5"/>'
            f'<text x="{x + bar / 2}" y="155" text-anchor="middle">{value}</text>'
        )
        if counts.get(value):
            parts.append(
                f'<text x="{x + bar / 2}" y="{136 - h:.1f}" text-anchor="middle">'
                f"{counts[value]}</text>"
            )
    label = html_text(REPORT_STUDENTS.render(lang))
    return (
        f'<svg id="histogram" role="img" width="{width}" height="{height}" '
        f'aria-label="{html_text(REPORT_HISTOGRAM.render(lang))}">'
        f'<line x1="32" y1="140" x2="{width}" y2="140" stroke="#444"/>'
        f'<text x="2" y="12">{label}</text>{"".join(parts)}</svg>'
    )


def _scatter(results: Results, lang: str) -> str:
    size, pad = 320, 40
    parts = [
        f'<rect x="{pad}" y="10" width="{size}" height="{size}" fill="none" stroke="#444"/>',
        f'<line x1="{pad}" y1="{10 + size / 2}" x2="{pad + size}" y2="{10 + size / 2}" '
        'stroke="#bbb" stroke-dasharray="4"/>',
        f'<text x="{pad + size / 2}" y="{size + 40}" text-anchor="middle">'
        f"{html_text(REPORT_FACILITY.render(lang))} (0–1)</text>",
        f'<text x="{pad}" y="{size + 24}">0</text>',
        f'<text x="{pad + size}" y="{size + 24}" text-anchor="end">1</text>',
        f'<text x="{pad - 4}" y="18" text-anchor="end">1</text>',
        f'<text x="{pad - 4}" y="{14 + size / 2}" text-anchor="end">0</text>',
        f'<text x="{pad - 4}" y="{10 + size}" text-anchor="end">−1</text>',
        f'<text x="{pad + size + 8}" y="{14 + size / 2}">'
        f"{html_text(REPORT_DISCRIMINATION.render(lang))}</text>",
    ]
    for s in results.items:
        if s.point_biserial is None:
            continue
        x = pad + size * s.facility
        y = 10 + size * (1 - (s.point_biserial + 1) / 2)
        colour = "#a40000" if s.flags else "#4a74b5"
        parts.append(
            f'<circle class="item" data-item="{html_text(s.item)}" cx="{x:.1f}" cy="{y:.1f}" '
            f'r="4" fill="{colour}"><title>{html_text(s.item)}</title></circle>'
            f'<text x="{x + 6:.1f}" y="{y + 4:.1f}">{html_text(s.item)}</text>'
        )
    return (
        f'<svg id="scatter" role="img" width="{size + pad + 160}" height="{size + 50}" '
        f'aria-label="{html_text(REPORT_SCATTER.render(lang))}">{"".join(parts)}</svg>'
    )


def _misconceptions(results: Results, lang: str) -> str:
    counts = results.misconception_counts()
    if not counts:
        return f"<p>{html_text(REPORT_NO_MISCONCEPTIONS.render(lang))}</p>"
    catalogue = load_catalogue()
    by_item: dict[str, set[str]] = {}
    for (_student, item), scored in results.scored.items():
        for tag in scored.misconceptions:
            by_item.setdefault(tag, set()).add(item)
    rows = []
    for tag, count in counts.most_common(TOP_MISCONCEPTIONS):
        sentence = catalogue.explain(tag, lang) if tag in catalogue.sentences else tag
        where = REPORT_MISCONCEPTION_ROW.render(
            lang, count=count, items=", ".join(sorted(by_item.get(tag, ())))
        )
        rows.append(
            f'<li class="misconception" data-tag="{html_text(tag)}" data-count="{count}">'
            f"{to_html(sentence)} <small>— {html_text(where)}</small></li>"
        )
    return f'<ol id="misconceptions">{"".join(rows)}</ol>'


def _items(results: Results, lang: str) -> str:
    head = "".join(f"<th>{html_text(h)}</th>" for h in REPORT_ITEM_COLUMNS.render(lang).split("|"))
    rows = []
    for s in results.items:
        tags = ", ".join(f"{tag}: {count}" for tag, count in s.misconceptions.items())
        flags = "; ".join(REPORT_FLAGS[f].render(lang) for f in s.flags)
        cells = [*item_figures(s), tags]
        rows.append(
            f'<tr data-item="{html_text(s.item)}">'
            + "".join(f"<td>{html_text(c)}</td>" for c in cells)
            + f'<td class="flag">{html_text(flags)}</td></tr>'
        )
    return f'<table id="items"><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'


def report_html(results: Results, lang: str, source: str) -> str:
    totals = [results.total(s) for s in results.students]
    mean = sum(totals) / len(totals) if totals else 0.0
    title = html_text(REPORT_TITLE.render(lang, quiz=results.key.name))
    summary = REPORT_SUMMARY.render(
        lang,
        students=len(totals),
        items=len(results.key.items),
        mean=mean,
        max=len(results.key.items),
        source=source,
    )
    pending = sum(results.pending.values())
    notes = f"<p>{html_text(REPORT_PENDING.render(lang, count=pending))}</p>" if pending else ""
    problems = ""
    if results.problems:
        listed = "".join(f"<li>{html_text(p)}</li>" for p in results.problems[:200])
        problems = (
            f'<h2>{html_text(REPORT_PROBLEMS.render(lang))}</h2><ul id="problems">{listed}</ul>'
        )
    return (
        f'<!doctype html>\n<html lang="{lang}"><head><meta charset="utf-8"><title>{title}</title>'
        f"<style>{STYLE}</style></head><body><h1>{title}</h1><p>{html_text(summary)}</p>{notes}"
        f"<h2>{html_text(REPORT_HISTOGRAM.render(lang))}</h2>{_histogram(results, lang)}"
        f"<h2>{html_text(REPORT_MISCONCEPTIONS.render(lang))}</h2>{_misconceptions(results, lang)}"
        f"<h2>{html_text(REPORT_SCATTER.render(lang))}</h2>{_scatter(results, lang)}"
        f"<h2>{html_text(REPORT_ITEMS.render(lang))}</h2>{_items(results, lang)}{problems}"
        "</body></html>\n"
    )


def write(results: Results, out: Path, lang: str, source: str) -> Path:
    path = out / REPORT_FILE
    path.write_text(report_html(results, lang, source), encoding="utf-8")
    return path
