"""Tables pasted as a note's text: a one-table export (CSV, pipe, tab or semicolon) written
into the note.

Pure text functions, no spaCy; used for what such an export's own columns say (its setting
column: ``setting.py``; its diagnosis column: ``extraction/attributes.py``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import NamedTuple

# the delimiters of a one-table export pasted as a note, in the order they are tried
TABLE_DELIMITERS = (",", "|", "\t", ";")


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


def columns(text: str, names: Iterable[str]) -> Iterator[Column]:
    """Each column of a table in ``text`` whose header cell is one of ``names`` (lowercase):
    a header is a line with two or more of one delimiter (``TABLE_DELIMITERS``), its rows the
    lines after it split by the same delimiter into as many cells (a blank line or any other
    line ends the table). Yielded by header line, then delimiter, then header cell."""
    wanted = set(names)
    lines, at = [], 0
    for line in text.split("\n"):
        lines.append((at, line))
        at += len(line) + 1
    for i, (_, header) in enumerate(lines[:-1]):
        for delimiter in TABLE_DELIMITERS:
            if header.count(delimiter) < 2:
                continue
            heads = [cell.strip().lower() for cell in header.split(delimiter)]
            for j, name in enumerate(heads):
                if name not in wanted or heads.index(name) != j:
                    continue
                cells = []
                for at, row in lines[i + 1 :]:
                    parts = row.split(delimiter)
                    if len(parts) != len(heads):
                        break
                    cells.append((at + sum(len(p) + 1 for p in parts[:j]), parts[j]))
                yield Column(name, cells)
