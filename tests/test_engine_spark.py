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

from auditor.engines.spark_engine import (  # noqa: E402
    EVENTS_SCHEMA,
    NOTES_SCHEMA,
    audit_spark,
    local_session,
)
from auditor.frames import EVENT_COLUMNS, NOTE_COLUMNS  # noqa: E402

from . import engine_sample as sample_run  # noqa: E402
from .engine_sample import bundled_run, rows  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = local_session(2)
    yield session
    session.stop()


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


def test_spark_equals_local_run_on_the_bundled_corpus(spark):
    """The bundled sample corpus (every checkout has it; the test above needs ../shared):
    Spark gives the local run's notes and events, row for row."""
    sample, local_notes, local_events = bundled_run()
    notes, events = audit_spark(_frame(spark, sample), "note_id", "text")
    got_notes, got_events = _collect(notes, events)
    assert got_notes["row"].tolist() == list(range(1, 61))
    assert rows(got_notes, NOTE_COLUMNS) == rows(local_notes, NOTE_COLUMNS)
    assert rows(got_events, EVENT_COLUMNS) == rows(local_events, EVENT_COLUMNS)
    assert (len(got_notes), len(got_events)) == (60, 70)
    notes.unpersist()


def test_spark_partition_failure_is_reported_and_others_kept(spark, sample, local):
    frame = sample.iloc[:60]
    marker, failing = sample_run.failing_on_one_note(frame)
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


def test_cli_spark_local_mode(spark, sample, local, local_cli, tmp_path):
    out = tmp_path / "spark"
    sample_run.cli_audit(local_cli[0], out, "--engine", "spark")
    sample_run.assert_engine_run(out, local_cli, local, sample, "spark")


def test_cli_spark_reads_jsonl_as_the_local_run(spark, sample, tmp_path):
    """A JSON Lines export goes through the product's reader on the driver: Spark writes
    the local run's files byte for byte."""
    sample_run.assert_jsonl_like_local(sample, tmp_path, "spark")


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
