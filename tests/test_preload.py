"""The worker server's preload: what every grading worker inherits instead of loading itself."""

from __future__ import annotations

import json
import subprocess
import sys


def run_fresh(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_preload_leaves_the_notebook_reader_ready_for_older_notebooks(tmp_path):
    # A fresh interpreter, as the forkserver is: after the preload, reading an nbformat 3
    # notebook must need no further import (each worker would otherwise pay for it on its
    # first such notebook). Older notebooks are read from their JSON: nbformat is not needed.
    path = tmp_path / "old.ipynb"
    cell = {"cell_type": "code", "input": "x = 1\n", "outputs": [], "metadata": {}}
    path.write_text(json.dumps({"nbformat": 3, "worksheets": [{"cells": [cell]}]}))
    probe = f"""
import sys
import autograder.preload
from autograder import intake
intake.warm_up()
before = set(sys.modules)
result = intake.ingest("s", [__import__("pathlib").Path({str(path)!r})])
assert result.status == "ok" and result.cells == ["x = 1\\n"], result
print(sorted(set(sys.modules) - before), "nbformat" in sys.modules)
"""
    done = run_fresh(probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[] False", (
        f"modules loaded only after the preload: {done.stdout}"
    )


def test_the_preload_does_not_load_what_the_main_process_avoids():
    # The batch's main process imports the batch module, never the preload itself.
    done = run_fresh("import sys, autograder.engine.batch; print('nbformat' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
