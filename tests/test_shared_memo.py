"""The workers of a batch share the outcomes they store (``autograder.speedups.memo.MemoLink``).

Without sharing, a behaviour first met by four workers is graded four times. Two workers are
run here as separate processes with a link through a file: what the first stores, the second
must reuse, with the very grades it would have computed itself. Then a whole batch on two
workers: a mistake met by one worker must be reused by the other one as well.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from examples.synthetic_class import MUTATIONS, notebook
from tests.test_grade_cli import class_cells, run_grade

pytestmark = pytest.mark.slow

NO_BIAS = ("m_hat = self.m[key] / (1 - self.beta1**self.t)", "m_hat = self.m[key]")
NO_G_SQUARED = ("self.h[key] += grads[key] * grads[key]", "self.h[key] += grads[key]")

# One grading worker (the engine as the batch runs it), linked to the others through files.
WORKER = """
import json, pickle, sys
from pathlib import Path
from autograder.engine.worker import grade_stream
from autograder.engine.settings import Settings, Task

inbox, outbox, submission, report = sys.argv[1:5]

class FileLink:
    def publish(self, entries):
        if outbox != "-" and entries:
            with open(outbox, "ab") as handle:
                pickle.dump(entries, handle)

    def receive(self):
        if inbox == "-" or not Path(inbox).exists():
            return
        with open(inbox, "rb") as handle:
            while True:
                try:
                    yield from pickle.load(handle)
                except EOFError:
                    return

results = []
task = Task(Path(submission).stem, [submission], "hash")
grade_stream(Settings("optimizers", "test"), [task], results.append, None, FileLink())
Path(report).write_text(json.dumps(results[0]))
"""


def mistaken(mistake: tuple[str, str], note: str) -> str:
    cells = class_cells()
    assert any(mistake[0] in c for c in cells), "the reference changed: update this test"
    return notebook([*(c.replace(*mistake) for c in cells), f"note = {note!r}\n"])


def grade_alone(tmp: Path, name: str, inbox: str, outbox: str) -> dict:
    report = tmp / f"{name}-{Path(outbox).stem}.json"
    done = subprocess.run(
        [sys.executable, "-c", WORKER, inbox, outbox, str(tmp / f"{name}.ipynb"), str(report)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(report.read_text())


def _outcomes(result: dict) -> list[dict]:
    """What a result says of each test (not how long it took, nor whether it was reused)."""
    return [{k: t[k] for k in ("name", "passed", "score", "failure")} for t in result["tests"]]


def _all_reused_and_unchanged(linked: dict, alone: dict, grader: str) -> None:
    """``linked`` (the second of two linked graders) reused every test; ``alone`` (the same
    submission graded with nothing shared) none, with the very same outcomes."""
    assert alone["reused_tests"] == 0, f"a {grader} with nothing shared has nothing to reuse"
    assert linked["reused_tests"] == len(linked["tests"]) > 0, (
        f"the second {grader} answers exactly as the first: every test should come from the "
        f"first's outcomes, but {linked['reused_tests']} of {len(linked['tests'])} did"
    )
    assert _outcomes(linked) == _outcomes(alone), (
        f"a shared outcome must be the outcome the {grader} would have computed itself"
    )


def test_an_outcome_one_worker_stored_is_reused_by_another_with_the_same_grades(tmp_path):
    (tmp_path / "first.ipynb").write_text(mistaken(NO_BIAS, "mine"))
    (tmp_path / "second.ipynb").write_text(mistaken(NO_BIAS, "a different file"))
    shared = tmp_path / "shared.pickle"

    grade_alone(tmp_path, "first", "-", str(shared))
    assert shared.exists(), "the first worker stored outcomes and must have published them"
    linked = grade_alone(tmp_path, "second", str(shared), "-")
    alone = grade_alone(tmp_path, "second", "-", str(tmp_path / "unused.pickle"))

    _all_reused_and_unchanged(linked, alone, "worker")
    assert linked["items"] == alone["items"] and linked["items"]["Adam"]["score"] == 0


def test_in_a_batch_a_mistake_met_by_one_worker_is_reused_by_the_other(tmp_path):
    subs = tmp_path / "class"
    subs.mkdir()
    # Six classic mistakes, spread over the two workers as they come; after twenty correct
    # submissions (time enough for every outcome to reach both workers), the same six again.
    # Without sharing, each second one is fully reused only if it happens to meet the worker
    # that graded the first: all six by chance about once in sixty runs.
    mistakes = [(old, new) for _item, old, new in MUTATIONS["optimizers"]]
    for number, mistake in enumerate(mistakes):
        (subs / f"a{number}.ipynb").write_text(mistaken(mistake, f"a{number}"))
        (subs / f"z{number}.ipynb").write_text(mistaken(mistake, f"z{number}"))
    for index in range(20):
        (subs / f"m{index:02d}.ipynb").write_text(notebook([*class_cells(), f"n = {index}\n"]))
    out = tmp_path / "out"
    done = run_grade("--out", str(out), "--jobs", "2", "--json", str(subs))
    assert done.returncode == 0, done.stderr[-3000:]
    with sqlite3.connect(out / "gradebook.sqlite") as db:
        records = {s: json.loads(r) for s, r in db.execute("SELECT student, result FROM results")}
    for again, first in ((f"z{n}", f"a{n}") for n in range(len(mistakes))):
        record = records[again]
        assert record["reused_tests"] == len(record["tests"]), (
            f"{again} answers exactly as {first}, graded earlier by one of the two workers: "
            f"every test should be reused whichever worker grades it, "
            f"but {record['reused_tests']} of {len(record['tests'])} were"
        )
        assert record["items"] == records[first]["items"]


# The batch's main process, as `optigrade grade` runs it, on a class whose workers share
# outcomes; afterwards: did it ever need the engine (pytest) to relay them?
MAIN = """
import sys
from pathlib import Path
from autograder.engine import batch
from autograder.records.gradebook import Gradebook
from autograder.engine.scoring import suite_version
from autograder.engine.settings import Settings

