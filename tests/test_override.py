"""``optigrade override`` and regrades as a TA meets them: a real batch graded, an item's points
changed by hand, every export showing it, the student told in their language, the history
append-only, a regrade keeping it (or dropping it when told) and saying whose grade changed."""

from __future__ import annotations

import csv
import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.grading import ROOT, optigrade_exe, read_grades

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples" / "submissions" / "optimizers"
ROSTER = """\
student_id,name,email,canvas_user_id,sis_user_id,sis_login_id,moodle_participant_id,section,lang
2026100007,윤지수,yoon@example.ac.kr,31015,S7,yoon_jisu,5007,01,
2026100008,한서준,han@example.ac.kr,31016,S8,han_seojun,5008,02,en
"""
COURSE = """\
roster = "roster.csv"
[assignments.optimizers]
lms_name = "Optimizers (12345)"
"""


def optigrade(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), *args], capture_output=True, text=True, timeout=600, check=False
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two students whose Adam is wrong (0 of 10 for that item), graded once."""
    root = tmp_path_factory.mktemp("override")
    subs = root / "subs"
    subs.mkdir()
    for name in ("yoon_jisu", "han_seojun"):
        shutil.copy(EXAMPLES / f"{name}.ipynb", subs)
    (root / "roster.csv").write_text(ROSTER, encoding="utf-8")
    (root / "course.toml").write_text(COURSE, encoding="utf-8")
    done = optigrade("grade", "-a", "optimizers", "--out", str(root / "out"), "--", str(subs))
    assert done.returncode == 0, done.stderr[-3000:]
    grades = read_grades(root / "out")
    assert grades["yoon_jisu"]["Adam"] == "0" and grades["yoon_jisu"]["score"] == "40"
    return root


def override(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return optigrade("override", "-a", "optimizers", "--out", str(root / "out"), *args)


def grade_again(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    out, subs = str(root / "out"), str(root / "subs")
    return optigrade("grade", "-a", "optimizers", "--out", out, "--json", *args, "--", subs)


def test_an_override_is_shown_everywhere_and_the_history_is_append_only(graded: Path) -> None:
    done = override(graded, "-s", "yoon_jisu", "-i", "Adam", "-p", "7.5", "--by", "ta-kim",
                    "-r", "bias correction present in a later cell", "--json")  # fmt: skip
    assert done.returncode == 0, done.stderr
    made = json.loads(done.stdout)
    assert (made["points"], made["old_points"], made["by"]) == (7.5, 0.0, "ta-kim")
    assert made["at"].endswith("+00:00") and made["reason"].startswith("bias correction")
    assert optigrade("report", "-a", "optimizers", "--out", str(graded / "out")).returncode == 0
    grades = read_grades(graded / "out")
    assert grades["yoon_jisu"]["Adam"] == "7.5" and grades["yoon_jisu"]["score"] == "47.5"
    page = (graded / "out" / "feedback" / "yoon_jisu.md").read_text(encoding="utf-8")
    assert "조교 검토" in page and "0점에서 7.5점으로" in page
    assert "bias correction present in a later cell" in page
    results = json.loads((graded / "out" / "results" / "yoon_jisu.json").read_text())
    assert results["score"] == 47.5
    # with the course file: the roster's id, the LMS files, the student's language
    course = str(graded / "course.toml")
    done = override(graded, "--course", course, "-s", "2026100008", "-i", "Adam", "-p", "10",
                    "-r", "TA re-ran the notebook: correct")  # fmt: skip
    assert done.returncode == 0, done.stderr
    done = optigrade("report", "-a", "optimizers", "--out", str(graded / "out"), "--course", course)
    assert done.returncode == 0, done.stderr
    page = (graded / "out" / "feedback" / "2026100008.md").read_text(encoding="utf-8")
    assert "Reviewed by a TA" in page and "changed from 0 to 10 points" in page
    canvas = (graded / "out" / "lms" / "canvas_gradebook.csv").read_text(encoding="utf-8-sig")
    rows = {row["ID"]: row for row in csv.DictReader(canvas.splitlines())}
    assert rows["31016"]["Optimizers (12345)"] == "50"
    assert rows["31015"]["Optimizers (12345)"] == "47.5"
    db = sqlite3.connect(graded / "out" / "gradebook.sqlite")
    try:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("UPDATE overrides SET points = 0")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            db.execute("DELETE FROM overrides")
    finally:
        db.close()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("-s", "nobody", "-i", "Adam", "-p", "1"), ["nobody", "학생", "no student"]),
        (("-s", "yoon_jisu", "-i", "Adamax", "-p", "1"), ["Adamax", "항목", "no item"]),
        (("-s", "yoon_jisu", "-i", "Adam", "-p", "10.5"), ["0에서 10 사이", "between 0 and 10"]),
        (("-s", "yoon_jisu", "-i", "Adam", "-p", "-1"), ["between 0 and 10"]),
        (("-s", "yoon_jisu", "-i", "Adam", "-p", "nan"), ["between 0 and 10"]),
    ],
)
def test_a_wrong_override_is_refused(graded: Path, args: tuple[str, ...], says: list[str]) -> None:
    done = override(graded, *args, "-r", "why")
    assert done.returncode != 0
    for text in says:
        assert text in done.stderr, (text, done.stderr)


def test_a_regrade_keeps_overrides_unless_dropped_and_says_whose_grade_changed(
    graded: Path,
) -> None:
    assert override(graded, "-s", "han_seojun", "-i", "SGD", "-p", "4", "-r", "x").returncode == 0
    assert optigrade("report", "-a", "optimizers", "--out", str(graded / "out")).returncode == 0
    before = read_grades(graded / "out")["han_seojun"]
    assert before["SGD"] == "4"
    kept = grade_again(graded, "--regrade")
    assert kept.returncode == 0, kept.stderr[-2000:]
    assert read_grades(graded / "out")["han_seojun"]["SGD"] == "4"
    assert json.loads(kept.stdout)["changed"] == []
    assert "유지합니다" in kept.stderr and "overrides kept" in kept.stderr
    dropped = grade_again(graded, "--regrade", "--drop-overrides")
    assert dropped.returncode == 0, dropped.stderr[-2000:]
    changed = {row["student"]: row for row in json.loads(dropped.stdout)["changed"]}
    assert changed["han_seojun"]["score_before"] == float(before["score"])
    assert changed["han_seojun"]["score_after"] == 40.0
    assert "yoon_jisu" in changed
    with open(graded / "out" / "grade_changes.csv", encoding="utf-8", newline="") as handle:
        listed = {row["student"]: row for row in csv.DictReader(handle)}
    assert set(listed) == set(changed) and listed["han_seojun"]["score_after"] == "40"
    grades = read_grades(graded / "out")
    assert grades["han_seojun"]["SGD"] == "10" and grades["yoon_jisu"]["Adam"] == "0"


def test_an_override_does_not_judge_a_new_submission(tmp_path: Path) -> None:
    """A TA's change judged the file it was made on: when the student hands in again, the new
    file is graded by the suite alone and the TA is told the old change is not applied."""
    subs = tmp_path / "subs"
    subs.mkdir()
    shutil.copy(EXAMPLES / "yoon_jisu.ipynb", subs)  # Adam wrong: 0 of 10
    out = str(tmp_path / "out")
    first = optigrade("grade", "-a", "optimizers", "--out", out, "--", str(subs))
    assert first.returncode == 0, first.stderr[-2000:]
    made = optigrade("override", "-a", "optimizers", "--out", out, "-s", "yoon_jisu",
                     "-i", "Adam", "-p", "5", "-r", "half right")  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert read_grades(tmp_path / "out")["yoon_jisu"]["Adam"] == "0"  # until `report`
    shutil.copy(EXAMPLES / "choi_yuna.ipynb", subs / "yoon_jisu.ipynb")  # all correct now
    again = optigrade("grade", "-a", "optimizers", "--out", out, "--json", "--", str(subs))
    assert again.returncode == 0, again.stderr[-2000:]
    summary = json.loads(again.stdout)
    assert summary["overrides_not_applied"] == [{"student": "yoon_jisu", "items": ["Adam"]}]
    grades = read_grades(tmp_path / "out")
    assert grades["yoon_jisu"]["Adam"] == "10" and grades["yoon_jisu"]["score"] == "50"
