"""The one place the spaCy pipeline is built.

``build_pipeline(patterns_dir)`` returns a blank English pipeline (no model download) with:

1. the clinical tokenizer (``tokenizer.py``), registered as ``auditor.clinical_tokenizer.v1``;
2. ``auditor_mentions``: a spaCy SpanRuler holding every lexicon and cue pattern
   (``mentions.py``), writing ``doc.spans["mentions"]``, plus drug names misspelt by one
   letter beside a dose and a given word (``mentions.FuzzyNames``; its settings are saved
   beside the patterns);
3. ``auditor_sentences``: the line-aware sentence splitter (``sentences.py``) with
   ``patterns/sections/sentences.yaml`` rules;
4. ``auditor_sections``: medspaCy's Sectionizer with ``patterns/sections`` rules;
5. ``auditor_context``: medspaCy's ConText with ``patterns/context`` rules, applied to the
   DRUG, INJECTION and ROUTE mentions only;
6. ``auditor_events``: groups mentions into administration events (``events.py``).

Steps 4-6 are skipped for a note with no DRUG, INJECTION or ROUTE mention: such a note has
no event, and skipping is what makes a year of notes fast (step 3, the sentence splitter,
still runs on every note).

Every component is a registered spaCy factory whose only config value is the patterns
folder (``patterns_dir``: a path, or null for the bundled one), so the pipeline is
described by ``nlp.config``. As spaCy means it, every component (2-6) is built
empty and reads its rules in ``initialize()`` (from that folder, or one given to
``initialize``), and saves them with ``to_disk``/``to_bytes``: ``nlp.to_disk(path)`` then
``spacy.load(path)`` (after importing this module, which registers the factories) gives the
same pipeline without the patterns folder, and ``English.from_config(nlp.config)`` then
``initialize()`` rebuilds it from the folder. Values left on a Doc are plain data: events
are dicts in ``doc.user_data["auditor"]``; ConText's targets are a span group while it runs,
and its graph (which holds Spans) and medspaCy's Section objects are dropped once read, so a
Doc round-trips through ``to_bytes``/``from_bytes``.
"""

import bisect
import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import spacy
import srsly
from medspacy.common.util import prune_overlapping_matches
from medspacy.context import ConText, ConTextRule
from medspacy.context import context_modifier as _context_modifier
from medspacy.section_detection import Sectionizer, SectionRule
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.pipeline import SpanRuler
from spacy.tokenizer import Tokenizer
from spacy.tokens import Doc, Span
from spacy.util import ensure_path, make_first_longest_spans_filter, registry

from ..extraction.rules import RULE_FILES
from ..patterns import Patterns, load_patterns
from . import sentences  # noqa: F401  (registers the auditor_sentences factory)
from .component import RuleComponent
from .events import EventExtractor
from .matching import StartIndex, TargetWindows, max_length, plain_first_token
from .mentions import (
    AFTER_UNIT,
    ANCHOR_LABELS,
    GIVEN_AMOUNT,
    MENTIONS_KEY,
    FuzzyNames,
    after_unit_routes,
    dosed_after_names,
    fuzzy_cue_spans,
    fuzzy_settings,
    ruler_patterns,
    split_given_amounts,
)
from .tokenizer import customize_tokenizer, tokenizer_rules

MAX_LENGTH = 2_000_000  # chars; longer notes are audited in windows by auditor.core
TARGETS_KEY = "auditor_targets"  # span group of ConText's targets (the anchors), while it runs
PIPE_NAMES = (
    "auditor_mentions",
    "auditor_sentences",
    "auditor_sections",
    "auditor_context",
    "auditor_events",
)
FUZZY_FILE = "fuzzy.json"  # the mention ruler's fuzzy-name settings (beside its patterns)


