"""The channel between the grader and a sandbox holds against the student's own code.

The student's code runs in the sandbox's *student process*; the grader talks only to the
sandbox's *relay* (``autograder/sandbox/relay.py``). These tests attack that boundary from
inside real sandboxes and through ``optigrade grade`` on real files: forged replies written to
every file descriptor, a load reply made too large, a search of the student's memory for the
hidden plan, and more failing cells than the time budget allows.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import numpy as np
import pytest

from autograder import wire
from autograder.sandbox.client import Sandbox, Timeouts, Zygote
from tests.grading import ROOT, optigrade_exe, read_grades
from tests.test_grade_security import BASE

# Counts, in this process's memory, the places that hold HEAD followed by TAIL (given in hex).
# The whole needle is never built by the search itself, only its two halves: a hit is memory
# that really holds it. Memory is read by write(2) into a pipe: the kernel copies from the
# process's own memory and answers EFAULT for an unmapped page instead of crashing (the
# sandbox's seccomp filter refuses process_vm_readv, which would do the same). Where
# /proc/self/maps cannot be read (the sandbox has no /proc), the malloc heap below the program
# break and a window around every object the collector tracks are read. Objects the collector
# tracks are searched too, for arrays and bytes that hold the needle.
SCANNER = """
import ctypes, gc, os
import numpy as np

_libc = ctypes.CDLL(None, use_errno=True)
_libc.sbrk.restype = ctypes.c_void_p


_libc.write.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t]
_libc.write.restype = ctypes.c_ssize_t
_PAGE, _CHUNK = 4096, 1 << 16  # a chunk fits in an empty pipe's default capacity
_out, _in = os.pipe()


def _read(address, size):
    got = _libc.write(_in, address, size)
    data = b""
    while len(data) < max(got, 0):
        data += os.read(_out, got - len(data))
    return data


def _regions():
    try:
        with open("/proc/self/maps") as maps:
            spans = []
            for line in maps:
                span, perms = line.split()[:2]
                if perms.startswith("r") and "[v" not in line:
                    spans.append(tuple(int(x, 16) for x in span.split("-")))
            return spans
    except OSError:
        pass
    top = _libc.sbrk(0) or 0
    bottom = top
    while bottom > _PAGE and len(_read(bottom - _PAGE, _PAGE)) == _PAGE:
        bottom -= _PAGE
    spans = [(bottom, top)]
    for obj in gc.get_objects():
        base = id(obj) & ~(_CHUNK - 1)
        spans.append((max(base - (1 << 20), 0), base + (1 << 20)))
    spans.sort()
    merged = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return merged


def _count(window, head, tail, skip=0):
    hits, at = 0, window.find(head)
    end = len(head) + len(tail)
    while at != -1:
        if at + end > skip and window[at + len(head) : at + end] == tail:
            hits += 1
        at = window.find(head, at + 1)
    return hits


def memory_holds(head_hex, tail_hex):
    head, tail = bytes.fromhex(head_hex), bytes.fromhex(tail_hex)
    overlap = len(head) + len(tail)
    hits = 0
    for start, end in _regions():
        address, previous = start, b""
        while address < end:
            size = min(_CHUNK, end - address)
            chunk = _read(address, size)
            if len(chunk) < size:
                pages = range(address, address + size, _PAGE)
                chunk = b"".join(_read(page, _PAGE) or bytes(_PAGE) for page in pages)
            hits += _count(previous + chunk, head, tail, len(previous))
            previous = chunk[-overlap:]
            address += size
    return hits


def objects_hold(head_hex, tail_hex):
    head, tail = bytes.fromhex(head_hex), bytes.fromhex(tail_hex)
    hits = 0
    for obj in gc.get_objects():
        for value in gc.get_referents(obj):
            if isinstance(value, np.ndarray):
                value = value.tobytes()
            if isinstance(value, (bytes, bytearray)):
                hits += _count(bytes(value), head, tail)
    return hits
