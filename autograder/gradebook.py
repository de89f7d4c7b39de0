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
CREATE TABLE IF NOT EXISTS overrides (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    assignment TEXT NOT NULL,
    action     TEXT NOT NULL CHECK (action IN ('set', 'drop')),
    student    TEXT,
    item       TEXT,
    points     REAL,
    old_points REAL,
    reason     TEXT NOT NULL,
    by_whom    TEXT NOT NULL,
    at         REAL NOT NULL
);
CREATE TRIGGER IF NOT EXISTS overrides_no_update BEFORE UPDATE ON overrides
BEGIN SELECT RAISE(ABORT, 'the override history is append-only'); END;
CREATE TRIGGER IF NOT EXISTS overrides_no_delete BEFORE DELETE ON overrides
BEGIN SELECT RAISE(ABORT, 'the override history is append-only'); END;
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
        columns = {row[1] for row in self.db.execute("PRAGMA table_info(overrides)")}
        if "content_hash" not in columns:  # a gradebook of before overrides knew their file
            self.db.execute("ALTER TABLE overrides ADD COLUMN content_hash TEXT")

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
        stored = record.get("provenance")
        if (
            isinstance(stored, dict)
            and isinstance(provenance, dict)
            and stored.get("time_source") == "moodle-worksheet"
            and provenance.get("time_source") != "moodle-worksheet"
        ):
            # A run without the worksheet knows less of the same file's time, not more: the
            # worksheet's time stays (a later worksheet replaces it).
            times = {k: stored.get(k) for k in ("submitted_at", "time_source")}
            provenance = {**provenance, **times}
        if stored == provenance:
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

    def result(self, assignment: str, student: str) -> dict[str, Any] | None:
        """One student's stored record (well formed, as :meth:`results` gives it), or None."""
        row = self.db.execute(
            "SELECT result FROM results WHERE assignment=? AND student=?", (assignment, student)
        ).fetchone()
        return None if row is None else stored(row[0], assignment, student)

    def add_override(
        self,
        assignment: str,
        student: str,
        item: str,
        points: float,
        old_points: float,
        reason: str,
        by: str,
        content_hash: str | None = None,
    ) -> dict[str, Any]:
        """Append a TA's manual change of one item's points (the history is never rewritten:
        the table refuses updates and deletes) and return it as :meth:`overrides` shows it.
        ``content_hash``: the submission it judged; a new submission is not judged by it."""
        at = time.time()
        self.db.execute(
            "INSERT INTO overrides (assignment, action, student, item, points, old_points,"
            " reason, by_whom, at, content_hash) VALUES (?, 'set', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                assignment, student, item, float(points), float(old_points), reason, by, at,
                content_hash,
            ),
        )  # fmt: skip
        made = _override(student, item, points, old_points, reason, by, at)
        return {**made, "content_hash": content_hash}

    def drop_overrides(self, assignment: str, reason: str, by: str) -> int:
        """Stop applying every override of ``assignment`` made so far (they stay in the
        history); return how many were in force."""
        count = sum(len(items) for items in self.overrides(assignment).values())
        self.db.execute(
            "INSERT INTO overrides (assignment, action, reason, by_whom, at)"
            " VALUES (?, 'drop', ?, ?, ?)",
            (assignment, reason, by, time.time()),
        )
        return count

    def overrides(self, assignment: str) -> dict[str, dict[str, dict[str, Any]]]:
        """The overrides in force: student -> item -> the latest one made after the last
        drop, with who, when (Unix time), why and the value it replaced."""
        (last_drop,) = self.db.execute(
            "SELECT COALESCE(MAX(id), 0) FROM overrides WHERE assignment=? AND action='drop'",
            (assignment,),
        ).fetchone()
        in_force: dict[str, dict[str, dict[str, Any]]] = {}
        rows = self.db.execute(
            "SELECT student, item, points, old_points, reason, by_whom, at, content_hash"
            " FROM overrides WHERE assignment=? AND action='set' AND id>? ORDER BY id",
            (assignment, last_drop),
        )
        for student, item, points, old_points, reason, by, at, judged in rows:
            entry = _override(student, item, points, old_points, reason, by, at)
            in_force.setdefault(student, {})[item] = {**entry, "content_hash": judged}
        return in_force

    def override_history(self, assignment: str) -> list[dict[str, Any]]:
        """Every override and drop of ``assignment``, oldest first."""
        rows = self.db.execute(
            "SELECT action, student, item, points, old_points, reason, by_whom, at"
            " FROM overrides WHERE assignment=? ORDER BY id",
            (assignment,),
        )
        return [
            {"action": action, **_override(student, item, points, old, reason, by, at)}
            for action, student, item, points, old, reason, by, at in rows
        ]

    def close(self) -> None:
        self.db.close()


def _override(
    student: str | None,
    item: str | None,
    points: float | None,
    old_points: float | None,
    reason: str,
    by: str,
    at: float,
) -> dict[str, Any]:
    return {
        "student": student,
        "item": item,
        "points": points,
        "old_points": old_points,
        "reason": reason,
        "by": by,
        "at": at,
    }
