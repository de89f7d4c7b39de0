"""``optigrade doctor`` and the gate ``optigrade grade`` asks: layers as the kernel reports them,
probes as student code meets them, missing layers named in Korean and English."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from autograder.doctor import ALLOWS, MissingLayer, gate
from tests.grading import optigrade_exe

PROBES = {
    "read the reference solutions",
    "import solutions",
    "read a hidden suite",
    "list site-packages",
    "open a TCP connection",
    "signal the grader",
    "see another process's command line",
    "leave System V shared memory for the next sandbox",
    "fork past the process cap",
    "fork a tree past the memory cap",
    "fill the scratch space",
    "use the kernel keyring",
    "create a user namespace",
}


def doctor_json(*prefix: str) -> tuple[int, dict]:
    result = subprocess.run(
        [*prefix, optigrade_exe(), "doctor", "--json"],
        capture_output=True,
        text=True,
        timeout=300,
        cwd="/",
    )
    assert result.stdout, result.stderr[-2000:]
    return result.returncode, json.loads(result.stdout)


@pytest.mark.skipif(os.getuid() != 0, reason="the layers a root grader has")
def test_a_root_grader_has_every_layer_and_every_probe_is_blocked():
    code, found = doctor_json()
    assert set(found["probes"]) == PROBES
    open_probes = {k: v for k, v in found["probes"].items() if not v.startswith("blocked")}
    assert not open_probes, open_probes
    assert found["missing"] == [] and code == 0
    assert all(found["layers"][name] for name in ALLOWS), found["layers"]
    assert gate() == []


AS_NOBODY = """
keep=/run/optigrade-test-pyenv && mkdir -p $keep && mount --bind "$1" $keep &&
mount -t tmpfs -o mode=755 tmpfs "$2" && mkdir -p "$1" && mount --bind $keep "$1" &&
shift 2 && exec setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all "$@"
"""


def _as_an_ordinary_user() -> list[str]:
    """A command prefix that runs as ``nobody``, with the interpreter reachable if it lives
    under root's private home (a private mount namespace shows it to nobody alone)."""
    if os.getuid() != 0 or not (shutil.which("unshare") and shutil.which("setpriv")):
        pytest.skip("needs root, unshare and setpriv to become an ordinary user")
    real = Path(os.path.realpath(os.sys.executable))
    home = Path.home()
    if not str(real).startswith(str(home) + "/") or os.stat(home).st_mode & 0o005:
        return ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"]
    install = home / real.relative_to(home).parts[0]  # e.g. ~/.pyenv
    return ["unshare", "-m", "sh", "-c", AS_NOBODY, "sh", str(install), str(home)]


def test_an_ordinary_user_is_told_which_layers_it_lacks_and_what_they_allow():
    code, found = doctor_json(*_as_an_ordinary_user())
    assert found["running_as_root"] is False
    # A missing layer is a failed check for scripts as well as for grade.
    assert code == (1 if found["missing"] else 0), (code, found["missing"])
    layers, probes = found["layers"], found["probes"]
    missing = {m["layer"]: m["allows"] for m in found["missing"]}
    # Every layer the gate relies on is either in force or named, in both languages.
    for name in ALLOWS:
        assert layers[name] or name in missing, f"{name} is neither in force nor named"
    for allows in missing.values():
        assert allows["ko"].strip() and allows["en"].strip()
    # Whatever holds, holds: each probe is blocked unless its layer is named as missing.
    layer_of = {
        "fork a tree past the memory cap": "memory_cgroup",
        "fill the scratch space": "scratch_quota",
    }
    for probe, outcome in probes.items():
        if not outcome.startswith("blocked"):
            assert layer_of.get(probe, "mount_namespace") in missing, (probe, outcome)
    if not layers["memory_cgroup"]:  # no delegated cgroup for nobody: the usual case
        assert probes["fork a tree past the memory cap"].startswith("NOT BLOCKED")
        assert "memory_cgroup" in missing


def test_missing_layers_are_described_in_both_languages():
    for name, allows in ALLOWS.items():
        layer = MissingLayer(name, allows)
        assert layer.allows.render("ko") != layer.allows.render("en")