"""


def _halves(array: np.ndarray) -> tuple[str, str]:
    data = array.tobytes()
    return data[: len(data) // 2].hex(), data[len(data) // 2 :].hex()


# -- a sandbox holds only the input of the run it executes ----------------------------------
def test_a_sandbox_holds_no_input_of_a_run_it_has_not_reached():
    """Three planned runs, each with an input of its own. At load time and in each run, the
    student's code searches its memory and its objects for all three inputs: it must find its
    own run's (which proves the search works) and never a later run's."""
    rng = np.random.default_rng(20261203)
    inputs = [rng.normal(size=16) for _ in range(3)]
    needles = [_halves(x) for x in inputs]
    probe = (
        f"NEEDLES = {needles!r}\n"
        "def found():\n"
        "    return [memory_holds(h, t) + objects_hold(h, t) for h, t in NEEDLES]\n"
        "AT_LOAD = found()\n"
        "def probe(x):\n"
        "    return {'found': found(), 'at_load': AT_LOAD}\n"
    )
    traces = [
        [{"target": "probe", "method": None, "args": [{"__def__": 0, "value": x}], "kwargs": {}}]
        for x in inputs
    ]
    zygote = Zygote()
    try:
        zygote.extend_plan([(wire.encode(ops), [1]) for ops in traces])
        sandbox = Sandbox(zygote, [SCANNER, probe], timeouts=Timeouts(cell=20, load=40, call=20))
        sandbox.start()
        assert [c.status for c in sandbox.cell_reports] == ["ok", "ok"], sandbox.cell_reports
        sandbox.prefetch_plan()
        assert not sandbox.failures, sandbox.failures
        replies = [sandbox.planned(k)["results"][0]["value"] for k in range(3)]
        sandbox.kill()
    finally:
        zygote.close()
    assert replies[0]["at_load"] == [0, 0, 0], f"plan inputs found at load time: {replies[0]}"
    for k, reply in enumerate(replies):
        assert reply["found"][k] > 0, f"run {k} could not find its own input: the search is blind"
        later = reply["found"][k + 1 :]
        assert later == [0] * len(later), f"run {k} found a later run's input: {reply['found']}"


# -- what the student process can do to the relay --------------------------------------------
FORGER = '''
import os, struct, sys
import msgpack

def _numbers():
    """Every request's id in the frames above this cell, then every large integer there: the
    grader's request id where the runtime can see it, the runtime's sequence number."""
    ids, found = [], [0, 1, 7]
    frame = sys._getframe()
    while frame is not None:
        for value in frame.f_locals.values():
            if type(value) is dict and type(value.get("id")) is int:
                ids.append(value["id"])  # a request, as the runtime received it
            elif type(value) is int and value > 1 << 16:
                found.append(value)
        frame = frame.f_back
    return ids + found

def _frame(message):
    body = msgpack.packb(message)
    return struct.pack("!I", len(body)) + body

def forge():
    numbers = _numbers()
    blob = b""
    for n in numbers:
        for message in (
            {"id": n, "ok": True, "cells": "all", "names": 5, "output": ["x"],
             "output_truncated": 1},
            {"id": n, "ok": True, "cells": [], "names": ["Adam"], "output": "",
             "output_truncated": False},
            {"id": n, "progress": 10**6},
            {"id": n, "plan": 0, "body": msgpack.packb({"ok": True, "results": []})},
            {"id": n, "body": msgpack.packb({"ok": True, "args_after": [], "value": [1.0]})},
            {"id": n, "violation": "forged"},
        ):
            blob += _frame(message)
    for n in numbers:
        ok = msgpack.packb({"status": "ok"})
        blob += struct.pack("!IQ", len(ok), n) + ok
    for fd in range(1024):
        try:
            blocking = os.get_blocking(fd)
            os.set_blocking(fd, False)  # a full buffer must not hang the cell
        except OSError:
            continue
        try:
            os.write(fd, blob)
        except OSError:
            pass
        os.set_blocking(fd, blocking)
'''


@pytest.fixture
def sandbox_of(zygote):
    opened = []

    def make(cells: list[str], **timeouts: float) -> Sandbox:
        sandbox = Sandbox(zygote, cells, timeouts=Timeouts(**timeouts))
        opened.append(sandbox)
        sandbox.start()
        return sandbox

    yield make
    for sandbox in opened:
        sandbox.kill()


def test_forged_answers_cost_the_forging_cell_and_nothing_else(sandbox_of):
    cells = [FORGER, "forge()\n", "def later():\n    return 'still here'\n"]
    sandbox = sandbox_of(cells)
    reports = {c.index: c.status for c in sandbox.cell_reports}
    assert reports[1] == "protocol", sandbox.cell_reports
    assert "protocol" in sandbox.failures
    assert reports[0] == reports[2] == "ok", "the cells around the forger ran"
    assert sandbox.call("later", None, [], {})["value"] == "still here"


RELAY_PROBE = """
import ctypes, os, signal

