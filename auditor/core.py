"""The core: note records in, judged notes and events out.

Every way into the product (CLI, Python API, notebooks) goes through ``audit_records``
(streaming) or ``audit`` (DataFrames). Extraction runs in the spaCy pipeline; judgement in
``requirements``; both produce plain rows. Multi-process runs use a process pool whose
workers build the pipeline once and return plain rows (spaCy Docs never cross processes).
"""

from __future__ import annotations

import gc
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .billing import HcpcsTable
from .exports import reading_text
from .frames import (
    EVENT_COLUMNS,
    EVIDENCE_FIELDS,
    error_note,
    frames_from_rows,
    note_row,
)
from .io.readers import detect_columns, frame_records
from .patterns import load_patterns
from .procedural import ProceduralRules
from .records import (
    InputTally,
    NoteRecord,
    ReaderRules,
    clean_text,
    coerce_text,
    lexicon_words,
    reader_rules,
    safe_record,
)
from .requirements import RequirementSpec
from .setting import SettingColumn, SettingRules

log = logging.getLogger("auditor")

# Long notes are audited in consecutive windows of at most WINDOW_CHARS characters and
# WINDOW_TOKENS tokens (see ``_docs``). The pipeline's cost grows with the square of a Doc's
# length (measured with spaCy 3.7.5: the sentence splitter's ``is_sent_start`` setter
# rescans the Doc, event grouping re-lists ``doc.sents`` per section): 20k tokens of
# separator lines take ~12 s, a 1.1M-char note in one piece over 5 min. Windows keep giant
# notes linear. Every MTSamples note (max 18,425 chars, 3,557 tokens) fits in one window,
# so ordinary notes keep their whole-note context.
WINDOW_CHARS = 20_000
WINDOW_TOKENS = 5_000
# spaCy keeps every string it has seen (StringStore and lexemes, ~0.5 kB each); the
# pipeline is rebuilt after this many new strings, which bounds the memory of a long run
# (notes with unique tokens bring ~15 each: a rebuild every ~10,000 such notes, ~8 s).
VOCAB_RENEW_STRINGS = 150_000
# spaCy's tokenizer strips the affixes of a whitespace-free run one at a time, searching the
# whole rest of the run each time: a run of punctuation ("=====", "((((", "||||") costs the
# square of its length (8,000 '=' took 21 s, so a 2 MB one took hours and no signal could
# stop it). The tokenizer sees such a run broken by a space every MAX_RUN characters
# (``_short_runs``): same length, so every offset holds. No clinical word is that long.
MAX_RUN = 100
_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")
_STATE: dict[str, Any] = {}


def _silence_phi_loggers() -> None:
    """PyRuSH/medspaCy log tokens through loguru at DEBUG: a PHI leak. Turn them off."""
    try:
        from loguru import logger

        logger.disable("PyRuSH")
        logger.disable("medspacy")
    except ImportError:  # pragma: no cover - loguru comes with medspaCy
        pass


@dataclass(frozen=True)
class Context:
    """What judgement needs besides the extracted events, built once per rule set.

    Attributes:
        setting: the setting rules (``patterns/setting/setting.yaml``).
        procedural: the procedural-context rules (``patterns/context/procedural.yaml``).
        im_sc_form: generic name -> whether the substance has an IM or SC form (drug
            lexicon ``label_routes``).
        words: the one-word drug, site and route forms of the rule set
            (``records.lexicon_words``): a word broken by a hyphen at a line end is joined
            when it makes one (``records.clean_text``).
        reader: the reader rules of the rule set (``records.reader_rules``), None for the
            bundled ones.
    """

    setting: SettingRules
    procedural: ProceduralRules
    im_sc_form: dict[str, bool]
    words: frozenset[str] = frozenset()
    reader: ReaderRules | None = None


