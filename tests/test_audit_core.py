"""The core on awkward notes: empty, messy characters, giant, failing; one row per input."""

from __future__ import annotations

import logging
import math
import re

import pandas as pd
import pytest

import auditor.core as core
from auditor.core import _windows, audit, audit_records, extract
from auditor.frames import EVIDENCE_FIELDS, NOTE_COLUMNS
from auditor.io.readers import read_records

GIVEN = "Toradol 60 mg IM given in the right deltoid for renal colic. Tolerated well."


def _anchors(events: pd.DataFrame) -> list[tuple[int, int]]:
    return [(int(s), int(e)) for s, e in zip(events["start"], events["end"], strict=True)]


# -- windows ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "size", "expected"),
    [
        ("", 10, []),
        ("short", 10, [(0, 5)]),
        ("aaaa\n\nbbbb\ncccc dddd", 10, [(0, 6), (6, 16), (16, 20)]),
        ("aaaa bbbb cccc", 6, [(0, 5), (5, 10), (10, 14)]),
        ("x" * 25, 10, [(0, 10), (10, 20), (20, 25)]),
        ("a\n" + "x" * 20, 10, [(0, 10), (10, 20), (20, 22)]),  # break in first half: hard cut
    ],
)
def test_windows_cover_the_text_and_cut_at_breaks(text, size, expected):
    windows = list(_windows(text, size))
    assert windows == expected
    assert "".join(text[a:b] for a, b in windows) == text


