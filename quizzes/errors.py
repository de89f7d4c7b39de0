"""Specific errors of the quiz toolkit; every message says what to do next."""

from __future__ import annotations


class QuizError(Exception):
    """Base class of every quiz error the command line reports without a traceback."""


class BankError(QuizError):
    """An item file is malformed: the message names the file and the field to fix."""


class UnknownTopicError(QuizError):
    """A topic was asked for that no item of the bank has."""


class UnknownItemError(QuizError):
    """An item id was asked for that is not in the bank."""


class DegenerateItemError(QuizError):
    """An item could not produce a valid variant (its distractors keep hitting the answer)."""


class RosterError(QuizError):
    """The roster CSV cannot be used (missing ``student_id`` column, duplicates, empty)."""


class ExportError(QuizError):
    """An export could not be written (e.g. Chromium is missing for the PDF)."""
