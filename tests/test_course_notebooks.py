"""The notebooks `optigrade assign` builds, filled in and graded through `optigrade grade`.

What a student meets: the course's own cells (setup with `from checks import check`, public
checks, experiments) are the grader's business and never an error in the feedback; scores are
exact; each item gets one verdict (passed, a near-miss name, a missing argument, a named
mistake with its fix, a syntax error said once with its cost), in the language chosen for the
batch, in the feedback page and in Gradescope's results.json alike.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

import solutions
from autograder.engine.scoring import load_points, shown
from autograder.records.record import RecordError, checked
from tests.grading import optigrade_exe, read_grades

pytestmark = pytest.mark.slow

LANGS = ("ko", "en")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([optigrade_exe(), *args], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def grade(assignment: str, out: Path, subs: Path, *extra: str) -> None:
    run("grade", "-a", assignment, "--out", str(out), *extra, "--", *map(str, subs.iterdir()))


def source(cell: dict) -> str:
    return "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]


def cell_of(notebook: dict, role: str, item: str | None = None) -> dict:
    return next(
        c
        for c in notebook["cells"]
        if c["metadata"].get("optigrade", {}).get("role") == role
        and (item is None or c["metadata"]["optigrade"]["item"] == item)
    )


def edited(notebook: dict, item: str, old: str, new: str) -> dict:
    copy = json.loads(json.dumps(notebook))
    cell = cell_of(copy, "solution", item)
    text = source(cell)
    assert old in text, f"the reference's {item} changed: update this test"
    cell["source"] = text.replace(old, new)
    return copy


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("assign")
    run("assign", "--out", str(out), "--lang", "ko,en")
    return out


def instructor(built: Path, lang: str, assignment: str) -> dict:
    path = built / lang / "instructor" / assignment / f"{assignment}.ipynb"
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def references(built, tmp_path_factory) -> dict[str, Path]:
    """Each assignment's instructor copies (ko and en), graded together: out folder."""
    outs = {}
    for assignment in solutions.ASSIGNMENTS:
        root = tmp_path_factory.mktemp(f"ref-{assignment}")
        subs = root / "subs"
        subs.mkdir()
        for lang in LANGS:
            notebook = instructor(built, lang, assignment)
            (subs / f"ref_{lang}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
        grade(assignment, root / "out", subs)
        outs[assignment] = root / "out"
    return outs


@pytest.fixture(scope="module")
def optimizers(built, tmp_path_factory) -> Path:
    """One class of filled-in optimizer notebooks, each with one thing a student does."""
    root = tmp_path_factory.mktemp("optimizers")
    subs = root / "subs"
    subs.mkdir()
    reference = instructor(built, "en", "optimizers")
    notebooks = {
        "misnamed": edited(reference, "RMSProp", "class RMSProp", "class RMSprop"),
        "hardcoded_eps": edited(reference, "AdaGrad", "self.eps = eps", "self.eps = 1e-7"),
        "syntax": edited(reference, "SGD", "def update(self,", "def update(self,,"),
        "ewma_momentum": edited(
            reference,
            "Momentum",
            "self.v[key] = self.momentum * self.v[key] - self.lr * grads[key]\n"
            "            params[key] += self.v[key]",
            "self.v[key] = self.momentum * self.v[key] + (1 - self.momentum) * grads[key]\n"
            "            params[key] -= self.lr * self.v[key]",
        ),
        "adam_doubled": edited(reference, "Adam", "self.lr = lr", "self.lr = 2 * lr"),
    }
    # hard-coded: the argument is gone from the signature too
    eps_cell = cell_of(notebooks["hardcoded_eps"], "solution", "AdaGrad")
    eps_cell["source"] = re.sub(r",\s*eps: float = [0-9.e-]+", "", source(eps_cell))
    # The student's own code in cells the course's metadata calls an experiment and a check,
    # and the course's cells edited around: all of it is graded, none of it is an error.
    hiding = json.loads(json.dumps(reference))
    experiment = cell_of(hiding, "experiment")  # the course's, before any role is forged
    assert "lr" in source(experiment)
    experiment["source"] = source(experiment).replace("lr", "learning_rate", 1)
    cell_of(hiding, "solution", "Adam")["metadata"]["optigrade"]["role"] = "experiment"
    cell_of(hiding, "solution", "SGD")["metadata"]["optigrade"]["role"] = "check"
    setup = cell_of(hiding, "setup")
    setup["source"] = source(setup) + "\nimport math\n"
    check = cell_of(hiding, "check", "Momentum")
    check["source"] = source(check) + '\nprint("checked")\ncheck("all")\n'
    notebooks["edited_around"] = hiding
    for name, notebook in notebooks.items():
        (subs / f"{name}.ipynb").write_text(json.dumps(notebook), encoding="utf-8")
    grade("optimizers", root / "out", subs, "--lang", "en")
    return root / "out"


class _Text(HTMLParser):
    """The text a browser shows, and the elements it is in."""

    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def shown_html(path: Path) -> _Text:
    parser = _Text()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def record(out: Path, student: str) -> dict:
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        (text,) = db.execute("SELECT result FROM results WHERE student=?", (student,)).fetchone()
    return json.loads(text)


def section(markdown: str, item: str) -> str:
    """The feedback's section of ``item``, heading excluded."""
    start = markdown.index(f"## `{item}`")
    rest = markdown[start:].split("\n", 1)[1]
    return rest.split("\n## ", 1)[0].strip()


# -- the course's own cells, exact scores ----------------------------------------------------


@pytest.mark.parametrize("assignment", sorted(solutions.ASSIGNMENTS))
def test_the_built_notebooks_filled_with_the_reference_earn_exactly_full_marks(
    references, assignment
):
    out = references[assignment]
    rows = read_grades(out)
    assert set(rows) == {"ref_ko", "ref_en"}
    for student, row in rows.items():
        assert row["status"] == "graded"
        assert row["score"] == row["max_score"], (student, row)
        result = record(out, student)
        assert result["score"] == result["max_score"]
        for item, score in result["items"].items():
            assert score["score"] == score["max_score"], (student, item, score)
        payload = json.loads((out / "results" / f"{student}.json").read_text(encoding="utf-8"))
        assert payload["score"] == result["max_score"]


@pytest.mark.parametrize("assignment", sorted(solutions.ASSIGNMENTS))
def test_their_feedback_reports_no_error(references, assignment):
    out = references[assignment]
    for student in ("ref_ko", "ref_en"):
        result = record(out, student)
        assert result["cells"] == [], result["cells"]
        for suffix in ("md", "html"):
            page = (out / "feedback" / f"{student}.{suffix}").read_text(encoding="utf-8")
            for word in ("Error", "checks", "오류", "Cell", "셀"):
                assert word not in page, (student, suffix, word)


def test_metadata_hides_no_code_and_edited_course_cells_are_no_error(optimizers):
    row = read_grades(optimizers)["edited_around"]
    assert row["score"] == row["max_score"] == shown(load_points("optimizers").max_score)
    assert record(optimizers, "edited_around")["cells"] == []


def test_no_item_scores_above_its_maximum_and_records_are_checked_exactly(references):
    result = record(references["schedules"], "ref_en")
    assert all(s["score"] == s["max_score"] == 10 for s in result["items"].values())
    assert checked(result)["score"] == 60
    over = json.loads(json.dumps(result))
    first = next(iter(over["items"].values()))
    first["score"] += 0.0005
    over["score"] += 0.0005
    with pytest.raises(RecordError):
        checked(over)
    shares = [t for t in result["tests"] if "/" in t["points"]]
    assert shares, "the schedules suite shares points among parametrized cases"
    forged = json.loads(json.dumps(result))
    forged["tests"][result["tests"].index(shares[0])]["points"] = "1/1"
    with pytest.raises(RecordError):
        checked(forged)


# -- one verdict per item ----------------------------------------------------------------------


def test_a_planted_mistake_costs_only_its_item_and_is_named_with_its_fix(optimizers):
    row = read_grades(optimizers)["ewma_momentum"]
    assert row["Momentum"] == "0"
    assert all(row[i] == "10" for i in ("SGD", "AdaGrad", "RMSProp", "Adam"))
    markdown = (optimizers / "feedback" / "ewma_momentum.md").read_text(encoding="utf-8")
    verdict = section(markdown, "Momentum")
    assert "This matches a known mistake" in verdict
    assert "How to fix it" in verdict
    assert verdict.count("known mistake") == 1, "one diagnosis, not one per failing run"
    assert "Expected" not in verdict


def test_html_feedback_shows_formulas_with_their_stars(optimizers):
    page = shown_html(optimizers / "feedback" / "ewma_momentum.html")
    text = "".join(page.text)
    assert "v = m*v + (1-m)*g; w -= lr*v" in text
    assert "v = m*v - lr*g, then w += v" in text
    assert "em" not in page.tags


def test_a_browser_shows_the_formulas_as_written(optimizers):
    """The same page opened in headless Chromium: what a student reads, not the HTML text."""
    sync_api = pytest.importorskip("playwright.sync_api")
    page_path = optimizers / "feedback" / "ewma_momentum.html"
    with sync_api.sync_playwright() as playwright:
        try:
            browser = playwright.chromium.launch()
        except sync_api.Error:  # no browser of playwright's own: the system's Chromium
            system = shutil.which("chromium") or shutil.which("chromium-browser")
            if system is None:
                pytest.skip("no Chromium to open the page with")
            browser = playwright.chromium.launch(executable_path=system)
        try:
            page = browser.new_page()
            page.goto(page_path.as_uri())
            text = page.inner_text("body")
            emphasised = page.locator("em, strong em, i").count()
        finally:
            browser.close()
    assert "v = m*v + (1-m)*g; w -= lr*v" in text
    assert "How to fix it: put the learning rate into the velocity: v = m*v - lr*g" in text
    assert emphasised == 0


def test_a_misnamed_class_is_a_near_miss_said_once(optimizers):
    markdown = (optimizers / "feedback" / "misnamed.md").read_text(encoding="utf-8")
    verdict = section(markdown, "RMSProp")
    assert verdict.startswith(
        "Your code defines `RMSprop`; the assignment asks for `RMSProp(lr, beta, eps)`."
    )
    assert "not defined" not in markdown


def test_a_hard_coded_eps_says_the_specification_asks_for_the_argument(optimizers):
    markdown = (optimizers / "feedback" / "hardcoded_eps.md").read_text(encoding="utf-8")
    verdict = section(markdown, "AdaGrad")
    assert "The specification asks for the argument `eps`: `AdaGrad(lr, eps)`" in verdict
    assert "unexpected keyword" not in markdown


def test_a_syntax_error_is_reported_once_with_its_line_and_cost(optimizers):
    markdown = (optimizers / "feedback" / "syntax.md").read_text(encoding="utf-8")
    assert markdown.count("SyntaxError") == 1
    # Jupyter's view: the setup cell is code cell 1, the SGD cell code cell 2.
    line = next(line for line in markdown.splitlines() if "SyntaxError" in line)
    assert line.startswith("- Cell 2 (`class SGD:`) has a syntax error on line ")
    assert "What it cost: `SGD` never defined (10 points)." in line
    assert "<cell 2>" in line
    assert "not defined" not in markdown
    assert section(markdown, "SGD").startswith("`SGD` was never defined")


def test_an_unnamed_failure_shows_the_first_case_in_words(optimizers):
    markdown = (optimizers / "feedback" / "adam_doubled.md").read_text(encoding="utf-8")
    verdict = section(markdown, "Adam")
    assert "First failing case" in verdict
    assert "First difference at: the result → item 0 → key `" in verdict
    assert verdict.count("Expected") == 1


def test_korean_feedback_is_korean_throughout(optimizers, tmp_path):
    run("report", "-a", "optimizers", "--out", str(optimizers), "--lang", "ko")
    markdown = (optimizers / "feedback" / "adam_doubled.md").read_text(encoding="utf-8")
    verdict = section(markdown, "Adam")
    assert "처음 실패한 경우" in verdict and "결과 → 0번 항목 → 키 `" in verdict
    for english in ("keys and shapes", "gradient scale", "(length", "shape", "item", "result"):
        assert english not in markdown, english
    assert "'gamma': ()" in verdict, "a 0-d parameter's shape is (), not a list of length 0"
    # and back: the later tests read English
    run("report", "-a", "optimizers", "--out", str(optimizers), "--lang", "en")


# -- Gradescope and the batch's language -------------------------------------------------------


def test_gradescope_carries_each_items_verdict_in_the_batchs_language(optimizers):
    markdown = (optimizers / "feedback" / "misnamed.md").read_text(encoding="utf-8")
    payload = json.loads((optimizers / "results" / "misnamed.json").read_text(encoding="utf-8"))
    by_item = {test["name"]: test for test in payload["tests"]}
    assert list(by_item) == list(solutions.ASSIGNMENTS["optimizers"])
    assert by_item["RMSProp"]["output"] == section(markdown, "RMSProp")
    assert by_item["RMSProp"]["status"] == "failed" and by_item["SGD"]["status"] == "passed"
    assert sum(t["score"] for t in payload["tests"]) == payload["score"]


def test_a_rerun_of_grade_keeps_the_language_last_chosen(built, tmp_path):
    subs = tmp_path / "subs"
    subs.mkdir()
    reference = instructor(built, "ko", "optimizers")
    misnamed = edited(reference, "RMSProp", "class RMSProp", "class RMSprop")
    (subs / "misnamed.ipynb").write_text(json.dumps(misnamed), encoding="utf-8")
    out = tmp_path / "out"
    grade("optimizers", out, subs)  # the default: Korean
    payload = out / "results" / "misnamed.json"
    assert "여러분의 코드는" in payload.read_text(encoding="utf-8")
    run("report", "-a", "optimizers", "--out", str(out), "--lang", "en")
    grade("optimizers", out, subs)  # unchanged: skipped, and its files written again
    (subs / "second.ipynb").write_text(json.dumps(misnamed), encoding="utf-8")
    grade("optimizers", out, subs)  # a new student graded in the same batch language
    for student in ("misnamed", "second"):
        text = (out / "results" / f"{student}.json").read_text(encoding="utf-8")
        assert "Your code defines" in text and "여러분" not in text, student
        page = (out / "feedback" / f"{student}.md").read_text(encoding="utf-8")
        assert "grading report" in page, student
    grade("optimizers", out, subs, "--lang", "ko")
    assert "여러분의 코드는" in payload.read_text(encoding="utf-8")
