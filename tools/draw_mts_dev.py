"""Draw an MTSamples dev gold batch by note type (issue 12, helper procedures, 2026-12-06).

Defaults reproduce batch ``mtsamples-3`` (seed 20261210, reserved ids
``/work/blind3_reserved.txt``, ``PER_TYPE``). Batch ``mtsamples-4`` was drawn with
``python tools/draw_mts_dev.py --seed 20261212 --batch mtsamples-4 --reserved
/work/blind4_reserved.txt --per-type
ed=0,office=6,consult=8,discharge=0,procedure=8,other=3,trap=5`` at main 93ed704 (pool sizes and
ids in ``corpora/gold/real/PROVENANCE.md``). Batch ``mtsamples-8`` was drawn with ``python
tools/draw_mts_dev.py --seed 20270121 --batch mtsamples-8 --reserved
/work/s10/reserved_for_draw.txt --per-type procedure=12,other=8,trap=5`` at main 9c392c4 (the
reserved file is ``/work/blind7_reserved.txt`` plus ``/work/reserved_all.txt``; the ED, office,
consult and discharge dev pools were empty). Batch ``mtsamples-9`` was drawn with ``python
tools/draw_mts_dev.py --seed 20270131 --batch mtsamples-9 --reserved
/work/s10/reserved_for_draw.txt --per-type procedure=14,other=6,trap=5`` at main c61a578 (the
same reserved file; the same four pools empty). Batch ``mtsamples-10`` was drawn with ``python
tools/draw_mts_dev.py --seed 20270141 --batch mtsamples-10 --reserved
/work/s10/reserved_for_draw.txt --per-type procedure=14,other=6,trap=5`` at main 2f9451c (the
same reserved file; the same four pools empty). Batch ``mtsamples-11`` was drawn with ``python
tools/draw_mts_dev.py --seed 20270151 --batch mtsamples-11 --reserved
/work/s10/reserved_for_draw.txt --per-type procedure=14,other=6,trap=5`` at main 139f31b (the
same reserved file; the same four pools empty). Batch ``mtsamples-12`` was drawn with ``python
tools/draw_mts_dev.py --seed 20270161 --batch mtsamples-12 --reserved
/work/s10/reserved_for_draw.txt --per-type procedure=14,other=6,trap=5`` at main c486ae3 (the
same reserved file; the same four pools empty).

Inputs: ``../shared/data`` (or ``AUDITOR_SHARED_DATA``): the MTSamples CSV; the gold files
``corpora/gold/*.jsonl`` and ``corpora/gold/real/*.jsonl`` (notes already there, their
duplicate rows and their exact texts are never drawn); a file of reserved note ids
(``--reserved``, default ``/work/blind3_reserved.txt``: the blind held-out batch's ids and
spares, never drawn and never opened).

Output (stdout, JSON): per pool its size and the drawn note ids in draw order, with spares.
No note text is printed.

Draw: the distinct non-empty transcriptions (first CSV row of each) not in gold and with no
row reserved, whose seeded per-note split (``corpora/gold/real/PROVENANCE.md``:
``sha256("gold-mts/heldout:" + note_id)``) is ``dev``, so that every drawn line is ``dev``
and the file's split rule holds. Pools and note types are those of
``tools/draw_blind_heldout.py`` (``INJECTION_WORDS``, ``INJECTABLE_WITH_DOSE``,
``mts_type``): the injection pool per type ED, office/SOAP, consult/H&P, discharge,
operative/procedure, other, and the trap pool (none of those words). One
``random.Random(seed)`` (``--seed``, default 20261210) is used in that order; each pool is
sorted by row number and shuffled, and the first ``PER_TYPE[type]`` ids are taken
(``--per-type``). Lines of the batch itself (``--batch``, default ``mtsamples-3``) do not count
as gold, so a rerun gives the same draw.

Errors: a ``--per-type`` item that is not ``type=N`` with a known type stops with a usage error
(exit 2).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from draw_blind_heldout import (  # noqa: E402
    INJECTABLE_WITH_DOSE,
    INJECTION_WORDS,
    first_rows,
    mts_type,
    seeded_draw,
)

from auditor.evaluate import shared_data_dir  # noqa: E402

SEED = 20261210
BATCH = "mtsamples-3"
"""Gold lines of this batch are not "already gold" for the draw, so that rerunning the tool
after the batch was added gives the same notes."""
PER_TYPE = {
    "ed": 5,
    "office": 7,
    "consult": 8,
    "discharge": 5,
    "procedure": 8,
    "other": 2,
    "trap": 5,
}
"""Notes taken per pool, in draw order. The dev-split ED and discharge pools were empty at
the draw (every such note was already gold or reserved), so 30 notes were drawn in all."""


def seeded_split(note_id: str) -> str:
    """The per-note split of ``mtsamples.jsonl`` (``dev`` or ``heldout``)."""
    digest = hashlib.sha256(f"gold-mts/heldout:{note_id}".encode()).hexdigest()
    return "heldout" if int(digest[:8], 16) / 2**32 < 0.25 else "dev"


def gold_rows(batch: str = BATCH) -> list[dict]:
    """Every gold line (older and real-text files) except those of ``batch``."""
    rows = []
    for path in sorted((ROOT / "corpora" / "gold").rglob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and (row := json.loads(line)).get("batch") != batch:
                rows.append(row)
    return rows


def unlabelled_dev_rows(
    frame: pd.DataFrame, batch: str, reserved: frozenset[str] | set[str] = frozenset()
) -> list[tuple[int, str]]:
    """``(row index, transcription)`` of each distinct non-empty transcription of the MTSamples
    ``frame`` (first row of each) that may be drawn: none of its rows is gold (``gold_rows``
    other than ``batch``, with their ``duplicate_rows``) or ``reserved``, its text is in no gold
    line, and its seeded split (``seeded_split``) is ``dev``. In row order."""
    rows_in_gold = gold_rows(batch)
    taken = set(reserved) | {r["note_id"] for r in rows_in_gold}
    taken |= {
        f"mts-{i}"
        for r in rows_in_gold
        for i in (r.get("source") or {}).get("duplicate_rows") or []
    }
    texts = {r["text"] for r in rows_in_gold if "text" in r}
    first, rows = first_rows(frame)
    return [
        (idx, text)
        for text, idx in first.items()
        if text not in texts
        and not any(f"mts-{i}" in taken for i in rows[text])
        and seeded_split(f"mts-{idx}") == "dev"
    ]


def main(argv: list[str] | None = None) -> None:
    """Print the draw as JSON (ids only)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reserved", type=Path, default=Path("/work/blind3_reserved.txt"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--batch", default=BATCH)
    parser.add_argument(
        "--per-type",
        default=",".join(f"{k}={v}" for k, v in PER_TYPE.items()),
        help="notes per pool, e.g. ed=5,office=7,...,trap=5 (pools not named: 0)",
    )
    args = parser.parse_args(argv)
    per_type: dict[str, int] = {kind: 0 for kind in PER_TYPE}
    for item in args.per_type.split(","):
        kind, _, n = item.partition("=")
        if kind.strip() not in per_type or not n.strip().isdigit():
            parser.error(f"--per-type: expected type=N with type in {sorted(per_type)}")
        per_type[kind.strip()] = int(n)
    reserved = {line.strip() for line in args.reserved.read_text().splitlines() if line.strip()}
    rng = random.Random(args.seed)
    frame = pd.read_csv(
        shared_data_dir() / "mtsamples" / "mtsamples.csv", index_col=0, keep_default_na=False
    )
    pools: dict[str, list[int]] = {kind: [] for kind in PER_TYPE}
    for idx, text in unlabelled_dev_rows(frame, args.batch, reserved):
        spec = frame.at[idx, "medical_specialty"].strip()
        kind = mts_type(spec, frame.at[idx, "sample_name"].strip(), text)
        if INJECTION_WORDS.search(text) or INJECTABLE_WITH_DOSE.search(text):
            if kind in pools:
                pools[kind].append(idx)
        else:
            pools["trap"].append(idx)
    out = seeded_draw(pools, per_type, rng)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
