"""Attribute linking: the route, dose, indication, response, provider and evidence of an
anchor, each with the character span it was read from (contract section 3)."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import lru_cache

from ..doses import Dose, tidy_number
from ..tables import Column, columns
from .rules import ExtractionRules
from .segments import Segment, opening_lines_end
from .view import CharSpan, Mention, NoteView

# where the clause after an evidence cue ends: its future words are looked for before it
CLAUSE_END = re.compile(r";|\.[\s,]")  # ".," too: MTSamples joins its lines with commas

_WORD = re.compile(r"\S+")
_HEADING_DASH = re.compile(r"[^\n:]{0,30}?\s[-\u2013\u2014](?=\s)")  # "Dx - ": a dashed heading
_LIST_NUMBER = re.compile(r"^\d{1,2}[.)]\s+")  # a numbered list item's number ("1. ", "2) ")


@dataclass(frozen=True)
class Found:
    """A text value and the span of the words it was read from."""

    value: str
    span: CharSpan


@dataclass(frozen=True)
class Indication(Found):
    """An indication phrase; ``cue_range`` runs from its cue ("for") to its end."""

    cue_range: CharSpan = (0, 0)


@dataclass(frozen=True)
class DoseAt:
    """A dose and its span in the note."""

    dose: Dose
    span: CharSpan


def pick(candidates: list[Mention], a: Mention, before_tokens: int = 0) -> Mention | None:
    """The first candidate after the anchor, else the last one before it (only within
    ``before_tokens`` tokens of it when that is set)."""
    after = [m for m in candidates if m.start >= a.start]
    if after:
        return after[0]
    before = [m for m in candidates if m.start < a.start]
    if before_tokens:
        before = [m for m in before if a.tok_start - m.tok_end <= before_tokens]
    return before[-1] if before else None


def _names_only_the_dose(view: NoteView, start: int, end: int, rules: ExtractionRules) -> bool:
    """Is ``text[start:end]`` made only of drug or injection mentions and words that name no
    condition (``cues.yaml`` ``non_condition_words``: "her Depo-Provera injection", "a B12
    shot")? Then it is what the visit is for, not why (corpora/README.md, team_g: the purpose
    is not inferred from the drug). Its amount counts as the drug's ("for monthly
    cyanocobalamin 1000 mcg IM": team_m, tm-029)."""
    named = [
        m for m in view.mentions if m.label in ("DRUG", "INJECTION") and start <= m.start < end
    ]
    if not named:
        return False
    # the drug's amount is no condition either ("for monthly cyanocobalamin 1000 mcg IM")
    amounts = [(start + d.start, start + d.end) for d in rules.doses.find_all(view.text[start:end])]
    spans = [(m.start, m.end) for m in named] + amounts
    kept = "".join(
        " " if any(lo <= i < hi for lo, hi in spans) else view.text[i] for i in range(start, end)
    )
    words = {w.strip(rules.condition_word_trim) for w in kept.lower().split()} - {""}
    return words <= rules.non_condition


def _orders_a_drug(view: NoteView, cue: Mention, end: int, rules: ExtractionRules) -> bool:
    """Does the cue follow an order or request word (``extraction.yaml`` ``words.asked_for``:
    "MD order for", "asked for"), or open the drug a visit is for (``regex.visit_for_drug``:
    "came in for Rocephin 1 g IM as ordered"), and its phrase (up to ``end``) open with a drug
    named as a drug (``opens_with_drug``)? Then the phrase is the thing ordered, not a reason."""
    first = opens_with_drug(view, cue.end, end, rules)
    if first is None:
        return False
    if view.token(cue.tok_start - 1) in rules.asked_for_words:
        return True
    sent_start = view.sentences[cue.sent].start
    return rules.visit_for_drug.search(view.text, sent_start, first.start) is not None


def opens_with_drug(view: NoteView, start: int, end: int, rules: ExtractionRules) -> Mention | None:
    """The drug mention that opens ``text[start:end]`` past words of ``words.skip_leading``
    ("the", "her"), named as a drug, not as part of a condition ("B12 deficiency": the word after
    the drug is an ``anchor_blockers`` word); None otherwise. A reason phrase opened so names
    what was given or asked for ("came in for Rocephin 1 g IM as ordered"), not why."""
    first = [m for m in view.mentions if m.label == "DRUG" and start <= m.start < end]
    if not first:
        return None
    lead = view.text[start : first[0].start].strip(rules.indication_trim).lower().split()
    if any(w not in rules.skip_leading for w in lead):
        return None  # words other than "the", "her" ... before the drug
    after = first[0].tok_end + 1 if view.token(first[0].tok_end) == "-" else first[0].tok_end
    return None if view.token(after) in rules.anchor_blockers else first[0]


def _phrase_span(raw: str, base: int, skip: int, limit: int) -> tuple[str, CharSpan]:
    """The words of ``raw`` after the first ``skip``, joined by single spaces and cut at
    ``limit`` characters, and their span (``raw`` starts at ``base`` in the note)."""
    words = list(_WORD.finditer(raw))[skip:]
    value = " ".join(w.group(0) for w in words)[:limit]
    start, end, used = base + words[0].start(), base + words[0].start(), 0
    for w in words:
        room = len(value) - used
        if room <= 0:
            break
        end = base + w.start() + min(len(w.group(0)), room)
        used += len(w.group(0)) + 1
    return value, (start, end)


