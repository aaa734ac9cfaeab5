"""Readers: one record per input record, in order, whatever the export looks like."""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest

from auditor.errors import ColumnError, InputError
from auditor.io.readers import read_records


def _rows(path, **kwargs):
    """(row, note_id, text, error) of every record read from ``path``."""
    return [(r.row, r.note_id, r.text, r.error) for r in read_records(path, **kwargs)]


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# -- CSV --------------------------------------------------------------------------------


def test_csv_embedded_newlines_quotes_crlf_and_blank_lines(tmp_path):
    data = (
        b"note_id,text,clinic\r\n"
        b'n1,"Toradol 60 mg IM\r\ngiven, ""well"" tolerated",A\r\n'
        b"\r\n"
        b"n2,plain,B\r\n"
        b'n3,"",C\r\n'
        b"n4,   ,D\r\n"
    )
    path = _write(tmp_path, "notes.csv", data)
    assert _rows(path) == [
        (1, "n1", 'Toradol 60 mg IM\r\ngiven, "well" tolerated', None),
        (2, "n2", "plain", None),
        (3, "n3", "", None),
        (4, "n4", "   ", None),
    ]
    assert [r.extra for r in read_records(path)] == [
        {"clinic": "A"},
        {"clinic": "B"},
        {"clinic": "C"},
        {"clinic": "D"},
    ]


def test_csv_ragged_rows_become_error_records_in_order(tmp_path):
    data = (
        b"note_id,text,clinic\n"
        b"n1,first,A\n"
        b"n2,unquoted, comma here,B\n"  # one field too many
        b"n3,short\n"  # one field too few
        b"n4,padded,C,,\n"  # trailing empty fields are padding: kept
        b"n5,last,D\n"
    )
    path = _write(tmp_path, "notes.csv", data)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no pandas/pyarrow "skipping line" warning
        rows = _rows(path)
    assert rows == [
        (1, "n1", "first", None),
        (2, "<row 2>", None, "row 2 (line 3): 4 fields where the header has 3; record not read"),
        (3, "<row 3>", None, "row 3 (line 4): 2 fields where the header has 3; record not read"),
        (4, "n4", "padded", None),
        (5, "n5", "last", None),
    ]


def test_csv_broken_quoting_is_an_error_record_naming_its_lines(tmp_path):
    data = (
        b"note_id,text\n"
        b'n1,"closed "then text\n'  # a quote closed mid-field
        b"n2,fine\n"
        b'n3,"never closed\n'
        b"n4,not swallowed\n"  # a record of its own: read on from here (issue 15, item 11)
        b'n5,"a note\nwith ""its"" quote never closed\n'
        b"and prose after it\n"  # not a record's line: the whole rest is one error
    )
    path = _write(tmp_path, "notes.csv", data)
    assert _rows(path) == [
        (
            1,
            "<row 1>",
            None,
            "row 1 (line 2): malformed CSV (',' expected after '\"'); record not read",
        ),
        (2, "n2", "fine", None),
        (
            3,
            "<row 3>",
            None,
            "row 3 (line 4): malformed CSV (',' expected after '\"'); record not read",
        ),
        (4, "n4", "not swallowed", None),
        (
            5,
            "<row 5>",
            None,
            "row 5 (lines 6-8): malformed CSV (unexpected end of data); record not read",
        ),
    ]


def test_csv_decodes_each_cell_utf8_else_windows_1252(tmp_path):
    data = (
        b"\xef\xbb\xbfnote_id,text\n"  # UTF-8 BOM before the header
        b"u,B12 1000 \xc2\xb5g IM\n"  # UTF-8
        b"w,B12 1000 \xb5g IM \x93tolerated\x94\n"  # Windows-1252
        b"x,bad \x81 byte\n"  # neither
        b"z,NUL\x00inside\n"
    )
    path = _write(tmp_path, "notes.csv", data)
    assert _rows(path) == [
        (1, "u", "B12 1000 µg IM", None),
        (2, "w", "B12 1000 µg IM “tolerated”", None),
        (
            3,
            "x",
            None,
            "row 3 (line 4): text is neither UTF-8 nor Windows-1252 (first bad byte at offset 4)"
            " in column 'text'",
        ),
        (4, "z", "NUL\x00inside", None),
    ]
    assert [r.encoding for r in read_records(path)] == ["utf-8", "cp1252", None, "utf-8"]


