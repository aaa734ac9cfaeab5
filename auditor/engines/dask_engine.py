"""The audit on Dask: ``audit_dask`` for a dask DataFrame, ``run_dask`` for the CLI.

Each partition is audited by ``auditor.batch.audit_batch`` on a worker (the pipeline is
built once per worker process and never leaves it); partitions keep their order, so
concatenating the output partitions gives the local run's rows in the local order.
Needs ``pip install 'auditor[dask]'``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..batch import BatchFn, audit_partition, failed_batch
from ..errors import InputError
from ..frames import (
    EVENT_COLUMNS,
    NOTE_COLUMNS,
    ROW_COLUMN,
    arrow_schema,
    empty_frames,
    frame_rows,
    frames_from_rows,
)
from ..io.readers import detect_columns
from ..patterns import load_patterns
from . import (
    clear_parts,
    csv_encoding,
    input_kind,
    jsonl_lines,
    merge_report,
    pair_in_order,
    track_failures,
)

log = logging.getLogger("auditor")

EVENTS_COLUMN = "_events"  # nested event rows between the audit task and the split
ROW_IN = "__auditor_row"  # global row numbers added to a partition before its audit
NOTES_SCHEMA = arrow_schema(NOTE_COLUMNS)
EVENTS_SCHEMA = arrow_schema(EVENT_COLUMNS)


def partition_offsets(ddf: dd.DataFrame) -> list[int]:
    """Global row number before each partition's first row (one pass over ``ddf``)."""
    lengths = ddf.map_partitions(len, meta=(None, "int64")).compute()
    offsets, total = [], 0
    for n in lengths:
        offsets.append(total)
        total += int(n)
    return offsets


def _nested_meta() -> pd.DataFrame:
    notes, _ = empty_frames()
    notes[EVENTS_COLUMN] = pd.Series([], dtype=object)
    return notes


def _audit_part(
    frame: pd.DataFrame,
    id_col: str | None,
    text_col: str,
    patterns_dir: str | None,
    redact: bool,
    sha: str,
    offsets: list[int],
    batch_fn: BatchFn | None,
    partition_info: dict[str, Any] | None = None,
) -> pd.DataFrame:
    """Worker task: audit one partition; each note row carries its event rows nested."""
    number = partition_info["number"] if partition_info else 0
    frame = frame.assign(**{ROW_IN: range(offsets[number] + 1, offsets[number] + 1 + len(frame))})
    notes, events = audit_partition(
        frame,
        id_col,
        text_col,
        f"partition {number}",
        patterns_dir,
        redact,
        row_col=ROW_IN,
        patterns_sha256=sha,
        batch_fn=batch_fn,
    )
    by_row: dict[int, list[dict[str, Any]]] = {}
    for row, event in zip(
        events[ROW_COLUMN].tolist(), events[EVENT_COLUMNS].to_dict("records"), strict=True
    ):
        by_row.setdefault(row, []).append(event)
    nested = [by_row.get(row, []) for row in notes[ROW_COLUMN].tolist()]
    notes = notes.drop(columns=[ROW_COLUMN])
    notes[EVENTS_COLUMN] = pd.Series(nested, dtype=object, index=notes.index)
    return notes


def _split_events(nested: pd.DataFrame) -> pd.DataFrame:
    """Worker task: the flat events frame of one nested partition."""
    return frames_from_rows([], [event for events in nested[EVENTS_COLUMN] for event in events])[1]


def audit_nested(
    ddf: dd.DataFrame,
    id_col: str | None = None,
    text_col: str | None = None,
    patterns_dir: str | None = None,
    redact: bool = False,
    *,
    row_offsets: list[int] | None = None,
    batch_fn: BatchFn | None = None,
) -> dd.DataFrame:
    """The lazy audit of ``ddf`` as one frame per partition: the notes columns plus
    ``_events`` (each note's event rows as dicts). See ``audit_dask`` for the arguments."""
    id_col, text_col = detect_columns(list(ddf.columns), id_col, text_col)
    sha = load_patterns(patterns_dir).sha256
    ddf = ddf[[c for c in (id_col, text_col) if c is not None]]
    offsets = list(row_offsets) if row_offsets is not None else partition_offsets(ddf)
    if len(offsets) != ddf.npartitions:
        raise ValueError(f"row_offsets has {len(offsets)} entries for {ddf.npartitions} partitions")
    return ddf.map_partitions(
        _audit_part,
        id_col,
        text_col,
        patterns_dir,
        redact,
        sha,
        offsets,
        batch_fn,
        meta=_nested_meta(),
        clear_divisions=True,
        enforce_metadata=False,
        align_dataframes=False,
    )


