"""The class report, as an instructor meets it: a real ``optigrade grade`` of a small class,
the page opened in headless Chromium, the CSV read back with the csv module.

The class is built so that each section has something known to show: two students with a
hard-coded ε (the same ``TypeError`` about ``eps``), one of them named with HTML that would
run a script if it were markup; a student who writes ``RMSprop``; an SGD with its sign flipped
(a catalogue mistake); a cell with a syntax error; a file that is not a notebook.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from examples.synthetic_class import item_sources, notebook, preamble
from tests.grading import optigrade_exe

#: A spreadsheet would run this id as a formula; the report's CSV must keep it text.
PLUS_SIGN = "=SUM(plus_sign)"
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">eps"
EPS_INIT = "    def __init__(self, lr: float = 0.01, eps: float = 1e-7) -> None:\n"
EPS_LINE = "        self.eps = eps\n"
SGD_STEP = "params[key] -= self.lr * grads[key]"
EPS_PATTERN = "TypeError: AdaGrad.__init__() got an unexpected keyword argument 'eps'"


def sources(**changes: str) -> list[str]:
    items = item_sources("optimizers")
    items.update(changes)
    return [preamble("optimizers"), *items.values()]


def hard_coded_eps() -> str:
    adagrad = item_sources("optimizers")["AdaGrad"]
    assert EPS_INIT in adagrad and EPS_LINE in adagrad, "AdaGrad's source changed: update this"
    return adagrad.replace(EPS_INIT, EPS_INIT.replace(", eps: float = 1e-7", "")).replace(
        EPS_LINE, "        self.eps = 1e-7\n"
    )


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), *args], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("class")
    subs = root / "subs"
    subs.mkdir()
    rmsprop = item_sources("optimizers")["RMSProp"].replace("class RMSProp", "class RMSprop")
    sgd = item_sources("optimizers")["SGD"]
    assert SGD_STEP in sgd, "SGD's source changed: update this test"
    class_ = {
        "good": sources(),
        HOSTILE: sources(AdaGrad=hard_coded_eps()),
        "eps_too": sources(AdaGrad=hard_coded_eps()),
        "misnamed": sources(RMSProp=rmsprop),
        PLUS_SIGN: sources(SGD=sgd.replace(SGD_STEP, SGD_STEP.replace("-=", "+="))),
        "typo_cell": [*sources(), "def oops(:\n    pass\n"],
    }
    for student, cells in class_.items():
        (subs / f"{student}.ipynb").write_text(notebook(cells), encoding="utf-8")
    (subs / "not_json.ipynb").write_text("this is not a notebook", encoding="utf-8")
    out = root / "out"
    result = run("grade", "-a", "optimizers", "--out", str(out), "--", str(subs))
    assert result.returncode == 4, result.stderr[-3000:]  # 4: not_json.ipynb is unreadable
    return out


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    with playwright.sync_playwright() as driver:
        try:
            launched = driver.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        except Exception as exc:  # no browser here: say how to get one
            pytest.skip(f"no Chromium for playwright ({exc}); run `make system-deps` as root")
        yield launched
        launched.close()


def open_page(browser, path: Path):
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return page, dialogs


def section(page, anchor: str) -> str:
    """The visible text of one section: its heading up to the next one."""
    return page.evaluate(
        """anchor => {
            let node = document.getElementById(anchor), text = [];
            for (node = node.nextElementSibling; node && node.tagName !== 'H2';
                 node = node.nextElementSibling) text.push(node.innerText);
            return text.join('\\n');
        }""",
        anchor,
    )


def test_every_grade_writes_the_class_report_and_the_korean_page_shows_the_class(
    graded: Path, browser
) -> None:
    page, dialogs = open_page(browser, graded / "class_report.html")
    try:
        assert page.title() == "학급 보고서: optimizers"
        body = page.inner_text("body")
        assert "제출물 7개: 채점 완료 6개, 채점하지 못함 1개" in body
        # One chart per item and one for the total, each with a visible bar for every
        # non-empty score range: six graded students are drawn.
        charts = page.locator("svg")
        assert charts.count() == 6
        for index in range(charts.count()):
            heights = [
                float(bar.get_attribute("height") or 0)
                for bar in charts.nth(index).locator("rect").all()
            ]
            assert len(heights) == 11
            tips = charts.nth(index).locator("rect title").all_text_contents()
            drawn = sum(int(re.search(r"(\d+)명$", tip).group(1)) for tip in tips)
            assert drawn == 6
            assert sum(h > 0 for h in heights) == sum(
                int(re.search(r"(\d+)명$", tip).group(1)) > 0 for tip in tips
            )
        total = charts.nth(0).locator("rect").all()
        assert total[-1].bounding_box()["height"] > 0, "full marks (1 student) has a bar"

        causes = section(page, "causes")
        assert EPS_PATTERN in causes
        row = page.locator("#causes + p + table tr", has_text="unexpected keyword argument")
        assert row.count() == 1
        cells = row.locator("td").all_inner_texts()
        assert cells[0] == "AdaGrad" and cells[1] == "예외" and cells[3] == "2"
        assert HOSTILE in cells[4] and "eps_too" in cells[4]
        sgd = page.locator("#causes + p + table tr", has_text=PLUS_SIGN).locator("td")
        assert sgd.all_inner_texts()[:2] == ["SGD", "알려진 실수"]
        assert "경사를 빼지 않고 더함" in sgd.all_inner_texts()[2]

        # A run someone failed is also said in words, in the page's language.
        failed_runs = page.locator("#tests + table tr", has_text="6명 중 4명").all()
        assert failed_runs, "the two ε students fail some AdaGrad runs"
        for row in failed_runs:
            test_cell = row.locator("td").nth(1).inner_text().split("\n")
            assert test_cell[0].startswith("test_adagrad") and len(test_cell) == 2, test_cell
            assert re.search("[\uac00-\ud7a3]", test_cell[1]), test_cell
        items = section(page, "items")
        assert f"{EPS_PATTERN} (감점된 2명 중 2명)" in items

        assert "RMSProp" in section(page, "misnamed") and "misnamed" in section(page, "misnamed")
        assert "문법 오류" in section(page, "cells") and "typo_cell" in section(page, "cells")
        not_graded = section(page, "not-graded")
        assert "not_json" in not_graded and "파일을 읽을 수 없음" in not_graded

        # The hostile id is text on the page: no image element, no script ran.
        assert page.locator("img").count() == 0
        assert page.title() != "pwned" and not dialogs
        # Nothing is loaded from anywhere: no scripts, links or external resources.
        assert page.locator("script, link, iframe, [src], [href]").count() == 0
        # A Korean page is Korean throughout: outside code (ids, tests, errors as the code
        # said them) and the runs' descriptions (the hidden suite's own texts), the only Latin
        # words are the assignment's and the items' names.
        prose = page.evaluate(
            """() => { document.querySelectorAll('code, .run').forEach(c => c.remove());
                       return document.body.innerText; }"""
        )
        words = set(re.findall(r"[A-Za-z]{4,}", prose))
        # (and RMSprop, the example of a misnamed class in the note about names)
        assert words <= {"optimizers", "AdaGrad", "RMSProp", "RMSprop", "Momentum", "Adam"}, words
    finally:
        page.close()


def test_the_class_csv_reads_back_with_every_fact(graded: Path) -> None:
    rows = read_csv(graded / "class_report.csv")
    causes = [r for r in rows if r["section"] == "cause"]
    eps = [r for r in causes if r["key"] == EPS_PATTERN]
    assert len(eps) == 1 and eps[0]["item"] == "AdaGrad" and eps[0]["count"] == "2"
    assert sorted(eps[0]["students"].split("; ")) == sorted([HOSTILE, "eps_too"])
    missing = [r for r in causes if r["item"] == "RMSProp"]
    assert [(r["count"], r["students"]) for r in missing] == [("1", "misnamed")]
    tests = [r for r in rows if r["section"] == "test_pass_rate"]
    assert tests and all(r["total"] == "6" for r in tests)
    adagrad = [r for r in tests if r["item"] == "AdaGrad"]
    assert any(r["count"] == "4" and r["rate"] == "0.667" for r in adagrad)
    distribution = [r for r in rows if r["section"] == "score_distribution" and r["item"] == "SGD"]
    assert [r["count"] for r in distribution] == ["1", *["0"] * 9, "5"]
    (sgd,) = [r for r in causes if r["item"] == "SGD"]
    assert sgd["students"] == "'" + PLUS_SIGN, "a formula-like id is written as text"
    assert sgd["key"] == "경사를 빼지 않고 더함 (w += lr*g)"
    not_graded = [r for r in rows if r["section"] == "not_graded"]
    assert [(r["key"], r["kind"]) for r in not_graded] == [("not_json", "unreadable")]


def test_report_class_writes_only_the_class_report_in_english(graded: Path, browser) -> None:
    target = graded.parent / "english"
    gradebook = graded / "gradebook.sqlite"
    result = run(
        "report", "-a", "optimizers", "--out", str(target), "--gradebook", str(gradebook),
        "--class", "--lang", "en",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in target.iterdir()) == ["class_report.csv", "class_report.html"]
    page, _dialogs = open_page(browser, target / "class_report.html")
    try:
        body = page.inner_text("body")
        assert page.title() == "Class report: optimizers"
        assert "7 submissions: 6 graded, 1 not graded" in body
        assert "adds the gradient instead of subtracting it" in body
        assert f"{EPS_PATTERN} (2 of 2 students who lost points)" in body
        # An English page is English throughout: no Hangul at all (no student id has any).
        assert not re.search("[\uac00-\ud7a3]", body)
    finally:
        page.close()
    rows = read_csv(target / "class_report.csv")
    assert any(r["kind"] == "known mistake" for r in rows)


def test_the_names_students_defined_instead_are_counted_where_the_records_hold_them(
    graded: Path, browser
) -> None:
    """A "not defined" failure may carry the closest name the student defined (``near``):
    the report counts them per missing name. Written here into one stored record, as the
    grader writes it, then read back by ``report --class`` like any other."""
    from autograder.gradebook import Gradebook

    target = graded.parent / "near"
    target.mkdir()
    shutil.copy(graded / "gradebook.sqlite", target / "gradebook.sqlite")
    book = Gradebook(target / "gradebook.sqlite")
    try:
        (record,) = [r for r in book.results("optimizers") if r["student"] == "misnamed"]
        missing = [t for t in record["tests"] if (t["failure"] or {}).get("kind") == "missing"]
        assert missing, "the misnamed student's RMSProp tests fail as not defined"
        for test in missing:
            test["failure"]["near"] = "RMSprop"
        book.record(record)
    finally:
        book.close()
    result = run("report", "-a", "optimizers", "--out", str(target), "--class")
    assert result.returncode == 0, result.stderr[-3000:]
    page, _dialogs = open_page(browser, target / "class_report.html")
    try:
        row = page.locator("#misnamed ~ table tr", has_text="RMSProp").locator("td")
        assert row.all_inner_texts() == ["RMSProp", "RMSProp", "1", "RMSprop (1)", "misnamed"]
    finally:
        page.close()
    rows = read_csv(target / "class_report.csv")
    (cause,) = [r for r in rows if r["section"] == "cause" and r["item"] == "RMSProp"]
    assert cause["detail"] == "RMSprop (1)" and cause["students"] == "misnamed"
