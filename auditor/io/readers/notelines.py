"""EHR note-line tables: one row per line of a note (Epic Clarity's note text table
``HNO_NOTE_TEXT`` and its look-alikes: ``NOTE_ID``, ``LINE``, ``NOTE_TEXT`` and optionally
a version such as ``CONTACT_DATE_REAL`` or ``NOTE_CSN_ID``).

Each note is reassembled from its lines: rows are grouped by note id (in any order: they go
through a temporary SQLite table on disk, so memory does not grow with the export), the
latest version is kept (largest version value: numbers compared as numbers, dates as
dates, else as text), its lines are sorted by line number and joined with line breaks. A
note whose lines came out of order, skip numbers or repeat one still audits, and is counted
(``line_order``) and named by record number in a warning. A row whose fields cannot be
trusted (ragged, broken quoting) becomes its own error record. Records come out in the
order of each note's first row; ``run.json`` says how many rows and versions were folded.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ...errors import ColumnError
from ...records import NoteRecord, Text
from .columns import (
    ID_CANDIDATES,
    LINE_CANDIDATES,
    VERSION_CANDIDATES,
    check_column,
    column_listing,
    detect_columns,
    find_column,
)
from .common import RecordStream, Row, as_text, as_value, id_text, make_record, unreadable

BATCH = 5_000


def line_column(
    columns: list[str], id_col: str | None, text_col: str | None, line_col: str | None
) -> str | None:
    """The line-number column when the table is a note-line table, else None.

    A given ``line_col`` is checked; otherwise one named like ``LINE_CANDIDATES`` counts
    only when the table also has an id column (given or detected).

    Raises:
        ColumnError: ``line_col`` is given but absent.
    """
    if line_col is not None:
        check_column(columns, line_col, "--line-col")
        return line_col
    found = find_column(columns, LINE_CANDIDATES)
    if found is None or found in (id_col, text_col):
        return None
    return found if (id_col or find_column(columns, ID_CANDIDATES)) else None


def _line_number(value: Any) -> int | None:
    value = as_value(value)
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None


def _version_key(values: list[Any]) -> Any:
    """A sort key for version values: numbers, else dates, else text (None first)."""
    present = [v for v in values if v not in (None, "")]
    try:
        numbers = {v: float(v) for v in present}
        return lambda v: (v not in (None, ""), numbers.get(v, float("-inf")))
    except (TypeError, ValueError):
        pass
    import pandas as pd

    try:
        dates = pd.to_datetime(pd.Series([str(v) for v in present]), errors="raise", format="mixed")
        by = dict(zip(present, dates, strict=True))
        return lambda v: (v not in (None, ""), by.get(v, pd.Timestamp.min))
    except (ValueError, TypeError, OverflowError):
        return lambda v: (v not in (None, ""), str(v))


def fold(
    stream: RecordStream,
    columns: list[str],
    rows: Iterator[Row],
    id_col: str | None,
    text_col: str | None,
    line_col: str,
) -> Iterator[NoteRecord]:
    """One record per note of a note-line table (see the module docstring).

    Raises:
        ColumnError: no id or text column, or a column cannot be chosen.
    """
    id_col, text_col = detect_columns(columns, id_col, text_col)
    if id_col is None or id_col == line_col:
        raise ColumnError(
            "a note-line table needs a note id column (name it with --id-col); "
            f"columns are: {column_listing(columns)}"
        )
    version_col = find_column(
        [c for c in columns if c not in (id_col, text_col, line_col)], VERSION_CANDIDATES
    )
    stream.id_col, stream.text_col = id_col, text_col
    with tempfile.TemporaryDirectory(prefix="auditor-lines-") as tmp:
        db = sqlite3.connect(Path(tmp) / "lines.db")
        try:
            total = _load(db, rows, id_col, text_col, line_col, version_col)
            info = {
                "line_column": line_col,
                "version_column": version_col,
                "rows": total,
                "notes": 0,
                "versions_folded": 0,
                "rows_folded": 0,
                "line_order": 0,
            }
            stream.info["note_lines"] = info
            notes = db.execute("SELECT key, bad FROM notes ORDER BY first").fetchall()
            for number, (key, bad) in enumerate(notes, start=1):
                lines = db.execute(
                    "SELECT row, where_, version, line, text, error, encoding, extra "
                    "FROM lines WHERE key = ? ORDER BY seq",
                    (key,),
                ).fetchall()
                record = _note(number, key, bool(bad), lines, text_col, line_col, info)
                info["notes"] += 1
                yield record
        finally:
            db.close()


def _load(
    db: sqlite3.Connection,
    rows: Iterator[Row],
    id_col: str,
    text_col: str,
    line_col: str,
    version_col: str | None,
) -> int:
    """Store every row; returns the number of rows."""
    db.execute("CREATE TABLE notes (key TEXT PRIMARY KEY, first INTEGER, bad INTEGER)")
    db.execute(
        "CREATE TABLE lines (seq INTEGER PRIMARY KEY, key TEXT, row INTEGER, where_ TEXT, "
        "version TEXT, line TEXT, text TEXT, error TEXT, encoding TEXT, extra TEXT)"
    )
    db.execute("CREATE INDEX by_key ON lines (key, seq)")
    batch: list[tuple] = []
    total = 0
    for r in rows:
        total += 1
        if r.values is None:
            key, bad = f"\0row {r.row}", 1
            line = (key, r.row, r.where, None, None, None, r.problem, None, "{}")
        else:
            values = r.values
            nid = as_value(values.get(id_col))
            key, bad = ("" if nid is None else id_text(nid)), 0
            cell = (
                as_text(values.get(text_col))
                if text_col in values
                else Text(None, "missing text (no such field)")
            )
            if cell.text is None and cell.error == "missing text (null)":
                cell = Text("")  # an empty line of the note
            number = _line_number(values.get(line_col))
            version = as_value(values.get(version_col)) if version_col else None
            extra = {
                k: as_value(v) for k, v in values.items() if k not in (id_col, text_col, line_col)
            }
            line = (
                key,
                r.row,
                r.where,
                None if version is None else json.dumps(version),
                None if number is None else str(number),
                cell.text,
                cell.error,
                cell.encoding or r.encoding,
                json.dumps(extra, default=str),
            )
        db.execute("INSERT OR IGNORE INTO notes VALUES (?, ?, ?)", (key, total, bad))
        batch.append(line)
        if len(batch) >= BATCH:
            db.executemany("INSERT INTO lines VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
            batch.clear()
    db.executemany("INSERT INTO lines VALUES (NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    return total


def _note(
    number: int,
    key: str,
    bad: bool,
    lines: list[tuple],
    text_col: str,
    line_col: str,
    info: dict[str, Any],
) -> NoteRecord:
    """The record of one note from its stored lines (in input order)."""
    if bad:
        _, where, _, _, _, error, _, _ = lines[0]
        return unreadable(number, where, error or "record not read")
    rows = [line[0] for line in lines]
    where = (
        f"note {number} (row {rows[0]})"
        if len(rows) == 1
        else (f"note {number} (rows {min(rows)}-{max(rows)})")
    )
    versions = [json.loads(v) if v is not None else None for v in {line[2] for line in lines}]
    latest_key = _version_key(versions)
    latest = max(versions, key=latest_key) if versions else None
    latest_raw = None if latest is None else json.dumps(latest)
    kept = [line for line in lines if line[2] == latest_raw]
    info["versions_folded"] += len(versions) - 1
    info["rows_folded"] += len(lines)
    extra = json.loads(kept[0][7])
    facts = {"note_lines": len(lines), "versions_folded": len(versions) - 1}
    for row, _, _, num, _, error, _, _ in kept:
        if num is None:
            return NoteRecord(
                number,
                key or str(number),
                None,
                f"{where}: row {row}: line number in column {line_col!r} is not " "a whole number",
                None,
                extra,
                facts,
            )
        if error:
            return NoteRecord(
                number,
                key or str(number),
                None,
                f"{where}: row {row}: {error} in column {text_col!r}",
                None,
                extra,
                facts,
            )
    numbers = [int(line[3]) for line in kept]
    ordered = sorted(range(len(kept)), key=lambda i: numbers[i])
    in_order = numbers == sorted(numbers)
    steps = [numbers[j] - numbers[i] for i, j in zip(ordered, ordered[1:], strict=False)]
    complete = all(s == 1 for s in steps) and min(numbers) in (0, 1)
    if not (in_order and complete):
        facts["line_order"] = 1
        info["line_order"] += 1
    text = "\n".join(kept[i][4] or "" for i in ordered)
    encoding = "cp1252" if any(line[6] == "cp1252" for line in kept) else None
    return make_record(number, where, key, Text(text, None, encoding), text_col, extra, facts)