def clinical_tokenizer(nlp: Language, rules: dict[str, Any] | None = None) -> Tokenizer:
    """A new spaCy default tokenizer for ``nlp`` with the clinical tweaks of ``rules`` (a
    parsed ``tokenizer/tokenizer.yaml``; None: that of ``$AUDITOR_PATTERNS`` or the bundled
    folder), set as ``nlp.tokenizer`` (``tokenizer.customize_tokenizer``)."""
    nlp.tokenizer = registry.tokenizers.get("spacy.Tokenizer.v1")()(nlp)
    customize_tokenizer(nlp, rules)
    return nlp.tokenizer


@registry.tokenizers("auditor.clinical_tokenizer.v1")
def make_clinical_tokenizer() -> Callable[[Language], Tokenizer]:
    """spaCy's default tokenizer with the clinical tweaks of ``tokenizer.customize_tokenizer``
    (a registered function, so that ``English.from_config(nlp.config)`` rebuilds it), read
    from ``$AUDITOR_PATTERNS`` or the bundled patterns folder (``build_pipeline`` sets those
    of the folder it is given; a saved pipeline restores its own from disk)."""
    return clinical_tokenizer


class SectionsComponent(RuleComponent):
    """medspaCy Sectionizer holding ``sections/section_rules.json`` ``section_rules``."""

    def rules_from(self, patterns: Patterns) -> list[dict[str, Any]]:
        return patterns.sections["section_rules"]

    def load(self, rules: list[dict[str, Any]]) -> None:
        self.rules = rules
        self.sectionizer = Sectionizer(
            self.nlp,
            name=self.name,
            rules=None,
            input_span_type="group",
            span_group_name=MENTIONS_KEY,
        )
        self.sectionizer.add([SectionRule.from_dict(rule) for rule in rules])

    def process(self, doc: Doc) -> Doc:
        return self.sectionizer(doc)


class ContextComponent(RuleComponent):
    """medspaCy ConText holding ``context/context_rules.json`` ``context_rules``, run over
    the anchors only (cue spans are not ConText targets)."""

    def rules_from(self, patterns: Patterns) -> list[dict[str, Any]]:
        return patterns.context["context_rules"]

    def load(self, rules: list[dict[str, Any]]) -> None:
        self.rules = rules
        self.context = context_component(self.nlp, rules, self.name, TARGETS_KEY)

    def process(self, doc: Doc) -> Doc:
        doc.spans[TARGETS_KEY] = [s for s in doc.spans[MENTIONS_KEY] if s.label_ in ANCHOR_LABELS]
        self.context(doc)
        del doc.spans[TARGETS_KEY]
        doc._.context_graph = None  # medspaCy's graph holds Spans: the Doc would not serialize
        return doc


class EventsComponent(RuleComponent):
    """``events.EventExtractor`` holding the rule files of ``extraction.RULE_FILES``."""

    def rules_from(self, patterns: Patterns) -> dict[str, dict[str, Any]]:
        return {name: patterns.files[name] for name in RULE_FILES}

    def load(self, rules: dict[str, dict[str, Any]]) -> None:
        self.rules = rules
        self.extractor = EventExtractor(rules)

    def process(self, doc: Doc) -> Doc:
        doc = self.extractor(doc)
        drop_section_objects(doc)
        return doc


def drop_section_objects(doc: Doc) -> None:
    """Remove medspaCy's Section objects (``doc._.sections``, ``token._.section``) from a
    Doc, in place. The events component has read them (as plain data, ``NoteView``), and
    they do not deserialize (medspaCy 1.3.1 fails on a section without a rule), so a Doc
    that keeps them cannot go through ``to_bytes``/``from_bytes`` (``nlp.pipe(n_process=2)``).
    """
    for key in [k for k in doc.user_data if _is_section_value(k)]:
        del doc.user_data[key]


def _is_section_value(key: Any) -> bool:
    return (
        isinstance(key, tuple)
        and len(key) > 1
        and key[:2] in (("._.", "sections"), ("._.", "section"))
    )


