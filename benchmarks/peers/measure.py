"""Wall time and peak memory of a command and everything it starts.

Peak memory is the largest sum of the resident set sizes of the whole process tree (the
command, its children, the Jupyter kernels and sandboxes they start), sampled every 50 ms;
``/usr/bin/time`` would see only the top process and its *waited-for* children, and a kernel
is neither. The tree is walked with psutil (installed with our test extras via ipykernel).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psutil

SAMPLE_SECONDS = 0.05


@dataclass(frozen=True)
class Measured:
    seconds: float
    peak_rss_mb: float
    returncode: int
    killed: bool  # ran past its time limit and was killed with its whole tree
    lines: list[tuple[float, str]]  # each output line with the second it arrived at

    @property
    def output(self) -> str:
        return "".join(line for _, line in self.lines)


def _tree(root: psutil.Process) -> list[psutil.Process]:
    try:
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _rss(processes: list[psutil.Process]) -> int:
    total = 0
    for proc in processes:
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += proc.memory_info().rss
    return total


def _kill_tree(root: psutil.Process) -> None:
    # Kernels are started in sessions of their own, so a process-group kill would miss them:
    # kill every descendant by pid (all of them started by this command).
    for proc in reversed(_tree(root)):
        with contextlib.suppress(psutil.NoSuchProcess):
            proc.send_signal(signal.SIGKILL)


def run_measured(
    cmd: Sequence[str | Path],
    *,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    limit: float | None = None,
) -> Measured:
    """Run ``cmd``; kill its tree after ``limit`` seconds; return time, peak RSS and output."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        [str(c) for c in cmd],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    root = psutil.Process(proc.pid)
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _rss(_tree(root)))
            done.wait(SAMPLE_SECONDS)

    lines: list[tuple[float, str]] = []

    def read() -> None:
        # Timestamped as they arrive: a batch tool's log then says when each submission began.
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append((time.perf_counter() - start, line))

    threads = [threading.Thread(target=f, daemon=True) for f in (sample, read)]
    for thread in threads:
        thread.start()
    killed = False
    try:
        proc.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        killed = True
        _kill_tree(root)
        proc.wait()
    seconds = time.perf_counter() - start
    done.set()
    for thread in threads:
        thread.join(timeout=10)  # a stray descendant may hold the pipe open
    return Measured(seconds, peak / 2**20, proc.returncode, killed, lines)


def du_mb(path: Path) -> float:
    """Disk use of a folder in MiB, as ``du -s`` counts it (allocated blocks)."""
    out = subprocess.run(["du", "-sk", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0]) / 1024
