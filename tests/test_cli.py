"""The ``optigrade`` command as a user meets it: the installed console script."""

from __future__ import annotations

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
