"""The batch unit the engines distribute: frames in, contract frames out, no engine."""

from __future__ import annotations

import pandas as pd

from auditor.batch import audit_batch, audit_partition, failed_batch
from auditor.core import audit
from auditor.frames import EVENT_COLUMNS, NOTE_COLUMNS, frame_rows

GIVEN = "Toradol 60 mg IM given in right deltoid for back pain. Tolerated well."
TEXTS = [GIVEN, None, "Follow-up visit, no injections.", GIVEN]


def test_row_offset_names_global_rows_and_missing_text():
    frame = pd.DataFrame({"note_id": [None, "b", pd.NA, "d"], "text": TEXTS}).astype(
        "string[pyarrow]"
    )
    notes, events = audit_batch(frame, "note_id", "text", row_offset=10)
    assert list(notes.columns) == NOTE_COLUMNS and list(events.columns) == EVENT_COLUMNS
    assert notes["note_id"].tolist() == ["11", "b", "13", "d"]
    assert notes["status"].tolist() == ["compliant", "error", "no_injection", "compliant"]
    assert notes["error"][1] == "row 12: missing text (null) in column 'text'"
    assert events["note_id"].tolist() == ["11", "d"]
    assert next(frame_rows(events, EVENT_COLUMNS))["dose_value"] == 60  # int, as locally


def test_batch_equals_local_audit_and_row_column_keeps_rows():
    frame = pd.DataFrame({"text": TEXTS})
    local_notes, local_events = audit(frame, workers=2)  # the streaming path
    notes, events = audit_batch(frame.assign(r=[1, 2, 3, 4]), None, "text", row_col="r")
    assert notes["row"].tolist() == [1, 2, 3, 4] and events["row"].tolist() == [1, 4]
    pd.testing.assert_frame_equal(notes.drop(columns="row"), local_notes)
    pd.testing.assert_frame_equal(events.drop(columns="row"), local_events)
    gaps, _ = audit_batch(frame.iloc[[3, 0]].assign(r=[9, 4]), None, "text", row_col="r")
    assert gaps["note_id"].tolist() == ["9", "4"]  # non-contiguous rows keep their numbers


def test_partition_failure_becomes_error_rows_without_text():
    frame = pd.DataFrame({"id": ["a", "b"], "text": [GIVEN, GIVEN]})

    def broken(*args, **kwargs):
        raise ValueError(GIVEN)

    notes, events = audit_partition(frame, "id", "text", "partition 7", batch_fn=broken)
    assert notes["status"].tolist() == ["error", "error"] and events.empty
    assert set(notes["error"]) == {"partition 7 failed: ValueError"}
    direct, _ = failed_batch(frame, "id", "text", "partition 7 failed: ValueError")
    pd.testing.assert_frame_equal(notes, direct)
