"""``optigrade doctor``: which isolation layers hold on this machine, proven by probes.

It starts a real sandbox and runs hostile probes in it as student code would (read the
solutions, open a TCP connection, signal the grader, fork past the process limit), then
reports each layer as the kernel reported it and each probe as it actually ended.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import solutions
from autograder.sandbox import landlock
from autograder.sandbox.client import Sandbox, StudentError, Timeouts, Zygote

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
