"""Real export formats in (issue 13): sniffed delimiters, encodings, compression, Excel,
single text files, EHR note-line tables, FHIR R4, HL7 v2 and RTF cells; and the hostile
inputs of issue 15 (headerless CSV, ``.txt`` folders with links/FIFOs/giant files, a
stray quote). Every fixture is written here in the format's real shape."""

from __future__ import annotations

import base64
import bz2
import gzip
import json
import os
import zipfile
from pathlib import Path

import pytest

from auditor.errors import ColumnError, InputError
from auditor.io.readers import count_records, read_records
from auditor.records import InputTally

FIXTURES = Path(__file__).parent / "fixtures" / "formats"
CANARY = "ZQXCANARY"


def _rows(path, **kwargs):
    """(row, note_id, text, error) of every record read from ``path``."""
    return [(r.row, r.note_id, r.text, r.error) for r in read_records(path, **kwargs)]


def _write(tmp_path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def b64(text: str, encoding: str = "utf-8") -> str:
    return base64.b64encode(text.encode(encoding)).decode("ascii")


# -- delimiters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "delimiter"),
    [
        ("semi.csv", "note_id;text\n1;Toradol 60 mg IM, R deltoid\n", ";"),
        ("pipe.csv", "note_id|text\n1|Toradol 60 mg IM, R deltoid\n", "|"),
        ("tab.csv", "note_id\ttext\n1\tToradol 60 mg IM, R deltoid\n", "\t"),
        ("comma.csv", 'note_id,text\n1,"Toradol 60 mg IM, R deltoid"\n', ","),
        ("quoted.csv", '"note;id",text\n1,"Toradol 60 mg IM, R deltoid"\n', ","),
        ("excel.csv", "sep=;\r\nnote_id;text\r\n1;Toradol 60 mg IM, R deltoid\r\n", ";"),
        ("notes.PSV", "note_id|text\n1|Toradol 60 mg IM, R deltoid\n", "|"),
    ],
)
def test_delimiter_is_sniffed_from_the_header_or_excel_sep_line(tmp_path, name, data, delimiter):
    stream = read_records(_write(tmp_path, name, data))
    records = list(stream)
    assert [(r.row, r.note_id, r.text, r.error) for r in records] == [
        (1, "1", "Toradol 60 mg IM, R deltoid", None)
    ]
    assert stream.info["delimiter"] == delimiter


def test_sep_option_overrides_sniffing_and_excel_sep_line_keeps_line_numbers(tmp_path):
    path = _write(tmp_path, "n.csv", "note_id|text|a,b,c\n1|x, y|z\n")  # a tie sniffs ","
    with pytest.raises(ColumnError):
        list(read_records(path))
    assert _rows(path, sep="|") == [(1, "1", "x, y", None)]
    assert _rows(path, sep="pipe") == [(1, "1", "x, y", None)]
    with pytest.raises(InputError, match="--sep must be one character"):
        read_records(path, sep=";;")
    ragged = _write(tmp_path, "r.csv", "sep=;\nnote_id;text\n1;a;extra\n")
    assert _rows(ragged) == [
        (1, "<row 1>", None, "row 1 (line 3): 3 fields where the header has 2; record not read")
    ]


# -- encodings --------------------------------------------------------------------------


def test_utf8_bom_utf16_and_windows_1252_cells(tmp_path):
    text = "note_id,text\n1,B12 1000 \u00b5g IM \u201cok\u201d\n"
    assert _rows(_write(tmp_path, "bom.csv", b"\xef\xbb\xbf" + text.encode())) == [
        (1, "1", "B12 1000 \u00b5g IM \u201cok\u201d", None)
    ]
    assert _rows(_write(tmp_path, "u16.csv", text.encode("utf-16"))) == [
        (1, "1", "B12 1000 \u00b5g IM \u201cok\u201d", None)
    ]
    cp = _write(tmp_path, "cp.csv", text.encode("cp1252"))
    records = list(read_records(cp))
    assert [(r.text, r.encoding) for r in records] == [
        ("B12 1000 \u00b5g IM \u201cok\u201d", "cp1252")
    ]
    jsonl = _write(tmp_path, "u16.jsonl", '{"note_id": "a", "text": "\u00b5g"}\n'.encode("utf-16"))
    assert _rows(jsonl) == [(1, "a", "\u00b5g", None)]


