"""The audit on Spark: ``audit_spark`` for a Spark DataFrame, ``spark_stream`` for the CLI.

``audit_spark`` numbers the rows (a ``row`` column, 1-based, in the DataFrame's order),
cuts them into contiguous row ranges and applies ``auditor.batch.audit_batch`` to each
Arrow batch with ``mapInPandas``: the pipeline is built once per Python worker process
and only plain rows travel. Needs ``pip install 'auditor[spark]'`` and a Java 8/11/17
runtime.

Run it on a cluster with spark-submit and ``auditor/engines/spark_submit.py`` (every
executor needs the package, the patterns folder and Python 3.11; nothing is downloaded).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from itertools import islice
from typing import Any

import pandas as pd
from pyspark import StorageLevel, TaskContext
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType

from ..batch import BatchFn, audit_partition, describe_failure
from ..frames import EVENT_COLUMNS, NOTE_COLUMNS, ROW_COLUMN, spark_schema
from ..io.readers import detect_columns
from ..patterns import load_patterns
from ..records import NoteRecord
from .partition import PARTITION_NOTES, Pair, audit_part, failed_part

log = logging.getLogger("auditor")

KIND = "_kind"  # "note" or "event": notes and events travel in one frame, split after
NOTES_SCHEMA = spark_schema([ROW_COLUMN, *NOTE_COLUMNS])
EVENTS_SCHEMA = spark_schema([ROW_COLUMN, *EVENT_COLUMNS])
_COMBINED_COLUMNS = [ROW_COLUMN, KIND, *dict.fromkeys(NOTE_COLUMNS + EVENT_COLUMNS)]
COMBINED_SCHEMA = spark_schema(_COMBINED_COLUMNS, extra={KIND: "str"})


def with_row_numbers(df: DataFrame, row_col: str = ROW_COLUMN) -> DataFrame:
    """Add ``row_col``: consecutive 1-based row numbers in the DataFrame's current order.

    Uses ``monotonically_increasing_id`` (partition index in the upper bits, position in
    the lower 33) and one counting pass per partition, so no data moves; the order is
    the one Spark reads, which must be stable between the two passes (true for files).
    """
    mono = "__auditor_mono"
    tagged = df.withColumn(mono, F.monotonically_increasing_id())
    pid = F.shiftrightunsigned(F.col(mono), 33)
    counts = dict(tagged.groupBy(pid.alias("p")).count().collect())
    offsets: list[int] = []
    total = 0
    for p in range(max(counts, default=-1) + 1):
        offsets.append(total)
        total += counts.get(p, 0)
    if not offsets:
        return tagged.withColumn(row_col, F.lit(None).cast(LongType())).drop(mono)
    start = F.element_at(F.array(*[F.lit(o) for o in offsets]), (pid + 1).cast("int"))
    local = F.col(mono).bitwiseAND((1 << 33) - 1)
    return tagged.withColumn(row_col, (start + local + 1).cast(LongType())).drop(mono)


def _combine(notes: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """One output frame with the combined schema: notes rows then events rows."""
    parts = [notes.assign(**{KIND: "note"})]
    if len(events):
        parts.append(events.assign(**{KIND: "event"}))
    frame = pd.concat(parts, ignore_index=True).reindex(columns=_COMBINED_COLUMNS)
    frame = frame.astype(object)
    return frame.where(frame.notna(), None)


def _mapper(
    id_col: str | None,
    text_col: str,
    row_col: str,
    patterns_dir: str | None,
    redact: bool,
    sha: str,
    batch_fn: BatchFn | None,
) -> Callable[[Iterator[pd.DataFrame]], Iterator[pd.DataFrame]]:
    """The ``mapInPandas`` function: audits each Arrow batch of a partition."""

    def audit_batches(batches: Iterator[pd.DataFrame]) -> Iterator[pd.DataFrame]:
        context = TaskContext.get()
        partition = context.partitionId() if context else 0
        for number, frame in enumerate(batches):
            label = f"partition {partition}" + (f" batch {number}" if number else "")
            notes, events = audit_partition(
                frame, id_col, text_col, label, patterns_dir, redact,
                row_col=row_col, patterns_sha256=sha, batch_fn=batch_fn,
            )  # fmt: skip
            yield _combine(notes, events)

    return audit_batches


def audit_spark(
    df: DataFrame,
    id_col: str | None = None,
    text_col: str | None = None,
    patterns_dir: str | None = None,
    redact: bool = False,
    *,
    row_col: str | None = None,
    partitions: int | None = None,
    batch_fn: BatchFn | None = None,
    persist: bool = True,
    combined_only: bool = False,
) -> Any:
    """Audit a Spark DataFrame of notes.

    Args:
        df: notes, one row per note, with a text column and optionally an id column.
        id_col, text_col: column names; detected as for a local run when None.
        patterns_dir: rule folder as the executors see it (None: each executor's
            ``$AUDITOR_PATTERNS`` or bundled ``patterns/``); the driver's pattern hash
            travels with the tasks and a worker whose files differ fails its partitions.
        redact: drop evidence text from events.
        row_col: a column of 1-based row numbers giving the input order; when None one
            is made from the DataFrame's order (``with_row_numbers``).
        partitions: number of row ranges audited in parallel (default: 4 x
            ``defaultParallelism``, or the DataFrame's partition count if larger).
        batch_fn: replaces ``auditor.batch.audit_batch`` (same arguments), e.g. to
            inject a failure in tests.
        persist: keep the audited rows (MEMORY_AND_DISK) so that notes and events are
            computed from one audit; ``spark.catalog.clearCache()`` releases them.
        combined_only: return the one persisted frame holding both (``COMBINED_SCHEMA``,
            a ``_kind`` column says "note" or "event") instead; ``split`` splits it and
            its ``unpersist()`` releases it.

    Returns:
        ``(notes, events)`` Spark DataFrames with schemas ``NOTES_SCHEMA`` (``row`` +
        contract note columns) and ``EVENTS_SCHEMA`` (``row`` + contract event columns;
        lists are ``array<string>``). Spark keeps no order: sort notes by ``row`` and
        events by ``row, event_id`` to get the local run's order. A batch that raises
        yields its notes with status ``error`` and ``error`` =
        ``"partition <n> failed: <reason>"`` (no note text), and no events.

    Raises:
        ColumnError: the id or text column cannot be chosen.
        PatternError: the driver's pattern files are missing or invalid.
    """
    id_col, text_col = detect_columns(df.columns, id_col, text_col)
    sha = load_patterns(patterns_dir).sha256
    order = row_col or "__auditor_row"
    keep = [c for c in (id_col, text_col) if c is not None]
    if row_col is None:
        df = with_row_numbers(df.select(*keep), order)
    else:
        df = df.select(*keep, F.col(row_col).cast(LongType()).alias(order))
    spark = df.sparkSession
    n = partitions or max(4 * spark.sparkContext.defaultParallelism, df.rdd.getNumPartitions())
    ranged = df.repartitionByRange(n, order).sortWithinPartitions(order)
    combined = ranged.mapInPandas(
        _mapper(id_col, text_col, order, patterns_dir, redact, sha, batch_fn), COMBINED_SCHEMA
    )
    if persist:
        combined = combined.persist(StorageLevel.MEMORY_AND_DISK)
    return combined if combined_only else split(combined)


def split(combined: DataFrame) -> tuple[DataFrame, DataFrame]:
    """``(notes, events)`` of a frame with ``COMBINED_SCHEMA`` (see ``audit_spark``)."""
    kind = F.col(KIND)
    notes = combined.where(kind == "note").select(*NOTES_SCHEMA.fieldNames())
    events = combined.where(kind == "event").select(*EVENTS_SCHEMA.fieldNames())
    return notes, events


def local_session(workers: int = 2, master: str | None = None) -> SparkSession:
    """The CLI's SparkSession: ``master`` if given, else the one spark-submit set, else
    ``local[workers]`` with Python workers running this interpreter. The UI is off."""
    builder = SparkSession.builder.appName("auditor")
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # launched by spark-submit
    if master or not submitted:
        builder = builder.master(master or f"local[{workers}]")
    if not master and not submitted:
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    session = (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", str(4 * workers))
        .config("spark.python.worker.reuse", "true")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session


def _audit_indexed(
    fn: Any,
    part: tuple[int, list[NoteRecord]],
    patterns_dir: str | None,
    redact: bool,
    sha: str,
    spec: str | None = None,
) -> tuple[int, list[Pair] | None, BaseException | None]:
    """Spark task: one partition's results, or the exception it raised (so one bad
    partition does not fail the job; only a dead worker does)."""
    index, batch = part
    try:
        return index, audit_part(fn, batch, patterns_dir, redact, sha, spec), None
    except Exception as exc:  # noqa: BLE001 - reported as the partition's error rows
        return index, None, RuntimeError(describe_failure(exc))


def _run_wave(
    spark: SparkSession, wave: list[tuple[int, list[NoteRecord]]], options: Any, sha: str
) -> dict[int, tuple[list[Pair] | None, BaseException | None]]:
    fn, patterns_dir, redact = options.batch_fn, options.patterns_dir, options.redact
    spec = options.spec
    rdd = spark.sparkContext.parallelize(wave, len(wave))
    got = rdd.map(lambda part: _audit_indexed(fn, part, patterns_dir, redact, sha, spec)).collect()
    return {index: (results, exc) for index, results, exc in got}


def spark_stream(
    options: Any, records: Iterator[NoteRecord], info: dict[str, Any]
) -> Iterator[tuple[NoteRecord, Pair]]:
    """``auditor audit --engine spark``: ``(record, (note, events))`` in input order.

    Records go to the executors in partitions of ``PARTITION_NOTES``, two waves of
    ``defaultParallelism`` partitions at a time. A partition that raises gets error rows
    (``partition.failed_part``); when a job fails (a Python worker died), each partition of
    its wave is run again as its own job, and one that fails again gets error rows. The
    session is ``local_session`` (``local[max(workers, 2)]``, or ``options.scheduler``, or
    spark-submit's); ``info`` gets the run.json fields.
    """
    workers = max(options.workers, 2)
    sha = load_patterns(options.patterns_dir).sha256
    started = time.perf_counter()
    owned = SparkSession.getActiveSession() is None
    spark = local_session(workers, options.scheduler)
    master = spark.sparkContext.master
    failed: list[str] = []
    count = 0
    try:
        size = 2 * spark.sparkContext.defaultParallelism
        while True:
            wave = []
            for _ in range(size):
                batch = list(islice(records, PARTITION_NOTES))
                if not batch:
                    break
                wave.append((count, batch))
                count += 1
            if not wave:
                break
            try:
                done = _run_wave(spark, wave, options, sha)
            except Exception:  # noqa: BLE001 - a dead worker: retry partition by partition
                done = {}
                for part in wave:
                    try:
                        done |= _run_wave(spark, [part], options, sha)
                    except Exception as exc:  # noqa: BLE001
                        done[part[0]] = (None, RuntimeError(describe_failure(exc)))
            for index, batch in wave:
                results, exc = done[index]
                if results is None:
                    failed.append(f"partition {index}")
                    results = failed_part(batch, index, exc or RuntimeError("lost"))
                yield from zip(batch, results, strict=True)
    finally:
        if owned:
            spark.stop()
    info.update(
        engine="spark",
        master=master,
        partitions=count,
        failed_partitions=failed,
        audit_seconds=round(time.perf_counter() - started, 1),
    )
