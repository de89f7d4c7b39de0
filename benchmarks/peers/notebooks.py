"""The benchmark's class of submissions, and the notebook shape each grader expects.

A submission is a list of *parts* in notebook order: ``("setup", code)``, ``(item, code)`` for
each item the student wrote, and ``(None, code)`` for a cell of their own. The same parts are
then written three ways: a plain notebook for optigrade (cells without metadata are executed),
the otter student notebook with the student's code in its solution cells, and the nbgrader
release notebook (cell ids and ``nbgrader`` metadata from ``generate_assignment``) likewise.

The code comes from ``examples/synthetic_class.py`` (the reference restyled, the classic
mistakes, the broken cells), so the benchmark grades what the demo and the tests grade.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass
from pathlib import Path

import nbformat

from benchmarks.peers.suite import ASSIGNMENT, ITEMS, PeerTest
from examples.synthetic_class import BROKEN, MUTATIONS, item_sources, preamble, restyle

Part = tuple[str | None, str]

# Accepted formulations the grading policy names, written as students write them (text edits of
# the reference), so that "correct" covers more than one way of writing each optimizer.
EQUIVALENT_STYLES: dict[str, list[tuple[str, str, str]]] = {
    "eps_inside_sqrt": [
        ("AdaGrad", "/ (np.sqrt(self.h[key]) + self.eps)", "/ np.sqrt(self.h[key] + self.eps)"),
        ("RMSProp", "/ (np.sqrt(self.h[key]) + self.eps)", "/ np.sqrt(self.h[key] + self.eps)"),
        ("Adam", "/ (np.sqrt(v_hat) + self.eps)", "/ np.sqrt(v_hat + self.eps)"),
    ],
    "adam_folded_bias_correction": [
        (
            "Adam",
            "m_hat = self.m[key] / (1 - self.beta1**self.t)",
            "lr_t = self.lr * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)",
        ),
        ("Adam", "v_hat = self.v[key] / (1 - self.beta2**self.t)", ""),
        (
            "Adam",
            "params[key] -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)",
            "params[key] -= lr_t * self.m[key] / (np.sqrt(self.v[key]) + self.eps)",
        ),
    ],
}


@dataclass(frozen=True)
class Submission:
    student: str
    category: str  # "correct:<style>", "mistake:<item>" or "broken:<kind>"
    parts: list[Part]
    wrong: tuple[str, ...] = ()  # items written wrongly (the rest of those present are right)

    def expected_full(self) -> dict[str, bool]:
        """Which items a right grader gives full marks (the rest: less than full)."""
        present = {role for role, _ in self.parts}
        return {item: item in present and item not in self.wrong for item in ITEMS}


def _edit(source: str, edits: list[tuple[str, str, str]], item: str) -> str:
    for target, old, new in edits:
        if target == item:
            if old not in source:
                raise ValueError(f"{item}: {old!r} not in the reference source")
            source = source.replace(old, new)
    return source


def make_batch(count: int = 40, seed: int = 6) -> list[Submission]:
    """``count`` submissions: each classic mistake once, four broken ones, the rest correct.

    Broken: a syntax error, a missing class (Adam), and two infinite loops (one at the top
    level of a cell of its own, one inside ``SGD.update`` so that it runs only when tested).
    """
    rng = random.Random(seed)
    sources = item_sources(ASSIGNMENT)
    setup = preamble(ASSIGNMENT)
    mistakes = MUTATIONS[ASSIGNMENT]
    broken = ["syntax_error", "missing_item", "infinite_loop", "infinite_loop_in_update"]
    styles = ["restyled", *EQUIVALENT_STYLES]
    batch = []
    for index in range(count):
        parts: list[Part] = [("setup", setup)]
        if index < len(mistakes):
            style = "mistake"
        elif index < len(mistakes) + len(broken):
            style = "broken"
        else:
            style = styles[index % len(styles)]
        for item, src in sources.items():
            if style in EQUIVALENT_STYLES:  # before restyle, which rewrites `-=`
                src = _edit(src, EQUIVALENT_STYLES[style], item)
            src = restyle(src, rng)
            parts.append((item, src))
        category, wrong = f"correct:{style}", ()
        if style == "mistake":
            item, old, new = mistakes[index]
            position = 1 + ITEMS.index(item)
            parts[position] = (item, parts[position][1].replace(old, new))
            category, wrong = f"mistake:{item}", (item,)
        elif style == "broken":
            kind = broken[index - len(mistakes)]
            category = f"broken:{kind}"
            if kind == "infinite_loop_in_update":
                head = "def update(self, params: Arrays, grads: Arrays) -> None:\n"
                loop = head + "        while True:  # waits for a condition that never comes\n"
                parts[1] = ("SGD", parts[1][1].replace(head, loop + "            pass\n"))
                wrong = ("SGD",)
            else:
                # BROKEN works on the bare list of cell sources; keep the roles of the cells
                # it did not touch (a cell it added or changed is the student's own).
                known = {src: role for role, src in parts}
                parts = [(known.get(src), src) for src in BROKEN[kind]([s for _, s in parts])]
        student = f"s{index:02d}_{category.replace(':', '_')}"
        batch.append(Submission(student, category, parts, wrong))
    return batch


# -- optigrade ---------------------------------------------------------------------------------


def optigrade_notebook(submission: Submission) -> nbformat.NotebookNode:
    """The plain notebook a student hands in: every part a code cell, no metadata needed."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(src, id=f"cell-{i}")
        for i, (_, src) in enumerate(submission.parts)
    ]
    return nb