class MentionRuler(SpanRuler):
    """spaCy's SpanRuler holding ``mentions.ruler_patterns`` of a patterns folder, matched on
    LOWER, overlaps resolved first-longest, into ``doc.spans["mentions"]``. Built empty;
    ``initialize()`` reads the folder's patterns; saved and loaded as every SpanRuler
    (``patterns.jsonl``)."""

    def __init__(self, nlp: Language, name: str, patterns_dir: str | None) -> None:
        super().__init__(
            nlp,
            name,
            spans_key=MENTIONS_KEY,
            spans_filter=make_first_longest_spans_filter(),
            phrase_matcher_attr="LOWER",
            validate=False,
            overwrite=True,
        )
        self.patterns_dir = patterns_dir
        self.fuzzy: dict[str, Any] = {}  # mentions.fuzzy_settings (saved as FUZZY_FILE)
        self._fuzzy_names: FuzzyNames | None = None
        self._start_index: StartIndex | None = None  # built from the patterns when first used
        # mentions.dosed_after_names of the patterns, built when first used
        self._dosed_after: dict[str, list[tuple[set[str], str]]] | None = None

    def __call__(self, doc: Doc) -> Doc:
        """The SpanRuler's mentions, plus FUZZY mentions (``mentions.FuzzyNames``)."""
        doc = super().__call__(doc)
        spans = list(doc.spans[MENTIONS_KEY])
        if any(s.id_.endswith(AFTER_UNIT) for s in spans):
            spans = after_unit_routes(doc, spans)
            doc.spans[MENTIONS_KEY] = spans
        if any(s.label_ == GIVEN_AMOUNT for s in spans):
            if self._dosed_after is None:
                self._dosed_after = dosed_after_names(self.patterns)
            doc.spans[MENTIONS_KEY] = split_given_amounts(doc, spans, self._dosed_after)
        if self.fuzzy.get("cues"):
            spans = list(doc.spans[MENTIONS_KEY])
            extra = fuzzy_cue_spans(doc, spans, self.fuzzy["cues"])
            if extra:
                doc.spans[MENTIONS_KEY] = sorted(spans + extra, key=lambda s: (s.start, s.end))
        if self.fuzzy:
            if self._fuzzy_names is None:
                names = {
                    str(p["pattern"]): str(p.get("id"))
                    for p in self.patterns
                    if p["label"] == "DRUG" and isinstance(p["pattern"], str)
                }
                self._fuzzy_names = FuzzyNames(self.fuzzy, names)
            spans = list(doc.spans[MENTIONS_KEY])
            extra = self._fuzzy_names.spans(doc, spans)
            if extra:
                doc.spans[MENTIONS_KEY] = sorted(spans + extra, key=lambda s: (s.start, s.end))
        return doc

    def match(self, doc: Doc) -> list[Any]:
        """The SpanRuler's matches (``SpanRuler.match``: the same Spans, deduplicated and
        sorted), token patterns matched through ``matching.StartIndex``."""
        if self._start_index is None:
            self._start_index = StartIndex(
                self.nlp.vocab,
                [
                    (repr((p["label"], p.get("id", ""))), p["pattern"])
                    for p in self._patterns
                    if isinstance(p["pattern"], list)
                ],
            )
        matches = self._start_index(doc) + list(self.phrase_matcher(doc))
        found = {
            Span(doc, start, end, label=label["label"], span_id=label["id"])
            for m_id, start, end in matches
            if start != end
            for label in (self._match_label_id_map[m_id],)
        }
        return sorted(found)

    def clear(self) -> None:
        self._start_index = None
        self._dosed_after = None
        super().clear()

    def remove(self, label: str) -> None:
        self._start_index = None
        self._dosed_after = None
        super().remove(label)

    def remove_by_id(self, pattern_id: str) -> None:
        self._start_index = None
        self._dosed_after = None
        super().remove_by_id(pattern_id)

    def add_patterns(self, patterns: list[dict[str, Any]]) -> None:
        """Add SpanRuler patterns, token patterns compiled by ``matching.plain_first_token``
        (the same matches, fewer Python calls per token)."""
        self._start_index = None
        self._dosed_after = None
        super().add_patterns(
            [
                {**p, "pattern": alternative}
                for p in patterns
                for alternative in (
                    plain_first_token(p["pattern"])
                    if isinstance(p["pattern"], list)
                    else [p["pattern"]]
                )
            ]
        )

    def _set_fuzzy(self, settings: dict[str, Any]) -> None:
        self.fuzzy = dict(settings)
        self._fuzzy_names = None

    def to_bytes(self, *, exclude: Iterable[str] = ()) -> bytes:
        return srsly.msgpack_dumps(
            {"ruler": super().to_bytes(exclude=exclude), "fuzzy": srsly.json_dumps(self.fuzzy)}
        )

    def from_bytes(self, data: bytes, *, exclude: Iterable[str] = ()) -> "MentionRuler":
        msg = srsly.msgpack_loads(data)
        super().from_bytes(msg["ruler"], exclude=exclude)
        self._set_fuzzy(srsly.json_loads(msg["fuzzy"]))
        return self

    def to_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> None:
        super().to_disk(path, exclude=exclude)
        srsly.write_json(ensure_path(path) / FUZZY_FILE, self.fuzzy)

    def from_disk(self, path: str | Path, *, exclude: Iterable[str] = ()) -> "MentionRuler":
        super().from_disk(path, exclude=exclude)
        fuzzy = ensure_path(path) / FUZZY_FILE
        self._set_fuzzy(srsly.read_json(fuzzy) if fuzzy.exists() else {})
        return self

    def initialize(
        self,
        get_examples: Callable[[], Iterable[Any]] | None = None,
        *,
        nlp: Language | None = None,
        patterns: list[dict[str, Any]] | None = None,
        patterns_dir: str | None = None,
    ) -> None:
        """Load the patterns (``patterns``, else those of ``patterns_dir`` or the config's).

        Raises:
            PatternError: the folder's rule files are missing or invalid.
        """
        loaded = load_patterns(patterns_dir or self.patterns_dir)
        if patterns is None:
            patterns = ruler_patterns(loaded)
        super().initialize(get_examples, nlp=nlp, patterns=patterns)
        self._set_fuzzy(fuzzy_settings(loaded))