def _engine(
    patterns_dir: str | None, spec_id: str | None = None
) -> tuple[Any, RequirementSpec, HcpcsTable, Context]:
    """The pipeline, requirement spec ``spec_id`` (default: ``patterns.DEFAULT_SPEC``),
    HCPCS table and judgement context of this process, built once per rule set (keyed by
    the SHA-256 of the pattern files, so a worker that sees the same rules under another
    path reuses its pipeline), and built afresh once its vocabulary has taken
    ``VOCAB_RENEW_STRINGS`` new strings (spaCy never forgets a string: without this, memory
    grows with every note that brings new MRNs, times, names or values). A fresh pipeline
    gives the same output (tested in ``tests/test_faults.py``).

    Raises:
        PatternError: the rule files are invalid or ``spec_id`` is unknown.
    """
    patterns = load_patterns(patterns_dir)
    key = patterns.sha256
    nlp = _STATE.get("nlp")
    if nlp is not None and len(nlp.vocab.strings) - _STATE["strings"] > VOCAB_RENEW_STRINGS:
        for name in ("key", "nlp", "specs", "billing", "context"):
            _STATE.pop(name)  # the old pipeline goes before the new one is built
        del nlp
        gc.collect()
    if _STATE.get("key") != key:
        _silence_phi_loggers()
        from .pipeline.build import build_pipeline

        _STATE.update(
            key=key,
            nlp=build_pipeline(patterns_dir),
            specs={},
            billing=HcpcsTable(patterns.hcpcs_drugs),
            context=Context(
                setting=SettingRules.from_rules(patterns.setting),
                procedural=ProceduralRules.from_rules(
                    patterns.procedural,
                    local_anaesthetics=[
                        d["generic"]
                        for d in patterns.drugs["drugs"]
                        if d.get("role") == "local_anesthetic"
                    ],
                ),
                im_sc_form={d["generic"]: d["im_sc_form"] for d in patterns.drugs["drugs"]},
                words=lexicon_words(patterns),
                reader=reader_rules(patterns),
            ),
        )
        _STATE["strings"] = len(_STATE["nlp"].vocab.strings)
        _STATE["builds"] = _STATE.get("builds", 0) + 1
    specs = _STATE["specs"]
    if spec_id not in specs:
        specs[spec_id] = RequirementSpec(patterns.spec(spec_id))
    return _STATE["nlp"], specs[spec_id], _STATE["billing"], _STATE["context"]


