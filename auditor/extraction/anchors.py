"""Anchor choice: which mentions can be administration events.

Per sentence: its DRUG mentions (a brand in parentheses merged into its generic; diluents,
conditions such as "B12 deficiency", a lab's analyte ("B12 148 pg/mL": ``regex.lab_analyte_gap``
before a lab value), the drug mixed into a local anaesthetic and the
non-first drugs of a table row dropped); else its first INJECTION mention; else, in a
sentence that documents an administration, its first injection ROUTE mention; else its first
DOSE mention (a coverage dose, "covered with 2 units", ``contextual``); else an administration
word opening a sentence with a body site (``admin_opener``: "Given L deltoid.").
"""

from __future__ import annotations

import re
from dataclasses import replace

from .rules import ExtractionRules
from .segments import is_table_row
from .view import Mention, NoteView

_WORDS = re.compile(r"[A-Za-z]{2,}")  # the words between two mentions of one drug


def _same_drug_named_twice(
    prev: Mention, m: Mention, ms: list[Mention], text: str, rules: ExtractionRules
) -> bool:
    """Two close mentions of one drug ("Ceftriaxone (Rocephin)"), or of a drug family and a
    member of it ("2 units reg per SSI", "SSI 6 units reg", "SS reg SC insulin": insulin and
    regular insulin), with no site, verb or injection word between, no route between two
    mentions of the same name (a route may sit inside "reg SC insulin") and, for the same
    drug, no dose unless the second name is in brackets right after it ("Rho(D) immune globulin
    50 mcg (MICRhoGAM)"), and no clause of more than ``window.same_drug_words_between`` words
    between ("Ceftriaxone (Rocephin)", "Allergen immunotherapy maintenance dose: dust mite
    extract"; "Lasix 80 mg given at noon, then a Lasix drip planned" names it twice), and no
    clock time (``regex.clock_time``) between ("lasix 20 at 0900 and lasix 40mg ivp at 1800": a
    dose at each time)."""
    family = prev.ident != m.ident and rules.family_of(prev.ident) == rules.family_of(m.ident)
    if prev.ident != m.ident and not (family and rules.is_family(prev.ident, m.ident)):
        return False
    if m.start - prev.end > rules.window.same_drug_gap_chars:
        return False
    between = ("SITE", "ADMIN", "INJECTION") if family else ("SITE", "ROUTE", "ADMIN", "INJECTION")
    if any(x.label in between and prev.end <= x.start < m.start for x in ms):
        return False
    if family:
        return True
    gap = text[prev.end : m.start]
    if rules.clock_time.search(gap):
        return False  # "lasix 20 at 0900 and lasix 40mg ivp at 1800": two times, two doses
    if (
        rules.clause_break.search(gap)
        and len(_WORDS.findall(gap)) > rules.window.same_drug_words_between
    ):
        return False  # "Lasix 80 mg given at noon, then a Lasix drip planned": two
    if not rules.doses.find_all(gap):
        return True
    # "Rho(D) immune globulin 50 mcg (MICRhoGAM) IM": a brand in brackets after the dose
    return gap.rstrip().endswith(("(", "[")) and text[m.end :].lstrip(" ").startswith((")", "]"))


def _drug_anchors(
    view: NoteView, ms: list[Mention], drugs: list[Mention], rules: ExtractionRules
) -> list[Mention]:
    text = view.text
    kept: list[Mention] = []
    for m in drugs:
        near = rules.window.diluent_chars
        treatment = rules.drugs.get(m.ident, {}).get("class") in rules.admixture_treatment_classes
        diluent = [
            d for d in ms if d.label == "DILUENT" and d.end <= m.start and m.start - d.end < near
        ]
        if diluent and not (
            treatment
            and any(
                d.label == "DRUG"
                and rules.drugs.get(d.ident, {}).get("role") == "local_anesthetic"
                and d.end <= diluent[-1].start
                for d in ms
            )
        ):
            continue  # "Rocephin mixed with lidocaine", not "Marcaine mixed with Depo-Medrol"
        if any(
            c.label == "INDICATION_CUE"
            and text[c.end : m.start].isspace()
            and view.token(c.tok_start - 1) not in rules.asked_for_words
            for c in ms
        ) and not rules.visit_for_drug.search(text, view.sentences[m.sent].start, m.start):
            # "for B12 deficiency" (but "ordered for haldol", "asked for dilaudid", and the drug
            # a visit is for, "Pt here for B12 1000 mcg IM given L deltoid": an anchor whose
            # amount and route alone do not make it given, given.given_by)
            continue
        if not treatment and any(
            d.label == "DRUG"
            and rules.drugs.get(d.ident, {}).get("role") == "local_anesthetic"
            and 0 < m.tok_start - d.tok_end <= rules.window.admixture_tokens
            and rules.admixture.search(text[d.end : m.start])
            # a route between them gives the drug its own way in ("1% lidocaine and IV
            # sedation including Versed 1 mg", mts-752): not mixed into the anaesthetic
            and not any(r.label == "ROUTE" and d.end <= r.start and r.end <= m.start for r in ms)
            for d in ms
        ):
            continue  # "lidocaine 1% with epinephrine": part of the anaesthetic
        if any(
            x.label == "EVIDENCE"
            and x.start >= m.end
            and x.text[:1].isdigit()
            and rules.lab_analyte_gap.fullmatch(text, m.end, x.start)
            for x in ms
        ):
            continue  # "B12 148 pg/mL": the drug names the lab, not a dose
        after = m.tok_end + 1 if view.token(m.tok_end) == "-" else m.tok_end
        if view.token(after) in rules.anchor_blockers:
            continue  # "B12 deficiency", "tobramycin-impregnated beads"
        if kept and _same_drug_named_twice(kept[-1], m, ms, text, rules):
            prev = kept[-1]
            keep = m if len(m.ident) > len(prev.ident) else prev  # the more specific name
            if bolus_named(view, m, rules) and not bolus_named(view, prev, rules):
                keep = m  # "insulin titrated up ... multiple insulin boluses": the bolus
            kept[-1] = replace(keep, modifiers=prev.modifiers | m.modifiers)
            continue  # "Ceftriaxone (Rocephin)": one drug named twice
        kept.append(m)
    return kept


