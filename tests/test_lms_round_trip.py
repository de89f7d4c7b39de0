"""The TA's week end to end (issue 17): the bundled LMS downloads of ``examples/downloads/`` (a
Canvas download with Hangul names, ``_LATE``, a resubmission, a notebook of another assignment;
a zip whose names are cp949; Moodle's download in folders and flat, with its grading worksheet)
go into ``optigrade grade --course --worksheet --timezone``; every file of ``OUT/lms/`` is read
back the way its importer reads it (tests/lms_importers.py), and every roster student's final
grade is checked against the late policy computed here from the worksheet's times, the course
file and the raw scores in the gradebook, independently of ``autograder.lms``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import subprocess
import tomllib
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from autograder.gradebook import Gradebook
from tests.grading import ROOT, optigrade_exe
from tests.lms_importers import canvas_import, canvas_student, moodle_worksheet, moodle_zip_entry

pytestmark = pytest.mark.slow

DOWNLOADS = ROOT / "examples" / "downloads"
COURSE = DOWNLOADS / "course.toml"
WORKSHEET = DOWNLOADS / "moodle" / "grading_worksheet.csv"
ZIPS = [
    DOWNLOADS / "canvas" / "submissions.zip",
    DOWNLOADS / "canvas" / "submissions_cp949.zip",
    DOWNLOADS / "moodle" / "submissions.zip",
    DOWNLOADS / "moodle" / "submissions_flat.zip",
]
SEOUL = ZoneInfo("Asia/Seoul")


def optigrade(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), *args], capture_output=True, text=True, timeout=900, check=False
    )


def grade(out: Path, *extra: str) -> dict:
    """The TA's command (docs/TA_GUIDE.md), with ``--json``."""
    options = ["--course", str(COURSE), "--out", str(out), "--timezone", "Asia/Seoul", "--json"]
    done = optigrade("grade", "-a", "optimizers", *options, *extra, "--", *map(str, ZIPS))
    # Four students are not graded on purpose (docs/TA_GUIDE.md): exit status 4.
    assert done.returncode == 4, done.stderr[-3000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict, dict]:
    """Graded once without the worksheet, then again with it (the TA downloads it later):
    the summaries of both runs and OUT."""
    out = tmp_path_factory.mktemp("week") / "out"
    first = grade(out)
    second = grade(out, "--worksheet", str(WORKSHEET))
    return out, first, second


# -- the policy, computed here from the examples' own files --------------------------------------


def course() -> dict:
    return tomllib.loads(COURSE.read_text(encoding="utf-8"))["assignments"]["optimizers"]