def _windows(text: str, size: int) -> Iterator[tuple[int, int]]:
    """Cut ``text`` into consecutive ``(start, end)`` ranges that cover it exactly.

    Each range holds at most ``size`` characters; a cut goes after the last blank line,
    else the last line break, else the last space in the second half of the range, and
    falls hard at ``size`` only when that half holds none of them.
    """
    start = 0
    while start < len(text):
        end = min(len(text), start + size)
        if end < len(text):
            end = _cut(text, start + size // 2, end)
        yield start, end
        start = end


def _cut(text: str, low: int, high: int) -> int:
    """The best cut in ``text[low:high]`` (see ``_windows``); ``high`` when there is none."""
    for separator in ("\n\n", "\n", " "):
        at = text.rfind(separator, low, high)
        if at >= 0:
            return at + len(separator)
    return high


def _docs(nlp: Any, text: str, reader: ReaderRules) -> Iterator[tuple[int, Any]]:
    """Tokenised windows of ``text``: ``(offset, Doc)`` pairs covering it in order.

    Each Doc holds at most ``WINDOW_CHARS`` characters (``_windows``) and, unless a
    single character is left, at most ``WINDOW_TOKENS`` tokens: a denser window
    (tables, separator lines, encoded blobs) is cut again into halves.
    """
    for start, end in _windows(text, WINDOW_CHARS):
        yield from _dense_split(nlp, text, start, end, reader)


def _short_runs(text: str) -> str:
    """``text`` with every run of more than ``MAX_RUN`` non-space characters broken by a
    space after each ``MAX_RUN`` characters (one character replaced: the same length)."""
    if _LONG_RUN.search(text) is None:
        return text
    step = MAX_RUN + 1

    def broken(m: re.Match[str]) -> str:
        chars = list(m.group(0))
        chars[MAX_RUN::step] = " " * len(chars[MAX_RUN::step])
        return "".join(chars)

    return _LONG_RUN.sub(broken, text)


def _capital_o_zeros(text: str, reader: ReaderRules) -> str:
    """``text`` with each capital letter O typed for a zero between an amount's digits and its
    unit ("4OMG", "4OO CC") read as the digit 0 (``reader.yaml`` ``ocr.capital_o_zeros``; one
    character for one: the same length)."""
    return reader.ocr_zeros.sub(lambda m: "0" * len(m.group(0)), text)


def _dense_split(
    nlp: Any, text: str, start: int, end: int, reader: ReaderRules
) -> Iterator[tuple[int, Any]]:
    """``(offset, Doc)`` pieces of ``text[start:end]`` with at most ``WINDOW_TOKENS`` tokens
    (long whitespace-free runs broken for the tokenizer: ``_short_runs``; a capital O typed for
    a zero in an amount read as 0: ``_capital_o_zeros``)."""
    doc = nlp.make_doc(_short_runs(_capital_o_zeros(text[start:end], reader)))
    if len(doc) <= WINDOW_TOKENS or end - start < 2:
        yield start, doc
        return
    for low, high in _windows(text[start:end], (end - start + 1) // 2):
        yield from _dense_split(nlp, text, start + low, start + high, reader)


def extract(nlp: Any, text: str, reader: ReaderRules | None = None) -> dict[str, Any]:
    """Run the pipeline on one note and return its plain results.

    Args:
        nlp: the pipeline (``pipeline.build.build_pipeline``).
        text: the cleaned note text (``records.clean_text``).
        reader: the reader rules of the rule set in use (``records.reader_rules``; None: the
            bundled ones): the tokenizer reads capital O zeros in amounts as zeros.

    Returns:
        ``{"events": [...], "not_administered": [...], "not_given": [...], "evidence": ...}``
        (see ``pipeline.events``); a long note is processed window by window (``_docs``)
        and the results merged, with every offset (event ``start``/``end`` and ``spans``,
        not-given ``start``/``end``) shifted to offsets in ``text``.
    """
    merged: dict[str, Any] = {
        "events": [],
        "not_administered": [],
        "not_given": [],
        "evidence": None,
    }
    for offset, doc in _docs(nlp, text, reader or reader_rules()):
        result = nlp(doc).user_data.get("auditor")
        if not result:
            continue
        for event in result["events"]:
            event["start"] += offset
            event["end"] += offset
            event["spans"] = {k: [s + offset, e + offset] for k, (s, e) in event["spans"].items()}
        for item in result["not_given"]:
            item["start"] += offset
            item["end"] += offset
        merged["events"] += result["events"]
        merged["not_administered"] += result["not_administered"]
        merged["not_given"] += result["not_given"]
        merged["evidence"] = merged["evidence"] or result["evidence"]
    return merged


def audit_one(
    record: NoteRecord,
    patterns_dir: str | None = None,
    redact: bool = False,
    spec: str | None = None,
):
    """Audit one record.

    Args:
        record: the note; ``record.setting`` (from a setting column) wins over the
            setting the note's own words give (contract section 2b).
        patterns_dir: rule folder (default: bundled ``patterns/``).
        redact: drop evidence text from event rows.
        spec: requirement spec id (``cpt_96372.v2``, the default, or ``cpt_96372.v1``).

    Returns:
        ``(note_row, event_rows)``: a dict with ``NOTE_COLUMNS`` and a list of dicts with
        ``EVENT_COLUMNS`` (``hcpcs``/``hcpcs_units`` from ``billing.HcpcsTable.code_event``).
        A record that could not be read, or whose processing raised, gets status ``error``
        and a message naming the row and the problem (an exception is named by its type
        only: its message may quote note text).

    Raises:
        PatternError: the rule files are invalid (the pipeline cannot be built) or the
            spec is unknown.
    """
    nlp, judge, billing, context = _engine(patterns_dir, spec)
    if record.error is not None or record.text is None:
        error = record.error or f"row {record.row}: missing text"
        status = judge.status(True, False, False, False)
        return note_row(
            note_id=record.note_id, status=status, error=error, setting=record.setting
        ), []
    try:
        text = clean_text(record.text, context.words, context.reader)
        setting = record.setting or context.setting.from_text(text)
        # a structured export (C-CDA, flattened FHIR, ';' table) read as prose, same offsets
        found = extract(nlp, reading_text(text, patterns_dir), context.reader)
        in_report = context.procedural.report_context(text)
        kept, dropped = [], set()
        restated = context.procedural.restated(text, found["events"])
        for event, again in zip(found["events"], restated, strict=True):
            if again:  # the injection procedure's own line, or its anaesthetic vehicle
                dropped.add(event.get("medication"))
                continue
            implied = (
                context.procedural.implied_route(text, event.get("medication"))
                if event.get("route") is None
                else None
            )
            if implied is not None:
                event["route"] = implied  # "Hip injection" report: intra-articular
            if (
                event.get("route") == "other"
                and event.get("site") in context.procedural.joint_sites
            ):
                event["site"] = None  # the hip joint or bursa injected, not the IM site
                (event.get("spans") or {}).pop("site", None)
            if event.get("route") == "other" and not event.get("laterality"):
                # "NAME OF OPERATION: Left L5-S1 transforaminal epidural steroid block"
                event["laterality"] = context.procedural.implied_side(text)
            procedural = context.procedural.is_procedural(text, event, in_report)
            if context.procedural.not_an_event(text, event, procedural):
                dropped.add(event.get("medication"))
                continue  # the block for the operation, contrast for the imaging
            event |= {
                "setting": setting,
                "im_sc_form": context.im_sc_form.get(event.get("medication")),
                "procedural": procedural,
            }
            kept.append(event)
        events = [
            _event_row(event, i, record, judge, billing, redact)
            for i, event in enumerate(kept, start=1)
        ]
        # a drug given as anaesthesia for the procedure was given: a negated mention of it
        # ("lidocaine without epinephrine") raises no not_administered
        unsaid = [
            (med, item)
            for med, item in zip(found["not_administered"], found["not_given"], strict=True)
            if med is None or med not in dropped
        ]
        not_administered = [med for med, _ in unsaid]
        note = judge.judge_note(events, not_administered)
        raised = judge.raising_not_administered(events, not_administered)
        note["not_administered"] = [unsaid[i][1] for i in raised]
    except Exception as exc:  # noqa: BLE001 - one bad note must not stop the run
        problem = f"pipeline error ({type(exc).__name__})"
        log.warning("row %d: %s; note marked error", record.row, problem)
        status = judge.status(True, False, False, False)
        error = f"row {record.row}: {problem}"
        return note_row(
            note_id=record.note_id, status=status, error=error, setting=record.setting
        ), []
    return note_row(**{"note_id": record.note_id, **note, "setting": setting}), events


def _event_row(
    event: dict[str, Any],
    event_id: int,
    record: NoteRecord,
    spec: RequirementSpec,
    billing: HcpcsTable,
    redact: bool,
) -> dict[str, Any]:
    """One ``EVENT_COLUMNS`` row: extraction fields, judgement, HCPCS code and units, ids;
    evidence text dropped when ``redact``. ``medication_text`` is re-read from the original
    text at the event's offsets, so it is the text as written (``clean_text`` may have
    replaced spaces)."""
    row = {k: event.get(k) for k in EVENT_COLUMNS} | spec.judge_event(event)
    row.update(note_id=record.note_id, event_id=event_id)
    if row["medication_text"] is not None:
        row["medication_text"] = record.text[row["start"] : row["end"]]
    row |= billing.code_event(row)
    if redact:
        row.update(dict.fromkeys(EVIDENCE_FIELDS))
    return {k: row.get(k) for k in EVENT_COLUMNS}


def audit_chunk(
    records: list[NoteRecord],
    patterns_dir: str | None = None,
    redact: bool = False,
    spec: str | None = None,
) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """``audit_one`` for each record of a chunk (the task a worker process runs)."""
    return [audit_one(record, patterns_dir, redact, spec) for record in records]


def _lost(record: NoteRecord, reason: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    log.warning("row %d: %s twice while auditing it; note marked error", record.row, reason)
    message = f"row {record.row}: {reason} while auditing this note (twice); record not audited"
    return error_note(record.note_id, message), []


def audit_stream(
    records: Iterable[NoteRecord],
    patterns_dir: str | None = None,
    workers: int = 1,
    redact: bool = False,
    on_note: Callable[[], None] | None = None,
    spec: str | None = None,
) -> Iterator[tuple[NoteRecord, dict[str, Any], list[dict[str, Any]]]]:
    """Stream ``(record, note_row, event_rows)`` for each record, in input order.

    Args:
        records: note records (see ``records.NoteRecord``); consumed lazily. Lone
            surrogates in ids, texts and other columns become U+FFFD first
            (``records.safe_record``), so every row can be written as UTF-8.
        patterns_dir: rule folder (default: bundled ``patterns/``).
        workers: processes; 1 runs in this process. More run in ``pool.ordered_map``: a
            worker that dies costs nothing unless the same note kills a fresh worker
            again, which then gets status ``error`` ("worker died").
        redact: drop evidence text (medication_text, indication, response, provider,
            evidence) from event rows, keeping offsets and normalised values.
        on_note: called once per finished note (progress).
        spec: requirement spec id (default: ``patterns.DEFAULT_SPEC``, contract v2).
    """
    from functools import partial

    from .pool import ordered_map

    safe = map(safe_record, records)
    if workers <= 1:
        results: Iterator = ((r, audit_one(r, patterns_dir, redact, spec)) for r in safe)
    else:
        fn = partial(audit_chunk, patterns_dir=patterns_dir, redact=redact, spec=spec)
        results = ordered_map(fn, safe, workers, _lost, initializer=_silence_phi_loggers)
    for record, (note, events) in results:
        if on_note:
            on_note()
        yield record, note, events


def audit_records(
    records: Iterable[NoteRecord], **options: Any
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Stream ``(note_row, event_rows)`` for each record, in input order: ``audit_stream``
    without the records; ``options`` are its keyword arguments (``patterns_dir``,
    ``workers``, ``redact``, ``on_note``, ``spec``)."""
    for _record, note, events in audit_stream(records, **options):
        yield note, events


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
    if isinstance(notes, pd.DataFrame):
        id_col, text_col = detect_columns(list(notes.columns), id_col, text_col)
        yield from frame_records(notes, id_col, text_col, start_row=1)
        return
    for row, value in enumerate(notes, start=1):
        cell = coerce_text(value)
        error = f"row {row}: {cell.error}" if cell.error else None
        yield NoteRecord(row, str(row), cell.text, error, cell.encoding)


def audit(
    notes: pd.DataFrame | Iterable[str],
    id_col: str | None = None,
    text_col: str | None = None,
    patterns_dir: str | None = None,
    workers: int = 1,
    redact: bool = False,
    spec: str | None = None,
    setting_col: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Audit notes and return ``(notes_df, events_df)``.

    Args:
        notes: a DataFrame with a text column (and optionally an id column), or an
            iterable of note texts (ids are then 1-based positions).
        id_col, text_col: column names; auto-detected from common names when None.
        patterns_dir: rule folder (default: bundled ``patterns/``).
        workers: worker processes.
        redact: drop evidence text from events (see ``audit_records``).
        spec: requirement spec id: ``cpt_96372.v2`` (default) or ``cpt_96372.v1``.
        setting_col: column holding each note's setting (encounter/patient class, place
            of service); detected from standard names when None (contract section 2b).

    Returns:
        ``notes_df`` with columns ``NOTE_COLUMNS`` (one row per input, in order) and
        ``events_df`` with columns ``EVENT_COLUMNS`` (one row per event, text order).
        Repeated note ids and Windows-1252 text are logged as warnings (row numbers only).

    Raises:
        ColumnError: the id or text column cannot be chosen.
        PatternError: a rule file is missing or invalid, or ``spec`` is unknown.
    """
    note_rows: list[dict[str, Any]] = []
    event_rows: list[dict[str, Any]] = []
    tally = InputTally()
    columns = list(notes.columns) if isinstance(notes, pd.DataFrame) else []
    setting = SettingColumn.choose(load_patterns(patterns_dir).setting, columns, setting_col)
    records = setting.apply(tally.watch(to_records(notes, id_col, text_col)))
    stream = audit_records(
        records, patterns_dir=patterns_dir, workers=workers, redact=redact, spec=spec
    )
    for note, events in stream:
        note_rows.append(note)
        event_rows.extend(events)
    for warning in tally.warnings() + setting.warnings():
        log.warning(warning)
    return frames_from_rows(note_rows, event_rows)  # the dtypes every engine returns