def class_word_after(view: NoteView, m: Mention, rules: ExtractionRules) -> int | None:
    """The token index of an unnamed drug class (``extraction.yaml`` ``words.unnamed_class``)
    right after route mention ``m``, past at most ``window.class_qualifier_tokens`` qualifier
    words (``words.unnamed_class_qualifiers``: "intravenous preoperative antibiotics", "IV
    prophylactic antibiotics"), or None. The qualifier says when or why the class was given,
    so the route is still that unnamed drug's (corpora/README.md: an unnamed drug given by a
    route is an event with medication null)."""
    i = m.tok_end
    for _ in range(rules.window.class_qualifier_tokens):
        if view.token(i) not in rules.unnamed_class_qualifiers:
            break
        i += 1
    return i if view.token(i) in rules.unnamed_class_words else None


def class_admin_gap(view: NoteView, admin: Mention, m: Mention, rules: ExtractionRules) -> bool:
    """Do only words naming a course ("treated with a short course of IV steroids":
    ``regex.class_course_gap``) stand between administration mention ``admin`` and the route
    mention ``m`` of an unnamed class? Then the administration word tells that class's doses
    given, as when it stands right before the route (corpora/README.md: an unnamed drug given
    by a route is an event with medication null, as mts-3332)."""
    return (
        admin.end <= m.start
        and rules.class_course_gap.fullmatch(view.text, admin.end, m.start) is not None
    )