def audit_dask(
    ddf: dd.DataFrame,
    id_col: str | None = None,
    text_col: str | None = None,
    patterns_dir: str | None = None,
    redact: bool = False,
    *,
    row_offsets: list[int] | None = None,
    batch_fn: BatchFn | None = None,
) -> tuple[dd.DataFrame, dd.DataFrame]:
    """Audit a dask DataFrame of notes.

    Args:
        ddf: notes, one row per note, with a text column and optionally an id column.
        id_col, text_col: column names; detected as for a local run when None.
        patterns_dir: rule folder as the workers see it (None: each worker's
            ``$AUDITOR_PATTERNS`` or bundled ``patterns/``). The driver's pattern hash
            travels with the tasks; a worker whose files differ fails its partitions.
        redact: drop evidence text from events.
        row_offsets: global row number before each partition's first row; computed with
            one eager pass over ``ddf`` when None (row numbers are the ids of rows without
            one, and name rows in error messages).
        batch_fn: replaces ``auditor.batch.audit_batch`` (same arguments), e.g. to inject
            a failure in tests.

    Returns:
        ``(notes_ddf, events_ddf)``, lazy, with ``ddf``'s partitions: the columns and
        dtypes of ``auditor.batch`` (contract section 5). Concatenating the partitions in
        order gives the local run's rows in its order. Compute both in one call
        (``dask.compute(notes, events)``) or ``persist`` them: each partition is then
        audited once; computing them separately audits twice. A partition whose batch
        raises yields its notes with status ``error`` and ``error`` =
        ``"partition <n> failed: <reason>"`` (no note text), and no events; other
        partitions are unaffected.

    Raises:
        ColumnError: the id or text column cannot be chosen.
        PatternError: the driver's pattern files are missing or invalid.
    """
    nested = audit_nested(
        ddf, id_col, text_col, patterns_dir, redact, row_offsets=row_offsets, batch_fn=batch_fn
    )
    notes_meta, events_meta = empty_frames()
    notes = nested.map_partitions(
        lambda part: part.drop(columns=[EVENTS_COLUMN]), meta=notes_meta, enforce_metadata=False
    )
    events = nested.map_partitions(_split_events, meta=events_meta, enforce_metadata=False)
    return notes, events


def read_dask(
    path: str | Path,
    id_col: str | None = None,
    text_col: str | None = None,
    partitions: int | None = None,
    blocksize: str | int | None = None,
) -> tuple[dd.DataFrame, str | None, str]:
    """Read a CSV/TSV or Parquet export as a dask DataFrame of strings.

    CSV cells are read as text as the local reader reads them (strings, an empty cell is
    an empty note, UTF-8 else cp1252 for the whole file where the local reader decides
    per cell; ragged rows are pandas' business, not error records). With ``blocksize``
    None each CSV file is one read task (safe for quoted texts that span lines); give a
    blocksize (``"64MB"``) only for CSVs whose texts hold no line breaks. Parquet row
    groups are partitions.
    ``partitions``: repartition to at least this many partitions (order is kept).

    Returns:
        ``(ddf, id_col, text_col)`` with the detected column names.

    Raises:
        InputError, ColumnError: as ``io.readers.read_records``.
    """
    path = Path(path)
    kind = input_kind(path)
    try:
        if kind == "csv":
            ddf = dd.read_csv(
                str(path),
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                encoding=csv_encoding(path),
                blocksize=blocksize,
                sep="\t" if path.suffix.lower() == ".tsv" else ",",
            )
        else:
            ddf = dd.read_parquet(str(path))
    except (ValueError, OSError) as exc:
        raise InputError(
            f"{path.name}: not a readable {kind} input ({type(exc).__name__})"
        ) from exc
    id_col, text_col = detect_columns(list(ddf.columns), id_col, text_col)
    ddf = ddf[[c for c in (id_col, text_col) if c is not None]]
    if partitions and ddf.npartitions < partitions:
        ddf = ddf.repartition(npartitions=partitions)
    return ddf, id_col, text_col


def _part_name(index: int) -> str:
    return f"part-{index:05d}"


