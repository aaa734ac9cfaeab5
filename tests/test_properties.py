"""Property tests: for any text the audit never raises, returns one notes row per input,
and every event anchor lies inside its note with ``text[start:end] == medication_text``."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor.core import audit

from .notegen import compose_note, offset_violations

SETTINGS = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=True,  # the same examples on every run: the suite stays reproducible
)
VOCAB_NOTES = st.randoms(use_true_random=False).map(compose_note)
CELLS = st.one_of(
    VOCAB_NOTES, VOCAB_NOTES, st.text(max_size=100), st.none(), st.binary(max_size=40)
)


def _check(texts: list) -> None:
    notes, events = audit(texts)
    assert notes["note_id"].tolist() == [str(i) for i in range(1, len(texts) + 1)]
    for i, text in enumerate(texts, start=1):
        mine = events[events["note_id"] == str(i)].to_dict("records")
        status = notes["status"].iloc[i - 1]
        if isinstance(text, str):
            assert status != "error", notes["error"].iloc[i - 1]
            assert offset_violations(text, mine) == 0
        else:
            assert mine == []


@SETTINGS
@given(st.lists(st.text(max_size=300), min_size=1, max_size=2))
def test_arbitrary_unicode(texts):
    _check(texts)


@SETTINGS
@given(st.lists(CELLS, min_size=1, max_size=3))
def test_vocabulary_notes_and_mixed_cells(texts):
    _check(texts)