def roster() -> list[dict]:
    text = (DOWNLOADS / "roster.csv").read_text(encoding="utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def local(value: dt.datetime | str) -> dt.datetime:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return when.replace(tzinfo=SEOUL)


def due_of(student_id: str) -> dt.datetime:
    plan = course()
    due = local(plan["due"])
    extension = plan.get("extensions", {}).get(student_id)
    if isinstance(extension, str):
        return local(extension)
    if isinstance(extension, dict):
        return due + dt.timedelta(days=extension.get("days", 0), hours=extension.get("hours", 0))
    return due


def worksheet_times() -> dict[str, dt.datetime]:
    """Moodle's "Last modified (submission)" per participant, read in Asia/Seoul."""
    with open(WORKSHEET, encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    pattern = "%A, %d %B %Y, %I:%M %p"
    return {
        row["Identifier"].removeprefix("Participant "): dt.datetime.strptime(
            row["Last modified (submission)"], pattern
        ).replace(tzinfo=SEOUL)
        for row in rows
    }


def raw_scores(out: Path) -> dict[str, float]:
    book = Gradebook(out / "gradebook.sqlite")
    try:
        return {r["student"]: r["score"] for r in book.results("optimizers")}
    finally:
        book.close()


def key_of(student: dict, raw: dict[str, float]) -> str | None:
    """The gradebook's id of a roster student's submission: the LMS id its download carries."""
    for column in ("canvas_user_id", "moodle_participant_id"):
        if student[column] in raw:
            return student[column]
    return None


def penalty_of(student: dict, raw: dict[str, float]) -> int:
    """Only Moodle's times are charged; Canvas's _LATE is flagged, not charged."""
    if key_of(student, raw) != student["moodle_participant_id"]:
        return 0
    late = worksheet_times()[student["moodle_participant_id"]] - due_of(student["student_id"])
    seconds = late.total_seconds()
    policy = course()["late"]
    if seconds <= policy.get("grace_minutes", 0) * 60:
        return 0
    unit = {"day": 86400, "hour": 3600}[policy["per"]]
    return min(policy["cap"], math.ceil(seconds / unit) * policy["percent"])


def expected(out: Path) -> dict[str, Decimal | None]:
    """Every roster student's final grade; None: no submission and not due yet (empty)."""
    raw = raw_scores(out)
    now = dt.datetime.now(dt.UTC)
    grades: dict[str, Decimal | None] = {}
    for student in roster():
        key = key_of(student, raw)
        if key is None:
            grades[student["student_id"]] = (
                Decimal(0) if due_of(student["student_id"]) <= now else None
            )
            continue
        kept = (100 - Decimal(penalty_of(student, raw))) / 100
        final = Decimal(repr(raw[key])) * kept
        grades[student["student_id"]] = final.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return grades


def scored(week: tuple[Path, dict, dict]) -> tuple[Path, dict, dict]:
    """OUT, the gradebook's raw scores and every roster student's expected grade."""
    out = week[0]
    return out, raw_scores(out), expected(out)


def lms_file(week: tuple[Path, dict, dict], name: str) -> tuple[bytes, dict]:
    """An ``OUT/lms`` file's bytes and every roster student's expected grade."""
    out = week[0]
    return (out / "lms" / name).read_bytes(), expected(out)


# -- the tests ----------------------------------------------------------------------------------


def test_the_examples_cover_every_case_of_the_issue(week: tuple[Path, dict, dict]) -> None:
    out, _first, _second = week
    raw = raw_scores(out)
    people = roster()
    students = {s["student_id"]: s for s in people}
    # late per the worksheet, on time by an extension, and not yet due by an extension
    penalties = {s["student_id"]: penalty_of(s, raw) for s in people}
    assert sorted(p for p in penalties.values() if p) == [10, 15]
    jung = students["2026300011"]
    assert worksheet_times()[jung["moodle_participant_id"]] > local(course()["due"])
    assert penalties["2026300011"] == 0
    assert [s for s, grade in expected(out).items() if grade is None] == ["2026300014"]
    # Hangul names, the cp949 zip, two-notebook students, a notebook of another assignment
    names = [i.filename for z in ZIPS[:1] + ZIPS[2:] for i in zipfile.ZipFile(z).infolist()]
    assert any("정훈_31005" in n for n in names) and any("박서연_5005" in n for n in names)
    assert zipfile.ZipFile(ZIPS[1]).infolist()[0].flag_bits & 0x800 == 0
    assert "31020" in raw and "31008" in raw


def test_canvas_gradebook_has_every_roster_student_at_the_policy_grade(
    week: tuple[Path, dict, dict],
) -> None:
    data, want = lms_file(week, "canvas_gradebook.csv")
    for variant in (data, data.removeprefix(b"\xef\xbb\xbf")):
        assignments, points, rows = canvas_import(variant)
        assert list(assignments) == ["12345"] and points == {"12345": "50"}
        found: dict[str, Decimal | None] = {}
        for row in rows:
            student = canvas_student(row, roster())
            assert student is not None, f"Canvas finds no student for {row}"
            assert student["student_id"] not in found, "one row per student"
            cell = row["grades"]["12345"]
            found[student["student_id"]] = None if cell == "" else Decimal(cell)
        assert found == want


def test_moodle_worksheet_has_every_participant_at_the_policy_grade(
    week: tuple[Path, dict, dict],
) -> None:
    data, want = lms_file(week, "moodle_grading_worksheet.csv")
    by_participant = {s["moodle_participant_id"]: s for s in roster() if s["moodle_participant_id"]}
    for variant in (data, data.removeprefix(b"\xef\xbb\xbf")):
        parsed = moodle_worksheet(variant)
        assert set(parsed) == set(by_participant)
        for participant, row in parsed.items():
            grade = want[by_participant[participant]["student_id"]]
            assert row["grade"] == (None if grade is None else float(grade)), participant
    parsed = moodle_worksheet(data)
    assert parsed["5008"]["status"] == "No submission" and parsed["5008"]["grade"] == 0
    assert parsed["5009"]["grade"] is None  # an open extension: Moodle's importer skips it
    # the comment in the roster's language: Lee Jiwoo reads English, Park Jisoo Korean
    assert parsed["5002"]["comment"].startswith("Score 45 / 50. Submitted 1 hour 5 minutes late")
    assert parsed["5004"]["comment"].startswith("점수 42.5 / 50. 제출 2시간 30분 늦음: −15%")


def test_moodle_feedback_zip_gives_each_participant_with_a_submission_their_page(
    week: tuple[Path, dict, dict],
) -> None:
    out, _first, _second = week
    raw = raw_scores(out)
    participants = {s["moodle_participant_id"]: s for s in roster() if s["moodle_participant_id"]}
    pages: dict[str, str] = {}
    with zipfile.ZipFile(out / "lms" / "moodle_feedback_files.zip") as archive:
        for info in archive.infolist():
            found = moodle_zip_entry(info.filename, set(participants))
            assert found is not None, f"Moodle would ignore {info.filename!r}"
            participant, name = found
            assert participant not in pages and name == "feedback_optimizers.html"
            pages[participant] = archive.read(info).decode("utf-8")
    assert set(pages) == {p for p in participants if p in raw}
    for participant, page in pages.items():
        student = participants[participant]
        assert f'lang="{student["lang"] or "ko"}"' in page, participant
    assert "Submitted 1 hour 5 minutes late: −10%" in pages["5002"]
    assert "제출 2시간 30분 늦음: −15%" in pages["5004"]


def test_grades_with_names_flags_canvas_late_and_lists_the_missing(
    week: tuple[Path, dict, dict],
) -> None:
    out, raw, want = scored(week)
    second = week[2]
    text = (out / "lms" / "grades_with_names.csv").read_text(encoding="utf-8-sig")
    rows = {row["student_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert list(rows) == [s["student_id"] for s in roster()]
    for student in roster():
        row = rows[student["student_id"]]
        grade = want[student["student_id"]]
        assert row["final_score"] == ("" if grade is None else f"{grade.normalize():f}")
        assert Decimal(row["late_penalty_percent"]) == penalty_of(student, raw)
    assert {s for s, row in rows.items() if row["status"] == "missing"} == {
        s["student_id"] for s in roster() if key_of(s, raw) is None
    }
    assert sorted(second["missing"]) == ["2026300013", "2026300014"]
    # Canvas's _LATE (kimminsu_LATE_31007_…): flagged for the TA, never charged
    late_users = {
        i.filename.split("_LATE_")[1].split("_")[0]
        for i in zipfile.ZipFile(ZIPS[0]).infolist()
        if "_LATE_" in i.filename
    }
    flagged = sorted(s["student_id"] for s in roster() if s["canvas_user_id"] in late_users)
    assert second["late_flagged"] == flagged == ["2026300002"]
    assert rows["2026300002"]["late_flagged"] == "yes"
    assert rows["2026300002"]["late_penalty_percent"] == "0"
    page = (out / "feedback" / "2026300002.html").read_text(encoding="utf-8")
    assert "The LMS marked this submission late" in page  # English, from the roster


def test_the_two_notebook_students_get_the_right_notebook(week: tuple[Path, dict, dict]) -> None:
    out, _first, _second = week
    book = Gradebook(out / "gradebook.sqlite")
    try:
        records = {r["student"]: r for r in book.results("optimizers")}
    finally:
        book.close()
    # the old notebook beside the new one has Adam's mistake: choosing it, or both, loses points
    lee = records["5002"]["provenance"]
    assert lee["chosen"].endswith("/optimizers.ipynb")
    assert [p["file"].rsplit("/", 1)[-1] for p in lee["passed_over"]] == [
        "onlinetext.html",
        "optimizers_old.ipynb",
    ]
    assert records["5002"]["score"] == 50 and records["31007"]["score"] == 50
    assert records["31007"]["provenance"]["chosen"].endswith("optimizers-1.ipynb")
    assert records["31009"]["status"] == "refused"  # Canvas's times order nothing


def test_the_worksheet_rerun_reports_whose_lms_grade_changed(
    week: tuple[Path, dict, dict],
) -> None:
    """The first run knew no Moodle time: nobody was late. The worksheet makes two students
    late: the second run says so, as the final grades the LMS files carry."""
    out, first, second = week
    assert first["late"] == []
    changed = {r["student"]: (r["score_before"], r["score_after"]) for r in second["changed"]}
    assert changed == {"2026300007": (50, 45), "2026300009": (50, 42.5)}
    with open(out / "grade_changes.csv", encoding="utf-8", newline="") as handle:
        assert {row["student"] for row in csv.DictReader(handle)} == set(changed)


def test_grades_csv_has_raw_penalty_final_and_seconds_late_as_numbers(
    week: tuple[Path, dict, dict],
) -> None:
    out, raw, want = scored(week)
    with open(out / "grades.csv", encoding="utf-8", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    for student in roster():
        row, key = rows[student["student_id"]], key_of(student, raw)
        if key is None:
            continue
        assert row["gradebook_key"] == key and float(row["raw_score"]) == raw[key]
        assert Decimal(row["score"]) == want[student["student_id"]]
        if student["moodle_participant_id"] == key:  # a time Moodle recorded
            when = worksheet_times()[key]
            late = max(0, math.ceil((when - due_of(student["student_id"])).total_seconds()))
            assert row["late_seconds"] == str(late), student["student_id"]


def test_the_class_report_in_english_leaves_the_students_language(
    week: tuple[Path, dict, dict],
) -> None:
    """docs/TA_GUIDE.md: the class report in the other language touches no other file, and
    the next ``report --course`` writes each student's feedback in the roster's language
    (else the batch's, Korean here) as before."""
    out = week[0]
    done = optigrade("report", "-a", "optimizers", "--out", str(out), "--class", "--lang", "en")
    assert done.returncode == 0, done.stderr[-2000:]
    assert '<html lang="en"' in (out / "class_report.html").read_text(encoding="utf-8")
    done = optigrade("report", "-a", "optimizers", "--course", str(COURSE), "--out", str(out))
    assert done.returncode == 0, done.stderr[-2000:]
    for student in roster():
        page = out / "feedback" / f"{student['student_id']}.html"
        if page.exists():
            assert f'<html lang="{student["lang"] or "ko"}"' in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("zone", [["--timezone", "Asia/Seoul"], []], ids=["told", "course"])
def test_a_blind_marking_download_is_matched_by_participant_id(
    tmp_path: Path, zone: list[str]
) -> None:
    """With blind marking on, Moodle names every folder ``Participant_<id>_…``: the roster
    still finds the student by the participant id, and the worksheet and feedback zip carry
    them. Without --timezone the entry times are read in the course file's zone (Seoul):
    read as UTC, these on-time uploads would be nine hours late."""
    from examples.downloads.make_downloads import student_notebook

    download = tmp_path / "blind.zip"
    uploaded = (2026, 12, 1, 20, 0, 0)  # Moodle's entry time: before the due date, in Seoul
    with zipfile.ZipFile(download, "w") as archive:
        for participant, mistake in (("5002", False), ("5004", True)):
            name = f"Participant_{participant}_assignsubmission_file_/optimizers.ipynb"
            archive.writestr(zipfile.ZipInfo(name, uploaded), student_notebook(mistake=mistake))
    out = tmp_path / "out"
    done = optigrade("grade", "-a", "optimizers", "--course", str(COURSE), "--out", str(out),
                     *zone, "--json", "--", str(download))  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout)["not_on_roster"] == []
    parsed = moodle_worksheet((out / "lms" / "moodle_grading_worksheet.csv").read_bytes())
    assert (parsed["5002"]["grade"], parsed["5004"]["grade"]) == (50, 40)
    with zipfile.ZipFile(out / "lms" / "moodle_feedback_files.zip") as archive:
        found = {moodle_zip_entry(n, set(parsed)) for n in archive.namelist()}
    assert found == {("5002", "feedback_optimizers.html"), ("5004", "feedback_optimizers.html")}
