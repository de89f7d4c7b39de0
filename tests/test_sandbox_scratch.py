"""Each sandbox starts in an empty working directory, whatever the previous student left."""

from __future__ import annotations

from autograder.sandbox.client import Sandbox

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
    return [os.getcwd(), sorted(os.listdir("."))]
"""


def call_once(zygote, source: str, name: str):
    sandbox = Sandbox(zygote, [source])
    try:
        sandbox.start()
        return sandbox.call(name, None, [], {})["value"]
    finally:
        sandbox.kill()


def test_next_sandbox_finds_nothing_of_the_previous_one(zygote):
    littered = call_once(zygote, LITTER, "litter")
    cwd, entries = call_once(zygote, LOOK, "look")
    assert entries == ["mine.txt"], f"the next sandbox saw {entries} in its working directory"
    # The point of the test: the directory is reused (emptied), not merely replaced.
    assert cwd == littered


def test_every_sandbox_of_a_batch_starts_empty(zygote):
    for _ in range(3):
        cwd, entries = call_once(zygote, LOOK, "look")
        assert entries == ["mine.txt"], f"{cwd} held {entries} before the student wrote anything"
