"""Fuzz the core: run generated notes through ``auditor.core.audit`` and count failures.

Run from the repository root::

    .venv/bin/python -m benchmarks.fuzz [--notes 10000] [--workers 2] [--seed 96372]

Notes come from ``tests/notegen.py``: 70% built from the pattern vocabularies, 20%
arbitrary Unicode, and 10% awkward cells (None, NaN, bytes, an int, empty,
whitespace-only). Prints notes in, notes out, crashes (notes whose processing raised and
were isolated as ``pipeline error``, plus 1 if ``audit`` itself raised), offset violations
(event anchors outside the note or ``text[start:end] != medication_text``), status counts
and throughput.
"""

from __future__ import annotations

import argparse
import math
import random
import time
from typing import Any

from auditor.core import audit
from tests.notegen import compose_note, offset_violations, random_unicode


def generate(count: int, seed: int) -> list[Any]:
    """``count`` input cells (see module docstring), reproducible from ``seed``."""
    rng = random.Random(seed)
    odd = [None, math.nan, b"B12 1000 \xb5g IM", b"\x81\x8d", 42, "", " \n\t "]
    cells: list[Any] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.7:
            cells.append(compose_note(rng))
        elif roll < 0.9:
            cells.append(random_unicode(rng))
        else:
            cells.append(rng.choice(odd))
    return cells


def fuzz(count: int, workers: int, seed: int) -> dict[str, Any]:
    """Audit ``count`` generated cells and return the figures printed by ``main``."""
    cells = generate(count, seed)
    started = time.perf_counter()
    try:
        notes, events = audit(cells, workers=workers)
    except Exception as exc:  # noqa: BLE001 - a crash of the whole run is a finding
        return {"notes in": count, "notes out": 0, "crashes": f"run raised {type(exc).__name__}"}
    elapsed = time.perf_counter() - started
    by_note = {nid: group.to_dict("records") for nid, group in events.groupby("note_id")}
    violations = sum(
        offset_violations(cell, by_note.get(str(i), []))
        for i, cell in enumerate(cells, start=1)
        if isinstance(cell, str)
    )
    errors = notes["error"].dropna()
    return {
        "notes in": count,
        "notes out": len(notes),
        "ids in order": notes["note_id"].tolist() == [str(i) for i in range(1, count + 1)],
        "crashes": int(errors.str.contains("pipeline error").sum()),
        "non-string cells in": sum(not isinstance(cell, str) for cell in cells),
        "error records (null, NaN, int, undecodable bytes)": int(
            (~errors.str.contains("pipeline error")).sum()
        ),
        "offset violations": violations,
        "events": len(events),
        "status": notes["status"].value_counts().to_dict(),
        "seconds": round(elapsed, 1),
        "notes per second": round(count / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=96372)
    args = parser.parse_args()
    for key, value in fuzz(args.notes, args.workers, args.seed).items():
        print(f"{key}: {value}")


if __name__ == "__main__":
    main()
