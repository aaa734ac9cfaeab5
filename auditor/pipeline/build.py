"""The one place the spaCy pipeline is built.

``build_pipeline(patterns_dir)`` returns a blank English pipeline (no model download) with:

1. the clinical tokenizer tweaks (``tokenizer.py``);
2. ``auditor_mentions``: a spaCy SpanRuler holding every lexicon and cue pattern
   (``mentions.py``), writing ``doc.spans["mentions"]``;
3. ``auditor_sentences``: the line-aware sentence splitter (``sentences.py``);
4. ``auditor_sections``: medspaCy's Sectionizer with ``patterns/sections`` rules;
5. ``auditor_context``: medspaCy's ConText with ``patterns/context`` rules, applied to the
   DRUG and INJECTION mentions only;
6. ``auditor_events``: groups mentions into administration events (``events.py``).

Steps 4-6 are skipped for a note with no DRUG, INJECTION or ROUTE mention: such a note has
no event, and skipping is what makes a year of notes fast (step 3, the sentence splitter,
still runs on every note). Components are spaCy factories
whose only config value is the patterns folder, so the pipeline is described by its config.
"""

from typing import Any

import spacy
from medspacy.context import ConText, ConTextRule
from medspacy.section_detection import Sectionizer, SectionRule
from spacy.language import Language
from spacy.tokens import Doc

from ..patterns import load_patterns
from . import sentences  # noqa: F401  (registers the auditor_sentences factory)
from .events import EventExtractor
from .mentions import ANCHOR_LABELS, MENTIONS_KEY, ruler_patterns
from .tokenizer import customize_tokenizer

MAX_LENGTH = 2_000_000  # chars; longer notes are audited in windows by auditor.core

if not Doc.has_extension("auditor_targets"):
    Doc.set_extension("auditor_targets", default=())


def has_anchor(doc: Doc) -> bool:
    """True when the Doc has a DRUG, INJECTION or ROUTE mention (worth the full pipeline)."""
    return any(span.label_ in ANCHOR_LABELS for span in doc.spans.get(MENTIONS_KEY, ()))


class Gated:
    """Runs ``component`` only on Docs that ``has_anchor``; other Docs pass through."""

    def __init__(self, component: Any) -> None:
        self.component = component

    def __call__(self, doc: Doc) -> Doc:
        return self.component(doc) if has_anchor(doc) else doc


class GatedContext(Gated):
    """medspaCy ConText over the anchors only (cue spans are not ConText targets)."""

    def __call__(self, doc: Doc) -> Doc:
        if not has_anchor(doc):
            return doc
        doc._.auditor_targets = tuple(
            s for s in doc.spans[MENTIONS_KEY] if s.label_ in ANCHOR_LABELS
        )
        return self.component(doc, targets="auditor_targets")


def context_component(nlp: Language, rules: list[dict[str, Any]], name: str) -> ConText:
    """medspaCy ConText holding ``rules`` (ConTextRule dicts), constructed then filled
    (``ConText(rules=path)`` is avoided: it fails in medspaCy 1.3.1)."""
    context = ConText(
        nlp, name=name, rules=None, input_span_type="group", span_group_name=MENTIONS_KEY
    )
    # ConTextRule(**rule) rather than from_dict: from_dict rejects the terminated_by key
    context.add([ConTextRule(**rule) for rule in rules])
    return context


@Language.factory("auditor_sections", default_config={"patterns_dir": None})
def make_sections(nlp: Language, name: str, patterns_dir: str | None) -> Gated:
    rules = load_patterns(patterns_dir).sections["section_rules"]
    sectionizer = Sectionizer(
        nlp, name=name, rules=None, input_span_type="group", span_group_name=MENTIONS_KEY
    )
    sectionizer.add([SectionRule.from_dict(rule) for rule in rules])
    return Gated(sectionizer)


@Language.factory("auditor_context", default_config={"patterns_dir": None})
def make_context(nlp: Language, name: str, patterns_dir: str | None) -> GatedContext:
    rules = load_patterns(patterns_dir).context["context_rules"]
    return GatedContext(context_component(nlp, rules, name))


@Language.factory("auditor_events", default_config={"patterns_dir": None})
def make_events(nlp: Language, name: str, patterns_dir: str | None) -> Gated:
    return Gated(EventExtractor.from_patterns(load_patterns(patterns_dir)))


def build_pipeline(patterns_dir: str | None = None) -> Language:
    """Build the audit pipeline from one patterns folder.

    Args:
        patterns_dir: folder of rule files (default: the bundled ``patterns/``).

    Returns:
        A ``spacy.Language``. After ``nlp(text)``, ``doc.user_data["auditor"]`` holds the
        plain-data extraction (see ``events.EventExtractor``); it is absent for notes
        with no DRUG or INJECTION mention.

    Raises:
        PatternError: a rule file is missing or invalid.
    """
    patterns = load_patterns(patterns_dir)
    root = str(patterns.root)
    nlp = spacy.blank("en")
    nlp.max_length = MAX_LENGTH
    customize_tokenizer(nlp)
    ruler = nlp.add_pipe(
        "span_ruler",
        name="auditor_mentions",
        config={
            "spans_key": MENTIONS_KEY,
            "phrase_matcher_attr": "LOWER",
            "validate": False,
            "overwrite": True,
            "spans_filter": {"@misc": "spacy.first_longest_spans_filter.v1"},
        },
    )
    ruler.add_patterns(ruler_patterns(patterns))
    nlp.add_pipe("auditor_sentences")
    for name in ("auditor_sections", "auditor_context", "auditor_events"):
        nlp.add_pipe(name, config={"patterns_dir": root})
    return nlp
