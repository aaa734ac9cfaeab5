"""Read note exports as ``NoteRecord``s: one reader module per format.

| module | formats |
|---|---|
| ``delimited`` | ``.csv``, ``.tsv``, ``.tab``, ``.psv``; delimiter sniffed |
| ``excel`` | ``.xlsx``/``.xlsm`` (openpyxl), ``.xls`` (xlrd) |
| ``jsonl`` | ``.jsonl``, ``.ndjson``, ``.json`` (JSON Lines) |
| ``fhir`` | FHIR R4 NDJSON / Bundle of DocumentReference, DiagnosticReport |
| ``hl7v2`` | ``.hl7``: MDM^T02/T08, ORU^R01 text reports |
| ``parquet`` | ``.parquet``, ``.pq`` |
| ``text`` | a single ``.txt``/``.rtf`` file, or a folder of them |
| ``notelines`` | any tabular input with a line-number column (Epic Clarity note text) |

Any file may be compressed (``.gz``, ``.bz2``, ``.zst``, ``.zip`` holding one file; see
``source``). Reading streams, so memory does not grow with the export. Every input record
yields exactly one ``NoteRecord``, in input order: a record that cannot be read comes out
with ``error`` set (status ``error`` downstream), naming rows, lines, columns, types and
byte offsets, never note text. A file that cannot be read at all raises ``InputError``; a
column that cannot be found raises ``ColumnError``. Offsets downstream index the text the
reader yields (RTF and HTML already converted).
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ...errors import InputError
from .columns import (
    ID_CANDIDATES,
    LINE_CANDIDATES,
    TEXT_CANDIDATES,
    VERSION_CANDIDATES,
    check_column,
    column_listing,
    detect_columns,
)
from .common import ReadOptions, RecordStream, frame_records
from .source import Source

__all__ = [
    "ID_CANDIDATES",
    "LINE_CANDIDATES",
    "ReadOptions",
    "TEXT_CANDIDATES",
    "VERSION_CANDIDATES",
    "RecordStream",
    "check_column",
    "column_listing",
    "count_records",
    "detect_columns",
    "frame_records",
    "read_records",
    "reader_options",
]


def read_records(
    path: str | Path,
    id_col: str | None = None,
    text_col: str | None = None,
    *,
    sheet: str | None = None,
    sep: str | None = None,
    line_col: str | None = None,
) -> RecordStream:
    """Stream the records of one export, one per input record, in input order.

    Args:
        path: a file of a supported format (module docstring), possibly compressed, or a
            folder of ``.txt`` notes (note id = file stem).
        id_col, text_col: column names, detected when None.
        sheet: the Excel sheet to read (name or 1-based number; default the first).
        sep: the CSV delimiter (default: sniffed).
        line_col: the line-number column of a note-line table (default: detected).

    Returns:
        a ``RecordStream``: iterate it for records; its ``columns`` are known after the
        first ``next``.

    Raises:
        InputError: at once when the path does not exist or its format is unknown;
            when iterated, when the file cannot be read.
        ColumnError: when first iterated, when a column cannot be found or chosen.
    """
    from .delimited import parse_sep

    path = Path(path)
    if path.is_dir():
        from .text import read_folder

        return RecordStream("folder", lambda s: read_folder(s, path))
    if not path.exists():
        raise InputError(f"input not found: {path}")
    source = Source.resolve(path)
    options = ReadOptions(id_col, text_col, sheet, parse_sep(sep), line_col)
    fmt = source.format
    if fmt == "jsonl":
        from .jsonl import is_fhir

        fmt = "fhir" if is_fhir(source) else fmt
    module, name = _READERS.get(fmt, _READERS["txt"])
    reader = getattr(importlib.import_module(module, __name__), name)
    return RecordStream(fmt, lambda s: reader(s, source, options))


# the reader of each format (``Source.format``; JSON Lines holding FHIR resources: fhir)
_READERS = {
    "csv": (".delimited", "read_delimited"),
    "jsonl": (".jsonl", "read_jsonl"),
    "fhir": (".fhir", "read_fhir"),
    "parquet": (".parquet", "read_parquet"),
    "xlsx": (".excel", "read_xlsx"),
    "xls": (".excel", "read_xls"),
    "hl7": (".hl7v2", "read_hl7"),
    "txt": (".text", "read_text_file"),
}


def reader_options(meta: dict) -> dict[str, str]:
    """The reader options (``sheet``, ``sep``, ``line_col``) recorded in a ``run.json``, as
    keyword arguments of ``read_records`` (to read the input again alike)."""
    return {k: meta[k] for k in ("sheet", "sep", "line_col") if meta.get(k) is not None}


def count_records(path: str | Path, options: ReadOptions | None = None) -> int | None:
    """How many records ``read_records`` will yield, when that is cheap to know.

    Parquet: from the file metadata; Excel: the sheet's stored dimensions; a folder: its
    note files; JSON Lines: its non-blank lines; CSV: a pass of the csv module decoding no
    cell but the id (records, not lines); a note-line table (CSV): its distinct note ids;
    FHIR: the lines (or Bundle entries) naming a document resource type; HL7: the ``MSH``
    segments of ``MDM``/``ORU`` messages. None when counting would cost a real read
    (compressed Parquet/Excel, Excel/Parquet/JSONL note-line tables) or fails. For the
    progress bar only: an estimate, never used for output. ``options``: as the records will
    be read (``sep`` as the user gave it).
    """
    import contextlib

    path = Path(path)
    options = options or ReadOptions()
    with contextlib.suppress(Exception):
        if path.is_dir():
            from .text import note_files

            return len(note_files(path))
        source = Source.resolve(path)
        if source.format == "parquet" and source.compression is None:
            from .parquet import count_rows

            return count_rows(str(path))
        if source.format == "xlsx" and source.compression is None:
            from .excel import count_xlsx_rows

            return count_xlsx_rows(str(path), options.sheet)
        if source.format == "txt":
            return 1
        if source.format == "hl7":
            from .hl7v2 import count_messages

            return count_messages(source)
        if source.format == "csv":
            from .delimited import count_delimited, parse_sep

            return count_delimited(source, parse_sep(options.sep), options.id_col, options.line_col)
        if source.format == "jsonl":
            from .fhir import count_documents
            from .jsonl import count_lines, is_fhir

            return count_documents(source) if is_fhir(source) else count_lines(source)
    return None
