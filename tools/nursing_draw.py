"""Draw a batch of PhysioNet deid nursing records for new real-text gold (record keys only).

Usage: ``python tools/nursing_draw.py [N] [SEED] [--exclude FILE ...]`` (default 25,
20261206). Prints the record keys (``<patient>||||<note>``) drawn, in draw order; never any
note text.

The pool: every record of ``$AUDITOR_SHARED_DATA/physionet-deid-nursing/id.text`` (default
``../shared/data``) whose note id is not yet in ``corpora/gold/real/nursing.jsonl``, is not
listed in any ``--exclude`` file (one note id ``nurs-<patient>-<note>`` a line; other lines,
such as MTSamples or ACI-bench ids, blank lines and ``#`` comments, are ignored; used for the
ids reserved for a blind held-out batch, whose texts are never opened) and that mentions an
injectable drug (``INJECTABLE``) or a dose with a unit within ``NEAR`` characters of a
given-word (``GIVEN``). The pool is sorted by note id and ``random.Random(SEED).sample``
draws from it. Without ``--exclude`` the draw is the one used for nursing batch 2 (helper
nursing, 2026-12-06); batch 3 used ``25 20261210 --exclude /work/blind3_reserved.txt``
(PROVENANCE.md), batch 4 ``25 20261212 --exclude /work/blind4_reserved.txt``, batch 5
``25 20261222 --exclude /work/reserved_all.txt``, batch 7 ``25 20270110 --exclude
/work/blind7_reserved.txt``, batch 8 ``25 20270120 --exclude /work/blind7_reserved.txt
--exclude /work/reserved_all.txt`` (at main 9c392c4, pool 708), batch 9 ``25 20270130
--exclude /work/blind7_reserved.txt --exclude /work/reserved_all.txt`` (at main c61a578,
pool 683), batch 10 ``25 20270140 --exclude /work/blind7_reserved.txt --exclude
/work/reserved_all.txt`` (at main 2f9451c, pool 658), batch 11 ``25 20270150 --exclude
/work/blind7_reserved.txt --exclude /work/reserved_all.txt`` (at main 139f31b, pool 633) and batch
12 ``25 20270152 --exclude /work/blind7_reserved.txt --exclude /work/reserved_all.txt --exclude
/work/s13/draws/nursing-11.txt`` (at main ab36ebc, pool 608; the third file is batch 11's
draw), batch 13 ``25 20270160 --exclude /work/blind7_reserved.txt --exclude
/work/reserved_all.txt`` (at main c486ae3, pool 583) and batch 14 ``25 20270162 --exclude
/work/blind7_reserved.txt --exclude /work/reserved_all.txt --exclude
/work/s14/draws/nursing-13.txt`` (at main c486ae3, pool 558; the third file is batch 13's draw);
batch 15 ``25 20270170`` (at main 1e52b0b, pool 541; the reserved-id files no longer existed)
and batch 16 ``25 20270172 --exclude /work/s15/draws/nursing-15.txt`` (at main 1e52b0b, pool
516; the exclude file is batch 15's draw); batch 19 ``25 20270184 --exclude
/work/s15/draws/nursing-17.ids --exclude /work/s15/draws/nursing-18.ids`` (at main f9755f9,
pool 441; the exclude files list batches 17's and 18's ids).
"""

from __future__ import annotations

import argparse
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


def excluded_ids(paths: list[Path]) -> set[str]:
    """Nursing note ids listed in ``paths``.

    Input: text files, one id a line: a note id ``nurs-<patient>-<note>`` or a record key
    ``<patient>||||<note>`` (as ``/work/blind4_reserved.txt`` lists the nursing records; until
    2026-12-06 record-key lines were skipped, so batch 4's first draw took two reserved
    records, PROVENANCE.md). Output: the set of note ids ``nurs-...`` (stripped); other ids,
    blank lines and ``#`` comments are ignored. Raises ``FileNotFoundError`` when a file is
    absent (a reserved list must never be skipped silently).
    """
    ids: set[str] = set()
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line.startswith("nurs-"):
                ids.add(line)
            elif "||||" in line and not line.startswith("#"):
                ids.add("nurs-" + line.replace("||||", "-"))
    return ids


def main(argv: list[str] | None = None) -> None:
    """Print the drawn record keys (stdout) and the pool size (stderr)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", nargs="?", type=int, default=25)
    parser.add_argument("seed", nargs="?", type=int, default=20261206)
    parser.add_argument("--exclude", action="append", type=Path, default=[], metavar="FILE")
    args = parser.parse_args(argv)
    records = read_deid_records(shared_data_dir() / "physionet-deid-nursing" / "id.text")
    done = {
        json.loads(line)["note_id"]
        for line in (ROOT / "corpora/gold/real/nursing.jsonl").read_text().splitlines()
        if line.strip()
    }
    done |= excluded_ids(args.exclude)
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
    for _, key in random.Random(args.seed).sample(pool, args.n):
        print(key)
    print(f"# pool {len(pool)} records", file=sys.stderr)


if __name__ == "__main__":
    main()
