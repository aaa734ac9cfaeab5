"""Draw the MTSamples setting dev batch ``mtsamples-setting-4`` (issue 12, helper setting).

Inputs: ``../shared/data`` (or ``AUDITOR_SHARED_DATA``): the MTSamples CSV; the gold files
``corpora/gold/*.jsonl`` and ``corpora/gold/real/*.jsonl`` (notes already there, their
duplicate rows and their exact texts are never drawn); files of note ids never to draw
(``--exclude``, repeatable: the blind held-out batch's reserved ids, another helper's draw).

Output (stdout, JSON): per note type the pool size and the drawn note ids in draw order,
with spares. No note text is printed.

Draw: the distinct non-empty transcriptions (first CSV row of each) not in gold and with no
row excluded, whose seeded per-note split (``corpora/gold/real/PROVENANCE.md``:
``sha256("gold-mts/heldout:" + note_id)``) is ``dev``, so that every drawn line is ``dev``.
Setting is decided for every note, so no injection word is required: the notes are typed by
``tools/draw_blind_heldout.py`` ``mts_type`` (specialty, sample name, headings: ED,
discharge, office/SOAP, consult/H&P, operative/procedure, other). One
``random.Random(SEED)`` is used in ``PER_TYPE`` order; each pool is sorted by row number and
shuffled, and the first ``PER_TYPE[type]`` ids are taken. Lines of the batch itself do not
count as gold, so a rerun after the batch was added gives the same draw.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from draw_blind_heldout import mts_type  # noqa: E402
from draw_mts_dev import gold_rows, seeded_split  # noqa: E402

from auditor.evaluate import shared_data_dir  # noqa: E402

SEED = 20261213
BATCH = "mtsamples-setting-4"
PER_TYPE = {"ed": 5, "discharge": 5, "consult": 6, "office": 6, "procedure": 4, "other": 4}
"""Notes taken per note type, in draw order (30 in all)."""


def main(argv: list[str] | None = None) -> None:
    """Print the draw as JSON (ids only)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exclude", type=Path, action="append", default=[])
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    excluded = {
        line.strip()
        for path in args.exclude
        for line in path.read_text().splitlines()
        if line.strip()
    }
    rows_in_gold = gold_rows(BATCH)
    taken = excluded | {r["note_id"] for r in rows_in_gold}
    for row in rows_in_gold:
        taken |= {f"mts-{i}" for i in (row.get("source") or {}).get("duplicate_rows") or []}
    texts = {r["text"] for r in rows_in_gold if "text" in r}
    frame = pd.read_csv(
        shared_data_dir() / "mtsamples" / "mtsamples.csv", index_col=0, keep_default_na=False
    )
    first: dict[str, int] = {}
    rows: dict[str, list[int]] = {}
    for idx, text in frame["transcription"].items():
        if text.strip():
            first.setdefault(text, idx)
            rows.setdefault(text, []).append(idx)
    pools: dict[str, list[int]] = {kind: [] for kind in PER_TYPE}
    for text, idx in first.items():
        if text in texts or any(f"mts-{i}" in taken for i in rows[text]):
            continue
        if seeded_split(f"mts-{idx}") != "dev":
            continue
        spec = frame.at[idx, "medical_specialty"].strip()
        pools[mts_type(spec, frame.at[idx, "sample_name"].strip(), text)].append(idx)
    rng = random.Random(args.seed)
    out = {}
    for kind, n in PER_TYPE.items():
        pool = sorted(pools[kind])
        rng.shuffle(pool)
        out[kind] = {
            "pool": len(pool),
            "drawn": [f"mts-{i}" for i in pool[:n]],
            "spares": [f"mts-{i}" for i in pool[n : n + 5]],
        }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
