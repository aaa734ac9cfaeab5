"""The audit on Dask: ``audit_dask`` for a dask DataFrame, ``dask_stream`` for the CLI.

Each partition is audited by ``auditor.batch.audit_batch`` on a worker (the pipeline is
built once per worker process and never leaves it); partitions keep their order, so
concatenating the output partitions gives the local run's rows in the local order.
Needs ``pip install 'auditor[dask]'``.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Iterator
from itertools import islice
from typing import Any

import dask.dataframe as dd
import pandas as pd

from ..batch import BatchFn, audit_partition
from ..errors import AuditorError
from ..frames import (
    EVENT_COLUMNS,
    ROW_COLUMN,
    empty_frames,
    frames_from_rows,
)
from ..io.readers import detect_columns
from ..patterns import load_patterns
from ..records import NoteRecord
from .partition import PARTITION_NOTES, Pair, audit_part, failed_part

log = logging.getLogger("auditor")

EVENTS_COLUMN = "_events"  # nested event rows between the audit task and the split
ROW_IN = "__auditor_row"  # global row numbers added to a partition before its audit


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
    id_col, text_col = detect_columns(list(ddf.columns), id_col, text_col)
    sha = load_patterns(patterns_dir).sha256
    ddf = ddf[[c for c in (id_col, text_col) if c is not None]]
    offsets = list(row_offsets) if row_offsets is not None else partition_offsets(ddf)
    if len(offsets) != ddf.npartitions:
        raise ValueError(f"row_offsets has {len(offsets)} entries for {ddf.npartitions} partitions")
    # one frame per partition: the notes columns plus each note's event rows nested
    nested = ddf.map_partitions(
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
    notes_meta, events_meta = empty_frames()
    notes = nested.map_partitions(
        lambda part: part.drop(columns=[EVENTS_COLUMN]), meta=notes_meta, enforce_metadata=False
    )
    events = nested.map_partitions(_split_events, meta=events_meta, enforce_metadata=False)
    return notes, events


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


def _retry(client: Any, exc: BaseException, options: Any, batch: list[NoteRecord], sha: str) -> Any:
    """Submit a failed partition once more, unless it failed by its own fault (a coded
    error such as other pattern files on the worker): a worker that died may have been
    killed by another partition queued on it."""
    if isinstance(exc, AuditorError):
        return None
    return client.submit(
        audit_part, options.batch_fn, batch, options.patterns_dir, options.redact, sha,
        options.spec, pure=False,
    )  # fmt: skip


def dask_stream(
    options: Any, records: Iterator[NoteRecord], info: dict[str, Any]
) -> Iterator[tuple[NoteRecord, Pair]]:
    """``auditor audit --engine dask``: ``(record, (note, events))`` in input order.

        Records are sent in partitions of ``PARTITION_NOTES`` (two per worker thread in flight,
        so memory does not grow with the input) to ``options.scheduler`` or a LocalCluster of
        ``max(options.workers, 2)`` processes with one thread each. Dask reruns a task whose
        worker died (``distributed.scheduler.allowed-failures`` times); a partition that still
        fails is submitted once more (another partition on its worker may have killed it), and
    one that fails again gets error rows (``partition.failed_part``). ``info`` gets the
    run.json fields.
    """
    workers = max(options.workers, 2)
    sha = load_patterns(options.patterns_dir).sha256
    started = time.perf_counter()
    client, cluster = _client(options.scheduler, workers)
    failed: list[str] = []
    count = 0
    try:
        threads = sum(client.nthreads().values()) or workers
        pending: deque[tuple[int, list[NoteRecord], Any]] = deque()

        def fill() -> None:
            nonlocal count
            while len(pending) < 2 * threads:
                batch = list(islice(records, PARTITION_NOTES))
                if not batch:
                    return
                future = client.submit(
                    audit_part, options.batch_fn, batch, options.patterns_dir,
                    options.redact, sha, options.spec, pure=False,
                )  # fmt: skip
                pending.append((count, batch, future))
                count += 1

        fill()
        while pending:
            index, batch, future = pending.popleft()
            try:
                results = future.result()
            except Exception as exc:  # noqa: BLE001 - a lost partition must not stop the run
                future.release()
                future = _retry(client, exc, options, batch, sha)
                try:
                    if future is None:
                        raise exc
                    results = future.result()
                except Exception as again:  # noqa: BLE001
                    failed.append(f"partition {index}")
                    results = failed_part(batch, index, again)
            if future is not None:
                future.release()
            yield from zip(batch, results, strict=True)
            fill()
    finally:
        client.close()
        if cluster is not None:
            # a worker still releasing its pipeline is killed after 4 s: not worth a warning
            logging.getLogger("distributed.nanny").setLevel(logging.ERROR)
            cluster.close()
    info.update(
        engine="dask",
        scheduler=options.scheduler or f"LocalCluster({workers}x1)",
        partitions=count,
        failed_partitions=failed,
        audit_seconds=round(time.perf_counter() - started, 1),
    )


__all__ = ["audit_dask", "dask_stream", "partition_offsets"]
