"""Time of one long note of an awkward shape through the whole audit (issue 12). Not part of
the tests.

Run from the repository root with the project's virtual environment::

    .venv/bin/python benchmarks/long_notes.py [--kb 20] [--shapes drug-words tab-lines ...]

Each shape is a generated note of ``--kb`` kB (no real text) audited with ``core.audit_one``
after a warm-up note (the pipeline is built first, its time not counted); it prints the
seconds per note, the status and the number of events, so two code versions can be compared
(``PYTHONPATH=<checkout> python benchmarks/long_notes.py``: the output must match, only the
time may change). A note is audited in windows of 20 kB (``core.WINDOW_CHARS``), so 20 kB
is the cost of one window and a longer note of the same shape costs that per 20 kB, except
for what reads the whole note (the setting decision, tables pasted in the note).

Shapes:

- ``drug-words``: drug names, amounts, units, routes and sites in random order, one space
  apart, no full stop (one sentence per window);
- ``drug-sentences``: the same with a full stop after about one word in ten;
- ``blank-3`` / ``blank-4``: one injection line, then blank lines of three (four) spaces;
- ``tab-lines``: one injection line, then lines of three tabs;
- ``padded-field``: a form field name followed by blanks on each line ("Site" and 200
  spaces).
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

WORDS = (
    "ketorolac 60 mg IM ceftriaxone 1 g Toradol SC B12 1000 mcg given R deltoid gluteal "
    "injection Depo-Medrol 80 IV subcutaneous intramuscular mL units insulin heparin 5000"
).split()
LINE = "Toradol 60 mg IM given in R deltoid.\n"


def shape(name: str, size: int, seed: int = 0) -> str:
    """The generated note ``name`` of ``size`` characters."""
    rng = random.Random(seed)
    if name == "drug-words":
        return " ".join(rng.choice(WORDS) for _ in range(size // 4))[:size]
    if name == "drug-sentences":
        words = (rng.choice(WORDS) + ("." if rng.random() < 0.1 else "") for _ in range(size // 4))
        return " ".join(words)[:size]
    if name.startswith("blank-"):
        blank = " " * int(name.split("-")[1]) + "\n"
        return (LINE + blank * (size // len(blank)))[:size]
    if name == "tab-lines":
        return (LINE + "\t\t\t\n" * (size // 4))[:size]
    if name == "padded-field":
        return (LINE + ("Site" + " " * 200 + "\n") * (size // 205))[:size]
    raise ValueError(name)


SHAPES = ("drug-words", "drug-sentences", "blank-3", "blank-4", "tab-lines", "padded-field")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kb", type=int, default=20, help="length of each note, kB")
    parser.add_argument("--shapes", nargs="+", default=list(SHAPES), choices=SHAPES)
    args = parser.parse_args()

    from auditor.core import audit_one
    from auditor.records import NoteRecord

    audit_one(NoteRecord(row=1, note_id="warm-up", text=LINE))
    print(f"one note of {args.kb} kB per shape (code: {Path(audit_one.__code__.co_filename)})")
    for name in args.shapes:
        text = shape(name, args.kb * 1000)
        start = time.perf_counter()
        note, events = audit_one(NoteRecord(row=1, note_id=name, text=text))
        seconds = time.perf_counter() - start
        print(f"  {name:15s} {seconds:8.2f} s  {note['status']:12s} {len(events)} events")


if __name__ == "__main__":
    main()
