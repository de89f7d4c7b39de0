"""`optigrade quiz build` and `quiz list` as an instructor meets them: a sheet of a sensible
length by default, and a bank listing whose ids survive any terminal width."""

from __future__ import annotations

import os
import re

from lxml import etree

from quizzes.cli import DEFAULT_ITEMS
from quizzes.items import load_bank
from tests.test_cli import optigrade

BANK = load_bank()


def _topics_in_moodle(out) -> list[str]:
    root = etree.parse(str(out / "moodle.xml")).getroot()
    return [q.findtext("info/text") for q in root.iter("question") if q.get("type") == "category"]


def test_build_defaults_to_a_dozen_items_one_per_topic(tmp_path):
    for seed in (1, 2):
        out = tmp_path / str(seed)
        result = optigrade(
            "quiz", "build", "--seed", str(seed), "--format", "moodle", "--out", str(out)
        )
        assert result.returncode == 0, result.stderr
        assert re.search(rf"× {DEFAULT_ITEMS}\D", result.stdout)
        topics = _topics_in_moodle(out)
        assert len(topics) == len(set(topics)) == DEFAULT_ITEMS == 12


def test_items_spread_over_topics_and_all_takes_the_whole_bank(tmp_path):
    result = optigrade(
        "quiz",
        "build",
        "--seed",
        "4",
        "--items",
        "20",
        "--format",
        "moodle",
        "--out",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert len(set(_topics_in_moodle(tmp_path))) == 15  # every topic before any repeats
    everything = optigrade(
        "quiz", "build", "--seed", "4", "--all", "--format", "md", "--out", str(tmp_path / "a")
    )
    assert everything.returncode == 0, everything.stderr
    assert re.search(rf"× {len(BANK)}\D", everything.stdout)
    both = optigrade(
        "quiz", "build", "--seed", "4", "--all", "--items", "3", "--out", str(tmp_path / "b")
    )
    assert both.returncode != 0 and "--all" in both.stderr


def test_list_never_breaks_an_id_at_80_columns():
    env = {**os.environ, "COLUMNS": "80", "TERM": "dumb"}
    for lang, title in (("ko", "문항 은행"), ("en", "quiz bank")):
        result = optigrade("quiz", "list", "--lang", lang, env=env)
        assert result.returncode == 0, result.stderr
        lines = result.stdout.splitlines()
        assert title in lines[0]
        first_words = [line.split()[0] for line in lines[2:]]
        assert first_words == [item.id for item in BANK]
