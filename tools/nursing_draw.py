"""Draw a batch of PhysioNet deid nursing records for new real-text gold (record keys only).

Usage: ``python tools/nursing_draw.py [N] [SEED]`` (default 25, 20261206). Prints the record
keys (``<patient>||||<note>``) drawn, in draw order; never any note text.

The pool: every record of ``$AUDITOR_SHARED_DATA/physionet-deid-nursing/id.text`` (default
``../shared/data``) whose note id is not yet in ``corpora/gold/real/nursing.jsonl`` and that
mentions an injectable drug (``INJECTABLE``) or a dose with a unit within ``NEAR`` characters
of a given-word (``GIVEN``). The pool is sorted by note id and ``random.Random(SEED).sample``
draws from it. Used for nursing batch 2 (helper nursing, 2026-12-06; PROVENANCE.md).
"""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

from auditor.evaluate import read_deid_records, shared_data_dir

ROOT = Path(__file__).resolve().parents[1]
INJECTABLE = (
    "insulin|lasix|morphine|mso4|ativan|haldol|heparin|lovenox|vit k|vitamin k|dilaudid|"
    "lopressor|hydralazine|reg insulin|nph|kcl|magnesium|mgso4|calcium|lorazepam|haloperidol|"
    "furosemide|enoxaparin|fentanyl|versed|narcan|benadryl|zofran|reglan|solumedrol|"
    "vancomycin|ceftriaxone|epogen|procrit|neupogen|gcsf|octreotide|demerol|toradol|compazine"
)
GIVEN = r"given|gave|rec'?d|received|recieved|covered|cvd|treated|tx|medicated|repleted|required"
UNIT = r"\d+(?:\.\d+)?\s*(?:mg|mcg|u|units?|meq|gm?|cc|ml)\b"
NEAR = 60


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 25
    seed = int(sys.argv[2]) if len(sys.argv) > 2 else 20261206
    records = read_deid_records(shared_data_dir() / "physionet-deid-nursing" / "id.text")
    done = {
        json.loads(line)["note_id"]
        for line in (ROOT / "corpora/gold/real/nursing.jsonl").read_text().splitlines()
        if line.strip()
    }
    drug = re.compile(rf"\b(?:{INJECTABLE})\b", re.I)
    near = re.compile(
        rf"(?:{GIVEN})\W+(?:\w+\W+){{0,6}}?{UNIT}|{UNIT}(?:\W+\w+){{0,6}}?\W+(?:{GIVEN})", re.I
    )
    pool = []
    for key, text in records.items():
        note_id = "nurs-" + key.replace("||||", "-")
        if note_id in done:
            continue
        if drug.search(text) or any(len(x.group(0)) <= NEAR for x in near.finditer(text)):
            pool.append((note_id, key))
    pool.sort()
    for _, key in random.Random(seed).sample(pool, n):
        print(key)
    print(f"# pool {len(pool)} records", file=sys.stderr)


if __name__ == "__main__":
    main()
