"""Run one command as a child subreaper and report every process of it that outlived it.

    python -m tests.attacks.reaper REPORT.json [--pidfile F] [--grace S] [--sample S] -- CMD...

This process marks itself a *child subreaper* (``PR_SET_CHILD_SUBREAPER``): whatever the
command starts (workers, zygotes, sandboxes, daemons that fork twice and call ``setsid``) is
re-parented here when its parent dies, never to PID 1. So "the processes of this run" is
exactly "the descendants of this process", whatever else runs on the machine (other test
sessions grade at the same time; counting machine-wide would blame them on us).

While the command runs, every ``--sample`` seconds the descendants are looked at in
``/proc``: the report keeps every PID and name seen, the peak anonymous memory of each PID
namespace other than ours (a sandbox's whole process tree; the grader's own processes live in
ours), and the processes left at their priority in a sandbox that was demoted: once any
process of a PID namespace other than ours runs demoted (see :func:`demoted`), every other
process of that namespace must too, in two samples in a row (a demotion that walks the
processes one by one may be caught half done once).

On SIGTERM (the test gave up waiting) the command is killed with SIGKILL first. Once the
command has exited (or was killed by the test: its PID is in ``--pidfile``), the
descendants get ``--grace`` seconds to go; those still there are *survivors*: reported, then
killed and reaped so that the test leaves nothing behind either. The exit status is the
command's own (128 + N for a signal N).
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import signal
import sys
import time
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
_TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name (index 0 is the state)."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()


def descendants(root: int) -> list[int]:
    """PIDs whose chain of parents leads to ``root`` (zombies included)."""
    parent: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields is not None:
                parent[int(entry)] = int(fields[1])
    children: dict[int, list[int]] = {}
    for pid, ppid in parent.items():
        children.setdefault(ppid, []).append(pid)
    found, stack = [], [root]
    while stack:
        for child in children.get(stack.pop(), []):
            found.append(child)
            stack.append(child)
    return found


def _read(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return handle.read().decode("utf-8", "replace")
    except OSError:
        return ""


def describe(pid: int) -> dict | None:
    fields = _stat(pid)
    if fields is None:
        return None
    status = _read(f"/proc/{pid}/status")
    anon = 0
    for line in status.splitlines():
        if line.startswith("RssAnon:"):
            anon = int(line.split()[1])
    try:
        pidns = os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        pidns = ""
    autogroup = _read(f"/proc/{pid}/autogroup").split()
    return {
        "pid": pid,
        "state": fields[0],
        "comm": _read(f"/proc/{pid}/comm").strip(),
        "cmdline": _read(f"/proc/{pid}/cmdline").replace("\0", " ")[:200],
        "pidns": pidns,
        "anon_kb": anon,
        "nice": int(fields[16]),
        "autogroup_nice": int(autogroup[-1]) if len(autogroup) >= 3 else None,
        "cpu": (int(fields[11]) + int(fields[12])) / _TICKS,
        "cgroup": _read(f"/proc/{pid}/cgroup"),
    }


def demoted(info: dict) -> bool:
    """Whether a process runs at the lowest CPU priority the grader gives a runaway: nice 19
    for itself, or for its whole session's scheduling group (autogroup), or a CPU cgroup
    weighted at the minimum (``cpu.shares`` 2 on v1, ``cpu.weight`` 1 on v2)."""
    if info["nice"] >= 19 or (info["autogroup_nice"] or 0) >= 19:
        return True
    for line in info["cgroup"].splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "":
            if _read(f"/sys/fs/cgroup/unified{path}/cpu.weight").strip() == "1":
                return True
            if _read(f"/sys/fs/cgroup{path}/cpu.weight").strip() == "1":
                return True
        elif "cpu" in controllers.split(","):
            shares = _read(f"/sys/fs/cgroup/cpu{path}/cpu.shares").strip()
            if shares and int(shares) <= 2:
                return True
    return False


def _reap() -> dict[int, int]:
    """Reap every child that has exited; their wait statuses by PID."""
    statuses = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return statuses
        if pid == 0:
            return statuses
        statuses[pid] = status


def main(argv: list[str]) -> int:
    split = argv.index("--")
    options, command = argv[:split], argv[split + 1 :]
    report_path = Path(options[0])
    settings = {"--pidfile": "", "--grace": "5", "--sample": "0.05"}
    for index in range(1, len(options), 2):
        settings[options[index]] = options[index + 1]
    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stop.append(signum))
    me = os.getpid()
    own_ns = os.readlink("/proc/self/ns/pid")
    child = os.posix_spawnp(command[0], command, os.environ)
    if settings["--pidfile"]:
        Path(settings["--pidfile"]).write_text(str(child))
    seen: dict[int, str] = {}
    peak_by_ns: dict[str, int] = {}
    undemoted: dict[int, dict] = {}
    lagging: set[int] = set()  # left at their priority in a demoted sandbox, last sample
    interval = float(settings["--sample"])
    status = None
    while status is None:
        if stop:
            with contextlib.suppress(OSError):
                os.kill(child, signal.SIGKILL)
        statuses = _reap()
        if child in statuses:
            status = statuses[child]
            break
        if interval > 0:
            by_ns: dict[str, int] = {}
            members: dict[str, list[dict]] = {}
            for pid in descendants(me):
                info = describe(pid)
                if info is None:
                    continue
                seen[pid] = info["comm"]
                if info["pidns"] and info["pidns"] != own_ns and info["state"] != "Z":
                    by_ns[info["pidns"]] = by_ns.get(info["pidns"], 0) + info["anon_kb"]
                    members.setdefault(info["pidns"], []).append(info)
            for ns, kb in by_ns.items():
                peak_by_ns[ns] = max(peak_by_ns.get(ns, 0), kb)
            now_lagging = set()
            for infos in members.values():
                flags = [demoted(info) for info in infos]
                if any(flags):
                    for info, flag in zip(infos, flags, strict=True):
                        if not flag:
                            now_lagging.add(info["pid"])
                            if info["pid"] in lagging:
                                undemoted[info["pid"]] = {
                                    k: info[k] for k in ("comm", "cpu", "nice", "pidns")
                                }
            lagging = now_lagging
        time.sleep(interval if interval > 0 else 0.05)
    deadline = time.monotonic() + float(settings["--grace"])
    left = descendants(me)
    while left and time.monotonic() < deadline:
        _reap()
        time.sleep(0.05)
        left = [p for p in descendants(me) if (_stat(p) or ["Z"])[0] != "Z"]
    survivors = [info for info in map(describe, left) if info is not None]
    for info in survivors:
        with contextlib.suppress(OSError):
            os.kill(info["pid"], signal.SIGKILL)
    end = time.monotonic() + 5
    while descendants(me) and time.monotonic() < end:
        _reap()
        time.sleep(0.02)
    code = os.waitstatus_to_exitcode(status)
    report = {
        "returncode": code if code >= 0 else 128 - code,
        "child": child,
        "seen": {str(k): v for k, v in seen.items()},
        "peak_anon_kb_by_pidns": peak_by_ns,
        "undemoted": {str(k): v for k, v in undemoted.items()},
        "survivors": [{k: s[k] for k in ("pid", "comm", "cmdline", "state")} for s in survivors],
    }
    report_path.write_text(json.dumps(report))
    return report["returncode"]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
