"""Rewrites made for speed give what the old code gave (round 20, helper debt20): the tables
pasted in a note (``tables.tables`` and ``tables.columns``, once quadratic in the number of
lines of equal cells) and ``extraction.yaml`` ``regex.field_line`` (its blank runs made
possessive: two runs side by side split a line of blanks every way), compared with their old
forms on generated strings. The timings are in ``benchmarks/long_notes.py`` (no timed test)."""

from __future__ import annotations

import random
import re

import pytest

from auditor.patterns import load_pattern_file
from auditor.records import reader_rules
from auditor.tables import columns, lines_of, tables

OLD_FIELD_LINE = r"\s*[-•*]?\s*([A-Za-z][A-Za-z /&-]{0,30}?)\s*(?:\([^)]*\))?\s*(?:\d+\s*min\s*)?:"
PIECES = [" ", "\t", "\n", "\n", "-", "•", "*", "a", "S", "ite", "/", "&", "(", ")", "x", "1"]
PIECES += ["5", " min", "min", ":", "  ", ",", "|", ";", "+", "=", "_", "x,y,z", "|---|", "\t\t"]
PIECES += ["setting", " B ", "dx"]


def _old_tables(text: str, delimiters=None):
    """``tables.tables`` before round 20: every header rescans the lines after it."""
    rules = reader_rules()
    delimiters = rules.table_delimiters if delimiters is None else tuple(delimiters)
    lines = lines_of(text)
    for i, (_, header) in enumerate(lines):
        for delimiter in delimiters:
            n = header.count(delimiter)
            if n < 2:
                continue
            rows = []
            for row in lines[i + 1 :]:
                if row[1].strip() and not row[1].strip(rules.table_rule_chars):
                    continue
                if row[1].count(delimiter) != n:
                    break
                rows.append(row)
            yield delimiter, [lines[i], *rows]


def _old_columns(text: str, names):
    """``tables.columns`` before round 20."""
    wanted = set(names)
    for delimiter, lines in _old_tables(text):
        (_, header), rows = lines[0], lines[1:]
        heads = [cell.strip().lower() for cell in header.split(delimiter)]
        for j, name in enumerate(heads):
            if name not in wanted or heads.index(name) != j:
                continue
            cells = []
            for at, row in rows:
                parts = row.split(delimiter)
                cells.append((at + sum(len(p) + 1 for p in parts[:j]), parts[j]))
            yield name, cells


def _texts(seed: str, n: int, longest: int = 60):
    rng = random.Random(seed)
    for _ in range(n):
        yield "".join(rng.choice(PIECES) for _ in range(rng.randint(0, longest)))


@pytest.mark.parametrize("delimiters", [None, (",",), ("|",), ("\t", ";")])
def test_tables_are_the_old_tables(delimiters):
    for text in _texts(f"tables{delimiters}", 2000):
        found = [(t.delimiter, t.lines) for t in tables(text, delimiters)]
        assert found == list(_old_tables(text, delimiters)), repr(text)


@pytest.mark.parametrize("names", [["a"], ["a", "b", "setting"], ["dx", "x"]])
def test_columns_are_the_old_columns(names):
    for text in _texts(f"columns{names}", 2000):
        found = [(c.name, c.cells) for c in columns(text, names)]
        assert found == list(_old_columns(text, names)), repr(text)


def test_a_table_of_many_rows_is_read_whole_from_each_header():
    text = "a|b|c\n" + "1|2|3\n+--+--+\n" * 50 + "end"
    found = list(tables(text, ("|",)))
    assert [len(t.lines) for t in found] == list(_old_tables_lengths(text))
    assert found[0].lines[1] == (6, "1|2|3")


def _old_tables_lengths(text: str):
    return [len(lines) for _, lines in _old_tables(text, ("|",))]


def test_field_line_matches_as_its_old_form():
    new = re.compile(load_pattern_file("extraction/extraction.yaml")["regex"]["field_line"])
    old = re.compile(OLD_FIELD_LINE)
    assert new.pattern != old.pattern
    for text in _texts("field_line", 20000, longest=18):
        a, b = new.match(text), old.match(text)
        assert (a and (a.span(), a.span(1))) == (b and (b.span(), b.span(1))), repr(text)
    for text in ("Site: R deltoid", "  - Route (IM/SC): IM", "Injection 5 min: done", "a b"):
        a, b = new.match(text), old.match(text)
        assert (a and a.group(1)) == (b and b.group(1))
