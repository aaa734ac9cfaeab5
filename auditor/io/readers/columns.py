"""Column names: which column holds the note id, the text, the line number of a note-line
table, and how column names are shown in error messages without leaking note text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from ...errors import ColumnError

ID_CANDIDATES = (
    "note_id",
    "id",
    "noteid",
    "note id",
    "record_id",
    "document_id",
    "doc_id",
    "encounter_id",
    "row_id",
)
TEXT_CANDIDATES = (
    "text",
    "note_text",
    "note",
    "transcription",
    "body",
    "content",
    "report_text",
    "notetext",
    "document",
    "narrative",
)
# EHR note-line tables (Epic Clarity HNO_NOTE_TEXT and look-alikes): line number and version.
LINE_CANDIDATES = ("line", "line_num", "line_number", "line_no", "note_line", "line_seq")
VERSION_CANDIDATES = (
    "contact_date_real",
    "note_csn_id",
    "note_version",
    "version",
    "contact_num",
    "contact_date",
    "revision",
)
MAX_COLUMN_NAME = 40  # longer "column names" are shown by length only (see column_listing)


def norm(name: Any) -> str:
    """A column name for matching: lower case, stripped, spaces and hyphens as ``_``."""
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


# Other column names common in note exports (setting columns, grouping columns): their
# presence also says the first row is a header.
OTHER_KNOWN = (
    "setting",
    "encounter_type",
    "encounter_class",
    "patient_class",
    "visit_type",
    "place_of_service",
    "pos",
    "provider",
    "specialty",
    "medical_specialty",
    "department",
    "date",
    "note_date",
    "note_type",
    "patient_id",
    "mrn",
    "file",
)


def _known_names() -> set[str]:
    names = (*ID_CANDIDATES, *TEXT_CANDIDATES, *LINE_CANDIDATES, *VERSION_CANDIDATES)
    return {norm(n) for n in (*names, *OTHER_KNOWN)}


def looks_like_header(columns: Iterable[Any]) -> bool:
    """True when at least one name is a column name this product knows (id, text, line,
    version, setting...): then the first row is a header, not a note's first cells."""
    known = _known_names()
    return any(norm(c) in known for c in columns)


def column_listing(columns: list[Any]) -> str:
    """Column names for an error message, without leaking note text.

    A headerless file makes its first record the "header". When no name is one this
    product knows, the first row may be data, and even a one-word cell ("Fever") may be
    note text, so every name is given by position and length only. When the row does look
    like a header, every name up to ``MAX_COLUMN_NAME`` characters is shown.
    """
    header = looks_like_header(columns)
    shown = []
    for i, name in enumerate(columns, start=1):
        name = str(name)
        if len(name) > MAX_COLUMN_NAME or not header:
            shown.append(f"<column {i}: {len(name)} characters, not shown>")
        else:
            shown.append(repr(name))
    return ", ".join(shown) or "(none)"


def _find(columns: list[str], candidates: Iterable[str]) -> str | None:
    """The first column (in candidate order) whose normalised name is a candidate."""
    by_norm: dict[str, str] = {}
    for c in columns:
        by_norm.setdefault(norm(c), c)
    return next((by_norm[norm(c)] for c in candidates if norm(c) in by_norm), None)


def detect_columns(
    columns: list[str], id_col: str | None = None, text_col: str | None = None
) -> tuple[str | None, str]:
    """Choose the id and text columns.

    Args:
        columns: the input's column names.
        id_col, text_col: names the user gave (checked, exact), or None to detect from
            ``ID_CANDIDATES`` / ``TEXT_CANDIDATES`` (case-insensitive; spaces, hyphens and
            underscores alike).

    Returns:
        ``(id_col or None, text_col)``; with no id column, ids are 1-based row numbers.

    Raises:
        ColumnError: a given column is absent, no text column can be chosen, or the
            chosen column name occurs twice; the message lists the columns found
            (``column_listing``: a headerless file's first cells are not shown).
    """
    columns = list(columns)
    listing = column_listing(columns)
    for given, what in ((id_col, "id"), (text_col, "text")):
        if given is not None and given not in columns:
            raise ColumnError(f"{what} column {given!r} not found; columns are: {listing}")
    if text_col is None:
        text_col = _find(columns, TEXT_CANDIDATES)
        if text_col is None:
            hint = "" if looks_like_header(columns) else " (is the header line missing?)"
            raise ColumnError(
                f"cannot tell which column holds the note text; columns are: {listing}. "
                f"Name it with --text-col{hint}."
            )
    if id_col is None:
        id_col = _find(columns, ID_CANDIDATES)
    for chosen in (id_col, text_col):
        if chosen is not None and columns.count(chosen) > 1:
            raise ColumnError(f"column {chosen!r} occurs more than once; columns are: {listing}")
    return id_col, text_col


def check_column(columns: list[str], name: str | None, option: str) -> None:
    """Raise ``ColumnError`` (listing the columns) when ``name`` is given but absent.

    Args:
        columns: the input's columns (``RecordStream.columns``).
        name: the column an option names, or None.
        option: the option's name for the message (``--group-by``).
    """
    if name is not None and name not in columns:
        raise ColumnError(
            f"{option} column {name!r} not found; columns are: {column_listing(columns)}"
        )


def find_column(columns: list[str], candidates: Iterable[str]) -> str | None:
    """The column matching the first of ``candidates`` (normalised names), or None."""
    return _find(list(columns), candidates)
