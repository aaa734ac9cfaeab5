"""The audit on Dask (LocalCluster, 2 worker processes) equals the local run.

Needs the ``dask`` extra (``pip install -e '.[dask]'``; ``.ci/run`` installs it) and the
shared MTSamples / dev gold files; skips with the reason otherwise.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

dd = pytest.importorskip(
    "dask.dataframe", reason="dask extra not installed: pip install -e '.[dask]'"
)
distributed = pytest.importorskip("distributed", reason="dask extra not installed")

import dask  # noqa: E402

from auditor.engines.dask_engine import audit_dask  # noqa: E402
from auditor.frames import EVENT_COLUMNS, NOTE_COLUMNS  # noqa: E402

from .engine_sample import (  # noqa: E402
    assert_engine_run,
    assert_jsonl_like_local,
    bundled_run,
    cli_audit,
    failing_on_one_note,
    rows,
)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


def test_dask_equals_local_run(client, sample, local):
    ddf = dd.from_pandas(sample, npartitions=5)
    notes, events = dask.compute(*audit_dask(ddf, "note_id", "text"))
    local_notes, local_events = local
    pd.testing.assert_frame_equal(notes.reset_index(drop=True), local_notes)
    pd.testing.assert_frame_equal(events.reset_index(drop=True), local_events)
    assert len(notes) == 341 and len(events) > 50
    assert set(notes["status"]) >= {"gaps", "compliant", "excluded", "no_injection", "error"}


def test_dask_equals_local_run_on_the_bundled_corpus(client):
    """The bundled sample corpus (every checkout has it; the test above needs ../shared):
    Dask over four partitions gives the local run's notes and events, row for row."""
    sample, local_notes, local_events = bundled_run()
    notes, events = dask.compute(
        *audit_dask(dd.from_pandas(sample, npartitions=4), "note_id", "text")
    )
    pd.testing.assert_frame_equal(notes.reset_index(drop=True), local_notes)
    pd.testing.assert_frame_equal(events.reset_index(drop=True), local_events)
    assert (len(notes), len(events)) == (60, 70)


def test_dask_partition_failure_is_reported_and_others_kept(client, sample, local):
    frame = sample.iloc[:60]
    marker, failing = failing_on_one_note(frame)
    ddf = dd.from_pandas(frame, npartitions=3)
    lengths = ddf.map_partitions(len).compute().tolist()
    notes, events = dask.compute(*audit_dask(ddf, "note_id", "text", batch_fn=failing))
    notes = notes.reset_index(drop=True)
    position = frame.index[frame["text"] == marker][0]
    bad = next(i for i in range(3) if position < sum(lengths[: i + 1]))
    lo, hi = sum(lengths[:bad]), sum(lengths[: bad + 1])
    local_notes, local_events = local
    expected = local_notes.iloc[:60].reset_index(drop=True)
    failed = notes.iloc[lo:hi]
    assert (failed["status"] == "error").all()
    assert set(failed["error"]) == {f"partition {bad} failed: RuntimeError"}
    assert failed["note_id"].tolist() == expected["note_id"].iloc[lo:hi].tolist()
    kept = notes.drop(index=range(lo, hi))
    assert rows(kept, NOTE_COLUMNS) == rows(expected.drop(index=range(lo, hi)), NOTE_COLUMNS)
    kept_ids = set(kept["note_id"])
    want = local_events[local_events["note_id"].isin(kept_ids)]
    assert rows(events, EVENT_COLUMNS) == rows(want, EVENT_COLUMNS)


def test_cli_dask_on_a_running_scheduler(client, sample, local, local_cli, tmp_path):
    out = tmp_path / "report"
    cli_audit(local_cli[0], out, "--engine", "dask", "--scheduler", client.scheduler.address)
    run = assert_engine_run(out, local_cli, local, sample, "dask")
    assert run["partitions"] == 4  # 100 records each
    assert sorted(p.name for p in out.iterdir()) == sorted(run["files"])


def test_cli_dask_reads_jsonl_as_the_local_run(client, sample, tmp_path):
    assert_jsonl_like_local(sample, tmp_path, "dask", "--scheduler", client.scheduler.address)


def _kill_worker_on_marker(marker):
    """A batch function whose worker process dies on the partition holding ``marker``."""

    def batch_fn(records, patterns_dir, redact):
        import os

        from auditor.core import audit_chunk

        if any(r.text == marker for r in records):
            os._exit(9)  # as the OOM killer would
        return audit_chunk(records, patterns_dir, redact)

    return batch_fn


def test_killed_dask_worker_costs_only_its_partition(sample, local_cli, tmp_path):
    from auditor.run import RunOptions, run_audit

    source, local_out = local_cli
    expected = [json.loads(x) for x in (local_out / "notes.jsonl").read_text().splitlines()]
    marker = sample["text"].dropna().iloc[150]
    position = int(sample.index[sample["text"] == marker][0])
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        result = run_audit(
            RunOptions(
                source, tmp_path / "out", engine="dask", batch_fn=_kill_worker_on_marker(marker)
            )
        )
    got = [json.loads(x) for x in (tmp_path / "out" / "notes.jsonl").read_text().splitlines()]
    assert len(got) == len(expected) == 341
    bad = position // 100
    lo, hi = bad * 100, min(341, bad * 100 + 100)
    assert result.run["failed_partitions"] == [f"partition {bad}"]
    assert {n["error"] for n in got[lo:hi]} == {f"partition {bad} failed: KilledWorker"}
    assert [n["note_id"] for n in got[lo:hi]] == [n["note_id"] for n in expected[lo:hi]]
    assert got[:lo] + got[hi:] == expected[:lo] + expected[hi:]
    assert result.exit_code == 1
