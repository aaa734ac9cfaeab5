"""The audit on Spark (local[2], mapInPandas) equals the local run.

Needs the ``spark`` extra (``pip install -e '.[spark]'``; ``.ci/run`` installs it), a
Java runtime, and the shared MTSamples / dev gold files; skips with the reason otherwise.
"""

from __future__ import annotations

import json
import shutil

import pytest

pyspark = pytest.importorskip(
    "pyspark", reason="spark extra not installed: pip install -e '.[spark]'"
)
if shutil.which("java") is None:
    pytest.skip("pyspark needs a Java runtime (java not on PATH)", allow_module_level=True)

from auditor.batch import audit_batch  # noqa: E402
from auditor.engines.spark_engine import (  # noqa: E402
    EVENTS_SCHEMA,
    NOTES_SCHEMA,
    audit_spark,
    local_session,
)
from auditor.frames import EVENT_COLUMNS, NOTE_COLUMNS  # noqa: E402

from .engine_sample import csv_expected, local_run, rows, sample_notes  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = local_session(2)
    yield session
    session.stop()


@pytest.fixture(scope="module")
def sample():
    return sample_notes()


@pytest.fixture(scope="module")
def local(sample):
    return local_run()


def _frame(spark, pdf):
    # createDataFrame turns a NaN string cell into "NaN": hand Spark None for missing
    pdf = pdf.astype(object).where(pdf.notna(), None)
    return spark.createDataFrame(pdf, schema="note_id string, text string")


def _collect(notes, events):
    return (
        notes.orderBy("row").toPandas(),
        events.orderBy("row", "event_id").toPandas(),
    )


def test_spark_equals_local_run(spark, sample, local):
    notes, events = audit_spark(_frame(spark, sample), "note_id", "text")
    assert notes.schema == NOTES_SCHEMA and events.schema == EVENTS_SCHEMA
    got_notes, got_events = _collect(notes, events)
    local_notes, local_events = local
    assert got_notes["row"].tolist() == list(range(1, len(sample) + 1))
    assert rows(got_notes, NOTE_COLUMNS) == rows(local_notes, NOTE_COLUMNS)
    assert rows(got_events, EVENT_COLUMNS) == rows(local_events, EVENT_COLUMNS)
    notes.unpersist()


def test_spark_partition_failure_is_reported_and_others_kept(spark, sample, local):
    frame = sample.iloc[:60]
    marker = frame["text"].dropna().iloc[25]

    def failing(batch, *args, **kwargs):
        if (batch["text"] == marker).any():
            raise RuntimeError(f"cannot audit {marker[:40]}")  # text must not leak
        return audit_batch(batch, *args, **kwargs)

    notes, events = audit_spark(
        _frame(spark, frame), "note_id", "text", partitions=3, batch_fn=failing
    )
    got_notes, got_events = _collect(notes, events)
    failed = got_notes[got_notes["status"] == "error"]
    errors = set(failed["error"])
    assert len(errors) == 1
    (message,) = errors
    assert message.startswith("partition ") and message.endswith(" failed: RuntimeError")
    assert 0 < len(failed) < 60 and marker[:40] not in message
    position = int(frame.index[frame["text"] == marker][0])
    assert position + 1 in set(failed["row"])
    local_notes, local_events = local
    expected = local_notes.iloc[:60]
    kept = got_notes[got_notes["status"] != "error"]
    assert rows(kept, NOTE_COLUMNS) == rows(expected.iloc[kept["row"] - 1], NOTE_COLUMNS)
    want = local_events[local_events["note_id"].isin(set(kept["note_id"]))]
    assert rows(got_events, EVENT_COLUMNS) == rows(want, EVENT_COLUMNS)


def test_cli_spark_local_mode(spark, sample, local, tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    source = tmp_path / "notes.csv"
    sample.to_csv(source, index=False)
    outs = {}
    for engine in ("local", "spark"):
        outs[engine] = tmp_path / engine
        result = CliRunner().invoke(
            app, ["audit", str(source), "--out", str(outs[engine]), "--engine", engine]
        )
        assert result.exit_code == 0, result.output
    out = outs["spark"]
    local_notes, local_events = local
    with open(out / "notes.jsonl", encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == csv_expected(local_notes, sample)
    with open(out / "events.jsonl", encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == rows(local_events, EVENT_COLUMNS)
    for name in ("notes.jsonl", "events.jsonl", "notes.csv", "events.csv", "report.html"):
        assert (out / name).read_bytes() == (outs["local"] / name).read_bytes(), name
    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == "spark" and run["notes"] == 341 and run["failed_partitions"] == []
    engine_keys = {"engine", "master", "partitions", "failed_partitions", "audit_seconds"}
    local_run_json = json.loads((outs["local"] / "run.json").read_text())
    assert {k: v for k, v in run.items() if k not in engine_keys} == local_run_json


def test_cli_spark_reads_jsonl_as_the_local_run(spark, sample, tmp_path):
    """A JSON Lines export goes through the product's reader on the driver: Spark writes
    the local run's files byte for byte."""
    from typer.testing import CliRunner

    from auditor.cli import app

    frame = sample.iloc[:40]
    source = tmp_path / "notes.jsonl"
    frame.to_json(source, orient="records", lines=True)
    outs = {}
    for engine in ("local", "spark"):
        outs[engine] = tmp_path / engine
        result = CliRunner().invoke(
            app, ["audit", str(source), "--out", str(outs[engine]), "--engine", engine]
        )
        assert result.exit_code == 0, result.output
    assert (outs["local"] / "events.jsonl").read_text().count("\n") > 5  # injections audited
    for name in ("notes.jsonl", "events.jsonl", "notes.csv", "events.csv", "report.html"):
        assert (outs["spark"] / name).read_bytes() == (outs["local"] / name).read_bytes(), name


def _kill_python_worker_on_marker(marker):
    """A batch function whose Python worker dies on the partition holding ``marker``."""

    def batch_fn(records, patterns_dir, redact):
        import os

        from auditor.core import audit_chunk

        if any(r.text == marker for r in records):
            os._exit(9)
        return audit_chunk(records, patterns_dir, redact)

    return batch_fn


def test_dead_spark_worker_costs_only_its_partition_and_spark_submit_runs(spark, sample, tmp_path):
    from auditor.engines.spark_submit import main
    from auditor.run import RunOptions, run_audit

    frame = sample.iloc[:150].reset_index(drop=True)
    source = tmp_path / "notes.csv"
    frame.to_csv(source, index=False)
    assert main([str(source), "--out", str(tmp_path / "submit")]) == 0
    expected = [json.loads(x) for x in (tmp_path / "submit" / "notes.jsonl").open()]
    assert (tmp_path / "submit" / "report.html").exists()
    marker = frame["text"].dropna().iloc[120]
    position = int(frame.index[frame["text"] == marker][0])
    kill = _kill_python_worker_on_marker(marker)
    result = run_audit(RunOptions(source, tmp_path / "out", engine="spark", batch_fn=kill))
    got = [json.loads(x) for x in (tmp_path / "out" / "notes.jsonl").open()]
    bad = position // 100
    lo, hi = bad * 100, min(150, bad * 100 + 100)
    assert len(got) == 150 and result.run["failed_partitions"] == [f"partition {bad}"]
    assert {n["status"] for n in got[lo:hi]} == {"error"}
    assert all(n["error"].startswith(f"partition {bad} failed: ") for n in got[lo:hi])
    assert got[:lo] + got[hi:] == expected[:lo] + expected[hi:]
