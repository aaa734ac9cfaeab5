"""report.xlsx, spreadsheet-safe CSV/XLSX cells (OWASP CSV injection), and the CLI's
version, column checks, help and summary width (issue 13)."""

from __future__ import annotations

import json
import re
import zipfile

import openpyxl
import pytest
from typer.testing import CliRunner

from auditor import __version__
from auditor.cli import app, wrap_items
from auditor.io.cells import csv_safe
from auditor.io.xlsx import EXCEL_CELL_LIMIT, cell_text

HOSTILE_ID = '=HYPERLINK("http://x","y")'


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        (-2.5, -2.5),
        (None, ""),
        (["a", "=b"], "a;=b"),
        (["=a"], "'=a"),
    ],
)
def test_csv_cells_starting_like_a_formula_are_made_text(value, expected):
    assert csv_safe(value) == expected


def test_cell_text_cuts_at_excel_limit_with_a_mark():
    cut = cell_text("x" * 40_000)
    assert len(cut) <= EXCEL_CELL_LIMIT
    assert cut.endswith("more characters]")
    assert cell_text("a\x00b") == "a b"  # control characters Excel refuses
    assert cell_text(["a", "b"]) == "a; b"


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xlsx")
    notes = tmp / "notes.csv"
    notes.write_text(
        "note_id,text,provider\n"
        f'"{HOSTILE_ID.replace(chr(34), chr(34) * 2)}",'
        '"Toradol 60 mg IM given R deltoid for renal colic, tolerated well.",Dr A\n'
        "n2,B12 1000 mcg IM L deltoid for pernicious anemia.,Dr B\n",
        encoding="utf-8",
    )
    out = tmp / "out"
    result = run("audit", notes, "--out", out)
    assert result.exit_code == 0, result.output
    return out


def test_report_xlsx_sheets_header_filter_and_widths(hostile_report):
    book = openpyxl.load_workbook(hostile_report / "report.xlsx")
    assert book.sheetnames == ["summary", "notes", "events"]
    notes = book["notes"]
    assert notes.freeze_panes == "A2"
    assert notes.auto_filter.ref == "A1:I3"  # NOTE_COLUMNS: 9 columns
    assert [c.value for c in notes[1]][:3] == ["note_id", "status", "n_injections"]
    assert notes["A1"].font.bold
    assert notes.column_dimensions["A"].width > 10
    rows = list(notes.iter_rows(min_row=2, values_only=True))
    assert [r[0] for r in rows] == [HOSTILE_ID, "n2"]
    events = book["events"]
    assert [c.value for c in events[1]][:3] == ["note_id", "event_id", "medication"]
    summary = dict(book["summary"].iter_rows(min_row=2, values_only=True))
    assert summary["notes"] == 2
    assert summary["product"] == f"auditor {__version__}"


def test_hostile_note_id_is_never_a_formula(hostile_report):
    with zipfile.ZipFile(hostile_report / "report.xlsx") as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert "<f>" not in archive.read(name).decode()  # no formula cell anywhere
    notes_csv = (hostile_report / "notes.csv").read_text(encoding="utf-8").splitlines()
    assert notes_csv[1].startswith('"\'=HYPERLINK(""http://x"",""y"")"')
    events_csv = (hostile_report / "events.csv").read_text(encoding="utf-8").splitlines()
    assert events_csv[1].startswith("\"'=HYPERLINK(")
    first = json.loads((hostile_report / "notes.jsonl").read_text().splitlines()[0])
    assert first["note_id"] == HOSTILE_ID  # JSON keeps the value as it is


def test_version_option():
    result = run("--version")
    assert result.exit_code == 0
    assert result.stdout == f"auditor {__version__}\n"


def test_audit_help_lists_formats_and_detected_columns():
    result = CliRunner().invoke(app, ["audit", "--help"], terminal_width=100)
    assert result.exit_code == 0
    text = " ".join(result.stdout.split())
    for needle in (
        ".xlsx",
        ".hl7",
        "FHIR",
        ".zst",
        "sep=",
        "note_text",
        "note_csn_id",
        "--sheet",
        "--line-col",
        "--sep",
    ):
        assert needle in text, needle


@pytest.mark.parametrize("option", ["--group-by", "--id-col", "--text-col", "--line-col"])
def test_every_column_option_is_checked_before_the_audit(tmp_path, option):
    notes = tmp_path / "notes.csv"
    notes.write_text("note_id,text,provider\n1,Toradol 60 mg IM\n", encoding="utf-8")
    out = tmp_path / "out"
    result = run("audit", notes, "--out", out, option, "provdier")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: [E201] {option.removeprefix('--').split('-')[0]} column 'provdier' not "
        "found; columns are: 'note_id', 'text', 'provider'\n"
        if option in ("--id-col", "--text-col")
        else f"error: [E201] {option} column 'provdier' not found; columns are: 'note_id', "
        "'text', 'provider'\n"
    )
    assert not out.exists()


