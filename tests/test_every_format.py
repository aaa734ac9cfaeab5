"""The same notes through every input format give byte-identical ``notes.jsonl`` and
``events.jsonl`` (issue 13): the readers hand the audit the same text, so offsets,
evidence and findings agree whatever the export looked like.

The notes are the bundled sample corpus (``corpora/sample/clinic_notes.csv``, synthetic),
written here as each format's real shape: CSV with each delimiter and encoding,
compressed, Excel, JSON Lines, Parquet, a folder of ``.txt``, an Epic-style note-line
table, FHIR NDJSON and a Bundle (plain text, HTML and RTF attachments), an HL7 v2
``MDM^T02`` feed and RTF cells.
"""

from __future__ import annotations

import base64
import bz2
import csv
import gzip
import html
import io
import json
import random
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from auditor.core import audit_records
from auditor.io.readers import read_records
from auditor.io.writers import ReportWriter

SAMPLE = Path(__file__).parents[1] / "corpora" / "sample" / "clinic_notes.csv"
N_NOTES = 16


@pytest.fixture(scope="module")
def notes() -> list[dict[str, str]]:
    """A fixed subset of the sample notes, sorted by id (a folder reads in path order),
    holding multi-line notes, non-ASCII characters and a ``|``."""
    frame = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    rows = frame.to_dict("records")
    special = [r for r in rows if any(ord(c) > 127 for c in r["text"]) or "|" in r["text"]]
    chosen = {r["note_id"]: r for r in rows[: N_NOTES - 4] + special[:4]}
    return [chosen[k] for k in sorted(chosen)]


def _csv(rows: list[dict[str, str]], delimiter: str = ",") -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, ["note_id", "style", "text"], delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def _rtf(text: str) -> str:
    out = []
    for ch in text:
        if ch in "\\{}":
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\par\n")
        elif ord(ch) > 127:
            out.append(f"\\u{ord(ch) if ord(ch) < 32768 else ord(ch) - 65536}?")
        else:
            out.append(ch)
    return "{\\rtf1\\ansi\\deff0{\\fonttbl{\\f0 Arial;}}\\f0 " + "".join(out) + "}"


def _hl7_escape(text: str) -> str:
    for raw, escaped in (
        ("\\", "\\E\\"),
        ("|", "\\F\\"),
        ("^", "\\S\\"),
        ("&", "\\T\\"),
        ("~", "\\R\\"),
    ):
        text = text.replace(raw, escaped)
    return text


def _hl7(rows: list[dict[str, str]]) -> str:
    messages = []
    for i, row in enumerate(rows, start=1):
        segments = [
            f"MSH|^~\\&|EHR|CLINIC|AUDIT|QA|20250301120000||MDM^T02|CTRL{i}|P|2.5",
            "PID|1||MRN1^^^CLINIC^MR",
            "PV1|1|O",
            f"TXA|1|PN|TX|20250301||||||||{row['note_id']}|||||AU",
        ]
        for n, line in enumerate(row["text"].split("\n"), start=1):
            segments.append(f"OBX|{n}|TX|||{_hl7_escape(line)}||||||F")
        messages.append("\r".join(segments) + "\r")
    return "\n".join(messages)


def _fhir(row: dict[str, str], media: str) -> dict:
    text = row["text"]
    body = {
        "text/plain": text,
        "text/html": "<html><body><pre>" + html.escape(text) + "</pre></body></html>",
        "text/rtf": _rtf(text),
    }[media]
    return {
        "resourceType": "DocumentReference",
        "id": row["note_id"],
        "status": "current",
        "subject": {"reference": "Patient/p1"},
        "content": [
            {
                "attachment": {
                    "contentType": f"{media}; charset=utf-8",
                    "data": base64.b64encode(body.encode()).decode(),
                }
            }
        ],
    }


