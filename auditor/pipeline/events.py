"""The spaCy side of event extraction: Doc -> ``NoteView`` -> ``auditor.extraction``.

Runs after the sentence splitter, the Sectionizer and ConText. It copies what the
extractor needs out of the Doc once, as plain data (``auditor.extraction.view``), runs
``auditor.extraction.extract_note`` and stores the result as plain dicts (offsets and
strings, never Spans) in ``doc.user_data["auditor"]``:

``{"events": [event, ...], "not_administered": [generic or None, ...],
"not_given": [{medication, start, end, decided_by}, ...], "evidence": str | None}``

where each event has: medication, medication_text, route, dose_value, dose_unit, site,
laterality, indication, response, provider, evidence, drug_exclusion, start, end (anchor
character offsets into the note), spans (element -> [start, end]) and decided_by (see
``auditor.extraction.event.Event``). Eligibility and gaps are judged later, without
spaCy, by ``auditor.requirements``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence
from typing import Any

from spacy.tokens import Doc, Span

from ..extraction import ExtractionRules, Mention, NoteView, Section, Sentence, extract_note
from ..extraction.rules import RULE_FILES
from ..patterns import Patterns
from .mentions import MENTIONS_KEY


def section_range(doc: Doc, text: str, sec: Any, blank_line: re.Pattern[str]) -> Section:
    """The character range of a medspaCy Section, where it really ends.

    medspaCy runs a section to the next header. In notes a header with text on its own
    line ("Allergies: NKDA.") covers that line only; a header alone on its line covers
    the lines below it up to a blank line (``blank_line``) or the next header.
    """
    start = doc[sec.title_start].idx
    end = doc[sec.body_end - 1].idx + len(doc[sec.body_end - 1]) if sec.body_end > 0 else len(text)
    title_end = (
        doc[sec.title_end - 1].idx + len(doc[sec.title_end - 1]) if sec.title_end > 0 else start
    )
    line_end = text.find("\n", title_end)
    line_end = len(text) if line_end < 0 else line_end
    if text[title_end:line_end].strip():
        return Section(sec.category, start, min(end, line_end))
    blank = blank_line.search(text, line_end + 1)
    return Section(sec.category, start, min(end, blank.start() if blank else len(text)))


def _mention(
    span: Span,
    sent_starts: list[int],
    drugs: Sequence[tuple[int, int]] = (),
    nearest_only: frozenset[str] = frozenset(),
) -> Mention:
    """The plain mention of ``span``, with the categories of its ConText modifiers. A modifier
    of a ``nearest_only`` category (``extraction.yaml`` ``modifiers.nearest_drug_only``) whose
    trigger stands after the span with another drug mention (``drugs``, token ranges) between
    is that nearer drug's ("2mg IVP MSO4 for pain & fentanyl gtt up": the fentanyl's dose
    change, not the morphine's) and is dropped."""
    mods = frozenset(
        m.category
        for m in getattr(span._, "modifiers", ()) or ()
        if not (
            m.category in nearest_only
            and m.modifier_span[0] >= span.end
            and any(span.end <= s and e <= m.modifier_span[0] for s, e in drugs)
        )
    )
    return Mention(
        label=span.label_,
        ident=span.id_,
        start=span.start_char,
        end=span.end_char,
        tok_start=span.start,
        tok_end=span.end,
        text=span.text,
        sent=bisect_right(sent_starts, span.start_char) - 1,
        modifiers=mods,
    )


def note_view(
    doc: Doc, blank_line: re.Pattern[str], nearest_only: frozenset[str] = frozenset()
) -> NoteView:
    """The plain-data view of a Doc (after sentences, sections and ConText); ``nearest_only``:
    the modifier categories a drug between keeps from a later trigger (``_mention``)."""
    text = doc.text  # Doc.text joins every token: read it once
    sents = list(doc.sents)
    sent_starts = [s.start_char for s in sents]
    spans = list(doc.spans[MENTIONS_KEY])
    drugs = [(span.start, span.end) for span in spans if span.label_ == "DRUG"]
    mentions = sorted(
        (_mention(span, sent_starts, drugs, nearest_only) for span in spans),
        key=lambda m: m.start,
    )
    sections = [
        section_range(doc, text, sec, blank_line)
        for sec in getattr(doc._, "sections", [])
        if sec.category
    ]
    return NoteView(
        text=text,
        tokens=[t.lower_ for t in doc],
        sentences=[Sentence(s.start_char, s.end_char, s.start, s.end) for s in sents],
        sections=sections,
        mentions=mentions,
        offsets=[t.idx for t in doc],
    )


class EventExtractor:
    """spaCy component: Doc -> ``doc.user_data["auditor"]`` (see module docstring).

    Args:
        files: the rule files the extractor reads (``extraction.RULE_FILES`` -> parsed
            content), e.g. ``Patterns.files``; they are kept so that ``to_disk`` can save
            them.
    """

    def __init__(self, files: dict[str, dict[str, Any]]) -> None:
        self.files = {name: files[name] for name in RULE_FILES}
        self.rules = ExtractionRules(self.files)

    @classmethod
    def from_patterns(cls, patterns: Patterns) -> EventExtractor:
        """The component for a loaded patterns folder."""
        return cls(patterns.files)

    def __call__(self, doc: Doc) -> Doc:
        view = note_view(doc, self.rules.blank_line, self.rules.nearest_drug_only)
        doc.user_data["auditor"] = extract_note(view, self.rules).to_dict()
        return doc
