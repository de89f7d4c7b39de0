"""The worker server's preload: what every grading worker inherits instead of loading itself."""

from __future__ import annotations

import subprocess
import sys


def run_fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_preload_leaves_the_notebook_reader_ready_for_older_notebooks():
    # A fresh interpreter, as the forkserver is: after the preload, reading an nbformat 3
    # notebook must need no further import (each worker would otherwise pay for nbformat
    # and its schema validators on its first such notebook).
    probe = """
import sys
import autograder.preload
before = set(sys.modules)
from autograder import ingest
ingest.warm_up()
import nbformat, nbformat.validator
print(sorted(set(sys.modules) - before))
"""
    done = run_fresh(probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"modules loaded only after the preload: {done.stdout}"


def test_the_preload_does_not_load_what_the_main_process_avoids():
    # The batch's main process imports the batch module, never the preload itself.
    done = run_fresh("import sys, autograder.batch; print('nbformat' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
