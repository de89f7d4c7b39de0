"""``optigrade export otter`` with the real otter-grader: ``otter assign`` and ``otter run``.

Every assignment is exported once with the installed ``optigrade`` command; the notebooks are
then graded by ``otter run -a autograder.zip`` exactly as Gradescope would (two at a time: each
starts a kernel). Expected points come from ``points.toml`` and the expected number of hidden
cases from ``pytest --collect-only`` on our suite, never from the exporter itself.
"""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import sys
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from assignments.reference import Reference
from assignments.stubs import stub_source
from tests.grading import ROOT, optigrade_exe, read_grades

pytestmark = pytest.mark.slow
ASSIGNMENTS = ("optimizers", "schedules", "init")
OTTER = shutil.which("otter", path=str(Path(sys.executable).parent))
SOLUTION_TAG, ANSWER_TAG = "otter_assign_solution_cell", "otter_answer_cell"
BIAS_CORRECTION = (
    "m_hat = self.m[key] / (1 - self.beta1**self.t)",
    "v_hat = self.v[key] / (1 - self.beta2**self.t)",
)
# A student's cell that makes every otter test pass without implementing anything.
PROBE = (
    "import otter.test_files.exception_test as _otter_tests\n"
    "_otter_tests.test_case.call_func = lambda self, env: None"
)

if OTTER is None:
    pytest.skip("otter-grader is not installed (make test installs it)", allow_module_level=True)


def item_points(assignment: str) -> dict[str, float]:
    path = ROOT / "autograder" / "suites" / assignment / "points.toml"
    table = tomllib.loads(path.read_text(encoding="utf-8"))
    return {item: float(sum(tests.values())) for item, tests in table.items()}


def otter_scores(results: Path) -> dict[str, float]:
    tests = json.loads((results / "results.json").read_text(encoding="utf-8"))["tests"]
    return {t["name"]: float(t["score"]) for t in tests if t.get("max_score") is not None}


def optigrade_grade(notebook: Path, out: Path) -> dict[str, str]:
    """Our own grader on the same file: its grades.csv row."""
    command = ["grade", "--assignment", "optimizers", "--out", str(out), str(notebook)]
    subprocess.run([optigrade_exe(), *command], check=True, capture_output=True)
    return read_grades(out)[notebook.stem]


def code_cells(nb: nbformat.NotebookNode, tag: str) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code" and tag in c.metadata.get("tags", [])]


