"""Surface-form robustness of the extractor: the same notes, rewritten in ways that keep their
meaning, must give the same findings. Not part of the test suite.

Run from the repository root with the project's virtual environment::

    .venv/bin/python benchmarks/robustness.py [--split dev] [--json out.json]

The notes are the gold notes (``corpora/gold/*.jsonl``, ``corpora/gold/real/*.jsonl`` of the
chosen split, and ``../shared/gold/dev.v2.jsonl`` when present; nursing texts are read from
``../shared`` as ``auditor evaluate`` does, and skipped with a message when it is absent).
Each transform rewrites every note; the audit's output on the rewritten notes is compared
with its output on the originals (not with the gold labels). For each transform it prints how
many notes changed status and how many changed their events (medication, route, dose value
and unit). No note text is printed; ``--json`` writes the note ids that changed.

Transforms (each one a way real exports differ):

- ``upper``: the whole note in capitals (older nursing systems, typed shorthand);
- ``lower``: the whole note in lower case;
- ``typographic``: ASCII apostrophes, quotes and " - " replaced by their word-processor forms
  and some spaces by no-break spaces (notes pasted from Word or HTML);
- ``crlf``: Windows line ends;
- ``dotted``: route abbreviations written with periods (``IM`` -> ``I.M.``, ``SC``/``SQ`` ->
  ``S.C.``);
- ``unwrapped``: every line break and the blanks around it replaced by one space (exports
  that flatten a note into one line).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor import audit  # noqa: E402
from auditor.evaluate import GoldError, load_gold  # noqa: E402

TRANSFORMS: dict[str, Callable[[str], str]] = {
    "upper": str.upper,
    "lower": str.lower,
    "typographic": lambda t: t.replace("'", "\u2019")
    .replace(' "', " \u201c")
    .replace(" - ", " \u2013 ")
    .replace(" ", "\u00a0", 3),
    "crlf": lambda t: t.replace("\n", "\r\n"),
    "dotted": lambda t: re.sub(r"\b(?:SC|SQ)\b", "S.C.", re.sub(r"\bIM\b", "I.M.", t)),
    "unwrapped": lambda t: re.sub(r"[ \t]*\n\s*", " ", t),
}


def gold_notes(split: str) -> list[dict]:
    """Gold rows of ``split`` (synthetic corpora have no split and are always taken)."""
    paths = sorted((ROOT / "corpora" / "gold").glob("*.jsonl"))
    shared = ROOT.parent / "shared" / "gold" / "dev.v2.jsonl"
    paths += [shared] if shared.exists() else []
    rows = load_gold(paths)
    for path in sorted((ROOT / "corpora" / "gold" / "real").glob("*.jsonl")):
        try:
            rows += [r for r in load_gold([path]) if r.get("split") == split]
        except GoldError as exc:
            print(f"skipped {path.name}: {exc}", file=sys.stderr)
    return rows


def findings(ids: list[str], texts: list[str]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``(status by note id, sorted event keys by note id)`` of auditing ``texts``."""
    notes, events = audit(pd.DataFrame({"note_id": ids, "text": texts}), "note_id", "text")
    keys: dict[str, list[str]] = {i: [] for i in ids}
    for row in events.itertuples():
        keys[row.note_id].append(
            f"{row.medication}|{row.route}|{row.dose_value}|{row.dose_unit}".lower()
        )
    return dict(zip(notes["note_id"], notes["status"], strict=True)), {
        k: sorted(v) for k, v in keys.items()
    }


def main() -> None:
    """Print, per transform, the notes whose status or events changed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev", help="real-text split to use (dev/heldout)")
    parser.add_argument("--only", nargs="*", choices=sorted(TRANSFORMS), help="transforms")
    parser.add_argument("--json", type=Path, help="write the changed note ids here")
    args = parser.parse_args()
    rows = gold_notes(args.split)
    ids = [r["note_id"] for r in rows]
    base_status, base_events = findings(ids, [r["text"] for r in rows])
    print(f"{len(rows)} notes ({args.split} split of the real-text gold, all synthetic gold)")
    report = {}
    for name, transform in TRANSFORMS.items():
        if args.only and name not in args.only:
            continue
        status, events = findings(ids, [transform(r["text"]) for r in rows])
        moved = [i for i in ids if status[i] != base_status[i]]
        changed = [i for i in ids if events[i] != base_events[i]]
        same = 1 - len(set(moved) | set(changed)) / len(ids)
        print(
            f"{name:12s} status changed {len(moved):3d}  events changed {len(changed):3d}"
            f"  unchanged notes {same:.3f}"
        )
        report[name] = {"status_changed": moved, "events_changed": changed}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
