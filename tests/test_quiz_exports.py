"""Quiz exports, read back with real parsers, agree with the answer key of the one model."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from lark import Lark
from lxml import etree

from quizzes.draw import anonymous_students, build_quiz, draw_variant
from quizzes.items import load_bank
from quizzes.render import gift, moodle, qti
from quizzes.render.lms import MOODLE_FRACTIONS
from tests.test_cli import optigrade

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def quiz():
    return build_quiz(load_bank(), 7, "t", anonymous_students(2), "ko", distinct=True)


def _num(text: str) -> float:
    return float(text)


def test_bank_covers_every_topic_with_three_kinds():
    from quizzes.topics import TOPICS

    items = load_bank()
    assert len(items) >= 60
    for topic in TOPICS:
        mine = [i for i in items if i.topic == topic]
        assert len(mine) >= 3, topic
        assert len({i.type for i in mine} | {i.kind for i in mine}) >= 3, topic


def test_moodle_xml_follows_the_importer_rules_and_matches_the_key(quiz):
    root = etree.fromstring(moodle.document(quiz))
    questions = dict(quiz.lms_questions())
    allowed = {f"{f:g}" for f in MOODLE_FRACTIONS} | {f"-{f:g}" for f in MOODLE_FRACTIONS}
    categories = [q for q in root if q.get("type") == "category"]
    assert len(categories) == len({v.topic for v in questions.values()})
    seen = 0
    for q in root:
        if q.get("type") == "category":
            continue
        name = q.findtext("name/text")
        assert name, "every question needs a name"
        variant = questions[name]
        answers = q.findall("answer")
        assert all(a.get("fraction") in allowed for a in answers)
        if variant.type in ("single", "multiple"):
            right = [i for i, a in enumerate(answers) if float(a.get("fraction")) > 0]
            assert right == list(variant.correct_positions)
        elif variant.type == "truefalse":
            best = next(a for a in answers if a.get("fraction") == "100")
            assert (best.findtext("text") == "true") == variant.truth
        elif variant.type == "numeric":
            best = next(a for a in answers if a.get("fraction") == "100")
            assert _num(best.findtext("text")) == pytest.approx(variant.numeric.value, rel=1e-9)
            assert _num(best.findtext("tolerance")) == pytest.approx(variant.numeric.margin)
        elif variant.type == "short":
            assert [a.findtext("text") for a in answers] == list(variant.accepted)
        else:
            subs = q.findall("subquestion")
            assert len(subs) == len(variant.pairs)
        if "$" in "".join(variant.prompt.values()):
            assert "\\(" in q.findtext("questiontext/text")
        seen += 1
    assert seen == len(questions)


GIFT_GRAMMAR = r"""
start: (comment | category | question)*
comment: COMMENT
category: "$CATEGORY:" REST
question: "::" TEXT "::" TEXT? "{" NUMERICAL? answer* "}"
answer: MARK WEIGHT? TEXT? FEEDBACK?
NUMERICAL: "#"
MARK: "=" | "~" | "TRUE" | "FALSE"
WEIGHT: /%-?[0-9.]+%/
FEEDBACK: /#(\\.|[^\\~=#{}\n])*/
TEXT: /(\\.|[^\\~=#{}:\n]|:(?!:))+/
COMMENT: /\/\/[^\n]*/
REST: /[^\n]+/
%ignore /\s+/
"""


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out).strip()


def test_gift_parses_with_a_grammar_and_matches_the_key(quiz):
    tree = Lark(GIFT_GRAMMAR, parser="earley").parse(gift.document(quiz))
    questions = dict(quiz.lms_questions())
    parsed = [q for q in tree.children if q.data == "question"]
    assert len(parsed) == len(questions)
    for q in parsed:
        name = _unescape(q.children[0])
        variant = questions[name]
        answers = [[str(t) for t in a.children] for a in q.children if hasattr(a, "data")]
        if variant.type == "single":
            assert [i for i, a in enumerate(answers) if a[0] == "="] == list(
                variant.correct_positions
            )
        elif variant.type == "multiple":
            weights = [float(a[1].strip("%")) for a in answers]
            assert [i for i, w in enumerate(weights) if w > 0] == list(variant.correct_positions)
        elif variant.type == "truefalse":
            assert (answers[0][0] == "TRUE") == variant.truth
        elif variant.type == "numeric":
            assert "#" in [str(t) for t in q.children]  # GIFT's numerical marker
            value, margin = _unescape(answers[0][1]).split(":")
            assert float(value) == pytest.approx(variant.numeric.value, rel=1e-9)
            assert float(margin) == pytest.approx(variant.numeric.margin)
        elif variant.type == "short":
            assert [_unescape(a[1]) for a in answers] == list(variant.accepted)
    # LaTeX survives Moodle's escaping: unescaping gives back the \( … \) of the model
    assert "\\(a^{[" in _unescape(gift.escape("\\(a^{[3]\\{8\\}(7)}\\)"))


def test_qti_zip_is_valid_against_the_dtd_and_matches_the_key(quiz, tmp_path):
    data = qti.package(quiz)
    archive = zipfile.ZipFile(__import__("io").BytesIO(data))
    names = archive.namelist()
    assert "imsmanifest.xml" in names
    manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    href = manifest.find(".//{*}resource").get("href")
    doc = etree.fromstring(archive.read(href))
    dtd = etree.DTD(str(qti.DTD_PATH))
    assert dtd.validate(doc), dtd.error_log.filter_from_errors()
    questions = dict(quiz.lms_questions())
    for item in doc.iter("item"):
        variant = questions[item.get("title")]
        conditions = item.findall(".//respcondition")
        if variant.type in ("single", "multiple"):
            right = [
                int(v.text[1:])
                for v in conditions[0].iter("varequal")
                if v.getparent().tag != "not"
            ]
            assert right == list(variant.correct_positions)
        elif variant.type == "truefalse":
            assert conditions[0].findtext(".//varequal") == str(variant.truth).lower()
        elif variant.type == "numeric":
            exact = float(conditions[0].findtext(".//varequal"))
            low = float(conditions[0].findtext(".//vargte"))
            high = float(conditions[0].findtext(".//varlte"))
            assert exact == pytest.approx(variant.numeric.value, rel=1e-9)
            assert (high - low) / 2 == pytest.approx(variant.numeric.margin, rel=1e-6)
        elif variant.type == "matching":
            got = [int(c.findtext(".//varequal")[1:]) for c in conditions]
            assert got == list(variant.matching_answer())


def test_variant_depends_only_on_seed_quiz_student_item():
    items = load_bank()
    alone = build_quiz(items[:5], 3, "q", [("s1", {})], "en")
    crowd = build_quiz(items[:9], 3, "q", [("s0", {}), ("s1", {}), ("s2", {})], "en")
    assert alone.sheets[0].variants == crowd.sheets[1].variants[:5]
    other_seed = draw_variant(items[0], 4, "q", "s1")
    assert other_seed != alone.sheets[0].variants[0] or other_seed.item_id


def test_cli_build_is_byte_identical_and_writes_every_format(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student_id,name\n2024001,김민준\n2024002,Lee Ji-woo\n", encoding="utf-8")
    outs = []
    for run in ("a", "b"):
        out = tmp_path / run
        result = optigrade(
            "quiz",
            "build",
            "--seed",
            "11",
            "--roster",
            str(roster),
            "--per-topic",
            "1",
            "--format",
            "md,html,moodle,gift,qti",
            "--out",
            str(out),
        )
        assert result.returncode == 0, result.stderr
        outs.append(out)
    files = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    assert Path("sheets/2024001.html") in files and Path("qti.zip") in files
    for rel in files:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel
    assert "김민준" in (outs[0] / "sheets" / "2024001.md").read_text(encoding="utf-8")


def test_cli_reports_a_bad_roster_and_an_unknown_topic(tmp_path):
    roster = tmp_path / "r.csv"
    roster.write_text("id,name\n1,a\n", encoding="utf-8")
    result = optigrade(
        "quiz", "build", "--seed", "1", "--roster", str(roster), "--out", str(tmp_path / "o")
    )
    assert result.returncode != 0 and "student_id" in result.stderr
    result = optigrade(
        "quiz", "build", "--seed", "1", "--topics", "nope", "--out", str(tmp_path / "o")
    )
    assert result.returncode != 0 and "unknown topic" in result.stderr


def test_cli_list_json_shows_the_bank():
    import json

    result = optigrade("quiz", "list", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert {r["id"] for r in rows} == {i.id for i in load_bank()}
    assert all(r["languages"] == ["ko", "en"] for r in rows)


def test_cli_stress_passes_on_the_bank():
    result = optigrade("quiz", "stress", "--seeds", "60")
    assert result.returncode == 0, result.stdout[-2000:]
    assert "0 with problems" in result.stdout


def test_pdf_and_html_render_korean_in_chromium_and_the_pdf_is_byte_identical(tmp_path):
    import shutil

    if not shutil.which("chromium") or not shutil.which("pdftoppm"):
        pytest.skip("chromium/poppler-utils missing: run `make system-deps` as root")
    for run in ("a", "b"):
        result = optigrade(
            "quiz",
            "build",
            "--seed",
            "5",
            "--variants",
            "1",
            "--topics",
            "notation",
            "--format",
            "html,pdf",
            "--out",
            str(tmp_path / run),
        )
        assert result.returncode == 0, result.stderr
    pdf = tmp_path / "a" / "sheets.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "미니배치" in text
    for name in ("sheets.pdf", "keys.pdf", "proof.pdf"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_pdf_dates_are_fixed_without_moving_any_byte_offset():
    from quizzes.render.pdf import fix_dates

    info = b"<</CreationDate (D:20261123112845+09'00')\n/ModDate (D:20261123112846Z)>>"
    fixed = fix_dates(info)
    assert len(fixed) == len(info)
    assert fixed == b"<</CreationDate (D:19800101000000+00'00')\n/ModDate (D:19800101000000Z)>>"


def test_cli_items_draws_n_items_and_item_ids_chooses_them(tmp_path):
    import json

    result = optigrade(
        "quiz", "build", "--seed", "2", "--items", "4", "--format", "md", "--out", str(tmp_path)
    )
    assert result.returncode == 0, result.stderr
    assert "× 4문항" in result.stdout  # the default --lang ko
    ids = [r["id"] for r in json.loads(optigrade("quiz", "list", "--json").stdout)][:3]
    out = tmp_path / "ids"
    result = optigrade(
        "quiz", "build", "--seed", "2", "--item-ids", ",".join(ids), "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert "× 3문항" in result.stdout
    both = optigrade(
        "quiz", "build", "--seed", "2", "--items", "3", "--per-topic", "1", "--out", str(out)
    )
    assert both.returncode != 0 and "not both" in both.stderr
