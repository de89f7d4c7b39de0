"""``grade --course`` and ``report --course`` as a TA meets them: a real batch graded, intake's
provenance in the gradebook, and every file of ``OUT/lms/`` read back the way its importer
reads it (our own re-implementation of each importer's parsing rules, written from Moodle's
``importgradeslib.php`` / ``csvlib.class.php`` / ``importziplib.php`` and Canvas's
``GradebookImporter``), each roster student's grade checked against the late policy computed
here, independently of ``autograder.lms``.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import shutil
import subprocess
import zipfile
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from autograder.gradebook import Gradebook
from tests.grading import ROOT, optigrade_exe
from tests.lms_importers import (
    canvas_import,
    canvas_student,
    moodle_worksheet,
    moodle_zip_entry,
)

pytestmark = pytest.mark.slow

EXAMPLES = ROOT / "examples" / "submissions"
DUE = dt.datetime(2026, 11, 23, 0, 0, tzinfo=dt.UTC)  # 09:00 in Seoul
FAR = "2099-01-01T09:00"  # an extension that has not run out

ROSTER = """\
student_id,name,email,canvas_user_id,sis_user_id,sis_login_id,moodle_participant_id,section,lang
2026100001,김민수,kim@example.ac.kr,31010,S1,kim_minsu,5001,01,
2026100002,"Lee_Jiwoo, Jr",lee@example.ac.kr,31011,S2,lee_jiwoo,5002,01,en
2026100003,박서연,park@example.ac.kr,,S3,,5003,02,
2026100007,=윤지수,yoon@example.ac.kr,31015,S7,yoon_jisu,5007,01,
2026100008,한서준,han@example.ac.kr,31016,S8,han_seojun,,02,
2026100013,권지호,kwon@example.ac.kr,31021,S13,kwon_jiho,5013,02,
2026100016,백승호,baek@example.ac.kr,31001,S16,,5016,01,
2026100017,문하영,moon@example.ac.kr,31002,S17,,5017,01,en
2026100018,한지민,jimin@example.ac.kr,31003,S18,,5018,02,
2026100019,정하늘,haneul@example.ac.kr,31004,S19,,5019,02,
"""

COURSE = """\
roster = "roster.csv"

[assignments.optimizers]
lms_name = "Optimizers (12345)"
due = 2026-11-23T09:00:00
timezone = "Asia/Seoul"
late = {late}

[assignments.optimizers.extensions]
"2026100002" = {{ days = 2 }}
"2026100019" = "{far}"
"""
DAY_POLICY = '{ per = "day", percent = 10, cap = 50, grace_minutes = 15 }'
HOUR_POLICY = '{ per = "hour", percent = 2, cap = 40 }'

#: What intake recorded per gradebook key (lmsin's contract), and the extension each has.
PROVENANCE = {
    "31001": {"lms": "canvas", "submitted_at": "2026-11-23T00:10:00Z", "late_marker": False},
    "31002": {"lms": "canvas", "submitted_at": "2026-11-23T02:00:00Z", "late_marker": True},
    "yoon_jisu": {"lms": "moodle", "submitted_at": "2026-11-26T01:00:00Z"},
    "han_seojun": {"lms": "moodle", "submitted_at": "2026-12-03T00:00:00Z"},
    "lee_jiwoo": {"lms": "moodle", "submitted_at": "2026-11-25T02:00:00Z"},  # extension + 2 h
    "kwon_jiho": {"lms": "canvas", "lms_user": "31021", "submitted_at": None, "late_marker": True},
    "5003": {"lms": "moodle", "lms_user": "5003", "submitted_at": "2026-11-22T10:00:00Z"},
}
EXTENDED = {"2026100002": DUE + dt.timedelta(days=2)}
SOURCES = ("kim_minsu", "lee_jiwoo", "yoon_jisu", "han_seojun", "kwon_jiho")


def optigrade(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [optigrade_exe(), *args], capture_output=True, text=True, timeout=600, check=False
    )


def write_course(folder: Path, late: str = DAY_POLICY) -> Path:
    (folder / "roster.csv").write_text(ROSTER, encoding="utf-8")
    path = folder / "course.toml"
    path.write_text(COURSE.format(late=late, far=FAR), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A batch graded once with --course, then intake's provenance recorded in its gradebook
    (through the gradebook's own API, as intake records it)."""
    root = tmp_path_factory.mktemp("lms")
    subs = root / "subs"
    subs.mkdir()
    for name in SOURCES:
        shutil.copy(EXAMPLES / "optimizers" / f"{name}.ipynb", subs)
    shutil.copy(EXAMPLES / "optimizers" / "choi_yuna.ipynb", subs / "stranger.ipynb")
    moodle = subs / "moodle_download" / "박서연_5003_assignsubmission_file_"
    moodle.mkdir(parents=True)
    shutil.copy(EXAMPLES / "optimizers" / "park_seoyeon.ipynb", moodle / "optimizers.ipynb")
    shutil.copy(EXAMPLES / "canvas_download.zip", subs)
    course = write_course(root)
    out = root / "out"
    done = optigrade("grade", "-a", "optimizers", "--course", str(course), "--out", str(out),
                     "--", *sorted(str(p) for p in subs.iterdir()))  # fmt: skip
    # The example download holds one file that is not a notebook: that student's row says
    # so and the run exits 4 (docs/TA_GUIDE.md), everyone else is graded.
    assert done.returncode == 4, done.stderr[-3000:]
    book = Gradebook(out / "gradebook.sqlite")
    try:
        for key, provenance in PROVENANCE.items():
            record = book.result("optimizers", key)
            assert record is not None, f"{key} was graded"
            # Times set here, as intake records them (autograder/intake/provenance.py).
            source = None
            if provenance.get("submitted_at"):
                source = "moodle-worksheet" if provenance["lms"] == "moodle" else "zip-entry"
            stored = {**record["provenance"], "time_source": source, **provenance}
            book.record({**record, "provenance": stored})
    finally:
        book.close()
    return root


