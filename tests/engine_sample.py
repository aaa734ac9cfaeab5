"""The notes the engine tests audit, and the local run they must reproduce.

300 MTSamples notes (a seeded sample, no id: ids are global row numbers; two have no
text) interleaved with the 40 dev gold notes (with ids), plus one empty note. Computed
once per test process, whichever engine module asks first.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import pandas as pd
import pytest

from auditor.frames import EVENT_COLUMNS, NOTE_COLUMNS

from .conftest import DEV_GOLD, SHARED

MTSAMPLES = SHARED / "data" / "mtsamples" / "mtsamples.csv"


@lru_cache(maxsize=1)
def _sample() -> pd.DataFrame:
    mt = pd.read_csv(MTSAMPLES, dtype=str, keep_default_na=False, na_values=[""])
    texts = mt["transcription"].sample(n=300, random_state=96372).tolist()
    with open(DEV_GOLD, encoding="utf-8") as handle:
        dev = [json.loads(line) for line in handle if line.strip()]
    frame = pd.DataFrame(
        {
            "note_id": [None] * len(texts) + [d["note_id"] for d in dev] + ["empty-1"],
            "text": texts + [d["text"] for d in dev] + [""],
        }
    )
    return frame.sample(frac=1.0, random_state=7).reset_index(drop=True)


def sample_notes() -> pd.DataFrame:
    """The 341 notes (columns note_id, text); skips when ../shared is absent."""
    for path in (MTSAMPLES, DEV_GOLD):
        if not path.exists():
            pytest.skip(f"engine sample needs {path} (../shared is absent)")
    return _sample().copy()


@lru_cache(maxsize=1)
def _local() -> tuple[pd.DataFrame, pd.DataFrame]:
    from auditor.core import audit

    return audit(_sample(), id_col="note_id", text_col="text")


def local_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    """``auditor.core.audit`` on ``sample_notes()``: the reference the engines match."""
    sample_notes()
    notes, events = _local()
    return notes.copy(), events.copy()


def rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Frame rows as JSON-ready dicts (the form a report line takes)."""
    from auditor.frames import frame_rows

    return list(frame_rows(frame, columns))


def csv_expected(notes: pd.DataFrame, sample: pd.DataFrame) -> list[dict]:
    """The local notes rows as a CSV of ``sample`` yields them: a CSV cell cannot be null,
    so a note without text is written as an empty cell and read back as an empty note."""
    expected = rows(notes, NOTE_COLUMNS)
    for position in sample.index[sample["text"].isna()]:
        expected[position].update(status="no_injection", error=None)
    return expected


OUTPUT_FILES = ("notes.jsonl", "events.jsonl", "notes.csv", "events.csv", "report.html")


def cli_audit(source: Path, out: Path, *args: object) -> None:
    """``auditor audit SOURCE --out OUT ARGS...`` through the CLI; asserts exit code 0."""
    from typer.testing import CliRunner

    from auditor.cli import app

    result = CliRunner().invoke(app, ["audit", str(source), "--out", str(out), *map(str, args)])
    assert result.exit_code == 0, result.output


def assert_same_files(got: Path, want: Path) -> None:
    """The report files of two runs are byte for byte the same (``OUTPUT_FILES``)."""
    for name in OUTPUT_FILES:
        assert (got / name).read_bytes() == (want / name).read_bytes(), name


def assert_engine_run(
    out: Path, local_cli: tuple[Path, Path], local: tuple, sample: pd.DataFrame, engine: str
) -> dict:
    """An engine's CLI run on the sample as CSV is the local run: its rows are the API's
    (``local``), its files the local CLI run's byte for byte, its run.json the local one's
    but for the engine's own keys. Returns the engine run's run.json."""
    local_notes, local_events = local
    with open(out / "notes.jsonl", encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == csv_expected(local_notes, sample)
    with open(out / "events.jsonl", encoding="utf-8") as handle:
        assert [json.loads(line) for line in handle] == rows(local_events, EVENT_COLUMNS)
    local_out = local_cli[1]
    assert_same_files(out, local_out)
    run = json.loads((out / "run.json").read_text())
    assert run["engine"] == engine and run["notes"] == 341 and run["failed_partitions"] == []
    engine_keys = {"engine", "scheduler", "master", "partitions", "failed_partitions"}
    local_run_json = json.loads((local_out / "run.json").read_text())
    assert {k: v for k, v in run.items() if k not in engine_keys | {"audit_seconds"}} == (
        local_run_json
    )
    return run


def assert_jsonl_like_local(sample: pd.DataFrame, folder: Path, engine: str, *args: object) -> None:
    """The first 40 sample notes as JSON Lines: ``--engine ENGINE ARGS...`` writes the local
    run's files byte for byte (the driver reads them with the product's reader)."""
    source = folder / "notes.jsonl"
    sample.iloc[:40].to_json(source, orient="records", lines=True)
    cli_audit(source, folder / "local")
    cli_audit(source, folder / engine, "--engine", engine, *args)
    assert (folder / "local" / "events.jsonl").read_text().count("\n") > 5  # injections found
    assert_same_files(folder / engine, folder / "local")


def failing_on_one_note(frame: pd.DataFrame) -> tuple[str, Callable[..., tuple]]:
    """A text of ``frame`` (its 26th) and a ``batch_fn`` that raises on the batch holding
    it, with a message quoting it (which must never reach a row or a log), and otherwise
    audits as ``auditor.batch.audit_batch``."""
    from auditor.batch import audit_batch

    marker = frame["text"].dropna().iloc[25]

    def failing(batch, *args, **kwargs):
        if (batch["text"] == marker).any():
            raise RuntimeError(f"cannot audit {marker[:40]}")  # text must not leak
        return audit_batch(batch, *args, **kwargs)

    return marker, failing


BUNDLED = Path(__file__).resolve().parent.parent / "corpora" / "sample" / "clinic_notes.csv"


@lru_cache(maxsize=1)
def _bundled() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    from auditor.core import audit

    notes = pd.read_csv(BUNDLED, dtype=str, keep_default_na=False)[["note_id", "text"]]
    return (notes, *audit(notes, id_col="note_id", text_col="text"))


def bundled_run() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """The bundled sample corpus (``corpora/sample/clinic_notes.csv``: present in every
    checkout, unlike ../shared) and the local run on it, ``(input, notes, events)``: the
    engine tests that a fresh clone can run."""
    return tuple(frame.copy() for frame in _bundled())  # type: ignore[return-value]
