"""Draw a blind held-out batch of the real-text gold (issue 12), ids only.

Batches drawn with it (``corpora/gold/real/PROVENANCE.md``):
- ``blind-2026-12-06``: ``--seed 20261208`` (the default), run at main 78cdcc4;
- ``blind-2026-12-06-r3``: ``--seed 20261209``, run at main aea1112 (the draw is kept in
  ``/work/blind3_draw.json`` for the session; the first 5 of each MTSamples pool, 20 nursing
  records and 5 ACI-BENCH notes were labelled);
- ``blind-2026-12-06-r4``: ``--seed 20261211``, run by the coordinator at main 93ed704
  (``AUDITOR_SHARED_DATA=/work/shared/data``; kept in ``/work/blind4_draw.json`` for the session;
  pools ed 1, office 20, consult 62, discharge 7, procedure 635, trap 1256, nursing 1030, ACI-BENCH
  injection 0). Taken in draw order: MTSamples ed 1, office 5, consult 5, discharge 3,
  procedure 5, trap 5 (24), the first 20 nursing records; no replacement. The ACI-BENCH injection
  pool being empty, the 5 ACI-BENCH notes come from a fallback draw outside this tool:
  ``random.Random(20261211).sample(sorted(ACI-BENCH note ids not in gold), 8)`` (ids
  ``aci-<file stem>-<encounter_id>``), the first 5 taken, the other 3 kept as spares;
- ``blind-2026-12-06-r5``: ``--seed 20261221``, run by the coordinator at main 2f91666
  (``AUDITOR_SHARED_DATA=/work/shared/data``; kept in ``/work/blind5_draw.json`` for the session
  and re-run by helper blind on an export of 2f91666 with the same ids; pools ed 0, office 9,
  consult 49, discharge 4, procedure 621, trap 1219, nursing 985, ACI-BENCH injection 0). Taken
  in draw order: MTSamples office 4, consult 5, discharge 2, procedure 5, trap 5 (21), the first
  20 nursing records; no replacement. ACI-BENCH fallback outside this tool:
  ``random.Random(20261221).sample(sorted(ACI-BENCH note ids not in gold and not duplicating a
  gold text), 8)`` (pool 151), the first 5 taken, the other 3 kept as spares. Labels committed
  at 6889d5f before any tool run.
- ``blind-2026-12-06-r6``: ``--seed 20261231``, run by helper blind at main c593130
  (``AUDITOR_SHARED_DATA=/work/shared/data``; pools ed 0, office 5, consult 34, discharge 2,
  procedure 602, trap 1183, nursing 940, ACI-BENCH injection 0). Taken in draw order: MTSamples
  office 4, consult 5, discharge 2, procedure 5, trap 5 (21), the first 20 nursing records; no
  replacement. ACI-BENCH fallback outside this tool, the r5 rule with ``random.Random(20261231)``
  (pool 146), the first 5 taken, the other 3 kept as spares. Labels committed at 5a9fe93 before
  any tool run.
- ``blind-2026-12-06-r7``: ``--seed 20270107``, run by the coordinator at main 4b3d15a
  (``AUDITOR_SHARED_DATA=/work/shared/data``; kept in ``/work/blind7_draw.json`` for the session;
  pools ed 0, office 1, consult 29, discharge 0, procedure 597, trap 1178, nursing 920, ACI-BENCH
  injection 0). Taken in draw order: MTSamples office 1 (the whole pool), consult 7, procedure 7,
  trap 6 (21), the first 20 nursing records; no replacement. ACI-BENCH fallback outside this tool,
  the r5 rule with ``random.Random(20270107)`` (pool 141), the first 5 taken, the other 3 kept as
  spares. Labels committed at bb9d67b before any tool run.

Notes already in a gold file are excluded at draw time, so re-running the tool after a
batch was labelled gives a different draw (its notes are gone from the pools, and the
shuffles run over smaller pools): the record of a batch is the ids in PROVENANCE.md, not a
re-run. To reproduce one, run at the commit named above.

Usage: ``python tools/draw_blind_heldout.py [--seed N] > draw.json``.

Inputs: ``../shared/data`` (or ``AUDITOR_SHARED_DATA``): MTSamples CSV, PhysioNet deid nursing
``id.text``, ACI-BENCH CSVs; the gold files ``corpora/gold/*.jsonl`` and
``corpora/gold/real/*.jsonl`` (notes already there are never drawn).

Output (stdout, JSON): per pool its size and the drawn note ids, in draw order, with spares
(the next ids of each shuffled pool) to replace notes that another helper labels first.
No note text is printed. Draw: one ``random.Random(seed)`` used in this order: the five
MTSamples injection strata (ED, office/SOAP, consult/H&P, discharge, operative/procedure),
the MTSamples trap pool, the nursing pool, the ACI-BENCH injection pool; each pool is sorted by
note id, then shuffled. Pool definitions are the regular expressions below.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from auditor.evaluate import read_deid_records, shared_data_dir  # noqa: E402

SEED = 20261208
INJECTABLES = (
    r"insulin|heparin|lovenox|enoxaparin|toradol|ketorolac|rocephin|ceftriaxone|morphine|"
    r"demerol|meperidine|dilaudid|hydromorphone|phenergan|promethazine|zofran|ondansetron|"
    r"kenalog|triamcinolone|depo-?medrol|solu-?medrol|methylprednisolone|decadron|"
    r"dexamethasone|b12|cyanocobalamin|lasix|furosemide|haldol|haloperidol|ativan|lorazepam|"
    r"epinephrine|narcan|naloxone|vit(?:amin)? ?k|penicillin|bicillin|depo-?provera|"
    r"lopressor|hydralazine|benadryl|diphenhydramine|fentanyl|versed|midazolam"
)
DOSE = r"\d+(?:\.\d+)?\s*(?:mg|mcg|units?|u|meq|gm?|cc|ml)\b"
INJECTION_WORDS = re.compile(
    r"\b(?:IM|SC|SQ)\b|(?i:\b(?:subcut\w*|sub-?q|intramuscular\w*|inject\w*|shots?|"
    r"vaccin\w*|immuniz\w*)\b)"
)
INJECTABLE_WITH_DOSE = re.compile(
    rf"(?i:\b(?:{INJECTABLES})\b[^.\n]{{0,40}}?{DOSE}|{DOSE}[^.\n]{{0,20}}?\b(?:{INJECTABLES})\b)"
)
NURSING_POOL = re.compile(rf"(?i:{DOSE}|\b(?:{INJECTABLES}|mso4|reg|nph)\b)")


def mts_type(specialty: str, name: str, text: str) -> str:
    """Note type of an MTSamples row from its specialty, sample name and headings."""
    if specialty == "Emergency Room Reports" or re.search(r"\bER\b|Emergency", name):
        return "ed"
    if specialty == "Discharge Summary" or re.search(r"Discharge", name):
        return "discharge"
    if specialty in ("SOAP / Chart / Progress Notes", "Office Notes") or re.search(
        r"Progress|Office|Follow|SOAP|Clinic|Visit", name
    ):
        return "office"
    if specialty == "Consult - History and Phy." or re.search(
        r"Consult|H&P|History|Evaluation|Physical", name
    ):
        return "consult"
    if re.search(r"PROCEDURES? PERFORMED|OPERATION|OPERATIVE|PROCEDURE:", text):
        return "procedure"
    return "other"


def gold_ids() -> set[str]:
    """Every note id (and MTSamples duplicate row id) already in a gold file."""
    ids: set[str] = set()
    files = [*(ROOT / "corpora" / "gold").glob("*.jsonl")]
    files += [*(ROOT / "corpora" / "gold" / "real").glob("*.jsonl")]
    for path in files:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            row = json.loads(line)
            ids.add(row["note_id"])
            for dup in (row.get("source") or {}).get("duplicate_rows") or []:
                ids.add(f"mts-{dup}")
    return ids


def gold_texts() -> set[str]:
    """Texts of every gold line that stores one."""
    texts = set()
    for path in (ROOT / "corpora" / "gold").rglob("*.jsonl"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip() and "text" in (row := json.loads(line)):
                texts.add(row["text"])
    return texts


def first_rows(frame: pd.DataFrame) -> tuple[dict[str, int], dict[str, list[int]]]:
    """Each distinct non-empty transcription of the MTSamples ``frame`` -> the index of its
    first row, and -> the indices of all its rows (the CSV repeats some reports under several
    specialties), both in row order."""
    first: dict[str, int] = {}
    rows: dict[str, list[int]] = {}
    for idx, text in frame["transcription"].items():
        if text.strip():
            first.setdefault(text, idx)
            rows.setdefault(text, []).append(idx)
    return first, rows


def seeded_draw(
    pools: dict[str, list[int]], per_kind: dict[str, int], rng: random.Random
) -> dict[str, dict]:
    """Per kind, in ``per_kind`` order: its pool (row indices) sorted and shuffled by ``rng``,
    then ``{"pool": size, "drawn": the first n ids, "spares": the next 5}`` (ids ``mts-<row>``).
    One ``rng`` serves every kind, so the order of ``per_kind`` is part of the draw."""
    out: dict[str, dict] = {}
    for kind, n in per_kind.items():
        pool = sorted(pools[kind])
        rng.shuffle(pool)
        out[kind] = {
            "pool": len(pool),
            "drawn": [f"mts-{i}" for i in pool[:n]],
            "spares": [f"mts-{i}" for i in pool[n : n + 5]],
        }
    return out


def main(argv: list[str] | None = None) -> None:
    """Print the draw as JSON (ids only).

    Args:
        argv: command-line arguments (``--seed N``, default ``SEED``, the seed of the first
            blind batch); ``None`` reads ``sys.argv``.
    """
    parser = argparse.ArgumentParser(description="Draw a blind held-out batch (ids only).")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    taken, texts = gold_ids(), gold_texts()
    data = shared_data_dir()
    out: dict[str, dict] = {}

    frame = pd.read_csv(data / "mtsamples" / "mtsamples.csv", index_col=0, keep_default_na=False)
    first, rows = first_rows(frame)
    strata: dict[str, list[str]] = {}
    traps: list[str] = []
    for text, idx in first.items():
        if text in texts or any(f"mts-{i}" in taken for i in rows[text]):
            continue
        nid = f"mts-{idx}"
        spec = frame.at[idx, "medical_specialty"].strip()
        kind = mts_type(spec, frame.at[idx, "sample_name"].strip(), text)
        if INJECTION_WORDS.search(text) or INJECTABLE_WITH_DOSE.search(text):
            strata.setdefault(kind, []).append(nid)
        else:
            traps.append(nid)
    key = lambda nid: int(nid.split("-")[1])  # noqa: E731
    for kind in ("ed", "office", "consult", "discharge", "procedure"):
        pool = sorted(strata.get(kind, []), key=key)
        rng.shuffle(pool)
        out[f"mtsamples_{kind}"] = {"pool": len(pool), "order": pool[:12]}
    pool = sorted(traps, key=key)
    rng.shuffle(pool)
    out["mtsamples_trap"] = {"pool": len(pool), "order": pool[:10]}

    records = read_deid_records(data / "physionet-deid-nursing" / "id.text")
    nkey = lambda k: tuple(int(p) for p in k.split("||||"))  # noqa: E731
    pool = sorted(
        (k for k, t in records.items() if NURSING_POOL.search(t)),
        key=nkey,
    )
    pool = [k for k in pool if "nurs-" + k.replace("||||", "-") not in taken]
    rng.shuffle(pool)
    out["nursing"] = {"pool": len(pool), "order": pool[:30]}

    aci = []
    seen: set[str] = set()
    for csv in sorted((data / "aci-bench").glob("*.csv")):
        if csv.stem.endswith("_metadata"):
            continue
        table = pd.read_csv(csv)
        for enc, note in zip(table["encounter_id"], table["note"], strict=True):
            nid = f"aci-{csv.stem}-{enc}"
            if nid in taken or note in texts or note in seen:
                continue
            seen.add(note)
            if INJECTION_WORDS.search(note) or INJECTABLE_WITH_DOSE.search(note):
                aci.append(nid)
    aci.sort()
    rng.shuffle(aci)
    out["aci_injection"] = {"pool": len(aci), "order": aci}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
