"""The ``auditor audit`` command: exit codes, report files, safe writes, determinism."""

from __future__ import annotations

import json
import re
from importlib.metadata import version

import pytest
from typer.testing import CliRunner

import auditor.core as core
from auditor.cli import app
from auditor.errors import InputError
from auditor.frames import note_row
from auditor.io.writers import ReportWriter
from auditor.patterns import load_patterns

from .conftest import REPORT_FILES

GIVEN = "Toradol 60 mg IM given in the right deltoid for renal colic. Tolerated well."
MESSY_CSV = (
    b"note_id,text\n"
    + f'a,"{GIVEN}"\n'.encode()
    + b"b,ragged,extra\n"
    + b'c,"B12 1000 \xb5g IM given in L deltoid for pernicious anemia. Tolerated well."\n'
    + f'a,"{GIVEN}"\n'.encode()
    + b"d,\n"
)


def run(*args: str):
    """Invoke the CLI in this process; returns the click Result (exit_code, stdout, stderr)."""
    return CliRunner().invoke(app, ["audit", *map(str, args)], catch_exceptions=False)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


@pytest.fixture
def messy(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(MESSY_CSV)
    return path


def test_one_line_per_record_in_order_and_exit_1_for_record_errors(messy, tmp_path):
    out = tmp_path / "report"
    result = run(messy, "--out", out)
    assert result.exit_code == 1
    notes = lines(out / "notes.jsonl")
    assert [(n["note_id"], n["status"], n["error"]) for n in notes] == [
        ("a", "compliant", None),
        ("<row 2>", "error", "row 2 (line 3): 3 fields where the header has 2; record not read"),
        ("c", "compliant", None),
        ("a", "compliant", None),
        ("d", "no_injection", None),
    ]
    assert [(e["note_id"], e["event_id"], e["dose_unit"]) for e in lines(out / "events.jsonl")] == [
        ("a", 1, "mg"),
        ("c", 1, "mcg"),
        ("a", 1, "mg"),
    ]
    assert result.stderr.splitlines() == [
        "warning: 1 record(s) repeat a note_id seen earlier (rows 4); "
        "each is kept and reported on its own line",
        "warning: 1 record(s) were not valid UTF-8 and were read as Windows-1252 (rows 3)",
    ]
    run_json = json.loads((out / "run.json").read_text())
    assert {k: run_json[k] for k in ("records_read", "notes", "duplicate_ids", "windows_1252")} == {
        "records_read": 5,
        "notes": 5,
        "duplicate_ids": 1,
        "windows_1252": 1,
    }
    assert run_json["status"] == {"compliant": 3, "error": 1, "no_injection": 1}
    assert sorted(p.name for p in out.iterdir()) == REPORT_FILES


def test_exit_0_when_every_record_is_read(tmp_path):
    path = tmp_path / "notes.jsonl"
    path.write_text(json.dumps({"id": "x", "text": GIVEN}) + "\n", encoding="utf-8")
    result = run(path, "--out", tmp_path / "report")
    assert result.exit_code == 0
    assert result.stderr == ""
    assert [n["status"] for n in lines(tmp_path / "report" / "notes.jsonl")] == ["compliant"]


@pytest.mark.parametrize("content", [b"", b"note_id,text\n"], ids=["empty", "header-only"])
def test_empty_and_header_only_inputs_give_an_empty_report(tmp_path, content):
    path = tmp_path / "notes.csv"
    path.write_bytes(content)
    out = tmp_path / "report"
    result = run(path, "--out", out)
    assert result.exit_code == 0
    assert result.stderr == "warning: the input holds no records\n"
    assert (out / "notes.jsonl").read_bytes() == b""
    assert json.loads((out / "run.json").read_text())["notes"] == 0


def test_missing_text_column_exits_2_listing_columns_and_writes_nothing(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("mrn,narrative_body\n1,x\n", encoding="utf-8")
    out = tmp_path / "report"
    result = run(path, "--out", out)
    assert result.exit_code == 2
    assert result.stderr == (
        "error: [E201] cannot tell which column holds the note text; columns are: 'mrn', "
        "'narrative_body'. Name it with --text-col.\n"
    )
    assert not out.exists()
    result = run(path, "--out", out, "--id-col", "note_id", "--text-col", "narrative_body")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: [E201] id column 'note_id' not found; columns are: 'mrn', 'narrative_body'\n"
    )


def test_unknown_format_and_missing_input_exit_2(tmp_path):
    (tmp_path / "notes.xlsx").write_bytes(b"PK")
    assert run(tmp_path / "notes.xlsx", "--out", tmp_path / "r").exit_code == 2
    assert run(tmp_path / "absent.csv", "--out", tmp_path / "r").exit_code == 2


def test_existing_report_folder_needs_force(messy, tmp_path):
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.jsonl").write_text("stale\n")
    (out / "run.json").write_text('{"product": "auditor"}\n')  # an audit's (before "files")
    (out / "notes.jsonl.part").write_text("partial\n")
    (out / "mine.txt").write_text("not a report file\n")
    result = run(messy, "--out", out)
    assert result.exit_code == 2
    assert "exists and is not empty; use --force to overwrite" in result.stderr
    assert (out / "notes.jsonl").read_text() == "stale\n"
    assert run(messy, "--out", out, "--force").exit_code == 1
    assert len(lines(out / "notes.jsonl")) == 5
    assert json.loads((out / "run.json").read_text())["notes"] == 5
    assert sorted(p.name for p in out.iterdir()) == [
        "events.csv",
        "events.jsonl",
        "mine.txt",
        "notes.csv",
        "notes.jsonl",
        "report.html",
        "report.xlsx",
        "run.json",
    ]


def test_report_folder_that_is_a_file_exits_2(messy, tmp_path):
    target = tmp_path / "report"
    target.write_text("x")
    result = run(messy, "--out", target)
    assert result.exit_code == 2
    assert result.stderr == f"error: [E300] report folder {target} is a file\n"


def test_writer_leaves_only_part_files_when_interrupted(tmp_path):
    with pytest.raises(RuntimeError), ReportWriter(tmp_path, {}) as writer:
        writer.write(note_row(note_id="1", status="no_injection"), [])
        raise RuntimeError("stop")
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "events.csv.part",
        "events.jsonl.part",
        "notes.csv.part",
        "notes.jsonl.part",
    ]


