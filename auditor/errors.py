"""Coded errors. Messages never include note text (PHI)."""

from __future__ import annotations


class AuditorError(Exception):
    """Base class; ``code`` is stable and documented in the README."""

    code = "E000"

    def __init__(self, message: str) -> None:
        super().__init__(f"[{self.code}] {message}")
        self.message = message


class PatternError(AuditorError):
    """A pattern file is missing, unreadable or fails its schema check."""

    code = "E100"


class InputError(AuditorError):
    """The input export cannot be read as a whole (format, columns, encoding)."""

    code = "E200"


class ColumnError(InputError):
    """The id or text column cannot be found or chosen; the message lists the columns."""

    code = "E201"


class OutputError(AuditorError):
    """The report folder cannot be written (exists without --force, not writable)."""

    code = "E300"


class DecisionsError(InputError):
    """A review decisions file cannot be read or a line is malformed (the line is named)."""

    code = "E250"


class SampleError(InputError):
    """A sample cannot be drawn or appraised (report or sample folder, options)."""

    code = "E260"
