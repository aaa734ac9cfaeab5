"""Read note exports (CSV/TSV, JSONL, Parquet, a folder of .txt files) as ``NoteRecord``s.

Reading streams: CSV row by row, JSONL line by line, Parquet by record batch, folders file
by file, so memory does not grow with the export. Every input record yields exactly one
``NoteRecord``, in input order: a record that cannot be read (ragged CSV row, malformed
JSON line, undecodable bytes, null or non-string text, unreadable or binary file) comes
out with ``error`` set (status ``error`` downstream). A file that cannot be read at all
raises ``InputError``. Error messages name rows, lines, columns, types and byte offsets,
never note text.

Text bytes are decoded per record (``records.decode_bytes``): UTF-8, else Windows-1252.
CSV files are split into records on their raw bytes (decoded as Latin-1, which maps every
byte to one character and leaves the ASCII delimiter, quote and newline bytes intact),
then each cell is decoded on its own, so one Windows-1252 note does not garble the UTF-8
notes around it.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ColumnError, InputError
from ..records import NoteRecord, Text, coerce_text, decode_bytes

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
BATCH_ROWS = 2_000  # Parquet record batch size
MAX_COLUMN_NAME = 40  # longer "column names" are shown by length only (see _column_listing)
CSV_FIELD_LIMIT = 2**31 - 1  # the csv module's default (131,072 chars) would reject big notes
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


def _column_listing(columns: list[Any]) -> str:
    """Column names for an error message, without leaking note text.

    A headerless file makes its first record the "header"; a name longer than
    ``MAX_COLUMN_NAME`` characters is therefore shown as its length, not its content.
    """
    shown = []
    for i, name in enumerate(columns, start=1):
        name = str(name)
        if len(name) > MAX_COLUMN_NAME:
            shown.append(f"<column {i}: {len(name)} characters, not shown>")
        else:
            shown.append(repr(name))
    return ", ".join(shown) or "(none)"


def detect_columns(
    columns: list[str], id_col: str | None = None, text_col: str | None = None
) -> tuple[str | None, str]:
    """Choose the id and text columns.

    Args:
        columns: the input's column names.
        id_col, text_col: names the user gave (checked), or None to detect from
            ``ID_CANDIDATES`` / ``TEXT_CANDIDATES`` (case-insensitive).

    Returns:
        ``(id_col or None, text_col)``; with no id column, ids are 1-based row numbers.

    Raises:
        ColumnError: a given column is absent, no text column can be chosen, or the
            chosen column name occurs twice; the message lists the columns found.
    """
    lower = {str(c).lower().strip(): c for c in columns}
    listing = _column_listing(columns)
    for given, what in ((id_col, "id"), (text_col, "text")):
        if given is not None and given not in columns:
            raise ColumnError(f"{what} column {given!r} not found; columns are: {listing}")
    if text_col is None:
        text_col = next((lower[c] for c in TEXT_CANDIDATES if c in lower), None)
        if text_col is None:
            raise ColumnError(
                f"cannot tell which column holds the note text; columns are: {listing}. "
                "Name it with --text-col (is the header line missing?)."
            )
    if id_col is None:
        id_col = next((lower[c] for c in ID_CANDIDATES if c in lower), None)
    for chosen in (id_col, text_col):
        if chosen is not None and list(columns).count(chosen) > 1:
            raise ColumnError(f"column {chosen!r} occurs more than once; columns are: {listing}")
    return id_col, text_col


def _note_id(value: Any, row: int) -> str:
    """The note id of a record: the id cell as a string, or ``str(row)`` when it is empty."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return str(row)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    value = str(value)
    return value if value.strip() else str(row)


def _record(
    row: int, where: str, nid: Any, cell: Text, column: str, extra: dict[str, Any]
) -> NoteRecord:
    """A record from a decoded text cell; an error is prefixed with ``where`` and the column."""
    error = f"{where}: {cell.error} in column {column!r}" if cell.error else None
    return NoteRecord(row, _note_id(nid, row), cell.text, error, cell.encoding, extra)


def _unreadable(row: int, where: str, problem: str) -> NoteRecord:
    """An error record for a record whose fields cannot be trusted (id = row number)."""
    return NoteRecord(row=row, note_id=str(row), text=None, error=f"{where}: {problem}")


def frame_records(
    frame: pd.DataFrame, id_col: str | None, text_col: str, start_row: int
) -> Iterator[NoteRecord]:
    """Records from a DataFrame (chunk) whose first row is input row ``start_row``."""
    others = [c for c in frame.columns if c not in (id_col, text_col)]
    ids = frame[id_col].tolist() if id_col else [None] * len(frame)
    texts = frame[text_col].tolist()
    extras = frame[others].to_dict("records") if others else [{}] * len(frame)
    for i, (nid, value, extra) in enumerate(zip(ids, texts, extras, strict=True)):
        row = start_row + i
        yield _record(row, f"row {row}", nid, coerce_text(value), text_col, extra)