def _fail_after_two(exc: Exception):
    real = core.audit_stream

    def audit_stream(records, *args, **kwargs):
        for i, result in enumerate(real(records, *args, **kwargs)):
            if i == 2:
                raise exc
            yield result

    return audit_stream


def test_input_error_mid_run_exits_2_and_leaves_no_report(messy, tmp_path, monkeypatch):
    monkeypatch.setattr(core, "audit_stream", _fail_after_two(InputError("batch 2 unreadable")))
    out = tmp_path / "report"
    result = run(messy, "--out", out)
    assert result.exit_code == 2
    assert result.stderr == "error: [E200] batch 2 unreadable\n"
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.csv"]


def test_unexpected_exception_mid_run_is_reported_without_its_message(messy, tmp_path, monkeypatch):
    crash = RuntimeError("note says: Toradol 60 mg IM given")
    monkeypatch.setattr(core, "audit_stream", _fail_after_two(crash))
    out = tmp_path / "report"
    result = run(messy, "--out", out)
    assert result.exit_code == 2
    assert result.stderr.startswith("error: internal error (RuntimeError at test_cli.py:")
    assert result.stderr.endswith("); no report was written\n")
    assert "Toradol" not in result.stderr + result.stdout
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["messy.csv"]


def test_reruns_are_byte_identical_and_workers_do_not_change_output(messy, tmp_path):
    outs = [tmp_path / "one", tmp_path / "two", tmp_path / "workers"]
    run(messy, "--out", outs[0])
    run(messy, "--out", outs[1])
    run(messy, "--out", outs[2], "--workers", "2")
    for name in ("notes.jsonl", "events.jsonl", "notes.csv", "events.csv"):
        first = (outs[0] / name).read_bytes()
        assert first  # not vacuous
        assert (outs[1] / name).read_bytes() == first, name
        assert (outs[2] / name).read_bytes() == first, name


def test_run_json_records_version_and_pattern_hash(messy, tmp_path):
    out = tmp_path / "report"
    run(messy, "--out", out, "--redact")
    meta = json.loads((out / "run.json").read_text())
    assert meta["product"] == "auditor"
    assert meta["version"] == version("auditor") == "0.1.0"
    assert meta["patterns_sha256"] == load_patterns(None).sha256
    assert len(meta["patterns_sha256"]) == 64
    assert meta["redacted"] is True


