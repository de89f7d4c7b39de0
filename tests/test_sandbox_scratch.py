"""Each sandbox's scratch: a size-limited tmpfs of its own (its working directory, HOME and
TMPDIR), empty when it starts, gone when it ends; filling it is the student's own ENOSPC."""

from __future__ import annotations

from autograder.sandbox.client import Sandbox
from autograder.sandbox.isolation import Limits

LITTER = """
import os
def litter():
    os.makedirs("deep/er", exist_ok=True)
    with open("deep/er/answers.txt", "w") as handle:
        handle.write("the previous student's answers")
    os.symlink("/etc/passwd", "link")
    os.chmod("deep/er", 0)
    os.chmod("deep", 0)
    os.chmod(".", 0o500)
    return os.getcwd()
"""
LOOK = """
import os
def look():
    with open("mine.txt", "w") as handle:
        handle.write("writable")
    return [os.getcwd(), sorted(os.listdir(".")), os.environ["HOME"], os.environ["TMPDIR"]]
"""
FILL = """
import errno, os
def fill(chunk_mb):
    written = 0
    try:
        for n in range(1000):
            with open(f"part-{n}", "wb") as handle:
                written += handle.write(b"x" * (chunk_mb << 20))
    except OSError as exc:
        return [errno.errorcode[exc.errno], written >> 20]
    return ["no error", written >> 20]
"""


def call_once(zygote, source: str, name: str, *args: object, limits: Limits | None = None):
    sandbox = Sandbox(zygote, [source], limits=limits or Limits())
    try:
        sandbox.start()
        return sandbox.call(name, None, list(args), {})["value"]
    finally:
        sandbox.kill()


def test_next_sandbox_finds_nothing_of_the_previous_one(zygote):
    littered = call_once(zygote, LITTER, "litter")
    cwd, entries, home, tmpdir = call_once(zygote, LOOK, "look")
    assert entries == ["mine.txt"], f"the next sandbox saw {entries} in its working directory"
    assert cwd == littered == home == tmpdir


def test_every_sandbox_of_a_batch_starts_empty(zygote):
    for _ in range(3):
        cwd, entries, _home, _tmpdir = call_once(zygote, LOOK, "look")
        assert entries == ["mine.txt"], f"{cwd} held {entries} before the student wrote anything"


def test_filling_the_scratch_ends_in_the_students_own_enospc(zygote):
    limits = Limits(scratch_mb=8)
    outcome, written = call_once(zygote, FILL, "fill", 1, limits=limits)
    assert outcome == "ENOSPC", f"{written} MiB written without a quota: {outcome}"
    assert written <= 8
    # The zygote and the next sandbox are untouched.
    assert call_once(zygote, LOOK, "look")[1] == ["mine.txt"]