def report(root: Path, *extra: str) -> dict:
    done = optigrade("report", "-a", "optimizers", "--course", str(root / "course.toml"),
                     "--out", str(root / "out"), "--json", *extra)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def raw_scores(root: Path) -> dict[str, float]:
    """The suite's score per gradebook key, straight from the gradebook."""
    book = Gradebook(root / "out" / "gradebook.sqlite")
    try:
        return {r["student"]: r["score"] for r in book.results("optimizers")}
    finally:
        book.close()


# -- the policy, computed here -----------------------------------------------------------------

KEY_OF = {  # roster student id -> the gradebook key of their submission
    "2026100001": "kim_minsu",
    "2026100002": "lee_jiwoo",
    "2026100003": "5003",
    "2026100007": "yoon_jisu",
    "2026100008": "han_seojun",
    "2026100013": "kwon_jiho",
    "2026100016": "31001",
    "2026100017": "31002",
}


def expected_penalty(student: str, policy: dict) -> float:
    provenance = PROVENANCE.get(KEY_OF.get(student, ""), {})
    when = provenance.get("submitted_at")
    # Only Moodle records a submission's time; Canvas dates its download, not the upload.
    if not when or provenance.get("lms") != "moodle":
        return 0.0
    late = dt.datetime.fromisoformat(when) - EXTENDED.get(student, DUE)
    seconds = late.total_seconds()
    if seconds <= policy.get("grace_minutes", 0) * 60:
        return 0.0
    unit = 86400 if policy["per"] == "day" else 3600
    return min(policy["cap"], math.ceil(seconds / unit) * policy["percent"])


def expected_grades(root: Path, policy: dict) -> dict[str, Decimal | None]:
    """Every roster student's final grade: None for a cell left empty (not yet due)."""
    raw = raw_scores(root)
    grades: dict[str, Decimal | None] = {}
    for row in csv.DictReader(io.StringIO(ROSTER)):
        student = row["student_id"]
        if student not in KEY_OF:
            grades[student] = None if student == "2026100019" else Decimal(0)
            continue
        score = Decimal(repr(raw[KEY_OF[student]]))
        kept = (Decimal(100) - Decimal(repr(expected_penalty(student, policy)))) / 100
        grades[student] = (score * kept).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return grades


DAY = {"per": "day", "percent": 10, "cap": 50, "grace_minutes": 15}
HOUR = {"per": "hour", "percent": 2, "cap": 40}


# -- the tests ----------------------------------------------------------------------------------


def roster_rows() -> list[dict]:
    return list(csv.DictReader(io.StringIO(ROSTER)))


