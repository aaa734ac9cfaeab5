"""Tabular inputs (CSV, Excel, JSON Lines, Parquet): rows to records, or to notes when the
table is an EHR note-line table (``notelines``)."""

from __future__ import annotations

from collections.abc import Iterator

from ...records import NoteRecord, Text
from . import notelines
from .columns import detect_columns
from .common import ReadOptions, RecordStream, Row, as_text, as_value, make_record, unreadable


def table_records(
    stream: RecordStream,
    columns: list[str],
    rows: Iterator[Row],
    options: ReadOptions,
) -> Iterator[NoteRecord]:
    """Records of a tabular input (CSV, Excel, JSON Lines, Parquet) from its rows.

    Args:
        stream: told the columns and the chosen id/text columns.
        columns: the header.
        rows: the data rows in input order.
        options: ``id_col``, ``text_col`` as the user gave them (checked) or None
            (detected); ``line_col``, the line-number column of an EHR note-line table,
            given by the user or None (detected from ``columns.LINE_CANDIDATES`` when the
            table also has an id column); when there is one, each note is reassembled
            from its lines (``notelines.fold``).

    Raises:
        ColumnError: a column cannot be found or chosen (when first iterated).
    """
    id_col, text_col = options.id_col, options.text_col
    stream.columns = list(columns)
    folded = notelines.line_column(columns, id_col, text_col, options.line_col)
    if folded is not None:
        yield from notelines.fold(stream, columns, rows, id_col, text_col, folded)
        return
    id_col, text_col = detect_columns(columns, id_col, text_col)
    stream.id_col, stream.text_col = id_col, text_col
    for r in rows:
        if r.values is None:
            yield unreadable(r.row, r.where, r.problem or "record not read")
            continue
        values = r.values
        if text_col in values:
            cell = as_text(values[text_col])
            cell = cell._replace(encoding=cell.encoding or r.encoding)
        else:
            cell = Text(None, "missing text (no such field)")
        extra = {k: as_value(v) for k, v in values.items() if k not in (id_col, text_col)}
        nid = as_value(values.get(id_col)) if id_col else None
        yield make_record(r.row, r.where, nid, cell, text_col, extra, r.facts)
