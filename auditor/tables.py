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


class _Header(NamedTuple):
    """A table found by ``_headers``: its header line and its rows ``rows[start:stop]`` (a
    slice of the note's row lines, taken only when asked for)."""

    delimiter: str
    header: tuple[int, str]
    rows: list[tuple[int, str]]
    start: int
    stop: int

    def table(self) -> Table:
        return Table(self.delimiter, [self.header, *self.rows[self.start : self.stop]])


def tables(
    text: str, delimiters: Iterable[str] | None = None, rules: ReaderRules | None = None
) -> Iterator[Table]:
    """Each table of ``text`` (``Table``), tried from every line as its header, then for each
    of ``delimiters`` in order (None: ``reader.yaml`` ``tables.delimiters``); its rows end at a
    blank line or any line of another number of cells; a rule line drawn between rows (only
    characters of ``reader.yaml`` ``tables.rule_chars``: "+-----+----+") is skipped. A row of
    one table is also tried as the header of another (callers skip those they have read).
    ``rules``: ``records.reader_rules`` of the rule set in use (None: bundled).

    Each line's cells are counted once per delimiter and the rows of every header are a slice
    of one list (``_row_runs``): a note of many lines of equal cells (a tab or comma on every
    line) is no longer read again from each of its lines to its end (quadratic: 20 kB of
    blank lines holding three tabs took 80 s)."""
    for found in _headers(text, delimiters, rules):
        yield found.table()


def _headers(
    text: str, delimiters: Iterable[str] | None, rules: ReaderRules | None
) -> Iterator[_Header]:
    """The tables of ``tables``, in the same order, each as its header line and the bounds of
    its rows in the list of the note's row lines (``_Header``): a caller that reads only the
    header copies no rows."""
    rules = rules or reader_rules()
    delimiters = rules.table_delimiters if delimiters is None else tuple(delimiters)
    lines = lines_of(text)
    # rows are the lines that are no rule line ("+------+-----+"): ``kept``, by position
    rule_chars = rules.table_rule_chars
    kept = [k for k, (_, line) in enumerate(lines) if not line.strip() or line.strip(rule_chars)]
    kept_lines = [lines[k] for k in kept]
    # next_kept[i]: the position in ``kept`` of the first row line after line i
    next_kept, p = [], 0
    for i in range(len(lines)):
        while p < len(kept) and kept[p] <= i:
            p += 1
        next_kept.append(p)
    runs = {d: _row_runs([line.count(d) for _, line in lines], kept) for d in delimiters}
    for i in range(len(lines)):
        for delimiter in delimiters:
            counts, run_end = runs[delimiter]
            n = counts[i]
            if n < 2:
                continue
            p = next_kept[i]
            q = run_end[p] if p < len(kept) and counts[kept[p]] == n else p
            yield _Header(delimiter, lines[i], kept_lines, p, q)


def _row_runs(counts: list[int], kept: list[int]) -> tuple[list[int], list[int]]:
    """``(counts, run_end)``: each line's count of a delimiter, and for each position ``p``
    of ``kept`` (the row lines) the position of the first row line after it with another
    count (``len(kept)`` when none): the rows of a header of that count whose first row is
    ``kept[p]`` are ``kept[p:run_end[p]]``."""
    run_end = [len(kept)] * (len(kept) + 1)
    for p in range(len(kept) - 2, -1, -1):
        same = counts[kept[p + 1]] == counts[kept[p]]
        run_end[p] = run_end[p + 1] if same else p + 1
    return counts, run_end


def columns(text: str, names: Iterable[str], rules: ReaderRules | None = None) -> Iterator[Column]:
    """Each column of a table in ``text`` (``tables``) whose header cell is one of ``names``
    (lowercase), with its cells in the rows after the header. Yielded by header line, then
    delimiter, then header cell. ``rules``: ``records.reader_rules`` (None: bundled)."""
    wanted = set(names)
    for found in _headers(text, None, rules):
        heads = [cell.strip().lower() for cell in found.header[1].split(found.delimiter)]
        if wanted.isdisjoint(heads):
            continue  # no row read (most headers name no wanted column)
        for j, name in enumerate(heads):
            if name not in wanted or heads.index(name) != j:
                continue
            cells = []
            for at, row in found.rows[found.start : found.stop]:
                parts = row.split(found.delimiter)
                cells.append((at + sum(len(p) + 1 for p in parts[:j]), parts[j]))
            yield Column(name, cells)
