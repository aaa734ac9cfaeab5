"""Score the audit against gold-labelled notes (the format of ``shared/gold/dev.jsonl``).

Gold lines: ``{"note_id", "text", "expected": {"status", "n_injections", "missing",
"flags", "advisories", "events": [{"medication", "route", "dose_value", "dose_unit",
"site", "laterality", "eligible"}]}}``. Events are matched within a note by the first
word of the medication (contract section 5), in text order.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from .core import audit
from .frames import SCORED_NOTE_COLUMNS, STATUSES

ELEMENTS = ["medication", "dose", "route", "site", "indication", "response"]
FLAGS = [
    "vaccine_or_toxoid",
    "chemotherapy",
    "intravenous",
    "other_route",
    "allergen_immunotherapy",
    "not_administered",
]
ATTRIBUTES = ["route", "dose", "site", "laterality", "eligible"]


def load_gold(paths: Iterable[str | Path]) -> list[dict[str, Any]]:
    """Read gold JSONL files into a list of dicts (note_id, text, expected)."""
    rows: list[dict[str, Any]] = []
    for path in paths:
        with open(path, encoding="utf-8") as handle:
            rows += [json.loads(line) for line in handle if line.strip()]
    return rows


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
    for item in gold:
        nid, exp = str(item["note_id"]), item["expected"]
        got = pred[nid]
        confusion[exp["status"]][got["status"]] += 1
        correct += exp["status"] == got["status"]
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
    paths: Iterable[str | Path], patterns_dir: str | None = None, workers: int = 1
) -> dict[str, Any]:
    """Audit the gold notes of ``paths`` and ``score`` them (see ``score`` for the result)."""
    gold = load_gold(paths)
    frame = pd.DataFrame(
        {"note_id": [str(g["note_id"]) for g in gold], "text": [g["text"] for g in gold]}
    )
    notes, events = audit(
        frame, id_col="note_id", text_col="text", patterns_dir=patterns_dir, workers=workers
    )
    return score(gold, notes, events)
