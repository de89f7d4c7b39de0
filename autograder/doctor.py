"""``optigrade doctor``: which isolation layers hold on this machine, proven by probes.

It starts a real sandbox and runs hostile probes in it as student code would (read the
solutions, open a TCP connection, signal the grader, fork past the process limit), then
reports each layer as the kernel reported it and each probe as it actually ended.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import solutions
from autograder.sandbox import landlock
from autograder.sandbox.client import Sandbox, StudentError, Timeouts, Zygote
from optigrade.i18n import Text

_PROBES = {
    "read the reference solutions": "def probe(path):\n    return open(path).read()[:20]\n",
    "open a TCP connection": (
        "import socket\ndef probe(port):\n"
        "    socket.create_connection(('127.0.0.1', port), timeout=1)\n    return 'connected'\n"
    ),
    "signal the grader": (
        "import os, signal\ndef probe(pid):\n    os.kill(pid, 0)\n    return 'allowed'\n"
    ),
}


def diagnose() -> dict[str, Any]:
    zygote = Zygote()
    grader_pid = os.getpid()
    solution_file = str(Path(solutions.__file__).parent / "optimizers.py")
    results: dict[str, str] = {}
    try:
        cells = [
            _PROBES[name].replace("def probe", f"def probe_{i}") for i, name in enumerate(_PROBES)
        ]
        with Sandbox(
            zygote,
            cells,
            timeouts=Timeouts(call=5, load=5, submission=30),
            workdir=tempfile.gettempdir(),
        ) as sandbox:
            layers = dict(sandbox.layers)
            for i, (name, argument) in enumerate(
                zip(_PROBES, (solution_file, 22, grader_pid), strict=True)
            ):
                try:
                    value = sandbox.call(f"probe_{i}", None, [argument], {}).get("value")
                    results[name] = f"NOT BLOCKED ({value!r})"
                except StudentError as exc:
                    results[name] = f"blocked ({exc.exc_type}: {exc.message[:60]})"
    finally:
        zygote.close()
    return {
        "landlock_abi": landlock.abi_version(),
        "running_as_root": os.getuid() == 0,
        "layers": layers,
        "probes": results,
    }


@dataclass(frozen=True)
class MissingLayer:
    """An isolation layer that does not hold on this machine, and what that lets through."""

    layer: str  # a stable name, e.g. "pid_namespace", "landlock_fs"
    allows: Text  # what a hostile submission could do while it is missing


# A minimal gate over diagnose() (outputs' stand-in until world's gate() is merged): every
# layer the sandbox reports as missing, and every probe that was not blocked.
_ALLOWS = {
    "user_namespace": Text(
        ko="일반 사용자로는 PID·네트워크 네임스페이스를 만들 수 없습니다",
        en="as an ordinary user, no PID or network namespace can be made",
    ),
    "pid_namespace": Text(
        ko="학생 코드가 다른 프로세스를 보고 신호를 보낼 수 있습니다",
        en="student code can see and signal other processes",
    ),
    "network_namespace": Text(
        ko="학생 코드가 네트워크를 쓸 수 있습니다", en="student code can use the network"
    ),
    "no_capabilities": Text(
        ko="학생 코드가 root 권한을 가집니다", en="student code keeps root's capabilities"
    ),
    "process_limit": Text(
        ko="포크 폭탄이 기계를 멈출 수 있습니다", en="a fork bomb can stall the machine"
    ),
    "rlimits": Text(
        ko="CPU·메모리·파일 크기 제한이 없습니다", en="no CPU, memory or file-size limit"
    ),
    "landlock_fs": Text(
        ko="학생 코드가 정답과 숨은 테스트를 읽을 수 있습니다",
        en="student code can read the reference solutions and the hidden suites",
    ),
    "landlock_tcp": Text(
        ko="학생 코드가 TCP 연결을 열 수 있습니다", en="student code can open TCP connections"
    ),
    "landlock_signal_scope": Text(
        ko="학생 코드가 채점기에 신호를 보낼 수 있습니다",
        en="student code can signal the grader",
    ),
}
_PROBE_LAYERS = {
    "read the reference solutions": "probe_read_solutions",
    "open a TCP connection": "probe_tcp",
    "signal the grader": "probe_signal",
}


def gate() -> list[MissingLayer]:
    """Start one real sandbox, read the layers it reports and run the probes; [] if all hold."""
    findings = diagnose()
    root = findings["running_as_root"]
    missing = []
    for layer, active in findings["layers"].items():
        if (
            active
            or (layer == "user_namespace" and root)
            or (layer == "no_capabilities" and not root)
        ):
            continue
        missing.append(
            MissingLayer(
                layer, _ALLOWS.get(layer, Text(ko="격리 계층이 없습니다", en="a layer is missing"))
            )
        )
    for probe, outcome in findings["probes"].items():
        if not outcome.startswith("blocked"):
            missing.append(
                MissingLayer(
                    _PROBE_LAYERS.get(probe, "probe"),
                    Text(ko=f"학생 코드가 막히지 않음: {probe}", en=f"student code can {probe}"),
                )
            )
    return missing