def test_canvas_gradebook_imports_every_roster_student_at_the_policy_grade(graded: Path) -> None:
    report(graded)
    data = (graded / "out" / "lms" / "canvas_gradebook.csv").read_bytes()
    expected = expected_grades(graded, DAY)
    for variant in (data, data.removeprefix(b"\xef\xbb\xbf")):  # with and without the BOM
        assignments, points, rows = canvas_import(variant)
        assert list(assignments) == ["12345"] and points == {"12345": "50"}
        found = {}
        for row in rows:
            student = canvas_student(row, roster_rows())
            assert student is not None, f"Canvas finds no student for {row}"
            cell = row["grades"]["12345"]
            found[student["student_id"]] = None if cell == "" else Decimal(cell)
        assert found == expected
    # a name that starts like a formula is text in a spreadsheet; Canvas matches it by ID
    assert "'=윤지수" in data.decode("utf-8-sig")


def test_moodle_worksheet_imports_every_participant_at_the_policy_grade(graded: Path) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    report(graded)
    data = (graded / "out" / "lms" / "moodle_grading_worksheet.csv").read_bytes()
    expected = expected_grades(graded, DAY)
    by_participant = {
        r["moodle_participant_id"]: r for r in roster_rows() if r["moodle_participant_id"]
    }
    for variant in (data, data.removeprefix(b"\xef\xbb\xbf"), data.replace(b"\n", b"\r\n")):
        parsed = moodle_worksheet(variant)
        assert set(parsed) == set(by_participant)
        for participant, row in parsed.items():
            student = by_participant[participant]["student_id"]
            want = expected[student]
            assert row["grade"] == (None if want is None else float(want)), student
            assert row["modified"] >= before, "a later Moodle grade must win, not an older one"
    parsed = moodle_worksheet(data)
    assert parsed["5018"]["status"] == "No submission" and parsed["5018"]["grade"] == 0
    assert parsed["5002"]["comment"].startswith("Score 45 / 50. Submitted 2 hours late: −10%")
    # Canvas's _LATE with only the download's time: flagged for the TA, never charged.
    flagged = "Score 40 / 50. The LMS marked this submission late"
    assert parsed["5017"]["comment"].startswith(flagged)
    assert parsed["5013"]["comment"].startswith("점수 0 / 50.")


def test_moodle_feedback_zip_gives_each_participant_their_own_page(graded: Path) -> None:
    report(graded)
    path = graded / "out" / "lms" / "moodle_feedback_files.zip"
    participants = {
        r["moodle_participant_id"]: r for r in roster_rows() if r["moodle_participant_id"]
    }
    pages: dict[str, str] = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            found = moodle_zip_entry(info.filename, set(participants))
            assert found is not None, f"Moodle would ignore {info.filename!r}"
            participant, name = found
            assert participant not in pages, "one feedback file per student"
            assert name == "feedback_optimizers.html"
            pages[participant] = archive.read(info).decode("utf-8")
    # every participant with a submission, none for the missing ones
    assert set(pages) == {"5001", "5002", "5003", "5007", "5013", "5016", "5017"}
    for participant, page in pages.items():
        assert participants[participant]["student_id"] in page
    assert "Submitted 2 hours late: −10%" in pages["5002"]  # English, from the roster
    assert 'lang="en"' in pages["5002"] and 'lang="ko"' in pages["5001"]
    assert "제출 3일 1시간 늦음: −40%" in pages["5007"]
    assert "시각을 알 수 없어 감점하지 않았습니다" in pages["5013"]


def test_grades_csv_keeps_raw_penalty_and_final_and_reports_strays(graded: Path) -> None:
    summary = report(graded)
    with open(graded / "out" / "grades.csv", encoding="utf-8", newline="") as handle:
        rows = {row["student"]: row for row in csv.DictReader(handle)}
    raw = raw_scores(graded)
    expected = expected_grades(graded, DAY)
    for student, key in KEY_OF.items():
        row = rows[student]
        assert float(row["raw_score"]) == raw[key]
        assert float(row["late_penalty_percent"]) == expected_penalty(student, DAY)
        assert Decimal(row["score"]) == expected[student]
        assert row["gradebook_key"] == key
    assert rows["2026100018"]["status"] == "missing"
    assert rows["stranger"]["roster"] == "not on roster"
    assert [s["student"] for s in summary["not_on_roster"]] == ["stranger"]
    assert set(summary["missing"]) == {"2026100018", "2026100019"}
    # Canvas's _LATE: with no time (2026100013), or only the download's (2026100017).
    assert sorted(summary["late_flagged"]) == ["2026100013", "2026100017"]
    plain = (graded / "out" / "lms" / "grades_with_names.csv").read_text(encoding="utf-8-sig")
    named = {row["student_id"]: row for row in csv.DictReader(io.StringIO(plain))}
    assert named["2026100002"]["name"] == "Lee_Jiwoo, Jr"
    assert named["2026100019"]["final_score"] == "" and named["2026100018"]["final_score"] == "0"