if __name__ == "__main__":
    subs, out = Path(sys.argv[1]), Path(sys.argv[2])
    settings = Settings("optimizers", suite_version("optimizers"))
    book = Gradebook(out / "gradebook.sqlite")
    plan = batch.plan(settings, [subs], book, out)
    graded = batch.run(settings, plan, book, jobs=2)
    print(len(graded), "pytest" in sys.modules)
"""


def test_the_main_process_relays_outcomes_without_importing_the_engine(tmp_path):
    subs = tmp_path / "class"
    subs.mkdir()
    for index in range(6):
        (subs / f"s{index}.ipynb").write_text(mistaken(NO_BIAS, f"s{index}"))
    script = tmp_path / "main.py"
    script.write_text(MAIN)
    done = subprocess.run(
        [sys.executable, str(script), str(subs), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["6", "False"], (
        "the main process imported pytest: it must relay the workers' outcomes unopened "
        f"(printed {done.stdout!r})"
    )


def test_the_grading_services_of_one_dask_worker_share_stored_outcomes(tmp_path):
    """A Dask worker's services (``executors.service``) share outcomes as local workers do."""
    from autograder.engine.scoring import suite_version
    from autograder.engine.settings import Settings, Task
    from autograder.executors.service import GradingService, MemoExchange, Parcel

    settings = Settings("optimizers", suite_version("optimizers"))
    parcels = {}
    for name, note in (("first", "mine"), ("second", "a different file")):
        path = tmp_path / f"{name}.ipynb"
        path.write_text(mistaken(NO_BIAS, note))
        parcels[name] = Parcel.of(Task(name, [str(path)], name))
    exchange = MemoExchange()
    services = [GradingService(settings, exchange) for _ in range(2)]
    alone = GradingService(settings)
    try:
        services[0].grade(parcels["first"])
        shared = services[1].grade(parcels["second"])
        unshared = alone.grade(parcels["second"])
    finally:
        for service in (*services, alone):
            service.close()
    _all_reused_and_unchanged(shared, unshared, "service")