# -- otter -------------------------------------------------------------------------------------

SETUP_MARK = "# setup"


def _item_mark(item: str) -> str:
    return f"# item: {item}"


def otter_master(
    tests: list[PeerTest], setup: str, sources: dict[str, str]
) -> nbformat.NotebookNode:
    """An ``otter assign`` master notebook (format v1) with our suite's tests, all hidden."""
    raw = nbformat.v4.new_raw_cell
    config = (
        "# ASSIGNMENT CONFIG\n"
        f"name: {ASSIGNMENT}\n"
        "init_cell: false\n"
        "check_all_cell: false\n"
        "export_cell: false\n"
        "run_tests: true\n"
        "tests:\n"
        "  ok_format: false\n"
    )
    cells = [raw(config), nbformat.v4.new_code_cell(f"{SETUP_MARK}\n{setup}")]
    for item in ITEMS:
        cells += [
            raw(f"# BEGIN QUESTION\nname: {item}"),
            nbformat.v4.new_markdown_cell(f"Implement `{item}` (COURSE_SPEC, assignment 1)."),
            raw("# BEGIN SOLUTION"),
            nbformat.v4.new_code_cell(
                f"{_item_mark(item)}\n# BEGIN SOLUTION\n{sources[item]}# END SOLUTION\n"
            ),
            raw("# END SOLUTION"),
            raw("# BEGIN TESTS"),
        ]
        for test in (t for t in tests if t.item == item):
            config = (
                f'""" # BEGIN TEST CONFIG\npoints: {test.points}\nhidden: true\n'
                '""" # END TEST CONFIG\n'
            )
            cells.append(nbformat.v4.new_code_cell(config + test.function_source()))
        cells += [raw("# END TESTS"), raw("# END QUESTION")]
    return _python_notebook(cells)


def otter_submission(
    student_nb: nbformat.NotebookNode, submission: Submission
) -> nbformat.NotebookNode:
    """The otter student notebook with the student's parts written into its cells."""
    marks = {SETUP_MARK: "setup", **{_item_mark(item): item for item in ITEMS}}

    def role(cell: nbformat.NotebookNode) -> str | None:
        first = cell.source.split("\n", 1)[0].strip() if cell.cell_type == "code" else ""
        return marks.get(first)

    return _fill(student_nb, submission, role)


# -- nbgrader ----------------------------------------------------------------------------------


def _nbgrader(cell: nbformat.NotebookNode, grade_id: str, **flags: object) -> nbformat.NotebookNode:
    cell.metadata["nbgrader"] = {
        "grade": False,
        "solution": False,
        "locked": False,
        "schema_version": 3,
        "grade_id": grade_id,
        **flags,
    }
    return cell


def nbgrader_source(
    tests: list[PeerTest], setup: str, sources: dict[str, str]
) -> nbformat.NotebookNode:
    """An nbgrader source notebook: a solution cell per item, a hidden-test cell per test."""
    code = nbformat.v4.new_code_cell
    cells = [_nbgrader(code(setup), "setup", solution=True)]
    for item in ITEMS:
        cells.append(
            nbformat.v4.new_markdown_cell(f"Implement `{item}` (COURSE_SPEC, assignment 1).")
        )
        solution = f"### BEGIN SOLUTION\n{sources[item]}### END SOLUTION\n"
        cells.append(_nbgrader(code(solution), item, solution=True))
        for test in (t for t in tests if t.item == item):
            hidden = f"### BEGIN HIDDEN TESTS\n{test.call_source()}### END HIDDEN TESTS\n"
            cells.append(
                _nbgrader(code(hidden), test.name, grade=True, locked=True, points=test.points)
            )
    return _python_notebook(cells)


def nbgrader_submission(
    release_nb: nbformat.NotebookNode, submission: Submission
) -> nbformat.NotebookNode:
    """The released notebook with the student's parts written into its solution cells."""

    def role(cell: nbformat.NotebookNode) -> str | None:
        meta = cell.metadata.get("nbgrader", {})
        return meta.get("grade_id") if meta.get("solution") else None

    return _fill(release_nb, submission, role)


# -- shared ------------------------------------------------------------------------------------


def _python_notebook(cells: list[nbformat.NotebookNode]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    return nb


def _new_cell(source: str, index: int) -> nbformat.NotebookNode:
    return nbformat.v4.new_code_cell(source, id=f"student-{index}")


def _fill(released, submission: Submission, role) -> nbformat.NotebookNode:
    """A copy of ``released`` with ``submission`` in it: each part in the cell of its role.

    A cell whose role the student left out (a missing item) is emptied, as a student who
    deleted their code leaves it; a cell of the student's own goes right after the cell of
    the part before it, where the student put it.
    """
    nb = copy.deepcopy(released)
    given = {r: src for r, src in submission.parts if r is not None}
    cells, extra = [], 0
    after: dict[str | None, list[str]] = {}
    previous: str | None = None
    for r, src in submission.parts:
        if r is None:
            after.setdefault(previous, []).append(src)
        else:
            previous = r
    for cell in nb.cells:
        r = role(cell)
        if r is not None:
            cell.source = given.get(r, "")
            cell.outputs, cell.execution_count = [], None
        cells.append(cell)
        for src in after.pop(r, []) if r is not None else []:
            cells.append(_new_cell(src, extra))
            extra += 1
    for sources in after.values():  # own cells before the first known part: at the top
        cells[:0] = [_new_cell(src, extra + i) for i, src in enumerate(sources)]
    nb.cells = cells
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.validate(nb)
    nbformat.write(nb, str(path))
    return path
