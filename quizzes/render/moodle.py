"""Moodle XML, as Moodle's own importer (``question/format/xml/format.php``) reads it: every
question named, one category per topic, answer fractions from Moodle's allowed list, HTML
question text with math as ``\\( … \\)`` for Moodle's MathJax filter."""

from __future__ import annotations

from pathlib import Path

from lxml import etree

from quizzes.mathtext import to_lms_html, to_tex_delimited
from quizzes.model import Quiz, Variant
from quizzes.render.lms import by_topic, choice_weights, feedback
from quizzes.render.output import write_bytes

QTYPE = {
    "single": "multichoice",
    "multiple": "multichoice",
    "truefalse": "truefalse",
    "numeric": "numerical",
    "short": "shortanswer",
    "matching": "matching",
}


def _text(parent: etree._Element, tag: str, text: str, html: bool = False) -> etree._Element:
    element = (
        etree.SubElement(parent, tag, format="html") if html else etree.SubElement(parent, tag)
    )
    etree.SubElement(element, "text").text = text
    return element


def _answer(
    parent: etree._Element, fraction: str, text: str, feedback: str = "", html: bool = False
) -> etree._Element:
    answer = etree.SubElement(
        parent, "answer", fraction=fraction, **({"format": "html"} if html else {})
    )
    etree.SubElement(answer, "text").text = text
    _text(answer, "feedback", feedback, html=True)
    return answer


def question(parent: etree._Element, name: str, variant: Variant, lang: str) -> etree._Element:
    q = etree.SubElement(parent, "question", type=QTYPE[variant.type])
    _text(q, "name", name)
    _text(q, "questiontext", to_lms_html(variant.prompt[lang]), html=True)
    _text(q, "generalfeedback", "", html=True)
    etree.SubElement(q, "defaultgrade").text = "1"
    etree.SubElement(q, "penalty").text = "0.3333333"
    etree.SubElement(q, "hidden").text = "0"
    etree.SubElement(q, "idnumber").text = name
    if variant.type in ("single", "multiple"):
        etree.SubElement(q, "single").text = "true" if variant.type == "single" else "false"
        etree.SubElement(q, "shuffleanswers").text = "false"  # keep the key's letters
        etree.SubElement(q, "answernumbering").text = "ABCD"
        for choice, weight in zip(variant.choices, choice_weights(variant), strict=True):
            _answer(
                q,
                weight,
                to_lms_html(choice.text[lang]),
                feedback(choice.misconception, lang),
                html=True,
            )
    elif variant.type == "truefalse":
        wrong = variant.distractors[0].misconception if variant.distractors else None
        for value in (True, False):
            fraction = "100" if value == variant.truth else "0"
            why = feedback(wrong, lang) if value != variant.truth else ""
            _answer(q, fraction, "true" if value else "false", why)
    elif variant.numeric is not None:
        answer = _answer(q, "100", variant.numeric.exact)
        etree.SubElement(answer, "tolerance").text = repr(variant.numeric.margin)
        for choice in variant.distractors:
            wrong = _answer(q, "0", repr(choice.value), feedback(choice.misconception, lang))
            etree.SubElement(wrong, "tolerance").text = "0"
    elif variant.type == "short":
        etree.SubElement(q, "usecase").text = "0"
        for accepted in variant.accepted:
            _answer(q, "100", accepted)
    else:
        etree.SubElement(q, "shuffleanswers").text = "true"
        for pair in variant.pairs:
            sub = etree.SubElement(q, "subquestion", format="html")
            etree.SubElement(sub, "text").text = to_lms_html(pair.left[lang])
            # Moodle shows matching answers as plain text in a menu.
            _text(sub, "answer", to_tex_delimited(pair.right[lang]))
    return q


def document(quiz: Quiz) -> bytes:
    root = etree.Element("quiz")
    for topic, title, questions in by_topic(quiz):
        category = etree.SubElement(root, "question", type="category")
        _text(category, "category", f"$course$/top/{quiz.name}/{title}")
        _text(category, "info", f"optigrade topic {topic}", html=True)
        for name, variant in questions:
            question(root, name, variant, quiz.lang)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write(quiz: Quiz, out: Path) -> list[Path]:
    return [write_bytes(out / "moodle.xml", document(quiz))]
