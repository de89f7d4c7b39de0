"""Running ``optigrade grade`` the way a TA does, and reading what it left behind.

Every run goes through :mod:`tests.attacks.reaper` (the run's processes are the reaper's
descendants, nothing machine-wide is counted) with ``TMPDIR`` pointing at a private, empty
folder, so that "nothing outside the output folder changed" can be checked exactly: the
folder must be empty again once the command is over.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from tests.grading import optigrade_exe

#: Per item, the points that BASE (tests/attacks/sources.py) earns honestly: SGD right, and
#: Momentum's first run (velocity zero at the start: one SGD step).
ITEMS = ("SGD", "Momentum", "AdaGrad", "RMSProp", "Adam")


@dataclass
class Run:
    """One finished ``optigrade`` command."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    out: Path
    report: dict[str, Any] = field(default_factory=dict)
    tmpdir: Path | None = None

    @property
    def text(self) -> str:
        return self.stdout + self.stderr

    def rows(self) -> dict[str, dict[str, str]]:
        return read_rows(self.out)

    def summary(self) -> dict[str, Any]:
        return json.loads(self.stdout)


def read_rows(out: Path) -> dict[str, dict[str, str]]:
    path = out / "grades.csv"
    if not path.exists():
        return {}
    with open(path, encoding="utf-8", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def reaper_command(
    report: Path,
    command: list[str],
    pidfile: Path | None = None,
    sample: float = 0.1,
    grace: float = 5.0,
) -> list[str]:
    options = ["--sample", str(sample), "--grace", str(grace)]
    if pidfile is not None:
        options += ["--pidfile", str(pidfile)]
    reaper = str(Path(__file__).with_name("reaper.py"))
    return [sys.executable, reaper, str(report), *options, "--", *command]


def environment(tmpdir: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("OPTIGRADE_", "PYTEST_", "COV_", "PYTHON"))
    }
    env.update(TMPDIR=str(tmpdir), LC_ALL="C.UTF-8", LANG="C.UTF-8", COLUMNS="200")
    env.update(extra or {})
    return env


