"""Score the audit against gold-labelled notes (the format of ``shared/gold/dev.jsonl``).

Gold lines: ``{"note_id", "text", "expected": {"status", "n_injections", "missing",
"flags", "advisories", "events": [{"medication", "route", "dose_value", "dose_unit",
"site", "laterality", "eligible"}]}}``. Events are matched within a note by the first
word of the medication (contract section 5), in text order.

Real-text gold (``corpora/gold/real/*.jsonl``) adds ``source`` (where the note comes from)
and ``split`` (``dev`` or ``heldout``). Lines whose text may not be stored in the
repository (the PhysioNet deid nursing notes) carry no ``text``: ``load_gold`` reads it
from the shared data folder by the ``source`` record key (see ``shared_data_dir``).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .core import audit
from .errors import InputError
from .frames import SCORED_NOTE_COLUMNS, SETTINGS, STATUSES
from .requirements import EVENT_FLAGS_ORDER, NOTE_FLAGS, REQUIRED_ELEMENTS

NURSING_CORPUS = "physionet-deid-nursing"
"""``source.corpus`` of gold lines whose text is read from the shared PhysioNet deid file."""

SPLITS = ("dev", "heldout")


class GoldError(InputError):
    """A gold file or a note it refers to cannot be read (names the record, never text)."""

    code = "E210"


ELEMENTS = REQUIRED_ELEMENTS
# the flags scored: contract sections 2 and 5 (the requirement engine's vocabulary)
FLAGS = [*EVENT_FLAGS_ORDER, *sorted(NOTE_FLAGS)]
ATTRIBUTES = ["route", "dose", "site", "laterality", "eligible"]


V1_SPEC = "cpt_96372.v1"  # gold lines carry ``expected_v1`` where version 1 differs


def shared_data_dir() -> Path:
    """The shared data folder: env ``AUDITOR_SHARED_DATA``, else ``<repo>/../shared/data``."""
    env = os.environ.get("AUDITOR_SHARED_DATA")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[1].parent / "shared" / "data"


def read_deid_records(path: str | Path) -> dict[str, str]:
    """Read a PhysioNet deid ``id.text`` file into ``{"<patient>||||<note>": text}``.

    Records run from a ``START_OF_RECORD=<patient>||||<note>||||`` line to
    ``||||END_OF_RECORD``; the text is everything between the header line's newline and the
    end marker, unchanged.

    Raises:
        GoldError: the file cannot be read (the message names the path only).
    """
    try:
        raw = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise GoldError(f"cannot read the deid notes file {path} ({type(exc).__name__})") from None
    records: dict[str, str] = {}
    head = "START_OF_RECORD="
    pos = raw.find(head)
    while pos >= 0:
        line_end = raw.find("\n", pos)
        end = raw.find("||||END_OF_RECORD", pos)
        if line_end < 0 or end < 0:
            break
        key = raw[pos + len(head) : line_end].strip().removesuffix("||||")
        records[key] = raw[line_end + 1 : end]
        pos = raw.find(head, end)
    return records


def _resolve_text(row: dict[str, Any], where: str, cache: dict[Path, dict[str, str]]) -> str:
    """The text of a gold line without ``text``, read from the shared data folder."""
    source = row.get("source") or {}
    corpus, record = source.get("corpus"), source.get("record")
    if corpus != NURSING_CORPUS or not record:
        raise GoldError(f"{where}: no text and no {NURSING_CORPUS} source record")
    path = shared_data_dir() / NURSING_CORPUS / source.get("file", "id.text")
    if path not in cache:
        if not path.is_file():
            raise GoldError(
                f"{where}: record {record} needs {path}, which is absent "
                "(set AUDITOR_SHARED_DATA to the shared data folder)"
            )
        cache[path] = read_deid_records(path)
    text = cache[path].get(record)
    if text is None:
        raise GoldError(f"{where}: record {record} not found in {path}")
    return text


def load_gold(paths: Iterable[str | Path], spec: str | None = None) -> list[dict[str, Any]]:
    """Read gold JSONL files into a list of dicts (note_id, text, expected, ...).

    Gold is labelled by contract version 2; a line whose version-1 label differs also
    holds ``expected_v1``, which replaces ``expected`` when ``spec`` is ``cpt_96372.v1``.

    Each row also gets ``gold_file`` (the path as given), used for the per-file view, and
    keeps its ``split`` (``dev``/``heldout``) when it has one. A line without ``text`` must name a
    ``source`` record of the PhysioNet deid nursing file; its text is read from
    ``shared_data_dir()``.

    Raises:
        GoldError: a file cannot be read or parsed, a line lacks a field scoring needs (or
            holds one of the wrong kind), a note id repeats (within or across files), no
            file holds a line, or a note's text cannot be found (the message names the
            file, line, field and record, never note text).
    """
    rows: list[dict[str, Any]] = []
    cache: dict[Path, dict[str, str]] = {}
    seen: dict[str, str] = {}
    for path in paths:
        path = Path(path)
        try:
            with open(path, encoding="utf-8") as handle:
                lines = handle.readlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise GoldError(f"cannot read gold file {path} ({type(exc).__name__})") from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise GoldError(f"{where}: not valid JSON") from None
            _check_line(row, where)
            if "text" not in row:
                row["text"] = _resolve_text(row, where, cache)
            row["gold_file"] = str(path)
            if spec == V1_SPEC and "expected_v1" in row:
                row["expected"] = row["expected_v1"]
            note_id = str(row["note_id"])
            if note_id in seen:
                raise GoldError(f"{where}: same note_id as {seen[note_id]}")
            seen[note_id] = f"{path} line {number}"
            rows.append(row)
    if not rows:
        raise GoldError("the gold file(s) hold no labelled lines")
    return rows


def _check_expected(expected: Any, where: str, key: str) -> None:
    """Raise ``GoldError`` unless ``expected`` has the shape ``score`` reads."""
    if not isinstance(expected, dict):
        raise GoldError(f"{where}: '{key}' is not a JSON object")
    for field in (*SCORED_NOTE_COLUMNS, "events"):
        if field not in expected:
            raise GoldError(f"{where}: '{key}' has no '{field}'")
    if expected["status"] not in STATUSES:
        raise GoldError(
            f"{where}: {key}.status must be one of {', '.join(STATUSES)} "
            f"(got {type(expected['status']).__name__})"
        )
    if "setting" in expected and expected["setting"] not in (*SETTINGS, None):
        raise GoldError(f"{where}: {key}.setting must be one of {', '.join(SETTINGS)} or null")
    count = expected["n_injections"]
    if isinstance(count, bool) or not isinstance(count, int) or count < 0:
        raise GoldError(f"{where}: {key}.n_injections is not a whole number")
    for field in (*SCORED_NOTE_COLUMNS, "events"):
        if field not in ("status", "n_injections") and not isinstance(expected[field], list):
            raise GoldError(f"{where}: {key}.{field} is not a list")
    for number, event in enumerate(expected["events"], start=1):
        if not isinstance(event, dict):
            raise GoldError(f"{where}: {key}.events item {number} is not a JSON object")


def _check_line(row: Any, where: str) -> None:
    """Raise ``GoldError`` naming the line and the field when a gold line lacks what
    scoring needs (``note_id``, ``expected`` with the scored note columns and ``events``,
    a string ``text`` when present), so that a malformed file stops before the audit with
    its place named, instead of an internal error. Messages name fields and types only."""
    if not isinstance(row, dict):
        raise GoldError(f"{where}: not a JSON object (got {type(row).__name__})")
    note_id = row.get("note_id")
    if isinstance(note_id, bool) or not isinstance(note_id, str | int) or note_id == "":
        raise GoldError(f"{where}: no 'note_id' (a non-empty string or a whole number)")
    if "text" in row and not isinstance(row["text"], str):
        raise GoldError(f"{where}: 'text' is not a string (got {type(row['text']).__name__})")
    if "expected" not in row:
        raise GoldError(f"{where}: no 'expected'")
    _check_expected(row["expected"], where, "expected")
    if "expected_v1" in row:
        _check_expected(row["expected_v1"], where, "expected_v1")


def note_splits(paths: Iterable[str | Path]) -> dict[str, str]:
    """Map each gold note id to its ``split`` (``dev``/``heldout``), reading only the labels.

    Args:
        paths: gold JSONL files (the format of ``load_gold``).

    Returns:
        note id -> split, for lines that have a split (no note text is read or resolved).

    Raises:
        GoldError: a file cannot be read or a line is not valid JSON.
    """
    splits: dict[str, str] = {}
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise GoldError(f"cannot read gold file {path} ({type(exc).__name__})") from None
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError:
                raise GoldError(f"{Path(path).name} line {number}: not valid JSON") from None
            if row.get("split"):
                splits[str(row["note_id"])] = row["split"]
    return splits


def _prf(tp: int, fp: int, fn: int) -> dict[str, float]:
    p = tp / (tp + fp) if tp + fp else 1.0
    r = tp / (tp + fn) if tp + fn else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {
        "precision": round(p, 4),
        "recall": round(r, 4),
        "f1": round(f, 4),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _key(med: str | None) -> str:
    return (med or "").split(" ")[0].lower()


def _match(gold: list[dict], got: list[dict]) -> list[tuple[dict, dict]]:
    pairs, used = [], set()
    for g in gold:
        for j, e in enumerate(got):
            if j not in used and _key(g.get("medication")) == _key(e.get("medication")):
                pairs.append((g, e))
                used.add(j)
                break
    return pairs


def _attr(event: dict, name: str) -> Any:
    if name == "dose":
        value = event.get("dose_value")
        return None if value is None or pd.isna(value) else (float(value), event.get("dose_unit"))
    value = event.get(name)
    return None if not isinstance(value, str | bool) and pd.isna(value) else value


def score(gold: list[dict[str, Any]], notes: pd.DataFrame, events: pd.DataFrame) -> dict[str, Any]:
    """Compare audit output with gold.

    Returns:
        A dict with ``n_notes``, ``status_accuracy``, ``confusion`` (gold -> predicted ->
        count), ``missing`` (per element P/R/F1 + ``micro``), ``flags`` (per flag + ``micro``),
        ``events`` (P/R/F1), ``attributes`` (accuracy per attribute on matched events) and
        ``disagreements`` (note_id, field, expected, got).
    """
    by_note = {nid: grp.to_dict("records") for nid, grp in events.groupby("note_id", sort=False)}
    pred = {row["note_id"]: row for row in notes.to_dict("records")}
    confusion: dict[str, Counter] = {s: Counter() for s in STATUSES}
    counts = {k: Counter() for k in ("missing", "flags")}
    ev = Counter()
    attr_ok, attr_n = Counter(), Counter()
    disagreements: list[dict[str, Any]] = []
    correct = 0
    setting_n = setting_ok = 0
    for item in gold:
        nid, exp = str(item["note_id"]), item["expected"]
        got = pred[nid]
        confusion[exp["status"]][got["status"]] += 1
        correct += exp["status"] == got["status"]
        if "setting" in exp:
            setting_n += 1
            setting_ok += exp["setting"] == got.get("setting")
            if exp["setting"] != got.get("setting"):
                disagreements.append(
                    {
                        "note_id": nid,
                        "field": "setting",
                        "expected": exp["setting"],
                        "got": got.get("setting"),
                    }
                )
        for field in SCORED_NOTE_COLUMNS:
            if exp[field] != got[field]:
                disagreements.append(
                    {"note_id": nid, "field": field, "expected": exp[field], "got": got[field]}
                )
        for kind, universe in (("missing", ELEMENTS), ("flags", FLAGS)):
            for label in universe:
                e, g = label in exp[kind], label in got[kind]
                counts[kind][(label, "tp" if e and g else "fp" if g else "fn" if e else "tn")] += 1
        got_events = by_note.get(nid, [])
        pairs = _match(exp["events"], got_events)
        ev["tp"] += len(pairs)
        ev["fn"] += len(exp["events"]) - len(pairs)
        ev["fp"] += len(got_events) - len(pairs)
        if len(pairs) != len(exp["events"]) or len(pairs) != len(got_events):
            disagreements.append(
                {
                    "note_id": nid,
                    "field": "events",
                    "expected": [e.get("medication") for e in exp["events"]],
                    "got": [e.get("medication") for e in got_events],
                }
            )
        for g, e in pairs:
            for name in ATTRIBUTES:
                attr_n[name] += 1
                if _attr(g, name) == _attr(e, name):
                    attr_ok[name] += 1
                else:
                    disagreements.append(
                        {
                            "note_id": nid,
                            "field": f"event.{g.get('medication')}.{name}",
                            "expected": _attr(g, name),
                            "got": _attr(e, name),
                        }
                    )

    def table(kind: str, universe: list[str]) -> dict[str, Any]:
        out = {}
        totals = Counter()
        for label in universe:
            tp, fp, fn = (counts[kind][(label, k)] for k in ("tp", "fp", "fn"))
            out[label] = _prf(tp, fp, fn)
            totals.update(tp=tp, fp=fp, fn=fn)
        out["micro"] = _prf(totals["tp"], totals["fp"], totals["fn"])
        return out

    n = len(gold)
    return {
        "n_notes": n,
        "status_accuracy": round(correct / n, 4) if n else 0.0,
        "setting_accuracy": round(setting_ok / setting_n, 4) if setting_n else None,
        "confusion": {s: dict(c) for s, c in confusion.items() if c},
        "missing": table("missing", ELEMENTS),
        "flags": table("flags", FLAGS),
        "events": _prf(ev["tp"], ev["fp"], ev["fn"]),
        "attributes": {
            name: round(attr_ok[name] / attr_n[name], 4) if attr_n[name] else None
            for name in ATTRIBUTES
        },
        "disagreements": disagreements,
    }


def evaluate(
    paths: Iterable[str | Path],
    patterns_dir: str | None = None,
    workers: int = 1,
    spec: str | None = None,
) -> dict[str, Any]:
    """Audit the gold notes of ``paths`` under requirement spec ``spec`` (default: contract
    version 2) and ``score`` them.

    Returns:
        ``score`` over all notes, plus ``per_file`` (gold file path -> score without
        disagreements), ``per_split`` (``dev``/``heldout`` -> the same, over all files, for
        splits present) and ``per_file_split`` (path -> split -> the same).

    Raises:
        GoldError: see ``load_gold``.
    """
    gold = load_gold(paths, spec)
    frame = pd.DataFrame(
        {"note_id": [str(g["note_id"]) for g in gold], "text": [g["text"] for g in gold]}
    )
    notes, events = audit(
        frame,
        id_col="note_id",
        text_col="text",
        patterns_dir=patterns_dir,
        workers=workers,
        spec=spec,
    )
    result = score(gold, notes, events)
    result.update(breakdown(gold, notes, events))
    return result


def breakdown(
    gold: list[dict[str, Any]], notes: pd.DataFrame, events: pd.DataFrame
) -> dict[str, Any]:
    """Score subsets of ``gold``: per gold file, per split, per file and split.

    Args:
        gold: rows from ``load_gold`` (``gold_file`` and optional ``split`` keys).
        notes, events: the audit's frames for these notes.

    Returns:
        ``{"per_file": {path: s}, "per_split": {split: s}, "per_file_split": {path: {split:
        s}}}`` where ``s`` is ``score`` without ``disagreements``; splits with no note are
        left out.
    """

    def part(rows: list[dict[str, Any]]) -> dict[str, Any]:
        ids = {str(r["note_id"]) for r in rows}
        result = score(
            rows,
            notes[notes["note_id"].astype(str).isin(ids)],
            events[events["note_id"].astype(str).isin(ids)] if len(events) else events,
        )
        result.pop("disagreements")
        return result

    files: dict[str, list[dict[str, Any]]] = {}
    for row in gold:
        files.setdefault(row.get("gold_file", "-"), []).append(row)
    per_split = {
        split: part(rows)
        for split in SPLITS
        if (rows := [r for r in gold if r.get("split") == split])
    }
    per_file_split = {
        path: {
            split: part(sub)
            for split in SPLITS
            if (sub := [r for r in rows if r.get("split") == split])
        }
        for path, rows in files.items()
    }
    return {
        "per_file": {path: part(rows) for path, rows in files.items()},
        "per_split": per_split,
        "per_file_split": {path: parts for path, parts in per_file_split.items() if parts},
    }


def summary_line(scores: dict[str, Any]) -> dict[str, Any]:
    """The headline figures of a ``score`` result, for one line of a per-corpus table.

    Returns:
        ``n_notes``, ``status``, ``event_f1``, ``route``, ``dose``, ``missing_f1``,
        ``flag_f1`` and ``setting`` (accuracy, or None when the gold has no ``setting``).
    """
    return {
        "n_notes": scores["n_notes"],
        "status": scores["status_accuracy"],
        "event_f1": scores["events"]["f1"],
        "route": scores["attributes"]["route"],
        "dose": scores["attributes"]["dose"],
        "missing_f1": scores["missing"]["micro"]["f1"],
        "flag_f1": scores["flags"]["micro"]["f1"],
        "setting": scores.get("setting_accuracy"),
    }