def indication_in(view: NoteView, segment: Segment, rules: ExtractionRules) -> Indication | None:
    """The reason given after an INDICATION_CUE ("for", "due to") in the segment, up to a
    stop word or punctuation (``cues.yaml`` ``indication``); None when there is none."""
    text = view.text
    for cue in segment.of("INDICATION_CUE"):
        rest = text[cue.end : segment.end]
        stop = rules.indication_stop.search(rest, 1 if rest[:1] in rules.indication_lead else 0)
        cut = stop.start() if stop else len(rest)
        raw = rest[:cut]
        phrase = raw.strip(rules.indication_trim)
        words = phrase.split()
        skip = 0
        while skip < len(words) and words[skip].lower() in rules.skip_leading:
            skip += 1
        words = words[skip:]
        if not words or words[0].lower().strip(rules.word_trim) in rules.reject_first:
            continue
        if not any(ch.isalpha() for ch in words[0]) or words[0][0].isdigit():
            continue
        if _names_only_the_dose(view, cue.end, cue.end + cut, rules):
            continue  # "returns for her Depo-Provera injection": the visit's dose, no condition
        if _orders_a_drug(view, cue, cue.end + cut, rules):
            continue  # "MD order for haldol 5mg IM given": what was ordered, not why
        lead = len(raw) - len(raw.lstrip(rules.indication_trim))
        value, span = _phrase_span(phrase, cue.end + lead, skip, rules.window.indication_max_chars)
        return Indication(value, span, (cue.start, cue.end + cut))
    return None


def section_indication(view: NoteView, rules: ExtractionRules) -> Found | None:
    """The first affirmed diagnosis or complaint in an indication-role section: its first
    line, to the end of its first clause ("Dx: B12 deficiency. Cyanocobalamin ...": "B12
    deficiency"; ``CLAUSE_END``), unless that line names only the drug or injection the visit is
    for ("Reason for visit: B12 injection": ``_names_only_the_dose``)."""
    text = view.text
    for sec in view.sections:
        if rules.role(sec.category) != "indication":
            continue
        whole = text[sec.start : sec.end]
        colon = whole.find(":")
        if colon < 0:  # "Dx - allergic reaction": a heading with a dash for its colon
            dash = _HEADING_DASH.match(whole)
            colon = dash.end() - 1 if dash else -1
        pos = sec.start + (colon + 1 if colon >= 0 else 0)
        body = text[pos : sec.end]
        first, first_at = "", pos
        for raw, kept in zip(body.splitlines(), body.splitlines(keepends=True), strict=True):
            line = raw.strip(rules.list_punctuation)
            if line:
                first = line
                first_at = pos + len(raw) - len(raw.lstrip(rules.list_punctuation))
                break
            pos += len(kept)
        if not any(ch.isalpha() for ch in first):
            continue
        if first.lower().split()[0] in rules.not_a_diagnosis:
            continue
        words = {w.strip(rules.condition_word_trim) for w in first.lower().split()} - {""}
        if words <= rules.non_condition:
            continue  # "Reason for visit: injection only"
        first = _LIST_NUMBER.sub("", first, count=1)  # "1. Vitamin D deficiency": the item
        first = CLAUSE_END.split(first, maxsplit=1)[0].rstrip(rules.indication_trim + ".")
        if _names_only_the_dose(view, first_at, first_at + len(first), rules):
            continue  # "Reason for visit: B12 injection", "CC: here for Depo shot": what, not why
        value = first[: rules.window.indication_max_chars]
        return Found(value, (first_at, first_at + len(value)))
    return None


def export_indication(view: NoteView, rules: ExtractionRules) -> Found | None:
    """The diagnosis cell of a delimited export: under a header cell named in
    ``words.export_diagnosis_columns`` ("dx_desc", "INDICATION"), in the next line split by the
    same delimiter, or the description of an HL7 diagnosis segment (``regex.hl7_diagnosis``:
    "DG1|1||D51.0^Vitamin B12 deficiency anemia^I10"), or a JSON export's diagnosis key's value
    (``regex.json_diagnosis``); None when there is none."""
    text = view.text
    hl7 = rules.hl7_diagnosis.search(text)
    if hl7 is not None:
        return Found(hl7.group(1), hl7.span(1))
    found = rules.json_diagnosis.search(text)  # '"diagnosis": "Primary syphilis (A51.0)"'
    if found is not None:
        return Found(found.group(1), found.span(1))
    if not rules.export_diagnosis_columns:
        return None
    for column in columns(text, rules.export_diagnosis_columns):
        if not column.cells:
            continue
        at, raw = column.cells[0]  # the row right under the header
        cell = raw.strip()
        if any(ch.isalpha() for ch in cell):
            at += raw.find(cell)
            value = cell[: rules.window.indication_max_chars]
            return Found(value, (at, at + len(value)))
    return None