def reach():
    libc = ctypes.CDLL(None, use_errno=True)
    attached = libc.ptrace(16, os.getppid(), 0, 0)  # PTRACE_ATTACH
    try:
        os.kill(os.getppid(), signal.SIGCHLD)
        signalled = True
    except PermissionError:
        signalled = False
    sockets, others = 0, []
    for fd in range(1024):
        try:
            mode = os.fstat(fd).st_mode
        except OSError:
            continue
        if (mode & 0o170000) == 0o140000:
            sockets += 1
        elif fd > 2:
            others.append(fd)
    return {"ptrace": attached, "signalled": signalled, "sockets": sockets, "others": others}
"""


def test_the_student_process_can_neither_trace_nor_signal_the_relay(sandbox_of):
    sandbox = sandbox_of([RELAY_PROBE])
    seen = sandbox.call("reach", None, [], {})["value"]
    assert seen["ptrace"] == -1, "the student process attached to the relay"
    if sandbox.layers.get("landlock_signal_scope"):
        assert seen["signalled"] is False, "the student process could signal the relay"
    assert seen["sockets"] == 1 and seen["others"] == [], (
        f"the student process holds more than its one channel to the relay: {seen}"
    )
    assert sandbox.call("reach", None, [], {})["value"]["ptrace"] == -1, "the relay went on"


def test_the_sandbox_ends_when_the_student_process_dies_whatever_its_children_hold(sandbox_of):
    """A child that keeps the student process's socket open must not keep the relay waiting
    for an answer that will never come: the cell is reported crashed at once, not after its
    time limit."""
    orphaning = "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nos._exit(3)\n"
    started = time.monotonic()
    sandbox = sandbox_of([orphaning, "def after():\n    return 1\n"], cell=8, load=20)
    assert time.monotonic() - started < 4, "the relay waited for the dead student process"
    assert sandbox.cell_reports[0].status == "crashed", sandbox.cell_reports
    assert sandbox.call("after", None, [], {})["value"] == 1


# -- through the command line ----------------------------------------------------------------
# Each file is BASE (correct SGD only) plus one attack, as in test_grade_security.
ATTACKS = {
    # Forged replies and frames to every fd, while the cells load.
    "forge_while_loading": FORGER + "\nforge()\n",
    # The same from inside the planned runs: Adam's update forges before answering.
    "forge_in_the_plan": FORGER
    + (
        "\nclass Adam:\n"
        "    def __init__(self, **kw):\n"
        "        pass\n"
        "    def update(self, params, grads):\n"
        "        forge()\n"
        "        for k in params:\n"
        "            params[k] *= 0\n"
    ),
    # A load reply far over any frame: 300,000 long global names, a huge exception type name.
    "oversized_globals": (
        "for i in range(300_000):\n"
        "    globals()[f'g{i:06d}_' + 'x' * 240] = i\n"
        "globals()['y' * 10_000_000] = 1\n"
        "# %%\n"
        "raise type('E' * 1_000_000, (Exception,), {})('z' * 10_000_000)\n"
    ),
}


def _plan_marker() -> tuple[str, str, list[float]]:
    """Halves of an input of the suite's last planned run, and its first values."""
    script = (
        "import json, numpy as np\n"
        "from autograder.engine import worker as engine\n"
        "reference = engine.prepare_suite('optimizers')\n"
        "assert reference is not None\n"
        "def arrays(value):\n"
        "    if isinstance(value, np.ndarray):\n"
        "        yield value\n"
        "    elif isinstance(value, dict):\n"
        "        for v in value.values():\n"
        "            yield from arrays(v)\n"
        "    elif isinstance(value, list):\n"
        "        for v in value:\n"
        "            yield from arrays(v)\n"
        "last = reference.plan.traces[-1].ops\n"
        "found = [a for a in arrays(last) if a.dtype == float and a.size >= 8]\n"
        "data = found[0].reshape(-1)[:8]\n"
        "print(json.dumps([data.tobytes().hex(), data.tolist()]))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True
    )
    data_hex, values = json.loads(out.stdout.strip().splitlines()[-1])
    return data_hex[:64], data_hex[64:], values


