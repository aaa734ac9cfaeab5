"""The audit on Spark: ``audit_spark`` for a Spark DataFrame, ``run_spark`` for the CLI.

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
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark import StorageLevel, TaskContext
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import LongType

from ..batch import BatchFn, audit_partition
from ..frames import EVENT_COLUMNS, NOTE_COLUMNS, ROW_COLUMN, frame_rows, spark_schema
from ..io.readers import detect_columns
from ..patterns import load_patterns
from . import (
    clear_parts,
    csv_encoding,
    input_kind,
    merge_report,
    pair_in_order,
    track_failures,
)

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


def read_spark(
    spark: SparkSession, path: str | Path, id_col: str | None = None, text_col: str | None = None
) -> tuple[DataFrame, str | None, str]:
    """Read a CSV/TSV or Parquet export as a Spark DataFrame.

    CSV is read as the local reader reads it: header row, RFC 4180 quotes (texts may span
    lines), every cell a string, an empty cell an empty note, UTF-8 (BOM dropped) else
    cp1252 for the whole file (the local reader decides per cell; ragged rows are Spark's
    business here, not error records).

    Returns:
        ``(df, id_col, text_col)`` with the detected column names.

    Raises:
        InputError, ColumnError: as ``io.readers.read_records``.
    """
    path = Path(path)
    if input_kind(path) == "parquet":
        df = spark.read.parquet(str(path))
        id_col, text_col = detect_columns(df.columns, id_col, text_col)
        return df, id_col, text_col
    encoding = csv_encoding(path)
    df = spark.read.csv(
        str(path), header=True, multiLine=True, escape='"', inferSchema=False,
        sep="\t" if path.suffix.lower() == ".tsv" else ",",
        encoding="UTF-8" if encoding == "utf-8-sig" else "windows-1252",
        mode="PERMISSIVE",
    )  # fmt: skip
    df = df.toDF(*[c.lstrip("\ufeff") for c in df.columns])
    id_col, text_col = detect_columns(df.columns, id_col, text_col)
    empty_is_text: list[Column] = [
        F.coalesce(F.col(c), F.lit("")).alias(c) if c in (id_col, text_col) else F.col(c)
        for c in df.columns
    ]  # Spark reads an empty cell as null; the local reader as an empty note
    return df.select(*empty_is_text), id_col, text_col


def _local_rows(frame: DataFrame, columns: list[str], order: list[str]) -> Iterator[dict]:
    for batch in _batches(frame.orderBy(*order)):
        yield from frame_rows(batch, [ROW_COLUMN, *columns])


def _batches(frame: DataFrame, size: int = 2000) -> Iterator[pd.DataFrame]:
    rows: list[Any] = []
    names = frame.columns
    for row in frame.toLocalIterator(prefetchPartitions=True):
        rows.append(tuple(row))
        if len(rows) >= size:
            yield pd.DataFrame(rows, columns=names)
            rows = []
    if rows:
        yield pd.DataFrame(rows, columns=names)


def run_spark(
    input: Path,
    folder: Path,
    meta: dict[str, Any],
    id_col: str | None = None,
    text_col: str | None = None,
    patterns_dir: str | None = None,
    redact: bool = False,
    workers: int = 2,
    scheduler: str | None = None,
    claims_run: Any = None,
) -> dict[str, Any]:
    """``auditor audit INPUT --engine spark``: audit with Spark and write the report.

    Args:
        input: CSV/TSV or Parquet export (visible to the executors).
        folder: report folder (already prepared); ``notes/`` and ``events/`` get Spark's
            Parquet part files (with the ``row`` column), the contract files are written
            by this process in input order.
        meta: run.json fields.
        workers: ``local[workers]`` when no master is given.
        scheduler: Spark master URL (default ``local[workers]``, or spark-submit's).
        claims_run: an ``io.claims_io.ClaimsRun`` fed every note (``--claims``).

    Returns:
        the summary written to ``run.json``.
    """
    clear_parts(folder)
    started = time.perf_counter()
    owned = SparkSession.getActiveSession() is None
    spark = local_session(workers, scheduler)
    combined = None
    try:
        df, id_col, text_col = read_spark(spark, input, id_col, text_col)
        combined = audit_spark(df, id_col, text_col, patterns_dir, redact, combined_only=True)
        notes, events = split(combined)
        notes.write.parquet(str(folder / "notes"), mode="overwrite")
        events.write.parquet(str(folder / "events"), mode="overwrite")
        failed: list[str] = []
        run_meta = {
            **meta, "engine": "spark", "master": spark.sparkContext.master,
            "failed_partitions": failed,  # filled while the report is merged
            "audit_seconds": round(time.perf_counter() - started, 1),
        }  # fmt: skip
        pairs = pair_in_order(
            _local_rows(notes, NOTE_COLUMNS, [ROW_COLUMN]),
            _local_rows(events, EVENT_COLUMNS, [ROW_COLUMN, "event_id"]),
            ROW_COLUMN,
        )
        return merge_report(folder, track_failures(pairs, failed), run_meta, claims_run)
    finally:
        if combined is not None:
            combined.unpersist()
        if owned:
            spark.stop()


def main(argv: list[str] | None = None) -> int:
    """spark-submit entry (``spark_submit.py``): ``INPUT --out DIR [--id-col C] [--text-col C]
    [--patterns DIR] [--redact] [--force]``; exit codes as ``auditor audit``."""
    import argparse

    from .. import __version__
    from ..errors import AuditorError
    from ..io.writers import prepare_dir

    parser = argparse.ArgumentParser(prog="auditor-spark")
    parser.add_argument("input", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--id-col")
    parser.add_argument("--text-col")
    parser.add_argument("--patterns")
    parser.add_argument("--redact", action="store_true")
    parser.add_argument("--force", action="store_true")
    args = parser.parse_args(argv)
    try:
        rules = load_patterns(args.patterns)
        folder = prepare_dir(args.out, args.force)
        meta = {
            "product": "auditor", "version": __version__, "patterns_sha256": rules.sha256,
            "requirements_version": rules.requirements["version"], "input": str(args.input),
            "redacted": args.redact,
        }  # fmt: skip
        summary = run_spark(
            args.input, folder, meta, args.id_col, args.text_col, args.patterns, args.redact
        )
    except AuditorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{summary['notes']} notes, {summary['events']} events: {summary['status']}")
    return 1 if summary["status"].get("error") else 0
