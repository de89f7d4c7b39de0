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


def test_english_says_one_file_not_one_files():
    t = Text(ko="파일 {count}개", en="{count} files", en_one="{count} file")
    assert [t.render("en", count=n) for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert t.render("ko", count=1) == "파일 1개"


def test_every_singular_uses_only_the_placeholders_of_its_plural():
    import string

    from autograder.intake import texts as intake_texts
    from autograder.lms import texts as lms_texts
    from autograder.records import classreport_messages, messages

    def fields(template: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name}

    singulars = [
        (module.__name__, name, value)
        for module in (messages, classreport_messages, intake_texts, lms_texts)
        for name, value in vars(module).items()
        if isinstance(value, Text) and value.en_one is not None
    ]
    assert len(singulars) >= 10
    for module, name, text in singulars:
        assert fields(text.en_one) <= fields(text.en), f"{module}.{name}"
        assert "count" in fields(text.en), f"{module}.{name}: a singular needs a count"