def _leak_attack(head: str, tail: str) -> str:
    return SCANNER + (
        "\nimport sys, gc\n"
        "runtime = sys.modules.get('autograder.sandbox.runtime')\n"
        "plan = getattr(runtime, 'PLAN', None)\n"
        "print('PLAN', repr(plan)[:1500] if plan else '-')\n"
        "traces = [repr(o)[:200] for o in gc.get_objects() if isinstance(o, dict)\n"
        "          and ('__def__' in o or ('target' in o and 'args' in o))]\n"
        "print('GC', len(traces), traces[:5])\n"
        f"print('MEM', memory_holds({head!r}, {tail!r}) + objects_hold({head!r}, {tail!r}))\n"
        "control = bytes(range(40, 72))\n"
        "print('CONTROL', memory_holds(bytes(range(40, 56)).hex(), bytes(range(56, 72)).hex()))\n"
    )


def _notebook(cells: list[str]) -> str:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    return nbformat.writes(nb)


def _grade(subs: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            optigrade_exe(),
            "grade",
            "-a",
            "optimizers",
            "--out",
            str(out),
            "--json",
            *extra,
            str(subs),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )


def _bystanders(folder: Path) -> None:
    """Honest students of every kind: correct, one known mistake, SGD only."""
    from examples.synthetic_class import item_sources, preamble

    cells = [preamble("optimizers"), *item_sources("optimizers").values()]
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "correct.ipynb").write_text(_notebook(cells))
    no_bias = [
        c.replace("m_hat = self.m[key] / (1 - self.beta1**self.t)", "m_hat = self.m[key]")
        for c in cells
    ]
    assert no_bias != cells, "the reference changed: update this"
    (folder / "mistake.ipynb").write_text(_notebook(no_bias))
    (folder / "honest.py").write_text(BASE)


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    root = tmp_path_factory.mktemp("channel")
    head, tail, values = _plan_marker()
    _bystanders(root / "clean")
    subs = root / "subs"
    _bystanders(subs)
    for name, attack in {**ATTACKS, "plan_leak": _leak_attack(head, tail)}.items():
        (subs / f"{name}.py").write_text(BASE + "\n# %%\n" + attack)
    clean = _grade(root / "clean", root / "clean_out", "--jobs", "1")
    assert clean.returncode == 0, clean.stderr[-3000:]
    result = _grade(subs, root / "out", "--jobs", "2", "--timeout-cell", "10")
    assert result.returncode == 0, f"the batch must survive every attack:\n{result.stderr[-3000:]}"
    return root, values


@pytest.mark.slow
def test_every_attack_gains_nothing(attacked):
    root, _ = attacked
    rows = read_grades(root / "out")
    assert set(rows) == {"correct", "mistake", "honest", *ATTACKS, "plan_leak"}
    for attack in (*ATTACKS, "plan_leak"):
        assert float(rows[attack]["Adam"]) == 0.0, f"{attack}: wrong Adam earned points"
        assert float(rows[attack]["score"]) <= float(rows["honest"]["score"]), attack


