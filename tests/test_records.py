"""Decoding raw cells, cleaning text without moving offsets, and the input tally."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from auditor.records import (
    InputTally,
    NoteRecord,
    Text,
    clean_text,
    coerce_text,
    decode_bytes,
    lexicon_words,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("B12 1000 µg IM".encode(), Text("B12 1000 µg IM", None, "utf-8")),
        (b"\xef\xbb\xbfToradol 60 mg", Text("Toradol 60 mg", None, "utf-8")),
        (b"B12 1000 \xb5g \x93given\x94", Text("B12 1000 µg “given”", None, "cp1252")),
        ("pt’s dose".encode("utf-16"), Text("pt’s dose", None, "utf-16")),
        (b"", Text("", None, "utf-8")),
        (
            b"ok \x81 no",
            Text(None, "text is neither UTF-8 nor Windows-1252 (first bad byte at offset 3)"),
        ),
    ],
)
def test_decode_bytes(raw, expected):
    assert decode_bytes(raw) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("", Text("")),
        ("  \n\t ", Text("  \n\t ")),
        (None, Text(None, "missing text (null)")),
        (math.nan, Text(None, "missing text (null)")),
        (pd.NA, Text(None, "missing text (null)")),
        (42, Text(None, "text is not a string (got int)")),
        (3.5, Text(None, "text is not a string (got float)")),
        (["a"], Text(None, "text is not a string (got list)")),
        (b"\xb5g", Text("µg", None, "cp1252")),
    ],
)
def test_coerce_text(value, expected):
    assert coerce_text(value) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a\r\nb\rc\nd", "a \nb\nc\nd"),
        ("\ufeffx\x00y\u00a0z\u202fw", " x y z w"),
        ("p1\x0cp2\u2028p3", "p1\np2\np3"),
        ("bad \ud800 surrogate", "bad \ufffd surrogate"),
        ("tab\tstays", "tab\tstays"),
        ("rec\u2019d 2\u20134 mg \u201cok\u201d \u2212", 'rec\'d 2-4 mg "ok" -'),
        ("", ""),
        # OCR: l read for I, 0 for O in a word of capitals; a lexicon word broken by a hyphen
        ("Route: lM Site: R glu-\nteal\nDx", "Route: IM Site: R gluteal  \nDx"),
        ("Ceftriax-\none 1 g IM\nok", "Ceftriaxone   1 g IM\nok"),
        ("FAMlLY PRACTlCE D0SE", "FAMILY PRACTICE DOSE"),
        ("KCl HCl All Ill pain-\nmorphine", "KCl HCl All Ill pain-\nmorphine"),
        # OCR (team_k, helper synth14): a digit one read for "l" when the word is then a lexicon
        # word, "rn" read for "m" in a unit right after an amount; anything else as written
        ("Kena1og 40 rng IM R g1uteal", "Kenalog 40 mg  IM R gluteal"),
        ("H1N1 covid19 turn 2 rn 20 rnin", "H1N1 covid19 turn 2 rn 20 rnin"),
        # OCR (team_h, helper synthfix16): a capital O for a zero in a number opening with a digit;
        # oxygen, carbon dioxide, water and ounces as written
        ("75O mg 1O2.1 F 12/O6/26", "750 mg 102.1 F 12/06/26"),
        ("O2 2L, CO2 24, H2O, 1OZ", "O2 2L, CO2 24, H2O, 1OZ"),
        # HTML character references: the character, then spaces over the rest; unknown or
        # semicolon-less ones as written
        ("25&nbsp;mg&nbsp;IM N&amp;V &ndash; ok", "25      mg      IM N&    V -       ok"),
        ("&#39;x&#x27; &foo; AT&T; & more", "'    x'      &foo; AT&T; & more"),
    ],
)
def test_clean_text_keeps_every_offset(text, expected):
    cleaned = clean_text(text)
    assert cleaned == expected
    assert len(cleaned) == len(text)


def test_hyphen_join_reads_the_rule_set_in_use(tmp_path):
    """A word broken by a hyphen at a line end is joined when it makes a lexicon word of the
    rule set the audit loaded (``--patterns``), not of the bundled one: a brand name added to
    a copied folder's drug lexicon is joined, and the audit with that folder reads it."""
    import shutil

    from auditor.core import audit_one
    from auditor.patterns import DEFAULT_PATTERNS_DIR, load_patterns

    folder = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS_DIR, folder)
    drugs = folder / "lexicons" / "drugs.yaml"
    text = drugs.read_text(encoding="utf-8")
    drugs.write_text(
        text.replace("names: [ketorolac, ", "names: [ketorolac, zentorix, ", 1), encoding="utf-8"
    )
    note = "Zento-\nrix 30 mg IM given R deltoid for back pain.\nTolerated well."
    assert clean_text(note) == note  # not a bundled word: left as written
    words = lexicon_words(load_patterns(str(folder)))
    assert "zentorix" in words and "zentorix" not in lexicon_words()
    assert clean_text(note, words).startswith("Zentorix   30 mg IM")
    row, events = audit_one(NoteRecord(row=1, note_id="n1", text=note), str(folder))
    assert [e["medication"] for e in events] == ["ketorolac"]
    row, events = audit_one(NoteRecord(row=1, note_id="n1", text=note))
    assert "ketorolac" not in [e["medication"] for e in events]  # the bundled set: no such name


