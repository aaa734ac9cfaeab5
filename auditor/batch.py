"""The batch unit: one pandas frame of notes in, judged notes and events frames out.

Every engine that runs past one process (``auditor.engines``: Dask, Spark) ships this
function, not spaCy objects: a worker receives a plain frame of ids and texts, builds the
pipeline lazily once per process (``auditor.core._engine``, keyed by the SHA-256 of the
pattern files) and returns plain frames. ``auditor.core.audit`` uses the same frame
builder, so a local run and a distributed run produce the same columns and dtypes.

Frames: columns, dtypes and JSON-safe rows are the contract's (``auditor.frames``).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pandas as pd

from .core import audit_one
from .errors import AuditorError, PatternError
from .frames import error_note, frames_from_rows, is_missing
from .io.readers import frame_records
from .patterns import load_patterns
from .records import NoteRecord

log = logging.getLogger("auditor")

BatchFn = Callable[..., tuple[pd.DataFrame, pd.DataFrame]]


def _runs(rows: list[int]) -> Iterator[tuple[int, int]]:
    """Split positions into maximal runs of consecutive row numbers: ``(start, stop)``."""
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i] != rows[i - 1] + 1:
            yield start, i
            start = i


def batch_records(
    frame: pd.DataFrame,
    id_col: str | None,
    text_col: str,
    row_offset: int = 0,
    row_col: str | None = None,
    setting_col: str | None = None,
) -> list[NoteRecord]:
    """Turn one frame of notes into ``NoteRecord``s exactly as a local read would.

    Args:
        frame: notes; only ``id_col`` and ``text_col`` (and ``row_col``) are read.
        id_col: id column, or None (ids are then the 1-based global row numbers).
        text_col: text column; missing cells (None, NaN, pd.NA) become error records.
        row_offset: global row number of the row before the frame's first row.
        row_col: a column holding each row's 1-based global row number; overrides
            ``row_offset`` (for engines whose batches are not contiguous slices).
        setting_col: a setting column kept in each record's ``extra`` (contract 2b).
    """
    cols = [c for c in (id_col, text_col, setting_col) if c is not None]
    plain = {c: [None if is_missing(v) else v for v in frame[c].tolist()] for c in cols}
    part = pd.DataFrame(plain, dtype=object)
    if row_col is None:
        return list(frame_records(part, id_col, text_col, start_row=row_offset + 1))
    rows = [int(r) for r in frame[row_col].tolist()]
    records: list[NoteRecord] = []
    for start, stop in _runs(rows):
        chunk = part.iloc[start:stop].reset_index(drop=True)
        records += frame_records(chunk, id_col, text_col, start_row=rows[start])
    return records


def check_patterns(patterns_dir: str | None, expected_sha256: str | None) -> str:
    """Load this process's pattern files and check they are the ones the driver used.

    Returns:
        the SHA-256 of the pattern files (``auditor.patterns.Patterns.sha256``).

    Raises:
        PatternError: the folder is missing or invalid, or its hash differs from
            ``expected_sha256`` (a worker with other rules would audit differently).
    """
    sha = load_patterns(patterns_dir).sha256
    if expected_sha256 is not None and sha != expected_sha256:
        raise PatternError(
            f"pattern files on this worker hash to {sha[:12]}, the driver's to "
            f"{expected_sha256[:12]}: install the same patterns folder on every worker"
        )
    return sha


def audit_batch(
    frame: pd.DataFrame,
    id_col: str | None,
    text_col: str,
    patterns_dir: str | None = None,
    redact: bool = False,
    row_offset: int = 0,
    *,
    row_col: str | None = None,
    patterns_sha256: str | None = None,
    spec: str | None = None,
    setting_col: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Audit one frame of notes in this process (the unit every engine distributes).

    Args:
        frame: notes with a text column and optionally an id column (other columns are
            ignored).
        id_col, text_col: column names (``id_col`` None: ids are global row numbers).
        patterns_dir: rule folder as seen by this process (None: ``$AUDITOR_PATTERNS``
            or the bundled ``patterns/``).
        redact: drop evidence text from events (see ``core.audit_records``).
        row_offset: global row number before the frame's first row, so ids and error
            messages name global 1-based rows (partition k starts after the rows of
            partitions 0..k-1).
        row_col: column of global 1-based row numbers; when given, both frames get a
            leading ``row`` column (int64) and ``row_offset`` is ignored.
        patterns_sha256: the driver's pattern hash; a mismatch raises.
        spec: requirement spec id (default: contract version 2).
        setting_col: the input's setting column (``setting.SettingColumn``), or None.

    Returns:
        ``(notes_df, events_df)``: one notes row per input row in frame order, events in
        note and text order; columns and dtypes as in the module docstring (plus ``row``
        when ``row_col`` is given). A note that cannot be read or processed has status
        ``error`` (see ``core.audit_one``); no note text reaches a message or a log.

    Raises:
        PatternError: the pattern files are invalid or differ from ``patterns_sha256``.
    """
    from .patterns import load_patterns
    from .setting import SettingColumn

    check_patterns(patterns_dir, patterns_sha256)
    setting = SettingColumn.choose(load_patterns(patterns_dir).setting, [], setting_col)
    records = list(
        setting.apply(batch_records(frame, id_col, text_col, row_offset, row_col, setting_col))
    )
    note_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    event_row_numbers: list[int] = []
    for record in records:
        note, events = audit_one(record, patterns_dir, redact, spec)
        note_rows.append(note)
        event_rows += events
        event_row_numbers += [record.row] * len(events)
    if row_col is None:
        return frames_from_rows(note_rows, event_rows)
    return frames_from_rows(note_rows, event_rows, [r.row for r in records], event_row_numbers)