@pytest.mark.slow
def test_the_other_students_keep_exactly_what_they_have_without_the_attackers(attacked):
    root, _ = attacked
    clean, attacked_rows = read_grades(root / "clean_out"), read_grades(root / "out")
    for student in ("correct", "mistake", "honest"):
        assert attacked_rows[student] == clean[student], student
        for folder, suffixes in (("results", (".json",)), ("feedback", (".md", ".html"))):
            for suffix in suffixes:
                name = f"{student}{suffix}"
                assert (root / "out" / folder / name).read_bytes() == (
                    root / "clean_out" / folder / name
                ).read_bytes(), f"{folder}/{name} changed because of the attackers"


@pytest.mark.slow
def test_a_later_report_on_the_attacked_folder_works(attacked):
    root, _ = attacked
    report = subprocess.run(
        [optigrade_exe(), "report", "-a", "optimizers", "--out", str(root / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert report.returncode == 0, report.stderr[-3000:]


@pytest.mark.slow
def test_the_plan_cannot_be_found_or_printed_at_load_time(attacked):
    root, values = attacked
    record = json.loads((root / "out" / "results" / "plan_leak.json").read_text(encoding="utf-8"))
    output = json.loads(_gradebook_record(root / "out", "plan_leak"))["output"]
    assert "PLAN -" in output and "GC 0 []" in output and "MEM 0" in output, output
    control = int(output.split("CONTROL ")[1].split()[0])
    assert control > 0, "the search could not find what the cell itself holds: it is blind"
    everything = (
        output
        + json.dumps(record)
        + "".join(
            p.read_text(encoding="utf-8") for p in (root / "out" / "feedback").glob("plan_leak.*")
        )
    )
    for value in values[:4]:
        assert f"{value:.6f}"[:8] not in everything, f"a later run's input was printed: {value}"


def _gradebook_record(out: Path, student: str) -> str:
    import sqlite3

    with sqlite3.connect(out / "gradebook.sqlite") as db:
        (record,) = db.execute(
            "SELECT result FROM results WHERE student = ?", (student,)
        ).fetchone()
    return record


@pytest.mark.slow
def test_the_loaded_cells_are_reported_within_their_bounds(attacked):
    root, _ = attacked
    record = json.loads(_gradebook_record(root / "out", "oversized_globals"))
    assert record["status"] == "graded", record["reason"]
    failing = [c for c in record["cells"] if c["status"] == "error"]
    assert failing and len(failing[0]["error"]["type"]) <= 200
    assert len(failing[0]["error"]["message"]) <= 1000
    assert float(read_grades(root / "out")["oversized_globals"]["SGD"]) == float(
        read_grades(root / "out")["honest"]["SGD"]
    ), "the oversized globals cost the student's own honest SGD"


# -- the time budget bounds everything -------------------------------------------------------
@pytest.mark.slow
def test_thousands_of_failing_cells_end_within_the_submission_budget(tmp_path):
    """12,000 cells that each take 10 ms and fail: two minutes of work for a budget of
    six seconds. The worker must be done with it in the budget plus a small margin."""
    from examples.synthetic_class import item_sources, preamble

    budget = 6.0
    cells = [preamble("optimizers"), *item_sources("optimizers").values()]
    cells += [f"import time\ntime.sleep(0.01)\nraise ValueError({i})\n" for i in range(12_000)]
    subs = tmp_path / "subs"
    subs.mkdir()
    (subs / "many_cells.ipynb").write_text(_notebook(cells))
    started = time.monotonic()
    result = _grade(subs, tmp_path / "out", "--timeout-submission", str(budget))
    wall = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-3000:]
    record = json.loads(_gradebook_record(tmp_path / "out", "many_cells"))
    assert record["seconds"] <= budget + 2.0, f"the submission took {record['seconds']} s"
    assert wall <= budget + 30, f"the command took {wall:.1f} s"
    assert record["status"] in ("timeout", "time_budget"), record["status"]