# -- compression ------------------------------------------------------------------------

CSV = "note_id,text\n007,Toradol 60 mg IM\n008,B12 1000 mcg IM\n"
EXPECTED = [(1, "007", "Toradol 60 mg IM", None), (2, "008", "B12 1000 mcg IM", None)]


def test_compressed_inputs_gz_bz2_zst_zip(tmp_path):
    import zstandard

    paths = [
        _write(tmp_path, "a.csv.gz", gzip.compress(CSV.encode())),
        _write(tmp_path, "b.CSV.BZ2", bz2.compress(CSV.encode())),
        _write(tmp_path, "c.csv.zst", zstandard.ZstdCompressor().compress(CSV.encode())),
    ]
    with zipfile.ZipFile(tmp_path / "d.zip", "w") as archive:
        archive.writestr("export/", "")
        archive.writestr("export/notes.csv", CSV)
    paths.append(tmp_path / "d.zip")
    for path in paths:
        assert _rows(path) == EXPECTED, path.name
        assert count_records(path) == 2


def test_compressed_parquet_and_jsonl(tmp_path):
    import pandas as pd

    frame = pd.DataFrame(
        {"note_id": ["007", "008"], "text": ["Toradol 60 mg IM", "B12 1000 mcg IM"]}
    )
    frame.to_parquet(tmp_path / "n.parquet")
    _write(tmp_path, "n.parquet.gz", gzip.compress((tmp_path / "n.parquet").read_bytes()))
    assert _rows(tmp_path / "n.parquet.gz") == EXPECTED
    lines = "".join(json.dumps(r) + "\n" for r in frame.to_dict("records"))
    assert _rows(_write(tmp_path, "n.jsonl.gz", gzip.compress(lines.encode()))) == EXPECTED


def test_damaged_or_ambiguous_archives_are_clear_input_errors(tmp_path):
    broken = _write(tmp_path, "x.csv.gz", gzip.compress(CSV.encode() * 200)[:-40] + b"junk")
    with pytest.raises(InputError) as caught:
        list(read_records(broken))
    assert caught.value.message.startswith("x.csv.gz: compressed data is damaged (")
    with zipfile.ZipFile(tmp_path / "two.zip", "w") as archive:
        archive.writestr("a.csv", CSV)
        archive.writestr("b.csv", CSV)
    with pytest.raises(InputError) as caught:
        read_records(tmp_path / "two.zip")
    assert caught.value.message == "two.zip: a zip input must hold exactly one file; it holds 2"
    with pytest.raises(InputError, match="not a readable zip file"):
        read_records(_write(tmp_path, "bad.zip", b"PK\x03\x04 nope"))
    with pytest.raises(InputError, match=r"unknown input format '\.docx'"):
        read_records(_write(tmp_path, "n.docx.gz", gzip.compress(b"x")))


# -- Excel ------------------------------------------------------------------------------


def _xlsx(path: Path, rows: list[list], sheets: dict[str, list[list]] | None = None) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Export"
    for row in rows:
        sheet.append(row)
    for name, extra_rows in (sheets or {}).items():
        other = book.create_sheet(name)
        for row in extra_rows:
            other.append(row)
    book.save(path)
    return path


def test_xlsx_first_sheet_leading_zeros_dates_empty_rows_and_ragged_rows(tmp_path):
    import datetime

    import openpyxl

    path = _xlsx(
        tmp_path / "notes.xlsx",
        [
            [None],  # blank rows above the header are skipped
            ["note_id", "text", "visit"],
            ["00017", "Toradol 60 mg IM", datetime.datetime(2025, 3, 1, 9, 30)],
            [None, None, None],
            [18, "B12 1000 mcg IM", None],
            [19, 12345, None],  # a number is not note text
            [20, "x", None, "stray"],
        ],
    )
    book = openpyxl.load_workbook(path)
    book["Export"].cell(row=5, column=1).number_format = "00000"  # 18 shown as 00018
    book.save(path)
    stream = read_records(path)
    assert [(r.row, r.note_id, r.text, r.error, r.extra) for r in stream] == [
        (1, "00017", "Toradol 60 mg IM", None, {"visit": "2025-03-01T09:30:00"}),
        (2, "00018", "B12 1000 mcg IM", None, {"visit": None}),
        (
            3,
            "19",
            None,
            "row 3 (sheet row 6): text is not a string (got int) in column 'text'",
            {"visit": None},
        ),
        (
            4,
            "<row 4>",
            None,
            "row 4 (sheet row 7): 4 cells where the header has 3; record not read",
            {},
        ),
    ]
    assert stream.columns == ["note_id", "text", "visit"]
    assert stream.info == {"sheet": "Export"}


