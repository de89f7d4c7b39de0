"""What a grading worker is asked to do: the settings of a batch, and one task per student.

Kept apart from :mod:`autograder.engine` so that the batch's main process, which never runs a
test, can describe work without importing pytest and the notebook reader.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from autograder.sandbox.client import Timeouts
from autograder.sandbox.isolation import Limits


@dataclass(frozen=True)
class Task:
    """One student's submission to grade."""

    student: str
    files: list[str]
    content_hash: str
    #: Each file's name in the submission (an archive entry is extracted under a generated
    #: name); empty: each path's own name.
    names: list[str] = field(default_factory=list)
    #: What intake refused of this student's ("where: why"): status ``refused`` if nothing
    #: else is left to grade, else notes.
    refused: list[str] = field(default_factory=list)
    #: Intake's notes (which of several files was graded, and why): the record's first notes.
    notes: list[str] = field(default_factory=list)
    #: Where the submission came from (``autograder.intake.provenance``), as stored.
    provenance: dict[str, Any] | None = None


@dataclass(frozen=True)
class Settings:
    assignment: str
    suite_version: str
    limits: Limits = field(default_factory=Limits)
    timeouts: Timeouts = field(default_factory=Timeouts)
    #: Sandboxes compute the replies to the suite's recorded traces up front, in one go.
    plan: bool = True
    #: A test's outcome is reused for a submission whose answers are the same bytes.
    reuse_outcomes: bool = True
