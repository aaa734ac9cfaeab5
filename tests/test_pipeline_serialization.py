"""The spaCy pipeline as spaCy means it: registered factories, rules read in initialize(),
saved with to_disk/to_bytes; a saved or config-built pipeline gives the same events on every
team corpus; Docs hold plain data only (they serialize)."""

from __future__ import annotations

import json
import shutil

import pytest
import spacy
from spacy.lang.en import English
from spacy.tokens import Doc

from auditor.core import extract
from auditor.patterns import DEFAULT_PATTERNS_DIR
from auditor.pipeline.build import build_pipeline
from auditor.records import clean_text

from .conftest import TEAM_GOLD

PIPES = ["auditor_mentions", "auditor_sentences", "auditor_sections", "auditor_context"]
PIPES += ["auditor_events"]


@pytest.fixture(scope="module")
def texts():
    assert TEAM_GOLD, "corpora/gold/*.jsonl are part of the repository"
    out = []
    for path in TEAM_GOLD:
        out += [json.loads(line)["text"] for line in path.read_text(encoding="utf-8").splitlines()]
    return [clean_text(t) for t in out]


@pytest.fixture(scope="module")
def expected(nlp, texts):
    found = [extract(nlp, t) for t in texts]
    assert sum(len(f["events"]) for f in found) > 200  # the corpora exercise the extractor
    return found


def test_pipeline_is_described_by_its_config(nlp):
    assert nlp.pipe_names == PIPES
    config = nlp.config
    assert config["nlp"]["tokenizer"] == {"@tokenizers": "auditor.clinical_tokenizer.v1"}
    for name in PIPES:
        assert config["components"][name]["factory"] == name
    # plain config values only: the patterns folder
    assert set(config["components"]["auditor_events"]) == {"factory", "patterns_dir"}


def test_saved_pipeline_loads_without_the_patterns_folder(tmp_path, texts, expected):
    patterns = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS_DIR, patterns)
    built = build_pipeline(str(patterns))
    built.to_disk(tmp_path / "model")
    shutil.rmtree(patterns)  # the saved pipeline carries its own rules
    loaded = spacy.load(tmp_path / "model")
    assert loaded.pipe_names == PIPES
    assert [extract(loaded, t) for t in texts] == expected


def test_pipeline_from_config_and_initialize(nlp, texts, expected):
    fresh = English.from_config(nlp.config)
    with pytest.raises(ValueError, match="auditor_events has no rules"):
        fresh.get_pipe("auditor_events")(fresh.make_doc("Toradol 60 mg IM given."))
    fresh.initialize()
    assert [extract(fresh, t) for t in texts] == expected


def test_pipeline_to_bytes_round_trip(nlp, texts, expected):
    copy = English.from_config(nlp.config).from_bytes(nlp.to_bytes())
    assert [extract(copy, t) for t in texts[:60]] == expected[:60]


def test_initialize_again_keeps_the_rules(nlp, texts, expected):
    fresh = English.from_config(nlp.config)
    fresh.initialize()
    fresh.initialize()  # spaCy's own SpanRuler.initialize would empty the ruler
    assert [extract(fresh, t) for t in texts[:60]] == expected[:60]


def test_docs_hold_plain_data_and_serialize(nlp):
    text = "Offered Toradol 60 mg IM; patient refused.\nB12 1000 mcg IM given in L deltoid."
    doc = nlp(text)
    assert "auditor_targets" not in doc.spans
    assert doc._.context_graph is None
    restored = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert restored.user_data["auditor"] == doc.user_data["auditor"]
    assert [e["medication"] for e in restored.user_data["auditor"]["events"]] == ["cyanocobalamin"]
    assert restored.user_data["auditor"]["not_given"] == [
        {"medication": "ketorolac", "start": 8, "end": 15, "decided_by": "context:HYPOTHETICAL"}
    ]