def stated_indication(view: NoteView, rules: ExtractionRules) -> Found | None:
    """The diagnosis a note states outside an indication section: an assessment dictated as a
    sentence ("Assessment is acute left lumbar radiculopathy.", "Impression is acute
    pyelonephritis": ``regex.assessment_statement``, its group 1 to the sentence end), else a
    diagnosis written with its ICD-10 code in the note's opening lines, its title and the line after
    it ("Hypogonadism (E29.1); AM testosterone 182": ``regex.coded_diagnosis``, group 1;
    corpora/README.md: the opening line of a visit note naming the condition is the reason for the
    visit), or there after the patient's age and sex ("34F, endometriosis":
    ``regex.demographic_diagnosis``; "Pt with anaphylaxis to bee sting": ``regex.patient_with``;
    past those lines too when a label's colon comes right before
    the age: "ED provider note (excerpt): 52F, renal colic", read last), else a structured log's
    capitalised indication field ("INDICATION POSTMENOPAUSAL OSTEOPOROSIS":
    ``regex.log_diagnosis``), else a diagnosis heading with no colon over the condition's line
    ("Assessment" over "1. Seasonal allergic rhinitis - J30.2") or a line opened by "Dx"
    (``regex.heading_diagnosis``), else the reason for the visit dictated in the narrative ("She
    returns for follow-up of her B12 deficiency": ``regex.visit_reason``, group 1, unless it names a
    drug or an injection), or an opening line that starts with the condition itself ("Pernicious
    anaemia (intrinsic factor Ab positive)": ``regex.opening_condition``), or the reason a generic
    injection word is given anywhere ("would like the shot for contraception":
    ``regex.injection_reason``, to an indication stop word). A phrase whose first word is
    ``words.not_a_diagnosis`` or made only of ``non_condition_words`` is none.
    None when there is none."""
    text = view.text
    found = [m for m in rules.assessment_statement.finditer(text)]
    opening = opening_lines_end(text, rules.window.opening_lines)
    openings = list(rules.coded_diagnosis.finditer(text, 0, opening))
    openings += rules.demographic_diagnosis.finditer(text, 0, opening)
    openings += rules.patient_with.finditer(text, 0, opening)
    openings += rules.opening_condition.finditer(text, 0, opening)
    found += openings
    found += [m for m in rules.log_diagnosis.finditer(text)]
    found += [m for m in rules.heading_diagnosis.finditer(text)]
    reasons = list(rules.visit_reason.finditer(text))
    shots = list(rules.injection_reason.finditer(text))
    reasons += shots
    found += reasons
    # past the opening lines, an age and sex right after a label's colon open a pasted note's
    # own history ("ED provider note (excerpt): 52F, renal colic left flank")
    labelled = [
        m
        for m in rules.demographic_diagnosis.finditer(text, opening)
        if text[: m.start()].rstrip(" \t").endswith(":")
    ]
    found += labelled
    openings += labelled
    for m in found:
        phrase = m.group(1)
        if m in shots:  # "the shot for contraception, per her request": to a stop word
            stop = rules.indication_stop.search(phrase)
            phrase = phrase[: stop.start()] if stop else phrase
        phrase = phrase.strip(rules.indication_trim)
        words = phrase.lower().split()
        if not words or words[0] in rules.not_a_diagnosis:
            continue
        if m in openings and not (_affirmed(words, rules) and _lead_affirmed(text, m, rules)):
            continue  # "Pt denies neuropathy", "Family hx of migraine", "PMH: HTN (I10)"
        if m in shots and words[0].strip(rules.word_trim) in rules.reject_first:
            continue  # "injection for 15 minutes"
        if m in reasons and _names_only_the_dose(view, m.start(1), m.end(1), rules):
            continue  # "returns for her Depo-Provera injection": no condition but the drug
        if m in reasons and opens_with_drug(view, m.start(1), m.end(1), rules):
            continue  # "came in for Rocephin 1 g IM as ordered": the drug, not a condition
        if {w.strip(rules.condition_word_trim) for w in words} - {""} <= rules.non_condition:
            continue
        at = m.start(1) + m.group(1).find(phrase)
        value = phrase[: rules.window.indication_max_chars]
        return Found(value, (at, at + len(value)))
    return None


def complaint_indication(view: NoteView, rules: ExtractionRules) -> Found | None:
    """The first complaint told with its verb ("Pt c/o severe nausea x 1 day", "complains of
    right ankle pain": ``regex.complaint_statement``, group 1 to the clause end) with no negation
    or history word before it or in it (``_affirmed``, ``_lead_affirmed``) and no drug named in
    it ("complains of itching since the ceftriaxone"); None when there is none. The last resort of a
    note's indication: the symptom the visit is for (contract section 3)."""
    text = view.text
    for m in rules.complaint_statement.finditer(text):
        phrase = m.group(1).strip(rules.indication_trim)
        words = phrase.lower().split()
        if not words or words[0] in rules.not_a_diagnosis:
            continue
        if not (_affirmed(words, rules) and _lead_affirmed(text, m, rules)):
            continue
        at = m.start(1) + m.group(1).find(phrase)
        if any(x.label == "DRUG" and at <= x.start < at + len(phrase) for x in view.mentions):
            continue
        value = phrase[: rules.window.indication_max_chars]
        return Found(value, (at, at + len(value)))
    return None


def problem_heading(view: NoteView, a: Mention, rules: ExtractionRules) -> Found | None:
    """The condition heading the anchor's line before a colon or dash ("Anemia of CKD: Epogen
    10,000 units SC", "2. Acute gout - Kenalog 40 mg IM": ``regex.problem_heading``, group 1)
    when it opens with a condition (``regex.opening_condition``), its first word is not
    ``words.not_a_diagnosis`` and it is not a nursing body-system heading
    (``words.system_headings``: "Pain: MSO4 2mg IM"); None otherwise. A problem-oriented
    line names the reason for the drug written after it (contract section 3: the indication)."""
    text = view.text
    line_start = text.rfind("\n", 0, a.start) + 1
    m = rules.problem_heading.match(text, line_start, a.start)
    if m is None:
        return None
    head = m.group(1).strip(rules.indication_trim)
    if not head or head.lower().split()[0] in rules.not_a_diagnosis:
        return None
    if head.lower() in rules.system_headings:
        return None  # "Pain: MSO4 2mg IM": a nursing entry's body-system heading
    # the opening-condition phrase must be followed by a stop or a word that goes on: the
    # heading's end (the colon or dash, cut off) stands as a full stop
    if not rules.opening_condition.match(head + "."):
        return None
    at = m.start(1) + m.group(1).find(head)
    value = head[: rules.window.indication_max_chars]
    return Found(value, (at, at + len(value)))


