"""Procedure injections (route ``other``, flag ``other_route``) and drugs that serve a
procedure (flag ``procedural``): contract sections 2 and 2b.

Case table: tests/cases/procedures.yaml (one note per case, audited whole with the default
spec). Rules: patterns/lexicons/routes.yaml, patterns/lexicons/sites.yaml,
patterns/context/procedural.yaml.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from auditor import audit
from auditor.errors import PatternError
from auditor.patterns import check_file, load_patterns
from auditor.procedural import ProceduralRules

CASES = yaml.safe_load(
    (Path(__file__).parent / "cases" / "procedures.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_procedure_cases(case):
    notes, events = audit([case["text"]])
    note = notes.iloc[0]
    assert (note["status"], list(note["flags"])) == (case["status"], case["flags"])
    if "events" in case:
        rows = events.to_dict("records")
        assert len(rows) == len(case["events"])
        got = [{k: row[k] for k in want} for row, want in zip(rows, case["events"], strict=True)]
        assert got == case["events"]


def test_named_procedure_after_a_heading_without_colon():
    rules = ProceduralRules.from_rules(load_patterns(None).procedural)
    text = "CHIEF COMPLAINT\n\nKnee pain.\n\nPROCEDURE\n\nRight knee injection.\nConsent obtained."
    assert rules.named_procedures(text) == ["Right knee injection"]
    assert rules.implied_route(text) == "other"
    assert rules.report_context(text) is False


def test_summary_of_a_stay_is_never_a_procedure_report():
    rules = ProceduralRules.from_rules(load_patterns(None).procedural)
    report = "PROCEDURES PERFORMED: Colonoscopy.\nThe patient was taken to the operating room."
    assert rules.report_context(report) is True
    assert rules.report_context("DISCHARGE SUMMARY\n" + report) is False


def test_injection_that_is_the_procedure_serves_another_operation_only_in_its_report():
    rules = ProceduralRules.from_rules(load_patterns(None).procedural)
    event = {"medication": "triamcinolone", "route": "other", "start": 0, "end": 7}
    assert rules.is_procedural("Kenalog injected.", event, in_report=False) is False
    assert rules.is_procedural("Kenalog injected.", event, in_report=True) is True
    botox = {"medication": "onabotulinumtoxina", "route": "other", "start": 0, "end": 5}
    assert rules.is_procedural("Botox injected.", botox, in_report=True) is False
    stress = {"medication": "regadenoson", "route": "IV", "start": 0, "end": 8}
    assert rules.is_procedural("Lexiscan given.", stress, in_report=False) is True


def test_local_anaesthetic_for_a_procedure_and_unnamed_contrast_are_no_events():
    rules = ProceduralRules.from_rules(
        load_patterns(None).procedural, local_anaesthetics=["lidocaine"]
    )
    block = {"medication": "lidocaine", "route": "other", "start": 0, "end": 9}
    assert rules.not_an_event("Lidocaine block.", block, procedural=True) is True
    assert rules.not_an_event("Lidocaine block.", block, procedural=False) is False
    text = "Then 5 mL of Omnipaque was injected. Kenalog 40 mg was injected."
    unnamed = {"medication": None, "route": None, "start": 27, "end": 35}
    kenalog = {"medication": "triamcinolone", "route": None, "start": 37, "end": 44}
    assert rules.not_an_event(text, unnamed, procedural=False) is True
    assert rules.not_an_event(text, kenalog, procedural=False) is False
    later = {"medication": None, "route": None, "start": 51, "end": 59}
    assert rules.not_an_event(text, later, procedural=False) is False


DICTATION = yaml.safe_load(
    (Path(__file__).parent / "cases" / "dictation.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", DICTATION, ids=[c["name"] for c in DICTATION])
def test_dictation_cases(case):
    # tests/cases/dictation.yaml: dictated-prose wordings of transcribed notes
    notes, events = audit([case["text"]])
    note = notes.iloc[0]
    assert (note["status"], list(note["flags"])) == (case["status"], case["flags"])
    if "missing" in case:
        assert list(note["missing"]) == case["missing"]
    rows = events.to_dict("records")
    assert len(rows) == len(case["events"])
    got = [{k: row[k] for k in want} for row, want in zip(rows, case["events"], strict=True)]
    assert got == case["events"]


def test_the_procedural_reading_rules_are_data():
    """procedural.yaml 1.22.0 (helper debt16): how an event's sentence and a report's named
    procedure are found is read from the file (``reading``), not from auditor/procedural.py:
    a shorter ``reach`` cuts a long sentence before its cue, a list number written another
    way is kept on the named procedure, and a bad regex, a bad number or a missing mapping
    is a PatternError naming its key, raised by the schema, the one place a shape is checked
    (helper debt17: ``Reading.from_rules`` only compiles)."""
    base = load_patterns(None).procedural
    rules = ProceduralRules.from_rules(base)
    assert rules.reading.reach == 300
    text = "Pre-op, " + "x" * 40 + " midazolam 2 mg IV given."
    start = text.index("midazolam")
    assert rules.event_context(text, start, start + 9) is True
    short = copy.deepcopy(base)
    short["reading"]["reach"] = 20
    assert ProceduralRules.from_rules(short).event_context(text, start, start + 9) is False
    named = "PROCEDURE: #1 Right knee injection."
    assert rules.named_procedures(named) == ["#1 Right knee injection"]
    hashed = copy.deepcopy(base)
    hashed["reading"]["list_number"] = r"^\s*#?\d+[.)]?\s*"
    assert ProceduralRules.from_rules(hashed).named_procedures(named) == ["Right knee injection"]
    for key, value, message in (
        ("title", "(unclosed", "reading.title: regular expression refused"),
        ("sentence_step", 0, "reading.sentence_step: 0 is less than the minimum"),
        ("reach", "300", "reading.reach: '300' is not of type 'integer'"),
        ("colour", "red", r"reading: .*'colour' was unexpected"),
    ):
        bad = copy.deepcopy(base)
        bad["reading"][key] = value
        with pytest.raises(PatternError, match=message):
            check_file("context/procedural.yaml", bad)
    for part in ("reading", "event_cues"):
        bad = copy.deepcopy(base)
        del bad[part]
        with pytest.raises(PatternError, match=f"'{part}' is a required property"):
            check_file("context/procedural.yaml", bad)
    bad = copy.deepcopy(base)
    bad["report"]["markers"] = "one regex"
    with pytest.raises(PatternError, match="report.markers: 'one regex' is not of type"):
        check_file("context/procedural.yaml", bad)
    bad = copy.deepcopy(base)
    bad["event_cues"] = ["(unclosed"]
    with pytest.raises(PatternError, match=r"event_cues\[0\]: invalid regular expression"):
        ProceduralRules.from_rules(bad)