def with_mistake(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Adam without bias correction, the mistake the course notes warn about."""
    changed = copy.deepcopy(nb)
    cells = [c for c in changed.cells if c.cell_type == "code" and BIAS_CORRECTION[0] in c.source]
    assert cells, "the Adam solution cell was not found"
    for cell in cells:
        for line in BIAS_CORRECTION:
            cell.source = cell.source.replace(line, line.split(" / ")[0])
    return changed


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("otter")
    for assignment in ASSIGNMENTS:
        folder = str(out / assignment)
        command = ["export", "otter", "--assignment", assignment, "--lang", "en", "--out", folder]
        subprocess.run([optigrade_exe(), *command], check=True, capture_output=True)
    return {assignment: out / assignment for assignment in ASSIGNMENTS}


def solution_notebook(folder: Path) -> nbformat.NotebookNode:
    return nbformat.read(next((folder / "dist" / "autograder").glob("*.ipynb")), as_version=4)


@pytest.fixture(scope="module")
def graded(exported, tmp_path_factory) -> dict[str, Path]:
    """``otter run`` on every notebook the tests look at, two kernels at a time."""
    work = tmp_path_factory.mktemp("otter-runs")
    optimizers = solution_notebook(exported["optimizers"])
    syntax = copy.deepcopy(optimizers)
    momentum = [c for c in code_cells(syntax, SOLUTION_TAG) if "class Momentum" in c.source]
    momentum[0].source += "\n\nthis line is not python (\n"
    probe = nbformat.read(exported["optimizers"] / "dist/student/optimizers.ipynb", as_version=4)
    probe.cells.insert(2, nbformat.v4.new_code_cell(PROBE))
    notebooks = {f"full-{a}": solution_notebook(exported[a]) for a in ASSIGNMENTS}
    notebooks |= {"mistake": with_mistake(optimizers), "syntax": syntax, "probe": probe}

    def run(name: str) -> tuple[str, Path]:
        assignment = name.removeprefix("full-") if name.startswith("full-") else "optimizers"
        folder = work / name
        folder.mkdir()
        nbformat.write(notebooks[name], folder / f"{assignment}.ipynb")
        zip_file = exported[assignment] / "autograder.zip"
        submission = str(folder / f"{assignment}.ipynb")
        done = subprocess.run(
            [OTTER, "run", "--no-logo", "-a", str(zip_file), "-o", str(folder), submission],
            capture_output=True,
            text=True,
        )
        (folder / "otter-run.log").write_text(done.stdout + done.stderr, encoding="utf-8")
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return name, folder

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, notebooks))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_otter_assign_accepts_the_master_with_every_hidden_case(exported, assignment):
    folder = exported[assignment]
    master = nbformat.read(folder / "master" / f"{assignment}.ipynb", as_version=4)
    assert master.cells[0].cell_type == "raw"
    assert master.cells[0].source.startswith("# ASSIGNMENT CONFIG")
    suite = str(ROOT / "autograder" / "suites" / assignment)
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", suite],
        capture_output=True,
        text=True,
        cwd=ROOT,
    ).stdout
    suite_cases = [line for line in collected.splitlines() if "::test_" in line]
    hidden_cells = [c for c in master.cells if "run_case(env" in c.source]
    assert len(hidden_cells) == len(suite_cases) > 0
    for line in suite_cases:
        case = f"{Path(line.split('::')[0]).name}::{line.split('::', 1)[1]}"
        assert sum(repr(case) in c.source for c in hidden_cells) == 1, case

    student = nbformat.read(folder / "dist" / "student" / f"{assignment}.ipynb", as_version=4)
    sources = "\n".join(c.source for c in student.cells)
    for item in item_points(assignment):
        assert f'grader.check("{item}")' in sources
    assert "run_case" not in sources  # hidden tests stay out of the student's notebook
    # The student's cells are our stubs exactly: otter must not leak a line of the reference.
    reference = Reference.load(assignment)
    answers = [c.source.strip() for c in student.cells if ANSWER_TAG in c.metadata.get("tags", [])]
    assert answers == [stub_source(reference.source, item).strip() for item in reference.items]
    assert (folder / "autograder.zip").stat().st_size > 0


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_otter_run_gives_the_instructor_notebook_full_marks(graded, assignment):
    scores = otter_scores(graded[f"full-{assignment}"])
    assert scores == pytest.approx(item_points(assignment))


def test_one_mistake_loses_exactly_that_items_points_as_in_optigrade_grade(graded, tmp_path):
    full = item_points("optimizers")
    scores = otter_scores(graded["mistake"])
    assert scores == pytest.approx({**full, "Adam": 0.0})
    log = (graded["mistake"] / "otter-run.log").read_text(encoding="utf-8")
    assert "Adam" in log
    results = json.loads((graded["mistake"] / "results.json").read_text(encoding="utf-8"))
    adam = next(t for t in results["tests"] if t["name"] == "Adam")["output"]
    assert "no bias correction" in adam  # the known mistake is named, as our grader names it

    # Our own grader, on the very same file, gives the same points per item.
    row = optigrade_grade(graded["mistake"] / "optimizers.ipynb", tmp_path / "grade")
    assert {item: float(row[item]) for item in full} == pytest.approx(scores)


def test_a_syntax_error_in_one_cell_still_grades_the_rest(graded):
    scores = otter_scores(graded["syntax"])
    assert scores == pytest.approx({**item_points("optimizers"), "Momentum": 0.0})


def run_student_notebook(exported: Path, nb: nbformat.NotebookNode, folder: Path) -> list[str]:
    """Execute a filled-in student notebook; the outputs of its ``grader.check`` cells."""
    shutil.copytree(exported / "dist" / "student", folder)
    nbformat.write(nb, folder / "optimizers.ipynb")
    client = NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True)
    client.execute(cwd=str(folder))
    return [
        "".join(o.get("text", "") + o.get("data", {}).get("text/plain", "") for o in c.outputs)
        for c in nb.cells
        if c.cell_type == "code" and c.source.startswith("grader.check(")
    ]


def test_grader_check_passes_the_solution_and_fails_the_mistake(exported, tmp_path):
    folder = exported["optimizers"]
    solutions = code_cells(solution_notebook(folder), SOLUTION_TAG)
    student = nbformat.read(folder / "dist" / "student" / "optimizers.ipynb", as_version=4)
    answers = code_cells(student, ANSWER_TAG)
    assert len(answers) == len(solutions) == len(item_points("optimizers"))
    for answer, solution in zip(answers, solutions, strict=True):
        answer.source = solution.source

    checks = run_student_notebook(folder, copy.deepcopy(student), tmp_path / "solved")
    assert len(checks) == 5 and all("All test cases passed" in c for c in checks), checks
    checks = run_student_notebook(folder, with_mistake(student), tmp_path / "mistake")
    failed = [c for c in checks if "All test cases passed" not in c]
    assert len(failed) == 1 and failed[0].startswith("Adam") and "failed" in failed[0], checks


def test_the_probe_gets_full_marks_under_otter_and_nothing_under_optigrade_grade(graded, tmp_path):
    """The security difference docs/OTTER.md reports: the probe implements nothing."""
    assert sum(otter_scores(graded["probe"]).values()) == pytest.approx(
        sum(item_points("optimizers").values())
    )
    row = optigrade_grade(graded["probe"] / "optimizers.ipynb", tmp_path / "grade")
    assert float(row["score"]) == 0.0
