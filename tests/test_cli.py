"""The ``optigrade`` command as a user meets it: the installed console script."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def optigrade(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("optigrade", path=str(Path(sys.executable).parent)) or shutil.which(
        "optigrade"
    )
    if exe is None:
        pytest.fail("the optigrade console script is not installed (pip install -e .)")
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=120, **kwargs)


def test_help_lists_the_jobs():
    result = optigrade("--help")
    assert result.returncode == 0, result.stderr
    assert "Usage: optigrade" in result.stdout


def test_version():
    result = optigrade("--version")
    assert result.returncode == 0
    assert "optigrade, version" in result.stdout


def test_the_reference_demo_prints_the_optimizer_paths():
    result = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "optimizer_paths.py")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    for name in ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam"):
        assert name in result.stdout


def test_the_console_script_keeps_exit_codes_output_and_cleanup(tmp_path):
    # The script skips the interpreter's teardown (optigrade.cli.run): what a shell or a CI
    # job reads from it must be unchanged, and exit handlers must still have run.
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**__import__("os").environ, "TMPDIR": str(temp)}
    usage = optigrade("grade", "--assignment", "no_such_suite", "x.ipynb", env=env)
    assert usage.returncode == 2, (usage.returncode, usage.stderr)
    assert "no_such_suite" in usage.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    refused = optigrade(
        "grade", "-a", "optimizers", "--out", str(tmp_path / "o"), str(empty), env=env
    )
    assert refused.returncode == 1, (refused.returncode, refused.stderr)
    assert "no .ipynb or .py submissions" in refused.stderr
    one = ROOT / "examples" / "submissions" / "optimizers"
    graded = optigrade(
        "grade", "-a", "optimizers", "--out", str(tmp_path / "g"), "--json", str(one), env=env
    )
    assert graded.returncode == 4, graded.stderr  # 4: the class holds a file that is no notebook
    summary = json.loads(graded.stdout)  # the whole summary, up to its last byte
    assert summary["submissions"] == len(list(one.glob("*.ipynb")) + list(one.glob("*.py")))
    # multiprocessing removes its folder of sockets in an exit handler, and the run its own
    # temporary folder (the sandboxes' scratch, the workers' files).
    assert [p.name for p in temp.iterdir() if p.name.startswith(("pymp-", "optigrade-"))] == []
