"""A hung cell keeps its time limit but stops taking CPU from the rest of the class."""

from __future__ import annotations

import os

import pytest

from autograder.sandbox.client import RUNAWAY_NICE, Sandbox

# Every thread's nice value, read from inside the sandbox (no /proc there: Landlock).
NICE_PROBE = """
import os, threading, time

def nices():
    return [os.getpriority(os.PRIO_PROCESS, tid) for tid in (threading.get_native_id(), HELPER)]

_helper = threading.Thread(target=time.sleep, args=(60,), daemon=True)
_helper.start()
HELPER = _helper.native_id
"""
# Busy for 1.5 s of wall clock: past the runaway mark, within the 3 s cell limit.
BUSY_CELL = """
_until = time.monotonic() + 1.5
while time.monotonic() < _until:
    pass
"""


def nices_after(zygote, cells: list[str]) -> list[int]:
    sandbox = Sandbox(zygote, cells)
    try:
        sandbox.start()
        assert [r.status for r in sandbox.cell_reports] == ["ok"] * len(cells)
        return sandbox.call("nices", None, [], {})["value"]
    finally:
        sandbox.kill()


def test_fast_submission_keeps_the_graders_priority(zygote):
    own = os.getpriority(os.PRIO_PROCESS, 0)
    assert nices_after(zygote, [NICE_PROBE]) == [own, own]


def test_cell_running_past_the_runaway_mark_is_demoted_with_all_its_threads(zygote):
    if os.getpriority(os.PRIO_PROCESS, 0) == RUNAWAY_NICE:
        pytest.skip("the tests already run at the lowest priority")
    assert nices_after(zygote, [NICE_PROBE, BUSY_CELL]) == [RUNAWAY_NICE, RUNAWAY_NICE], (
        "a cell that ran 1.5 s should have left the sandbox's main thread and the thread it "
        "had started at the lowest CPU priority"
    )


def test_demoted_sandbox_cannot_raise_its_priority_again(zygote):
    undo = "def undo():\n    os.setpriority(os.PRIO_PROCESS, 0, 0)\n    return nices()\n"
    sandbox = Sandbox(zygote, [NICE_PROBE, BUSY_CELL, undo])
    try:
        sandbox.start()
        with pytest.raises(Exception, match="PermissionError"):
            sandbox.call("undo", None, [], {})
    finally:
        sandbox.kill()


@pytest.mark.parametrize(("cells", "calls"), [([NICE_PROBE], 0), ([NICE_PROBE, BUSY_CELL], 1)])
def test_the_worker_hears_of_a_demotion_once(zygote, cells, calls):
    heard: list[None] = []
    sandbox = Sandbox(zygote, cells, on_runaway=lambda: heard.append(None))
    try:
        sandbox.start()
        sandbox.call("nices", None, [], {})
    finally:
        sandbox.kill()
    assert len(heard) == calls, (
        "the worker's core is offered to the others (autograder.speedups.placement) exactly "
        "when its sandbox is demoted, and only once"
    )