def _spans_overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Do token spans ``a`` and ``b`` (start, end) share a token? medspaCy 1.3.1's
    ``util.tuple_overlaps`` misses a span that contains the other, so once a modifier's scope
    was narrowed (by a this-encounter word before it), a terminator whose scope is the whole
    sentence no longer ended it ("FS 190 this am; SSI held since pt had NPH last evening":
    "since" must end the backward scope of "last evening")."""
    return a[0] < b[1] and b[0] < a[1]


# ConTextModifier.limit_scope reads the module-level name: a terminator, or a modifier of a
# category in a rule's terminated_by, now ends the scope whatever was narrowed before it
_context_modifier.tuple_overlaps = _spans_overlap


def context_component(
    nlp: Language, rules: list[dict[str, Any]], name: str, group: str = MENTIONS_KEY
) -> ConText:
    """medspaCy ConText holding ``rules`` (ConTextRule dicts) over the spans of span group
    ``group``, constructed then filled (``ConText(rules=path)`` is avoided: it fails in
    medspaCy 1.3.1)."""
    context = ConText(nlp, name=name, rules=None, input_span_type="group", span_group_name=group)
    # ConTextRule(**rule) rather than from_dict: from_dict rejects the terminated_by key;
    # a token pattern goes in as the patterns ``matching.plain_first_token`` compiles it to
    # (each keeps the rule's lookahead: the split changes only the first token)
    context.add(
        [
            ConTextRule(**_with_lookahead({**rule, "pattern": pattern}))
            for rule in rules
            for pattern in (
                plain_first_token(rule["pattern"])
                if isinstance(rule.get("pattern"), list)
                else [rule.get("pattern")]
            )
        ]
    )
    matcher = context._ConText__matcher  # medspaCy keeps it private; no setter exists
    context._ConText__matcher = RuleOrderMatcher(matcher, group)
    return context


class RuleOrderMatcher:
    """medspaCy's ConText matcher with overlapping modifiers pruned as medspaCy prunes them
    (the longer span wins) but a tie between two rules on the same words decided by the rule
    files: a token pattern before a literal, then the rule written first.

    medspaCy leaves such a tie ("remains on": HOME_MEDICATION and STANDING) to the order its
    matchers return matches in, and its PhraseMatcher orders them by a hash of rule ids
    numbered in order of addition, so any rule added or compiled into several patterns
    (``matching.plain_first_token``) could silently flip the category of another rule's words.

    Args:
        inner: the ``MedspacyMatcher`` ConText built (its pruning is turned off here).

    Calling it with a Doc returns ``(match_id, start, end)`` tuples, pruned.
    """

    def __init__(self, inner: Any, targets_key: str | None = None) -> None:
        self._inner = inner
        inner._prune = False
        self._order: dict[int, tuple[int, int]] = {}
        self.targets_key = targets_key
        self.windowed = targets_key is not None  # False: match the whole Doc (tests compare)
        self._windows: tuple[int, TargetWindows | None] = (-1, None)

    def __getattr__(self, name: str) -> Any:  # rule_map, rules, labels: medspaCy's own
        return getattr(self._inner, name)

    def _rank(self, vocab: Any, match_id: int) -> tuple[int, int]:
        rank = self._order.get(match_id)
        if rank is None:
            rule_id = vocab.strings[match_id]
            rule = self._inner.rule_map[rule_id]
            # medspaCy numbers rule ids in order of addition: "<CATEGORY>_<n>"
            rank = (0 if isinstance(rule.pattern, list) else 1, int(rule_id.rsplit("_", 1)[1]))
            self._order[match_id] = rank
        return rank

    def target_windows(self) -> TargetWindows | None:
        """The rules as ``matching.TargetWindows`` (built once per rule set), or None when a
        rule is a regular expression over the text (medspaCy's RegexMatcher: its matches are
        not token patterns, so the whole Doc is matched)."""
        rules = self._inner.rule_map
        if self._windows[0] == len(rules):
            return self._windows[1]
        windows = None
        if not any(isinstance(rule.pattern, str) for rule in rules.values()):
            vocab = self._inner._MedspacyMatcher__matcher.vocab
            # the patterns were checked when medSpaCy's own Matcher took them
            bounded, unbounded = Matcher(vocab, validate=False), Matcher(vocab, validate=False)
            plain: list[tuple[str, list[dict[str, Any]]]] = []  # bounded, no callback
            reach = 1
            for rule_id, rule in rules.items():
                if isinstance(rule.pattern, list):
                    longest = max_length(rule.pattern)
                    if longest == math.inf:
                        unbounded.add(rule_id, [rule.pattern], on_match=rule.on_match)
                    elif rule.on_match is None:
                        plain.append((rule_id, rule.pattern))
                        reach = max(reach, int(longest))
                    else:
                        bounded.add(rule_id, [rule.pattern], on_match=rule.on_match)
                        reach = max(reach, int(longest))
                elif rule.pattern is None:
                    reach = max(reach, len(self._inner.nlp(rule.literal.lower())))
            phrases = self._inner._MedspacyMatcher__phrase_matcher
            windows = TargetWindows(
                *(m if len(m) else None for m in (bounded, unbounded, phrases)),
                reach,
                StartIndex(vocab, plain, validate=False) if plain else None,
            )
        self._windows = (len(rules), windows)
        return windows

    def __call__(self, doc: Doc) -> list[tuple[int, int, int]]:
        windows = self.target_windows() if self.windowed else None
        if windows is None or self.targets_key not in doc.spans:
            matches = self._inner(doc)
            regions = None
        else:
            matches, regions = windows.matches(doc, doc.spans[self.targets_key])
        matches.sort(key=lambda m: (m[1], m[2], self._rank(doc.vocab, m[0])))
        pruned = prune_overlapping_matches(matches)
        if regions is None:
            return pruned
        # a modifier that starts in a sentence holding no target modifies no target
        # (``matching.TargetWindows``)
        starts = [a for a, _ in regions]
        return [
            m
            for m in pruned
            if (i := bisect.bisect_right(starts, m[1]) - 1) >= 0 and m[1] < regions[i][1]
        ]


def _with_lookahead(rule: dict[str, Any]) -> dict[str, Any]:
    """``rule`` with an ``on_match`` callback when its ``metadata`` names ``lookahead_tokens``
    N: the pattern's last N tokens must match but are not part of the modifier's span (a
    lookahead), so that a terminator such as ", <a new subject>" ends a scope before the
    subject, which stays in the scope of a cue after it ("..., SSI held"); or
    ``lookbehind_tokens`` M: the pattern's first M tokens must match but are not part of the
    span (a lookbehind), so that a terminator written after a cue's own word ("SOTALOL 80MG
    BID, K AND MG GIVEN": the comma after the frequency) does not overlap that word."""
    metadata = rule.get("metadata") or {}
    n = int(metadata.get("lookahead_tokens", 0))
    b = int(metadata.get("lookbehind_tokens", 0))
    if n <= 0 and b <= 0:
        return rule

    def on_match(matcher: Any, doc: Doc, i: int, matches: list[tuple[int, int, int]]) -> None:
        key, start, end = matches[i]
        start = min(start + b, end - 1)
        matches[i] = (key, start, max(start + 1, end - n))

    return {**rule, "on_match": on_match}


