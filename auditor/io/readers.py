"""Read note exports (CSV, JSONL, Parquet, a folder of .txt files) as ``NoteRecord``s.

Reading streams: CSV in chunks, JSONL line by line, Parquet by record batch, folders file
by file, so memory does not grow with the export. A record that cannot be read becomes a
record with ``error`` set (status ``error`` downstream); a file that cannot be read at all
raises ``InputError``. Error messages name rows and columns, never note text.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ColumnError, InputError
from ..records import NoteRecord, coerce_text

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
CSV_CHUNK = 2_000


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
        ColumnError: a given column is absent, or no text column can be chosen; the
            message lists the columns found.
    """
    lower = {str(c).lower().strip(): c for c in columns}
    listing = ", ".join(repr(str(c)) for c in columns) or "(none)"
    for given, what in ((id_col, "id"), (text_col, "text")):
        if given is not None and given not in columns:
            raise ColumnError(f"{what} column {given!r} not found; columns are: {listing}")
    if text_col is None:
        text_col = next((lower[c] for c in TEXT_CANDIDATES if c in lower), None)
        if text_col is None:
            raise ColumnError(
                f"cannot tell which column holds the note text; columns are: {listing}. "
                "Name it with --text-col."
            )
    if id_col is None:
        id_col = next((lower[c] for c in ID_CANDIDATES if c in lower), None)
    return id_col, text_col


def _note_id(value: Any, row: int) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return str(row)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def frame_records(
    frame: pd.DataFrame, id_col: str | None, text_col: str, start_row: int
) -> Iterator[NoteRecord]:
    """Records from a DataFrame chunk whose first row is input row ``start_row``."""
    others = [c for c in frame.columns if c not in (id_col, text_col)]
    ids = frame[id_col].tolist() if id_col else [None] * len(frame)
    texts = frame[text_col].tolist()
    extras = frame[others].to_dict("records") if others else [{}] * len(frame)
    for i, (nid, value, extra) in enumerate(zip(ids, texts, extras, strict=True)):
        row = start_row + i
        text, error = coerce_text(value)
        if error:
            error = f"row {row}: {error} in column {text_col!r}"
        yield NoteRecord(row=row, note_id=_note_id(nid, row), text=text, error=error, extra=extra)


def _csv(path: Path, id_col: str | None, text_col: str | None) -> Iterator[NoteRecord]:
    def chunks(encoding: str):
        return pd.read_csv(
            path,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            chunksize=CSV_CHUNK,
            encoding=encoding,
            on_bad_lines="warn",
            engine="python",
        )

    encoding = "utf-8-sig"
    try:
        with open(path, encoding=encoding) as handle:
            for _ in handle:
                pass
    except UnicodeDecodeError:
        encoding = "cp1252"  # common in Windows EHR exports; every byte decodes
    try:
        reader = chunks(encoding)
        first = next(reader)
    except pd.errors.EmptyDataError:
        return  # an empty file holds no records
    except StopIteration:
        return
    except (pd.errors.ParserError, ValueError) as exc:
        raise InputError(f"{path.name}: not a readable CSV ({type(exc).__name__})") from exc
    id_col, text_col = detect_columns(list(first.columns), id_col, text_col)
    row = 1
    for chunk in [first] if first is not None else []:
        yield from frame_records(chunk, id_col, text_col, row)
        row += len(chunk)
    for chunk in reader:
        yield from frame_records(chunk, id_col, text_col, row)
        row += len(chunk)


def _jsonl(path: Path, id_col: str | None, text_col: str | None) -> Iterator[NoteRecord]:
    chosen: tuple[str | None, str] | None = None
    with open(path, "rb") as handle:
        for row, raw in enumerate((line for line in handle if line.strip()), start=1):
            try:
                obj = json.loads(raw.decode("utf-8-sig"))
                if not isinstance(obj, dict):
                    raise ValueError("not an object")
            except (UnicodeDecodeError, ValueError) as exc:
                reason = (
                    "not valid UTF-8"
                    if isinstance(exc, UnicodeDecodeError)
                    else "not a JSON object"
                )
                yield NoteRecord(
                    row=row, note_id=str(row), text=None, error=f"line {row}: {reason}"
                )
                continue
            if chosen is None:
                chosen = detect_columns(list(obj), id_col, text_col)
            cid, ctext = chosen
            text, error = coerce_text(obj.get(ctext))
            if error:
                error = f"line {row}: {error} in field {ctext!r}"
            extra = {k: v for k, v in obj.items() if k not in (cid, ctext)}
            yield NoteRecord(row, _note_id(obj.get(cid) if cid else None, row), text, error, extra)


def _parquet(path: Path, id_col: str | None, text_col: str | None) -> Iterator[NoteRecord]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises several types
        raise InputError(
            f"{path.name}: not a readable Parquet file ({type(exc).__name__})"
        ) from exc
    id_col, text_col = detect_columns(parquet.schema_arrow.names, id_col, text_col)
    row = 1
    for batch in parquet.iter_batches(batch_size=CSV_CHUNK):
        frame = batch.to_pandas()
        yield from frame_records(frame, id_col, text_col, row)
        row += len(frame)


def _folder(path: Path) -> Iterator[NoteRecord]:
    files = sorted(p for p in path.rglob("*.txt") if p.is_file())
    for row, file in enumerate(files, start=1):
        try:
            raw = file.read_bytes()
        except OSError as exc:
            yield NoteRecord(row, file.stem, None, f"file {file.name}: unreadable ({exc.strerror})")
            continue
        if b"\x00" in raw[:4096] and raw.count(b"\x00") > len(raw) // 10:
            yield NoteRecord(row, file.stem, None, f"file {file.name}: binary, not text")
            continue
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        yield NoteRecord(row, file.stem, text, None, {"file": file.name})


def read_records(
    path: str | Path, id_col: str | None = None, text_col: str | None = None
) -> Iterator[NoteRecord]:
    """Stream the records of one export.

    Args:
        path: a ``.csv``/``.tsv``, ``.jsonl``/``.ndjson``, ``.parquet`` file or a folder
            of ``.txt`` files (note id = file stem).
        id_col, text_col: column names, detected when None.

    Raises:
        InputError: the path does not exist or its format is unknown or unreadable.
        ColumnError: the id or text column cannot be chosen.
    """
    path = Path(path)
    if path.is_dir():
        return _folder(path)
    if not path.exists():
        raise InputError(f"input not found: {path}")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt") and suffix != ".txt":
        return _csv(path, id_col, text_col)
    if suffix in (".jsonl", ".ndjson", ".json"):
        return _jsonl(path, id_col, text_col)
    if suffix in (".parquet", ".pq"):
        return _parquet(path, id_col, text_col)
    raise InputError(
        f"unknown input format {suffix!r}: use .csv, .jsonl, .parquet or a folder of .txt"
    )