def _reject_utf16(path: Path, head: bytes) -> None:
    """Raise ``InputError`` for a UTF-16 file, which cannot be split into lines as bytes."""
    if head.startswith(UTF16_BOMS):
        raise InputError(f"{path.name}: file is UTF-16 encoded; save it as UTF-8 and rerun")


def _open_lines(path: Path) -> io.TextIOWrapper:
    """Open a delimited text file for the csv module: BOM skipped, bytes as Latin-1.

    Raises:
        InputError: the file cannot be opened or is UTF-16.
    """
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the caller's ``with``
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}") from exc
    head = handle.read(3)
    try:
        _reject_utf16(path, head)
    except InputError:
        handle.close()
        raise
    handle.seek(len(codecs.BOM_UTF8) if head == codecs.BOM_UTF8 else 0)
    return io.TextIOWrapper(handle, encoding="latin-1", newline="")


def _cell(raw: str) -> Text:
    """Decode one CSV cell read as Latin-1 back to bytes and then to text."""
    return decode_bytes(raw.encode("latin-1"))


def _column_name(raw: str, position: int) -> str:
    """A header cell as a column name (``(undecodable column N)`` when it cannot be decoded)."""
    name = _cell(raw).text
    return f"(undecodable column {position})" if name is None else name


def _csv_rows(reader: Any, width: int) -> Iterator[tuple[list[str] | None, str, str | None]]:
    """Split the data lines of a csv reader into records.

    Args:
        reader: a ``csv.reader`` positioned after the header.
        width: the number of header columns.

    Yields:
        ``(fields, lines, None)`` per good record and ``(None, lines, problem)`` per record
        that cannot be split into ``width`` fields (broken quoting, ragged row); ``lines``
        names its physical lines (``line 4``, ``lines 4-6``). Blank lines are skipped.
    """
    last_line = reader.line_num
    while True:
        first_line = last_line + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            fields, problem = None, f"malformed CSV ({exc}); record not read"
        else:
            while len(fields) > width and fields[-1] == "":
                fields.pop()  # trailing empty fields ("a,b,,") are padding, not data
            problem = None
            if fields and len(fields) != width:
                problem = f"{len(fields)} fields where the header has {width}; record not read"
        last_line = reader.line_num
        if fields == []:
            continue  # a blank line is not a record
        lines = (
            f"line {first_line}" if last_line <= first_line else f"lines {first_line}-{last_line}"
        )
        yield (None if problem else fields), lines, problem


def _csv(path: Path, id_col: str | None, text_col: str | None) -> Iterator[NoteRecord]:
    """Records of a CSV (``,``) or TSV (tab) file with a header line.

    An empty file holds no records; a header-only file holds none either, but its
    columns are still checked. A row with broken quoting, or with more (non-empty) or
    fewer fields than the header, becomes an error record naming the row and its lines.
    """
    csv.field_size_limit(CSV_FIELD_LIMIT)
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    with _open_lines(path) as handle:
        reader = csv.reader(handle, delimiter=delimiter, strict=True)
        try:
            header = next((r for r in reader if r), None)
        except csv.Error as exc:
            raise InputError(f"{path.name}: the header line is not valid CSV ({exc})") from exc
        if header is None:
            return
        columns = [_column_name(name, i) for i, name in enumerate(header, start=1)]
        id_col, text_col = detect_columns(columns, id_col, text_col)
        id_at = columns.index(id_col) if id_col else None
        text_at = columns.index(text_col)
        for row, (fields, lines, problem) in enumerate(_csv_rows(reader, len(columns)), start=1):
            where = f"row {row} ({lines})"
            if fields is None:
                yield _unreadable(row, where, problem or "record not read")
                continue
            extra = {c: _cell(v).text for c, v in zip(columns, fields, strict=True)}
            for name in (id_col, text_col):
                extra.pop(name, None)
            nid = _cell(fields[id_at]).text if id_at is not None else None
            yield _record(row, where, nid, _cell(fields[text_at]), text_col, extra)


def _json_object(raw: bytes) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """Parse one JSONL line: ``(object, None, encoding)`` or ``(None, problem, None)``."""
    cell = decode_bytes(raw)
    if cell.error:
        return None, cell.error, None
    try:
        obj = json.loads(cell.text.rstrip("\r\n"))
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg}; column {exc.colno})", None
    except RecursionError:
        return None, "not valid JSON (nested too deeply)", None
    if not isinstance(obj, dict):
        return None, f"not a JSON object (got {type(obj).__name__})", None
    return obj, None, cell.encoding