def _rule_factory(factory: str, component: type) -> Callable[[Language, str, str | None], Any]:
    """Register spaCy factory ``factory`` of a rule component built as
    ``component(nlp, name, patterns_dir)`` (config ``patterns_dir``, default None: the
    bundled rules); returns the factory function (``pyproject.toml`` entry points name it)."""

    def make(nlp: Language, name: str, patterns_dir: str | None) -> Any:
        return component(nlp, name, patterns_dir)

    make.__name__ = make.__qualname__ = f"make_{factory.removeprefix('auditor_')}"
    return Language.factory(factory, default_config={"patterns_dir": None}, func=make)


make_mentions = _rule_factory("auditor_mentions", MentionRuler)
make_sections = _rule_factory("auditor_sections", SectionsComponent)
make_context = _rule_factory("auditor_context", ContextComponent)
make_events = _rule_factory("auditor_events", EventsComponent)


def build_pipeline(patterns_dir: str | None = None) -> Language:
    """Build the audit pipeline from one patterns folder.

    Args:
        patterns_dir: folder of rule files (default: the bundled ``patterns/``).

    Returns:
        A ``spacy.Language`` (see the module docstring). After ``nlp(text)``,
        ``doc.user_data["auditor"]`` holds the plain-data extraction (see
        ``events.EventExtractor``); it is absent for notes with no DRUG, INJECTION or
        ROUTE mention.

    Raises:
        PatternError: a rule file is missing or invalid.
    """
    patterns = load_patterns(patterns_dir)
    root = str(patterns.root)
    nlp = spacy.blank(
        "en", config={"nlp": {"tokenizer": {"@tokenizers": "auditor.clinical_tokenizer.v1"}}}
    )
    if patterns.tokenizer != tokenizer_rules():  # another folder's tokenizer rules
        clinical_tokenizer(nlp, patterns.tokenizer)
    nlp.max_length = MAX_LENGTH
    for name in PIPE_NAMES:
        nlp.add_pipe(name, config={"patterns_dir": root})
    nlp.initialize()
    return nlp