class _FakeNLP:
    """Tokens = whitespace-separated words; an "event" for every word ``Toradol``."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def make_doc(self, text):
        return _FakeDoc(text)

    def __call__(self, doc):
        self.seen.append(doc.text)
        found = list(re.finditer("Toradol", doc.text))
        events = [
            {
                "start": m.start(),
                "end": m.end(),
                "medication_text": m.group(),
                "spans": {"medication": [m.start(), m.end()]},
            }
            for m in found
        ]
        not_given = [
            {"medication": "ketorolac", "start": m.start(), "end": m.end(), "decided_by": "x"}
            for m in found
        ]
        doc.user_data = {
            "auditor": {
                "events": events,
                "not_administered": [],
                "not_given": not_given,
                "evidence": None,
            }
        }
        return doc


class _FakeDoc:
    def __init__(self, text):
        self.text = text

    def __len__(self):
        return len(self.text.split())


def test_extract_windows_by_chars_and_tokens_and_shifts_offsets(monkeypatch):
    monkeypatch.setattr(core, "WINDOW_CHARS", 60)
    monkeypatch.setattr(core, "WINDOW_TOKENS", 4)
    text = "Toradol given.\n\n" + "a b c d e f g h Toradol i j k\n" * 5 + "x" * 130 + " Toradol"
    nlp = _FakeNLP()
    found = extract(nlp, text)
    assert "".join(nlp.seen) == text  # windows cover the note, nothing dropped or repeated
    assert all(len(t) <= 60 for t in nlp.seen)
    assert all(len(t.split()) <= 4 for t in nlp.seen if len(t) > 1)
    expected = [m.start() for m in re.finditer("Toradol", text)]
    assert [e["start"] for e in found["events"]] == expected
    assert all(text[e["start"] : e["end"]] == "Toradol" for e in found["events"])
    assert [e["spans"]["medication"] for e in found["events"]] == [[s, s + 7] for s in expected]
    assert [n["start"] for n in found["not_given"]] == expected


def test_short_runs_break_long_whitespace_free_runs_keeping_the_length():
    """The tokenizer sees a run of more than MAX_RUN non-space characters broken by a space
    after every MAX_RUN characters; shorter runs and the length are unchanged."""
    assert core.MAX_RUN == 100
    text = "ab " + "=" * 100 + "\n" + "x" * 203 + " cd"
    broken = core._short_runs(text)
    assert len(broken) == len(text)
    assert broken[:104] == text[:104]
    assert [len(part) for part in broken[104:].split(" ")] == [100, 100, 1, 2]
    assert core._short_runs(GIVEN) is GIVEN


@pytest.mark.parametrize("run", ["=", "(", "|", "a:", "a"])
def test_a_long_unbroken_run_audits_in_linear_time(run):
    """spaCy's affix splitting (and, for a letter run at a line start, the export key-path
    rule) cost the square of a run's length: 8,000 '=' took 21 s, 20,000 letters 4 s, so a
    2 MB run took hours and could not be interrupted. 200,000 characters now take about a
    second; the bound leaves room for a busy machine."""
    import time

    text = run * (200_000 // len(run)) + "\n" + GIVEN
    started = time.monotonic()
    notes, events = audit([text])
    assert time.monotonic() - started < 30
    assert notes["status"].tolist() == ["compliant"]
    assert events["medication"].tolist() == ["ketorolac"]
    assert text[events["start"][0] : events["end"][0]] == "Toradol"


# -- one row per input, whatever the text --------------------------------------------------


def test_empty_whitespace_missing_and_non_string_texts():
    texts = ["", "   \n\t ", None, math.nan, 42, b"\x81", GIVEN]
    notes, events = audit(texts)
    assert notes["note_id"].tolist() == ["1", "2", "3", "4", "5", "6", "7"]
    assert notes["status"].tolist() == [
        "no_injection",
        "no_injection",
        "error",
        "error",
        "error",
        "error",
        "compliant",
    ]
    assert notes["error"].tolist() == [
        None,
        None,
        "row 3: missing text (null)",
        "row 4: missing text (null)",
        "row 5: text is not a string (got int)",
        "row 6: text is neither UTF-8 nor Windows-1252 (first bad byte at offset 0)",
        None,
    ]
    assert events["note_id"].tolist() == ["7"]


def test_dataframe_input_keeps_order_ids_and_duplicates(caplog):
    frame = pd.DataFrame({"note_id": ["a", "b", "a"], "text": [GIVEN, None, ""]})
    with caplog.at_level(logging.WARNING, logger="auditor"):
        notes, _ = audit(frame)
    assert notes[["note_id", "status"]].values.tolist() == [
        ["a", "compliant"],
        ["b", "error"],
        ["a", "no_injection"],
    ]
    assert notes.columns.tolist() == NOTE_COLUMNS
    assert caplog.messages == [
        "1 record(s) repeat a note_id seen earlier (rows 3); "
        "each is kept and reported on its own line"
    ]


@pytest.mark.parametrize(
    "messy",
    [
        "\ufeff" + GIVEN.replace(" IM", "\x00IM"),  # BOM, NUL
        GIVEN.replace(" ", "\u00a0"),  # no-break spaces everywhere
        "Procedure note\r\n" + GIVEN.replace(". ", ".\r"),  # CRLF and a lone CR
        "Procedure note\r" + GIVEN.replace(". ", ".\r\n\n"),  # mixed endings
    ],
)
def test_messy_characters_give_the_clean_result_at_the_same_offsets(messy):
    clean = (
        messy.replace("\ufeff", " ")
        .replace("\x00", " ")
        .replace("\u00a0", " ")
        .replace("\r\n", " \n")
        .replace("\r", "\n")
    )
    got_notes, got = audit([messy])
    want_notes, want = audit([clean])
    assert got_notes["status"].tolist() == want_notes["status"].tolist() == ["compliant"]
    keep = ["medication", "route", "dose_value", "dose_unit", "site", "start", "end"]
    assert got[keep].values.tolist() == want[keep].values.tolist()
    start, end = _anchors(got)[0]
    assert got["medication_text"].tolist() == [messy[start:end]] == ["Toradol"]


def test_windows_1252_micro_sign_is_read_as_a_dose(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_bytes(
        b"note_id,text\nw,Cyanocobalamin 1000 \xb5g IM given in L deltoid for pernicious anemia."
        b" Tolerated well.\n"
    )
    notes, events = zip(*audit_records(read_records(path)), strict=True)
    assert notes[0]["status"] == "compliant"
    assert [(e["dose_value"], e["dose_unit"]) for e in events[0]] == [(1000, "mcg")]


# -- giant notes ------------------------------------------------------------------------


def test_note_longer_than_spacy_max_length_on_one_line():
    text = GIVEN + " " + "A" * 600_000 + " " * 400_000 + GIVEN + " " + GIVEN
    assert len(text) > 1_000_000  # spaCy's default nlp.max_length
    notes, events = audit([text])
    assert notes["status"].tolist() == ["compliant"]
    assert _anchors(events) == [(0, 7), (1_000_077, 1_000_084), (1_000_154, 1_000_161)]
    assert events["medication_text"].tolist() == ["Toradol"] * 3


def test_five_megabyte_note_from_csv_is_audited_to_its_last_line(tmp_path):
    rows = ("Flowsheet  BP 120/80  HR 72".ljust(159) + "\n" + "\n" * 1840) * 1250
    text = GIVEN + "\n" + rows + GIVEN + "\n" + rows + GIVEN
    assert len(text) > 5_000_000
    path = tmp_path / "big.csv"
    path.write_text(f'note_id,text\nbig,"{text}"\nsmall,{GIVEN}\n', encoding="utf-8")
    results = list(audit_records(read_records(path)))
    assert [(n["note_id"], n["status"]) for n, _ in results] == [
        ("big", "compliant"),
        ("small", "compliant"),
    ]
    middle, last = len(GIVEN) + 1 + len(rows), len(text) - len(GIVEN)
    assert [(e["start"], e["end"]) for e in results[0][1]] == [
        (0, 7),
        (middle, middle + 7),
        (last, last + 7),
    ]


# -- failure isolation and redaction ----------------------------------------------------


def test_a_pipeline_exception_marks_only_that_note(monkeypatch, caplog):
    real = core.extract

    def flaky(nlp, text, reader=None):
        if "FAIL" in text:
            raise ValueError(f"cannot parse {text!r}")  # a message quoting the note
        return real(nlp, text, reader)

    monkeypatch.setattr(core, "extract", flaky)
    with caplog.at_level(logging.DEBUG):
        notes, events = audit([GIVEN, "FAIL " + GIVEN, GIVEN])
    assert notes["status"].tolist() == ["compliant", "error", "compliant"]
    assert notes["error"].tolist() == [None, "row 2: pipeline error (ValueError)", None]
    assert events["note_id"].tolist() == ["1", "3"]
    assert "row 2: pipeline error (ValueError); note marked error" in caplog.messages
    assert "FAIL" not in caplog.text and "Toradol" not in caplog.text


def test_redact_drops_evidence_text_and_keeps_offsets_and_values():
    plain_notes, plain = audit([GIVEN])
    red_notes, red = audit([GIVEN], redact=True)
    assert red_notes.values.tolist() == plain_notes.values.tolist()
    assert plain["indication"].tolist() == ["renal colic"]
    assert red[list(EVIDENCE_FIELDS)].isna().all().all()
    kept = [c for c in red.columns if c not in EVIDENCE_FIELDS]
    assert red[kept].values.tolist() == plain[kept].values.tolist()
    assert red[["medication", "dose_value", "route", "site", "start", "end"]].values.tolist() == [
        ["ketorolac", 60, "IM", "deltoid", 0, 7]
    ]
