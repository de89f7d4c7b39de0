"""The gradebook: every result, committed to SQLite the moment its submission finishes.

It is the only authoritative copy; CSV, Gradescope JSON and feedback files are exports of it.
A batch killed at any point (even with SIGKILL) loses at most the submissions in flight: on the
next run, a submission whose content hash and suite version match a stored result is skipped.

Only well-formed records go in, and only well-formed records come out (``autograder.record``):
a stored result of any other shape (written by an older version, or edited by hand) is read as
that student's ``internal_error`` and is graded again by the next run, never an exception in
``grade`` or ``report``.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

from autograder.record import Record, RecordError, checked, stored
from optigrade.i18n import DEFAULT_LANG, LANGS, check_lang

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    assignment    TEXT NOT NULL,
    student       TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    suite_version TEXT NOT NULL,
    status        TEXT NOT NULL,
    score         REAL NOT NULL,
    max_score     REAL NOT NULL,
    seconds       REAL NOT NULL,
    graded_at     REAL NOT NULL,
    result        TEXT NOT NULL,
    PRIMARY KEY (assignment, student)
);
CREATE TABLE IF NOT EXISTS feedback_language (
    assignment TEXT PRIMARY KEY,
    lang       TEXT NOT NULL
);
"""


class Gradebook:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, timeout=30, isolation_level=None)
        # WAL: a reader (``optigrade report``) never blocks the grader, and a crash mid-write
        # leaves the last committed results intact.
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(_SCHEMA)

    def is_current(
        self, assignment: str, student: str, content_hash: str, suite_version: str
    ) -> bool:
        row = self.db.execute(
            "SELECT result FROM results WHERE assignment=? AND student=?"
            " AND content_hash=? AND suite_version=?",
            (assignment, student, content_hash, suite_version),
        ).fetchone()
        if row is None:
            return False
        try:  # a stored record that is not well formed is graded again
            checked(json.loads(row[0]))
        except (RecordError, ValueError, TypeError, RecursionError):
            return False
        return True

    def record(self, result: dict[str, Any]) -> None:
        """Store one submission's result (replacing an older one) and commit at once.

        Raises :class:`~autograder.record.RecordError` if ``result`` is not a well-formed
        record: nothing malformed is ever stored.
        """
        if not isinstance(result, Record):  # checked already as it arrived (batch)
            result = checked(result)
        self.db.execute(
            "INSERT OR REPLACE INTO results VALUES (?,?,?,?,?,?,?,?,?,?)",
            (
                result["assignment"],
                result["student"],
                result["content_hash"],
                result["suite_version"],
                result["status"],
                float(result["score"]),
                float(result["max_score"]),
                float(result.get("seconds", 0.0)),
                time.time(),
                # Key order kept: items and inputs stay in the suite's order in every export.
                json.dumps(result, ensure_ascii=False, allow_nan=False),
            ),
        )

    def set_provenance(
        self, assignment: str, student: str, provenance: dict[str, Any] | None
    ) -> None:
        """Store where a student's stored result came from, when it says something else now
        (the same file, with a submission time learnt since); a stored record that is not
        well formed is left for the next run to grade again."""
        row = self.db.execute(
            "SELECT result FROM results WHERE assignment=? AND student=?", (assignment, student)
        ).fetchone()
        if row is None:
            return
        try:
            record = checked(json.loads(row[0]))
        except (RecordError, ValueError, TypeError, RecursionError):
            return
        if record.get("provenance") == provenance:
            return
        record["provenance"] = provenance
        text = json.dumps(checked(record), ensure_ascii=False, allow_nan=False)
        self.db.execute(
            "UPDATE results SET result=? WHERE assignment=? AND student=?",
            (text, assignment, student),
        )

    def language(self, assignment: str, chosen: str | None) -> str:
        """The language of ``assignment``'s feedback: ``chosen`` (then remembered for this
        gradebook), else the one chosen last (a rerun of ``grade`` after ``report --lang en``
        keeps English), else Korean."""
        if chosen is not None:
            lang = check_lang(chosen)
            self.db.execute(
                "INSERT OR REPLACE INTO feedback_language VALUES (?, ?)", (assignment, lang)
            )
            return lang
        row = self.db.execute(
            "SELECT lang FROM feedback_language WHERE assignment=?", (assignment,)
        ).fetchone()
        return row[0] if row is not None and row[0] in LANGS else DEFAULT_LANG

    def count(self, assignment: str) -> int:
        """How many students of ``assignment`` have a result."""
        (count,) = self.db.execute(
            "SELECT COUNT(*) FROM results WHERE assignment=?", (assignment,)
        ).fetchone()
        return int(count)

    def results(self, assignment: str | None = None) -> Iterator[dict[str, Any]]:
        """Every stored record (of ``assignment``), in student order, each well formed."""
        query = "SELECT assignment, student, result FROM results"
        params: tuple[str, ...] = ()
        if assignment:
            query += " WHERE assignment=?"
            params = (assignment,)
        with closing(self.db.execute(query + " ORDER BY student", params)) as cursor:
            for row_assignment, student, text in cursor:
                yield stored(text, str(row_assignment), str(student))

    def close(self) -> None:
        self.db.close()