def test_csv_header_only_and_empty_files_hold_no_records(tmp_path):
    assert _rows(_write(tmp_path, "header.csv", b"note_id,text\n")) == []
    assert _rows(_write(tmp_path, "empty.csv", b"")) == []


def test_csv_header_only_still_checks_columns(tmp_path):
    with pytest.raises(ColumnError) as caught:
        list(read_records(_write(tmp_path, "header.csv", b"id,body_text\n")))
    assert caught.value.message == (
        "cannot tell which column holds the note text; columns are: 'id', 'body_text'. "
        "Name it with --text-col."
    )


def test_csv_giant_cell_is_read_whole(tmp_path):
    big = "Toradol 60 mg IM given. " * 50_000  # 1.2 MB, far past csv's 131,072 default
    path = _write(tmp_path, "big.csv", f'id,text\n1,"{big}"\n2,small\n'.encode())
    assert [(r.note_id, len(r.text)) for r in read_records(path)] == [("1", len(big)), ("2", 5)]


def test_tsv_uses_tabs_and_empty_id_falls_back_to_row(tmp_path):
    path = _write(tmp_path, "notes.tsv", b"note_id\ttext\na\tone, two\n\tthree\n")
    assert _rows(path) == [(1, "a", "one, two", None), (2, "2", "three", None)]


def test_utf16_csv_with_a_bom_is_read(tmp_path):
    text = "note_id;text\n1;B12 1000 \u00b5g IM\n2;\u201cok\u201d\n"
    for encoding in ("utf-16", "utf-16-le", "utf-16-be"):  # BOM, and Excel's BOM-less kinds
        path = _write(tmp_path, f"{encoding}.csv", text.encode(encoding))
        assert _rows(path) == [
            (1, "1", "B12 1000 \u00b5g IM", None),
            (2, "2", "\u201cok\u201d", None),
        ]


# -- columns ----------------------------------------------------------------------------


def test_given_column_missing_lists_the_columns_found(tmp_path):
    path = _write(tmp_path, "notes.csv", b"note_id,text\n1,x\n")
    with pytest.raises(ColumnError) as caught:
        list(read_records(path, text_col="body"))
    assert caught.value.message == "text column 'body' not found; columns are: 'note_id', 'text'"
    with pytest.raises(ColumnError) as caught:
        list(read_records(path, id_col="mrn"))
    assert caught.value.message == "id column 'mrn' not found; columns are: 'note_id', 'text'"


def test_headerless_file_does_not_print_note_text_as_a_column_name(tmp_path):
    line = "17,Toradol 60 mg IM given in the right deltoid for renal colic, tolerated well\n"
    path = _write(tmp_path, "notes.csv", line.encode())
    with pytest.raises(ColumnError) as caught:
        list(read_records(path))
    assert caught.value.message == (
        "cannot tell which column holds the note text; columns are: "
        "<column 1: 2 characters, not shown>, <column 2: 59 characters, not shown>, "
        "<column 3: 15 characters, not shown>. "
        "Name it with --text-col (is the header line missing?)."
    )


def test_headerless_file_short_cells_are_not_printed(tmp_path):
    # issue 15, item 6: "MRN 12345,John Smith" on line 1 was printed in the column error
    path = _write(tmp_path, "notes.csv", b"MRN 12345,John Smith\nMRN 2,Jane Roe\n")
    for kwargs in ({}, {"text_col": "text"}, {"id_col": "id"}):
        with pytest.raises(ColumnError) as caught:
            list(read_records(path, **kwargs))
        assert "12345" not in caught.value.message
        assert "Smith" not in caught.value.message
        assert "<column 1: 9 characters, not shown>, <column 2: 10 characters, not shown>" in (
            caught.value.message
        )


