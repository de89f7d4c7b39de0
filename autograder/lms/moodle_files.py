"""``moodle_feedback_files.zip``: each student's feedback page for Moodle's "Upload multiple
feedback files in a zip".

Derived from Moodle's ``mod/assign/feedback/file/importziplib.php`` (Moodle 4.x,
``is_valid_filename_for_import``): every path part of an entry is split at ``_`` into at most
five fields, ``fullname_participantid_plugintype_pluginname_rest``; the second must be the
participant id (a number), the third and fourth name the plugin (``assignfeedback``, ``file``)
and the rest is the file's name. Entries whose name starts with ``.`` or ``~`` are ignored.
So the full name must hold no ``_`` (it would shift the fields) and no ``/``; both become spaces.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from autograder.lms.standing import MISSING, Standing
from autograder.reports import safe_name

NAME = "moodle_feedback_files.zip"
PLUGIN = "assignfeedback_file"


def entry_name(full_name: str, participant: str, file_name: str) -> str:
    """``Full Name_5001_assignfeedback_file_feedback.html``: the flat layout (the file lands
    at the top of the student's feedback files)."""
    shown = "".join(" " if c in "_/\\" or not c.isprintable() else c for c in full_name)
    shown = " ".join(shown.split()).lstrip(".~") or "student"
    return f"{shown}_{participant}_{PLUGIN}_{file_name}"


def write_feedback_zip(
    path: Path, feedback: Path, assignment: str, standings: list[Standing]
) -> int:
    """Zip ``feedback/<student>.html`` of every roster student with a Moodle participant id
    and a submission; return how many were packed."""
    count = 0
    file_name = f"feedback_{assignment}.html"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for standing in standings:
            student = standing.student
            page = feedback / f"{safe_name(student.student_id)}.html"
            if not student.moodle_participant_id or standing.status == MISSING:
                continue
            if not page.is_file():
                continue
            name = entry_name(student.name, student.moodle_participant_id, file_name)
            archive.write(page, name)
            count += 1
    return count