def _note_lines(rows: list[dict[str, str]]) -> str:
    """An Epic-style note text table: one row per line, rows shuffled, an older version."""
    lines = []
    for row in rows:
        for n, line in enumerate(row["text"].split("\n"), start=1):
            lines.append(
                {
                    "NOTE_ID": row["note_id"],
                    "LINE": n,
                    "NOTE_TEXT": line,
                    "CONTACT_DATE_REAL": "65000.01",
                }
            )
        lines.append(
            {
                "NOTE_ID": row["note_id"],
                "LINE": 1,
                "NOTE_TEXT": "draft",
                "CONTACT_DATE_REAL": "64999",
            }
        )
    order = sorted(
        range(len(lines)), key=lambda i: (lines[i]["NOTE_ID"], random.Random(i).random())
    )
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, list(lines[0]))
    writer.writeheader()
    writer.writerows(lines[i] for i in order)
    return buffer.getvalue()


def _formats(tmp: Path, rows: list[dict[str, str]]) -> dict[str, Path]:
    """Every format of the same notes: name -> path."""
    import openpyxl
    import zstandard

    plain = _csv(rows)
    files: dict[str, bytes | str] = {
        "comma.csv": plain,
        "semicolon.csv": "sep=;\r\n" + _csv(rows, ";"),
        "pipe.csv": _csv(rows, "|"),
        "tab.tsv": _csv(rows, "\t"),
        "utf16.csv": _csv(rows, "\t").encode("utf-16"),
        "bom.CSV": b"\xef\xbb\xbf" + plain.encode(),
        "gz.csv.gz": gzip.compress(plain.encode()),
        "bz2.csv.bz2": bz2.compress(plain.encode()),
        "zst.csv.zst": zstandard.ZstdCompressor().compress(plain.encode()),
        "notes.jsonl": "".join(json.dumps(r) + "\n" for r in rows),
        "rtf.csv": _csv([{**r, "text": _rtf(r["text"])} for r in rows]),
        "lines.csv": _note_lines(rows),
        "fhir.ndjson": "".join(json.dumps(_fhir(r, "text/plain")) + "\n" for r in rows),
        "bundle.json": json.dumps(
            {
                "resourceType": "Bundle",
                "type": "collection",
                "entry": [
                    {"resource": _fhir(r, ("text/plain", "text/html", "text/rtf")[i % 3])}
                    for i, r in enumerate(rows)
                ],
            },
            indent=1,
        ),
        "feed.hl7": _hl7(rows),
    }
    paths = {}
    for name, data in files.items():
        path = tmp / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        paths[name] = path
    with zipfile.ZipFile(tmp / "zip.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("notes.csv", plain)
    paths["zip.zip"] = tmp / "zip.zip"
    pd.DataFrame(rows).to_parquet(tmp / "notes.parquet")
    paths["notes.parquet"] = tmp / "notes.parquet"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["note_id", "style", "text"])
    for r in rows:
        sheet.append([r["note_id"], r["style"], r["text"]])
    book.save(tmp / "notes.xlsx")
    paths["notes.xlsx"] = tmp / "notes.xlsx"
    folder = tmp / "txt"
    folder.mkdir()
    for r in rows:
        (folder / f"{r['note_id']}.txt").write_text(r["text"], encoding="utf-8")
    paths["txt folder"] = folder
    return paths


def _report(path: Path, out: Path) -> tuple[bytes, bytes]:
    out.mkdir()
    with ReportWriter(out, {}) as writer:
        for note, events in audit_records(read_records(path)):
            writer.write(note, events)
    return (out / "notes.jsonl").read_bytes(), (out / "events.jsonl").read_bytes()


def test_same_notes_through_every_format_give_identical_reports(tmp_path, notes):
    paths = _formats(tmp_path, notes)
    texts = {r["note_id"]: r["text"] for r in notes}
    for name, path in paths.items():  # every reader hands over the very same text
        got = {r.note_id: r.text for r in read_records(path)}
        assert got == texts, name
    expected = _report(paths["comma.csv"], tmp_path / "out-comma")
    assert expected[1].count(b"\n") >= 5  # the notes hold events to compare
    for name, path in paths.items():
        if name != "comma.csv":
            assert _report(path, tmp_path / f"out-{name}") == expected, name