def _jsonl(path: Path, id_col: str | None, text_col: str | None) -> Iterator[NoteRecord]:
    """Records of a JSON Lines file: one object per non-blank line.

    Columns are detected from the first valid object. A line that is not a JSON object
    (or not decodable) becomes an error record naming its line number.

    Raises:
        InputError: the file is UTF-16, or is a JSON array (its first line opens one),
            whose records would otherwise all collapse into error lines.
    """
    chosen: tuple[str | None, str] | None = None
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the ``with`` below
    except OSError as exc:
        raise InputError(f"cannot read {path.name}: {exc.strerror}") from exc
    with handle:
        _reject_utf16(path, handle.read(2))
        handle.seek(0)
        row = 0
        for line_no, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            row += 1
            if row == 1 and raw.lstrip(codecs.BOM_UTF8 + b" \t").startswith(b"["):
                raise InputError(
                    f"{path.name}: holds a JSON array, not JSON Lines (one object per line)"
                )
            where = f"line {line_no}"
            obj, problem, encoding = _json_object(raw)
            if obj is None:
                yield _unreadable(row, where, problem or "not readable")
                continue
            if chosen is None:
                chosen = detect_columns(list(obj), id_col, text_col)
            cid, ctext = chosen
            if ctext in obj:
                cell = coerce_text(obj[ctext])
                cell = cell._replace(encoding=cell.encoding or encoding)
            else:
                cell = Text(None, "missing text (no such field)")
            extra = {k: v for k, v in obj.items() if k not in (cid, ctext)}
            nid = obj.get(cid) if cid else None
            yield _record(row, where, nid, cell, ctext, extra)


def _parquet(path: Path, id_col: str | None, text_col: str | None) -> Iterator[NoteRecord]:
    """Records of a Parquet file, read by record batch.

    Raises:
        InputError: the file (or a later batch of it) cannot be read.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types
        raise InputError(
            f"{path.name}: not a readable Parquet file ({type(exc).__name__})"
        ) from exc
    id_col, text_col = detect_columns(parquet.schema_arrow.names, id_col, text_col)
    row = 1
    batches = parquet.iter_batches(batch_size=BATCH_ROWS)
    while True:
        try:
            batch = next(batches, None)
            frame = None if batch is None else batch.to_pandas()
        except (pa.ArrowException, OSError) as exc:
            raise InputError(
                f"{path.name}: Parquet data unreadable from row {row} ({type(exc).__name__})"
            ) from exc
        if frame is None:
            return
        yield from frame_records(frame, id_col, text_col, row)
        row += len(frame)


def _looks_binary(raw: bytes) -> bool:
    """True when the first 8 KB hold more than 10% control bytes (NUL, ...): not a text note.

    Text with a stray NUL passes (it is cleaned later); UTF-16 text (BOM) is text.
    """
    sample = raw[:8192]
    if not sample or sample.startswith(UTF16_BOMS):
        return False
    controls = sum(1 for b in sample if b < 0x20 and b not in b"\t\n\r\f")
    return controls * 10 > len(sample)


def _folder(path: Path) -> Iterator[NoteRecord]:
    """Records of a folder of ``.txt`` notes (recursive, sorted by path; id = file stem).

    A file that cannot be read (permissions, broken link), is binary or cannot be
    decoded becomes an error record naming the file.
    """
    files = sorted(p for p in path.rglob("*.txt") if not p.is_dir())
    for row, file in enumerate(files, start=1):
        name = file.relative_to(path).as_posix()
        where = f"file {name}"
        try:
            raw = file.read_bytes()
        except OSError as exc:
            problem = f"unreadable ({exc.strerror or type(exc).__name__})"
            yield NoteRecord(row, file.stem, None, f"{where}: {problem}", None, {"file": name})
            continue
        if _looks_binary(raw):
            yield NoteRecord(
                row, file.stem, None, f"{where}: binary, not text", None, {"file": name}
            )
            continue
        cell = decode_bytes(raw)
        error = f"{where}: {cell.error}" if cell.error else None
        yield NoteRecord(row, file.stem, cell.text, error, cell.encoding, {"file": name})


def read_records(
    path: str | Path, id_col: str | None = None, text_col: str | None = None
) -> Iterator[NoteRecord]:
    """Stream the records of one export, one per input record, in input order.

    Args:
        path: a ``.csv``/``.tsv``, ``.jsonl``/``.ndjson``/``.json`` (JSON Lines),
            ``.parquet``/``.pq`` file, or a folder of ``.txt`` files (note id = file stem).
        id_col, text_col: column names, detected when None.

    Raises (when iterated, except the first two):
        InputError: the path does not exist or its format is unknown or unreadable.
        ColumnError: the id or text column cannot be chosen.
    """
    path = Path(path)
    if path.is_dir():
        return _folder(path)
    if not path.exists():
        raise InputError(f"input not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return _csv(path, id_col, text_col)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl(path, id_col, text_col)
    if suffix in (".parquet", ".pq"):
        return _parquet(path, id_col, text_col)
    raise InputError(
        f"unknown input format {suffix!r}: use .csv, .tsv, .jsonl, .parquet or a folder of .txt"
    )
