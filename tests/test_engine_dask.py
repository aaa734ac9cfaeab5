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


def _cli(*args):
    from typer.testing import CliRunner

    from auditor.cli import app

    return CliRunner().invoke(app, ["audit", *map(str, args)])


@pytest.fixture(scope="module")
def local_cli(sample, tmp_path_factory):
    """The local CLI run on the sample as CSV (the engines must write the same files)."""
    folder = tmp_path_factory.mktemp("local")
    source = folder / "notes.csv"
    sample.to_csv(source, index=False)
    result = _cli(source, "--out", folder / "report")
    assert result.exit_code == 0, result.output
    return source, folder / "report"


def test_cli_dask_on_a_running_scheduler(client, sample, local, local_cli, tmp_path):
    source, local_out = local_cli
    out = tmp_path / "report"
    result = _cli(source, "--out", out, "--engine", "dask", "--scheduler", client.scheduler.address)
    assert result.exit_code == 0, result.output
    local_notes, local_events = local
    with open(out / "notes.jsonl", encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == csv_expected(local_notes, sample)
    with open(out / "events.jsonl", encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == rows(local_events, EVENT_COLUMNS)
    for name in ("notes.jsonl", "events.jsonl", "notes.csv", "events.csv", "report.html"):
        assert (out / name).read_bytes() == (local_out / name).read_bytes(), name
    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == "dask" and run["notes"] == 341 and run["failed_partitions"] == []
    assert run["partitions"] == 4  # 100 records each
    local_run_json = json.loads((local_out / "run.json").read_text())
    engine_keys = {"engine", "scheduler", "partitions", "failed_partitions", "audit_seconds"}
    assert {k: v for k, v in run.items() if k not in engine_keys} == local_run_json
    assert sorted(p.name for p in out.iterdir()) == sorted(local_run_json["files"])


def test_cli_dask_reads_jsonl_as_the_local_run(client, sample, tmp_path):
    frame = sample.iloc[:30]
    source = tmp_path / "notes.jsonl"
    frame.to_json(source, orient="records", lines=True)
    outs = {}
    for engine in ("local", "dask"):
        outs[engine] = tmp_path / engine
        args = ["--engine", engine, "--scheduler", client.scheduler.address]
        result = _cli(source, "--out", outs[engine], *(args if engine == "dask" else []))
        assert result.exit_code == 0, result.output
    for name in ("notes.jsonl", "events.jsonl", "report.html"):
        assert (outs["dask"] / name).read_bytes() == (outs["local"] / name).read_bytes(), name


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
