"""The pure extraction package (auditor/extraction): no spaCy, checked rules, the rule that
decided "given now?", and evidence spans (offsets into the note)."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from auditor.errors import PatternError
from auditor.patterns import check_file, load_patterns
from auditor.records import clean_text


def test_extraction_package_never_imports_spacy():
    code = (
        "import sys, auditor.extraction, auditor.extraction.extract; "
        "print(sorted(m for m in ('spacy', 'medspacy', 'thinc') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda s: s["words"].update(negators=[False, "not"]), r"words.negators\[0\]: False"),
        (lambda s: s["window"].update(drug_before_chars=-1), "window.drug_before_chars"),
        (lambda s: s["window"].update(negator_tokens="4"), "window.negator_tokens"),
        (lambda s: s["regex"].update(clock_time="(unclosed"), "regex.clock_time: regular exp"),
        (lambda s: s.update(injection_routes=["IM", "PO"]), r"injection_routes\[1\]: 'PO'"),
        (lambda s: s.pop("window"), "'window' is a required property"),
    ],
)
def test_invalid_extraction_rules_are_rejected(change, message):
    """extraction.yaml's shape is checked by its schema, the one place (extraction.schema.yaml
    1.4.0, helper debt17): the error names the key."""
    spec = copy.deepcopy(load_patterns().extraction)
    change(spec)
    with pytest.raises(PatternError, match=message):
        check_file("extraction/extraction.yaml", spec)


def _one(extract_one, text):
    result = extract_one(clean_text(text))
    return text, result


@pytest.mark.parametrize(
    "text, decided_by",
    [
        ("Toradol 60 mg IM given in R glut for back pain.", ["cue:admin_verb"]),
        ("Procedure: Kenalog 40 mg IM L deltoid.", ["section:administration"]),
        ("Toradol 60 mg IM R glut.", ["record:site"]),
        ("Toradol 60 mg IM by RN.", ["record:provider"]),
        ("Toradol 60 mg IM @ 10:40", ["record:clock_time"]),
        ("Toradol 60 mg IM\nRocephin 1 g IM\nBoth given.", ["cue:group_given"] * 2),
    ],
)
def test_events_record_the_rule_that_decided_given(extract_one, text, decided_by):
    _, result = _one(extract_one, text)
    assert [e["decided_by"] for e in result["events"]] == decided_by


@pytest.mark.parametrize(
    "text, not_given",
    [
        (
            "Ketorolac 30 mg IM was not given because of CKD.",
            [{"medication": "ketorolac", "text": "Ketorolac", "by": "context:NEGATED_EXISTENCE"}],
        ),
        (
            "Will give B12 1,000 mcg IM at next visit.",
            [{"medication": "cyanocobalamin", "text": "B12", "by": "context:HYPOTHETICAL"}],
        ),
        (
            "Plan:\nCeftriaxone 1 g IM.",
            [{"medication": "ceftriaxone", "text": "Ceftriaxone", "by": "section:planning"}],
        ),
        ("Home meds: insulin glargine 20 units SC nightly.", []),
    ],
)
def test_not_given_names_the_mention_and_the_rule(extract_one, text, not_given):
    _, result = _one(extract_one, text)
    got = [
        {"medication": n["medication"], "text": text[n["start"] : n["end"]], "by": n["decided_by"]}
        for n in result["not_given"]
    ]
    assert got == not_given
    assert result["not_administered"] == [n["medication"] for n in not_given]


def _span_texts(text, event):
    return {k: text[s:e] for k, (s, e) in event["spans"].items()}


def test_spans_of_a_full_event(extract_one):
    text = (
        "B12 level 180 pg/mL.\nCyanocobalamin 1000 mcg IM given in the L deltoid for "
        "pernicious anemia by J. Ortiz RN. No reaction."
    )
    _, result = _one(extract_one, text)
    (event,) = result["events"]
    assert _span_texts(text, event) == {
        "medication": "Cyanocobalamin",
        "dose": "1000 mcg",
        "route": "IM",
        "site": "deltoid",
        "laterality": "L",
        "indication": "pernicious anemia",
        "response": "No reaction",
        "provider": "by J. Ortiz RN",
        "evidence": "B12 level",
    }


def test_split_dose_spans_point_at_each_site(extract_one):
    text = (
        "Fulvestrant 500 mg IM given as two 250 mg injections, one in the R gluteal and "
        "one in the L gluteal."
    )
    _, result = _one(extract_one, text)
    first, second = result["events"]
    r_at, l_at = text.index("R gluteal"), text.index("L gluteal")
    assert first["spans"]["laterality"] == [r_at, r_at + 1]
    assert first["spans"]["site"] == [r_at + 2, r_at + 9]
    assert second["spans"]["laterality"] == [l_at, l_at + 1]
    assert second["spans"]["site"] == [l_at + 2, l_at + 9]
    assert first["spans"]["dose"] == second["spans"]["dose"] == [35, 41]
    assert text[35:41] == "250 mg"


def test_spans_are_offsets_in_the_whole_note_after_windowing(monkeypatch, nlp):
    from auditor import core

    monkeypatch.setattr(core, "WINDOW_CHARS", 80)
    text = "Intro line.\n\n" + "Filler words here.\n" * 6 + "\nToradol 60 mg IM given in R glut."
    result = core.extract(nlp, text)
    (event,) = result["events"]
    assert _span_texts(text, event) == {
        "medication": "Toradol",
        "dose": "60 mg",
        "route": "IM",
        "site": "glut",
        "laterality": "R",
    }


FLUID_AMOUNTS = yaml.safe_load(
    (Path(__file__).parent / "cases" / "fluid_amounts.yaml").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("case", FLUID_AMOUNTS, ids=[c["name"] for c in FLUID_AMOUNTS])
def test_fluid_amount(case):
    """``attributes.fluid_amount`` on each row's first amount (tests/cases/fluid_amounts.yaml)."""
    from auditor.extraction.attributes import fluid_amount
    from auditor.extraction.rules import RULE_FILES, ExtractionRules

    rules = ExtractionRules({name: load_patterns().files[name] for name in RULE_FILES})
    text = case["text"]
    amount = rules.doses.find_all(text)[0]
    assert fluid_amount(text, amount.end, rules) is case["fluid"]