def test_xlsx_sheet_option_and_unknown_sheet(tmp_path):
    path = _xlsx(
        tmp_path / "n.xlsx",
        [["note_id", "text"], ["a", "first sheet"]],
        {"Notes 2": [["note_id", "text"], ["b", "second sheet"]]},
    )
    assert _rows(path, sheet="Notes 2") == [(1, "b", "second sheet", None)]
    assert _rows(path, sheet="2") == [(1, "b", "second sheet", None)]
    with pytest.raises(InputError) as caught:
        list(read_records(path, sheet="Sheet9"))
    assert caught.value.message == "n.xlsx: no sheet 'Sheet9'; sheets are: 'Export', 'Notes 2'"


def test_xlsx_cell_at_the_excel_limit_is_counted_and_warned(tmp_path):
    path = _xlsx(
        tmp_path / "n.xlsx",
        [["note_id", "text"], ["a", "Toradol " + "x" * 32_759], ["b", "short"]],
    )
    tally = InputTally()
    records = list(tally.watch(read_records(path)))
    assert [len(r.text) for r in records] == [32_767, 5]
    assert tally.summary()["excel_cell_limit"] == 1
    assert tally.warnings() == [
        "1 record(s) have a cell at or over Excel's 32,767-character limit: Excel may have "
        "cut the note (rows 1)"
    ]


def test_xls_legacy_workbook(tmp_path):
    # tests/fixtures/formats/notes.xls was written by xlwt 1.3.0 (see its README)
    stream = read_records(FIXTURES / "notes.xls")
    assert [(r.row, r.note_id, r.text[:16], r.extra) for r in stream] == [
        (1, "00017", "Toradol 60 mg IM", {"provider": "Dr A", "visit_date": "2025-03-01T00:00:00"}),
        (2, "18", "B12 1000 mcg IM ", {"provider": "Dr B", "visit_date": None}),
    ]
    with pytest.raises(ColumnError):  # its only column is note_id
        list(read_records(FIXTURES / "notes.xls", sheet="Other"))


def test_damaged_workbook_is_an_input_error_without_text(tmp_path):
    path = _write(tmp_path, "n.xlsx", b"PK\x03\x04" + CANARY.encode() * 10)
    with pytest.raises(InputError) as caught:
        list(read_records(path))
    assert caught.value.message.startswith("n.xlsx: not a readable Excel workbook (")
    assert CANARY not in caught.value.message


# -- text files -------------------------------------------------------------------------


def test_single_txt_file_and_case_insensitive_folder(tmp_path):
    one = _write(tmp_path, "one/VISIT-9.TXT", "Toradol 60 mg IM given")
    assert _rows(one) == [(1, "VISIT-9", "Toradol 60 mg IM given", None)]
    assert [r.extra for r in read_records(one)] == [{"file": "VISIT-9.TXT"}]
    folder = tmp_path / "many"
    _write(folder, "b.TXT", "second")
    _write(folder, "a.txt", "first")
    _write(folder, "sub/c.Txt", "third")
    _write(folder, "skip.csv", "not a note")
    assert _rows(folder) == [
        (1, "a", "first", None),
        (2, "b", "second", None),
        (3, "c", "third", None),
    ]
    assert count_records(folder) == 3
    assert _rows(_write(tmp_path, "n.txt.gz", gzip.compress(b"gz note"))) == [
        (1, "n", "gz note", None)
    ]


