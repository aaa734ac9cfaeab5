"""The notes the engine tests audit, and the local run they must reproduce.

300 MTSamples notes (a seeded sample, no id: ids are global row numbers; two have no
text) interleaved with the 40 dev gold notes (with ids), plus one empty note. Computed
once per test process, whichever engine module asks first.
"""

from __future__ import annotations

import json
from functools import lru_cache

import pandas as pd
import pytest

from auditor.frames import NOTE_COLUMNS

from .conftest import DEV_GOLD, SHARED

MTSAMPLES = SHARED / "data" / "mtsamples" / "mtsamples.csv"


@lru_cache(maxsize=1)
def _sample() -> pd.DataFrame:
    mt = pd.read_csv(MTSAMPLES, dtype=str, keep_default_na=False, na_values=[""])
    texts = mt["transcription"].sample(n=300, random_state=96372).tolist()
    with open(DEV_GOLD, encoding="utf-8") as handle:
        dev = [json.loads(line) for line in handle if line.strip()]
    frame = pd.DataFrame(
        {
            "note_id": [None] * len(texts) + [d["note_id"] for d in dev] + ["empty-1"],
            "text": texts + [d["text"] for d in dev] + [""],
        }
    )
    return frame.sample(frac=1.0, random_state=7).reset_index(drop=True)


def sample_notes() -> pd.DataFrame:
    """The 341 notes (columns note_id, text); skips when ../shared is absent."""
    for path in (MTSAMPLES, DEV_GOLD):
        if not path.exists():
            pytest.skip(f"engine sample needs {path} (../shared is absent)")
    return _sample().copy()


@lru_cache(maxsize=1)
def _local() -> tuple[pd.DataFrame, pd.DataFrame]:
    from auditor.core import audit

    return audit(_sample(), id_col="note_id", text_col="text")


def local_run() -> tuple[pd.DataFrame, pd.DataFrame]:
    """``auditor.core.audit`` on ``sample_notes()``: the reference the engines match."""
    sample_notes()
    notes, events = _local()
    return notes.copy(), events.copy()


def rows(frame: pd.DataFrame, columns: list[str]) -> list[dict]:
    """Frame rows as JSON-ready dicts (the form a report line takes)."""
    from auditor.frames import frame_rows

    return list(frame_rows(frame, columns))


def csv_expected(notes: pd.DataFrame, sample: pd.DataFrame) -> list[dict]:
    """The local notes rows as a CSV of ``sample`` yields them: a CSV cell cannot be null,
    so a note without text is written as an empty cell and read back as an empty note."""
    expected = rows(notes, NOTE_COLUMNS)
    for position in sample.index[sample["text"].isna()]:
        expected[position].update(status="no_injection", error=None)
    return expected
