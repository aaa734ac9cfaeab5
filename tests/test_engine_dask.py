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

from auditor.batch import audit_batch  # noqa: E402
from auditor.engines.dask_engine import audit_dask  # noqa: E402
from auditor.frames import EVENT_COLUMNS, NOTE_COLUMNS  # noqa: E402

from .engine_sample import csv_expected, local_run, rows, sample_notes  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
    )
    client = distributed.Client(cluster)
    yield client
    client.close()
    cluster.close()


@pytest.fixture(scope="module")
def sample():
    return sample_notes()


@pytest.fixture(scope="module")
def local(sample):
    return local_run()


def test_dask_equals_local_run(client, sample, local):
    ddf = dd.from_pandas(sample, npartitions=5)
    notes, events = dask.compute(*audit_dask(ddf, "note_id", "text"))
    local_notes, local_events = local
    pd.testing.assert_frame_equal(notes.reset_index(drop=True), local_notes)
    pd.testing.assert_frame_equal(events.reset_index(drop=True), local_events)
    assert len(notes) == 341 and len(events) > 50
    assert set(notes["status"]) >= {"gaps", "compliant", "excluded", "no_injection", "error"}


def test_dask_partition_failure_is_reported_and_others_kept(client, sample, local):
    frame = sample.iloc[:60]
    marker = frame["text"].dropna().iloc[25]

    def failing(batch, *args, **kwargs):
        if (batch["text"] == marker).any():
            raise RuntimeError(f"cannot audit {marker[:40]}")  # text must not leak
        return audit_batch(batch, *args, **kwargs)

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


def test_cli_dask_on_a_running_scheduler(client, sample, local, tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    source = tmp_path / "notes.csv"
    sample.to_csv(source, index=False)
    out = tmp_path / "report"
    result = CliRunner().invoke(
        app,
        ["audit", str(source), "--out", str(out), "--engine", "dask",
         "--scheduler", client.scheduler.address],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    local_notes, local_events = local
    with open(out / "notes.jsonl", encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == csv_expected(local_notes, sample)
    with open(out / "events.jsonl", encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == rows(local_events, EVENT_COLUMNS)
    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == "dask" and run["notes"] == 341 and run["failed_partitions"] == []
    parts = sorted((out / "notes").glob("part-*.parquet"))
    assert len(parts) == run["partitions"] >= 2
    merged = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
    assert merged["note_id"].tolist() == local_notes["note_id"].tolist()