def test_txt_folder_reads_regular_files_inside_it_only(tmp_path):
    # issue 15, item 7: links leading outside, FIFOs and devices were followed or hung
    outside = _write(tmp_path, "outside/secret.txt", CANARY)
    folder = tmp_path / "notes"
    _write(folder, "a.txt", "inside note")
    (folder / "b.txt").symlink_to(outside)
    (folder / "c.txt").symlink_to(folder / "a.txt")  # a link inside the folder is read
    (folder / "d.txt").symlink_to("/dev/zero")
    os.mkfifo(folder / "e.txt")
    (folder / "linked").symlink_to(outside.parent, target_is_directory=True)  # not walked
    assert _rows(folder) == [
        (1, "a", "inside note", None),
        (2, "b", None, "file b.txt: symbolic link leading outside the folder; not read"),
        (3, "c", "inside note", None),
        (4, "d", None, "file d.txt: symbolic link leading outside the folder; not read"),
        (5, "e", None, "file e.txt: not a regular file (FIFO); not read"),
    ]


def test_txt_file_over_the_size_cap_is_an_error_record(tmp_path, monkeypatch):
    from auditor.io.readers import text

    monkeypatch.setattr(text, "MAX_NOTE_BYTES", 100)
    folder = tmp_path / "notes"
    _write(folder, "big.txt", "x" * 101)
    _write(folder, "ok.txt", "y" * 100)
    assert _rows(folder) == [
        (1, "big", None, "file big.txt: file is 101 bytes, over the 100-byte limit; not read"),
        (2, "ok", "y" * 100, None),
    ]
    fifo = tmp_path / "direct.txt"
    os.mkfifo(fifo)
    assert _rows(fifo) == [
        (1, "direct", None, "file direct.txt: not a regular file (FIFO); not read")
    ]


# -- stray quote (issue 15, item 11) ----------------------------------------------------


def test_one_stray_quote_in_row_10_of_200_does_not_shift_or_swallow_rows(tmp_path):
    lines = ["note_id,text"] + [f"n{i},Toradol 60 mg IM note {i}" for i in range(1, 201)]
    lines[10] = 'n10,"Pt states fine today'  # a quote opened and never closed
    records = list(read_records(_write(tmp_path, "n.csv", "\n".join(lines) + "\n")))
    assert len(records) == 200
    assert [(r.row, r.note_id) for r in records if r.error] == [(10, "<row 10>")]
    assert records[9].error == (
        "row 10 (line 11): malformed CSV (unexpected end of data); record not read"
    )
    assert [(r.row, r.note_id) for r in records[10:]] == [(i, f"n{i}") for i in range(11, 201)]
    lines[10] = 'n10,"Pt" states fine'  # a quote closed mid-field
    records = list(read_records(_write(tmp_path, "m.csv", "\n".join(lines) + "\n")))
    assert len(records) == 200 and [r.row for r in records if r.error] == [10]


# -- EHR note-line tables ---------------------------------------------------------------

CLARITY = (
    "NOTE_ID,LINE,NOTE_TEXT,CONTACT_DATE_REAL,NOTE_CSN_ID,DEPARTMENT\n"
    "N1,1,Toradol 60 mg IM given,65000.01,501,ED\n"
    "N2,2,tolerated well.,65001,502,Clinic\n"
    "N1,2,R ventrogluteal for renal colic.,65000.01,501,ED\n"
    "N2,1,B12 1000 mcg IM L deltoid,65001,502,Clinic\n"
    "N1,1,DRAFT superseded,64990,499,ED\n"
    "N3,1,Depo-Provera 150 mg IM,65010,510,Clinic\n"
    "N3,3,given R deltoid.,65010,510,Clinic\n"
    "N4,1,,65011,511,Clinic\n"
    "N4,2,Ceftriaxone 1 g IM,65011,511,Clinic\n"
)


def test_note_line_table_is_folded_latest_version_in_line_order(tmp_path):
    stream = read_records(_write(tmp_path, "hno_note_text.csv", CLARITY))
    tally = InputTally()
    records = list(tally.watch(stream, stream))
    assert [(r.row, r.note_id, r.text, r.error) for r in records] == [
        (1, "N1", "Toradol 60 mg IM given\nR ventrogluteal for renal colic.", None),
        (2, "N2", "B12 1000 mcg IM L deltoid\ntolerated well.", None),
        (3, "N3", "Depo-Provera 150 mg IM\ngiven R deltoid.", None),
        (4, "N4", "\nCeftriaxone 1 g IM", None),
    ]
    assert records[0].extra == {
        "CONTACT_DATE_REAL": "65000.01",
        "NOTE_CSN_ID": "501",
        "DEPARTMENT": "ED",
    }
    assert stream.info["note_lines"] == {
        "line_column": "LINE",
        "version_column": "CONTACT_DATE_REAL",
        "rows": 9,
        "notes": 4,
        "versions_folded": 1,
        "rows_folded": 9,
        "line_order": 2,
    }
    summary = tally.summary()
    assert (summary["note_lines"], summary["versions_folded"], summary["line_order"]) == (9, 1, 2)
    assert tally.warnings() == [
        "2 note(s) had lines out of order, skipped or repeated; each was reassembled by line "
        "number (records 2, 3)"
    ]
    assert count_records(tmp_path / "hno_note_text.csv") == 4  # notes, not rows


