"""What every reader shares: the record stream, record builders, per-cell RTF conversion.

Every reader yields ``records.NoteRecord``s, one per input record, in input order. A
reader is a generator function ``reader(stream, source, options)`` wrapped in a
``RecordStream``, which it tells its columns (once the header is read) and stream-level
counts (``info``, merged into ``run.json`` by ``records.InputTally``); ``options`` is the
one ``ReadOptions`` every reader takes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

from ...errors import ColumnError
from ...frames import is_missing
from ...records import NoteRecord, Text, coerce_text
from .columns import column_listing

RTF_MAGIC = "{\\rtf"


@dataclass(frozen=True)
class ReadOptions:
    """What the user told the readers (``auditor audit`` options); None: detected/default.

    Attributes:
        id_col, text_col: the note id and text columns (``--id-col``, ``--text-col``).
        sheet: the Excel sheet, by name or 1-based number (``--sheet``).
        sep: the CSV delimiter: a character or a name such as ``tab``
            (``delimited.parse_sep``).
        line_col: the line-number column of a note-line table (``--line-col``).
    """

    id_col: str | None = None
    text_col: str | None = None
    sheet: str | None = None
    sep: str | None = None
    line_col: str | None = None


class RecordStream(Iterator[NoteRecord]):
    """An iterator of ``NoteRecord``s that also says what it read.

    Attributes:
        columns: the input's column names (None until the header has been read, i.e. until
            the first ``next``); for inputs without columns (text files, HL7, FHIR), the
            columns the reader makes (``file``, ``subject``, ...).
        id_col, text_col: the columns chosen (None where there are none).
        info: stream-level counts for ``run.json`` (note-line folding, skipped resources);
            complete once the stream is exhausted.
        format: the input format's name (``csv``, ``xlsx``, ``fhir``, ...).
    """

    def __init__(self, fmt: str, make: Callable[[RecordStream], Iterator[NoteRecord]]) -> None:
        self.format = fmt
        self.columns: list[str] | None = None
        self.id_col: str | None = None
        self.text_col: str | None = None
        self.info: dict[str, Any] = {}
        self._records = make(self)

    def __iter__(self) -> RecordStream:
        return self

    def __next__(self) -> NoteRecord:
        return next(self._records)

    def close(self) -> None:
        """Close the underlying reader (its files) early."""
        close = getattr(self._records, "close", None)
        if close:
            close()


# The note id of a record whose fields cannot be read (a ragged or badly quoted row, a line
# that is not a JSON object): its 1-based record number in angle brackets, "<row 7>". A plain
# "7" could be another record's real id in the same file; a real id is never rewritten, so a
# file whose own ids are written "<row N>" is told apart only by the duplicate-id warning.
ERROR_ID = "<row {row}>"


def error_id(row: int) -> str:
    """The note id of an error record whose fields cannot be read (``ERROR_ID``): stable
    (the same input gives the same id) and unlike the plain row number a record without an
    id gets."""
    return ERROR_ID.format(row=row)


def id_text(value: Any) -> str:
    """An id cell as text: a JSON object or array (a JSONL id such as ``{"$oid": "5f1d"}``)
    as canonical JSON (keys sorted, no blanks, non-ASCII kept: ``{"$oid":"5f1d"}``), the same
    in every output; any other value as ``str``."""
    if isinstance(value, dict | list):
        return json.dumps(
            value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
        )
    return str(value)


def note_id(value: Any, row: int) -> str:
    """The note id of a record: the id cell as a string, or ``str(row)`` when it is empty.

    A whole float (``12.0`` from a spreadsheet or a Parquet float column) is shown as an
    integer (``12``); strings are kept as they are, leading zeros included; a JSON object or
    array as canonical JSON (``id_text``).
    """
    if is_missing(value):
        return str(row)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    value = id_text(value)
    return value if value.strip() else str(row)


def rtf_to_text(text: str) -> Text:
    """Convert an RTF document (a cell starting ``{\\rtf``) to plain text with striprtf.

    ``\\par`` and ``\\line`` become line breaks, ``\\'xx`` and ``\\uN`` characters are
    decoded (code page from ``\\ansicpg``, default Windows-1252), groups such as the font
    table and pictures are dropped. Returns the text, or an error naming the exception's
    type only (its message could quote the document).
    """
    from striprtf.striprtf import rtf_to_text as strip

    try:
        return Text(strip(text, errors="replace"))
    except Exception as exc:  # noqa: BLE001 - striprtf raises what its regexes meet
        return Text(None, f"RTF could not be converted to text ({type(exc).__name__})")


def is_rtf(text: str | None) -> bool:
    """True when a text cell holds an RTF document (``{\\rtf`` after leading white space)."""
    return text is not None and text[:64].lstrip().startswith(RTF_MAGIC)


def finish_text(cell: Text) -> tuple[Text, dict[str, int]]:
    """A decoded text cell as the audit will see it: RTF converted (counted as a fact)."""
    if not is_rtf(cell.text):
        return cell, {}
    converted = rtf_to_text(cell.text)  # type: ignore[arg-type]
    return converted._replace(encoding=cell.encoding), {"rtf_converted": 1}


def plain_value(value: Any) -> Any:
    """An extra column's value as it goes downstream: dates as ISO strings, else as is."""
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return value


def make_record(
    row: int,
    where: str,
    nid: Any,
    cell: Text,
    column: str | None,
    extra: dict[str, Any],
    facts: dict[str, int] | None = None,
) -> NoteRecord:
    """A record from a decoded text cell (RTF converted); an error is prefixed with
    ``where`` and, when given, the column."""
    cell, converted = finish_text(cell)
    in_column = f" in column {column!r}" if column else ""
    error = f"{where}: {cell.error}{in_column}" if cell.error else None
    return NoteRecord(
        row,
        note_id(nid, row),
        cell.text,
        error,
        cell.encoding,
        extra,
        {**(facts or {}), **converted},
    )


def unreadable(row: int, where: str, problem: str, extra: dict | None = None) -> NoteRecord:
    """An error record for a record whose fields cannot be trusted (id ``error_id(row)``)."""
    return NoteRecord(
        row=row, note_id=error_id(row), text=None, error=f"{where}: {problem}", extra=extra or {}
    )


def frame_records(
    frame: Any, id_col: str | None, text_col: str, start_row: int
) -> Iterator[NoteRecord]:
    """Records from a pandas DataFrame (chunk) whose first row is input row ``start_row``.

    Args:
        frame: the rows; ``id_col`` (optional) and ``text_col`` among its columns, the
            other columns go to ``NoteRecord.extra``.
        start_row: the 1-based input row of the frame's first row.
    """
    others = [c for c in frame.columns if c not in (id_col, text_col)]
    ids = frame[id_col].tolist() if id_col else [None] * len(frame)
    texts = frame[text_col].tolist()
    extras = frame[others].to_dict("records") if others else [{}] * len(frame)
    for i, (nid, value, extra) in enumerate(zip(ids, texts, extras, strict=True)):
        row = start_row + i
        yield make_record(row, f"row {row}", nid, coerce_text(value), text_col, extra)


def quiet_logger(name: str) -> None:
    """Silence a library logger that may log input values (python-hl7 logs a field it
    cannot unescape): note text must never reach a log."""
    logger = logging.getLogger(name)
    logger.setLevel(logging.CRITICAL + 1)
    logger.propagate = False


class Row(NamedTuple):
    """One data row of a tabular input, before it becomes a record.

    Attributes:
        row: 1-based data row number.
        where: where it is, for messages (``row 3 (line 4)``, ``row 3 (sheet row 4)``).
        values: column name -> cell (a ``records.Text`` for decoded byte cells, else the
            value as read), or None when the row cannot be split into the columns.
        problem: why ``values`` is None (never note text), else None.
        facts: per-record counts for ``run.json`` (``excel_cell_limit``).
        encoding: how the row's bytes were decoded when it was decoded as a whole (a JSON
            line read as ``cp1252``), else None.
    """

    row: int
    where: str
    values: dict[str, Any] | None
    problem: str | None = None
    facts: dict[str, int] | None = None
    encoding: str | None = None


def as_text(value: Any) -> Text:
    """A text cell as ``Text`` (a decoded byte cell as it is, other values coerced)."""
    return value if isinstance(value, Text) else coerce_text(value)


def as_value(value: Any) -> Any:
    """A non-text cell's value: a decoded byte cell's text, dates as ISO strings."""
    return value.text if isinstance(value, Text) else plain_value(value)


def document_records(
    stream: RecordStream,
    options: ReadOptions,
    kind: str,
    holder: str,
    columns: list[str],
    items: Iterator[NoteRecord | str],
) -> Iterator[NoteRecord]:
    """Records of an input whose note is not a column (FHIR, HL7 v2).

    Args:
        stream: told the columns, ``id`` (the reader's own note id) and ``columns``,
            and (``info[f"{kind.lower()}_skipped"]``, name -> count, sorted) the items that
            are not notes.
        options: ``id_col`` may name one of ``columns``: its value becomes each record's
            note id (the row number when that cell is empty).
        kind: the format's name for messages (``FHIR``); holder: what holds the note
            (``the attachment``).
        items: the reader's records, and for each item that is not a note (a resource or
            message type) its name.

    Raises:
        ColumnError: ``--text-col`` given, or ``--id-col`` names no kept column.
    """
    if options.text_col is not None:
        raise ColumnError(
            f"{kind} input has no text column: the note is {holder}; leave out --text-col"
        )
    stream.columns = ["id", *columns]
    id_col = options.id_col
    if id_col is not None and id_col not in stream.columns:
        raise ColumnError(
            f"id column {id_col!r} not found; columns are: {column_listing(stream.columns)}"
        )
    stream.id_col, stream.text_col = id_col or "id", None
    skipped: dict[str, int] = {}
    for item in items:
        if isinstance(item, str):
            skipped[item] = skipped.get(item, 0) + 1
            stream.info[f"{kind.lower()}_skipped"] = dict(sorted(skipped.items()))
            continue
        if id_col and id_col != "id" and item.note_id != error_id(item.row):
            item.note_id = id_text(item.extra.get(id_col) or item.row)
        yield item
