"""MTSamples real-text gold (``corpora/gold/real/mtsamples.jsonl``): provenance checks.

Each line copies one MTSamples transcription verbatim (CC0) and must not repeat a note of the
older ``corpora/gold/mtsamples.jsonl``. The CSV comparison needs ``../shared/data/mtsamples``
and skips with a clear reason when it is absent.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pandas as pd
import pytest

from auditor.evaluate import shared_data_dir

from .conftest import ROOT

GOLD = ROOT / "corpora" / "gold" / "real" / "mtsamples.jsonl"
OLDER = ROOT / "corpora" / "gold" / "mtsamples.jsonl"


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return _lines(GOLD)


def test_no_overlap_with_older_mtsamples_gold(rows):
    older = _lines(OLDER)
    older_ids = {r["note_id"] for r in older}
    older_texts = {r["text"] for r in older}
    for row in rows:
        nid = row["note_id"]
        assert nid == f"mts-{row['source']['row_index']}", nid
        assert nid not in older_ids, nid
        assert row["text"] not in older_texts, nid
        assert not {f"mts-{i}" for i in row["source"]["duplicate_rows"]} & older_ids, nid
    assert len(rows) >= 60


BLIND_BATCHES = (
    "blind-2026-12-06",
    "blind-2026-12-06-r3",
    "blind-2026-12-06-r4",
    "blind-2026-12-06-r5",
    "blind-2026-12-06-r6",
    "blind-2026-12-06-r7",
)
"""Batches of notes drawn and labelled blind as held-out only (PROVENANCE.md, blind batches)."""


def test_split_is_the_seeded_per_note_draw(rows):
    for row in rows:
        if row.get("batch") in BLIND_BATCHES:
            assert row["split"] == "heldout", row["note_id"]
            continue
        digest = hashlib.sha256(f"gold-mts/heldout:{row['note_id']}".encode()).hexdigest()
        expected = "heldout" if int(digest[:8], 16) / 2**32 < 0.25 else "dev"
        assert row["split"] == expected, row["note_id"]


def test_texts_are_the_csv_transcriptions(rows):
    csv = shared_data_dir() / "mtsamples" / "mtsamples.csv"
    if not csv.is_file():
        pytest.skip(f"{csv} is absent (../shared not present; set AUDITOR_SHARED_DATA)")
    frame = pd.read_csv(csv, index_col=0, keep_default_na=False)
    for row in rows:
        source = row["source"]
        first = source["row_index"]
        text = frame.at[first, "transcription"]
        assert row["text"] == text, row["note_id"]
        assert source["medical_specialty"] == frame.at[first, "medical_specialty"].strip()
        same = frame.index[frame["transcription"] == text].tolist()
        assert same == [first, *source["duplicate_rows"]], row["note_id"]


# The dev batches of tools/draw_mts_dev.py (PROVENANCE.md), each labelled before the tool ran:
# mtsamples-3 (seed 20261210), -4 (--seed 20261212 --reserved /work/blind4_reserved.txt), -5
# (--seed 20261222 --reserved /work/reserved_all.txt), -7 (--seed 20270108 --reserved
# /work/blind7_reserved.txt; ED, office and discharge pools empty), -8 (--seed 20270121
# --reserved /work/s10/reserved_for_draw.txt, i.e. blind7_reserved plus reserved_all; ED, office,
# consult and discharge pools empty), -9 (--seed 20270131, the same reserved file and pools empty),
# -10 (--seed 20270141, the same reserved file and pools empty), -11 (--seed 20270151, the same
# reserved file and pools empty), -12 (--seed 20270161, the same reserved file and pools empty).
@pytest.mark.parametrize(
    ("batch_name", "n", "statuses", "n_events", "pools", "reserved"),
    [
        (
            "mtsamples-3",
            30,
            (23, 7),
            10,
            {"office": 7, "consult": 8, "procedure": 8, "other": 2, "trap": 5},
            (),
        ),
        (
            "mtsamples-4",
            30,
            (25, 5),
            6,
            {"office": 6, "consult": 8, "procedure": 8, "other": 3, "trap": 5},
            ("/work/blind4_reserved.txt",),
        ),
        (
            "mtsamples-5",
            30,
            (24, 6),
            8,
            {"consult": 10, "procedure": 12, "other": 3, "trap": 5},
            ("/work/reserved_all.txt",),
        ),
        (
            "mtsamples-7",
            25,
            (23, 2),
            3,
            {"consult": 8, "procedure": 8, "other": 4, "trap": 5},
            ("/work/blind7_reserved.txt", "/work/reserved_all.txt"),
        ),
        (
            "mtsamples-8",
            25,
            (21, 4),
            9,
            {"procedure": 12, "other": 8, "trap": 5},
            ("/work/blind7_reserved.txt", "/work/reserved_all.txt"),
        ),
        (
            "mtsamples-9",
            25,
            (16, 9),
            16,
            {"procedure": 14, "other": 6, "trap": 5},
            ("/work/blind7_reserved.txt", "/work/reserved_all.txt"),
        ),
        (
            "mtsamples-10",
            25,
            (21, 4),
            7,
            {"procedure": 14, "other": 6, "trap": 5},
            ("/work/blind7_reserved.txt", "/work/reserved_all.txt"),
        ),
        (
            "mtsamples-11",
            25,
            (20, 5),
            9,
            {"procedure": 14, "other": 6, "trap": 5},
            ("/work/blind7_reserved.txt", "/work/reserved_all.txt"),
        ),
        (
            "mtsamples-12",
            25,
            (18, 7),
            13,
            {"procedure": 14, "other": 6, "trap": 5},
            ("/work/blind7_reserved.txt", "/work/reserved_all.txt"),
        ),
        # drawn with an empty reserved file (the old reserved lists no longer exist)
        (
            "mtsamples-13",
            25,
            (20, 5),
            8,
            {"consult": 4, "procedure": 12, "other": 5, "trap": 4},
            (),
        ),
        (
            "mtsamples-14",
            25,
            (17, 8),
            11,
            {"consult": 1, "procedure": 15, "other": 5, "trap": 4},
            (),
        ),
        (
            "mtsamples-15",
            24,
            (21, 3),
            3,
            {"procedure": 15, "other": 5, "trap": 4},
            (),
        ),
        # targeted: tools/draw_mts_targeted.py over main 5a40946's audit, seed 20270195
        (
            "mtsamples-15b",
            22,
            (18, 4),
            8,
            {"missed": 16, "planned": 6},
            (),
        ),
        # targeted: tools/draw_mts_targeted.py over main 29f465c's audit, seed 20270205
        (
            "mtsamples-16",
            22,
            (21, 1),
            1,
            {"missed": 22},
            (),
        ),
        # targeted: tools/draw_mts_targeted.py over main 2b7b31e's audit, seed 20270215
        (
            "mtsamples-17",
            20,
            (16, 4),
            4,
            {"missed": 20},
            (),
        ),
        # random again: tools/draw_mts_dev.py, seeds 20270221 (main 0c987ae), 20270231 (ed49959)
        (
            "mtsamples-18",
            24,
            (16, 8),
            18,
            {"procedure": 14, "other": 5, "trap": 5},
            (),
        ),
        (
            "mtsamples-19",
            24,
            (17, 7),
            10,
            {"procedure": 18, "trap": 6},
            (),
        ),
        # the same random draw, seed 20270241 (main 056c854)
        (
            "mtsamples-20",
            24,
            (19, 5),
            7,
            {"procedure": 18, "trap": 6},
            (),
        ),
    ],
)
def test_dev_batch_is_labelled_before_the_tool(
    rows, batch_name, n, statuses, n_events, pools, reserved
):
    batch = [r for r in rows if r.get("batch") == batch_name]
    assert len(batch) == n
    assert {r["split"] for r in batch} == {"dev"}
    got = [r["expected"]["status"] for r in batch]
    assert (got.count("no_injection"), got.count("excluded")) == statuses
    assert sum(len(r["expected"]["events"]) for r in batch) == n_events
    got = [r["stratum"] for r in batch]
    assert {p: got.count(p) for p in set(got)} == pools
    for name in reserved:
        if Path(name).is_file():
            assert not {r["note_id"] for r in batch} & set(Path(name).read_text().split())


SETTING_MIX_5 = {
    "letter": 3,
    "consult": 8,
    "discharge": 6,
    "procedure": 6,
    "office": 3,
    "ed": 2,
    "other": 2,
}
"""The pools of setting batches 5 and 7 (the same mix, written here as expected values)."""


@pytest.mark.parametrize(
    ("batch_name", "statuses", "settings", "pools", "reserved"),
    [
        # tools/draw_setting_dev.py, seed 20261213
        (
            "mtsamples-setting-4",
            (28, 2),
            {None: 16, "inpatient": 9, "emergency": 4, "outpatient": 1},
            {"ed": 5, "discharge": 5, "consult": 6, "office": 6, "procedure": 4, "other": 4},
            (),
        ),
        # --batch mtsamples-setting-5, seed 20261223, weighted to letters, consults, discharge
        # summaries and procedure notes
        (
            "mtsamples-setting-5",
            (27, 3),
            {None: 13, "inpatient": 12, "emergency": 1, "outpatient": 4},
            SETTING_MIX_5,
            ("/work/reserved_all.txt", "/work/mts5_taken.txt"),
        ),
        # --batch mtsamples-setting-7, seed 20270109, the batch-5 mix (seventh round)
        (
            "mtsamples-setting-7",
            (26, 4),
            {None: 16, "inpatient": 9, "emergency": 1, "outpatient": 4},
            SETTING_MIX_5,
            ("/work/blind7_reserved.txt", "/work/s9/draws/mtsamples-7_ids.txt"),
        ),
    ],
)
def test_setting_batches_are_30_dev_notes_labelled_before_the_tool(
    rows, batch_name, statuses, settings, pools, reserved
):
    """The setting batches (PROVENANCE.md): size, split, (no_injection, excluded) counts,
    settings and draw pools; none of their notes on a reserved list."""
    batch = [r for r in rows if r.get("batch") == batch_name]
    assert len(batch) == 30
    assert {r["split"] for r in batch} == {"dev"}
    got = [r["expected"]["status"] for r in batch]
    assert (got.count("no_injection"), got.count("excluded")) == statuses
    got = [r["expected"]["setting"] for r in batch]
    assert {s: got.count(s) for s in set(got)} == settings
    got = [r["stratum"] for r in batch]
    assert {p: got.count(p) for p in set(got)} == pools
    for name in reserved:
        if Path(name).is_file():
            assert not {r["note_id"] for r in batch} & set(Path(name).read_text().split())
