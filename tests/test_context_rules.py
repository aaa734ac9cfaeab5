"""ConText rules on CONDITION targets, the NegEx benchmark's scoring, and the guarantee that
rules added for conditions leave DRUG/INJECTION mentions alone.

The sentences below are written for this test (none is from the NegEx test set).
"""

from __future__ import annotations

import csv
import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from spacy.tokens import Span

from benchmarks.condition_context import condition_context, condition_rules

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "negex_context_sample.jsonl"
COND = ["CONDITION"]

# (sentence, condition in the sentence, negated, historical); None = not asserted
CASES: list[tuple[str, str, bool | None, bool | None]] = [
    ("Patient denies chest pain or palpitations.", "palpitations", True, False),
    ("No fever, chills, night sweats or unintentional weight loss.", "weight loss", True, False),
    ("Abdomen soft, no tenderness, guarding, rebound or masses.", "masses", True, False),
    ("No recent fevers, chills, sweats, or myalgias.", "myalgias", True, False),
    ("Lungs clear without wheezes.", "wheezes", True, False),
    ("Chest x-ray was negative for pneumothorax.", "pneumothorax", True, False),
    ("Blood cultures were negative.", "blood cultures", True, False),
    ("No evidence of deep venous thrombosis.", "deep venous thrombosis", True, False),
    ("GI ROS is -ve for melena, hematemesis or dysphagia.", "dysphagia", True, False),
    ("The patient reports nausea but no vomiting.", "nausea", False, False),
    ("The patient reports nausea but no vomiting.", "vomiting", True, False),
    ("No fever; cough is productive of green sputum.", "cough", False, False),
    ("Rule out pneumonia.", "pneumonia", False, False),
    ("Microcytic anemia with heme-negative stools.", "anemia", False, False),
    ("There is a small left pleural effusion.", "pleural effusion", False, False),
    ("Left knee pain for two weeks, worse with stairs.", "knee pain", False, False),
    ("No change in the size of the thyroid nodule.", "thyroid nodule", False, False),
    ("Hardware in position without change, the cyst is stable.", "cyst", False, False),
    ("HISTORY OF PRESENT ILLNESS: Cough and fever for three days.", "fever", False, False),
    ("History of myocardial infarction in 2015.", "myocardial infarction", False, True),
    ("Status post appendectomy.", "appendectomy", False, True),
    ("MEDICAL HISTORY: Asthma, type 2 diabetes and hypertension.", "hypertension", False, True),
    ("SOCIAL HISTORY: Former smoker, quit ten years ago.", "smoker", False, True),
    ("She is known to have sickle cell disease.", "sickle cell disease", False, True),
    # 'no' and 'history of' are separate triggers: negated AND historical (NegEx reading)
    ("He has no history of seizures.", "seizures", True, True),
    # a 'no X' trigger must not swallow the condition's first word ('no acute', 'no new')
    ("The patient is in no acute distress.", "acute distress", True, False),
    ("No new lesions are seen.", "new lesions", True, False),
    # a heading's ': no' is a forward 'no'; 'Fever: no.' still looks back
    ("FINDINGS: No pleural effusion is seen.", "pleural effusion", True, False),
    ("Fever: no.", "Fever", True, False),
    # 'resolved' looks back; 'evaluate for' tests, it does not negate
    ("Her rash resolved after two days.", "rash", True, False),
    ("Ultrasound was ordered to evaluate for cholecystitis.", "cholecystitis", False, False),
    # 'no change' is stable, but 'no change in hearing' negates a reported change
    ("Otherwise no change in hearing or balance.", "change in hearing", True, False),
    ("No interval change of the liver cyst.", "liver cyst", False, False),
    # 'not' + a test verb says a test was not done; 'low suspicion for' negates
    ("Old films not available for comparison of the nodule.", "nodule", False, False),
    ("There is low suspicion for pulmonary embolism.", "pulmonary embolism", True, False),
    # drug-event pseudo triggers are not in the condition rules: reactions are negatable
    ("No allergic reaction after the contrast study.", "allergic reaction", True, False),
    # a trigger inside the condition span does not modify it (prune_on_target_overlap)
    ("Throat pink without exudate.", "Throat pink without exudate", False, False),
    # history: duration of a current complaint, test-request headings, history scope ends
    ("She reports a three-day history of productive cough.", "productive cough", False, False),
    ("CLINICAL HISTORY: Shortness of breath.", "Shortness of breath", False, False),
    ("A man with a history of asthma who presents with wheezing.", "asthma", False, True),
    ("A man with a history of asthma who presents with wheezing.", "wheezing", False, False),
    ("History of gastric bypass, with fatigue for a week.", "fatigue", False, False),
    ("Follow-up of her known aortic aneurysm.", "aortic aneurysm", False, True),
    ("Prior cholecystectomy.", "cholecystectomy", False, True),
    ("Prior to arrival she had a syncopal episode.", "syncopal episode", False, False),
    ("The nodule is larger than previously.", "nodule", False, False),
    ("Status post recent hip fracture.", "hip fracture", False, True),
    ("ALLERGIES: Penicillin causes hives.", "hives", False, True),
    ("We do not know the cause of his anemia.", "anemia", False, False),
]

