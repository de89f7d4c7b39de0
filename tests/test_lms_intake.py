"""Intake of real LMS downloads, through ``optigrade grade`` (issue 17).

A Canvas download and a Moodle download in both layouts, with Hangul names, a zip whose names
are cp949 without the UTF-8 flag, a late file, a resubmission, students with two notebooks,
online texts, a notebook of another assignment and a ``.ipynb`` that is not JSON go in; each
student's grade, the file chosen and why, the submission time and its source come out, read
back from the gradebook the way the LMS exports read them (``result["provenance"]``). The
TA's own unusable input (a text file named ``.zip``, a truncated download, ``-a`` of another
assignment) stops the run with its own exit code and grades no one.
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from autograder.gradebook import Gradebook
from autograder.intake.names import decode_name
from autograder.intake.worksheet import parse_userdate
from examples.downloads.make_downloads import build, student_notebook
from tests.grading import optigrade_exe, read_grades

pytestmark = pytest.mark.slow

FULL = "50"


def grade(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), "grade", *args],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=cwd,
    )


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return build(tmp_path_factory.mktemp("downloads"))


@pytest.fixture(scope="module")
def graded(downloads, tmp_path_factory):
    root = tmp_path_factory.mktemp("graded")
    out = root / "out"
    options = ["-a", "optimizers", "--out", str(out), "--json", "--lang", "en"]
    options += ["--worksheet", str(downloads["worksheet"]), "--timezone", "Asia/Seoul"]
    names = ("canvas", "canvas_cp949", "moodle", "moodle_flat")
    result = grade(*options, "--", *(str(downloads[name]) for name in names), cwd=root)
    book = Gradebook(out / "gradebook.sqlite")
    try:
        records = {r["student"]: r for r in book.results("optimizers")}
    finally:
        book.close()
    return result, read_grades(out), records, out


def test_a_run_with_refused_files_grades_everyone_else_and_exits_4(graded):
    result, rows, _records, _out = graded
    assert result.returncode == 4, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["exit_code"] == 4
    refused = {entry["student"] for entry in summary["refused"]}
    assert refused == {"31008", "31009", "5003"}
    # The choices are printed before grading and listed in --json with each provenance.
    console = " ".join(result.stderr.split())  # the console wraps long lines
    assert "3 students had several files; one was chosen by the rule:" in console
    assert "of 2 files (rule: the latest resubmission)" in console
    intake = {entry["student"]: entry for entry in summary["intake"]}
    assert intake["31007"]["provenance"]["rule"] == "latest-resubmission"
    assert intake["5006"]["provenance"]["time_source"] == "moodle-worksheet"
    assert set(rows) == {
        *("31005", "31007", "31008", "31009", "31011", "31020"),
        *("5002", "5003", "5004", "5005", "5006", "5007"),
    }


def test_each_students_grade_comes_from_the_one_file_the_rule_chose(graded):
    _result, rows, records, _out = graded
    # Full marks prove the right notebook was graded alone: the passed-over one is Adam
    # without bias correction, and with it (chosen or concatenated after) Adam fails.
    for student in ("31005", "31007", "31020", "5002", "5004", "5005", "5007"):
        assert rows[student]["status"] == "graded", (student, records[student]["reason"])
        assert rows[student]["score"] == FULL, student
    assert rows["5006"]["status"] == "graded" and rows["5006"]["Adam"] == "0"
    assert float(rows["5006"]["score"]) < 50
    assert [records[s]["files"] for s in ("31007", "5002")] == [
        ["kimminsu_LATE_31007_71009_optimizers-1.ipynb"],
        ["optimizers.ipynb"],
    ]


def test_provenance_records_the_lms_the_person_the_time_and_the_choice(graded):
    _result, _rows, records, _out = graded
    late = records["31007"]["provenance"]
    assert late == {
        "lms": "canvas",
        "lms_user": "31007",
        "name": "kimminsu",
        # The zip entry says 20:00 on the archiving machine's clock, read in Asia/Seoul.
        "submitted_at": "2026-12-01T11:00:00Z",
        "time_source": "zip-entry",
        "late_marker": True,
        "chosen": "kimminsu_LATE_31007_71009_optimizers-1.ipynb",
        "passed_over": [
            {"file": "kimminsu_LATE_31007_71008_optimizers.ipynb", "reason": "earlier-resubmission"}
        ],
        "rule": "latest-resubmission",
    }
    hangul = records["31005"]["provenance"]
    assert (hangul["name"], hangul["late_marker"], hangul["rule"]) == ("정훈", False, "only-file")
    # Moodle's entries carry each file's time: the final notebook is the newer one.
    newest = records["5007"]["provenance"]
    assert newest["rule"] == "newest"
    assert newest["chosen"] == "Choi Yuna_5007_assignsubmission_file_/final.ipynb"
    assert newest["passed_over"] == [
        {"file": "Choi Yuna_5007_assignsubmission_file_/draft.ipynb", "reason": "older"}
    ]
    moodle = records["5002"]["provenance"]
    assert moodle == {
        "lms": "moodle",
        "lms_user": "5002",
        "name": "Lee Jiwoo",
        # "Tuesday, 1 December 2026, 11:05 PM" in Asia/Seoul (UTC+9).
        "submitted_at": "2026-12-01T14:05:00Z",
        "time_source": "moodle-worksheet",
        "late_marker": None,
        "chosen": "Lee Jiwoo_5002_assignsubmission_file_/optimizers.ipynb",
        "passed_over": [
            {
                "file": "Lee Jiwoo_5002_assignsubmission_onlinetext_/onlinetext.html",
                "reason": "online-text",
            },
            {
                "file": "Lee Jiwoo_5002_assignsubmission_file_/optimizers_old.ipynb",
                "reason": "not-named-like-assignment",
            },
        ],
        "rule": "named-like-assignment",
    }
    flat = records["5004"]["provenance"]
    assert (flat["lms"], flat["name"], flat["chosen"]) == (
        "moodle",
        "Park Jisoo",
        "Park Jisoo_5004_assignsubmission_file_optimizers.ipynb",
    )
    # "Wednesday, 2 December 2026, 12:30 AM" in Seoul is the 1st in UTC.
    assert flat["submitted_at"] == "2026-12-01T15:30:00Z"
    assert records["5005"]["provenance"]["name"] == "박서연"


def test_a_cp949_zip_without_the_utf8_flag_gives_the_hangul_name(graded, downloads):
    _result, rows, records, _out = graded
    with zipfile.ZipFile(downloads["canvas_cp949"]) as archive:
        (info,) = archive.infolist()
    assert not info.flag_bits & 0x800  # the test's premise: no UTF-8 flag
    assert decode_name(info.filename.encode("cp437")) == "김민수_31020_71020_optimizers.ipynb"
    provenance = records["31020"]["provenance"]
    assert provenance["name"] == "김민수" and provenance["lms_user"] == "31020"
    assert provenance["chosen"] == "김민수_31020_71020_optimizers.ipynb"
    assert rows["31020"]["score"] == FULL


def test_what_was_not_graded_says_why_in_the_record_and_the_feedback(graded):
    _result, _rows, records, out = graded
    other = records["31008"]
    assert other["status"] == "refused" and "names assignment schedules" in other["reason"]
    assert other["provenance"]["passed_over"] == [
        {"file": "parkseoyeon_31008_71010_optimizers.ipynb", "reason": "other-assignment"}
    ]
    # Canvas dates its entries when the download is made: a draft and a final cannot be told
    # apart, and neither is graded.
    ambiguous = records["31009"]
    assert ambiguous["status"] == "refused" and ambiguous["provenance"]["rule"] == "ambiguous"
    assert "choi_31009_71011_draft.ipynb" in ambiguous["reason"]
    assert "choi_31009_71012_final.ipynb" in ambiguous["reason"]
    assert records["31011"]["status"] == "unreadable"
    assert "not a notebook" in records["31011"]["reason"]
    online = records["5003"]
    assert online["status"] == "refused" and "online text" in online["reason"]
    # The choice is in the student's own feedback, in both languages.
    feedback = (out / "feedback" / "5002.html").read_text(encoding="utf-8")
    assert "the one named like the assignment" in feedback and "과제 이름과 같은 파일" in feedback
    assert "optimizers_old.ipynb" in feedback


def test_a_second_run_with_the_worksheet_updates_the_time_without_regrading(downloads, tmp_path):
    out = tmp_path / "out"
    common = ("-a", "optimizers", "--out", str(out), "--json", "--timezone", "Asia/Seoul")
    first = grade(*common, "--", str(downloads["moodle_flat"]), cwd=tmp_path)
    assert first.returncode == 0, first.stderr[-3000:]
    book = Gradebook(out / "gradebook.sqlite")
    try:
        before = {r["student"]: r["provenance"] for r in book.results("optimizers")}
    finally:
        book.close()
    assert before["5004"]["time_source"] == "zip-entry"
    assert before["5004"]["submitted_at"] == "2026-12-01T11:00:00Z"
    again = grade(
        *common, "--worksheet", str(downloads["worksheet"]), "--", str(downloads["moodle_flat"]),
        cwd=tmp_path,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert json.loads(again.stdout)["skipped_unchanged"] == 2
    book = Gradebook(out / "gradebook.sqlite")
    try:
        after = {r["student"]: r["provenance"] for r in book.results("optimizers")}
    finally:
        book.close()
    assert after["5004"]["time_source"] == "moodle-worksheet"
    assert after["5004"]["submitted_at"] == "2026-12-01T15:30:00Z"
    # A third run without the worksheet knows less, not more: the worksheet's time stays.
    third = grade(*common, "--", str(downloads["moodle_flat"]), cwd=tmp_path)
    assert third.returncode == 0, third.stderr[-3000:]
    book = Gradebook(out / "gradebook.sqlite")
    try:
        kept = {r["student"]: r["provenance"] for r in book.results("optimizers")}
    finally:
        book.close()
    assert kept["5004"]["time_source"] == "moodle-worksheet"
    assert kept["5004"]["submitted_at"] == "2026-12-01T15:30:00Z"


def test_a_text_file_named_zip_and_a_truncated_download_stop_the_run(downloads, tmp_path):
    fake = tmp_path / "submissions.zip"
    fake.write_text("Canvas said: your download is being prepared\n")
    cut = tmp_path / "trunc.zip"
    cut.write_bytes(downloads["canvas"].read_bytes()[:5000])
    for bad in (fake, cut):
        out = tmp_path / f"out-{bad.stem}"
        result = grade(
            "-a", "optimizers", "--out", str(out), "--", str(bad), str(downloads["moodle_flat"]),
            cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr[-3000:]
        assert f"{bad.name}: not a readable zip archive" in result.stderr
        assert "읽을 수 있는 zip 파일이 아닙니다" in result.stderr
        assert not (out / "grades.csv").exists()


def test_grading_with_the_wrong_assignment_stops_and_names_the_right_one(downloads, tmp_path):
    result = grade(
        "-a", "schedules", "--out", str(tmp_path / "out"), "--", str(downloads["moodle_flat"]),
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2, result.stderr[-3000:]
    assert "-a optimizers" in result.stderr and "-a schedules would grade none" in result.stderr
    assert not (tmp_path / "out" / "grades.csv").exists()


def test_one_student_of_another_assignment_is_refused_among_the_rest(tmp_path):
    downloads = tmp_path / "canvas.zip"
    with zipfile.ZipFile(downloads, "w") as archive:
        archive.writestr("kim_1_2_optimizers.ipynb", student_notebook())
        archive.writestr("lee_3_4_schedules.ipynb", student_notebook(assignment="schedules"))
    out = tmp_path / "out"
    result = grade("-a", "optimizers", "--out", str(out), "--", str(downloads), cwd=tmp_path)
    assert result.returncode == 4, result.stderr[-3000:]
    rows = read_grades(out)
    assert rows["1"]["score"] == FULL and rows["3"]["status"] == "refused"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tuesday, 1 December 2026, 11:05 PM", "2026-12-01 14:05"),
        ("Tuesday, 1 December 2026, 12:05 AM", "2026-11-30 15:05"),
        ("2026년 12월 1일 화요일 오후 11:05", "2026-12-01 14:05"),
    ],
)
def test_moodle_userdate_is_read_in_the_tas_time_zone(text, expected):
    from datetime import UTC
    from zoneinfo import ZoneInfo

    parsed = parse_userdate(text, ZoneInfo("Asia/Seoul"))
    assert parsed is not None and parsed.astimezone(UTC).strftime("%Y-%m-%d %H:%M") == expected


def test_a_worksheet_of_another_shape_or_an_unknown_zone_stops_the_run(downloads, tmp_path):
    sheet = tmp_path / "grades.csv"
    sheet.write_text("student,score\nkim,3\n", encoding="utf-8")
    for option in (("--worksheet", str(sheet)), ("--timezone", "Mars/Olympus")):
        result = grade(
            "-a", "optimizers", "--out", str(tmp_path / "out"), *option, "--",
            str(downloads["moodle_flat"]), cwd=tmp_path,
        )  # fmt: skip
        assert result.returncode == 1, result.stderr[-3000:]
        assert ("Identifier" in result.stderr) or ("unknown time zone" in result.stderr)


def test_a_notebook_is_graded_and_a_py_beside_it_is_only_listed(tmp_path):
    from autograder.intake import Intake, discover

    folder = tmp_path / "canvas"
    folder.mkdir()
    (folder / "kim_1_2_optimizers.ipynb").write_bytes(student_notebook())
    (folder / "kim_1_3_helpers.py").write_text("x = 1\n")
    (submission,) = discover([folder], tmp_path / "scratch", Intake("optimizers")).submissions
    assert submission.names == ["kim_1_2_optimizers.ipynb"] and not submission.refused
    assert submission.provenance.passed_over[0].reason == "beside-notebook"
    assert "kim_1_3_helpers.py" in submission.notes[0]
    assert submission.provenance.time_source == "file-mtime"


def test_a_stored_record_whose_provenance_is_malformed_is_read_as_an_internal_error(
    graded, tmp_path
):
    import shutil
    import sqlite3

    _result, _rows, _records, out = graded
    copy = tmp_path / "gradebook.sqlite"
    for suffix in ("", "-wal", "-shm"):  # the gradebook is in WAL mode
        if (out / f"gradebook.sqlite{suffix}").exists():
            shutil.copy(out / f"gradebook.sqlite{suffix}", f"{copy}{suffix}")
    with sqlite3.connect(copy) as db:
        (text,) = db.execute("SELECT result FROM results WHERE student='31005'").fetchone()
        record = json.loads(text)
        record["provenance"]["lms"] = "blackboard"
        db.execute("UPDATE results SET result=? WHERE student='31005'", (json.dumps(record),))
    book = Gradebook(copy)
    try:
        read = {r["student"]: r for r in book.results("optimizers")}
    finally:
        book.close()
    assert (
        read["31005"]["status"] == "internal_error" and "provenance lms" in read["31005"]["reason"]
    )
    assert read["31007"]["provenance"]["late_marker"] is True


def test_a_file_named_like_another_participant_stays_with_its_folder(tmp_path):
    """Inside a Moodle participant's folder the file name is the student's choice: one shaped
    like another participant's download name, or like a Canvas name, changes nothing."""
    download = tmp_path / "moodle.zip"
    with zipfile.ZipFile(download, "w") as archive:
        archive.writestr("Kim Minji_5003_assignsubmission_file_/optimizers.ipynb",
                         student_notebook())  # fmt: skip
        archive.writestr(
            "Lee Jiwoo_5002_assignsubmission_file_/Kim Minji_5003_assignsubmission_file_x.ipynb",
            student_notebook(mistake=True),
        )
        archive.writestr("Choi Yuna_5007_assignsubmission_file_/x_9_9_optimizers.ipynb",
                         student_notebook(mistake=True))  # fmt: skip
    out = tmp_path / "out"
    done = grade("-a", "optimizers", "--out", str(out), "--", str(download), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    book = Gradebook(out / "gradebook.sqlite")
    try:
        records = {r["student"]: r for r in book.results("optimizers")}
    finally:
        book.close()
    assert sorted(records) == ["5002", "5003", "5007"]
    assert records["5003"]["score"] == float(FULL)  # Kim's own notebook, not Lee's
    assert records["5002"]["score"] < float(FULL)
    for student in ("5002", "5007"):
        provenance = records[student]["provenance"]
        assert (provenance["lms"], provenance["lms_user"]) == ("moodle", student)


def test_a_worksheet_of_another_maximum_or_with_a_repeated_row_is_warned(downloads, tmp_path):
    """Moodle does not rescale an uploaded grade: a worksheet whose Maximum Grade is not the
    assignment's points is said before anything is uploaded. A participant on two rows keeps
    the first row's time, and the TA is told."""
    lines = downloads["worksheet"].read_text(encoding="utf-8-sig").splitlines()
    rows = [lines[0]] + [line.replace(",50.00,", ",100.00,") for line in lines[1:]]
    late_copy = rows[1].replace("11:05 PM", "11:55 PM")  # 5002 again, later
    sheet = tmp_path / "worksheet.csv"
    sheet.write_text("\n".join([*rows, late_copy]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    options = ["-a", "optimizers", "--out", str(out), "--json", "--timezone", "Asia/Seoul"]
    options += ["--worksheet", str(sheet), "--", str(downloads["moodle"])]
    done = grade(*options, cwd=tmp_path)
    assert done.returncode == 4, done.stderr[-3000:]
    said = " ".join(r["reason"] for r in json.loads(done.stdout)["refused"])
    assert "Maximum Grade is 100" in said and "최고 점수" in said
    assert "participant 5002 is also on row 2" in said
    book = Gradebook(out / "gradebook.sqlite")
    try:
        kept = {r["student"]: r["provenance"] for r in book.results("optimizers")}
    finally:
        book.close()
    assert kept["5002"]["submitted_at"] == "2026-12-01T14:05:00Z"  # 11:05 PM in Seoul
