"""The note record that flows from readers to the core, and text clean-up."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

NOTE_COLUMNS = ["note_id", "status", "n_injections", "missing", "flags", "advisories", "error"]
EVENT_COLUMNS = [
    "note_id",
    "event_id",
    "medication",
    "medication_text",
    "route",
    "dose_value",
    "dose_unit",
    "site",
    "laterality",
    "indication",
    "response",
    "provider",
    "evidence",
    "eligible",
    "missing",
    "flags",
    "advisories",
    "start",
    "end",
]
EVIDENCE_FIELDS = ("medication_text", "indication", "response", "provider", "evidence")


@dataclass
class NoteRecord:
    """One input record.

    Attributes:
        row: 1-based position in the input.
        note_id: from the id column or file stem; ``str(row)`` when there is none.
        text: the note text, or None when it could not be read.
        error: why the record could not be read (never contains note text), else None.
        extra: other input columns, kept for grouping.
    """

    row: int
    note_id: str
    text: str | None
    error: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def coerce_text(value: Any) -> tuple[str | None, str | None]:
    """Turn a raw cell into note text.

    Returns:
        ``(text, None)`` or ``(None, error message)``. Bytes are decoded as UTF-8;
        missing values (None, NaN) and non-string cells are errors that name the type only.
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None, "missing text (empty cell)"
    if isinstance(value, bytes | bytearray):
        try:
            value = bytes(value).decode("utf-8")
        except UnicodeDecodeError as exc:
            return None, f"text is not valid UTF-8 (byte offset {exc.start})"
    if not isinstance(value, str):
        return None, f"text is not a string (got {type(value).__name__})"
    return value, None


def clean_text(text: str) -> str:
    """Make text safe for the pipeline without moving any character offset.

    A BOM and NUL bytes become spaces, lone surrogates become U+FFFD; every replacement
    is one character for one, so event offsets still index the original text.
    """
    if text.startswith("\ufeff"):
        text = " " + text[1:]
    if "\x00" in text:
        text = text.replace("\x00", " ")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = "".join("\ufffd" if 0xD800 <= ord(ch) <= 0xDFFF else ch for ch in text)
    return text
