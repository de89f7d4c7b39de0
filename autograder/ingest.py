"""The intake's public names where they always were (the package is :mod:`autograder.intake`)."""

from autograder.intake import (
    MAX_CODE_CHARS,
    MAX_FILE_BYTES,
    MAX_ZIP_BYTES,
    MAX_ZIP_ENTRIES,
    SKIPPED_ROLES,
    SUBMISSION_SUFFIXES,
    Discovery,
    Ingested,
    IngestError,
    Submission,
    content_hash,
    discover,
    ingest,
    neutralise_magics,
    student_id_from_name,
    warm_up,
)

__all__ = [
    "MAX_CODE_CHARS",
    "MAX_FILE_BYTES",
    "MAX_ZIP_BYTES",
    "MAX_ZIP_ENTRIES",
    "SKIPPED_ROLES",
    "SUBMISSION_SUFFIXES",
    "Discovery",
    "IngestError",
    "Ingested",
    "Submission",
    "content_hash",
    "discover",
    "ingest",
    "neutralise_magics",
    "student_id_from_name",
    "warm_up",
]
