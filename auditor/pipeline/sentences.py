"""A fast rule-based sentence splitter for clinical notes.

Lines are sentences (notes are line-oriented: headings, bullets, MAR rows, field: value
templates), except that a hard-wrapped line continues when it ends without punctuation and
the next line starts in lower case and is not a body-system heading ("r-weaned ...", "cv: ...",
"gi->..."), or when it ends in a word that cannot end a sentence. Inside a line, ``.``,
``!``, ``?`` and ``;`` end a sentence (a period after a drug abbreviation followed by a word,
"reg. insulin", does not), and so does a temperature's unit ("T 98.6 F. Dexamethasone"); a
capitalised field label inside a line ("... 1 mL Route: IM Site: deltoid") starts one, so
that an export that flattened a form onto one line keeps its fields apart.
The scope of every ConText modifier is one of these sentences.

Boundaries are written once as an array, and ``doc.sents`` / ``Span.sent`` are served from
a precomputed index through spaCy's user hooks: spaCy's own lookups re-scan the whole Doc
on every call, which made ConText quadratic in note length.
"""

import re
from bisect import bisect_right

import numpy
from spacy.attrs import SENT_START
from spacy.language import Language
from spacy.tokens import Doc, Span

SENTENCE_END = {".", "!", "?", ";"}
WRAP_MIN_LINE = 40  # chars: shorter lines are headings or list items, never wrapped prose
# a line ending in one of these words cannot end a sentence: the next line continues it
DANGLING = {
    "the",
    "a",
    "an",
    "in",
    "into",
    "to",
    "of",
    "and",
    "or",
    "with",
    "for",
    "by",
    "at",
    "on",
    "per",
    "under",
    "from",
    "as",
    "than",
    "was",
    "were",
    "is",
    "are",
    "be",
    "given",
}


# a line starting with one of these body-system headings of nursing shorthand, then "-", "->",
# ":", "=" or ";" ("r-weaned to psv", "cv-remains in nsr", "gi/gu: ..."), starts a new sentence
# even in lower case after a long line with no end punctuation (it is the next system's entry)
HEADING_LINE = re.compile(
    r"(?i)[ \t]*(?:n|neuro|r|resp|pulm|cv|c/v|gi|gu|gi/gu|id|skin|integ|heme|endo|f/e|fen|renal|"
    r"social|soc|dispo|access|lines?|labs?|a|p|a/p|s|o|ms|pain|comfort|psych|activity)"
    r"[ \t]*(?:-+>?|:|=|;)"
)


# a period after one of these drug abbreviations does not end a sentence when a word follows on
# the same line ("re'd 12 units reg. insulin sc": the route is the insulin's)
ABBREVIATIONS = {"reg", "vit", "ins"}
# the same for a route abbreviation followed by a lower-case word ("placed on Subq. heparin")
ROUTE_ABBREVIATIONS = {"subq", "subcu", "sq", "sc"}
TEMPERATURE_UNITS = {"F.", "C."}  # one token after a number: "98.6 F." ends a sentence
LABEL_WORDS = 2  # words of a field label before its colon ("Given by:", "Post-injection:")
# the lower-case second word of a two-word field label ("Given by:", "Time of:", "Lot no:")
LABEL_JOINERS = {"by", "of", "at", "to", "for", "in", "on", "no", "#"}


@Language.factory("auditor_sentences", default_config={})
def make_sentences(nlp: Language, name: str) -> "ClinicalSentencizer":
    return ClinicalSentencizer()


def _starts(doc: Doc) -> list[int]:
    """Token indices that start a sentence (always includes 0)."""
    text = doc.text
    starts = [0]
    line_start = 0
    previous_break = False
    for token in doc:
        if previous_break and token.i:
            starts.append(token.i)
        elif token.text == ":" and (label := _label_start(doc, token.i)) > starts[-1]:
            starts.append(label)
        previous_break = False
        if token.is_space and "\n" in token.text:
            line = text[line_start : token.idx].rstrip()
            line_start = token.idx + len(token.text)
            nxt = doc[token.i + 1] if token.i + 1 < len(doc) else None
            wrapped = (
                token.text.count("\n") == 1
                and len(line) >= WRAP_MIN_LINE
                and line[-1:] not in ".:;!?|"
                and "\t" not in line
                and line.count("|") < 2
                and nxt is not None
                and (nxt.text[:1].islower() or line.rsplit(None, 1)[-1].lower() in DANGLING)
                and not HEADING_LINE.match(text, line_start)
            )
            previous_break = not wrapped
        elif token.text in SENTENCE_END or (token.is_punct and token.text[-1:] == "."):
            previous_break = not (
                token.text == "."
                and token.i
                and token.i + 1 < len(doc)
                and doc[token.i + 1].is_alpha
                and not token.whitespace_.count("\n")
                and (
                    doc[token.i - 1].lower_ in ABBREVIATIONS
                    or (
                        doc[token.i - 1].lower_ in ROUTE_ABBREVIATIONS
                        and doc[token.i + 1].text[:1].islower()
                    )
                )
            ) and not _comma_continues(doc, token.i)
        elif token.text in TEMPERATURE_UNITS and token.i and doc[token.i - 1].like_num:
            previous_break = token.i + 1 < len(doc) and doc[token.i + 1].text[:1].isupper()
    return starts


def _label_start(doc: Doc, colon: int) -> int:
    """Index of the first word of a field label ending at the colon at ``colon`` inside a
    line: a capitalised word right before the colon ("1 mL Route:", "HR 88 NEURO:"), or a
    title-case word and one of ``LABEL_JOINERS`` ("Given by:"), hyphenated parts counting
    as one ("Post-injection:"). 0 when there is none, when the label opens the line (a sentence
    starts there anyway), or when a capitalised word comes right before it ("CURRENT
    MEDICATIONS:", "Lot Number:": a heading of several words, or a word whose label it
    may be). A capital word further from the colon is no label: in "120 mg SC held today:"
    the colon explains the hold."""
    i, words = colon - 1, 0
    while i > 0 and words < LABEL_WORDS and (doc[i].is_alpha or doc[i].text == "-"):
        token = doc[i]
        if token.text == "-" or (doc[i - 1].text == "-" and not doc[i - 1].whitespace_):
            i -= 1  # the hyphen and the part after it belong to the word before
            continue
        words += 1
        if token.is_title or (token.is_upper and words == 1):
            before = doc[i - 1]
            heading = before.is_alpha and (before.is_title or before.is_upper)
            return 0 if heading or "\n" in before.text or "\n" in before.whitespace_ else i
        if not (token.is_lower and token.lower_ in LABEL_JOINERS):
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
    """Sets sentence starts on a Doc and installs O(1) sentence lookups (see module doc)."""

    def __call__(self, doc: Doc) -> Doc:
        if not len(doc):
            return doc
        starts = _starts(doc)
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
