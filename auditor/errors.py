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


class PatternSchemaError(PatternError):
    """A pattern file lacks a key or holds a value of the wrong type or shape (the message
    names the file and the key path); checked against ``patterns/schemas/`` at load."""

    code = "E101"


class PatternRegexError(PatternError):
    """A regular expression in a pattern file does not compile, or nests repetition so
    that matching could take exponential time (``^(a+)+$``); refused at load."""

    code = "E102"


class PatternKindError(PatternError):
    """A pattern file is loaded that no schema in ``patterns/schemas/`` describes."""

    code = "E103"


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
