"""Build the bundles: per language and assignment a student notebook and an instructor copy.

Layout (every language in its own folder, so bundles never collide)::

    OUT/<lang>/student/<assignment>/<assignment>.ipynb + checks.py
    OUT/<lang>/instructor/<assignment>/<assignment>.ipynb + checks.py

The build is deterministic: the same reference and templates give byte-identical files (cell
ids come from the cell's position and role, the data is written in a fixed order).
"""

from __future__ import annotations

import inspect
import pprint
from collections.abc import Iterable
from pathlib import Path

import nbformat
from nbformat.notebooknode import NotebookNode

from assignments import checks_runtime
from assignments.cases import public_cases
from assignments.content import experiments, prose
from assignments.messages import render_messages
from assignments.reference import Reference, assignments
from assignments.stubs import setup_source, solution_source, stub_source
from optigrade.i18n import check_lang

ROLES = ("setup", "solution", "check", "experiment", "prose")
BUNDLES = ("student", "instructor")
CHECKS_FILE = "checks.py"


def build(
    out: Path, langs: Iterable[str], references: Iterable[Reference] | None = None
) -> list[Path]:
    """Write every bundle for ``langs`` under ``out``; return the files written, in order."""
    refs = (
        list(references) if references is not None else [Reference.load(a) for a in assignments()]
    )
    written = []
    for lang in map(check_lang, langs):
        for reference in refs:
            checks = checks_source(reference, lang)
            for bundle in BUNDLES:
                folder = out / lang / bundle / reference.assignment
                folder.mkdir(parents=True, exist_ok=True)
                nb = notebook(reference, lang, with_solutions=bundle == "instructor")
                notebook_path = folder / f"{reference.assignment}.ipynb"
                notebook_path.write_text(nbformat.writes(nb), encoding="utf-8")
                (folder / CHECKS_FILE).write_text(checks, encoding="utf-8")
                written += [notebook_path, folder / CHECKS_FILE]
    return written


def notebook(reference: Reference, lang: str, *, with_solutions: bool) -> NotebookNode:
    """One assignment notebook; ``with_solutions`` fills in the reference (instructor copy)."""
    code = solution_source if with_solutions else stub_source
    experiment_code = experiments(reference)
    cells: list[NotebookNode] = []

    def add(role: str, item: str | None, source: str) -> None:
        maker = nbformat.v4.new_markdown_cell if role == "prose" else nbformat.v4.new_code_cell
        cell = maker(source)
        cell.id = f"{len(cells):02d}-{role}-{item or reference.assignment}"
        cell.metadata = {"optigrade": {"role": role, "item": item}, "tags": [f"optigrade:{role}"]}
        cells.append(cell)

    for section in prose(reference, lang):
        add("prose", section.name if section.kind == "item" else None, section.text)
        if section.kind == "intro":
            add("setup", None, setup_cell(reference))
        elif section.kind == "item":
            assert section.name is not None
            add("solution", section.name, code(reference.source, section.name))
            add("check", section.name, check_cell(section.name))
        elif section.kind == "experiment":
            add("experiment", section.name, experiment_code[section.name or ""])
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = {
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"},
        "optigrade": {
            "assignment": reference.assignment,
            "lang": lang,
            "bundle": "instructor" if with_solutions else "student",
        },
    }
    nbformat.validate(nb)
    return nb


def check_cell(item: str) -> str:
    """The public check cell of ``item``."""
    return f'check("{item}")'


def course_cells(reference: Reference) -> dict[str, list[str]]:
    """The code cells the build writes around the student's own, by role: what the grader
    recognises as the course's (``autograder.intake.course``) rather than the student's."""
    return {
        "setup": [setup_cell(reference)],
        "check": [check_cell(item) for item in reference.items],
        "experiment": list(experiments(reference).values()),
    }


def setup_cell(reference: Reference) -> str:
    """The reference module's imports and aliases, then the public checks."""
    return f"{setup_source(reference.source)}\n\nfrom checks import check, pyplot, ready"


def checks_source(reference: Reference, lang: str) -> str:
    """``checks.py``: the numpy-only runtime followed by this assignment's cases as data."""
    data = {
        "assignment": reference.assignment,
        "lang": lang,
        "messages": render_messages(lang),
        "cases": public_cases(reference),
    }
    header = (
        f"# Public checks for the `{reference.assignment}` notebook ({lang}).\n"
        "# Generated by `optigrade assign`: edits are overwritten by the next build.\n"
    )
    body = pprint.pformat(data, width=100, sort_dicts=False)
    return f"{header}{inspect.getsource(checks_runtime)}\n\n_DATA = {body}\n"
