"""Draw a targeted MTSamples dev gold batch from the auditor's own misses (issue 12, helper mts15).

The random dev draws (``tools/draw_mts_dev.py``) have scored 1.000 for several rounds while the
MTSamples heldout lines still show two gaps: events missed in notes whose events are not
eligible (IV drugs, sedation, antibiotics given around a procedure), and planned, recommended or
declined injections that raise no ``not_administered``. This tool selects the unlabelled dev
notes where the auditor at a given commit may show those kinds, by a fixed rule over its own
audit of the whole CSV, and draws a seeded sample of them.

Batch ``mtsamples-15b`` was drawn with ``python tools/draw_mts_targeted.py --notes
/tmp/mts15/mbase/notes.jsonl --seed 20270195 --batch mtsamples-15b --per-kind missed=16,planned=6``
where ``notes.jsonl`` is ``auditor audit`` of the MTSamples CSV at main 5a40946 with the note id
``mts-<row>`` (a two-column copy: ``note_id``, ``text``).

Inputs: ``../shared/data`` (or ``AUDITOR_SHARED_DATA``): the MTSamples CSV; the gold files (as
``tools/draw_mts_dev.py``: ids, duplicate rows and texts already gold are never drawn; lines of
``--batch`` itself do not count, so a rerun gives the same draw); ``--notes``: the audit's
``notes.jsonl``; the drug lexicon ``patterns/lexicons/drugs.yaml`` of the checkout.

Selection (distinct transcriptions, first row of each, seeded per-note split ``dev``), among
notes the audit reports ``no_injection`` without ``not_administered``:
- ``planned``: a sentence (split at ``.`` + space, ``.,`` or a line break) holds a plan, offer
  or refusal word (``PLAN_WORDS``) and an injection word (``INJECTION_WORDS``) or a lexicon drug
  name whose label routes include IM or SC;
- ``missed``: not ``planned``, and a sentence holds an administration word (``ADMIN_WORDS``)
  and a lexicon drug name that is not a local anaesthetic or oral-only, or an unnamed class
  (``CLASS_WORDS``) after ``IV``/``intravenous``.
One ``random.Random(seed)``; each pool is sorted by row number and shuffled, ``missed`` first,
and the first ``--per-kind`` ids are taken.

Output (stdout, JSON): per kind its pool size, the drawn ids in draw order and 5 spares. No note
text is printed.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from draw_blind_heldout import seeded_draw  # noqa: E402
from draw_mts_dev import unlabelled_dev_rows  # noqa: E402

from auditor.evaluate import shared_data_dir  # noqa: E402

ADMIN_WORDS = re.compile(
    r"(?i)\b(?:given|gave|administered|received|receiving|injected|infused|pushed|bolus(?:ed)?|"
    r"premedicated|sedated|treated with|dose of)\b"
)
CLASS_WORDS = re.compile(
    r"(?i)\b(?:iv|intravenous(?:ly)?)\s+(?:\w+\s+){0,2}?(?:antibiotics?|sedation|steroids?|"
    r"diuretics?|narcotics?|pain medications?|fluids and antibiotics)\b"
)
PLAN_WORDS = re.compile(
    r"(?i)\b(?:will (?:give|be given|receive|start|begin|administer|get|need)|plan(?:s|ned)? to|"
    r"recommend(?:ed|s)?|consider(?:ed|ing)?|declined?|refused?|deferred|offered|hold|held|"
    r"discontinued?|scheduled|return (?:for|in)|would like)\b"
)
INJECTION_WORDS = re.compile(
    r"\b(?:IM|SC|SQ)\b|(?i:\b(?:subcut\w*|sub-?q|intramuscular\w*|injections?|shots?|"
    r"vaccin\w*|immuniz\w*)\b)"
)
SENTENCE = re.compile(r"(?<=\.)\s+|\n+|\.,")
PER_KIND = {"missed": 16, "planned": 6}


def lexicon_patterns(path: Path) -> tuple[re.Pattern, re.Pattern]:
    """Two patterns of lexicon drug names: injectables that are not local anaesthetics or
    oral-only, and those whose label routes include IM or SC."""
    drugs = yaml.safe_load(path.read_text(encoding="utf-8"))["drugs"]
    inj, imsc = set(), set()
    for d in drugs:
        if d.get("role") in ("local_anesthetic", "oral"):
            continue
        names = {n.lower() for n in d.get("names", []) if len(n) > 2}
        inj |= names
        if {"IM", "SC"} & set(d.get("label_routes") or ()):
            imsc |= names

    def alt(names: set[str]) -> re.Pattern:
        body = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
        return re.compile(rf"(?i)(?<![\w-])(?:{body})(?![\w-])")

    return alt(inj), alt(imsc)


def kind_of(text: str, inj: re.Pattern, imsc: re.Pattern) -> str | None:
    """``missed``, ``planned`` or None for one transcription (see the module docstring)."""
    sentences = [s for s in SENTENCE.split(text) if s.strip()]
    if any(
        PLAN_WORDS.search(s) and (INJECTION_WORDS.search(s) or imsc.search(s)) for s in sentences
    ):
        return "planned"
    if any(ADMIN_WORDS.search(s) and (inj.search(s) or CLASS_WORDS.search(s)) for s in sentences):
        return "missed"
    return None


def main(argv: list[str] | None = None) -> None:
    """Print the draw as JSON (ids only)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=Path, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--batch", required=True)
    parser.add_argument("--per-kind", default=",".join(f"{k}={v}" for k, v in PER_KIND.items()))
    args = parser.parse_args(argv)
    per_kind = dict(PER_KIND)
    for item in args.per_kind.split(","):
        kind, _, n = item.partition("=")
        if kind.strip() not in per_kind or not n.strip().isdigit():
            parser.error(f"--per-kind: expected kind=N with kind in {sorted(per_kind)}")
        per_kind[kind.strip()] = int(n)
    audited = {}
    for line in args.notes.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            audited[row["note_id"]] = row
    inj, imsc = lexicon_patterns(ROOT / "patterns" / "lexicons" / "drugs.yaml")
    frame = pd.read_csv(
        shared_data_dir() / "mtsamples" / "mtsamples.csv", index_col=0, keep_default_na=False
    )
    pools: dict[str, list[int]] = {kind: [] for kind in per_kind}
    for idx, text in unlabelled_dev_rows(frame, args.batch):
        note = audited.get(f"mts-{idx}")
        if not note or note["status"] != "no_injection" or "not_administered" in note["flags"]:
            continue
        kind = kind_of(text, inj, imsc)
        if kind:
            pools[kind].append(idx)
    rng = random.Random(args.seed)
    out = seeded_draw(pools, per_kind, rng)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