def test_a_new_policy_is_applied_by_report_and_the_raw_score_stays(graded: Path) -> None:
    raw_before = raw_scores(graded)
    write_course(graded, HOUR_POLICY)
    try:
        report(graded)
        data = (graded / "out" / "lms" / "canvas_gradebook.csv").read_bytes()
        _assignments, _points, rows = canvas_import(data)
        found = {}
        for row in rows:
            student = canvas_student(row, roster_rows())
            cell = row["grades"]["12345"]
            found[student["student_id"]] = None if cell == "" else Decimal(cell)
        assert found == expected_grades(graded, HOUR)
        assert found != expected_grades(graded, DAY), "the policies differ for this class"
        assert raw_scores(graded) == raw_before
    finally:
        write_course(graded, DAY_POLICY)


@pytest.mark.parametrize(
    ("course", "roster", "says"),
    [
        (COURSE.format(late='{ per = "week", percent = 10 }', far=FAR), ROSTER,
         ["assignments.optimizers.late.per", '"day" 또는 "hour"', 'must be "day" or "hour"']),
        (COURSE.format(late='{ per = "day", percent = 120 }', far=FAR), ROSTER,
         ["assignments.optimizers.late.percent", "0에서 100 사이", "between 0 and 100"]),
        (COURSE.format(late=DAY_POLICY, far="someday"), ROSTER,
         ["assignments.optimizers.extensions.2026100019", "2026-03-20T23:59"]),
        (COURSE.format(late=DAY_POLICY, far=FAR).replace("lms_name", "lms_nam"), ROSTER,
         ["lms_nam", "모르는 키", "unknown keys"]),
        (COURSE.format(late=DAY_POLICY, far=FAR), ROSTER + "2026100001,복제,,,,,,,\n",
         ["roster.csv", "12행", "line 12", "2026100001"]),
        (COURSE.format(late=DAY_POLICY, far=FAR), ROSTER.replace(",en\n", ",fr\n", 1),
         ["roster.csv", "line 3", "ko, en"]),
        (COURSE.format(late=DAY_POLICY, far=FAR), ROSTER.replace("2026100003,", '2026100003,"', 1),
         ["roster.csv", "line 4", "unmatched quote", "따옴표"]),
        (COURSE.format(late=DAY_POLICY, far=FAR).replace("optimizers", "schedules"), ROSTER,
         ["[assignments.optimizers]"]),
    ],
)  # fmt: skip
def test_a_wrong_course_file_is_refused_naming_where(
    graded: Path, tmp_path: Path, course: str, roster: str, says: list[str]
) -> None:
    (tmp_path / "roster.csv").write_text(roster, encoding="utf-8")
    (tmp_path / "course.toml").write_text(course, encoding="utf-8")
    done = optigrade("report", "-a", "optimizers", "--course", str(tmp_path / "course.toml"),
                     "--out", str(graded / "out"))  # fmt: skip
    assert done.returncode != 0
    for text in says:
        assert text in done.stderr, (text, done.stderr)


def test_a_cp949_roster_from_korean_excel_is_read(graded: Path, tmp_path: Path) -> None:
    (tmp_path / "roster.csv").write_bytes(ROSTER.encode("cp949"))
    (tmp_path / "course.toml").write_text(COURSE.format(late=DAY_POLICY, far=FAR))
    done = optigrade("report", "-a", "optimizers", "--course", str(tmp_path / "course.toml"),
                     "--out", str(tmp_path / "out"), "--gradebook",
                     str(graded / "out" / "gradebook.sqlite"))  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    text = (tmp_path / "out" / "lms" / "grades_with_names.csv").read_text(encoding="utf-8-sig")
    assert "김민수" in text and "한지민" in text
