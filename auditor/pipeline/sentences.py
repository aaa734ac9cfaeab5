"""A fast rule-based sentence splitter for clinical notes.

Lines are sentences (notes are line-oriented: headings, bullets, MAR rows, field: value
templates), except that a hard-wrapped line continues when it ends without punctuation and
the next line starts in lower case and is not a body-system heading ("r-weaned ...", "cv: ...",
"gi->..."), or when it ends in a word that cannot end a sentence. Inside a line, ``.``,
``!``, ``?`` and ``;`` end a sentence (a period after a drug abbreviation followed by a word,
"reg. insulin", does not, nor does one after an amount's unit right before a drug's name, "pushed
3 mg. dilaudid"), and so does a temperature's unit ("T 98.6 F. Dexamethasone"); a
capitalised field label inside a line ("... 1 mL Route: IM Site: deltoid") starts one, so
that an export that flattened a form onto one line keeps its fields apart.
The scope of every ConText modifier is one of these sentences.

Boundaries are written once as an array, and ``doc.sents`` / ``Span.sent`` are served from
a precomputed index through spaCy's user hooks: spaCy's own lookups re-scan the whole Doc
on every call, which made ConText quadratic in note length.
"""

import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

from ..patterns import Patterns
from .component import RuleComponent
from .mentions import MENTIONS_KEY


@dataclass(frozen=True)
class SentenceRules:
    """The splitter's rules, read from ``patterns/sections/sentences.yaml`` (see that file
    for what each one means and why).

    Attributes:
        end_tokens: tokens that end a sentence inside a line.
        min_line_chars: a shorter line is never wrapped prose (characters).
        dangling: lower-case words after which a line continues on the next one.
        heading_line: matches a line opening with a body-system heading and its mark.
        drug_abbreviations, route_abbreviations: lower-case words whose period does not end
            a sentence before a word on the same line.
        route_continuations: capitalised words that go on after a route abbreviation's period
            ("i.m. M. deltoideus links": the muscle's abbreviation).
        dose_units: lower-case dose units whose period after a number does not end a sentence
            before a drug's name on the same line ("pushed 3 mg. dilaudid at noon").
        temperature_units: unit tokens that end a sentence right after a number.
        label_words: most words of a field label before its colon.
        label_joiners: lower-case second words of a two-word field label.
    """

    end_tokens: frozenset[str]
    min_line_chars: int
    dangling: frozenset[str]
    heading_line: re.Pattern[str]
    drug_abbreviations: frozenset[str]
    route_abbreviations: frozenset[str]
    route_continuations: frozenset[str]
    dose_units: frozenset[str]
    temperature_units: frozenset[str]
    label_words: int
    label_joiners: frozenset[str]

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "SentenceRules":
        """Build from the parsed pattern file (a dict as in ``sentences.yaml``)."""
        wrap, periods, labels = data["wrap"], data["abbreviation_periods"], data["field_labels"]
        headings = "|".join(
            re.escape(w) for w in sorted(wrap["body_system_headings"], key=len, reverse=True)
        )
        return cls(
            end_tokens=frozenset(data["end_tokens"]),
            min_line_chars=wrap["min_line_chars"],
            dangling=frozenset(w.lower() for w in wrap["dangling_words"]),
            heading_line=re.compile(rf"(?i)[ \t]*(?:{headings})[ \t]*{wrap['heading_mark']}"),
            drug_abbreviations=frozenset(w.lower() for w in periods["drug_abbreviations"]),
            route_abbreviations=frozenset(w.lower() for w in periods["route_abbreviations"]),
            route_continuations=frozenset(
                w.lower() for w in periods.get("route_continuations", ())
            ),
            dose_units=frozenset(w.lower() for w in periods.get("dose_units", ())),
            temperature_units=frozenset(data["temperature_units"]),
            label_words=labels["max_words"],
            label_joiners=frozenset(labels["joiners"]),
        )


def _drug_spans(doc: Doc) -> dict[int, int]:
    """Start token -> end token of each DRUG mention of ``doc.spans["mentions"]`` (the mention
    ruler runs before the splitter); empty when the Doc has no mentions."""
    if MENTIONS_KEY not in doc.spans:
        return {}
    return {s.start: s.end for s in doc.spans[MENTIONS_KEY] if s.label_ == "DRUG"}


def _unit_period(doc: Doc, i: int, rules: SentenceRules, drugs: dict[int, int]) -> bool:
    """Is the period at token ``i`` the abbreviation point of a dose unit written after a number
    ("3 mg.", "60meq.") with a drug's name next on the same line that has no amount of its own
    right after it and is not capitalised as a sentence's first word ("pushed 3 mg. dilaudid at
    noon", "replaced with 60meq. KCL over two doses")? Such a period does not end the sentence:
    the amount is the drug's. A unit before any other word ("acetaminophen 1 gm. pt asleep"),
    before a capitalised name ("covered with 3 units. Lasix ...") or before a drug with its own
    amount ("3 units. LASIX 40 MG") still ends it."""
    end = drugs.get(i + 1)
    if end is None or i < 2 or doc[i].text != "." or "\n" in doc[i].whitespace_:
        return False
    if doc[i - 1].lower_ not in rules.dose_units or not doc[i - 2].like_num:
        return False
    if doc[i + 1].is_title and not doc[i + 1].is_upper:
        return False
    return end >= len(doc) or not doc[end].like_num