def test_pattern_hash_changes_with_any_pattern_file(tmp_path):
    import shutil

    from auditor.patterns import DEFAULT_PATTERNS_DIR

    copy = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS_DIR, copy)
    assert load_patterns(str(copy)).sha256 == load_patterns(None).sha256
    with open(copy / "lexicons" / "units.yaml", "a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    load_patterns.cache_clear()
    assert load_patterns(str(copy)).sha256 != load_patterns(None).sha256


def test_public_api_audit_is_callable_twice():
    import auditor
    import auditor.core  # noqa: F401

    first, _ = auditor.audit(["Toradol 60 mg IM given in R glut."])
    second, events = auditor.audit(["Toradol 60 mg IM given in R glut."])
    assert first["status"].tolist() == second["status"].tolist() == ["gaps"]
    assert events["medication"].tolist() == ["ketorolac"]


def test_command_help_is_flowed_paragraphs():
    """Typer kept the single line breaks of a docstring's later paragraphs (and of the
    summaries in ``auditor --help``): each paragraph is now one line, wrapped by the
    terminal, and reStructuredText double backquotes print as quotes."""
    from auditor.cli import flowed_help

    doc = """First line
        goes on.

        Second ``--x`` paragraph
        wraps here.
        """
    assert flowed_help(doc) == "First line goes on.\n\nSecond '--x' paragraph wraps here."
    for command in app.registered_commands:
        paragraphs = command.help.split("\n\n")
        assert all("\n" not in p and "``" not in p for p in paragraphs), command.name
    result = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"})
    assert (
        "Audit INPUT and write notes.jsonl, events.jsonl, CSV copies, run.json and report.html "
        "to --out" in result.stdout
    )


def test_made_up_and_object_ids_read_the_same_in_every_output(tmp_path):
    """An error record's ``<row N>`` and a JSONL object id's canonical JSON are the same
    string in notes.csv, notes.jsonl, events.csv/jsonl and the HTML report's data (where
    the note list escapes it)."""
    import pandas as pd

    path = tmp_path / "ids.jsonl"
    path.write_text(
        json.dumps({"id": {"$oid": "5f1d", "n": [1]}, "text": GIVEN}) + "\nnot json\n",
        encoding="utf-8",
    )
    out = tmp_path / "report"
    assert run(path, "--out", out).exit_code == 1
    ids = ['{"$oid":"5f1d","n":[1]}', "<row 2>"]
    assert [n["note_id"] for n in lines(out / "notes.jsonl")] == ids
    assert pd.read_csv(out / "notes.csv", dtype=str)["note_id"].tolist() == ids
    assert [e["note_id"] for e in lines(out / "events.jsonl")] == ids[:1]
    assert pd.read_csv(out / "events.csv", dtype=str)["note_id"].tolist() == ids[:1]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert all(json.dumps(i, ensure_ascii=False) in page for i in ids)
    assert "{'$oid'" not in page


def test_progress_lines_in_a_log_only_when_asked(tmp_path):
    """stderr that is no terminal (a log, a pipe) gets no progress unless
    ``--progress-every SECONDS`` asks for it: then a plain line (no bar) at the first note,
    at most once per interval, and at the last, with the total, the elapsed time and, from
    the second note on, the time left; counts only (helper debt17)."""
    path = tmp_path / "notes.jsonl"
    path.write_text(
        "".join(json.dumps({"id": f"n{i}", "text": GIVEN}) + "\n" for i in range(3)),
        encoding="utf-8",
    )
    quiet = run(path, "--out", tmp_path / "quiet", "--no-html")
    assert quiet.exit_code == 0 and quiet.stderr == ""
    result = run(path, "--out", tmp_path / "logged", "--no-html", "--progress-every", "0")
    assert result.exit_code == 0
    got = result.stderr.splitlines()
    clock = r"\d+:\d\d:\d\d"
    assert len(got) == 3
    assert re.fullmatch(rf"auditing: 1/3 notes, {clock} elapsed", got[0])
    for n, line in enumerate(got[1:], start=2):
        assert re.fullmatch(rf"auditing: {n}/3 notes, {clock} elapsed, about {clock} left", line)
    assert "Toradol" not in result.stderr
    hourly = run(path, "--out", tmp_path / "hourly", "--no-html", "--progress-every", "3600")
    assert [line.split(",")[0] for line in hourly.stderr.splitlines()] == [
        "auditing: 1/3 notes",
        "auditing: 3/3 notes",
    ]