def grade(
    workspace: Path,
    submissions: list[Path | str],
    out: Path,
    *options: str,
    exe: str | None = None,
    timeout: float = 300,
    sample: float = 0.1,
    json_summary: bool = True,
    prefix: list[str] | None = None,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """``optigrade grade -a optimizers --out OUT [options] [--json] SUBMISSIONS`` under the
    reaper, with its own empty TMPDIR (``workspace/tmp-N``) and report."""
    tmpdir, report = _private(workspace)
    command = [exe or optigrade_exe(), "grade", "-a", "optimizers", "--out", str(out), *options]
    if json_summary:
        command.append("--json")
    command += [str(s) for s in submissions]
    return run(
        workspace,
        [*(prefix or []), *command],
        out,
        tmpdir,
        report,
        timeout,
        sample,
        env=env,
        cwd=cwd,
    )


def _private(workspace: Path) -> tuple[Path, Path]:
    reports = workspace / "reports"
    reports.mkdir(exist_ok=True)
    number = len(list(reports.iterdir()))
    tmpdir = reports / f"tmp-{number}"
    tmpdir.mkdir()
    return tmpdir, reports / f"report-{number}.json"


def run(
    workspace: Path,
    command: list[str],
    out: Path,
    tmpdir: Path | None = None,
    report: Path | None = None,
    timeout: float = 300,
    sample: float = 0.1,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """Any command under the reaper (``command`` is run as given)."""
    if tmpdir is None or report is None:
        tmpdir, report = _private(workspace)
    started = time.monotonic()
    process = subprocess.Popen(
        reaper_command(report, command, sample=sample),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        errors="surrogateescape",
        env=environment(tmpdir, env),
        cwd=cwd or workspace,
        stdin=subprocess.DEVNULL,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.terminate()  # the reaper kills the whole run, then reports
        stdout, stderr = process.communicate(timeout=60)
        raise AssertionError(
            f"the command did not finish within {timeout} s: {command}\n{stderr[-2000:]}"
        ) from None
    result = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    seconds = time.monotonic() - started
    data = json.loads(report.read_text()) if report.exists() else {}
    return Run(result.returncode, result.stdout, result.stderr, seconds, out, data, tmpdir)


# -- what a run must leave -------------------------------------------------------------------


def assert_finished(run_: Run) -> None:
    # 4: finished, every student graded or recorded, but intake refused some files.
    assert run_.returncode in (0, 4), (
        f"the batch must finish (exit {run_.returncode}):\n{run_.stderr[-3000:]}"
    )


def assert_nothing_survived(run_: Run) -> None:
    survivors = run_.report.get("survivors")
    assert survivors is not None, "the reaper wrote no report"
    assert not survivors, f"processes of the run outlived the command: {survivors}"


def assert_tmpdir_clean(run_: Run) -> None:
    assert run_.tmpdir is not None
    left = sorted(str(p.relative_to(run_.tmpdir)) for p in run_.tmpdir.rglob("*"))
    assert not left, f"the run left files in its TMPDIR (outside the output folder): {left[:10]}"


def student_files(out: Path, student: str) -> dict[str, bytes]:
    """A student's row of grades.csv and the bytes of its results and feedback files."""
    files = {
        "results": out / "results" / f"{student}.json",
        "feedback.md": out / "feedback" / f"{student}.md",
        "feedback.html": out / "feedback" / f"{student}.html",
    }
    found = {name: path.read_bytes() for name, path in files.items() if path.exists()}
    row = read_rows(out).get(student)
    found["row"] = json.dumps(row, sort_keys=True).encode()
    return found


def assert_bystanders_untouched(run_: Run, alone: Run, bystanders: list[str]) -> None:
    """Each bystander's row, results and feedback are byte for byte those it got alone."""
    for student in bystanders:
        expected = student_files(alone.out, student)
        assert json.loads(expected["row"]) is not None, f"{student} missing from the alone run"
        got = student_files(run_.out, student)
        for name, data in expected.items():
            assert got.get(name) == data, (
                f"{student}'s {name} differs when graded beside the attacker"
            )


def score(row: dict[str, str] | None) -> float:
    return float(row["score"]) if row else 0.0


def assert_no_point_unearned(row: dict[str, str] | None, ceiling: dict[str, str], who: str) -> None:
    """``row`` (or no row at all) earns no more than ``ceiling``, item by item."""
    if row is None:
        return
    for item in ITEMS:
        assert float(row[item]) <= float(ceiling[item]), (
            f"{who} earned {row[item]} for {item}, its honest code earns {ceiling[item]}"
        )
    assert float(row["score"]) <= float(ceiling["score"]), (who, row, ceiling)


# -- snapshots -------------------------------------------------------------------------------


def snapshot(root: Path, skip: tuple[Path, ...] = ()) -> dict[str, tuple]:
    """Every path under ``root`` (links not followed) with its kind, size and a digest."""
    found: dict[str, tuple] = {}
    if not root.exists() and not root.is_symlink():
        return found
    stack = [root]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            path = Path(entry.path)
            if any(path == s or s in path.parents for s in skip):
                continue
            info = entry.stat(follow_symlinks=False)
            key = str(path.relative_to(root))
            if entry.is_symlink():
                found[key] = ("link", os.readlink(path))
            elif entry.is_dir(follow_symlinks=False):
                found[key] = ("dir", info.st_mode)
                stack.append(path)
            elif entry.is_file(follow_symlinks=False):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                found[key] = ("file", info.st_size, info.st_mode, digest)
            else:
                found[key] = ("other", info.st_mode)
    return found


def assert_same_tree(before: dict[str, tuple], after: dict[str, tuple], where: str) -> None:
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    assert not changed, f"{where} changed outside the output folder: {changed[:10]}"


def all_output_text(out: Path) -> str:
    """Every byte the run wrote in its output folder, as text (for leak searches)."""
    parts = []
    for path in sorted(out.rglob("*")):
        if path.is_file():
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


# -- HTML ------------------------------------------------------------------------------------

#: What feedback pages may contain: text structure, code, tables, links. No element that runs
#: or loads anything (script, img, svg, iframe, object, embed, …), no event handler.
ALLOWED_TAGS = frozenset(
    {"html", "head", "meta", "title", "style", "body", "p", "br", "hr", "blockquote", "div"}
    | {"h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td"}
    | {"code", "pre", "ul", "ol", "li", "strong", "em", "b", "i", "a", "span", "del", "s"}
)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            if name.lower().startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name.lower() in ("href", "src", "action", "formaction") and re.match(
                r"\s*(javascript|data|vbscript):", value or "", re.I
            ):
                self.problems.append(f"<{tag} {name}={value}>")

    handle_startendtag = handle_starttag


def live_html(page: str) -> list[str]:
    parser = _Elements()
    parser.feed(page)
    parser.close()
    return parser.problems


# -- System V IPC ----------------------------------------------------------------------------


def sysv_keys_present(keys: set[int]) -> dict[str, list[int]]:
    """Which of ``keys`` name a System V object (shm, msg, sem) in this IPC namespace."""
    found: dict[str, list[int]] = {}
    for kind in ("shm", "msg", "sem"):
        try:
            lines = Path(f"/proc/sysvipc/{kind}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields and int(fields[0]) in keys:
                found.setdefault(kind, []).append(int(fields[0]))
    return found


def remove_sysv(keys: set[int]) -> None:
    """Remove the test's own System V objects (by key), whatever the grader left."""
    for kind, flag in (("shm", "-M"), ("msg", "-Q"), ("sem", "-S")):
        for key in sysv_keys_present(keys).get(kind, []):
            subprocess.run(["ipcrm", flag, str(key)], capture_output=True, check=False)


# -- cgroups ---------------------------------------------------------------------------------


def cgroups_named_after(pids: set[int]) -> list[str]:
    """cgroups under an ``optigrade`` folder of any hierarchy whose name holds one of ``pids``
    (as a whole number), and whose process is gone: what a run left behind."""
    left = []
    dead = {pid for pid in pids if not Path(f"/proc/{pid}").exists()}
    for hierarchy in Path("/sys/fs/cgroup").iterdir():
        for top in (hierarchy, *hierarchy.glob("*")):
            if not top.is_dir() or "optigrade" not in top.name:
                continue
            for path in top.rglob("*"):
                if not path.is_dir():
                    continue
                numbers = {int(n) for n in re.findall(r"\d+", path.name)}
                if numbers & dead:
                    left.append(str(path))
    return left


def csv_rows(out: Path) -> list[list[str]]:
    with open(out / "grades.csv", encoding="utf-8", newline="") as handle:
        return list(csv.reader(io.StringIO(handle.read())))


def run_in_terminal(workspace: Path, command: list[str], out: Path, timeout: float = 300) -> Run:
    """``command`` (under the reaper) with a pseudo-terminal as its standard output and
    error, as a TA at a terminal runs it; ``stdout`` holds every byte the terminal received
    (decoded with surrogateescape, so that no byte is lost)."""
    import pty
    import select

    tmpdir, report = _private(workspace)
    master, slave = pty.openpty()
    started = time.monotonic()
    process = subprocess.Popen(
        reaper_command(report, command),
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=environment(tmpdir, {"TERM": "xterm-256color"}),
        cwd=workspace,
    )
    os.close(slave)
    received = bytearray()
    deadline = started + timeout
    while True:
        if time.monotonic() > deadline:
            process.terminate()  # the reaper kills the whole run
            process.wait(timeout=60)
            raise AssertionError(f"the command did not finish within {timeout} s: {command}")
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: every writer closed the terminal
                break
            if not chunk:
                break
            received += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    process.wait()
    data = json.loads(report.read_text()) if report.exists() else {}
    text = bytes(received).decode("utf-8", "surrogateescape")
    return Run(process.returncode, text, "", time.monotonic() - started, out, data, tmpdir)
