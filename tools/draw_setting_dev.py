"""Draw an MTSamples setting dev batch (``mtsamples-setting-4``/``-5``/``-7``; issue 12).

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
discharge, office/SOAP, consult/H&P, operative/procedure, other; for batches 5 and 7 also letters:
specialty "Letters" or a sample name with "Letter", typed before the others). One
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

from draw_blind_heldout import mts_type, seeded_draw  # noqa: E402
from draw_mts_dev import unlabelled_dev_rows  # noqa: E402

from auditor.evaluate import shared_data_dir  # noqa: E402

# weighted to where setting is hardest: consults/H&Ps, discharge summaries, procedure notes
# done in an office or a hospital, letters (helper setting, fifth round; again in the seventh)
MIX_5 = {
    "letter": 3,
    "consult": 8,
    "discharge": 6,
    "procedure": 6,
    "office": 3,
    "ed": 2,
    "other": 2,
}

BATCHES = {
    "mtsamples-setting-4": (
        20261213,
        {"ed": 5, "discharge": 5, "consult": 6, "office": 6, "procedure": 4, "other": 4},
    ),
    "mtsamples-setting-5": (20261223, MIX_5),
    # the batch-5 mix again, seventh round (setting still generalises worst)
    "mtsamples-setting-7": (20270109, MIX_5),
}
"""Per batch: the seed and the notes taken per note type, in draw order (30 in all)."""
BATCH = "mtsamples-setting-4"
SEED, PER_TYPE = BATCHES[BATCH]


def note_type(specialty: str, name: str, text: str, letters: bool) -> str:
    """``mts_type``, with letters typed first when ``letters`` (batches 5 and 7)."""
    if letters and (specialty == "Letters" or "Letter" in name):
        return "letter"
    return mts_type(specialty, name, text)


def main(argv: list[str] | None = None) -> None:
    """Print the draw as JSON (ids only)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--exclude", type=Path, action="append", default=[])
    parser.add_argument("--batch", choices=sorted(BATCHES), default=BATCH)
    parser.add_argument("--seed", type=int, default=None, help="default: the batch's seed")
    args = parser.parse_args(argv)
    seed, per_type = BATCHES[args.batch]
    seed = seed if args.seed is None else args.seed
    excluded = {
        line.strip()
        for path in args.exclude
        for line in path.read_text().splitlines()
        if line.strip()
    }
    frame = pd.read_csv(
        shared_data_dir() / "mtsamples" / "mtsamples.csv", index_col=0, keep_default_na=False
    )
    pools: dict[str, list[int]] = {kind: [] for kind in per_type}
    for idx, text in unlabelled_dev_rows(frame, args.batch, excluded):
        spec = frame.at[idx, "medical_specialty"].strip()
        kind = note_type(spec, frame.at[idx, "sample_name"].strip(), text, "letter" in per_type)
        pools[kind].append(idx)
    out = seeded_draw(pools, per_type, random.Random(seed))
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
