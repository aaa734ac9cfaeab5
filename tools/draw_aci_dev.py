"""Draw the ACI-BENCH dev batch ``aci-3`` of the real-text gold (issue 12, helper setting).

Inputs: ``../shared/data`` (or ``AUDITOR_SHARED_DATA``): the ACI-BENCH CSVs; the gold files
``corpora/gold/*.jsonl`` and ``corpora/gold/real/*.jsonl`` as of the draw; the reserved list
``/work/blind3_reserved.txt`` when present (ids the blind batch keeps; never drawn).

Output (stdout, JSON, ids only, no note text):
- ``injection``: the ``aci_injection`` order of ``tools/draw_blind_heldout.py --seed 20261209``
  (one generator shared with the MTSamples and nursing pools drawn before it, as that script
  does); positions 1-5 are the blind batch ``blind-2026-12-06-r3``'s, positions 6-11 this
  batch's.

Run at main aea1112 (batch ``aci-3``): notes already in gold are excluded at draw time, so a
later re-run draws from smaller pools; the record of the batch is its ids in PROVENANCE.md.
- ``trap``: the other ACI-BENCH notes (no injection word, no injectable with a dose) that
  name a setting or a care-elsewhere cue (emergency room, hospital, admitted, urgent care,
  clinic, office, IV, infusion), not in gold and not reserved; sorted, shuffled with
  ``random.Random(20261210)``; the first ``N`` (argument, default 6) are drawn.
"""

from __future__ import annotations

import contextlib
import io
import json
import random
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

import draw_blind_heldout  # noqa: E402
from draw_blind_heldout import (  # noqa: E402
    INJECTABLE_WITH_DOSE,
    INJECTION_WORDS,
    gold_ids,
    gold_texts,
)

from auditor.evaluate import shared_data_dir  # noqa: E402

INJECTION_SEED = 20261209
TRAP_SEED = 20261210
RESERVED = Path("/work/blind3_reserved.txt")
TRAP_WORDS = re.compile(
    r"(?i:\b(?:emergency|ER|hospital\w*|admi(?:t|tted|ssion)|urgent care|clinic|office|"
    r"IV|intravenous\w*|infusion\w*)\b)"
)


def main(n_traps: int = 6) -> None:
    """Print both pools' draws as JSON (ids only)."""
    taken, texts = gold_ids(), gold_texts()
    reserved = set(RESERVED.read_text().split()) if RESERVED.exists() else set()
    traps: list[str] = []
    seen: set[str] = set()
    for csv in sorted((shared_data_dir() / "aci-bench").glob("*.csv")):
        if csv.stem.endswith("_metadata"):
            continue
        table = pd.read_csv(csv)
        for enc, note in zip(table["encounter_id"], table["note"], strict=True):
            nid = f"aci-{csv.stem}-{enc}"
            if nid in taken or note in texts or note in seen:
                continue
            seen.add(note)
            injection_note = INJECTION_WORDS.search(note) or INJECTABLE_WITH_DOSE.search(note)
            if not injection_note and nid not in reserved and TRAP_WORDS.search(note):
                traps.append(nid)
    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        draw_blind_heldout.main(["--seed", str(INJECTION_SEED)])
    injection = json.loads(buffer.getvalue())["aci_injection"]["order"]
    traps.sort()
    random.Random(TRAP_SEED).shuffle(traps)
    out = {
        "injection": {"pool": len(injection), "order": injection, "this_batch": injection[5:11]},
        "trap": {"pool": len(traps), "order": traps[:n_traps]},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 6)
