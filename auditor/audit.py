"""The core: note records in, judged notes and events out.

Every way into the product (CLI, Python API, notebooks) goes through ``audit_records``
(streaming) or ``audit`` (DataFrames). Extraction runs in the spaCy pipeline; judgement in
``requirements``; both produce plain rows. Multi-process runs use a process pool whose
workers build the pipeline once and return plain rows (spaCy Docs never cross processes).
"""

from __future__ import annotations

import logging
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pandas as pd

from .patterns import load_patterns
from .records import EVENT_COLUMNS, EVIDENCE_FIELDS, NoteRecord, clean_text
from .requirements import RequirementSpec

log = logging.getLogger("auditor")

WINDOW_CHARS = 500_000  # longer notes are processed in line-aligned windows of about this size
_STATE: dict[str, Any] = {}


def _silence_phi_loggers() -> None:
    """PyRuSH/medspaCy log tokens through loguru at DEBUG: a PHI leak. Turn them off."""
    try:
        from loguru import logger

        logger.disable("PyRuSH")
        logger.disable("medspacy")
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        pass


def _engine(patterns_dir: str | None) -> tuple[Any, RequirementSpec]:
    """The pipeline and requirement spec of this process, built once per rule set
    (keyed by the SHA-256 of the pattern files, so a worker that sees the same rules under
    another path reuses its pipeline)."""
    patterns = load_patterns(patterns_dir)
    key = patterns.sha256
    if _STATE.get("key") != key:
        _silence_phi_loggers()
        from .pipeline.build import build_pipeline

        _STATE.update(
            key=key,
            nlp=build_pipeline(patterns_dir),
            spec=RequirementSpec(patterns.requirements),
        )
    return _STATE["nlp"], _STATE["spec"]


def _windows(text: str, size: int) -> Iterator[tuple[int, str]]:
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            cut = text.rfind("\n", start + size // 2, end)
            end = cut + 1 if cut > 0 else end
        yield start, text[start:end]
        start = end


def extract(nlp: Any, text: str) -> dict[str, Any]:
    """Run the pipeline on one note (windowed when long) and merge the plain results."""
    merged: dict[str, Any] = {"events": [], "not_administered": [], "evidence": None}
    for offset, chunk in _windows(text, WINDOW_CHARS):
        result = nlp(chunk).user_data.get("auditor")
        if not result:
            continue
        for event in result["events"]:
            event["start"] += offset
            event["end"] += offset
        merged["events"] += result["events"]
        merged["not_administered"] += result["not_administered"]
        merged["evidence"] = merged["evidence"] or result["evidence"]
    return merged


def audit_one(record: NoteRecord, patterns_dir: str | None = None, redact: bool = False):
    """Audit one record.

    Returns:
        ``(note_row, event_rows)``: a dict with ``NOTE_COLUMNS`` and a list of dicts with
        ``EVENT_COLUMNS``. A record that cannot be read or processed gets status ``error``
        and a message naming the problem (never the note text).
    """
    base = {"note_id": record.note_id, "n_injections": 0, "missing": [], "flags": [], "advisories": []}
    if record.error is not None or record.text is None:
        return {**base, "status": "error", "error": record.error or "missing text"}, []
    try:
        nlp, spec = _engine(patterns_dir)
        found = extract(nlp, clean_text(record.text))
        events = []
        for i, event in enumerate(found["events"], start=1):
            judged = spec.judge_event(event)
            row = {k: event.get(k) for k in EVENT_COLUMNS} | judged
            row.update(note_id=record.note_id, event_id=i)
            if redact:
                row.update({k: None for k in EVIDENCE_FIELDS})
            events.append({k: row.get(k) for k in EVENT_COLUMNS})
        note = spec.judge_note(events, found["not_administered"])
        return {**base, **note, "error": None}, events
    except Exception as exc:  # noqa: BLE001 - one bad note must not stop the run
        log.warning("row %d: pipeline error %s", record.row, type(exc).__name__)
        return {**base, "status": "error", "error": f"pipeline error: {type(exc).__name__}"}, []


def _work(args: tuple[NoteRecord, str | None, bool]):
    return audit_one(*args)


def audit_records(
    records: Iterable[NoteRecord],
    patterns_dir: str | None = None,
    workers: int = 1,
    redact: bool = False,
    on_note: Callable[[], None] | None = None,
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Stream ``(note_row, event_rows)`` for each record, in input order.

    Args:
        records: note records (see ``records.NoteRecord``); consumed lazily.
        patterns_dir: rule folder (default: bundled ``patterns/``).
        workers: processes; 1 runs in this process.
        redact: drop evidence text (medication_text, indication, response, provider,
            evidence) from event rows, keeping offsets and normalised values.
        on_note: called once per finished note (progress).
    """
    tasks = ((r, patterns_dir, redact) for r in records)
    if workers <= 1:
        results: Iterable = map(_work, tasks)
        for result in results:
            if on_note:
                on_note()
            yield result
        return
    ctx = mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")
    with ctx.Pool(workers, initializer=_silence_phi_loggers) as pool:
        for result in pool.imap(_work, tasks, chunksize=16):
            if on_note:
                on_note()
            yield result


def to_records(
    notes: pd.DataFrame | Iterable[str],
    id_col: str | None = None,
    text_col: str | None = None,
) -> Iterator[NoteRecord]:
    """Turn a DataFrame (or an iterable of texts) into ``NoteRecord``s.

    Args:
        notes: DataFrame with a text column (and optionally an id column), or texts.
        id_col, text_col: column names; detected when None (see ``io.readers.detect_columns``).
    """
    from .io.readers import detect_columns, frame_records

    if isinstance(notes, pd.DataFrame):
        id_col, text_col = detect_columns(list(notes.columns), id_col, text_col)
        yield from frame_records(notes, id_col, text_col, start_row=1)
        return
    from .records import coerce_text

    for row, value in enumerate(notes, start=1):
        text, error = coerce_text(value)
        yield NoteRecord(row=row, note_id=str(row), text=text, error=error)


def audit(
    notes: pd.DataFrame | Iterable[str],
    id_col: str | None = None,
    text_col: str | None = None,
    patterns_dir: str | None = None,
    workers: int = 1,
    redact: bool = False,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Audit notes and return ``(notes_df, events_df)``.

    Args:
        notes: a DataFrame with a text column (and optionally an id column), or an
            iterable of note texts (ids are then 1-based positions).
        id_col, text_col: column names; auto-detected from common names when None.
        patterns_dir: rule folder (default: bundled ``patterns/``).
        workers: worker processes.
        redact: drop evidence text from events (see ``audit_records``).

    Returns:
        ``notes_df`` with columns ``NOTE_COLUMNS`` (one row per input, in order) and
        ``events_df`` with columns ``EVENT_COLUMNS`` (one row per event, text order).

    Raises:
        ColumnError: the id or text column cannot be chosen.
        PatternError: a rule file is missing or invalid.
    """
    from .batch import audit_batch, frames_from_rows

    if isinstance(notes, pd.DataFrame) and workers <= 1:
        from .io.readers import detect_columns

        id_col, text_col = detect_columns(list(notes.columns), id_col, text_col)
        return audit_batch(notes, id_col, text_col, patterns_dir, redact)
    note_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    for note, events in audit_records(to_records(notes, id_col, text_col), patterns_dir, workers, redact):
        note_rows.append(note)
        event_rows.extend(events)
    return frames_from_rows(note_rows, event_rows)
