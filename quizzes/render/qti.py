"""A Canvas QTI 1.2 package: ``imsmanifest.xml`` plus the assessment, valid against the IMS
QTI 1.2 ASI DTD stored beside this package (``quizzes/qti/``). Numeric answers are written
as Canvas writes "exact answer ± margin": the value, or anything between value − margin and
value + margin."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from lxml import etree

from quizzes.mathtext import to_lms_html
from quizzes.model import TRUTH, Quiz, Variant
from quizzes.render.lms import by_topic, feedback
from quizzes.render.output import write_bytes

DTD_PATH = Path(__file__).resolve().parents[1] / "qti" / "ims_qtiasiv1p2.dtd"
CANVAS_TYPE = {
    "single": "multiple_choice_question",
    "multiple": "multiple_answers_question",
    "truefalse": "true_false_question",
    "numeric": "numerical_question",
    "short": "short_answer_question",
    "matching": "matching_question",
}
TRUTH_IDS = {True: "true", False: "false"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # a fixed timestamp keeps the zip byte-identical


def _sub(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, tag, **attrs)
    if text is not None:
        element.text = text
    return element


def _material(parent: etree._Element, html_text: str) -> None:
    _sub(_sub(parent, "material"), "mattext", html_text, texttype="text/html")


def _meta(item: etree._Element, variant: Variant) -> None:
    meta = _sub(_sub(item, "itemmetadata"), "qtimetadata")
    for label, entry in (
        ("question_type", CANVAS_TYPE[variant.type]),
        ("points_possible", "1.0"),
        ("topic", variant.topic),
    ):
        field = _sub(meta, "qtimetadatafield")
        _sub(field, "fieldlabel", label)
        _sub(field, "fieldentry", entry)


def _score(
    resprocessing: etree._Element, action: str = "Set", value: str = "100"
) -> etree._Element:
    condition = _sub(resprocessing, "respcondition", **{"continue": "No"})
    conditionvar = _sub(condition, "conditionvar")
    _sub(condition, "setvar", value, action=action, varname="SCORE")
    return conditionvar


def _choice_labels(parent: etree._Element, labels: list[tuple[str, str]]) -> None:
    render = _sub(parent, "render_choice")
    for ident, html_text in labels:
        _material(_sub(render, "response_label", ident=ident), html_text)


def _misconception_feedback(
    node: etree._Element,
    processing: etree._Element,
    wrong: list[tuple[str, str | None]],
    lang: str,
) -> None:
    """Canvas's per-answer feedback: for each (response value, misconception) a condition that,
    after the scoring condition (which stops processing on a right answer), shows the sentence."""
    for n, (value, tag) in enumerate(wrong):
        why = feedback(tag, lang)
        if not why:
            continue
        condition = _sub(processing, "respcondition", **{"continue": "Yes"})
        _sub(_sub(condition, "conditionvar"), "varequal", value, respident="response1")
        _sub(condition, "displayfeedback", feedbacktype="Response", linkrefid=f"fb{n}")
        _material(_sub(_sub(node, "itemfeedback", ident=f"fb{n}"), "flow_mat"), why)


def item(section: etree._Element, name: str, ident: str, variant: Variant, lang: str) -> None:
    node = _sub(section, "item", ident=ident, title=name)
    _meta(node, variant)
    presentation = _sub(node, "presentation")
    _material(presentation, to_lms_html(variant.prompt[lang]))
    processing = _sub(node, "resprocessing")
    outcomes = _sub(processing, "outcomes")
    _sub(outcomes, "decvar", maxvalue="100", minvalue="0", varname="SCORE", vartype="Decimal")
    if variant.type in ("single", "multiple"):
        cardinality = "Single" if variant.type == "single" else "Multiple"
        lid = _sub(presentation, "response_lid", ident="response1", rcardinality=cardinality)
        _choice_labels(
            lid, [(f"c{i}", to_lms_html(c.text[lang])) for i, c in enumerate(variant.choices)]
        )
        conditionvar = _score(processing)
        target = conditionvar if variant.type == "single" else _sub(conditionvar, "and")
        for i, choice in enumerate(variant.choices):
            if choice.correct:
                _sub(target, "varequal", f"c{i}", respident="response1")
            elif variant.type == "multiple":
                _sub(_sub(target, "not"), "varequal", f"c{i}", respident="response1")
        wrong = [(f"c{i}", c.misconception) for i, c in enumerate(variant.choices) if not c.correct]
        _misconception_feedback(node, processing, wrong, lang)
    elif variant.type == "truefalse":
        lid = _sub(presentation, "response_lid", ident="response1", rcardinality="Single")
        _choice_labels(lid, [(TRUTH_IDS[b], TRUTH[b].render(lang)) for b in (True, False)])
        _sub(_score(processing), "varequal", TRUTH_IDS[bool(variant.truth)], respident="response1")
        tag = variant.distractors[0].misconception if variant.distractors else None
        _misconception_feedback(node, processing, [(TRUTH_IDS[not variant.truth], tag)], lang)
    elif variant.type in ("numeric", "short"):
        response = _sub(presentation, "response_str", ident="response1", rcardinality="Single")
        fib = "Decimal" if variant.numeric is not None else "String"
        _sub(_sub(response, "render_fib", fibtype=fib), "response_label", ident="answer1")
        conditionvar = _score(processing)
        if variant.numeric is not None:
            value, margin = variant.numeric.value, variant.numeric.margin
            either = _sub(conditionvar, "or")
            _sub(either, "varequal", variant.numeric.exact, respident="response1")
            both = _sub(either, "and")
            _sub(both, "vargte", repr(round(value - margin, 12)), respident="response1")
            _sub(both, "varlte", repr(round(value + margin, 12)), respident="response1")
            wrong = [(repr(c.value), c.misconception) for c in variant.distractors]
            _misconception_feedback(node, processing, wrong, lang)
        else:
            for accepted in variant.accepted:
                _sub(conditionvar, "varequal", accepted, respident="response1")
    else:
        share = f"{100 / len(variant.pairs):.4f}"
        rights = [
            (f"r{pos}", to_lms_html(variant.pairs[i].right[lang]))
            for pos, i in enumerate(variant.right_order)
        ]
        for i, pair in enumerate(variant.pairs):
            lid = _sub(presentation, "response_lid", ident=f"response_{i}")
            _material(lid, to_lms_html(pair.left[lang]))
            _choice_labels(lid, rights)
        for i, pos in enumerate(variant.matching_answer()):
            conditionvar = _score(processing, action="Add", value=share)
            _sub(conditionvar, "varequal", f"r{pos}", respident=f"response_{i}")


def assessment(quiz: Quiz, ident: str) -> bytes:
    root = etree.Element("questestinterop")
    node = _sub(root, "assessment", ident=ident, title=quiz.name)
    section = _sub(node, "section", ident="root_section")
    n = 0
    for _topic, _title, questions in by_topic(quiz):
        for name, variant in questions:
            n += 1
            item(section, name, f"{ident}_q{n}", variant, quiz.lang)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def manifest(ident: str, href: str) -> bytes:
    ns = "http://www.imsglobal.org/xsd/imsccv1p1/imscp_v1p1"
    root = etree.Element(f"{{{ns}}}manifest", nsmap={None: ns}, identifier=f"{ident}_manifest")
    metadata = _sub(root, f"{{{ns}}}metadata")
    _sub(metadata, f"{{{ns}}}schema", "IMS Content")
    _sub(metadata, f"{{{ns}}}schemaversion", "1.1.3")
    _sub(root, f"{{{ns}}}organizations")
    resources = _sub(root, f"{{{ns}}}resources")
    resource = _sub(
        resources, f"{{{ns}}}resource", identifier=ident, type="imsqti_xmlv1p2", href=href
    )
    _sub(resource, f"{{{ns}}}file", href=href)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def package(quiz: Quiz) -> bytes:
    ident = "optigrade_" + "".join(ch if ch.isalnum() else "_" for ch in quiz.name)
    href = f"{ident}/{ident}.xml"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in (
            ("imsmanifest.xml", manifest(ident, href)),
            (href, assessment(quiz, ident)),
        ):
            info = zipfile.ZipInfo(path, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return buffer.getvalue()


def write(quiz: Quiz, out: Path) -> list[Path]:
    return [write_bytes(out / "qti.zip", package(quiz))]
