"""Segmentation: which words belong to which anchor.

A *segment* is the character range of one anchor's own words in its sentence (from it, or
the sentence start, to the next anchor); a *template block* is the short form-field lines
("Route: IM", "Site: R delt") around a short anchor line that belong to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .rules import ExtractionRules
from .view import Mention, NoteView


@dataclass
class Segment:
    """Character range ``[start, end)`` of one anchor's own words, and the mentions in it."""

    start: int
    end: int
    mentions: list[Mention] = field(default_factory=list)

    def of(self, label: str) -> list[Mention]:
        """Its mentions with ``label``, in text order."""
        return [m for m in self.mentions if m.label == label]


def is_table_row(line: str, rules: ExtractionRules) -> bool:
    """A line with enough "|" or tab separators to be a table row."""
    n = rules.window.table_row_separators
    return line.count("|") >= n or line.count("\t") >= n


def is_field_line(line: str, rules: ExtractionRules) -> bool:
    """Is ``line`` a form field ("Site: R deltoid") whose name is a template field?"""
    m = rules.field_line.match(line)
    return bool(m) and m.group(1).strip().lower().startswith(rules.template_fields)


def is_row(view: NoteView, segment: Segment, rules: ExtractionRules) -> bool:
    """Is the segment's line structured: a table row, or a ``Field:`` line ("Site: R
    deltoid", "Procedure: Hip injection") whose name is not a body-system heading of a
    narrative entry (``extraction.yaml`` ``words.system_headings``: on "GI/GU: abd soft" or
    "Neuro: R arm twitching" a body part needs a site cue like any narrative one)?"""
    if not segment.mentions:
        return False
    line = view.sentence_text(segment.mentions[0].sent)
    if is_table_row(line, rules):
        return True
    field = rules.field_line.match(line)
    return bool(field) and field.group(1).strip().lower() not in rules.system_headings


def segment_of(
    view: NoteView, a: Mention, anchors: list[Mention], rules: ExtractionRules
) -> Segment:
    """The anchor's own words: from it (or the sentence start) to the next anchor.
    A dose written before the drug ("50 mg of Benadryl") belongs to that drug."""
    text = view.text
    sent = view.sentences[a.sent]
    ms = view.in_sent(a.sent)

    same = [x for x in anchors if x.sent == a.sent]

    def lead_dose(x: Mention) -> int:
        """Characters of a dose written right before ``x`` that is ``x``'s own: "2 cc of
        Triamcinolone"; "40 mEq KCl and 1 g MgSO4" (a bare dose before a drug, unless it is
        the first dose after the drug before it, written "Toradol 60 mg Phenergan"; a list
        joiner alone between, "morphine and 2mg ativan", or a dose of the drug before written
        before it, "300mcg of fentanyl, 1.5mg versed", keeps it ``x``'s)."""
        window = text[max(sent.start, x.start - rules.window.dose_before_chars) : x.start]
        lead = rules.dose_of.search(window)
        if lead:
            return len(lead.group(0))
        bare = rules.dose_lead.search(window)
        if not bare:
            return 0
        i = same.index(x)
        if i == 0:
            return len(bare.group(0))
        prev = same[i - 1]
        lead_start = x.start - len(bare.group(0))
        if rules.doses.find_all(text[prev.end : lead_start]) or any(
            m.label == "ADMIN" and prev.end <= m.start < lead_start for m in ms
        ):
            return len(bare.group(0))  # the drug before has its own dose, or a verb between
        joined = text[prev.end : lead_start].lower().replace(",", " , ").split()
        if joined and all(w in rules.list_joiners for w in joined):
            return len(bare.group(0))  # "morphine and 2mg ativan": a list, each its own dose
        if (
            len(joined) > 1
            and joined[0] in rules.own_predicate_words
            and joined[-1] in rules.list_joiners
        ):
            # "propofol lowered to 30 mcg, and 2mg IV ativan given": the drug before is told with
            # its own predicate, and a joiner then opens the next drug's clause with its dose
            return len(bare.group(0))
        before_prev = text[
            max(sent.start, prev.start - rules.window.dose_before_chars) : prev.start
        ]
        own_lead = rules.dose_lead.search(before_prev) or rules.dose_of.search(before_prev)
        return len(bare.group(0)) if own_lead else 0

    def begin(x: Mention) -> int:
        start = x.start - lead_dose(x)
        for m in ms:  # "and subcutaneous heparin": the route is heparin's ("60 mEq po, Mg": not)
            if (
                m.label == "ROUTE"
                and 0 <= start - m.end <= rules.window.route_glued_chars
                and not text[m.end : start].strip()
                and m.start >= sent.start
            ):
                start = m.start
        return start

    def additive(x: Mention, prev: Mention) -> bool:
        """Is anchor ``x`` a local anaesthetic mixed into ``a``'s injection, joined to the
        anchor before it by a mixture word only ("40 mg of Kenalog with 2 mL of 1% lidocaine
        was injected into the right knee": the place is the mixture's, so it is ``a``'s too)?"""
        if a.label != "DRUG" or x.label != "DRUG":
            return False
        if rules.drugs.get(a.ident, {}).get("role", "drug") != "drug":
            return False
        if rules.drugs.get(x.ident, {}).get("role") not in rules.additive_roles:
            return False
        between = text[prev.end : begin(x)].lower().replace(",", " ").split()
        return (
            bool(between)
            and bool(set(between) & rules.additive_joiners)
            and not any(m.label == "ADMIN" and prev.end <= m.start < x.start for m in ms)
        )

    i = same.index(a)
    start = sent.start if i == 0 else begin(a)
    j = i + 1
    while j < len(same) and additive(same[j], same[j - 1]):
        j += 1
    end = begin(same[j]) if j < len(same) else sent.end
    return Segment(start, end, [m for m in ms if start <= m.start < end])


def template_block(view: NoteView, a: Mention, rules: ExtractionRules) -> list[Segment]:
    """Neighbouring short lines of a templated entry ("Route: IM", "Site: R delt") that
    belong to the anchor: same block (no blank line between), no other anchor."""
    sents = view.sentences
    short = rules.window.template_line_chars
    if len(view.sentence_text(a.sent).strip()) > short:
        return []
    out: list[Segment] = []
    for step in (1, -1):
        i = a.sent
        for _ in range(rules.window.template_block_lines):
            j = i + step
            if not 0 <= j < len(sents):
                break
            between = view.text[sents[min(i, j)].end : sents[max(i, j)].start]
            own = view.sentence_text(min(i, j))
            if "\n\n" in between or "\n\n" in own or own.strip() == "":
                if own.strip() == "" and "\n\n" not in own:
                    i = j
                    continue
                break
            ms = view.in_sent(j)
            if any(m.label in ("DRUG", "INJECTION") for m in ms):
                break
            line = view.sentence_text(j)
            if len(line.strip()) > short:
                break
            if is_field_line(line, rules):
                out.append(Segment(sents[j].start, sents[j].end, ms))
            i = j
    return out


def opening_lines_end(text: str, lines: int) -> int:
    """Where the note's first ``lines`` non-blank lines end (a character offset into ``text``;
    the whole text's length when it has fewer): the reach of a note's opening lines, where its
    date, title and stated reason stand (``window.opening_lines``)."""
    at, seen = 0, 0
    for line in text.splitlines(keepends=True):
        at += len(line)
        seen += bool(line.strip())
        if seen >= lines:
            break
    return at
