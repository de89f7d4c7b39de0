"""Hostile submissions gain nothing and harm nothing (the trusted-grader design, proven).

Each submission below implements SGD correctly and the other optimizers *wrongly* (Adam
returns zeros), then tries one attack. An attack that worked would show as full marks, a
changed file, a dead batch or a process left behind. All are graded in one real
``optigrade grade`` run.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import pytest

from tests.grading import optigrade_exe, read_grades

# Correct SGD, everything else wrong: the ceiling an attack must not lift.
BASE = """
import numpy as np
class SGD:
    def __init__(self, lr=0.01):
        self.lr = lr
    def update(self, params, grads):
        for k in params:
            params[k] -= self.lr * grads[k]
class Momentum(SGD): pass
class AdaGrad(SGD): pass
class RMSProp(SGD): pass
class Adam:
    def __init__(self, lr=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        pass
    def update(self, params, grads):
        for k in params:
            params[k] *= 0
"""

ATTACKS = {
    "patch_numpy": """
np.allclose = lambda *a, **k: True
np.isclose = lambda a, b, *x, **k: np.ones(np.shape(a), bool)
np.testing.assert_allclose = lambda *a, **k: None
np.array_equal = lambda *a, **k: True
""",
    "patch_pytest": """
import sys, types
try:
    import _pytest.runner, pytest
    pytest.fail = lambda *a, **k: None
    _pytest.runner.call_and_report = lambda *a, **k: None
except Exception:
    pass
fake = types.ModuleType("autograder.engine.testing")
sys.modules["autograder.engine.testing"] = fake
""",
    "inspect_frames": """
import sys, gc
class Adam:
    def __init__(self, **kw):
        pass
    def update(self, params, grads):
        # look for the expected values in the caller's frames and in every live object
        frame = sys._getframe(0)
        loot = []
        while frame is not None:
            loot.append(dict(frame.f_locals))
            frame = frame.f_back
        for obj in gc.get_objects():
            if isinstance(obj, dict) and "expected" in obj:
                params.update(obj["expected"])
""",
    "search_disk": """
import os, glob
found = []
for pattern in ("/work/**/solutions/*.py", "/**/autograder/suites/**/*.py", "/tmp/**/*.py"):
    try:
        found += glob.glob(pattern, recursive=True)
    except Exception:
        pass
stolen = {}
for path in found:
    try:
        stolen[path] = open(path).read()
    except Exception:
        pass
try:
    import solutions
    Adam = solutions.Adam
except Exception:
    pass
try:
    from autograder.suites.optimizers import test_optimizers
except Exception:
    pass
""",
    "fake_results": """
import os, json, sys
print("===== 42 passed in 0.01s =====")
print(json.dumps({"score": 100, "tests": []}))
targets = ("results.json", "../results.json", "/tmp/results.json", os.environ.get("OUT", "/tmp"))
for target in targets:
    try:
        with open(target, "w") as f:
            json.dump({"score": 100}, f)
    except Exception:
        pass
""",
    "lying_ndarray": """
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(self.shape, bool)
    def __array_ufunc__(self, *a, **k): return np.zeros(self.shape, bool)
    def __float__(self): return 0.0
class Adam:
    def __init__(self, **kw):
        pass
    def update(self, params, grads):
        for k in params:
            params[k] = np.zeros_like(params[k]).view(Liar)
""",
    "kill_parent": """
import os, signal
for target in (os.getppid(), 1, -1, 0):
    try:
        os.kill(target, signal.SIGKILL)
    except Exception:
        pass
try:
    os.killpg(os.getpgid(0), signal.SIGKILL)
except Exception:
    pass
""",
    "daemon": """
import os, time, ctypes
pid = os.fork()
if pid == 0:
    os.setsid()
    if os.fork() == 0:
        ctypes.CDLL(None).prctl(15, b"optigrade-evil", 0, 0, 0)  # PR_SET_NAME, to find it later
        while True:
            time.sleep(0.2)
    os._exit(0)
""",
    "fork_bomb": """
import os
children = 0
try:
    while children < 10000:
        if os.fork() == 0:
            import time; time.sleep(30); os._exit(0)
        children += 1
except OSError:
    pass
""",
    "network": """
import socket
leaked = None
for family, address in ((socket.AF_INET, ("127.0.0.1", 22)), (socket.AF_INET, ("8.8.8.8", 53))):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(0.5)
        s.connect(address)
        leaked = "connected"
    except Exception:
        pass
try:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.sendto(b"exfiltrate", ("127.0.0.1", 9999))
except Exception:
    pass
""",
}


@pytest.fixture(scope="module")
def graded(tmp_path_factory) -> tuple[Path, dict[str, dict[str, str]], float]:
    root = tmp_path_factory.mktemp("hostile")
    subs = root / "subs"
    subs.mkdir()
    canary = root / "canary.txt"
    canary.write_text("untouched")
    (subs / "honest.py").write_text(BASE)
    for name, attack in ATTACKS.items():
        (subs / f"{name}.py").write_text(
            BASE + "\n# %%\n" + attack.replace("/tmp/results.json", str(canary))
        )
    out = root / "out"
    started = time.monotonic()
    result = subprocess.run(
        [
            optigrade_exe(),
            "grade",
            "-a",
            "optimizers",
            "--out",
            str(out),
            str(subs),
            "--json",
            "--timeout-call",
            "3",
            "--timeout-submission",
            "30",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"the batch must survive every attack:\n{result.stderr[-3000:]}"
    rows = read_grades(out)
    assert canary.read_text() == "untouched", "a submission wrote outside its sandbox"
    return out, rows, time.monotonic() - started


def test_every_hostile_submission_was_graded(graded):
    _out, rows, _seconds = graded
    assert set(rows) == {"honest", *ATTACKS}, "no submission may be lost"


@pytest.mark.parametrize("attack", sorted(ATTACKS))
def test_attack_gains_nothing(graded, attack):
    _out, rows, _seconds = graded
    honest = rows["honest"]
    row = rows[attack]
    assert float(row["Adam"]) == 0.0, f"{attack}: wrong Adam earned {row['Adam']} points"
    assert float(row["score"]) <= float(honest["score"]), (
        f"{attack}: scored {row['score']}, more than the same code without the attack "
        f"({honest['score']})"
    )


def test_sgd_still_scores_despite_the_attack(graded):
    """Attacks that do not break the student's own code leave its honest marks intact."""
    _out, rows, _seconds = graded
    for attack in (
        "patch_numpy",
        "patch_pytest",
        "fake_results",
        "search_disk",
        "network",
        "daemon",
    ):
        assert float(rows[attack]["SGD"]) == float(rows["honest"]["SGD"]) > 0, attack


def _orphans() -> list[tuple[str, str, str]]:
    """Sandbox-related processes whose parent is gone (reparented to PID 1).

    Only orphans count: other grading runs on the same machine (a developer's parallel test
    session) have live zygotes and sandboxes of their own, each with its living parent.
    """
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = (
                Path(f"/proc/{entry}/cmdline")
                .read_bytes()
                .replace(b"\0", b" ")
                .decode(errors="replace")
            )
        except OSError:
            continue
        parent = stat.rsplit(")", 1)[1].split()[1]
        if parent == "1" and (comm == "optigrade-evil" or "autograder.sandbox.zygote" in cmdline):
            found.append((entry, comm, cmdline[:80]))
    return found


def test_no_process_outlives_the_batch(graded):
    deadline = time.monotonic() + 5
    while _orphans() and time.monotonic() < deadline:
        time.sleep(0.2)  # killed processes may take a moment to be reaped
    assert not _orphans(), f"processes left behind by the batch: {_orphans()}"


def test_hidden_suite_source_never_reaches_the_student(graded):
    out, _rows, _seconds = graded
    suite = (Path(__file__).resolve().parents[1] / "autograder" / "suites" / "optimizers").glob(
        "test_*.py"
    )
    needles = []
    for path in suite:
        needles += [
            line.strip() for line in path.read_text().splitlines() if len(line.strip()) > 25
        ]
    for feedback in (out / "feedback").glob("*.md"):
        text = feedback.read_text(encoding="utf-8")
        leaked = [n for n in needles if n in text]
        assert not leaked, f"{feedback.name} quotes the hidden suite: {leaked[:3]}"
    for result in (out / "results").glob("*.json"):
        json.loads(result.read_text(encoding="utf-8"))