def test_note_line_options_and_bad_rows(tmp_path):
    data = "doc,seq,body\nA,2,second\nA,1,first\nB,x,bad number\n"
    path = _write(tmp_path, "lines.csv", data)
    assert _rows(path, id_col="doc", text_col="body", line_col="seq") == [
        (1, "A", "first\nsecond", None),
        (2, "B", None, "note 2 (row 3): row 3: line number in column 'seq' is not a whole number"),
    ]
    with pytest.raises(ColumnError) as caught:
        list(read_records(path, line_col="LINE"))
    assert caught.value.message == (
        "--line-col column 'LINE' not found; columns are: 'doc', 'seq', 'body'"
    )
    with pytest.raises(ColumnError, match="a note-line table needs a note id column"):
        list(read_records(_write(tmp_path, "noid.csv", "line,text\n1,a\n"), line_col="line"))
    ragged = _write(tmp_path, "r.csv", "note_id,line,text\nA,1,a\nA,2,b,extra\nB,1,c\n")
    assert _rows(ragged) == [
        (1, "A", "a", None),
        (2, "<row 2>", None, "row 2 (line 3): 4 fields where the header has 3; record not read"),
        (3, "B", "c", None),
    ]


# -- FHIR R4 ----------------------------------------------------------------------------


def _doc(rid: str, attachment: dict, **fields) -> dict:
    return {
        "resourceType": "DocumentReference",
        "id": rid,
        "status": "current",
        "content": [{"attachment": attachment}],
        **fields,
    }


FHIR_DOCS = [
    _doc(
        "d1",
        {"contentType": "text/plain; charset=utf-8", "data": b64("Toradol 60 mg IM \u00b5")},
        subject={"reference": "Patient/p1"},
        date="2025-03-01T10:00:00Z",
        type={
            "coding": [
                {"system": "http://loinc.org", "code": "11506-3", "display": "Progress note"}
            ]
        },
        context={
            "encounter": [{"reference": "Encounter/e1"}],
            "practiceSetting": {"text": "Family Medicine"},
            "facilityType": {"coding": [{"code": "OF", "display": "Outpatient"}]},
        },
    ),
    _doc("d2", {"contentType": "text/html", "data": b64("<p>Depo-Medrol <b>80 mg</b> IM</p>")}),
    _doc("d3", {"contentType": "text/rtf", "data": b64(r"{\rtf1\ansi B12 IM\par ok}")}),
    _doc("d4", {"contentType": "text/plain", "url": "https://ehr.example/Binary/1"}),
    {
        **_doc("d5", {"contentType": "text/plain", "data": b64(CANARY)}),
        "status": "entered-in-error",
    },
    {"resourceType": "Patient", "id": "p1", "name": [{"family": CANARY}]},
    _doc("d6", {"contentType": "application/pdf", "data": b64("%PDF")}),
    _doc("d7", {"contentType": "text/plain", "data": "@@not base64@@"}),
    {
        "resourceType": "DiagnosticReport",
        "id": "r1",
        "status": "final",
        "code": {"text": "Injection report"},
        "encounter": {"reference": "Encounter/e2"},
        "effectiveDateTime": "2025-03-02",
        "presentedForm": [{"contentType": "text/plain", "data": b64("Ceftriaxone 1 g IM")}],
    },
]