RULE_KEYS = {
    "literal", "category", "pattern", "direction", "allowed_types", "excluded_types",
    "max_scope", "max_targets", "terminated_by", "metadata",
}  # fmt: skip


def test_condition_rules_file_shape():
    """Every rule uses only ConTextRule keywords; every dropped default exists."""
    from medspacy.context import ConTextRule

    spec = condition_rules()
    for rule in spec["context_rules"]:
        assert set(rule) <= RULE_KEYS, rule
        ConTextRule(**rule)
    path = Path(importlib.util.find_spec("medspacy").origin).parents[1]
    defaults = json.loads((path / "resources/en/context_rules.json").read_text())
    literals = {r["literal"].lower() for r in defaults["context_rules"]}
    assert set(spec["drop_default"]) <= literals
    assert set(spec["context_options"]) <= {"terminating_types", "prune_on_target_overlap"}


@pytest.fixture(scope="module")
def project_context(nlp):
    rules = condition_rules()["context_rules"]
    return condition_context(nlp, rules, "test_context")


def modifiers_of(nlp, context, sentence: str, condition: str) -> set[str]:
    doc = nlp.get_pipe("auditor_sentences")(nlp.make_doc(sentence))
    start = sentence.lower().index(condition.lower())
    span = doc.char_span(start, start + len(condition), alignment_mode="expand")
    target = Span(doc, span.start, span.end, label="CONDITION")
    doc.spans["mentions"] = [target]  # condition_context reads the mentions span group
    context(doc)
    return {m.category for m in target._.modifiers}


@pytest.mark.parametrize("sentence,condition,negated,historical", CASES)
def test_condition_context(nlp, project_context, sentence, condition, negated, historical):
    categories = modifiers_of(nlp, project_context, sentence, condition)
    if negated is not None:
        assert ("NEGATED_EXISTENCE" in categories) == negated, categories
    if historical is not None:
        assert ("HISTORICAL" in categories) == historical, categories


def load_benchmark() -> Any:
    spec = importlib.util.spec_from_file_location(
        "negex_context", ROOT / "benchmarks" / "negex_context.py"
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_benchmark_scoring_on_fixture():
    bench = load_benchmark()
    rows = bench.load_rows(FIXTURE)
    scores, predictions = bench.evaluate(rows)
    assert set(scores) == {"project", "default"}
    project = scores["project"]
    assert [project[s]["n"] for s in ("all", "tune", "held_out")] == [5, 2, 3]
    assert project["all"]["found"] == {"exact": 4, "overlap": 1, "missing": 0}
    neg, hist = project["all"]["negation"], project["all"]["historical"]
    assert (neg["tp"], neg["fp"], neg["fn"], neg["tn"]) == (2, 0, 0, 3)
    assert (hist["tp"], hist["fp"], hist["fn"], hist["tn"]) == (1, 0, 0, 4)
    assert neg["f1"] == hist["f1"] == 1.0
    assert predictions["project"][4].target == "Shortness of breath"  # token overlap
    assert project["tune"]["historical"]["tp"] == 1  # id 2 is in the tune half
    assert scores["default"]["all"]["n"] == 5
    table = bench.format_table(scores, "x")
    assert "medspaCy default" in table and "held-out (odd ids)" in table


# --- rules added for conditions must not change what DRUG/INJECTION mentions see ----------


def _added_condition_rules(rules: list[dict[str, Any]]) -> list[int]:
    return [
        i
        for i, r in enumerate(rules)
        if r.get("allowed_types") == COND and r.get("metadata", {}).get("added_in")
    ]


def _drug_view(context, doc) -> set[tuple]:
    """Modifiers that can modify a DRUG target, with their final scopes."""
    doc.spans["mentions"] = []
    context(doc)
    return {
        (m.category, m.direction, *m.modifier_span, *m.scope_span)
        for m in doc._.context_graph.modifiers
        if m.allows("DRUG")
    }


def _texts(rules: list[dict[str, Any]], added: list[int]) -> list[str]:
    texts = [row["text"] for row in csv.DictReader(open(ROOT / "corpora/sample/clinic_notes.csv"))]
    for path in sorted((ROOT / "corpora" / "gold").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in path.read_text().splitlines() if line]
    drug_literals = [r["literal"] for r in rules if r.get("allowed_types") is None]
    for literal in drug_literals:
        texts.append(f"heparin {literal} ketorolac, methylprednisolone or ceftriaxone given")
        texts.append(f"no {literal} heparin, ketorolac or ceftriaxone")
        texts.append(f"Kenalog injected, no {literal}, ketorolac, or ceftriaxone")
    for i in added:
        if "pattern" in rules[i]:
            continue
        words = rules[i]["literal"].split()
        for literal in drug_literals:  # the new phrase overlapping every drug trigger
            other = literal.split()
            for k in range(1, min(len(words), len(other)) + 1):
                if words[-k:] == other[:k]:
                    texts.append(f"heparin {' '.join(words + other[k:])} ketorolac given")
                if other[-k:] == words[:k]:
                    texts.append(f"heparin {' '.join(other + words[k:])} ketorolac given")
    return texts