def class_infused(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    """Is route mention ``m`` an infusion verb told of an unnamed drug class ("Antibiotics
    were infused prior to the incision": ``regex.unnamed_class_infused`` right before it)?
    That is one intravenous dose of an unnamed drug, an event missing its medication, as "IV
    antibiotics were given" is (corpora/README.md: an unnamed drug given by a route)."""
    sent = view.sentences[m.sent]
    return rules.unnamed_class_infused.search(view.text, sent.start, m.start) is not None


def _charted_with_site(ms: list[Mention]) -> bool:
    """Does a sentence chart an administration by all of its record elements: a body site, the
    one who gave it and how it was tolerated ("2.4 MU IM: 1.2 MU R glute + 1.2 MU L glute, RN
    DM, observed 15 min, no rxn", a series flowsheet's long row)? Not a site with a
    tolerance word alone ("IM site R glute clean, tolerated turning")."""
    return {"SITE", "PROVIDER", "RESPONSE"} <= {m.label for m in ms}


def admin_opener(
    view: NoteView, sent_id: int, ms: list[Mention], rules: ExtractionRules
) -> Mention | None:
    """The administration mention that opens sentence ``sent_id`` (only punctuation and
    ``words.sentence_admin_lead_words`` before it: "Dose given today") with one of
    ``extraction.yaml`` ``words.sentence_admin_openers`` ("Given", "Administered")
    when the sentence also names a body site (SITE) after it, or None. Such a sentence charts
    the dose of a drug named just before it ("Pt here for B12 1000 mcg IM. Given L deltoid."):
    its anchor takes that drug (``merging.drug_before``) or completes that drug's event
    (``merging.merge_unnamed``); with neither, it makes no event (``extract``). Only called for
    a sentence with no other anchor."""
    if not ms:
        return None
    first = min(ms, key=lambda m: m.start)
    start = view.sentences[sent_id].start
    lead = {w.lower() for w in _WORDS.findall(view.text, start, first.start)}
    if (
        first.label != "ADMIN"
        or not lead <= rules.sentence_admin_lead_words
        or first.text.lower().split()[0] not in rules.sentence_admin_openers
        or not any(m.label == "SITE" and m.start >= first.end for m in ms)
    ):
        return None
    return first


def choose_anchors(view: NoteView, rules: ExtractionRules) -> list[Mention]:
    """The note's anchors, in text order (see the module docstring)."""
    out: list[Mention] = []
    for sent_id in sorted(view.by_sent):
        ms = view.by_sent[sent_id]
        line = view.sentence_text(sent_id)
        table_row = is_table_row(line, rules)
        drugs = [m for m in ms if m.label == "DRUG"]
        kept = _drug_anchors(view, ms, drugs, rules)
        # an oral-only product ("got 1-2 mg IM-IVP and Tylenol 650") leaves the sentence's
        # injection unnamed: it does not stop the fallbacks below; nor, for a coverage or
        # given amount (DOSE), does a drug running as an infusion ("heparin gtt at 900
        # units/hr, K 3.2 and given 40 mEq")
        drugs = [m for m in drugs if rules.drugs.get(m.ident, {}).get("role") != "oral"]
        bolus_drugs = [m for m in drugs if view.token(m.tok_end) not in rules.infusion_words]
        if table_row:
            kept = kept[:1]
        if not drugs:
            kept += [m for m in ms if m.label == "INJECTION"][:1]
        if not drugs and not any(m.label != "DRUG" for m in kept):
            routes = [
                m
                for m in ms
                if m.label == "ROUTE"
                and m.ident in rules.injection_routes
                and (
                    m.text.lower() not in rules.infusion_words | rules.infused_words
                    or class_infused(view, m, rules)
                )
            ]  # "neo drip up to 2 mics": a drip of a drug the lexicon does not name
            if view.sentence_words(sent_id) & rules.fluid_words:
                routes = []  # "LR 250cc IVB x2", "1 more unit of prbcs IV": fluids and blood
            if routes and (
                any(m.label == "ADMIN" for m in ms)
                or class_infused(view, routes[0], rules)
                or table_row
                or len(line) <= rules.window.template_line_chars
                or _charted_with_site(ms)
            ):
                kept = kept + routes[:1]
        if not bolus_drugs and not any(m.label != "DRUG" for m in kept):
            kept = kept + [m for m in ms if m.label == "DOSE"][:1]  # "covered with 2 units"
        if not kept and (opener := admin_opener(view, sent_id, ms, rules)) is not None:
            kept = [opener]  # "Pt here for B12 1000 mcg IM. Given L deltoid.": that B12 dose
        if drugs and rules.unnamed_class_words:
            kept = kept + [  # "received preoperative IV antibiotics ... and heparin subcutaneously"
                m
                for m in ms
                if m.label == "ROUTE"
                and m.ident in rules.injection_routes
                and (cls := class_word_after(view, m, rules)) is not None
                and not any(  # "IV antibiotics of Ancef": the class is named, one event
                    0 < d.tok_start - cls <= rules.window.class_named_tokens
                    and all(
                        view.token(i).lower() in rules.class_naming_words
                        for i in range(cls + 1, d.tok_start)
                    )
                    for d in drugs
                )
            ]
        out.extend(sorted(kept, key=lambda m: m.start))
    return out


def bolus_named(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` written as a bolus of itself: a bolus word right after it or its
    amount ("amio bolus and gtt", "propofol boluses given", "heparin 5000u bolus":
    ``extraction.yaml`` ``words.bolus``, ``regex.bolus_after``) or right before it, with at
    most a joining word ("bolused w/ amio", "bolus of heparin": ``regex.bolus_before``), each
    within ``window.bolus_before_chars``, or after a raise of its rate joined to a bolus word
    ("fentanyl raised w/ a few small boluses": ``regex.bolus_raised``, within
    ``window.bolus_raised_chars``)?

    Input: the note view, a mention, the rules (``words.bolus``). Output: bool (False for a
    mention that is not a DRUG). A bolus of a drug that runs, or is then started, as a drip is
    one administration, not the running infusion (corpora/README.md, decisions of nursing
    batches 2-5 and of the third blind batch; contract section 1)."""
    if a.label != "DRUG":
        return False
    if view.token(a.tok_end) in rules.bolus_words:
        return True
    stop = min(view.sentences[a.sent].end, a.end + rules.window.bolus_before_chars)
    if rules.bolus_after.match(view.text, a.end, stop):
        return True  # "heparin 5000u bolus", "Versed 2mg bolus x1"
    if rules.bolus_raised.match(
        view.text, a.end, min(view.sentences[a.sent].end, a.end + rules.window.bolus_raised_chars)
    ):
        return True  # "fentanyl raised w/ a few small boluses": boluses from the drip
    sent_start = view.sentences[a.sent].start
    lo = max(sent_start, a.start - rules.window.bolus_before_chars)
    return rules.bolus_before.search(view.text, lo, a.start) is not None