def test_fhir_ndjson_document_references_and_reports(tmp_path):
    data = "".join(json.dumps(d) + "\n" for d in FHIR_DOCS) + "{broken\n"
    stream = read_records(_write(tmp_path, "DocumentReference.ndjson", data))
    tally = InputTally()
    records = list(tally.watch(stream, stream))
    assert (
        [(r.row, r.note_id, r.text, r.error) for r in records]
        == [
            (1, "d1", "Toradol 60 mg IM \u00b5", None),
            (2, "d2", "Depo-Medrol 80 mg IM\n", None),  # inscriptis ends a paragraph
            (3, "d3", "B12 IM\nok", None),
            (
                4,
                "d4",
                None,
                "line 4 DocumentReference: attachment given by URL only (not fetched); " "no text",
            ),
            (5, "d5", None, "line 5 DocumentReference: status entered-in-error; not audited"),
            (
                6,
                "d6",
                None,
                "line 7 DocumentReference: attachment type 'application/pdf' is not "
                "text; not read",
            ),
            (7, "d7", None, "line 8 DocumentReference: attachment data is not valid base64"),
            (8, "r1", "Ceftriaxone 1 g IM", None),
            (
                9,
                "<row 9>",
                None,
                "line 10: not valid JSON (Expecting property name enclosed in double "
                "quotes at column 2)",
            ),
        ]
    )
    assert records[0].extra == {
        "resource_type": "DocumentReference",
        "status": "current",
        "subject": "Patient/p1",
        "encounter": "Encounter/e1",
        "date": "2025-03-01T10:00:00Z",
        "type": "Progress note",
        "practice_setting": "Family Medicine",
        "facility_type": "Outpatient",
        "content_type": "text/plain",
    }
    assert (records[7].extra["encounter"], records[7].extra["type"]) == (
        "Encounter/e2",
        "Injection report",
    )
    assert stream.columns[:4] == ["id", "resource_type", "status", "subject"]
    summary = tally.summary()
    assert (summary["html_converted"], summary["rtf_converted"]) == (1, 1)
    assert summary["reading"] == {"format": "fhir", "fhir_skipped": {"Patient": 1}}
    assert "1 FHIR resource(s) holding no note were skipped (Patient 1)" in tally.warnings()
    assert all(CANARY not in (r.error or "") and CANARY not in (r.text or "") for r in records)


def test_fhir_bundle_json_and_column_options(tmp_path):
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": d} for d in FHIR_DOCS[:3]] + [{"fullUrl": "x"}],
    }
    path = _write(tmp_path, "bundle.json", json.dumps(bundle, indent=2))
    assert [(r.note_id, r.text) for r in read_records(path)] == [
        ("d1", "Toradol 60 mg IM \u00b5"),
        ("d2", "Depo-Medrol 80 mg IM\n"),
        ("d3", "B12 IM\nok"),
    ]
    assert [r.note_id for r in read_records(path, id_col="encounter")][:1] == ["Encounter/e1"]
    with pytest.raises(ColumnError, match="FHIR input has no text column"):
        list(read_records(path, text_col="text"))
    broken = _write(tmp_path, "broken.json", '{\n  "resourceType": "Bundle",\n  "entry": [\n')
    assert _rows(broken) == [
        (1, "<row 1>", None, "file: not valid JSON (Expecting value at line 4, column 1)")
    ]


# -- HL7 v2 -----------------------------------------------------------------------------

HL7 = (
    "MSH|^~\\&|EPIC|HOSP|RCV|FAC|20250301120000||MDM^T02^MDM_T02|MSG001|P|2.5\r"
    "EVN|T02|20250301\r"
    "PID|1||MRN123^^^HOSP^MR||" + CANARY + "^JANE\r"
    "PV1|1|O|CLINIC^^^HOSP||||||||||||||||V123\r"
    "TXA|1|PN|TX|20250301||||||||DOC555|||||AU\r"
    "OBX|1|TX|||Toradol 60 mg IM given\\.br\\Site: R deltoid \\F\\ tolerated \\T\\ ok||||||F\r"
    "OBX|2|FT|||Line two~Line three \\E\\ \\S\\ end||||||F\r"
    "OBX|3|NM|||42||||||F\r"
    "\n"
    "\x0bMSH|^~\\&|LAB|HOSP|RCV|FAC|20250301||ORU^R01|MSG002|P|2.3\r"
    "PID|1||MRN9\r"
    "PV1|1|E\r"
    "OBR|1||ORD77|INJ^Injection note|||20250302\r"
    "OBX|1|FT|||B12 1000 mcg IM L deltoid||||||F\r\x1c\r"
    "MSH|^~\\&|ADT|HOSP|RCV|FAC|20250301||ADT^A01|MSG003|P|2.5\r"
    "PID|1||MRN1\r"
    "MSH|^~\\&|X|HOSP|RCV|FAC|20250301||MDM^T08|MSG004|P|2.5\r"
    "TXA|1|PN\r"
    "MSH|^~\\&|X|HOSP|RCV|FAC|20250301||ORU^R01|MSG005|P|2.5\r"
    "OBX|1|TX|||" + CANARY + "||||||W\r"
)