def test_duplicate_column_name_is_refused(tmp_path):
    path = _write(tmp_path, "notes.csv", b"id,text,text\n1,a,b\n")
    with pytest.raises(ColumnError) as caught:
        list(read_records(path))
    assert caught.value.message == (
        "column 'text' occurs more than once; columns are: 'id', 'text', 'text'"
    )


def test_unknown_format_and_missing_path(tmp_path):
    with pytest.raises(InputError) as caught:
        read_records(_write(tmp_path, "notes.docx", b"PK"))
    assert caught.value.message == (
        "unknown input format '.docx' (notes.docx): use .csv/.tsv, .xlsx/.xls, "
        ".jsonl/.ndjson (FHIR too), .parquet, .hl7, .txt or a folder of .txt, "
        "optionally compressed (.gz, .bz2, .zst, .zip)"
    )
    with pytest.raises(InputError):
        read_records(tmp_path / "absent.csv")


# -- JSONL ------------------------------------------------------------------------------


def test_jsonl_malformed_lines_among_good_ones(tmp_path):
    lines = [
        json.dumps({"note_id": "a", "text": "first"}),
        "",  # blank lines are not records
        '{"note_id": "b", "text": "cut off',
        "[1, 2]",
        json.dumps({"note_id": "c", "text": None}),
        json.dumps({"note_id": "d"}),
        json.dumps({"note_id": "e", "text": 12}),
        "[" * 100_000,
        json.dumps({"note_id": 7, "text": "last"}),
    ]
    path = _write(tmp_path, "notes.jsonl", "\n".join(lines).encode() + b"\n")
    assert _rows(path) == [
        (1, "a", "first", None),
        (2, "<row 2>", None, "line 3: not valid JSON (Unterminated string starting at column 26)"),
        (3, "<row 3>", None, "line 4: not a JSON object (got list)"),
        (4, "c", None, "line 5: missing text (null) in column 'text'"),
        (5, "d", None, "line 6: missing text (no such field) in column 'text'"),
        (6, "e", None, "line 7: text is not a string (got int) in column 'text'"),
        (7, "<row 7>", None, "line 8: not valid JSON (nested too deeply)"),
        (8, "7", "last", None),
    ]


def test_jsonl_windows_1252_line_and_bom(tmp_path):
    data = b'\xef\xbb\xbf{"id": "a", "text": "ok"}\n{"id": "b", "text": "5 \xb5g"}\n'
    path = _write(tmp_path, "notes.jsonl", data)
    assert _rows(path) == [(1, "a", "ok", None), (2, "b", "5 µg", None)]
    assert [r.encoding for r in read_records(path)] == ["utf-8", "cp1252"]


@pytest.mark.parametrize("data", [b'[{"text": "a"}, {"text": "b"}]\n', b'[\n  {"text": "a"}\n]\n'])
def test_json_array_is_refused_not_read_as_error_lines(tmp_path, data):
    with pytest.raises(InputError) as caught:
        list(read_records(_write(tmp_path, "notes.json", data)))
    assert caught.value.message == (
        "notes.json: holds a JSON array, not JSON Lines (one object per line)"
    )


