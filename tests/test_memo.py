"""OutcomeMemo: an outcome is reused only along exactly the answers it was computed from."""

from __future__ import annotations

import dataclasses

import pytest

from autograder.memo import OutcomeMemo
from autograder.plugin import TestOutcome

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