def timed_finding(view: NoteView, a: Mention, rules: ExtractionRules) -> Found | None:
    """The acute finding of a timed log's entry right before the anchor's own entry: both lines
    open with a clock time (``regex.timed_entry``), and the earlier entry's first sentence names
    a ``words.timed_findings`` word or phrase ("09:24 Generalized urticaria, throat tightness,
    wheeze." over "09:25 Epinephrine 0.3 mg IM ...") or a disease word
    (``regex.condition_word``), with no negation or history word before it (``_affirmed``):
    what the drug was given for. None otherwise."""
    text = view.text
    line_start = text.rfind("\n", 0, a.start) + 1
    if rules.timed_entry.match(text, line_start) is None:
        return None
    end = line_start - 1  # the newline that ends the line before; blank lines are skipped
    while end >= 0:
        prev_at = text.rfind("\n", 0, end) + 1
        if text[prev_at:end].strip():
            break
        end = prev_at - 1
    else:
        return None
    prev = text[prev_at:end]
    entry = rules.timed_entry.match(prev)
    if entry is None:
        return None
    body = prev[entry.end() :]
    first = CLAUSE_END.split(body, maxsplit=1)[0].rstrip(rules.indication_trim + ".")
    lower = first.lower()
    found = rules.timed_findings.search(lower) if rules.timed_findings else None
    hit = [found.start()] if found is not None else []
    cond = rules.condition_word.search(first)
    if cond is not None:
        hit.append(cond.start())
    if not hit or not _affirmed(lower[: min(hit)].split(), rules):
        return None
    value = first[: rules.window.indication_max_chars]
    at = prev_at + entry.end()
    return Found(value, (at, at + len(value)))


def _affirmed(words: list[str], rules: ExtractionRules) -> bool:
    """Are none of ``words`` (lower case) a negation, history or family word
    (``words.not_a_diagnosis``, ``words.condition_word_blockers``), brackets and punctuation
    aside?"""
    return not any(w.strip(".,:;()") in rules.condition_blockers for w in words)


def _lead_affirmed(text: str, m: re.Match[str], rules: ExtractionRules) -> bool:
    """Are the words before group 1 of ``m`` in its sentence (from the line start, a full stop
    or a semicolon) free of negation, history and family words (``_affirmed``)? A label that
    opens the sentence and heads a present history (``words.history_headings``: "History:")
    is none of them, and a preposition of ``words.near_blockers`` ("without", "sin") counts
    only within ``window.near_blocker_words`` words before the group, and not before a
    bracket opened after it."""
    start = max(text.rfind(c, 0, m.start(1)) for c in "\n.;") + 1
    words = text[start : m.start(1)].lower().split()
    if words and words[0] in rules.history_headings:
        words = words[1:]
    near = len(words) - rules.window.near_blocker_words
    # a bracket opened after the preposition starts a phrase of its own: "sin B12-spruta
    # (perniciös anemi"
    near = max([near] + [i for i, w in enumerate(words) if w.startswith("(")])
    words = [
        w for i, w in enumerate(words) if i >= near or w.strip(".,:;()") not in rules.near_blockers
    ]
    return _affirmed(words, rules)


def opening_condition_word(view: NoteView, rules: ExtractionRules) -> Found | None:
    """A disease word on the note's opening lines (``window.condition_word_lines``;
    ``regex.condition_word``: "Lombalgia aguda mecânica", "con anemia perniciosa"), with up to
    two words after it when it opens its line (the word alone elsewhere), unless a word before
    it in its sentence (line, full stop or semicolon) is ``words.condition_word_blockers``
    ("denies", "PMH", "family") or the word is
    ``words.not_condition_words`` ("academia", "diploma"). None when there is none. The last
    resort of a note's indication: the opening lines naming a condition name the reason for the
    visit (corpora/README.md, team_g decision)."""
    text = view.text
    end = opening_lines_end(text, rules.window.condition_word_lines)
    for m in rules.condition_word.finditer(text, 0, end):
        word = m.group(1).split()[0].lower()
        if word in rules.not_condition_words:
            continue
        if not _lead_affirmed(text, m, rules):
            continue  # "PMH: HTN, hyperlipidemia", "Pt denies X"
        line_start = text.rfind("\n", 0, m.start()) + 1
        # the words after it only when it opens its line ("Lombalgia aguda mecânica"); mid-line
        # they are often the sentence going on ("anastomosis was performed")
        # a disease noun with the word naming it ("carcinoid syndrome": group ``named``), or a
        # purpose of several words ("family planning": group ``purpose``) mid-line, not the
        # noun alone
        named = m.groupdict().get("named") or m.groupdict().get("purpose")
        head = named.strip() if named else m.group(1).split()[0]
        value = m.group(1) if not text[line_start : m.start()].strip() else head
        value = value[: rules.window.indication_max_chars]
        return Found(value, (m.start(1), m.start(1) + len(value)))
    return None