def test_jsonl_first_line_a_one_line_array_of_no_object_is_one_bad_record(tmp_path):
    """A JSON Lines file whose first line is a complete array of no object ("[1, 2]") is
    read like one whose later line is: that line is an error record and every other line a
    record (one output record per input line); only an array that opens the file over
    several lines, or holds the records as objects, refuses the file (above)."""
    lines = [
        "[1, 2]",
        "[]",
        json.dumps({"note_id": "a", "text": "first"}),
        json.dumps({"note_id": "b", "text": "second"}),
    ]
    path = _write(tmp_path, "notes.jsonl", "\n".join(lines).encode() + b"\n")
    assert _rows(path) == [
        (1, "<row 1>", None, "line 1: not a JSON object (got list)"),
        (2, "<row 2>", None, "line 2: not a JSON object (got list)"),
        (3, "a", "first", None),
        (4, "b", "second", None),
    ]
    for refused in (b"[\n", b'[{"text": "a"},\n', b"[" * 100_000 + b"\n"):
        with pytest.raises(InputError):
            list(read_records(_write(tmp_path, "more.jsonl", refused + lines[2].encode())))


# -- Parquet ----------------------------------------------------------------------------


def test_parquet_non_string_null_and_binary_text(tmp_path):
    path = tmp_path / "notes.parquet"
    pd.DataFrame({"note_id": ["a", "b"], "text": [101, 202]}).to_parquet(path)
    assert _rows(path) == [
        (1, "a", None, "row 1: text is not a string (got int) in column 'text'"),
        (2, "b", None, "row 2: text is not a string (got int) in column 'text'"),
    ]
    path = tmp_path / "mixed.parquet"
    frame = pd.DataFrame({"id": [1, 2, 3], "note_text": [b"5 \xb5g", None, b"ok"]})
    frame.to_parquet(path)
    assert _rows(path) == [
        (1, "1", "5 µg", None),
        (2, "2", None, "row 2: missing text (null) in column 'note_text'"),
        (3, "3", "ok", None),
    ]


def test_parquet_unreadable_file(tmp_path):
    with pytest.raises(InputError) as caught:
        list(read_records(_write(tmp_path, "notes.parquet", b"not parquet at all")))
    assert caught.value.message.startswith("notes.parquet: not a readable Parquet file (")


# -- folder of .txt -----------------------------------------------------------------------


