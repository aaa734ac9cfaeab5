"""The sentence splitter reads its rules from ``patterns/sections/sentences.yaml``: a rule
change there changes the split with no code change."""

import copy

import pytest
import spacy

from auditor.patterns import load_patterns
from auditor.pipeline.sentences import ClinicalSentencizer, SentenceRules

WRAPPED = "Patient seen today for her monthly visit and she was given\nKenalog 40 mg IM today."


@pytest.fixture(scope="module")
def blank():
    return spacy.blank(
        "en", config={"nlp": {"tokenizer": {"@tokenizers": "auditor.clinical_tokenizer.v1"}}}
    )


def sentences(blank, rules: dict, text: str) -> list[str]:
    doc = ClinicalSentencizer(SentenceRules.from_dict(rules))(blank.make_doc(text))
    return [s.text.strip() for s in doc.sents]


def test_a_dangling_word_joins_the_next_line(blank):
    rules = load_patterns().sentences
    assert sentences(blank, rules, WRAPPED) == [WRAPPED]


def test_the_rule_file_decides_the_split(blank):
    rules = copy.deepcopy(load_patterns().sentences)
    rules["wrap"]["dangling_words"].remove("given")
    assert sentences(blank, rules, WRAPPED) == [
        "Patient seen today for her monthly visit and she was given",
        "Kenalog 40 mg IM today.",
    ]


def test_body_system_headings_start_a_sentence(blank):
    text = "pt resting comfortably overnight with no new complaints noted\ncv- nsr 80s"
    rules = load_patterns().sentences
    assert len(sentences(blank, rules, text)) == 2
    rules = copy.deepcopy(rules)
    rules["wrap"]["body_system_headings"].remove("cv")
    assert len(sentences(blank, rules, text)) == 1