def note_evidence(view: NoteView, rules: ExtractionRules) -> Found | None:
    """The first EVIDENCE mention (a lab result) outside a plan, not followed by a future word
    in its clause ("B12 level pending", "NAAT sent") and not declined or undone right before it
    ("Declined HIV test today": ``regex.evidence_declined_before``)."""
    text = view.text
    w = rules.window
    for m in view.mentions:
        if m.label != "EVIDENCE" or rules.role(view.section_at(m.start)) == "planning":
            continue
        # the words after it in its clause ("Gram stain; NAAT sent": the stain's result stands)
        after = CLAUSE_END.split(text[m.end : m.end + w.evidence_after_chars], maxsplit=1)[0]
        after = after.lower().split()
        trim = rules.evidence_word_trim
        if any(x.strip(trim) in rules.evidence_future for x in after[: w.evidence_after_words]):
            continue
        if rules.evidence_declined_before.search(text, max(0, m.start - 30), m.start):
            continue  # "Declined HIV test today": no result
        return Found(m.text, m.span)
    return None


def follow_up(view: NoteView, a: Mention, label: str, rules: ExtractionRules) -> Found | None:
    """The first ``label`` mention (RESPONSE, PROVIDER) from the anchor's sentence start
    to ``followup_chars`` after its end; for a response, else the anchor's cell of an
    export's response column (``export_response``)."""
    sent = view.sentences[a.sent]
    limit = sent.end + rules.window.followup_chars
    for m in view.mentions:
        if m.label == label and sent.start <= m.start < limit:
            return Found(m.text, m.span)
    return export_response(view, a, rules) if label == "RESPONSE" else None


# a list item's opening mark: a dash, bullet or star, or a number with a point or bracket
_LIST_ITEM = re.compile(r"[ \t]*(?:[-*\u2022\u2023\u25e6\u2043]|\d{1,2}[.)])[ \t]+\S")


def provider_over_list(view: NoteView, a: Mention) -> Found | None:
    """The giver named on a label line over the list that holds the anchor ("Administered by
    R. King, CMA:" over "- Shingrix ..." and "- cyanocobalamin ..."): the PROVIDER mention of
    the nearest line above the anchor's list item that is no list item, when that line ends
    with a colon (helper synthfix19, tl-025; contract section 3: the giver of each item).
    None otherwise."""
    text = view.text
    start = text.rfind("\n", 0, a.start) + 1
    if not _LIST_ITEM.match(text, start):
        return None
    while start > 0:
        above = text.rfind("\n", 0, start - 1) + 1
        line = text[above : start - 1]
        if _LIST_ITEM.match(line):
            start = above
            continue
        if not line.rstrip().endswith(":"):
            return None
        for m in view.mentions:
            if m.label == "PROVIDER" and above <= m.start < start - 1:
                return Found(m.text, m.span)
        return None
    return None


def export_response(view: NoteView, a: Mention, rules: ExtractionRules) -> Found | None:
    """The response cell of a delimited export in the anchor's own row: the cell under a
    header named in ``words.export_response_columns`` ("reaction", "response") on the
    anchor's line, when it holds a word ("none observed", "tolerated"); None when there is
    none (an empty cell documents no response)."""
    if not rules.export_response_columns:
        return None
    text = view.text
    line_start = text.rfind("\n", 0, a.start) + 1
    line_end = text.find("\n", a.start)
    line_end = len(text) if line_end < 0 else line_end
    for column in _columns(text, rules.export_response_columns):
        for at, raw in column.cells:
            if line_start <= at < line_end:
                cell = raw.strip()
                if not any(ch.isalpha() for ch in cell):
                    return None
                at += raw.find(cell)
                value = cell[: rules.window.indication_max_chars]
                return Found(value, (at, at + len(value)))
    return None


# a cell of a column-aligned plain-text line: words joined by single spaces, cells apart by two
# or more spaces or a tab
_SPACED_CELL = re.compile(r"\S+(?: \S+)*")


def row_response(view: NoteView, row_at: int, rules: ExtractionRules) -> Found | None:
    """The response cell of the column-aligned table row holding offset ``row_at`` (the
    event's dose read from a dated row under the drug's own line: "Drug: cyanocobalamin ..."
    over "Date  Dose  Route  Site  Reaction" and "12/07/2026  1000 mcg  IM  L deltoid  none"):
    the row (``regex.spaced_row``) cell that starts in the column of a header cell named in
    ``words.row_reaction_columns`` (a reaction column: an EMS sheet's "Response" tells the
    drug's effect), the header being the nearest line above the row with
    three or more cells apart by two spaces, no blank line between. None when there is none or
    the cell holds no letter (an empty cell documents no response, as an export's)."""
    names = rules.row_reaction_columns
    text = view.text
    start = text.rfind("\n", 0, row_at) + 1
    end = text.find("\n", row_at)
    row = text[start : len(text) if end < 0 else end]
    if not names or "\t" in row or rules.spaced_row.search(row) is None:
        return None  # (a tab's columns are not the characters': not read)
    above = text[:start].split("\n")[:-1]
    for header in reversed(above):
        if not header.strip():
            return None
        heads = list(_SPACED_CELL.finditer(header.expandtabs()))
        if len(heads) < 3:
            continue
        cols = [h.start() for h in heads if h.group(0).lower().strip(":") in names]
        if not cols:
            continue
        for cell in _SPACED_CELL.finditer(row):
            if cell.start() == cols[0] and any(ch.isalpha() for ch in cell.group(0)):
                value = cell.group(0)[: rules.window.indication_max_chars]
                return Found(value, (start + cell.start(), start + cell.start() + len(value)))
        return None
    return None


