"""Engines that run the audit past one process: Dask and Spark.

Both distribute plain rows, never spaCy objects, and need the optional extras
``auditor[dask]`` or ``auditor[spark]``; importing this package imports neither.

* ``auditor.engines.dask_engine.audit_dask(ddf, ...)`` -> ``(notes_ddf, events_ddf)``
* ``auditor.engines.spark_engine.audit_spark(df, ...)`` -> ``(notes_sdf, events_sdf)``
* ``engine_stream(...)``: where ``auditor audit --engine dask|spark`` audits its notes.
* ``partition``: what both engines run on a worker, and the error rows of a lost partition.

``auditor audit --engine dask|spark`` is the local run (``auditor.run.run_audit``) with the
auditing moved to a cluster: the driver reads the input with the product's readers (every
format, each cell decoded on its own), sends batches of records ("partitions", in input
order) to the workers, where ``core.audit_chunk`` audits them as a local run does, and
writes the results as they come back, in input order. So ``notes.jsonl``, ``events.jsonl``,
``run.json``'s tallies and warnings and ``report.html`` are the local run's; ``run.json``
adds ``engine``, ``partitions`` and ``failed_partitions``. A partition that cannot be
audited (its batch raises, or its worker dies more often than the cluster retries) comes
out as ``error`` rows naming the partition (``partition 3 failed: KilledWorker``, never
note text; ``partition.failed_part``), and the other partitions are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from ..errors import InputError
from ..records import NoteRecord

ENGINES = ("local", "dask", "spark")


def check_engine(engine: str) -> None:
    """Check that ``engine`` can run here.

    Raises:
        InputError: an unknown engine, or its extra is not installed.
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
    if engine == "local":
        return
    try:
        if engine == "dask":
            import distributed  # noqa: F401
        else:
            import pyspark  # noqa: F401
    except ImportError as exc:
        raise InputError(
            f"--engine {engine} needs the {engine} extra: pip install 'auditor[{engine}]' "
            f"({exc.name})"
        ) from exc


def engine_stream(
    options: Any,
    records: Iterator[NoteRecord],
    info: dict[str, Any],
    on_note: Callable[[], None] | None = None,
) -> Iterator[tuple[NoteRecord, dict[str, Any], list[dict[str, Any]]]]:
    """``(record, note, events)`` in input order, audited on the engine ``options.engine``.

    Args:
        options: the ``run.RunOptions`` (engine, scheduler, workers, patterns, redact,
            batch_fn).
        records: the records as the local run reads them.
        info: filled with the run.json fields of the engine (engine, partitions,
            failed_partitions, scheduler or master) when the stream ends.
        on_note: called once per note.
    """
    check_engine(options.engine)
    if options.engine == "dask":
        from .dask_engine import dask_stream as stream
    else:
        from .spark_engine import spark_stream as stream
    for record, (note, events) in stream(options, records, info):
        if on_note:
            on_note()
        yield record, note, events
