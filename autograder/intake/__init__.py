"""Intake: from what a TA hands over (files, folders, LMS zips) to each student's code cells.

Everything here reads untrusted bytes and names, so every step is bounded and every failure is
a recorded reason instead of an exception: a bad file is a row in the gradebook, not a crashed
batch. The main process calls :func:`discover` (which files are whose) and :func:`content_hash`
(skip what is already graded); each grading worker calls :func:`ingest` (files to code cells).

* :mod:`~autograder.intake.discover`: the TA's paths to one submission per student;
* :mod:`~autograder.intake.layout`: whose file is it (folders, LMS names, wrappers);
* :mod:`~autograder.intake.provenance`: where a submission came from, and which file is graded;
* :mod:`~autograder.intake.worksheet`: Moodle's grading worksheet, for submission times;
* :mod:`~autograder.intake.archive`: a zip reader that loses an entry, not the archive;
* :mod:`~autograder.intake.files`: opening without following links or blocking;
* :mod:`~autograder.intake.names`: names of any encoding to printable Unicode, and ids;
* :mod:`~autograder.intake.reader`: a student's files to code cells;
* :mod:`~autograder.intake.course`: the course notebook's own cells, told from the student's;
* :mod:`~autograder.intake.magics`: IPython magics made harmless;
* :mod:`~autograder.intake.texts`: every reason, in Korean and English.
"""

from autograder.intake.course import CourseCells
from autograder.intake.discover import (
    MAX_ZIP_BYTES,
    MAX_ZIP_ENTRIES,
    SUBMISSION_SUFFIXES,
    Discovery,
    IngestError,
    Intake,
    Submission,
    discover,
)
from autograder.intake.magics import neutralise_magics
from autograder.intake.names import student_id_from_name
from autograder.intake.provenance import Provenance
from autograder.intake.reader import (
    MAX_CODE_CHARS,
    MAX_FILE_BYTES,
    CellOrigin,
    Ingested,
    content_hash,
    ingest,
    warm_up,
)

__all__ = [
    "MAX_CODE_CHARS",
    "MAX_FILE_BYTES",
    "MAX_ZIP_BYTES",
    "MAX_ZIP_ENTRIES",
    "SUBMISSION_SUFFIXES",
    "CellOrigin",
    "CourseCells",
    "Discovery",
    "IngestError",
    "Ingested",
    "Intake",
    "Provenance",
    "Submission",
    "content_hash",
    "discover",
    "ingest",
    "neutralise_magics",
    "student_id_from_name",
    "warm_up",
]
