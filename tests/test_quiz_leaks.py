"""Every item of the bank, built by ``optigrade quiz build`` in every format and both languages
under several seeds, read back the way a reader (or an LMS importer) reads each file: no
internal structure leaks (dict or list reprs, template syntax, None, misconception ids) and
no text of the other language appears. Right answers never carry a misconception."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import lxml.html
import pytest
from lark import Lark
from lxml import etree

from quizzes.items import load_bank
from quizzes.leaks import text_leaks
from quizzes.misconceptions import load_catalogue
from quizzes.model import Choice, Variant
from quizzes.stress import variant_problems
from tests.test_cli import optigrade
from tests.test_quiz_exports import GIFT_GRAMMAR, _unescape

BANK = load_bank()
TAGS = tuple(load_catalogue().sentences)
SEEDS = (1, 2, 3)
LANGS = ("ko", "en")
SHEETS = 3  # anonymous sheets per build: with the proof sheet, several variants of each item
#: test_quiz_exports' GIFT grammar under LALR, 30 times faster than Earley on a whole bank; the
#: weight's priority makes LALR's lexer split `%0%` off the answer as Earley does (same trees).
_GIFT = Lark(GIFT_GRAMMAR.replace("WEIGHT:", "WEIGHT.2:"), parser="lalr")


def _build(out: Path, seed: int, lang: str, formats: str, sheets: int = SHEETS) -> Path:
    result = optigrade(
        "quiz",
        "build",
        "--seed",
        str(seed),
        "--all",
        "--variants",
        str(sheets),
        "--lang",
        lang,
        "--format",
        formats,
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr
    assert re.search(rf"× {len(BANK)}\D", result.stdout)
    return out


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[int, str], Path]:
    root = tmp_path_factory.mktemp("leaks")
    return {
        (seed, lang): _build(root / f"{seed}-{lang}", seed, lang, "md,html,moodle,gift,qti")
        for seed in SEEDS
        for lang in LANGS
    }


def _html_text(markup: str) -> str:
    """What a browser shows of an HTML fragment or page, math (MathML) and styles left out."""
    if not markup.strip():
        return ""
    root = lxml.html.fragment_fromstring(markup, create_parent="div")
    for node in root.xpath("//*[local-name()='math'] | //style | //script"):
        node.drop_tree()
    return root.text_content()


def _moodle_texts(path: Path) -> list[str]:
    """The texts Moodle's XML importer reads: category paths, question texts, answers, feedback
    and matching entries (HTML where ``format="html"``)."""
    root = etree.parse(str(path)).getroot()
    texts = []
    for q in root.iter("question"):
        if q.get("type") == "category":
            texts.append(q.findtext("category/text") or "")
            continue
        texts.append(_html_text(q.findtext("questiontext/text") or ""))
        for answer in q.findall("answer"):
            text = answer.findtext("text") or ""
            texts.append(_html_text(text) if answer.get("format") == "html" else text)
            texts.append(_html_text(answer.findtext("feedback/text") or ""))
        for sub in q.findall("subquestion"):
            texts += [_html_text(sub.findtext("text") or ""), sub.findtext("answer/text") or ""]
    return texts


def _gift_questions(path: Path) -> list[tuple[str, list[tuple[str, str, str]]]]:
    """(question text, [(mark with weight, answer text, feedback)]) per question, parsed with a
    grammar."""
    tree = _GIFT.parse(path.read_text(encoding="utf-8"))
    questions = []
    for q in (node for node in tree.children if node.data == "question"):
        tokens = [t for t in q.children if not hasattr(t, "data")]
        prompt = _unescape(str(tokens[1])) if len(tokens) > 1 and tokens[1].type == "TEXT" else ""
        answers = []
        for a in (node for node in q.children if hasattr(node, "data")):
            parts = {t.type: str(t) for t in a.children}
            answers.append(
                (
                    parts["MARK"] + parts.get("WEIGHT", ""),
                    _unescape(parts.get("TEXT", "")),
                    _unescape(parts.get("FEEDBACK", "#")[1:]),
                )
            )
        questions.append((prompt.removeprefix("[html]"), answers))
    return questions


def _qti_items(path: Path) -> list[etree._Element]:
    archive = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    manifest = etree.fromstring(archive.read("imsmanifest.xml"))
    doc = etree.fromstring(archive.read(manifest.find(".//{*}resource").get("href")))
    return list(doc.iter("item"))


def _reader_texts(out: Path) -> dict[str, list[str]]:
    """Per written file, the texts its reader sees."""
    texts: dict[str, list[str]] = {}
    for md in sorted(out.rglob("*.md")):
        texts[str(md.relative_to(out))] = [md.read_text(encoding="utf-8")]
    for page in sorted(out.rglob("*.html")):
        texts[str(page.relative_to(out))] = [_html_text(page.read_text(encoding="utf-8"))]
    texts["moodle.xml"] = _moodle_texts(out / "moodle.xml")
    texts["quiz.gift.txt"] = [
        _html_text(text)
        for prompt, answers in _gift_questions(out / "quiz.gift.txt")
        for text in (prompt, *(t for _, a, f in answers for t in (a, f)))
    ]
    texts["qti.zip"] = [
        _html_text(node.text or "")
        for item in _qti_items(out / "qti.zip")
        for node in item.iter("mattext")
    ]
    return texts


def _gift_right(mark: str) -> bool:
    """Whether a GIFT answer mark (with its weight) gives credit: `=`, `=%50%`, `~%50%`. A
    true/false answer's first feedback is, by GIFT's rule, the one shown to a wrong answer."""
    if mark in ("TRUE", "FALSE"):
        return False
    weight = mark[1:].strip("%")
    return float(weight) > 0 if weight else mark == "="


def _tagged_right_answers(out: Path) -> list[str]:
    """Right answers that show feedback (a misconception) in any LMS file of ``out``."""
    wrong = []
    for q in etree.parse(str(out / "moodle.xml")).getroot().iter("question"):
        for answer in q.findall("answer"):
            if float(answer.get("fraction")) > 0 and _html_text(
                answer.findtext("feedback/text") or ""
            ):
                wrong.append(f"moodle.xml: {q.findtext('name/text')}")
    for prompt, answers in _gift_questions(out / "quiz.gift.txt"):
        wrong += [f"gift: {prompt[:40]}" for mark, _, why in answers if _gift_right(mark) and why]
    for item in _qti_items(out / "qti.zip"):
        scoring, *shown = item.iter("respcondition")
        rights = {v.text for v in scoring.iter("varequal") if v.getparent().tag != "not"}
        wrong += [
            f"qti: {item.get('title')}"
            for condition in shown
            if condition.find("displayfeedback") is not None
            and condition.findtext("conditionvar/varequal") in rights
        ]
    return wrong


def _leaks_in(out: Path, lang: str) -> list[str]:
    return [
        f"{name}: {problem}"
        for name, texts in _reader_texts(out).items()
        for text in texts
        for problem in text_leaks(text, lang, TAGS)
    ]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("seed", SEEDS)
def test_no_format_leaks_internal_text_or_the_other_language(builds, seed, lang):
    out = builds[(seed, lang)]
    assert _leaks_in(out, lang) == []
    assert _tagged_right_answers(out) == []
    # Every item of the bank is in the files that were checked.
    questions = etree.parse(str(out / "moodle.xml")).getroot().iter("question")
    names = [q.findtext("name/text") for q in questions if q.get("type") != "category"]
    assert {name.rsplit(" v", 1)[0] for name in names} == {i.id for i in BANK}
    assert len(_gift_questions(out / "quiz.gift.txt")) == len(names)
    assert len(_qti_items(out / "qti.zip")) == len(names)
    page = lxml.html.fromstring((out / "proof.html").read_text(encoding="utf-8"))
    assert page.get("lang") == lang


def test_true_false_statements_show_only_the_sheets_language(builds):
    """The defect of issue 18: a statement printed as ``{'ko': …, 'en': …}``."""
    for lang in LANGS:
        out = builds[(1, lang)]
        md = (out / "proof.md").read_text(encoding="utf-8")
        assert "{'ko'" not in md and "'en':" not in md
        tf = {i.id for i in BANK if i.type == "truefalse"}
        assert len(tf) >= 10
        root = etree.parse(str(out / "moodle.xml")).getroot()
        questions = [q for q in root.iter("question") if q.get("type") == "truefalse"]
        assert {q.findtext("name/text").rsplit(" v", 1)[0] for q in questions} == tf
        for q in questions:
            prompt = _html_text(q.findtext("questiontext/text"))
            # the prompt, a blank line, then the one statement in the sheet's language
            assert len(prompt.strip()) > 20 and text_leaks(prompt, lang, TAGS) == [], prompt


@pytest.mark.parametrize("lang", LANGS)
def test_pdf_sheets_leak_nothing(tmp_path, lang):
    if not shutil.which("chromium") or not shutil.which("pdftotext"):
        pytest.skip("chromium/poppler-utils missing: run `make system-deps` as root")
    out = _build(tmp_path / lang, 4, lang, "pdf", sheets=2)
    problems = []
    for name in ("sheets.pdf", "keys.pdf", "proof.pdf"):
        text = subprocess.run(
            ["pdftotext", str(out / name), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert len(text) > 1000, name
        problems += [f"{name}: {p}" for p in text_leaks(text, lang, TAGS)]
    assert problems == []


def test_the_leak_check_catches_each_kind_of_leak():
    """The checker itself can fail: each leak the test looks for is found in a crafted text."""
    issue_18 = (
        "{'ko': '$a^{(4)}$ 는 4번째 층의 활성값이다.', "
        "'en': '$a^{(4)}$ is the activation of layer 4.'}"
    )
    assert any("dict of both languages" in p for p in text_leaks(issue_18, "en"))
    assert any("Korean text" in p for p in text_leaks(issue_18, "en"))
    assert any("English text" in p for p in text_leaks(issue_18, "ko"))
    assert text_leaks("answer: None", "en")
    assert text_leaks("['a', 'b']", "en")
    assert text_leaks("{{ beta }} is 0.9", "en")
    assert text_leaks("feedback: xavier-for-relu", "en", TAGS)
    assert text_leaks("Is the following statement true?", "ko")
    assert text_leaks("$\\beta = 0.9$ 일 때 $v_t$ 는?", "ko") == []
    assert text_leaks("Xavier 초기화와 ReLU, time_interval", "ko") == []


def _single(tags: tuple[str | None, str]) -> Variant:
    """A one-choice question whose right and wrong choice carry ``tags``."""
    right, wrong = tags
    choices = (
        Choice({"ko": "가", "en": "A"}, True, right),
        Choice({"ko": "나", "en": "B"}, False, wrong),
    )
    return Variant("bad", "init", "single", "situation", {"ko": "문제", "en": "Q"}, choices)


def test_stress_names_a_leaked_dict_and_a_tagged_right_answer():
    """`quiz stress` catches the same class of defect as the file test above."""
    leaked = Variant(
        "bad",
        "notation",
        "truefalse",
        "recall",
        {"ko": "판단하시오. {'ko': '가', 'en': 'a'}", "en": "True? {'ko': '가', 'en': 'a'}"},
        truth=True,
    )
    problems = variant_problems(leaked)
    assert any("dict of both languages in ko" in p for p in problems)
    assert any("Korean text on an English page" in p for p in problems)
    tagged = _single(("xavier-for-relu", "he-for-tanh"))
    assert any("carries the misconception" in p for p in variant_problems(tagged))
    unknown = _single((None, "no-such-mistake"))
    assert "misconception no-such-mistake has no sentence" in variant_problems(unknown)


# --- misconceptions: a sentence for each, never on a right answer ------------------------------


def test_every_misconception_of_the_bank_has_a_sentence_in_both_languages():
    catalogue = load_catalogue()
    used = {tag for item in BANK for tag in item.misconceptions}
    assert catalogue.missing(used) == []
    for tag in used:
        ko, en = catalogue.explain(tag, "ko"), catalogue.explain(tag, "en")
        assert ko.strip() and en.strip() and ko != en, tag
        assert text_leaks(ko, "ko", TAGS) == [] and text_leaks(en, "en", TAGS) == [], tag


def test_a_tag_without_a_sentence_stops_the_bank(tmp_path):
    from quizzes.errors import BankError
    from quizzes.items import load_bank as load

    source = next(i for i in BANK if i.type == "single").path.read_text(encoding="utf-8")
    (tmp_path / "item.yaml").write_text(
        source.replace("misconception: ", "misconception: no-such-mistake-", 1), encoding="utf-8"
    )
    with pytest.raises(BankError, match="no-such-mistake-"):
        load(tmp_path)


@pytest.mark.parametrize("item", [i for i in BANK if i.type != "matching"], ids=lambda i: i.id)
def test_no_right_answer_carries_a_misconception_in_any_variant(item):
    from quizzes.draw import draw_variant

    for seed in range(200):
        variant = draw_variant(item, seed, "tags", "S")
        assert all(c.misconception is None for c in variant.choices if c.correct), seed
        if variant.type == "truefalse" and variant.truth:
            assert variant.distractors == (), seed


def test_init_which_tanh_key_and_moodle_feedback(tmp_path):
    """The defect of issue 18: in the tanh variant Xavier is right, yet it was listed as the
    misconception xavier-for-relu and Moodle's 100 % answer showed that feedback."""
    result = optigrade(
        "quiz",
        "build",
        "--seed",
        "1",
        "--item-ids",
        "init-which",
        "--variants",
        "12",
        "--lang",
        "ko",
        "--format",
        "md,moodle,gift,qti",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    root = etree.parse(str(tmp_path / "moodle.xml")).getroot()
    questions = [q for q in root.iter("question") if q.get("type") == "multichoice"]
    prompts = [_html_text(q.findtext("questiontext/text")) for q in questions]
    assert any("tanh" in p for p in prompts) and any("ReLU" in p for p in prompts)
    for q in questions:
        for answer in q.findall("answer"):
            why = _html_text(answer.findtext("feedback/text") or "")
            if float(answer.get("fraction")) > 0:
                assert why == "", why
            else:
                assert why and not any(tag in why for tag in TAGS)
                assert any("가" <= ch <= "힣" for ch in why)
    for _prompt, answers in _gift_questions(tmp_path / "quiz.gift.txt"):
        assert all(feedback == "" for mark, _, feedback in answers if mark == "=")
        assert all(feedback for mark, _, feedback in answers if mark == "~")
    for item in _qti_items(tmp_path / "qti.zip"):
        right = item.find("resprocessing/respcondition").findtext("conditionvar/varequal")
        shown = [c.findtext("conditionvar/varequal") for c in item.iter("respcondition")][1:]
        assert right not in shown and len(shown) == 2
        feedback = {
            f.get("ident"): _html_text(f.findtext(".//mattext")) for f in item.iter("itemfeedback")
        }
        assert len(feedback) == 2 and all(feedback.values())
    proof = (tmp_path / "proof.md").read_text(encoding="utf-8")
    assert "xavier-for-relu" not in proof and "he-for-tanh" not in proof