@lru_cache(maxsize=4)
def _columns(text: str, names: tuple[str, ...]) -> tuple[Column, ...]:
    """``tables.columns`` of one note, read once for all its anchors."""
    return tuple(columns(text, names))


# one word after an amount: letters, digits and the marks inside a word ("ringer's", "0.9%",
# "plasma-lyte"); a comma, colon, slash, bracket or full stop ends the amount's phrase
_PHRASE_WORD = re.compile(r"[ \t]*([A-Za-z0-9'+%-]+(?:\.[A-Za-z0-9%]+)*)")


def _fluid_word_after(text: str, end: int, rules: ExtractionRules) -> bool:
    """Is the word right after the amount of ``text`` ending at ``end`` one of ``extraction.yaml``
    ``words.fluid_words`` ("3u PC, then bumex", "500cc NS and lasix")? The test of an amount
    written before the drug, which may be "of" the drug itself ("8000 units of intravenous
    sodium heparin": no fluid)."""
    m = _PHRASE_WORD.match(text, end)
    return m is not None and m.group(1).lower().rstrip("-") in rules.fluid_words


def fluid_amount(text: str, end: int, rules: ExtractionRules) -> bool:
    """Is the amount of ``text`` ending at ``end`` an IV fluid's or blood product's rather than a
    drug's: the word right after it is one of ``extraction.yaml`` ``words.fluid_words`` ("3u
    PRBC", "500cc NS"), or the word after it is "of" and one of the next words, within
    ``window.fluid_of_after_words`` words of the amount and before a punctuation mark or a
    ``words.fluid_of_not_across`` word, is ("two units of packed red cells", "500 mL of normal
    saline"; not "1 g of cefazolin in NS", the drug's). The one test of "is this amount a
    fluid's?" for a drug's dose (``choose_dose``) and for a drip-only drug's own amounts
    (``given._own_amounts``)."""
    words: list[str] = []
    at = end
    while len(words) < rules.window.fluid_of_after_words:
        m = _PHRASE_WORD.match(text, at)
        if m is None:
            break
        words.append(m.group(1).lower().rstrip("-"))  # "3u PC- bumex after": the word is "pc"
        at = m.end()
    if not words:
        return False
    if words[0] in rules.fluid_words:
        return True
    if words[0] != "of":
        return False
    for w in words[1:]:
        if w in rules.fluid_words:
            return True
        if w in rules.fluid_of_not_across:
            return False
    return False


def _total_after(seg_text: str, found: Dose, rules: ExtractionRules) -> Dose:
    """The sum written right after an increment (``regex.dose_total_after``: "Versed 1 mg
    sequentially for a total of 2 mg"), when it is in the increment's unit and larger; else
    ``found`` itself."""
    total = rules.dose_total_after.match(seg_text, found.end)
    if total is None:
        return found
    summed = rules.doses.find_all(seg_text[total.end() :])
    if not summed or summed[0].start != 0:
        return found
    first = summed[0]
    if first.unit != found.unit or not first.value > found.value:
        return found
    return replace(first, start=total.end() + first.start, end=total.end() + first.end)


def dose_told_after(
    view: NoteView, a: Mention, segment: Segment, rules: ExtractionRules
) -> DoseAt | None:
    """A dose told in a clause of its own after the anchor's segment, in the anchor's sentence
    or the next one ("gave an intramuscular injection into the right deltoid; the dose was
    stated as one milliliter": ``regex.dose_told``, the amount right after it), when no other
    drug or injection mention stands between; None otherwise."""
    sents = view.sentences
    end = sents[min(a.sent + 1, len(sents) - 1)].end
    m = rules.dose_told.search(view.text, segment.end, end)
    if m is None:
        return None
    if any(
        o.label in ("DRUG", "INJECTION") and segment.end <= o.start < m.start()
        for o in view.mentions
    ):
        return None
    tail = view.text[m.end() : min(end, m.end() + rules.window.dose_after_chars)]
    found = rules.doses.choose(tail)
    if found is None or found.start > 0 and tail[: found.start].strip():
        return None  # the amount must follow the words right away
    return DoseAt(found, _shift(found, m.end()))


def _signed(text: str, start: int, rules: ExtractionRules) -> bool:
    """Is the amount at ``text[start]`` written with a balance sign glued before it after a
    space or the text's start (``words.balance_signs``: "-750 cc", "+400cc"), not a range's
    dash after a number ("2-4 cc")?"""
    if start < 1 or text[start - 1] not in rules.balance_signs:
        return False
    return start < 2 or text[start - 2].isspace() or text[start - 2] in "(,;:"


def _without_next_drug_amounts(
    view: NoteView, a: Mention, base: int, seg_text: str, rules: ExtractionRules
) -> str:
    """``seg_text`` (the anchor's segment from character ``base``) with each amount written
    after the anchor that is the amount of another drug named right after it blanked out
    (``regex.amount_of_next_drug``: "1 mL of a 40 mg/mL solution of Kenalog and 1 mL of 1%
    lidocaine": the 1 mL of 1% is the lidocaine's); offsets are kept. Issue 12: a dose
    belonging to a neighbouring mention."""
    for m in view.in_sent(a.sent):  # the segment lies in the anchor's sentence
        if m.label != "DRUG" or m.ident == a.ident or m.start <= a.end:
            continue
        at = m.start - base
        if at > len(seg_text):
            break
        lead_from = max(a.end - base, at - 40)
        found = rules.amount_of_next_drug.search(seg_text, lead_from, at)
        if found is not None:
            seg_text = seg_text[: found.start()] + " " * (at - found.start()) + seg_text[at:]
    return seg_text


