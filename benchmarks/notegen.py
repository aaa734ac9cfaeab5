"""Generated notes with realistic unique tokens, for memory benchmarks.

Every note has a new MRN, name, times, dates, vital signs and lab values, a lot number and
one documented injection, so each note brings strings spaCy has not seen before (as real
exports do; MTSamples repeated does not). Deterministic for a seed; no real patient data.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterator
from pathlib import Path

SYLLABLES = "an ber cor da el fin gar hol is jen ka lor mar nes ol pra quin ros sta tor ul".split()
DRUGS = [
    ("Toradol", "60 mg", "IM"),
    ("Ceftriaxone", "1 g", "IM"),
    ("B12", "1000 mcg", "IM"),
    ("Depo-Medrol", "80 mg", "IM"),
    ("Enoxaparin", "40 mg", "SC"),
    ("Phenergan", "25 mg", "IM"),
]
SITES = ["deltoid", "gluteus", "ventrogluteal", "vastus lateralis", "abdomen"]
REASONS = ["renal colic", "pneumonia", "pernicious anemia", "back pain", "nausea", "DVT"]


def _name(rng: random.Random) -> str:
    word = lambda: "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))  # noqa: E731
    return f"{word().title()} {word().title()}"


def note(i: int, rng: random.Random) -> str:
    """One note (~70 words) with new MRN, name, times, values, and an injection."""
    drug, dose, route = rng.choice(DRUGS)
    hh, mm = rng.randint(0, 23), rng.randint(0, 59)
    day = f"{rng.randint(1, 12):02d}/{rng.randint(1, 28):02d}/20{rng.randint(10, 29)}"
    return (
        f"Pt {_name(rng)}, MRN {rng.randint(10**7, 10**8 - 1)}, seen {day} at {hh:02d}:{mm:02d}. "
        f"BP {rng.randint(90, 180)}/{rng.randint(50, 110)}, HR {rng.randint(50, 130)}, "
        f"T {rng.uniform(35.5, 39.9):.1f}, SpO2 {rng.randint(88, 100)}%, "
        f"wt {rng.uniform(40, 140):.1f} kg. "
        f"Glucose {rng.randint(60, 400)} mg/dL, K {rng.uniform(3.0, 5.9):.2f}. "
        f"{drug} {dose} {route} given in {rng.choice(['L', 'R'])} {rng.choice(SITES)} at "
        f"{(hh + 1) % 24:02d}:{mm:02d} for {rng.choice(REASONS)}. "
        f"Lot {rng.choice('ABCDEFGHJK')}{rng.randint(10**5, 10**6 - 1)}{rng.choice('XYZ')}. "
        f"Tolerated well, no reaction after {rng.randint(10, 30)} min. "
        f"Given by {_name(rng)}, RN. Call back {rng.randint(200, 999)}-{rng.randint(1000, 9999)}. "
        f"Note ref {i:07d}-{rng.getrandbits(40):010x}."
    )


def notes(n: int, seed: int = 96372) -> Iterator[tuple[str, str]]:
    """``(note_id, text)`` for ``n`` notes."""
    rng = random.Random(seed)
    for i in range(1, n + 1):
        yield f"gen-{i:07d}", note(i, rng)


def write_csv(path: Path, n: int, seed: int = 96372) -> Path:
    """Write ``n`` generated notes as ``note_id,text`` CSV."""
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["note_id", "text"])
        writer.writerows(notes(n, seed))
    return path