def test_hl7_mdm_and_oru_text_reports(tmp_path):
    stream = read_records(_write(tmp_path, "feed.HL7", HL7))
    tally = InputTally()
    records = list(tally.watch(stream, stream))
    assert [(r.row, r.note_id, r.text, r.error) for r in records] == [
        (
            1,
            "DOC555",
            "Toradol 60 mg IM given\nSite: R deltoid | tolerated & ok\n"
            "Line two\nLine three \\ ^ end",
            None,
        ),
        (2, "ORD77", "B12 1000 mcg IM L deltoid", None),
        (3, "MSG004", None, "message at line 17: no OBX text segment (TX, FT or ST)"),
        (
            4,
            "MSG005",
            None,
            "message at line 19: result status W (wrong, entered in error); " "not audited",
        ),
    ]
    assert records[0].extra == {
        "message_type": "MDM^T02",
        "patient_id": "MRN123",
        "encounter": "V123",
        "patient_class": "O",
        "type": "PN",
        "date": "20250301",
        "status": "AU",
    }
    assert records[1].extra["patient_class"] == "E"
    assert tally.summary()["reading"] == {"format": "hl7", "hl7_skipped": {"ADT^A01": 1}}
    with pytest.raises(ColumnError, match="HL7 input has no text column"):
        list(read_records(tmp_path / "feed.HL7", text_col="text"))


def test_hl7_garbage_is_error_records_without_text(tmp_path):
    path = _write(tmp_path, "junk.hl7", "MSH" + CANARY + "\rOBX|1|TX|||x\r")
    records = list(read_records(path))
    assert len(records) == 1 and records[0].text is None
    assert records[0].error.startswith("message at line 1: ")
    assert CANARY not in records[0].error


# -- RTF cells --------------------------------------------------------------------------


def test_rtf_cells_are_converted_and_counted(tmp_path):
    rtf = r"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}\f0 Toradol 60 mg IM\par R deltoid \'b5g}"
    path = _write(tmp_path, "n.csv", f'note_id,text\n1,"{rtf}"\n2,plain\n')
    tally = InputTally()
    records = list(tally.watch(read_records(path)))
    assert [(r.note_id, r.text, r.facts) for r in records] == [
        ("1", "Toradol 60 mg IM\nR deltoid \u00b5g", {"rtf_converted": 1}),
        ("2", "plain", {}),
    ]
    assert tally.summary()["rtf_converted"] == 1


# -- headerless CSV (issue 15, item 6) --------------------------------------------------


def test_headerless_csv_column_error_holds_no_cells(tmp_path):
    path = _write(tmp_path, "n.csv", f"MRN 12345,{CANARY} Smith\n")
    for kwargs in ({}, {"text_col": "note"}, {"id_col": "id"}):
        with pytest.raises(ColumnError) as caught:
            list(read_records(path, **kwargs))
        assert CANARY not in caught.value.message and "12345" not in caught.value.message


# -- record counts for the progress bar -------------------------------------------------


def test_count_records_counts_records_not_lines(tmp_path):
    import pandas as pd

    csv_path = _write(tmp_path, "n.csv", 'note_id,text\n1,"two\nlines"\n\n2,x\n3,"bad\n')
    assert count_records(csv_path) == len(list(read_records(csv_path))) == 3
    assert count_records(_write(tmp_path, "n.jsonl", '{"text": "a"}\n\n{"text": "b"}\n')) == 2
    xlsx = _xlsx(tmp_path / "n.xlsx", [["note_id", "text"], ["a", "x"], ["b", "y"]])
    assert count_records(xlsx) == 2
    pd.DataFrame({"text": ["a", "b", "c"]}).to_parquet(tmp_path / "n.parquet")
    assert count_records(tmp_path / "n.parquet") == 3
    assert count_records(_write(tmp_path, "lines.csv", CLARITY)) == 4
    fhir = _write(tmp_path, "f.ndjson", "".join(json.dumps(d) + "\n" for d in FHIR_DOCS))
    assert count_records(fhir) == len(list(read_records(fhir))) == 8
    bundle = {"resourceType": "Bundle", "entry": [{"resource": d} for d in FHIR_DOCS]}
    assert count_records(_write(tmp_path, "b.json", json.dumps(bundle, indent=2))) == 8
    hl7 = _write(tmp_path, "f.hl7", HL7)
    assert count_records(hl7) == len(list(read_records(hl7))) == 4


