"""PHI safety: note text reaches the report only, never logs, warnings, errors or stderr.

Every note carries a canary marker; some records are made to fail in every way the input
can fail (ragged row, broken quoting, undecodable bytes, a pipeline exception whose message
quotes the note). The marker must then be absent from stderr, stdout, logs, warnings and
error fields, and with ``--redact`` from every report file.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
import warnings

import pytest
from typer.testing import CliRunner

import auditor.core as core
from auditor.cli import app
from auditor.core import audit

CANARY = "ZQXCANARY"
INJECTION = f"Toradol 60 mg IM given in the right deltoid for {CANARY} colic. Tolerated well."
CSV = (
    b"note_id,text\n"
    + f'n1,"{INJECTION}"\n'.encode()
    + f"n2,{CANARY} unquoted, comma\n".encode()  # ragged row
    + f'n3,"{CANARY} B12 1000 '.encode()
    + b'\xb5g IM given in L deltoid for anemia."\n'  # Windows-1252
    + f'n4,"{CANARY} '.encode()
    + b'\x81"\n'  # undecodable
    + f'n5,"FAILME {INJECTION}"\n'.encode()  # the pipeline raises, quoting the note
    + f'n6,"{CANARY}\x00 {INJECTION}"\n'.encode()
    + f'n1,"{INJECTION}"\n'.encode()  # duplicate id
    + f'n8,"{CANARY} "oops" x"\n'.encode()  # broken quoting
    + b"n9,\n"
)

# Runs the real CLI with every log at DEBUG, every warning shown, and extract() patched to
# raise an exception whose message holds the note text for notes containing FAILME.
BOOTSTRAP = """
import logging, sys, warnings
logging.basicConfig(level=logging.DEBUG)
warnings.simplefilter("always")
import auditor.core as core
real = core.extract
def extract(nlp, text, reader=None):
    if "FAILME" in text:
        raise ValueError("cannot handle " + text)
    return real(nlp, text, reader)
core.extract = extract
from auditor.cli import app
app(sys.argv[1:], prog_name="auditor")
"""


def _flaky_extract(monkeypatch) -> None:
    real = core.extract

    def extract(nlp, text, reader=None):
        if "FAILME" in text:
            raise ValueError("cannot handle " + text)
        return real(nlp, text, reader)

    monkeypatch.setattr(core, "extract", extract)


@pytest.fixture(scope="module")
def canary_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("phi") / "notes.csv"
    path.write_bytes(CSV)
    return path


def _cli(canary_csv, out, *options):
    return subprocess.run(
        [sys.executable, "-c", BOOTSTRAP, "audit", str(canary_csv), "--out", str(out), *options],
        capture_output=True,
        text=True,
        timeout=300,
    )


EXPECTED_ERRORS = [
    None,
    "row 2 (line 3): 3 fields where the header has 2; record not read",
    None,
    "row 4 (line 5): text is neither UTF-8 nor Windows-1252 (first bad byte at offset 10) "
    "in column 'text'",
    "row 5: pipeline error (ValueError)",
    None,
    None,
    "row 8 (line 9): malformed CSV (',' expected after '\"'); record not read",
    None,
]


@pytest.mark.parametrize(
    ("options", "report_may_hold_text"),
    [(("--workers", "2"), True), (("--redact",), False)],
    ids=["workers-2", "redact"],
)
def test_cli_keeps_the_canary_out_of_stderr_and_errors(
    canary_csv, tmp_path, options, report_may_hold_text
):
    out = tmp_path / "report"
    done = _cli(canary_csv, out, *options)
    assert done.returncode == 1, done.stderr[-2000:]
    assert CANARY not in done.stderr
    assert CANARY not in done.stdout
    assert "row 5: pipeline error (ValueError); note marked error" in done.stderr
    assert "repeat a note_id seen earlier (rows 7)" in done.stderr
    notes = [json.loads(line) for line in (out / "notes.jsonl").read_text().splitlines()]
    assert [n["error"] for n in notes] == EXPECTED_ERRORS
    for name in ("notes.jsonl", "notes.csv", "run.json"):
        assert CANARY not in (out / name).read_text(encoding="utf-8"), name
    events = (out / "events.jsonl").read_text(encoding="utf-8")
    assert (CANARY in events) is report_may_hold_text  # the canary does reach evidence text
    assert (CANARY in (out / "events.csv").read_text(encoding="utf-8")) is report_may_hold_text


def test_column_error_on_a_headerless_file_does_not_print_the_first_note(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text(f"17,{INJECTION}\n18,{INJECTION}\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["audit", str(path), "--out", str(tmp_path / "r")])
    assert result.exit_code == 2
    assert f"<column 2: {len(INJECTION)} characters, not shown>" in result.stderr
    assert CANARY not in result.stderr + result.stdout


def test_python_api_logs_and_warnings_hold_no_note_text(monkeypatch, caplog, capsys):
    _flaky_extract(monkeypatch)
    texts = [INJECTION, f"FAILME {INJECTION}", f"{CANARY} ".encode() + b"\x81", None, INJECTION]
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.DEBUG):
        warnings.simplefilter("always")
        notes, events = audit(texts)
    assert notes["status"].tolist() == ["compliant", "error", "error", "error", "compliant"]
    assert CANARY not in "".join(notes["error"].dropna())
    assert CANARY not in caplog.text
    captured = capsys.readouterr()
    assert CANARY not in captured.out + captured.err
    assert all(CANARY not in str(w.message) for w in caught)
    assert events["indication"].tolist() == [f"{CANARY} colic"] * 2  # the report has it
