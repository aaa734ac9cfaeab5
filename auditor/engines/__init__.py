"""Engines that run the audit past one process: Dask and Spark.

Both distribute ``auditor.batch.audit_batch`` (plain frames in, plain frames out; spaCy
objects never leave a worker) and need the optional extras ``auditor[dask]`` or
``auditor[spark]``; importing this package imports neither.

* ``auditor.engines.dask_engine.audit_dask(ddf, ...)`` -> ``(notes_ddf, events_ddf)``
* ``auditor.engines.spark_engine.audit_spark(df, ...)`` -> ``(notes_sdf, events_sdf)``
* ``run_engine(...)``: what ``auditor audit --engine dask|spark`` runs.

Report folder written by an engine run (``--out DIR``): ``notes.jsonl``, ``events.jsonl``
(contract section 5, input order, identical rows and values to a local run), their CSV
copies, ``run.json`` (counts, pattern hash, engine, partitions), and the per-partition
outputs under ``DIR/notes/`` and ``DIR/events/`` (Parquet; Dask also writes JSONL parts).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from ..errors import InputError
from ..frames import EVENT_COLUMNS, NOTE_COLUMNS

ENGINES = ("local", "dask", "spark")
TABLE_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet"}


def input_kind(path: Path) -> str:
    """``"csv"`` or ``"parquet"`` for an engine input (a file or a folder of Parquet files).

    Raises:
        InputError: the path does not exist or is not CSV/TSV/Parquet (engines read
            tables as partitions; JSONL and ``.txt`` folders need the local engine).
    """
    if not path.exists():
        raise InputError(f"input not found: {path}")
    if path.is_dir():
        if any(path.glob("*.parquet")):
            return "parquet"
        raise InputError(
            f"{path.name}: engines read CSV/TSV or Parquet tables; audit a folder of .txt "
            "notes with the local engine"
        )
    kind = TABLE_SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise InputError(
            f"engines read .csv, .tsv or .parquet, not {path.suffix!r}: convert the export "
            "or use the local engine"
        )
    return kind


def csv_encoding(path: Path) -> str:
    """The encoding the local reader would use: UTF-8 (BOM allowed), else cp1252."""
    try:
        with open(path, encoding="utf-8-sig") as handle:
            for _ in handle:
                pass
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8-sig"


def jsonl_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """JSON Lines exactly as ``io.writers.ReportWriter`` writes them."""
    for row in rows:
        yield json.dumps(row, ensure_ascii=False) + "\n"


def merge_report(
    folder: Path,
    pairs: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]],
    meta: dict[str, Any],
    claims_run: Any = None,
) -> dict[str, Any]:
    """Write the contract report (notes.jsonl, events.jsonl, CSV copies, run.json) from
    ``(note_row, event_rows)`` pairs in input order, through the local ``ReportWriter``;
    with ``claims_run`` (``io.claims_io.ClaimsRun``) also reconcile claim lines as a local
    run does (claims.jsonl).

    Returns:
        the run summary (counts by status, missing elements, flags, medications).
    """
    from ..io.writers import ReportWriter

    with ReportWriter(folder, meta) as writer:
        for note, events in pairs:
            writer.write(note, events)
            if claims_run:
                claims_run.add(note, events)
        if claims_run:
            writer.meta["claims"] = claims_run.write(folder)
    return writer.summary()


def pair_in_order(
    notes: Iterable[dict[str, Any]], events: Iterable[dict[str, Any]], key: str
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Zip a note stream and an event stream (both in input order) into
    ``(note, its events)``, matching on ``key`` (``row`` or ``note_id``); ``key`` is
    dropped from the rows when it is not a contract column."""
    pending = iter(events)
    nxt = next(pending, None)
    for note in notes:
        mine: list[dict[str, Any]] = []
        while nxt is not None and nxt[key] == note[key]:
            mine.append(nxt)
            nxt = next(pending, None)
        if key not in NOTE_COLUMNS:
            note = {k: note[k] for k in NOTE_COLUMNS}
            mine = [{k: e[k] for k in EVENT_COLUMNS} for e in mine]
        yield note, mine
    if nxt is not None:
        raise RuntimeError("events left over that belong to no note (outputs out of order)")


FAILED = re.compile(r"^(partition \d+(?: batch \d+)?) failed")


def track_failures(
    pairs: Iterable[tuple[dict[str, Any], list[dict[str, Any]]]], failed: list[str]
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Pass ``pairs`` through, appending to ``failed`` each partition label (``"partition
    3"``) that an error message names, once, in order of first appearance."""
    for note, events in pairs:
        match = FAILED.match(note.get("error") or "")
        if match and match.group(1) not in failed:
            failed.append(match.group(1))
        yield note, events


def clear_parts(folder: Path) -> None:
    """Remove per-partition outputs of an earlier run (``--force``)."""
    for name in ("notes", "events"):
        shutil.rmtree(folder / name, ignore_errors=True)


def run_engine(engine: str, **kwargs: Any) -> dict[str, Any]:
    """Run ``auditor audit --engine dask|spark`` (see ``dask_engine.run_dask`` and
    ``spark_engine.run_spark`` for the arguments).

    Returns:
        the run summary written to ``run.json``.

    Raises:
        InputError: the engine's extra is not installed, or the input is unreadable.
        AuditorError: as the local run (columns, patterns, report folder).
    """
    if engine == "dask":
        try:
            from .dask_engine import run_dask
        except ImportError as exc:
            raise InputError(
                f"--engine dask needs the dask extra: pip install 'auditor[dask]' ({exc.name})"
            ) from exc
        return run_dask(**kwargs)
    if engine == "spark":
        try:
            from .spark_engine import run_spark
        except ImportError as exc:
            raise InputError(
                f"--engine spark needs the spark extra: pip install 'auditor[spark]' ({exc.name})"
            ) from exc
        return run_spark(**kwargs)
    raise InputError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")
