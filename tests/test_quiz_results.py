"""`optigrade quiz grade` on LMS exports, as an instructor meets it: a quiz built with
`--format moodle,qti`, its questions read back from moodle.xml and qti.zip the way the LMS
imports them, a class answering in the LMS (a "Responses" report as Moodle downloads it, a
"Student Analysis" CSV as Canvas downloads it), then the scores checked against the weights
the exports gave the LMS, the item analysis against a planted pattern, and report.html opened
in real Chromium.

The class: students of graded ability answer right with their ability's probability; on
`init-which` the strong students pick one wrong choice and the weak ones the right one (a key
the top group rejects), and every wrong answer to `ewma-window` picks one misconception, so
that it is the class's most common.
"""

from __future__ import annotations

import csv
import io
import json
import random
import zipfile
from pathlib import Path

import pytest
from lxml import etree, html

from tests.test_class_report import browser as chromium  # noqa: F401  (a fixture)
from tests.test_class_report import open_page
from tests.test_cli import optigrade

ITEMS = "init-which,adam-true,gd-facts,gd-num-batches,gd-match,ewma-window"
PLANTED = "ewma-window"
REVERSED = "init-which"
STUDENTS = 24
HOSTILE = "<img src=x onerror=\"document.title='pwned'\">"


def text_of(fragment: str) -> str:
    """HTML to the plain text an LMS report shows (tags dropped, entities decoded)."""
    if not fragment.strip():
        return ""
    return " ".join(html.fromstring(f"<div>{fragment}</div>").text_content().split())


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("lms") / "build"
    result = optigrade(
        "quiz", "build", "--seed", "8", "--variants", "4", "--item-ids", ITEMS,
        "--format", "moodle,qti", "--lang", "en", "--out", str(out),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out


def moodle_questions(build: Path) -> dict[str, list[dict]]:
    """Per item, its variants as Moodle imports them: text, answers with fractions."""
    root = etree.parse(str(build / "moodle.xml")).getroot()
    items: dict[str, list[dict]] = {}
    for q in root.iter("question"):
        if q.get("type") == "category":
            continue
        entry = {
            "type": q.get("type"),
            "text": text_of(q.findtext("questiontext/text")),
            "single": q.findtext("single") != "false",
            "answers": [
                (
                    text_of(a.findtext("text")),
                    float(a.get("fraction")),
                    a.findtext("tolerance"),
                    text_of(a.findtext("feedback/text") or ""),
                )
                for a in q.findall("answer")
            ],
            "pairs": [
                (text_of(s.findtext("text")), s.findtext("answer/text"))
                for s in q.findall("subquestion")
            ],
        }
        items.setdefault(q.findtext("name/text").rsplit(" v", 1)[0], []).append(entry)
    return items


def moodle_answer(
    q: dict, item: str, rng: random.Random, ability: float, planted: str
) -> tuple[str, float]:
    """(Moodle's response summary, Moodle's grade for it) for one simulated student."""
    right = rng.random() < ability
    if q["type"] == "numerical":
        value, _fraction, tolerance, _why = next(a for a in q["answers"] if a[1] == 100)
        wrong = next(a for a in q["answers"] if a[1] == 0)[0]
        given = float(value) if right else float(wrong)
        return f"{given:g}", float(abs(given - float(value)) <= float(tolerance))
    if q["type"] == "matching":
        rights = [answer for _left, answer in q["pairs"]]
        chosen = rights if right else rights[1:] + rights[:1]
        summary = "; ".join(
            f"{left} -> {c}" for (left, _a), c in zip(q["pairs"], chosen, strict=True)
        )
        return summary, sum(c == a for c, (_l, a) in zip(chosen, q["pairs"], strict=True)) / len(
            rights
        )
    answers = q["answers"]
    good = [a for a in answers if a[1] > 0]
    bad = [a for a in answers if a[1] <= 0]
    if item == REVERSED:
        right = ability < 0.5
    if q["type"] == "truefalse":
        pick = good[0] if right else bad[0]
        return ("True" if pick[0] == "true" else "False"), pick[1] / 100
    if not q["single"]:
        picks = good if right else [good[0], bad[0]]
        grade = max(0.0, min(1.0, sum(a[1] for a in picks) / 100))
        return "; ".join(a[0] for a in picks), grade
    if item == PLANTED:
        bad = [a for a in bad if a[3] == planted]
    pick = good[0] if right else (bad[-1] if item == REVERSED else bad[0])
    return pick[0], pick[1] / 100


def moodle_summary(q: dict) -> str:
    """Moodle's question summary: the text, then the choices of a choice question."""
    if q["type"] == "multichoice":
        return f"{q['text']}: " + "; ".join(a[0] for a in q["answers"])
    return q["text"]


@pytest.fixture(scope="module")
def moodle_class(build: Path):
    questions = moodle_questions(build)
    # Every wrong answer to PLANTED carries the one misconception all its variants offer:
    # found by its feedback, the sentence Moodle shows the student.
    shared = set.intersection(
        *({a[3] for a in q["answers"] if a[1] <= 0} for q in questions[PLANTED])
    )
    assert shared, "the planted item needs a misconception in every variant"
    sentence = sorted(shared)[0]
    rng = random.Random(5)
    items = list(questions)
    header = ["Surname", "First name", "Email address", "State", "Started on", "Completed",
              "Time taken", f"Grade/{len(items)}.00"]  # fmt: skip
    for k in range(1, len(items) + 1):
        header += [f"Question {k}", f"Response {k}", f"Right answer {k}"]
    rows, expected, planted = [], {}, {}
    for n in range(STUDENTS):
        ability = (n + 0.5) / STUDENTS
        email = f"s{n:02d}@uni.example"
        first = HOSTILE if n == 0 else f"Student{n}"
        row = ["Kim", first, email, "Finished", "1 December 2026  10:00 AM",
               "1 December 2026  10:20 AM", "20 mins", ""]  # fmt: skip
        total = 0.0
        for item in items:
            q = rng.choice(questions[item])
            response, grade = moodle_answer(q, item, rng, ability, sentence)
            if item == PLANTED and grade == 0:
                planted[email] = response
            expected[(email, item)] = grade
            total += grade
            row += [moodle_summary(q), response, ""]
        row[7] = f"{total:.2f}"
        rows.append(row)
    rows.append(["Overall average", "", "", "", "", "", "", ""])
    path = build.parent / "moodle_responses.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows([header, *rows])
    return path, expected, planted, items, sentence


@pytest.fixture(scope="module")
def moodle_graded(build, moodle_class, tmp_path_factory):
    path, *_ = moodle_class
    out = tmp_path_factory.mktemp("graded")
    result = optigrade(
        "quiz", "grade", "--build", str(build), "--responses", str(path), "--out", str(out),
        "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return out, json.loads(result.stdout)


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_moodle_scores_are_the_grades_the_exported_weights_give(moodle_class, moodle_graded):
    _path, expected, _planted, items, _sentence = moodle_class
    out, summary = moodle_graded
    assert summary["source"] == "moodle" and summary["problems"] == 0, summary["problem_list"]
    scores = {row["student_id"]: row for row in read_csv(out / "scores.csv")}
    assert len(scores) == STUDENTS
    for (email, item), grade in expected.items():
        assert float(scores[email][item]) == pytest.approx(grade, abs=2e-3), (email, item)
    for email, row in scores.items():
        total = sum(expected[(email, item)] for item in items)
        assert float(row["total"]) == pytest.approx(total, abs=1e-2)
    # A name that would be markup or a formula stays text in the CSV.
    assert scores["s00@uni.example"]["name"].startswith(HOSTILE)


def test_item_analysis_flags_the_planted_items(moodle_class, moodle_graded):
    _path, expected, planted, _items, _sentence = moodle_class
    out, _summary = moodle_graded
    rows = {row["item"]: row for row in read_csv(out / "item_analysis.csv")}
    reversed_row = rows[REVERSED]
    assert float(reversed_row["point_biserial"]) < 0 and float(reversed_row["upper_lower"]) < 0
    assert "negative-discrimination" in reversed_row["flags"]
    assert "key-rejected" in reversed_row["flags"]
    for item, row in rows.items():
        facility = sum(g for (_s, i), g in expected.items() if i == item) / STUDENTS
        assert float(row["facility"]) == pytest.approx(facility, abs=2e-3), item
    counts = dict(part.split("=") for part in rows[PLANTED]["misconceptions"].split("; "))
    assert max(counts.values(), key=int) == str(len(planted))
    assert "unused-distractor" in rows[PLANTED]["flags"]  # its other distractors: nobody


def test_canvas_student_analysis_scores_match_the_qti_key(build, tmp_path):
    with zipfile.ZipFile(build / "qti.zip") as archive:
        name = next(n for n in archive.namelist() if n != "imsmanifest.xml")
        root = etree.parse(io.BytesIO(archive.read(name))).getroot()
    questions: dict[str, list[dict]] = {}
    for item in root.iter("item"):
        fields = {
            f.findtext("fieldlabel"): f.findtext("fieldentry")
            for f in item.iter("qtimetadatafield")
        }
        if fields["question_type"] not in ("multiple_choice_question", "true_false_question"):
            continue
        labels = {
            label.get("ident"): text_of(label.findtext("material/mattext"))
            for label in item.iter("response_label")
        }
        scoring = next(c for c in item.iter("respcondition") if c.findtext("setvar") == "100")
        questions.setdefault(item.get("title").rsplit(" v", 1)[0], []).append({
            "text": text_of(item.findtext("presentation/material/mattext")),
            "labels": labels,
            "right": scoring.find("conditionvar/varequal").text,
        })  # fmt: skip
    columns = [(f"{1000 + k}", item, q) for item, qs in questions.items()
               for k, q in enumerate(qs, start=len(questions) * 10)]  # fmt: skip
    columns = [(f"{4000 + n}", item, q) for n, (_id, item, q) in enumerate(columns)]
    header = ["name", "id", "sis_id", "section", "section_id", "section_sis_id", "submitted",
              "attempt"]  # fmt: skip
    for canvas_id, _item, q in columns:
        header += [f"{canvas_id}: {q['text']}", "1.0"]
    header += ["n correct", "n incorrect", "score"]
    rng = random.Random(9)
    expected = {}
    lines = []
    for n in range(10):
        sis = f"2025{n:03d}"
        given = {item: rng.choice(qs) for item, qs in questions.items()}
        row = [f"Student {n}", str(900 + n), sis, "A", "1", "", "2026-12-01 10:00:00 UTC", "1"]
        for _id, item, q in columns:
            if given[item] is not q:
                row += ["", ""]
                continue
            ident = rng.choice(sorted(q["labels"]))
            expected[(sis, item)] = float(ident == q["right"])
            row += [q["labels"][ident], str(expected[(sis, item)])]
        lines.append([*row, "", "", ""])
    path = tmp_path / "student_analysis.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([header, *lines])
    out = tmp_path / "out"
    result = optigrade(
        "quiz", "grade", "--build", str(build), "--responses", str(path), "--out", str(out),
        "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["problems"] == 0, result.stdout
    scores = {row["student_id"]: row for row in read_csv(out / "scores.csv")}
    assert len(scores) == 10
    for (sis, item), points in expected.items():
        assert float(scores[sis][item]) == points, (sis, item)


def test_a_file_of_no_known_format_is_a_clear_bilingual_error(build, tmp_path):
    bad = tmp_path / "grades.csv"
    bad.write_text("who,what\nme,1\n", encoding="utf-8")
    result = optigrade("quiz", "grade", "--build", str(build), "--responses", str(bad))
    assert result.returncode != 0
    assert "Moodle" in result.stderr and "응답 파일" in result.stderr
    assert "Traceback" not in result.stderr


def test_report_in_chromium_names_the_class_misconception(
    moodle_class,
    build,
    chromium,  # noqa: F811  (the fixture imported above)
    tmp_path,
):
    path, _expected, planted, items, sentence = moodle_class
    # One more student whose answers are hostile text: listed as unusable, never run.
    table = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
    mallory = [*table[1]]
    mallory[1:3] = ["Mallory", "m@uni.example"]
    mallory[table[0].index("Response 1")] = HOSTILE
    hostile = tmp_path / "responses.csv"
    with hostile.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([*table, mallory])
    for lang, title in (("en", "quiz — quiz results"), ("ko", "quiz — 퀴즈 결과")):
        out = tmp_path / lang
        result = optigrade(
            "quiz", "grade", "--build", str(build), "--responses", str(hostile),
            "--out", str(out), "--lang", lang,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        page, dialogs = open_page(chromium, out / "report.html")
        try:
            assert page.title() == title
            first = page.locator("#misconceptions li").first
            # Mallory copied s00's answers but the first, so also s00's planted mistake.
            copied = int("s00@uni.example" in planted)
            assert int(first.get_attribute("data-count")) == len(planted) + copied
            if lang == "en":  # the quiz's language: the sentence Moodle showed as feedback
                shown = " ".join(first.inner_text().split())
                assert shown.startswith(sentence.replace("\\(", "").split("\\")[0][:30])
            else:
                assert "번 선택" in first.inner_text()
            bars = page.locator("#histogram rect.bar").all()
            assert sum(int(b.get_attribute("data-count")) for b in bars) == STUDENTS + 1
            assert page.locator("#scatter circle.item").count() == len(items)
            assert HOSTILE in page.locator("#problems").inner_text()
            assert page.locator("img").count() == 0 and not dialogs
        finally:
            page.close()


def grade_rows(build: Path, rows: list[list[str]], out: Path) -> dict:
    """`quiz grade --json` of a responses.csv holding ``rows``."""
    out.mkdir()
    path = out / "responses.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = optigrade(
        "quiz", "grade", "--build", str(build), "--responses", str(path), "--out", str(out),
        "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_typed_in_answers_of_a_reviewed_scan_are_scored(build, tmp_path):
    """After review the instructor types the written answers into responses.csv: a decimal
    comma, a value a spreadsheet would take for a formula (kept as text with a leading ')."""
    key = json.loads((build / "key.json").read_text("utf-8"))
    rows = [["student_id", "question", "item", "response", "review"]]
    expected = {}
    for student, names in key["sheets"].items():
        n, name = next(
            (n, name)
            for n, name in enumerate(names, 1)
            if key["questions"][name]["type"] == "numeric"
        )
        q = key["questions"][name]
        wrong, tag = q["distractors"][0]
        typed = {
            "V01": (str(q["value"] + q["margin"] / 2).replace(".", ","), 1.0, None),
            "V02": (f"{wrong:g}", 0.0, tag),
            "V03": ("'-0.5", 0.0, None),
            "V04": ("about ten", 0.0, None),
        }[student]
        rows.append([student, str(n), q["item"], typed[0], "done"])
        expected[student] = typed
    rows.append([*rows[1][:3], "0", "done"])  # the same question again: the first row counts
    summary = grade_rows(build, rows, tmp_path / "out")
    assert summary["source"] == "scan" and summary["pending"] == 0
    # The words and the repeated row are unusable ("-0.5" is a number, a wrong one); a student
    # of the build without a row is named.
    problems = summary["problem_list"]
    assert len(problems) == 2 and "appears again" in problems[0] and "about ten" in problems[1]
    scores = {row["student_id"]: row for row in read_csv(tmp_path / "out" / "scores.csv")}
    for student, (_typed, points, _tag) in expected.items():
        assert float(scores[student]["gd-num-batches"]) == points
    counts = read_csv(tmp_path / "out" / "item_analysis.csv")
    row = next(r for r in counts if r["item"] == "gd-num-batches")
    assert f"{expected['V02'][2]}=1" in row["misconceptions"]
    without_v04 = [line for line in rows if line[0] != "V04"]
    problems = grade_rows(build, without_v04, tmp_path / "out2")["problem_list"]
    assert any(p.startswith("V04: no scanned answers") for p in problems), problems


def test_a_student_with_two_attempts_is_listed_not_mixed(build, moodle_class, tmp_path):
    """An export of every attempt lists a student twice: scoring them question by question
    would mix the attempts into a score they never earned."""
    path, *_ = moodle_class
    lines = path.read_text(encoding="utf-8-sig").splitlines(keepends=True)
    header, first = lines[0], lines[1]
    twice = tmp_path / "twice.csv"
    twice.write_text(header + first + "".join(lines[1:]), encoding="utf-8")
    out = tmp_path / "out"
    result = optigrade(
        "quiz", "grade", "--build", str(build), "--responses", str(twice), "--out", str(out),
        "--json",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    repeated = next(csv.reader([first]))[2]  # the first row's e-mail, its id here
    assert any(repeated in p and "several attempts" in p for p in summary["problem_list"])
    scored = {row["student_id"] for row in read_csv(out / "scores.csv")}
    assert repeated not in scored or all(
        row["total"] in ("", "0")
        for row in read_csv(out / "scores.csv")
        if row["student_id"] == repeated
    )
    assert len(scored - {repeated}) == STUDENTS - 1


def test_a_cut_question_text_that_starts_two_different_questions_is_not_guessed():
    """Canvas may cut a long question text. When the cut text starts two variants whose
    keys differ (a statement true in one and false in the other), scoring either would mark
    half the class backwards: no variant is chosen, and the column is listed."""
    from types import SimpleNamespace

    from quizzes.answer_key import KeyQuestion
    from quizzes.responses.lmstext import QuestionFinder

    true_one = KeyQuestion(
        "gd-facts v1",
        "gd-facts",
        "truefalse",
        "Is the following statement true? SGD uses one sample.",
        truth=True,
    )
    false_one = KeyQuestion(
        "gd-facts v2",
        "gd-facts",
        "truefalse",
        "Is the following statement true? SGD uses every sample.",
        truth=False,
    )
    key = SimpleNamespace(questions={q.name: q for q in (true_one, false_one)})
    finder = QuestionFinder(key)  # type: ignore[arg-type]
    assert finder.find("Is the following statement true?") is None
    assert finder.find("Is the following statement true? SGD uses one sample.") is true_one
    # Moodle's summary extends our text with the choices: still the one question.
    assert finder.find("Is the following statement true? SGD uses every sample.: T; F") is false_one
