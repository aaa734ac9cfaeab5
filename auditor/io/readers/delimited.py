"""Delimited text (CSV, TSV, ``;`` and ``|`` files) read record by record.

The file's bytes (UTF-16 transcoded to UTF-8 first, a UTF-8 BOM skipped) are split into
records as Latin-1, which maps every byte to one character and leaves the ASCII delimiter,
quote and newline bytes intact; then each cell is decoded on its own
(``records.decode_bytes``: UTF-8, else Windows-1252), so one Windows-1252 note does not
garble the UTF-8 notes around it.

The delimiter is, in order: ``--sep``; Excel's ``sep=X`` first line; tab for ``.tsv`` /
``.tab`` and ``|`` for ``.psv``; else the one of ``,`` ``;`` ``|`` tab that occurs most
often (outside quotes) in the header line, comma on a tie.

A row that cannot be split into the header's columns (broken quoting, more non-empty or
fewer fields) becomes an error row naming its lines. When such a row spans several lines
and the line after its first looks like a record of its own (it splits into exactly the
header's number of fields), a stray quote swallowed the lines after it: only its first line
is reported and reading goes on from the next line, so the rows after it keep their numbers.
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import io
from collections import deque
from collections.abc import Iterator

from ...errors import InputError
from ...records import NoteRecord, Text, decode_bytes
from .common import ReadOptions, RecordStream, Row
from .source import Source, utf8_stream
from .tabular import table_records

CSV_FIELD_LIMIT = 2**31 - 1  # the csv module's default (131,072 chars) would reject big notes
SNIFFED = (",", "\t", ";", "|")  # candidate delimiters, in tie-break order
SEP_NAMES = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}


def parse_sep(value: str | None) -> str | None:
    """The delimiter an option names (``;``, ``|``, ``,``, ``tab`` or ``\\t``), or None.

    Raises:
        InputError: not a single character or a known name.
    """
    if value is None:
        return None
    sep = SEP_NAMES.get(value.lower(), value)
    if len(sep) != 1 or sep in '"\r\n':
        raise InputError(f"--sep must be one character (, ; | or tab), got {len(value)} characters")
    return sep


def sniff_delimiter(header_line: str) -> str:
    """The candidate delimiter that occurs most often outside quotes in a header line."""
    counts = dict.fromkeys(SNIFFED, 0)
    quoted = False
    for ch in header_line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(SNIFFED, key=lambda d: counts[d])  # first of the tied on a tie
    return best if counts[best] else ","


def _cell(raw: str) -> Text:
    """Decode one cell read as Latin-1 back to bytes and then to text."""
    return decode_bytes(raw.encode("latin-1"))


def _column_name(raw: str, position: int) -> str:
    """A header cell as a column name (``(undecodable column N)`` when it cannot be decoded)."""
    name = _cell(raw).text
    return f"(undecodable column {position})" if name is None else name.strip("\ufeff")


class _Lines:
    """Physical lines for ``csv.reader``, remembering those of the current record and
    taking lines back (to re-read after a stray quote)."""

    def __init__(self, lines: Iterator[str], count: int = 0) -> None:
        self._lines = lines
        self._pending: deque[str] = deque()
        self.taken: list[str] = []
        self.count = count  # physical lines consumed

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = self._pending.popleft() if self._pending else next(self._lines)
        self.taken.append(line)
        self.count += 1
        return line

    def push_back(self, lines: list[str]) -> None:
        self._pending.extendleft(reversed(lines))
        self.count -= len(lines)


def _fields(fields: list[str], width: int) -> tuple[list[str], str | None]:
    """Trailing empty fields beyond the header are padding; a count mismatch is a problem."""
    while len(fields) > width and fields[-1] == "":
        fields.pop()
    if fields and len(fields) != width:
        return fields, f"{len(fields)} fields where the header has {width}; record not read"
    return fields, None


def _is_record_line(line: str, delimiter: str, width: int) -> bool:
    """True when ``line`` alone splits into exactly ``width`` fields (a record's line)."""
    try:
        fields = next(csv.reader([line], delimiter=delimiter, strict=True), [])
    except csv.Error:
        return False
    fields, problem = _fields(fields, width)
    return bool(fields) and problem is None


def _csv_rows(
    lines: _Lines, delimiter: str, width: int
) -> Iterator[tuple[list[str] | None, str, str | None]]:
    """Split the data lines after the header into records.

    Yields:
        ``(fields, lines, None)`` per good record and ``(None, lines, problem)`` per record
        that cannot be split into ``width`` fields; ``lines`` names its physical lines
        (``line 4``, ``lines 4-6``). Blank lines are skipped.
    """
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    while True:
        lines.taken = []
        first_line = lines.count + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            fields, problem = None, f"malformed CSV ({exc}); record not read"
        else:
            fields, problem = _fields(fields, width)
        taken = lines.taken
        if problem and len(taken) > 1 and _is_record_line(taken[1], delimiter, width):
            # A stray quote swallowed the lines after this one: report this line, re-read.
            lines.push_back(taken[1:])
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            yield None, f"line {first_line}", problem
            continue
        last_line = lines.count
        if fields == []:
            continue  # a blank line is not a record
        where = (
            f"line {first_line}" if last_line <= first_line else f"lines {first_line}-{last_line}"
        )
        yield (None if problem else fields), where, problem


@contextlib.contextmanager
def _table(source: Source, sep: str | None) -> Iterator[tuple[str, _Lines, list[str] | None]]:
    """Open a delimited file: ``(delimiter, data lines, columns)`` past its header
    (columns None for an empty file).

    Raises:
        InputError: the file cannot be read or its header line is not valid CSV.
    """
    csv.field_size_limit(CSV_FIELD_LIMIT)
    raw, _ = utf8_stream(source.open())
    with raw:
        if raw.peek(3)[:3] == codecs.BOM_UTF8:  # type: ignore[attr-defined]
            raw.read(3)
        text = io.TextIOWrapper(raw, encoding="latin-1", newline="")
        first = text.readline()
        consumed = 0
        declared = None
        if first.strip().lower().startswith("sep=") and len(first.strip()) == 5:
            declared, consumed, first = first.strip()[4], 1, text.readline()
        delimiter = sep or declared
        if delimiter is None:
            by_suffix = {".tsv": "\t", ".tab": "\t", ".psv": "|"}
            delimiter = by_suffix.get(source.suffix) or sniff_delimiter(first)
        lines = _Lines(_chain(first, text), consumed)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            header = next((r for r in reader if r), None)
        except csv.Error as exc:
            raise InputError(f"{source.name}: the header line is not valid CSV ({exc})") from exc
        columns = None
        if header is not None:
            columns = [_column_name(name, i) for i, name in enumerate(header, start=1)]
        yield delimiter, lines, columns


def read_delimited(
    stream: RecordStream, source: Source, options: ReadOptions
) -> Iterator[NoteRecord]:
    """Records of a delimited file with a header line.

    An empty file holds no records; a header-only file holds none either, but its
    columns are still checked. See the module docstring for the delimiter and stray quotes.

    Raises:
        InputError: the file cannot be read or its header line is not valid CSV.
        ColumnError: a column cannot be found or chosen.
    """
    with _table(source, options.sep) as (delimiter, lines, columns):
        stream.info["delimiter"] = delimiter
        if columns is None:
            stream.columns = []
            return  # an empty file: no records, nothing to check
        width = len(columns)
        header = columns

        def rows() -> Iterator[Row]:
            for row, (fields, where, problem) in enumerate(
                _csv_rows(lines, delimiter, width), start=1
            ):
                at = f"row {row} ({where})"
                if fields is None:
                    yield Row(row, at, None, problem)
                else:
                    yield Row(row, at, {c: _cell(v) for c, v in zip(header, fields, strict=True)})

        yield from table_records(stream, columns, rows(), options)


def count_delimited(
    source: Source, sep: str | None, id_col: str | None = None, line_col: str | None = None
) -> int | None:
    """The number of records (a csv pass decoding no cell but a note-line table's id):
    rows, or for a note-line table its distinct note ids plus its unreadable rows."""
    from .columns import detect_columns
    from .notelines import line_column

    with _table(source, sep) as (delimiter, lines, columns):
        if columns is None:
            return 0
        width = len(columns)
        if line_column(columns, id_col, None, line_col) is None:
            return sum(1 for _ in _csv_rows(lines, delimiter, width))
        found = None
        with contextlib.suppress(Exception):
            found = detect_columns(columns, id_col, None)[0]
        at = columns.index(found) if found else 0
        ids: set[str] = set()
        bad = 0
        for fields, _, _ in _csv_rows(lines, delimiter, width):
            if fields is None:
                bad += 1
            else:
                ids.add(fields[at])
        return len(ids) + bad


def _chain(first: str, rest: io.TextIOWrapper) -> Iterator[str]:
    if first:
        yield first
    yield from rest