def choose_dose(
    view: NoteView, a: Mention, segment: Segment, block: list[Segment], rules: ExtractionRules
) -> DoseAt | None:
    """The anchor's dose: in its segment (the first after it, else the last before it, but
    not an amount "of" another thing written before a list word: ``regex.dose_of_other``), a
    dose written just before it ("2 cc of Triamcinolone"), a concentration times a
    template volume, else the first dose of a template block line. An amount before a drug of
    ``extraction.yaml`` ``dosed_names`` in a unit not of that entry is not its dose."""
    text = view.text
    doses = rules.doses
    seg_text = text[segment.start : min(segment.end, a.end + rules.window.dose_after_chars)]
    seg_text = _without_next_drug_amounts(view, a, segment.start, seg_text, rules)
    found = doses.choose(seg_text, a.start - segment.start)
    if found is not None and found.unit == "mL":
        after = seg_text[found.end : found.end + 20].lower().split()[:1]
        before = seg_text[max(0, found.start - 20) : found.start].lower().split()[-1:]
        if after and after[0].strip(".,;:") in rules.not_dose_after:
            found = None  # "760cc neg", "300 mL diuresis": an output, not a dose
        elif before and before[0].strip(".,;:") in rules.not_dose_before:
            found = None  # "residual was 25cc", "u/o 30cc": a measurement, not a dose
        elif _signed(seg_text, found.start, rules):
            found = None  # "now -750 cc for the day": the fluid balance, not a dose
        elif (
            found.end <= a.start - segment.start
            and {
                w.strip(".,;:@")
                for w in seg_text[max(0, found.start - 20) : found.start].lower().split()[-3:]
            }
            & rules.fluid_words
        ):
            found = None  # "TPN at 80cc, pepcid iv": the fluid's volume or rate
    if found is not None and found.end <= a.start - segment.start:
        if rules.dose_of_other.match(seg_text, found.end, a.start - segment.start):
            found = None  # "500 mL of normal saline and Zofran": the saline's amount
        elif _fluid_word_after(seg_text, found.end, rules):
            found = None  # "3u PC, then bumex": the blood product's units
    elif found is not None and fluid_amount(seg_text, found.end, rules):
        # "premedicated with Benadryl prior to two units of packed red cells", "Lasix between
        # 2u PRBC": the amount of a fluid or blood product written after the drug is that product's
        found = None
    if found is not None and found.start >= a.start - segment.start:
        found = _total_after(seg_text, found, rules)  # "1 mg sequentially, total of 2 mg"
    dose = DoseAt(found, _shift(found, segment.start)) if found else None
    lead_from = max(segment.start, a.start - rules.window.dose_before_chars)
    lead = rules.dose_of.search(text[lead_from : a.start])
    if lead:  # "2 cc of Triamcinolone and 1 cc of Wydase": the dose written before it
        before = doses.choose(lead.group(0))
        at = lead_from + lead.start()
        if before and dose is not None and dose.span[0] <= at < dose.span[1]:
            before = None  # "1 mL of Kenalog 40 mg/mL": the amount read over that volume
        if before:
            dose = DoseAt(before, _shift(before, lead_from + lead.start()))
    else:  # "2mg vit k sq, 3 units plts": a dose right before the drug is its own
        bare = rules.dose_lead.search(text[lead_from : a.start])
        before = doses.choose(bare.group(0)) if bare else None
        if before and not (found and before.unit == "mL" and found.unit != "mL"):
            dose = DoseAt(before, _shift(before, lead_from + bare.start()))
    if dose is None:
        block_text = " ".join(text[b.start : b.end] for b in block)
        conc = doses.concentration_times_volume(seg_text, block_text)
        dose = DoseAt(conc, _shift(conc, segment.start)) if conc else None
        for b in block if dose is None else ():  # "Strength: 30 mg/mL" over "Amount: 2 mL"
            others = " ".join(text[o.start : o.end] for o in block if o is not b)
            conc = doses.concentration_times_volume(text[b.start : b.end], others)
            if conc is not None:
                dose = DoseAt(conc, _shift(conc, b.start))
                break
        for b in block:
            if dose is not None:
                break
            found = doses.choose(text[b.start : b.end])
            dose = DoseAt(found, _shift(found, b.start)) if found else None
    if dose is None:
        dose = dose_told_after(view, a, segment, rules)
    if dose is not None and is_range(text, dose.span[0], dose.dose.value, rules):
        return None  # "2-4 mg": a range ordered, not the amount given (contract section 3)
    units = rules.contextual.dosed_units.get(a.ident)
    if (
        dose is not None
        and units
        and dose.span[1] <= a.start
        and dose.dose.unit.lower() not in units
    ):
        # "neo at 40mcg, calc and k repleted": an amount before an electrolyte in a unit
        # it is never dosed in (extraction.yaml dosed_names) is another thing's
        return None
    if dose is not None and dose.dose.is_volume:
        strength = drug_strength(view, a, rules)
        if strength is not None:  # "Kenalog-40 ... 40 mg/mL" over "Dose: 1 mL": 40 mg
            value = tidy_number(strength.value * dose.dose.value)
            dose = DoseAt(
                Dose(value, strength.unit, dose.dose.start, dose.dose.end, False), dose.span
            )
    return dose


