"""The code cells a notebook gets from the course rather than from the student.

:mod:`assignments.build` writes them around the solution cells; the grader recognises them
(``autograder.intake.course``) without importing the builder and its notebook libraries.
"""

from __future__ import annotations

from assignments.content import experiments
from assignments.reference import Reference
from assignments.stubs import setup_source


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
