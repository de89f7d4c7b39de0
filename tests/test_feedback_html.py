"""The HTML feedback says exactly what its Markdown says, whatever the student id is."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from autograder.records.feedback import render_html, render_markdown


def a_result(student: str) -> dict:
    return {
        "assignment": "optimizers",
        "student": student,
        "score": 7.0,
        "max_score": 10.0,
        "status": "graded",
        "items": {
            "SGD": {"score": 2.0, "max_score": 2.0},
            "Adam": {"score": 5.0, "max_score": 8.0},
        },
        "tests": [],
    }


@pytest.mark.parametrize(
    "student",
    [
        "student0001",
        "kim-min.jun",
        "김민준",
        "2026123456",
        "snake_case_id",
        "*starred*",
        "a  b",
        "trailing ",
        "x&amp;y",
        "<b>bold</b>",
        "`code`",
        "back\\slash",
        "ends with #",
        "optimizers",  # the same text as the assignment's name, earlier in the title
        "OPTIGRADESTUDENTSLOT",
    ],
)
@pytest.mark.parametrize("lang", ["ko", "en"])
def test_html_body_is_the_markdown_rendered_whole(student, lang):
    result = a_result(student)
    page = render_html(result, lang)
    whole = (
        MarkdownIt("commonmark", {"html": False})
        .enable("table")
        .render(render_markdown(result, lang))
    )
    body = page.split("<body>\n", 1)[1].rsplit("\n</body>", 1)[0]
    assert body == whole, f"the HTML of {student!r} differs from its Markdown rendered at once"
