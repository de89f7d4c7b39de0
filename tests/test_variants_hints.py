"""Every catalogued mistake carries a one-line fix hint, in Korean and English.

The feedback page shows the hint under the mistake's name (``autograder/records/feedback.py``); a
mistake added to ``solutions/variants.py`` without one fails here, not silently in a student's
feedback.
"""

from __future__ import annotations

import re

import pytest

from solutions.variants import EQUIVALENTS, MISTAKES

HANGUL = re.compile(r"[\uac00-\ud7a3]")
MISTAKE_LIST = [variant for variants in MISTAKES.values() for variant in variants]


@pytest.mark.parametrize("variant", MISTAKE_LIST, ids=lambda v: v.id)
def test_every_mistake_has_a_one_line_bilingual_hint(variant):
    assert variant.hint is not None, f"{variant.id} has no fix hint"
    for lang in ("ko", "en"):
        text = variant.hint.render(lang)
        assert text.strip() == text and text, (variant.id, lang)
        assert "\n" not in text and len(text) <= 140, (variant.id, lang, text)
    assert HANGUL.search(variant.hint.ko), f"{variant.id}: the Korean hint has no Korean"
    assert not HANGUL.search(variant.hint.en), f"{variant.id}: the English hint has Korean"
    assert variant.hint.ko != variant.hint.en


def test_the_catalogue_holds_mistakes_of_every_optimizer_and_equivalents_need_no_hint():
    # A sanity anchor for the parametrized test above: it must have something to check.
    assert {"SGD", "Momentum", "AdaGrad", "RMSProp", "Adam", "ewma"} <= set(MISTAKES)
    assert all(v.hint is None for variants in EQUIVALENTS.values() for v in variants)