# -- PHI: no note text outside the report, whatever the format --------------------------


def test_new_formats_keep_note_text_out_of_stderr_logs_and_redacted_reports(tmp_path, caplog):
    import logging
    import warnings

    from typer.testing import CliRunner

    from auditor.cli import app

    given = f"Toradol 60 mg IM given in the right deltoid for {CANARY} colic."
    lines_csv = (
        f"NOTE_ID,LINE,NOTE_TEXT\nA,1,{given}\nA,2,{CANARY} more\nB,{CANARY},x\n"
        f'C,1,"{CANARY} never closed\nD,1,{CANARY}\n'
    )
    fhir = (
        "".join(
            json.dumps(d) + "\n"
            for d in [
                _doc("d1", {"contentType": "text/plain", "data": b64(given)}),
                _doc("d2", {"contentType": "text/html", "data": b64(f"<p>{given}</p><b")}),
                {
                    **_doc("d3", {"contentType": "text/plain", "data": b64(given)}),
                    "status": "entered-in-error",
                },
            ]
        )
        + f'{{"resourceType": "DocumentReference", "id": "{CANARY}\n'
    )
    hl7 = (
        "MSH|^~\\&|A|B|C|D|2025||MDM^T02|M1|P|2.5\r"
        f"OBX|1|TX|||{given}\\.brX\\ \\Zq{CANARY}\\ \\X4G\\||||||F\r"
        f"MSH|^~\\&|A|B|C|D|2025||MDM^T02|M3|P|2.5\rOBX|1|TX|||{given} \\\\ end||||||F\r"
        f"MSH|^~\\&|A|B|C|D|2025||ORU^R01|M2|P|2.5\rOBX|1|TX|||{CANARY}||||||W\r"
    )
    inputs = {
        "lines.csv": lines_csv,
        "docs.ndjson": fhir,
        "feed.hl7": hl7,
        "headerless.csv": f"MRN 12345,{CANARY} Smith\n",
    }
    _xlsx(tmp_path / "n.xlsx", [["note_id", "text"], ["a", given], ["b", 12], ["c", given, "x"]])
    caplog.set_level(logging.DEBUG)
    for name, data in inputs.items():
        _write(tmp_path, name, data)
    for name in [*inputs, "n.xlsx"]:
        out = tmp_path / f"out-{name}"
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            result = CliRunner().invoke(
                app, ["audit", str(tmp_path / name), "--out", str(out), "--redact"]
            )
        assert result.exit_code in (0, 1, 2), (name, result.output)
        assert CANARY not in result.stdout + result.stderr, name
        assert all(CANARY not in str(w.message) for w in caught), name
        for path in out.glob("*") if out.exists() else []:
            assert CANARY.encode() not in path.read_bytes(), (name, path.name)
    assert CANARY not in caplog.text


def test_fhir_attachment_with_data_is_preferred_and_doc_status_is_checked(tmp_path):
    both = _doc("d8", {})
    both["content"] = [
        {"attachment": {"contentType": "text/plain", "url": "https://ehr.example/Binary/2"}},
        {"attachment": {"contentType": "text/html", "data": b64("<pre>B12 IM given</pre>")}},
    ]
    retracted = {
        **_doc("d9", {"contentType": "text/plain", "data": b64(CANARY)}),
        "docStatus": "entered-in-error",
    }
    path = _write(tmp_path, "d.ndjson", json.dumps(both) + "\n" + json.dumps(retracted) + "\n")
    assert _rows(path) == [
        (1, "d8", "B12 IM given", None),
        (2, "d9", None, "line 2 DocumentReference: status entered-in-error; not audited"),
    ]
