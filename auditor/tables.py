"""Tables pasted as a note's text: a one-table export (CSV, pipe, tab or semicolon) written
into the note.

Pure text functions, no spaCy; used for what such an export's own columns say (its setting
column: ``setting.py``; its diagnosis column: ``extraction/attributes.py``). The delimiters tried
and the characters of a grid's rule line are rules: ``patterns/reader/reader.yaml`` ``tables``
(``records.reader_rules``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

from .records import ReaderRules, reader_rules


class Column(NamedTuple):
    """One named column of a pasted table.

    Attributes:
        name: the header cell that named it (lowercase, trimmed; one of the names asked for).
        cells: ``(offset, cell)`` of the column in each row after the header, in order, while
            the rows have as many cells as the header (``offset``: the cell's first character
            in the note; ``cell`` untrimmed).
    """

    name: str
    cells: list[tuple[int, str]]


class Table(NamedTuple):
    """A table pasted in a note: a header line with two or more of one delimiter and the
    lines after it split by the same delimiter into as many cells.

    Attributes:
        delimiter: the delimiter (one of ``reader.yaml`` ``tables.delimiters``).
        lines: ``(offset, line)`` of the header, then of each row (possibly none), in order
            (``offset``: the line's first character in the note).
    """

    delimiter: str
    lines: list[tuple[int, str]]


def lines_of(text: str) -> list[tuple[int, str]]:
    """``(offset, line)`` of each line of ``text`` (split at ``\\n``; ``offset``: the line's
    first character)."""
    out, at = [], 0
    for line in text.split("\n"):
        out.append((at, line))
        at += len(line) + 1
    return out


def tables(
    text: str, delimiters: Iterable[str] | None = None, rules: ReaderRules | None = None
) -> Iterator[Table]:
    """Each table of ``text`` (``Table``), tried from every line as its header, then for each
    of ``delimiters`` in order (None: ``reader.yaml`` ``tables.delimiters``); its rows end at a
    blank line or any line of another number of cells; a rule line drawn between rows (only
    characters of ``reader.yaml`` ``tables.rule_chars``: "+-----+----+") is skipped. A row of
    one table is also tried as the header of another (callers skip those they have read).
    ``rules``: ``records.reader_rules`` of the rule set in use (None: bundled)."""
    rules = rules or reader_rules()
    delimiters = rules.table_delimiters if delimiters is None else tuple(delimiters)
    rule_chars = rules.table_rule_chars
    lines = lines_of(text)
    for i, (_, header) in enumerate(lines):
        for delimiter in delimiters:
            n = header.count(delimiter)
            if n < 2:
                continue
            rows = []
            for row in lines[i + 1 :]:
                if row[1].strip() and not row[1].strip(rule_chars):
                    continue  # a box-drawn grid's rule line ("+------+-----+") between rows
                if row[1].count(delimiter) != n:
                    break
                rows.append(row)
            yield Table(delimiter, [lines[i], *rows])


def columns(text: str, names: Iterable[str], rules: ReaderRules | None = None) -> Iterator[Column]:
    """Each column of a table in ``text`` (``tables``) whose header cell is one of ``names``
    (lowercase), with its cells in the rows after the header. Yielded by header line, then
    delimiter, then header cell. ``rules``: ``records.reader_rules`` (None: bundled)."""
    wanted = set(names)
    for table in tables(text, None, rules):
        (_, header), rows = table.lines[0], table.lines[1:]
        heads = [cell.strip().lower() for cell in header.split(table.delimiter)]
        for j, name in enumerate(heads):
            if name not in wanted or heads.index(name) != j:
                continue
            cells = []
            for at, row in rows:
                parts = row.split(table.delimiter)
                cells.append((at + sum(len(p) + 1 for p in parts[:j]), parts[j]))
            yield Column(name, cells)