def write_part(folder: Path, index: int, notes: pd.DataFrame, events: pd.DataFrame) -> None:
    """Write one partition's outputs: ``notes/part-NNNNN.parquet`` and ``.jsonl``, and
    the same under ``events/`` (JSONL rows exactly as in the contract files)."""
    for name, frame, columns, schema in (
        ("notes", notes, NOTE_COLUMNS, NOTES_SCHEMA),
        ("events", events, EVENT_COLUMNS, EVENTS_SCHEMA),
    ):
        out = folder / name
        out.mkdir(exist_ok=True)
        table = pa.Table.from_pandas(frame[columns], schema=schema, preserve_index=False)
        pq.write_table(table, out / f"{_part_name(index)}.parquet")
        with open(out / f"{_part_name(index)}.jsonl", "w", encoding="utf-8") as handle:
            handle.writelines(jsonl_lines(frame_rows(frame, columns)))


def _read_parts(folder: Path, name: str, count: int) -> Iterator[dict[str, Any]]:
    import json

    for index in range(count):
        with open(folder / name / f"{_part_name(index)}.jsonl", encoding="utf-8") as handle:
            for line in handle:
                yield json.loads(line)


def _client(scheduler: str | None, workers: int):
    from distributed import Client, LocalCluster

    logging.getLogger("distributed").setLevel(logging.WARNING)
    if scheduler:
        return Client(scheduler), None
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
        silence_logs=logging.WARNING,
    )
    return Client(cluster), cluster


def run_dask(
    input: Path,
    folder: Path,
    meta: dict[str, Any],
    id_col: str | None = None,
    text_col: str | None = None,
    patterns_dir: str | None = None,
    redact: bool = False,
    workers: int = 2,
    scheduler: str | None = None,
    partitions: int | None = None,
    blocksize: str | int | None = None,
    claims_run: Any = None,
) -> dict[str, Any]:
    """``auditor audit INPUT --engine dask``: audit on a Dask cluster and write the report.

    Args:
        input: CSV/TSV or Parquet export (as the workers see it: a shared path or URL
            when ``scheduler`` is a remote cluster).
        folder: report folder (already prepared); written by this process, so it need
            not be shared with the workers.
        meta: run.json fields (product, version, patterns hash, ...).
        workers: LocalCluster size (processes, one thread each) when no ``scheduler``.
        scheduler: address of a running scheduler (``tcp://host:8786``).
        partitions: minimum partition count (default: 4 per worker thread).
        blocksize: CSV block size (see ``read_dask``).
        claims_run: an ``io.claims_io.ClaimsRun`` fed every note (``--claims``).

    Returns:
        the summary written to ``run.json`` (counts, plus engine and partition details).
        A partition whose task fails outright (a worker dies) is reported as error rows
        named after the partition, like a partition whose batch raises.
    """
    from distributed import as_completed

    clear_parts(folder)
    started = time.perf_counter()
    client, cluster = _client(scheduler, workers)
    try:
        threads = sum(client.nthreads().values()) or workers
        ddf, id_col, text_col = read_dask(
            input, id_col, text_col, partitions or 4 * threads, blocksize
        )
        offsets = partition_offsets(ddf)
        nested = audit_nested(ddf, id_col, text_col, patterns_dir, redact, row_offsets=offsets)
        tasks = nested.to_delayed()
        futures = client.compute(tasks)
        index_of = {f.key: i for i, f in enumerate(futures)}
        for future in as_completed(futures):
            index = index_of[future.key]
            try:
                part = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost worker must not stop the run
                log.warning("partition %d failed: %s", index, type(exc).__name__)
                frame = ddf.partitions[index].compute()
                notes, events = failed_batch(
                    frame,
                    id_col,
                    text_col,
                    f"partition {index} failed: {type(exc).__name__}",
                    offsets[index],
                )
            else:
                notes, events = part.drop(columns=[EVENTS_COLUMN]), _split_events(part)
            write_part(folder, index, notes, events)
            future.release()
        count = len(futures)
    finally:
        client.close()
        if cluster is not None:
            # a worker still releasing its pipeline is killed after 4 s: not worth a warning
            logging.getLogger("distributed.nanny").setLevel(logging.ERROR)
            cluster.close()
    failed: list[str] = []
    meta = {
        **meta,
        "engine": "dask",
        "scheduler": scheduler or f"LocalCluster({workers}x1)",
        "partitions": count,
        "failed_partitions": failed,  # filled while the report is merged
        "audit_seconds": round(time.perf_counter() - started, 1),
    }
    pairs = pair_in_order(
        _read_parts(folder, "notes", count), _read_parts(folder, "events", count), "note_id"
    )
    return merge_report(folder, track_failures(pairs, failed), meta, claims_run)


__all__ = ["audit_dask", "audit_nested", "partition_offsets", "read_dask", "run_dask", "write_part"]
