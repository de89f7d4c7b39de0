"""The otter master notebook of an assignment, and the files it ships, from our own bundles.

The master is our instructor notebook (``assignments.build.notebook``) with otter's blocks around
each item: the item's prose opens a ``# BEGIN QUESTION`` (points = the item's points in
``points.toml``), its ``SOLUTION`` cell is our instructor cell with our student stub as otter's
prompt (so otter's student notebook shows our stub, not a ``...`` cut of the reference), and its
``TESTS`` are one public test (our public checks, ``checks.py``, worth 0
points) followed by one hidden test per case of our hidden suite (:mod:`assignments.otter.cases`).
Our own ``check("X")`` cells are left out: otter adds ``grader.check("X")`` in their place.
"""

from __future__ import annotations

import copy
import inspect
import json
import shutil
from fractions import Fraction
from pathlib import Path

import nbformat
import yaml
from nbformat.notebooknode import NotebookNode

from assignments.build import CHECKS_FILE, checks_source, notebook
from assignments.otter import runtime
from assignments.otter.cases import HiddenCase, hidden_cases
from assignments.reference import Reference
from autograder.engine import testing
from autograder.engine.scoring import suite_dir

RUNTIME_FILE = "optigrade_otter.py"
REQUIREMENTS_FILE = "requirements.txt"
#: What the grading image needs beyond otter: the suite's modules import numpy and pytest.
REQUIREMENTS = ("numpy", "pytest")
_INLINE_MARK = "# INLINE"


def write_master(assignment: str, lang: str, folder: Path) -> Path:
    """Write the master notebook and every file it ships into ``folder``; return the notebook."""
    reference = Reference.load(assignment)
    cases = hidden_cases(assignment)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / CHECKS_FILE).write_text(checks_source(reference, lang), encoding="utf-8")
    (folder / RUNTIME_FILE).write_text(runtime_source(), encoding="utf-8")
    (folder / REQUIREMENTS_FILE).write_text("\n".join(REQUIREMENTS) + "\n", encoding="utf-8")
    data = {"lang": lang, "cases": {case.id: case.as_data() for case in cases}}
    (folder / runtime.CASES_FILE).write_text(json.dumps(data), encoding="utf-8")
    hidden = folder / runtime.SUITE_DIR
    shutil.rmtree(hidden, ignore_errors=True)
    hidden.mkdir()
    # conftest.py only declares markers for pytest runs; the kernel never runs pytest.
    for module in sorted(suite_dir(assignment).glob("*.py")):
        if module.name != "conftest.py":
            shutil.copy(module, hidden / module.name)
    path = folder / f"{assignment}.ipynb"
    path.write_text(nbformat.writes(master_notebook(reference, lang, cases)), encoding="utf-8")
    return path


def runtime_source() -> str:
    """``runtime.py`` with our grader's comparison inlined (the kernel has no optigrade)."""
    source = inspect.getsource(runtime)
    inlined = "\n\n".join(
        inspect.getsource(function)
        for function in (testing.brief, testing._numeric_difference, testing.first_difference)
    )
    lines = [inlined if line.endswith(_INLINE_MARK) else line for line in source.splitlines()]
    return "\n".join(lines) + "\n"


def master_notebook(reference: Reference, lang: str, cases: list[HiddenCase]) -> NotebookNode:
    solved = notebook(reference, lang, with_solutions=True)
    stubs = {
        cell.metadata["optigrade"]["item"]: cell
        for cell in notebook(reference, lang, with_solutions=False).cells
        if cell.metadata["optigrade"]["role"] == "solution"
    }
    config = {
        "name": reference.assignment,
        "requirements": REQUIREMENTS_FILE,
        "files": [CHECKS_FILE],
        "autograder_files": [RUNTIME_FILE, runtime.CASES_FILE, runtime.SUITE_DIR],
        "export_cell": False,
        "generate": True,
        "tests": {"ok_format": False},
    }
    cells = [_raw("# ASSIGNMENT CONFIG", yaml.safe_dump(config, sort_keys=False))]
    for cell in solved.cells:
        meta = cell.metadata["optigrade"]
        role, item = meta["role"], meta["item"]
        if role == "prose" and item is not None:
            # Summed exactly, so that an item's question is worth exactly its points.
            points = sum((case.points for case in cases if case.item == item), Fraction(0))
            question = yaml.safe_dump({"name": item, "points": float(points)}, sort_keys=False)
            cells += [_raw("# BEGIN QUESTION", question), cell]
        elif role == "solution":
            cells += [
                _raw("# BEGIN SOLUTION"),
                _solution_cell(cell, stubs[item].source),
                _raw("# END SOLUTION"),
                _raw("# BEGIN TESTS"),
                _public_test(item),
                *(
                    _hidden_test(case, number)
                    for number, case in enumerate(c for c in cases if c.item == item)
                ),
                _raw("# END TESTS"),
                _raw("# END QUESTION"),
            ]
        elif role != "check":
            cells.append(cell)
    # A stub and its solution share our cell id; ids must be unique (and stable) in one notebook.
    for index, cell in enumerate(cells):
        cell.id = f"otter-{index:03d}"
    return nbformat.v4.new_notebook(cells=cells, metadata=solved.metadata)


def _solution_cell(solved: NotebookNode, stub: str) -> NotebookNode:
    """Our instructor cell for the autograder, our stub for the student, in otter's markers.

    otter keeps a code cell of a SOLUTION block in the student notebook with the marked lines
    cut out; the stub is otter's in-cell prompt, a string literal in the solution version.
    """
    if "'''" in stub:
        raise ValueError("a stub containing ''' cannot be an otter prompt string")
    cell = copy.deepcopy(solved)
    cell.source = (
        f"# BEGIN SOLUTION NO PROMPT\n{solved.source}\n# END SOLUTION\n"
        f"''' # BEGIN PROMPT\n{stub}\n''' # END PROMPT"
    )
    return cell


def _raw(head: str, body: str = "") -> NotebookNode:
    return nbformat.v4.new_raw_cell(f"{head}\n{body}".rstrip("\n"))


def _test_cell(config: dict, function: str, body: str) -> NotebookNode:
    # otter keeps only the function definition and calls it with the notebook's globals as env.
    source = (
        f'""" # BEGIN TEST CONFIG\n{yaml.safe_dump(config, sort_keys=False)}""" # END TEST CONFIG\n'
        f"def {function}(env):\n{body}\n\n{function}(globals())"
    )
    return nbformat.v4.new_code_cell(source)


def _public_test(item: str) -> NotebookNode:
    body = (
        "    from checks import result\n\n"
        f'    outcome = result("{item}", env)\n'
        '    assert outcome.status == "passed", outcome.text'
    )
    return _test_cell({"hidden": False, "points": 0}, "public_checks", body)


def _hidden_test(case: HiddenCase, number: int) -> NotebookNode:
    # otter collects the test functions from one module namespace: each needs its own name.
    body = f"    from optigrade_otter import run_case\n\n    run_case(env, {case.id!r})"
    points = float(case.points)
    return _test_cell({"hidden": True, "points": points}, f"hidden_{number:02d}", body)