def test_txt_folder_unreadable_binary_and_encodings(tmp_path):
    folder = tmp_path / "notes"
    (folder / "sub").mkdir(parents=True)
    (folder / "a.txt").write_bytes(b"Toradol 60 mg IM")
    (folder / "b.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (folder / "c.txt").symlink_to(folder / "gone.txt")  # broken link: unreadable
    (folder / "d.txt").write_bytes(b"5 \xb5g")
    (folder / "e.txt").write_bytes(b"")
    (folder / "f.txt").write_bytes("UTF-16 note".encode("utf-16"))
    (folder / "dir.txt").mkdir()  # a folder is not a record
    (folder / "notes.md").write_text("not a .txt file")
    (folder / "sub" / "g.txt").write_bytes(b"\xef\xbb\xbfnested")
    assert _rows(folder) == [
        (1, "a", "Toradol 60 mg IM", None),
        (2, "b", None, "file b.txt: binary, not text"),
        (3, "c", None, "file c.txt: unreadable (No such file or directory)"),
        (4, "d", "5 µg", None),
        (5, "e", "", None),
        (6, "f", "UTF-16 note", None),
        (7, "g", "nested", None),
    ]


def test_txt_folder_permission_error_is_an_error_record(tmp_path, monkeypatch):
    import os

    from auditor.io.readers import text as text_reader

    (tmp_path / "a.txt").write_text("x")
    (tmp_path / "b.txt").write_text("y")
    real = os.open

    def fake_open(path, *args, **kwargs):
        if str(path).endswith("a.txt"):
            raise PermissionError(13, "Permission denied")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(text_reader.os, "open", fake_open)
    assert _rows(tmp_path) == [
        (1, "a", None, "file a.txt: unreadable (Permission denied)"),
        (2, "b", "y", None),
    ]


def test_headerless_file_one_word_cells_are_not_printed(tmp_path):
    # a one-word first cell of a headerless file may be note text ("Fever"): no name is
    # printed when the first row does not look like a header (developers' guide: no PHI in errors)
    path = _write(tmp_path, "notes.csv", b"Fever,Ceftriaxone\nCough,Ketorolac\n")
    with pytest.raises(ColumnError) as caught:
        list(read_records(path))
    assert caught.value.message == (
        "cannot tell which column holds the note text; columns are: "
        "<column 1: 5 characters, not shown>, <column 2: 11 characters, not shown>. "
        "Name it with --text-col (is the header line missing?)."
    )


# -- ids the reader makes up --------------------------------------------------------------


def test_an_error_record_id_is_its_row_in_angle_brackets_never_a_plain_number(tmp_path):
    """An error record whose fields cannot be read takes ``<row N>`` (N its 1-based record
    number): stable, and unlike a real id "2" of the same file, which a plain "2" would
    repeat. A record with an empty id cell keeps its plain row number (contract v2 section 5:
    the row number when there is no id)."""
    path = _write(tmp_path, "ids.csv", b'note_id,text\n2,"a"\n1,ragged,extra\n,"b"\n')
    assert [(r, i, e is None) for r, i, _, e in _rows(path)] == [
        (1, "2", True),
        (2, "<row 2>", False),
        (3, "3", True),
    ]
    path = _write(tmp_path, "ids.jsonl", b'{"id": "2", "text": "a"}\n[1]\n{"id": "3"\n')
    assert [i for _, i, _, _ in _rows(path)] == ["2", "<row 2>", "<row 3>"]


def test_a_jsonl_id_that_is_an_object_or_array_is_canonical_json(tmp_path):
    """An object or array id (a database export's ``{"$oid": ...}``) is written as canonical
    JSON: keys sorted, no blanks, non-ASCII kept; never as Python text ("{'$oid': ...}")."""
    data = (
        '{"id": {"b": [1, "é"], "$oid": "5f1d"}, "text": "a"}\n'
        '{"id": ["x", 2, null], "text": "b"}\n'
        '{"id": true, "text": "c"}\n'
    ).encode()
    path = _write(tmp_path, "obj.jsonl", data)
    assert [i for _, i, _, _ in _rows(path)] == [
        '{"$oid":"5f1d","b":[1,"é"]}',
        '["x",2,null]',
        "True",
    ]


def test_txt_folder_file_names_that_are_not_utf8_give_distinct_readable_ids(tmp_path):
    """An export written on Windows names files in Windows-1252 (``caf\\xe9.txt``): the
    operating system hands such a name over with surrogate escapes, which were written as
    U+FFFD, so two such files shared one id that named neither. Each name's bytes are read as
    Windows-1252, as note text is (a byte it leaves undefined written ``\\xNN``), every file
    still yields one record, and a warning counts them by row (helper debt17)."""
    import os

    from auditor.records import InputTally

    folder = os.fsencode(tmp_path / "notes")
    os.mkdir(folder)
    for name, body in (
        (b"caf\xe9.txt", b"Toradol 60 mg IM"),
        (b"caf\xe8.txt", b"B12 1000 mcg IM"),
        (b"odd\x81.txt", b"Kenalog 40 mg IM"),
        (b"plain.txt", b"no injection"),
    ):
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(body)
    tally = InputTally()
    records = list(tally.watch(read_records(tmp_path / "notes")))
    assert [(r.row, r.note_id, r.text, r.error, r.extra) for r in records] == [
        (1, "cafè", "B12 1000 mcg IM", None, {"file": "cafè.txt"}),
        (2, "café", "Toradol 60 mg IM", None, {"file": "café.txt"}),
        (3, "odd\\x81", "Kenalog 40 mg IM", None, {"file": "odd\\x81.txt"}),
        (4, "plain", "no injection", None, {"file": "plain.txt"}),
    ]
    assert tally.summary()["file_name_windows_1252"] == 3
    assert tally.warnings() == [
        "3 file name(s) were not valid UTF-8 and were read as Windows-1252 for the note id "
        "and file column (rows 1, 2, 3)"
    ]