def describe_failure(exc: BaseException) -> str:
    """A failure message without note text: the coded message of an ``AuditorError``,
    else the exception type only (other messages may quote the data)."""
    if isinstance(exc, AuditorError):
        return str(exc)
    return type(exc).__name__


def failed_batch(
    frame: pd.DataFrame,
    id_col: str | None,
    text_col: str,
    message: str,
    row_offset: int = 0,
    *,
    row_col: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Error rows for a batch that could not be audited: every note gets status
    ``error`` with ``message`` (which must hold no note text) and no events.

    Arguments and returned frames are as for ``audit_batch``.
    """
    records = batch_records(frame, id_col, text_col, row_offset, row_col)
    notes = [error_note(r.note_id, message) for r in records]
    rows = [r.row for r in records] if row_col is not None else None
    return frames_from_rows(notes, [], rows, [] if rows is not None else None)


def audit_partition(
    frame: pd.DataFrame,
    id_col: str | None,
    text_col: str,
    label: str,
    *args: Any,
    batch_fn: BatchFn | None = None,
    **options: Any,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``audit_batch`` for one engine partition, never raising for the partition's data.

    ``args`` and ``options`` are ``audit_batch``'s further arguments (``patterns_dir``,
    ``redact``, ``row_offset``; ``row_col``, ``patterns_sha256``, ``spec``, ...); an option
    whose value is None is left out, so a ``batch_fn`` need not know the newer ones.
    When the batch function raises, the partition's notes are returned with status
    ``error`` and the message ``"<label> failed: <reason>"`` (``label`` names the
    partition, e.g. ``"partition 3"``; the reason is ``describe_failure``), so the other
    partitions' results are kept. ``batch_fn`` (default ``audit_batch``) takes the same
    arguments as ``audit_batch``; engines expose it for wrappers and fault-injection tests.
    """
    fn = batch_fn or audit_batch
    given = {k: v for k, v in options.items() if v is not None}
    try:
        return fn(frame, id_col, text_col, *args, **given)
    except Exception as exc:  # noqa: BLE001 - one bad partition must not stop the run
        log.warning("%s failed: %s", label, type(exc).__name__)
        bound = inspect.signature(audit_batch).bind(frame, id_col, text_col, *args, **given)
        bound.apply_defaults()
        return failed_batch(
            frame,
            id_col,
            text_col,
            f"{label} failed: {describe_failure(exc)}",
            bound.arguments["row_offset"],
            row_col=bound.arguments["row_col"],
        )