def drug_strength(view: NoteView, a: Mention, rules: ExtractionRules) -> Dose | None:
    """The strength per mL written after the anchor's drug on its line ("Kenalog-40
    (triamcinolone acetonide) 40 mg/mL", "Ceftriaxone 350 mg/mL (reconstituted) | 2 mL"), else
    after another mention of the same drug on its own line ("Active med list: haloperidol
    decanoate 100 mg/mL injection"), within ``strength_after_chars`` and before another drug's
    name; None when there is none. An anchor that is no drug (a template's "Route: IM") takes
    the last drug named before it in its entry (no blank line, at most ``template_block_lines``
    lines between). A volume given of it is that many
    times the strength (contract section 3: a concentration with a volume is the amount)."""
    text = view.text
    if a.label != "DRUG":
        named = [m for m in view.mentions if m.label == "DRUG" and m.end <= a.start]
        if not named:
            return None
        between = text[named[-1].end : a.start]
        if "\n\n" in between or between.count("\n") > rules.window.template_block_lines:
            return None
        a = named[-1]
    same = [m for m in view.mentions if m.label == "DRUG" and m.ident == a.ident and m is not a]
    drugs = [m for m in view.mentions if m.label == "DRUG" and m.ident != a.ident]
    for m in [a, *sorted(same, key=lambda m: abs(m.start - a.start))]:
        line_end = text.find("\n", m.end)
        end = min(
            len(text) if line_end < 0 else line_end, m.end + rules.window.strength_after_chars
        )
        end = min([end, *(d.start for d in drugs if m.end <= d.start < end)])
        found = rules.doses.per_millilitre(text[m.end : end])
        if found is not None:
            return found
    return None


def dose_with_name(view: NoteView, m: Mention, rules: ExtractionRules) -> DoseAt | None:
    """The amount written right after drug mention ``m`` on its own line (within
    ``dose_after_chars``): the dose of a drug-less entry that takes ``m``'s name, as an HL7
    ``RXR`` route line takes the drug and amount of the ``RXA`` line above it; None when there
    is none, or it is a volume or a range."""
    text = view.text
    sent = view.sentences[m.sent]
    lo = m.end
    found = rules.doses.choose(text[lo : min(sent.end, m.end + rules.window.dose_after_chars)])
    if found is None or found.is_volume or is_range(text, lo + found.start, found.value, rules):
        return None
    return DoseAt(found, _shift(found, lo))


def is_range(text: str, start: int, value: float, rules: ExtractionRules) -> bool:
    """Is the dose starting at ``start`` (amount ``value``) the top of a range: a smaller
    number and a dash or "to" right before it ("2-4 mg"; ``regex.dose_range_before``)? Not
    when a lab word comes right before that number: it is the lab value the dose answers
    ("K+ 3.3- 40 meq KCl", "Mag 1.5 - 2 gm given"; ``words.lab_before_range`` and the
    electrolyte names of ``contextual_names``)."""
    window_start = max(0, start - 12)
    low = rules.dose_range_before.search(text[window_start:start])
    if low is None or float(low.group(1)) >= value:
        return False
    before = text[max(0, window_start + low.start() - 12) : window_start + low.start()].split()
    word = before[-1].lower().rstrip(":=") if before else ""
    return not (word in rules.lab_before_range or word in rules.contextual.generic_of)


def dose_range_in(view: NoteView, segment: Segment, rules: ExtractionRules) -> bool:
    """Does the segment hold a dose written as a range ("2-4 mg")? An unnamed injection with
    one is an amount-less event ("got 1-2 mg IM-IVP")."""
    text = view.text[segment.start : segment.end]
    return any(is_range(text, d.start, d.value, rules) for d in rules.doses.find_all(text))


def alternative_route(view: NoteView, route: Mention, rules: ExtractionRules) -> bool:
    """Is the route written as one of two ("IM-IVP", "IM/IV", "IM or IV"): another route
    mention joined to it by a ``words.route_alternation`` joiner only? Which one was used is
    then not stated (route null)."""
    for m in view.in_sent(route.sent):
        if m.label != "ROUTE" or m.ident == route.ident or m is route:
            continue
        lo, hi = (route.end, m.start) if m.start >= route.end else (m.end, route.start)
        if 0 <= hi - lo <= 4 and view.text[lo:hi].strip().lower() in rules.route_alternation:
            return True
    return False


def oral_partner_of(view: NoteView, route: Mention, rules: ExtractionRules) -> Mention | None:
    """The injection route written as one of a pair with a route by mouth ("80 meq iv/po",
    "po/iv"), ``route`` being either of the two: a dose given partly by each, so the injected
    share is documented by its route while its amount is not (corpora/README.md, nursing batch
    9); None when ``route`` is in no such pair."""
    for m in view.in_sent(route.sent):
        if m.label != "ROUTE" or m is route or m.ident == route.ident:
            continue
        if "PO" not in (m.ident, route.ident):
            continue
        lo, hi = (route.end, m.start) if m.start >= route.end else (m.end, route.start)
        if not (0 <= hi - lo <= 4 and view.text[lo:hi].strip().lower() in rules.route_alternation):
            continue
        injected = route if route.ident != "PO" else m
        if injected.ident in rules.injection_routes:
            return injected
    return None


def _shift(dose: Dose, offset: int) -> CharSpan:
    return (offset + dose.start, offset + dose.end)
