"""Placement (``autograder.speedups.placement``): each submission on the least busy core.

A worker whose sandbox hangs stops counting, so that the next worker to start a submission
moves onto its core instead of leaving that core to the hung sandbox.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys

import pytest

from autograder.sandbox.client import Sandbox
from autograder.speedups.placement import CoreBoard, Placement, available_cores

CONTEXT = mp.get_context("spawn")


def board(workers: int = 3, cores: tuple[int, ...] = (0, 1)) -> CoreBoard:
    return CoreBoard(CONTEXT, list(cores), workers)


def test_workers_spread_over_the_cores_as_they_start():
    b = board()
    assert [b.claim(w, None) for w in range(3)] == [0, 1, 0]
    assert b.counts() == {0: 2, 1: 1}


def test_a_worker_whose_sandbox_hangs_leaves_its_core_to_the_next_submission():
    b = board()
    for worker in range(3):
        b.claim(worker, None)  # workers 0 and 2 on core 0, worker 1 alone on core 1
    Placement(b, 1).stall()  # worker 1's sandbox was demoted
    assert b.counts() == {0: 2, 1: 0}
    assert b.claim(0, preferred=0) == 1, (
        "worker 0 starts its next submission: core 1 has nobody at work, so it should move "
        "there rather than share core 0 while core 1 serves only a hung sandbox"
    )
    assert b.counts() == {0: 1, 1: 1}


def test_a_worker_keeps_its_core_when_that_is_as_good_as_any():
    b = board()
    for worker in range(3):
        b.claim(worker, None)
    # Worker 2 finishes a submission on core 0 and starts the next: (1, 1) without it.
    assert b.claim(2, preferred=0) == 0
    assert b.claim(1, preferred=1) == 1


def test_a_replacement_worker_takes_over_the_slot_of_the_one_that_died():
    b = board(workers=2)
    b.claim(0, None)
    b.claim(0, None)  # the same slot again (a replacement, or the next submission)
    assert sum(b.counts().values()) == 1


def test_the_board_works_across_processes():
    b = board(workers=2)
    child = CONTEXT.Process(target=_claim_in_child, args=(b,))
    child.start()
    child.join(timeout=30)
    assert child.exitcode == 0
    assert b.counts() == {0: 0, 1: 1}, "the child process's claim must be visible here"


def _claim_in_child(b: CoreBoard) -> None:
    b.claim(1, 1)


two_cores = pytest.mark.skipif(
    len(available_cores()) < 2 or not hasattr(os, "sched_setaffinity"),
    reason="needs two cores and CPU affinity",
)


@two_cores
def test_entering_moves_the_given_processes_onto_the_chosen_core():
    first, second = available_cores()[:2]
    b = CoreBoard(CONTEXT, [first, second], 2)
    b.claim(1, first)  # somebody else is at work on the first core
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert Placement(b, 0).enter(process.pid) == second
        assert os.sched_getaffinity(process.pid) == {second}
    finally:
        process.kill()
        process.wait()


@two_cores
def test_sandboxes_forked_after_entering_run_on_the_chosen_core(zygote):
    first, second = available_cores()[:2]
    b = CoreBoard(CONTEXT, [first, second], 2)
    placement = Placement(b, 0)
    cell = "import os\ndef cores():\n    return sorted(os.sched_getaffinity(0))\n"
    try:
        for busy in (first, second):
            placement.leave()
            assert b.claim(1, busy) == busy  # the other worker is at work on this core
            expected = second if busy == first else first
            assert placement.enter(zygote.process.pid) == expected
            sandbox = Sandbox(zygote, [cell])
            try:
                sandbox.start()
                assert sandbox.call("cores", None, [], {})["value"] == [expected], (
                    "a sandbox inherits its zygote's core, so it must run where the worker "
                    "was placed"
                )
            finally:
                sandbox.kill()
    finally:
        os.sched_setaffinity(zygote.process.pid, set(available_cores()))
