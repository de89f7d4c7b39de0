"""The worker server prepares the suite once; every worker of the batch inherits it.

Each case runs in a fresh interpreter, as ``optigrade grade`` does: the server is a
process-wide singleton, and what a worker inherits is only visible in a real worker.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from autograder import server
from autograder.engine.scoring import suite_version
from autograder.server import assignment_hint
from examples.synthetic_class import notebook
from tests.test_grade_cli import class_cells

# A worker forked from a server started for sys.argv[1] reports what it inherited, then (if
# sys.argv[2] names a notebook) grades it for sys.argv[3] as a batch worker does.
WORKER = """
import json, sys
from pathlib import Path

def inspect(answers, submission, assignment):
    from autograder.preload import prepared  # what a local worker hands its engine
    inherited = (
        (prepared.made_for, len(prepared.plan.traces)) if prepared is not None else (None, 0)
    )
    result = None
    if submission != "-":
        from autograder.engine.worker import grade_stream
        from autograder.engine.settings import Settings, Task
        from autograder.speedups.reference import ReferenceRuns
        results = []
        task = Task(Path(submission).stem, [submission], "hash")
        settings = Settings(assignment, testing_version(assignment))
        reference = prepared if prepared is not None else ReferenceRuns()
        grade_stream(settings, [task], results.append, reference=reference)
        result = results[0]
        result["made"] = reference.made_for
    answers.put({"inherited": inherited, "result": result})

def testing_version(assignment):
    from autograder.engine.scoring import suite_version
    return suite_version(assignment)

if __name__ == "__main__":
    from autograder import server
    warm, submission, assignment = sys.argv[1:4]
    context = server.start_worker_server(None if warm == "-" else warm)
    answers = context.Queue()
    worker = context.Process(target=inspect, args=(answers, submission, assignment))
    worker.start()
    print(json.dumps(answers.get(timeout=240)))
    worker.join()
"""


def in_worker(tmp: Path, warm: str, submission: str = "-", assignment: str = "-") -> dict:
    script = tmp / "worker.py"  # a file: the forkserver re-imports the main module by path
    script.write_text(WORKER)
    done = subprocess.run(
        [sys.executable, str(script), warm, submission, assignment],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        cwd=Path(__file__).resolve().parents[1],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["-a", "optimizers", "--out", "x", "class/"], "optimizers"),
        (["--out", "x", "--assignment", "schedules", "class/"], "schedules"),
        (["--assignment=init", "class/"], "init"),
        (["-aoptimizers", "class/"], "optimizers"),
        (["-a", "no_such_suite", "class/"], None),
        (["-a", "../optimizers"], None),
        (["-a"], None),
        (["--out", "x", "class/"], None),
        (["--", "-a", "optimizers"], None),
    ],
)
def test_the_assignment_hint_is_read_from_the_arguments_or_not_at_all(args, expected):
    assert assignment_hint(args) == expected, f"hint of {args}"


@pytest.mark.slow
def test_a_worker_inherits_the_plan_the_server_made_for_its_assignment(tmp_path):
    report = in_worker(tmp_path, "optimizers")
    made_for, traces = report["inherited"]
    assert made_for == ["optimizers", suite_version("optimizers")], (
        "the server did not prepare the suite it was started for"
    )
    assert traces > 10, f"only {traces} traces in the inherited plan"


@pytest.mark.slow
def test_a_server_without_an_assignment_leaves_the_plan_to_the_workers(tmp_path):
    assert in_worker(tmp_path, "-")["inherited"] == [None, 0]


@pytest.mark.slow
def test_a_plan_made_for_another_assignment_is_replaced_and_grades_are_unchanged(tmp_path):
    submission = tmp_path / "kim.ipynb"
    submission.write_text(notebook(class_cells()))
    # Inherited plan of another suite: the worker must make its own (and grade the same).
    foreign = in_worker(tmp_path, "schedules", str(submission), "optimizers")
    own = in_worker(tmp_path, "-", str(submission), "optimizers")
    warm = in_worker(tmp_path, "optimizers", str(submission), "optimizers")
    assert foreign["inherited"][0] == ["schedules", suite_version("schedules")]
    for report in (foreign, own, warm):
        assert report["result"]["made"] == ["optimizers", suite_version("optimizers")]
    grades = [
        (r["result"]["score"], [(t["name"], t["passed"]) for t in r["result"]["tests"]])
        for r in (foreign, own, warm)
    ]
    assert grades[0] == grades[1] == grades[2], "the inherited plan changed the grades"
    assert grades[1][0] == report["result"]["max_score"], "the reference-like notebook lost marks"


def test_asking_for_help_starts_no_worker_server(monkeypatch):
    started = []
    monkeypatch.setattr(server, "start_worker_server", started.append)
    server.prestart_grade(["-a", "optimizers", "--help"])
    server.prestart_grade(["-h"])
    assert started == [], "--help must not start grading work"
    server.prestart_grade(["-a", "optimizers", "--out", "x", "class/"])
    assert started == ["optimizers"], "a real grade command starts the server for its suite"
