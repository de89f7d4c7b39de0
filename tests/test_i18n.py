from __future__ import annotations

import pytest

from optigrade.i18n import Text, UnknownLanguageError, check_lang


def test_text_renders_each_language_with_shared_placeholders():
    t = Text(ko="{n}개 통과", en="{n} passed")
    assert t.render("ko", n=2) == "2개 통과"
    assert t.render("en", n=2) == "2 passed"


def test_a_text_missing_a_language_is_refused():
    with pytest.raises(ValueError, match="both languages"):
        Text(ko="", en="only English")


def test_unknown_language_says_which_are_supported():
    with pytest.raises(UnknownLanguageError, match="ko, en"):
        check_lang("fr")
