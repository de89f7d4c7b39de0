"""OutcomeMemo: an outcome is reused only along exactly the answers it was computed from."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.engine.plugin import TestOutcome
from autograder.speedups.memo import OutcomeMemo

PASSED = TestOutcome("test_adam[run-1]", "Adam", 1.0, True)
FAILED = TestOutcome("test_adam[run-1]", "Adam", 1.0, False, failure={"kind": "mismatch"})


def asker(answers: dict, asked: list):
    def answer(question):
        asked.append(question)
        return answers.get(question)

    return answer


def test_nothing_is_known_before_a_test_has_run():
    memo = OutcomeMemo()
    assert memo.lookup("t", asker({}, [])) is None
    assert memo.misses == 1


def test_the_same_answers_give_the_stored_outcome_and_other_answers_do_not():
    memo = OutcomeMemo()
    memo.store("t", [(("plan", 3), b"right")], PASSED)
    memo.store("t", [(("plan", 3), b"wrong")], FAILED)
    asked: list = []
    assert memo.lookup("t", asker({("plan", 3): b"right"}, asked)) == PASSED
    assert memo.lookup("t", asker({("plan", 3): b"wrong"}, asked)) == FAILED
    assert memo.lookup("t", asker({("plan", 3): b"new"}, asked)) is None
    assert asked == [("plan", 3)] * 3
    assert memo.lookup("other test", asker({("plan", 3): b"right"}, [])) is None


def test_each_question_follows_the_answers_before_it():
    memo = OutcomeMemo()
    memo.store("t", [(("plan", 1), b"a"), (("plan", 2), b"b")], PASSED)
    memo.store("t", [(("plan", 1), b"x"), (("defines", "Adam"), False)], FAILED)
    asked: list = []
    answers = {("plan", 1): b"a", ("plan", 2): b"b", ("defines", "Adam"): False}
    assert memo.lookup("t", asker(answers, asked)) == PASSED
    assert asked == [("plan", 1), ("plan", 2)]
    asked.clear()
    answers[("plan", 1)] = b"x"
    assert memo.lookup("t", asker(answers, asked)) == FAILED
    assert asked == [("plan", 1), ("defines", "Adam")]
    answers[("plan", 2)] = None  # the submission cannot answer (a failed sandbox): a miss
    answers[("plan", 1)] = b"a"
    assert memo.lookup("t", asker(answers, [])) is None


def test_a_reused_outcome_cannot_be_changed_by_whoever_got_it_first():
    memo = OutcomeMemo()
    memo.store("t", [], PASSED)
    first = memo.lookup("t", asker({}, []))
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.passed = False
    assert memo.lookup("t", asker({}, [])).passed is True


def test_outcomes_stored_here_are_handed_on_once_and_learnt_ones_are_not_handed_on():
    first, second = OutcomeMemo(), OutcomeMemo()
    first.collect_new = second.collect_new = True
    tape = [(("plan", 1), b"a")]
    first.store("t", tape, FAILED)
    entries = first.take_new()
    assert entries == [("t", tape, FAILED)]
    assert first.take_new() == [], "each stored outcome is handed on once"
    for entry in entries:
        second.store(*entry, learnt=True)
    assert second.lookup("t", asker({("plan", 1): b"a"}, [])) == FAILED
    assert second.take_new() == [], "an outcome learnt from another memo is not handed on again"


def test_a_memo_that_does_not_share_keeps_nothing_to_hand_on():
    memo = OutcomeMemo()
    memo.store("t", [], PASSED)
    assert memo.take_new() == []


def test_sandbox_failures_are_not_handed_on_either():
    memo = OutcomeMemo()
    memo.collect_new = True
    memo.store("t", [], TestOutcome("t", "Adam", 1.0, False, failure={"kind": "timeout"}))
    assert memo.take_new() == []