def test_reader_rules_are_data(tmp_path):
    """The reader-level rules live in ``patterns/reader/reader.yaml`` and are read from the rule
    set in use: a copied folder whose spoken-punctuation threshold is raised leaves a short
    dictation as written, a pasted table's delimiters and a grid's rule characters come from
    the file, and a regex a reader takes groups from without them is refused (E100)."""
    import shutil

    import pytest

    from auditor.errors import PatternError
    from auditor.patterns import DEFAULT_PATTERNS_DIR, load_patterns
    from auditor.records import reader_rules
    from auditor.tables import tables

    note = "pain period given ketorolac comma right glute period tolerated comma no distress"
    bundled = clean_text(note)
    assert bundled == (
        "pain."
        + " " * 7
        + "given ketorolac,"
        + " " * 6
        + "right glute."
        + " " * 7
        + "tolerated,"
        + " " * 6
        + "no distress"
    )
    folder = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS_DIR, folder)
    reader = folder / "reader" / "reader.yaml"
    text = reader.read_text(encoding="utf-8")
    reader.write_text(text.replace("min_marks: 4", "min_marks: 5", 1), encoding="utf-8")
    rules = reader_rules(load_patterns(str(folder)))
    assert rules.spoken_min == 5 and reader_rules().spoken_min == 4
    assert clean_text(note, None, rules) == note  # four spoken marks: under the raised threshold
    grid = "drug|dose|route\n+====+====+\nketorolac|60 mg|IM"
    assert [len(t.lines) for t in tables(grid)] == [2, 1]  # the rule line is skipped
    import dataclasses

    plus_only = dataclasses.replace(rules, table_rule_chars="+")
    assert [len(t.lines) for t in tables(grid, None, plus_only)] == [1, 1]  # "=" ends the table
    assert reader_rules().table_delimiters == (",", "|", "\t", ";")
    reader.write_text(
        text.replace("pattern: '(?m)^(0\\d{2,4})", "pattern: '(?m)^(?:0\\d{2,4})", 1),
        encoding="utf-8",
    )
    load_patterns.cache_clear()
    with pytest.raises(PatternError, match=r"reader/reader.yaml: line_numbers.pattern must have 1"):
        load_patterns(str(folder))


def _record(row: int, note_id: str, encoding: str | None = "utf-8") -> NoteRecord:
    return NoteRecord(row=row, note_id=note_id, text="", encoding=encoding)


def test_tally_counts_duplicate_ids_and_windows_1252_by_row():
    records = [_record(1, "a"), _record(2, "b", "cp1252"), _record(3, "a"), _record(4, "a")]
    tally = InputTally()
    assert list(tally.watch(records)) == records  # passed through unchanged, in order
    assert tally.records == 4
    assert tally.summary() == {"duplicate_ids": 2, "windows_1252": 1}
    assert tally.warnings() == [
        "2 record(s) repeat a note_id seen earlier (rows 3, 4); "
        "each is kept and reported on its own line",
        "1 record(s) were not valid UTF-8 and were read as Windows-1252 (rows 2)",
    ]


def test_tally_quotes_at_most_ten_rows_and_nothing_when_clean():
    tally = InputTally()
    list(tally.watch(_record(i, "same") for i in range(1, 14)))
    assert tally.summary()["duplicate_ids"] == 12
    assert tally.warnings()[0].startswith(
        "12 record(s) repeat a note_id seen earlier (rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, ...)"
    )
    clean = InputTally()
    list(clean.watch([_record(1, "x"), _record(2, "y")]))
    assert clean.warnings() == []


def test_a_grid_rule_line_does_not_end_a_pasted_table():
    # a box-drawn flowsheet (team_k, helper synth14): the "+---+" lines between its header and
    # rows are no rows, so the rows after them are still read under the header's columns
    from auditor.tables import columns

    text = "+------+------+\n| Date | Rxn  |\n+------+------+\n| 12/07 | none |\n+------+------+"
    (column,) = columns(text, ["rxn"])
    assert [cell.strip() for _, cell in column.cells] == ["none"]


def test_capital_o_zeros_are_a_reader_rule(nlp):
    """reader.yaml 1.1.0 (helper debt16): a capital O typed for a zero before a unit ("LASIX
    8OMG IV") is read as 0 by the tokenizer under ``ocr.capital_o_zeros`` of the rule set in
    use (moved from auditor/core.py): with the bundled rule the dose is 80 mg; with a rule
    that matches nothing, no dose is read; the schema requires the key."""
    import copy

    import pytest
    import yaml

    from auditor.core import extract
    from auditor.errors import PatternError
    from auditor.patterns import DEFAULT_PATTERNS_DIR, load_patterns, validate_file
    from auditor.records import ReaderRules, reader_rules

    text = "GU: LOW UO, LASIX 8OMG IV GIVEN AT 1400."
    bundled = extract(nlp, text, reader_rules())["events"]
    assert [(e["medication"], e["dose_value"]) for e in bundled] == [("furosemide", 80)]
    spec = copy.deepcopy(load_patterns().reader)
    spec["ocr"]["capital_o_zeros"] = "(?!)"
    unread = extract(nlp, text, ReaderRules.from_spec(spec))["events"]
    assert [(e["medication"], e["dose_value"]) for e in unread] == [("furosemide", None)]
    del spec["ocr"]["capital_o_zeros"]
    schema = yaml.safe_load((DEFAULT_PATTERNS_DIR / "schemas" / "reader.schema.yaml").read_text())
    with pytest.raises(PatternError, match="capital_o_zeros"):
        validate_file("reader/reader.yaml", spec, schema)