def _starts(doc: Doc, rules: SentenceRules) -> list[int]:
    """Token indices that start a sentence (always includes 0)."""
    text = doc.text
    drugs = _drug_spans(doc) if rules.dose_units else {}
    starts = [0]
    line_start = 0
    previous_break = False
    for token in doc:
        if previous_break and token.i:
            starts.append(token.i)
        elif token.text == ":" and (label := _label_start(doc, token.i, rules)) > starts[-1]:
            starts.append(label)
        previous_break = False
        if token.is_space and "\n" in token.text:
            line = text[line_start : token.idx].rstrip()
            line_start = token.idx + len(token.text)
            nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
            wrapped = (
                token.text.count("\n") == 1
                and len(line) >= rules.min_line_chars
                and line[-1:] not in ".:;!?|"
                and "\t" not in line
                and line.count("|") < 2
                and nxt is not None
                and (nxt.text[:1].islower() or line.rsplit(None, 1)[-1].lower() in rules.dangling)
                and not rules.heading_line.match(text, line_start)
            )
            previous_break = not wrapped
        elif token.text in rules.end_tokens or (token.is_punct and token.text[-1:] == "."):
            previous_break = not (
                token.text == "."
                and token.i
                and token.i + 1 < len(doc)
                and not token.whitespace_.count("\n")
                and (
                    doc[token.i + 1].is_alpha
                    and (
                        doc[token.i - 1].lower_ in rules.drug_abbreviations
                        or (
                            doc[token.i - 1].lower_ in rules.route_abbreviations
                            and doc[token.i + 1].text[:1].islower()
                        )
                    )
                    or (
                        doc[token.i - 1].lower_ in rules.route_abbreviations
                        and doc[token.i + 1].lower_ in rules.route_continuations
                    )
                )
            ) and not (_comma_continues(doc, token.i) or _unit_period(doc, token.i, rules, drugs))
        elif token.text in rules.temperature_units and token.i and doc[token.i - 1].like_num:
            previous_break = token.i + 1 < len(doc) and doc[token.i + 1].text[:1].isupper()
    return starts


def _label_start(doc: Doc, colon: int, rules: SentenceRules) -> int:
    """Index of the first word of a field label ending at the colon at ``colon`` inside a
    line: a capitalised word right before the colon ("1 mL Route:", "HR 88 NEURO:"), or a
    title-case word and one of ``rules.label_joiners`` ("Given by:"), hyphenated parts counting
    as one ("Post-injection:"). 0 when there is none, when the label opens the line (a sentence
    starts there anyway), or when a capitalised word comes right before it ("CURRENT
    MEDICATIONS:", "Lot Number:": a heading of several words, or a word whose label it
    may be). A capital word further from the colon is no label: in "120 mg SC held today:"
    the colon explains the hold."""
    i, words = colon - 1, 0
    while i > 0 and words < rules.label_words and (doc[i].is_alpha or doc[i].text == "-"):
        token = doc[i]
        if token.text == "-" or (doc[i - 1].text == "-" and not doc[i - 1].whitespace_):
            i -= 1  # the hyphen and the part after it belong to the word before
            continue
        words += 1
        if token.is_title or (token.is_upper and words == 1):
            before = doc[i - 1]
            heading = before.is_alpha and (before.is_title or before.is_upper)
            return 0 if heading or "\n" in before.text or "\n" in before.whitespace_ else i
        if not (token.is_lower and token.lower_ in rules.label_joiners):
            return 0
        i -= 1
    return 0


def _comma_continues(doc: Doc, i: int) -> bool:
    """Is the period at token ``i`` inside a sentence: followed at once by a comma and a
    lower-case word ("Plavix, Lovenox, etc., and transferred")? MTSamples joins sections with
    ".," before a capital heading (".,PHYSICAL EXAMINATION:") and list items before a number
    (".,2."): those still end the sentence."""
    if doc[i].text != "." or doc[i].whitespace_ or i + 2 >= len(doc):
        return False
    comma, word = doc[i + 1], doc[i + 2]
    return comma.text == "," and word.is_alpha and word.text[:1].islower()


class ClinicalSentencizer:
    """Sets sentence starts on a Doc and installs O(1) sentence lookups (see module doc).

    Args:
        rules: the splitter's rules (``SentenceRules.from_dict`` of ``sentences.yaml``).
    """

    def __init__(self, rules: SentenceRules) -> None:
        self.rules = rules

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        starts = _starts(doc, self.rules)
        values = numpy.full(len(doc), -1, dtype="int32")
        values[starts] = 1
        doc.from_array([SENT_START], values.reshape(-1, 1).astype("uint64"))
        sents = [Span(doc, s, e) for s, e in zip(starts, starts[1:] + [len(doc)], strict=True)]

        def sent_of(span: Span) -> Span:
            return sents[bisect_right(starts, span.start) - 1]

        doc.user_hooks["sents"] = lambda _doc: iter(sents)
        doc.user_span_hooks["sent"] = sent_of
        doc.user_token_hooks["sent"] = lambda token: sents[bisect_right(starts, token.i) - 1]
        return doc


class SentencesComponent(RuleComponent):
    """``ClinicalSentencizer`` holding ``sections/sentences.yaml``. Unlike the
    other rule components it runs on every Doc, anchor or not (``build.py`` module docstring)."""

    def rules_from(self, patterns: Patterns) -> dict[str, Any]:
        return patterns.sentences

    def load(self, rules: dict[str, Any]) -> None:
        self.rules = rules
        self.sentencizer = ClinicalSentencizer(SentenceRules.from_dict(rules))

    def __call__(self, doc: Doc) -> Doc:
        if self.rules is None:
            raise ValueError(f"{self.name} has no rules: call nlp.initialize() first")
        return self.sentencizer(doc)


@Language.factory("auditor_sentences", default_config={"patterns_dir": None})
def make_sentences(nlp: Language, name: str, patterns_dir: str | None) -> SentencesComponent:
    """The ``auditor_sentences`` factory (config ``patterns_dir``: the rules folder, None for
    the bundled one)."""
    return SentencesComponent(nlp, name, patterns_dir)
