"""JSON Lines (``.jsonl``, ``.ndjson``, ``.json``): one object per non-blank line.

Columns are detected from the first valid object. A line that is not a JSON object (or
not decodable) becomes an error record naming its line number. A file whose objects are
FHIR resources (``resourceType``), or a ``.json`` file holding one FHIR resource such as a
Bundle, is read by ``fhir``.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterator
from typing import Any

from ...errors import InputError
from ...records import NoteRecord, decode_bytes, json_problem
from .common import ReadOptions, RecordStream, Row, unreadable
from .source import Source, utf8_stream
from .tabular import table_records


def parse_line(raw: bytes) -> tuple[dict[str, Any] | None, str | None, str | None]:
    """Parse one JSONL line: ``(object, None, encoding)`` or ``(None, problem, None)``."""
    cell = decode_bytes(raw)
    if cell.error:
        return None, cell.error, None
    try:
        obj = json.loads(cell.text.rstrip("\r\n"))  # type: ignore[union-attr]
    except json.JSONDecodeError as exc:
        return None, json_problem(exc), None
    except RecursionError:
        return None, "not valid JSON (nested too deeply)", None
    if not isinstance(obj, dict):
        return None, f"not a JSON object (got {type(obj).__name__})", None
    return obj, None, cell.encoding


def lines(source: Source) -> Iterator[tuple[int, bytes]]:
    """``(line number, raw bytes)`` of the non-blank lines (UTF-16 transcoded, BOM off)."""
    raw, _ = utf8_stream(source.open())
    with raw:
        if raw.peek(3)[:3] == codecs.BOM_UTF8:  # type: ignore[attr-defined]
            raw.read(3)
        for line_no, line in enumerate(raw, start=1):
            if line.strip():
                yield line_no, line


def count_lines(source: Source) -> int | None:
    """Non-blank lines (records), or None when the lines are a note-line table's rows."""
    from .notelines import line_column

    n = 0
    for _, raw in lines(source):
        if n == 0:
            obj = parse_line(raw)[0]
            if obj is not None and line_column(list(obj), None, None, None) is not None:
                return None
        n += 1
    return n


def is_fhir(source: Source) -> bool:
    """True when the first non-blank line opens a FHIR resource (``"resourceType"`` within
    its first 4 KB), or the file starts a JSON object spread over lines (a pretty-printed
    Bundle) that names a ``resourceType`` early."""
    with source.open() as handle:
        raw, _ = utf8_stream(handle)
        head = raw.read(4096)
    head = head.lstrip(codecs.BOM_UTF8 + b" \t\r\n")
    return head.startswith(b"{") and b'"resourceType"' in head


def read_jsonl(stream: RecordStream, source: Source, options: ReadOptions) -> Iterator[NoteRecord]:
    """Records of a JSON Lines file.

    Raises:
        InputError: the file is a JSON array (its first line opens one: ``opens_json_array``),
            whose records would otherwise all collapse into error lines.
        ColumnError: a column cannot be found or chosen.
    """
    numbered = lines(source)
    buffered: list[Row] = []
    columns: list[str] | None = None

    def rows() -> Iterator[Row]:
        yield from buffered
        for row, (line_no, raw) in enumerate(numbered, start=len(buffered) + 1):
            yield _row(row, line_no, raw)

    for row, (line_no, raw) in enumerate(numbered, start=1):
        if row == 1 and opens_json_array(raw):
            raise InputError(
                f"{source.name}: holds a JSON array, not JSON Lines (one object per line)"
            )
        buffered.append(_row(row, line_no, raw))
        if buffered[-1].values is not None:
            columns = list(buffered[-1].values)
            break
    if columns is None:  # no line holds an object: every line is an error record
        stream.columns = []
        for r in buffered:
            yield unreadable(r.row, r.where, r.problem or "not readable")
        return
    yield from table_records(stream, columns, rows(), options)


def opens_json_array(raw: bytes) -> bool:
    """Does ``raw``, a file's first non-blank line, open a JSON array file rather than hold one
    JSON Lines record: a "[" that does not close on its line (an array written over lines:
    "[", then one object a line) or a one-line array holding an object (the records as one
    array)? A complete one-line array of no object ("[1, 2]") is one bad record, reported on
    its line like any other line that is not an object."""
    if not raw.lstrip(codecs.BOM_UTF8 + b" \t").startswith(b"["):
        return False
    cell = decode_bytes(raw)
    if cell.text is None:
        return False  # undecodable: an error record of its own
    try:
        value = json.loads(cell.text.lstrip("\ufeff"))
    except (json.JSONDecodeError, RecursionError):
        return True
    return any(isinstance(item, dict) for item in value)


def _row(row: int, line_no: int, raw: bytes) -> Row:
    obj, problem, encoding = parse_line(raw)
    where = f"line {line_no}"
    if obj is None:
        return Row(row, where, None, problem or "not readable")
    return Row(row, where, obj, encoding=encoding)