def test_wrap_items_never_breaks_inside_an_item():
    items = [f"element_{i} ({i * 11})" for i in range(12)]
    lines = wrap_items("most frequent missing elements:", items, 80)
    assert all(len(line) <= 80 for line in lines)
    assert " ".join(" ".join(lines).split()) == "most frequent missing elements: " + ", ".join(
        items
    )
    assert all(line.rstrip(",").split(", ")[-1].endswith(")") for line in lines)


def test_summary_fits_80_columns(tmp_path):
    notes = tmp_path / "notes.csv"
    notes.write_text(
        "note_id,text\n1,Toradol 60 mg IM\n2,Kenalog 40 mg given\n3,B12 injection\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["audit", str(notes), "--out", str(tmp_path / "o")], terminal_width=80
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("CPT 96372 audit: 3 notes, ")
    assert all(len(line) <= 80 for line in lines if not line.startswith("report: "))
    # the wall time and the notes per second of it, on the folder's line when it fits
    assert re.search(r"  \(\d+\.\d s, \d+\.\d notes/s\)$", lines[-1])


def test_summary_timing_line_keeps_to_the_width():
    """The timing goes on a line of its own when the folder's line would pass the width; an
    empty input gives no rate (helper debt17)."""
    from pathlib import Path

    from auditor.cli import _timing_lines

    assert _timing_lines(Path("out"), 60, 12.0, 80) == ["report: out  (12.0 s, 5.0 notes/s)"]
    long = Path("/tmp/" + "x" * 70)
    assert _timing_lines(long, 60, 12.0, 80) == [f"report: {long}", "  (12.0 s, 5.0 notes/s)"]
    assert _timing_lines(Path("out"), 0, 0.5, 80) == ["report: out  (0.5 s)"]


def test_report_xlsx_claims_sheet_and_sheets_past_the_row_limit(tmp_path, monkeypatch):
    from auditor.frames import EVENT_COLUMNS, NOTE_COLUMNS
    from auditor.io import xlsx

    monkeypatch.setattr(xlsx, "EXCEL_ROWS", 3)  # 2 data rows a sheet
    notes = [
        {c: None for c in NOTE_COLUMNS} | {"note_id": f"n{i}", "missing": []} for i in range(5)
    ]
    (tmp_path / "notes.jsonl").write_text("".join(json.dumps(n) + "\n" for n in notes))
    event = {c: None for c in EVENT_COLUMNS} | {"note_id": "n1", "evidence": "x" * 40_000}
    (tmp_path / "events.jsonl").write_text(json.dumps(event) + "\n")
    claim = {"claim_id": "C1", "note_id": "n1", "code": "96372", "findings": ["=bad"]}
    (tmp_path / "claims.jsonl").write_text(json.dumps(claim) + "\n")
    (tmp_path / "run.json").write_text(json.dumps({"notes": 5, "events": 1}))
    book = openpyxl.load_workbook(xlsx.write_xlsx(tmp_path))
    assert book.sheetnames == ["summary", "notes", "notes (2)", "notes (3)", "events", "claims"]
    assert [r[0] for r in book["notes (3)"].iter_rows(values_only=True)] == ["note_id", "n4"]
    assert book["notes (2)"].auto_filter.ref == "A1:I3"  # NOTE_COLUMNS: 9 columns
    evidence = book["events"].cell(row=2, column=EVENT_COLUMNS.index("evidence") + 1).value
    assert len(evidence) <= xlsx.EXCEL_CELL_LIMIT and evidence.endswith("more characters]")
    assert list(book["claims"].iter_rows(values_only=True)) == [
        ("claim_id", "note_id", "code", "findings"),
        ("C1", "n1", "96372", "=bad"),
    ]


def test_run_json_records_reader_options_to_read_the_input_again(tmp_path):
    from auditor.io.readers import read_records, reader_options

    book = openpyxl.Workbook()
    book.active.append(["x"])
    notes = book.create_sheet("Notes")
    notes.append(["note_id", "text"])
    notes.append(["007", "Toradol 60 mg IM given R deltoid for renal colic."])
    book.save(tmp_path / "n.xlsx")
    out = tmp_path / "out"
    result = run("audit", tmp_path / "n.xlsx", "--out", out, "--sheet", "Notes")
    assert result.exit_code == 0, result.output
    meta = json.loads((out / "run.json").read_text())
    assert reader_options(meta) == {"sheet": "Notes"}
    assert meta["reading"] == {"format": "xlsx", "sheet": "Notes"}
    again = read_records(meta["input"], meta["id_col"], meta["text_col"], **reader_options(meta))
    assert [r.note_id for r in again] == ["007"]
