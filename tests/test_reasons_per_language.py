"""Intake's reasons in the reader's language: an English class report shows no Hangul, a Korean
feedback page is Korean throughout, and the TA's console keeps
both (``reasons.both``).

A class graded through ``optigrade grade`` with one correct notebook, one notebook of a format
version the grader does not read (``unreadable``, with its reason) and one symbolic link
(``refused``, with its reason); the pages are opened in headless Chromium and their text read as
a reader sees it.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from autograder.intake import texts
from autograder.records import reasons
from examples.synthetic_class import item_sources, notebook, preamble
from tests.grading import optigrade_exe

HANGUL = re.compile(r"[\uac00-\ud7a3]")


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), *args], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("reasons")
    subs = root / "subs"
    subs.mkdir()
    cells = [preamble("optimizers"), *item_sources("optimizers").values()]
    (subs / "ana.ipynb").write_text(notebook(cells), encoding="utf-8")
    future = json.loads(notebook(cells))
    future["nbformat"] = 5
    (subs / "ben.ipynb").write_text(json.dumps(future), encoding="utf-8")
    (root / "elsewhere.ipynb").write_text(notebook(cells), encoding="utf-8")
    (subs / "cho.ipynb").symlink_to(root / "elsewhere.ipynb")
    out = root / "out"
    result = run("grade", "-a", "optimizers", "--out", str(out), "--lang", "en", "--", str(subs))
    # 4: graded, and one file (the link) refused, which the console says in the singular.
    assert result.returncode == 4, result.stderr[-3000:]
    assert "1 file refused at intake (the student's feedback says so too)" in result.stderr
    # Nothing of how a reason is stored reaches the TA's console.
    console = result.stdout + result.stderr
    assert "\\x1e" not in console and "\x1e" not in console
    return out


def page_text(browser, path: Path) -> str:
    page = browser.new_page()
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    text = page.inner_text("body")
    page.close()
    return text


def test_an_english_batch_shows_english_reasons_only(graded, browser):
    report = page_text(browser, graded / "class_report.html")
    assert texts.SYMLINK.en in report
    assert "nbformat" in report or "version" in report
    assert not HANGUL.search(report), "an English class report shows no Hangul"
    for student in ("ben", "cho"):
        feedback = page_text(browser, graded / "feedback" / f"{student}.html")
        assert not HANGUL.search(feedback), student
    assert texts.SYMLINK.en in page_text(browser, graded / "feedback" / "cho.html")
    rows = (graded / "class_report.csv").read_text(encoding="utf-8")
    assert not HANGUL.search(rows) and "\x1e" not in rows
    payload = json.loads((graded / "results" / "cho.json").read_text(encoding="utf-8"))
    assert texts.SYMLINK.en in payload["output"] and not HANGUL.search(payload["output"])


def test_a_korean_page_is_korean_throughout(graded, browser):
    result = run("report", "-a", "optimizers", "--out", str(graded), "--lang", "ko")
    assert result.returncode == 0, result.stderr[-2000:]
    feedback = page_text(browser, graded / "feedback" / "cho.html")
    assert texts.SYMLINK.ko in feedback and texts.SYMLINK.en not in feedback
    unreadable = page_text(browser, graded / "feedback" / "ben.html")
    assert "a symbolic link" not in unreadable and "cannot" not in unreadable
    report = page_text(browser, graded / "class_report.html")
    assert texts.SYMLINK.ko in report and texts.SYMLINK.en not in report


def test_a_reason_renders_each_language_around_names_and_old_records_stay_as_they_were():
    reason = "alice.zip/x.ipynb: " + texts.say(texts.SPECIAL, kind=texts.SOCKET)
    assert reasons.render(reason, "en") == "alice.zip/x.ipynb: not a regular file (a socket)"
    assert reasons.render(reason, "ko") == "alice.zip/x.ipynb: 일반 파일이 아닙니다 (소켓)"
    assert reasons.both(reason).endswith("(a socket) / 일반 파일이 아닙니다 (소켓)")
    old = "a symbolic link, not followed / 심볼릭 링크는 따라가지 않습니다"
    assert reasons.render(old, "en") == old == reasons.both(old)
