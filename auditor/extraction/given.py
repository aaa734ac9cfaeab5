"""The "given now?" decision (contract section 1), and the rule that decided it.

An anchor is documented as given by: an administration verb in its sentence
(``cue:admin_verb``); a name that is the act of giving it ("heparinized":
``cue:given_by_name``); an administration section with a route, dose or site
(``section:administration``); a "Both given" line after a list (``cue:group_given``); or a
record-style entry, a route or dose plus a site, a verb, a provider, a response
(``record:site``, ``record:admin``, ``record:provider``, ``record:response``), a clock
time (``record:clock_time``) on its line or template block outside a plan, a dose and an
injection route in its own words outside a plan (``record:dose_route``, contract v2), a count
of two or more doses after it outside a plan ("x2": ``record:times``), or a start with its
injection route ("started GCSF SQ": ``record:started_route``).

It is *not* given now when a ConText modifier blocks it (``context:<category>``; a standing
regimen or order, ``context:STANDING``, only when no administration verb is in the
sentence: "on SQ heparin", "Toradol q6h prn", but "covered with SS insulin"; a schedule,
``context:REGIMEN``, only when no past-tense administration and no response after it is
told: "40 mg SC daily", but "was given IM once daily for three days", "medicated with MS 2 mg
IV q2-3h", "Ativan 0.5 mg IV q4h with good effect"), it is a perfect-tense or history-section
dose with no amount, this-encounter word or admission told just before it
(``admitted_before``: "He was admitted 3 days ago. He has been treated with IV antibiotics"
is a dose of this stay), it is told in a note's opening paragraph before a transfer to this
unit (``paragraph:before_transfer``: care of an earlier encounter), it stands in a list
section (home medications, allergies, histories: ``section:<category>``); a blocked
anchor is reported as not given
(``NotGiven.decided_by``) when the modifier is a not-given one (refused, held, planned) or
it is an order in a plan section (``section:planning``).

The two readings are then settled by named override rules (``settle``: a bolus is a dose, a
shot given today in a list, a start with its injection route, an injection procedure done with
the drug, a post-mortem report, an extra dose, a standing drug that needs its own verb), which
return the anchor's ``Decision``.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ..doses import Dose
from .anchors import class_infused
from .attributes import fluid_amount
from .rules import ExtractionRules
from .segments import Segment, opening_lines_end
from .view import Mention, NoteView

RECORD_LABELS = ("SITE", "ADMIN", "PROVIDER", "RESPONSE")


def affirmed_admin(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    """An ADMIN cue not negated by "no"/"not"/"never" just before it in its clause ("no
    correction insulin was given"; but "no chest pain and given morphine": a clause break,
    ``cues.yaml`` ``context.clause_breaks``, after the negator ends its reach; nor a negator
    whose next word is a finding it negates, ``extraction.yaml`` ``words.negated_findings``:
    "no ectopy K repleted"), nor an object-bound cue (``words.object_next_admin_cues``: "s/p")
    with no drug, dose or route right after it."""
    if m.label != "ADMIN":
        return False
    floor = view.sentences[m.sent].tok_start
    if _running_state(view, m, rules, floor):
        return False
    if _idle_object_cue(view, m, rules):
        return False  # "s/p ami ... on integrelin": the state after a condition, not a dose
    window = view.words_before(m.tok_start, rules.window.negator_tokens, floor)
    for i, w in enumerate(window):
        if (
            w in rules.negators
            and not any(x in rules.clause_breaks for x in window[i + 1 :])
            and not (i + 1 < len(window) and window[i + 1] in rules.negated_findings)
        ):
            return False
    return True


def _idle_object_cue(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    """Is ADMIN cue ``m`` an object-bound cue (``words.object_next_admin_cues``: "s/p") with no
    drug, dose or route starting within ``window.object_next_tokens`` tokens after it ("s/p
    extensive inferior MI, on dopamine", "s/p stent ... d/c integrelin")? It then tells a
    condition or a procedure, and gives no drug of its sentence or record."""
    if m.label != "ADMIN" or view.text[m.start : m.end].lower() not in rules.object_next_admin_cues:
        return False
    return not any(
        x.label in ("DRUG", "DOSE", "ROUTE")
        and m.tok_end <= x.tok_start <= m.tok_end + rules.window.object_next_tokens
        for x in view.in_sent(m.sent)
    )


def _running_state(view: NoteView, m: Mention, rules: ExtractionRules, floor: int) -> bool:
    """Is ADMIN cue ``m`` a state cue (``words.state_admin_cues``: "sedated with") that tells
    the running sedation, not a dose: no passive or sequence word right before it
    (``words.state_cue_given_before``: "was sedated with", "then sedated with") and no amount
    right after it ("sedated with 3 mg versed")? A body-system line telling the patient
    sedated with the running drugs states the drips (helper nursing26, nurs-22-5, nurs-36-5)."""
    if " ".join(view.text[m.start : m.end].lower().split()) not in rules.state_admin_cues:
        return False
    before = view.words_before(m.tok_start, 1, floor)
    if before and before[-1] in rules.state_cue_given_before:
        return False
    after = next((x for x in view.in_sent(m.sent) if x.start >= m.end and x.label != "ADMIN"), None)
    return after is None or after.label != "DOSE"


def _in_running_state(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` named after a state cue of its sentence that tells the running
    sedation (``_running_state``: "NEURO=SEDATED W PROP W GOOD EFFECT", "sedated w prop @
    20mcg and mso4 @ 3mg w some effect"), with no other administration cue between? The effect
    written after it is the drip's, not a dose's (corpora/README.md, nursing batches 15 and 26:
    drugs the patient is sedated on or with are the drips; helper nursing28, nurs-3-26)."""
    floor = view.sentences[a.sent].tok_start
    admins = [m for m in view.in_sent(a.sent) if m.label == "ADMIN" and m.end <= a.start]
    if admins:
        return _running_state(view, admins[-1], rules, floor)
    # a state cue the mention ruler leaves as no ADMIN ("SEDATED W PROP"), right before the
    # drug, with no passive or sequence word before it ("was sedated w")
    before = view.words_before(a.tok_start, 4, floor)
    for n in (2, 3):
        if (
            len(before) >= n
            and " ".join(before[-n:]) in rules.state_admin_cues
            and not (len(before) > n and before[-n - 1] in rules.state_cue_given_before)
        ):
            return True
    return False


def _cues_of_other_drugs(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is every affirmed administration cue of drug ``a``'s sentence a dose noun bound by "of"
    to another drug right after it, later in the sentence (a drip named first, then
    "occasional doses of haldol": the doses are the Haldol's; helper nursing26, nurs-36-5)?"""
    admins = [m for m in view.in_sent(a.sent) if affirmed_admin(view, m, rules)]
    if not admins or a.label != "DRUG":
        return False
    for m in admins:
        if m.start < a.end or not view.text[m.start : m.end].lower().endswith(" of"):
            return False
        nxt = next((x for x in view.in_sent(a.sent) if x.start >= m.end), None)
        if nxt is None or nxt.label != "DRUG" or nxt.ident == a.ident or nxt.tok_start != m.tok_end:
            return False
    return True


def _verbs_past_own_predicate(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Does drug ``a`` have its own predicate right after it (``words.own_predicate_words``)
    with every affirmed administration verb of its sentence after a clause break that follows
    that predicate ("heparin started, asa given": the given-word is the aspirin's)?"""
    if a.label != "DRUG" or view.token(a.tok_end) not in rules.own_predicate_words:
        return False
    if a.tok_end >= len(view.offsets):
        return False
    after = view.offsets[a.tok_end]
    admins = [m for m in view.in_sent(a.sent) if affirmed_admin(view, m, rules)]
    return bool(admins) and all(
        m.start > after and rules.clause_break.search(view.text, after, m.start) for m in admins
    )


def stated_given(view: NoteView, sent: int, rules: ExtractionRules) -> bool:
    """Does sentence ``sent`` hold an affirmed administration verb?"""
    return any(affirmed_admin(view, m, rules) for m in view.in_sent(sent))


def _given_this(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Does the sentence of anchor ``a`` hold an affirmed administration verb of ``a`` itself:
    not one after it that starts a clause of its own with another object ("was placed on
    heparin and given incentive spirometry": the verb's object names no drug, dose or
    route), nor one after a clause break whose object is another drug within
    ``window.own_verb_object_tokens`` tokens ("on oral metoprolol & digoxin, HR up, tx w/
    5 mg IV dilt": the diltiazem's verb), nor one after a clause break when the drug has its
    own predicate right after it (``words.own_predicate_words``: "heparin started, asa
    given")?"""
    text = view.text
    for m in view.in_sent(a.sent):
        if not affirmed_admin(view, m, rules):
            continue
        if m.start > a.end and _verbs_past_own_predicate(view, a, rules):
            continue  # "heparin started, asa given": the given-word is the next thing's
        if m.start > a.end and rules.clause_break.search(text, a.end, m.end):
            drug = next(
                (x for x in view.in_sent(a.sent) if x.start >= m.end and x.label == "DRUG"), None
            )
            if (
                drug is not None
                and drug.ident != a.ident
                and drug.tok_start - m.tok_end <= rules.window.own_verb_object_tokens
            ):
                continue  # "on oral metoprolol & digoxin, HR up, tx w/ 5 mg IV dilt"
        if (
            m.start > a.end
            and " and " in f" {text[a.end : m.start].lower()} "
            and not _listed_before_verb(view, a, m)
        ):
            nxt = [x for x in view.in_sent(a.sent) if x.start >= m.end and x.label != "ADMIN"]
            if (
                nxt
                and nxt[0].label == "DRUG"
                and nxt[0].ident != a.ident
                and nxt[0].tok_start - m.tok_end <= 3
            ):
                continue  # "placed on heparin and treated with Solu-Medrol": Solu-Medrol's verb
            own = nxt and nxt[0].label in ("DRUG", "DOSE", "ROUTE")
            if not (own and nxt[0].tok_start - m.tok_end <= 3) and not rules.doses.find_all(
                text[m.end : m.end + 25]
            ):
                continue  # "and given incentive spirometry": another thing given
        return True
    return False


def _listed_before_verb(view: NoteView, a: Mention, verb: Mention) -> bool:
    """Does another drug stand between the last "and" after drug ``a`` and the administration
    cue ``verb`` ("haloperidol 5 mg IM and lorazepam 2 mg IM given": a list of doses before one
    verb, which gives each; "placed on heparin and given incentive spirometry" is not one:
    team_m, tm-026)?"""
    between = view.text[a.end : verb.start].lower()
    cut = a.end + max(between.rfind(" and "), between.rfind(" & "))
    return any(
        x.label == "DRUG" and x.ident != a.ident and cut <= x.start < verb.start
        for x in view.in_sent(a.sent)
    )


def schedule_given(
    view: NoteView, sent: int, rules: ExtractionRules, in_list: bool = False
) -> bool:
    """Does sentence ``sent`` tell a scheduled drug's doses as given: an affirmed past-tense
    administration cue (``cues.yaml`` ``context.schedule_given``: "was given IM once daily for
    three days"), or any affirmed one with a given-today word ("every 12 weeks, given today")?
    In a medication-list section (``in_list``) only the given-today form counts: a list item
    "50 mcg subcutaneously given daily" describes the regimen itself."""
    admins = [m for m in view.in_sent(sent) if affirmed_admin(view, m, rules)]
    if not in_list and any(m.text.lower() in rules.schedule_given for m in admins):
        return True
    return any(_today_in_clause(view, m, rules) for m in admins)


def _today_in_clause(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    """A given-today word in the clause of administration cue ``m`` ("every 12 weeks, given
    today"): no clause break (``cues.yaml`` ``context.clause_breaks``) between them. A today
    of another clause is not the dose's ("cont to have K repleted per protocol, K 4.1 today":
    the level's)."""
    sent = view.sentences[m.sent]
    for i in range(sent.tok_start, sent.tok_end):
        if view.tokens[i] not in rules.given_today:
            continue
        lo, hi = (i + 1, m.tok_start) if i < m.tok_start else (m.tok_end, i)
        if not any(view.tokens[j] in rules.clause_breaks for j in range(lo, hi)):
            return True
    return False


def responded_after(view: NoteView, a: Mention) -> bool:
    """A response after anchor ``a`` in its sentence, before any other drug ("Ativan 0.5 mg IV
    every 4 hours with good effect"): the doses of the schedule were given (their effect is
    told)."""
    drugs_after = [m.start for m in view.in_sent(a.sent) if m.label == "DRUG" and m.start > a.end]
    stop = min(drugs_after, default=view.sentences[a.sent].end)
    return any(m.label == "RESPONSE" and a.end <= m.start < stop for m in view.in_sent(a.sent))


def numbered_dose(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Does the sentence of anchor ``a`` record one numbered dose of its series, with its site
    (``regex.dose_number`` and a SITE mention: "<drug> 1 mL IM L ventrogluteal, q2 weeks, dose
    #14")? Then the schedule written beside it is the series', and this dose was given."""
    sent = view.sentences[a.sent]
    if not rules.dose_number.search(view.text, sent.start, sent.end):
        return False
    return any(m.label == "SITE" for m in view.in_sent(a.sent))


def ordered_then_given(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """An affirmed past administration cue (``cues.yaml`` ``context.order_then_given``) after
    anchor ``a`` in its sentence, with no other drug between ("Dr. X ordered Toradol 30 mg
    IM, which was given in the R glut", "MD ordered dilaudid 0.5mg IV, given @0400"), not
    itself part of a future or negated phrase (a word of ``order_then_given_not_after`` right
    before it: "to be given", "will be administered", "not given")."""
    drugs_after = [  # another drug: the same one restated ("Vitamin D3 (cholecalciferol)") is none
        m.start
        for m in view.in_sent(a.sent)
        if m.label == "DRUG" and m.start > a.end and m.ident != a.ident
    ]
    stop = min(drugs_after, default=view.sentences[a.sent].end)
    return any(
        a.end <= m.start < stop
        and m.text.lower() in rules.order_then_given
        and affirmed_admin(view, m, rules)
        and view.token(m.tok_start - 1) not in rules.order_then_given_not_after
        for m in view.in_sent(a.sent)
    )


def prescription_given(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` carried out as written on its line: an injection route after it
    and then, before any other drug, an affirmed past administration cue
    (``ordered_then_given``'s cues: "Rx: Inj. Vitamin D3 6 lakh IU IM stat, R gluteal - given
    by Sr. A")? Not a dose change of a drip beside another drug's dose ("nitro decreased and
    given 2 mg of MSO4": no route of the nitro's own before the cue)."""
    if not ordered_then_given(view, a, rules):
        return False
    mentions = view.in_sent(a.sent)
    cues = [
        m.start
        for m in mentions
        if m.start >= a.end
        and m.text.lower() in rules.order_then_given
        and affirmed_admin(view, m, rules)
    ]
    return bool(cues) and any(
        m.label == "ROUTE" and a.end <= m.start < cues[0] and m.ident in rules.injection_routes
        for m in mentions
    )


def before_transfer(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is anchor ``a`` told in the opening narrative of a note made of paragraphs, before a
    transfer to this unit in that paragraph ("... received versed in the lab ... He was
    transferred to CCU": ``cues.yaml`` ``context.before_transfer``), or, after a sending to the
    emergency department before it in that paragraph (``context.before_transfer_ed_*``), in a
    later one? Or told after a visit to another hospital in that paragraph ("went to an outside
    hospital first, where she had labetalol": ``context.elsewhere_places``) with no transfer to this
    unit between? Care given before the
    transfer is care of another encounter (contract v2 section 1). A note's title on a line of
    its own (at most ``cues.yaml`` ``window.title_paragraph_chars`` long) before a blank line is
    no paragraph: the narrative after it is the first ("ICU Transfer Note", then the story)."""
    if rules.before_transfer is None:
        return False
    text = view.text
    start = 0  # the first paragraph, after any title lines ("ICU Transfer Note", blank line)
    while (gap := rules.blank_line.search(text, start, a.start)) is not None:
        title = text[start : gap.start()].strip()
        if "\n" in title or len(title) > rules.title_paragraph_chars:
            return False  # not in the first paragraph
        start = gap.end()
    end = rules.blank_line.search(text, a.end)
    if end is None:
        return False  # one paragraph only (no paragraph structure: transcriptions)
    if rules.before_transfer.search(text, a.end, end.start()) is not None:
        return True
    if rules.went_elsewhere is not None:
        away = list(rules.went_elsewhere.finditer(text, start, a.start))
        if away and rules.before_transfer.search(text, away[-1].end(), a.start) is None:
            return True  # "went to an outside hospital first, where she had labetalol"
    # the patient sent to the ED before the dose in the first paragraph, the arrival to this unit
    # told in a later one (an ED course with an IV antibiotic, then the unit reached overnight)
    return (
        rules.before_transfer_ed is not None
        and rules.before_transfer_ed.search(text, start, a.start) is not None
        and rules.before_transfer.search(text, end.end()) is not None
    )


def effect_of_earlier_care(
    view: NoteView, a: Mention, segment: Segment | None, rules: ExtractionRules
) -> bool:
    """Is drug anchor ``a``, with no amount in its own words, the drug an effect is credited to
    (a word of ``cues.yaml`` ``context.effect_links`` right before it: "urine up after bumex"),
    when the note's last earlier mention of that drug was care given before the transfer to this
    unit (``before_transfer``: "had bumex on the ward, then came to CCU")? The effect is that
    dose's, not a dose of this unit."""
    if a.label != "DRUG" or not rules.effect_links:
        return False
    own = view.text[segment.start : segment.end] if segment is not None else ""
    if any(not d.is_volume for d in rules.doses.find_all(own)):
        return False  # (a volume is the output: "urine up after bumex, 900 mL out")
    floor = view.sentences[a.sent].tok_start
    if not set(view.words_before(a.tok_start, 2, floor)) & rules.effect_links:
        return False
    family = rules.family_of(a.ident)
    earlier = [
        m
        for m in view.mentions
        if m.label == "DRUG" and m.end <= a.start and rules.family_of(m.ident) == family
    ]
    return bool(earlier) and before_transfer(view, earlier[-1], rules)


def stress_agent_given(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` the agent of the pharmacologic stress test this note reports: a
    drug of ``words.stress_agents``, in a note whose first ``window.stress_report_chars``
    characters name such a test (``regex.stress_report``: its title or a stress-technique
    heading), told with a dose word right after it (``words.stress_dose_after``: "Post
    dobutamine increment dose"), as infused (``infused_passive``) or right after an
    administration noun (``regex.stress_agent_lead``: "intravenous delivery of adenosine")?
    The report records the agent given for the imaging (one procedural event, even for a drug
    otherwise run only as a drip); a stress test told in another note's history is not this."""
    if rules.family_of(a.ident) not in rules.stress_agents:
        return False
    if not rules.stress_report.search(view.text, 0, rules.window.stress_report_chars):
        return False
    if view.token(a.tok_end) in rules.stress_dose_after or infused_passive(view, a, rules):
        return True
    sent = view.sentences[a.sent]
    return rules.stress_agent_lead.search(view.text, sent.start, a.start) is not None


def infused_passive(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` told as infused in a passive clause of its sentence, with the
    patient as subject ("The patient was infused with dobutamine", ``regex.infused_with_before``
    right before it) or the drug as subject ("Dobutamine was infused in graded doses",
    ``regex.infused_after`` right after it)? With no rate, drip or duration (``is_infusion``
    decides those first) that is one intravenous administration (corpora/README.md: an
    "infusion of <drug>" with no rate is one IV administration)."""
    sent = view.sentences[a.sent]
    if rules.infused_with_before.search(view.text, sent.start, a.start):
        return True
    return rules.infused_after.match(view.text, a.end, sent.end) is not None


def given_by(
    view: NoteView,
    a: Mention,
    segment: Segment,
    block: list[Segment],
    role: str | None,
    sent_has_anchor: set[int],
    rules: ExtractionRules,
) -> str | None:
    """The rule that documents anchor ``a`` as given (see the module docstring), or None.

    Args:
        segment, block: the anchor's words and template block (``segments.py``).
        role: the section role at the anchor (``section_rules.json`` ``roles``).
        sent_has_anchor: sentences holding an anchor (the other items of a list).
    """
    text = view.text
    if (
        stated_given(view, a.sent, rules)
        and not _verbs_past_own_predicate(view, a, rules)
        and not _cues_of_other_drugs(view, a, rules)
    ):
        return "cue:admin_verb"
    if rules.treated_for_with.search(text, view.sentences[a.sent].start, a.start):
        return "cue:admin_verb"  # "treated presumptively for proctitis with IM ceftriaxone"
    if a.label == "ROUTE" and class_infused(view, a, rules):
        return "cue:class_infused"  # "Antibiotics were infused prior to the incision"
    if a.label == "DRUG" and stress_agent_given(view, a, rules):
        return "record:stress_agent"  # "Post dobutamine increment dose" in a stress-test report
    if a.label == "DRUG" and infused_passive(view, a, rules):
        return "record:infused_passive"  # "The patient was infused with dobutamine"
    if a.label == "DRUG" and a.text.lower() in rules.given_by_name:
        return "cue:given_by_name"  # "full heparinization": the name is the act of giving it
    record = segment.mentions + [m for b in block for m in b.mentions]
    record_text = (
        text[segment.start : segment.end] + " " + " ".join(text[b.start : b.end] for b in block)
    )
    has_route_or_dose = any(m.label == "ROUTE" for m in record) or bool(
        rules.doses.find_all(record_text)
    )
    in_slash_list = False
    if (
        not has_route_or_dose
        and a.label == "DRUG"
        and rules.slash_amount_lead.match(text, a.end)
        and any(
            m.label == "ROUTE" and m.ident in rules.injection_routes and m.start > a.end
            for m in view.in_sent(a.sent)
        )
    ):
        # "Haldol 5 / Ativan 2 / Benadryl 50 mg IM": a slash list's item is read with the
        # list's route and unit (passes.slash_list_amounts gives it its amount)
        list_rest = text[a.end : view.sentences[a.sent].end]
        if rules.doses.find_all(list_rest):
            has_route_or_dose = in_slash_list = True
            record_text += " " + list_rest
    if role == "administration" and (has_route_or_dose or segment.of("SITE")):
        return "section:administration"
    if (
        role == "procedure_title"
        and (has_route_or_dose or segment.of("SITE"))
        and on_heading_line(view, a, rules)
    ):
        return "section:procedure_title"  # "OPERATION: Lumbar epidural steroid injection."
    if (
        role == "anesthesia_record"
        and (
            rules.doses.find_all(text[segment.start : segment.end])
            # "PREMEDICATION AND SEDATION: Fentanyl 100, midazolam 5.": the amount given with
            # its unit left out (no dose: contract section 3), still a record of the drug given
            or (a.label == "DRUG" and rules.bare_amount.match(text, a.end))
        )
        and on_heading_line(view, a, rules)
    ):
        # "ANESTHESIA: Conscious sedation with Versed 3 mg": a named drug with its amount under
        # a report's anaesthesia heading; "Monitored intravenous Versed sedation" names none
        return "section:anesthesia_record"
    if role == "not_administered" and report_premedication(
        view, a, view.section_at(a.start), segment, rules
    ):
        return "section:report_medications"  # "PROCEDURE: ... MEDICATIONS: Versed 1 mg IV"
    # "Both given by RN." / "All administered." after the list (never for a diagnosis
    # or complaint line: it lists no doses given)
    sents = view.sentences
    # (nor for an anaesthesia heading: "ANESTHESIA: Propofol and Versed." names a technique, and
    # a later sentence of the report is no "Both given" line for it)
    lookahead = (
        rules.window.group_line_lookahead if role not in ("indication", "anesthesia_record") else 0
    )
    for step in range(1, lookahead + 1):
        nxt = a.sent + step
        if nxt >= len(sents) or rules.blank_line.search(
            text, sents[a.sent].end, sents[nxt].start + 1
        ):
            break
        if nxt in sent_has_anchor:
            continue  # the list's other items
        if view.sentence_words(nxt) & rules.group_words and any(
            m.label == "ADMIN"
            and rules.group_words.intersection(
                view.tokens[max(0, m.tok_start - rules.window.group_admin_tokens) : m.tok_start]
            )
            for m in view.in_sent(nxt)
        ):
            return "cue:group_given"  # not "all discharge planning reviewed, scripts given"
    if started_then_tolerated(view, a, rules):
        return "record:started_tolerated"
    if started_with_route(view, a, segment, rules):
        return "record:started_route"
    shot = shot_record(view, a, segment, role, rules)
    if view.sentence_words(a.sent) & rules.given_today and (rules.excluded_kind(a.ident) or shot):
        return "record:today"  # "MMR #1 and Varivax #1 today", "B12 injection today"
    if role not in ("planning", "indication", "not_administered") and electrolyte_running(
        view, a, segment, rules
    ):
        return "record:infusing"  # "Mg sulfate 2 g infusing now": an IV replacement now
    times = rules.repeat.search(text, a.end, segment.end)
    if times and int(times.group(1)) > 1 and role != "planning":
        return "record:times"  # "MSO4 x 3 for comfort", "reglan given x2"
    if (
        times
        and role != "planning"
        and a.label == "DRUG"
        and (
            any(m.label == "INDICATION_CUE" and m.start >= times.end() for m in segment.mentions)
            or rules.doses.find_all(text[a.end : times.start()])
            or _dose_right_before(view, a, rules)
        )
    ):
        return "record:times"  # "labetalol x 1 for SBP 180s", "lasix 20mg x1": a count given
    if times and role != "planning" and a.label == "DRUG" and _bare_count(view, a, times.span()):
        return "record:times"  # "REGLAN X1." charted as a sentence of its own: the dose given
    if role not in ("planning", "indication") and for_symptom(view, a, rules):
        return "record:for_symptom"  # "Ativan for agitation", "Toradol and Tylenol for pain"
    if (
        role not in ("planning", "indication", "not_administered")
        and effect_after(view, a, rules)
        and not _in_running_state(view, a, rules)
        and not rules.regimen_before_drug.search(text, view.sentences[a.sent].start, a.start)
    ):
        return "record:with_effect"  # "prn Haldol w/ good result", "Ativan w/ effect"
    if role not in ("planning", "indication", "not_administered") and tolerated_which(
        view, a, rules
    ):
        return "record:tolerated"  # "VP-16 and ifosfamide infusions, which she tolerated well"
    if (
        role not in ("planning", "indication", "not_administered")
        and a.label == "DRUG"
        and rules.tolerated_dose_of.search(text, sents[a.sent].start, a.start)
    ):
        return "record:tolerated"  # "tolerated her usual dose of metoprolol": given
    if (
        role not in ("planning", "indication", "not_administered")
        and a.label == "DRUG"
        and rules.tolerated_drug_before.search(text, sents[a.sent].start, a.start)
        and rules.tolerated_drug_today_after.match(text, a.end)
    ):
        return "record:tolerated"  # "able to tolerate metoprolol today": that day's dose given
    if role not in ("planning", "not_administered") and procedure_done_with(view, a, rules):
        return "cue:procedure_done"  # "Using 0.5% Marcaine, I performed a nerve block"
    if role not in ("planning", "not_administered") and course_controlled(view, a, rules):
        return "record:course_controlled"  # "HOSPITAL COURSE: ... controlled with morphine"
    if not (has_route_or_dose or shot):
        return None
    for m in record:
        if m.label in RECORD_LABELS and not _idle_object_cue(view, m, rules):
            return f"record:{m.label.lower()}"
    sent_start = sents[a.sent].start
    lead_in = text[max(sent_start, segment.start - rules.window.time_before_chars) : segment.start]
    if in_slash_list:  # "23:40 B52 (Haldol 5 / Ativan 2 / ...)": the list's time
        lead_in = text[sent_start : segment.start]
    if role != "planning" and (
        rules.clock_time.search(record_text) or rules.clock_time.search(lead_in)
    ):
        return "record:clock_time"  # "@ 0200", "5PM 8u NPH"; in a plan, the time it is due
    if (
        role != "planning"
        and rules.doses.find_all(text[segment.start : segment.end])
        and any(m.label == "ROUTE" and m.ident in rules.injection_routes for m in segment.mentions)
        and not rules.visit_for_drug.search(text, sent_start, a.start)
    ):
        # "Solu-Medrol 150 mg IV" (contract v2 section 1), not the drug a visit is for ("Pt
        # arrived for monthly B12 1000 mcg IM": extraction.yaml regex.visit_for_drug)
        return "record:dose_route"
    if (
        role != "planning"
        and rules.doses.find_all(record_text)
        and _route_field_of(view, a, block, rules)
    ):
        return "record:route_field"  # "Medication: X 150 mg/mL   Amount: 1 mL   Route: IM"
    return None


def _route_field_of(
    view: NoteView, a: Mention, block: list[Segment], rules: ExtractionRules
) -> bool:
    """Is drug anchor ``a`` a visit form's medication field with its route field: a one-drug
    field label opening its line right before it (``regex.drug_field``: "Medication:") and an
    injection route after a route label (``regex.route_field``: "Route: IM", "Route: [x] IM")
    later on that line or on a field line of its template block? Such a form line with its
    dose is a medication-administration line with a dose and a route (contract section 1):
    "Medication: medroxyprogesterone acetate 150 mg/mL   Amount: 1 mL   Route: IM"."""
    text = view.text
    if a.label != "DRUG":
        return False
    lo = text.rfind("\n", 0, a.start) + 1
    if not rules.drug_field.fullmatch(text, lo, a.start):
        return False
    hi = text.find("\n", a.end)
    hi = len(text) if hi < 0 else hi
    places = [(a.end, hi)] + [(b.start, b.end) for b in block]
    for m in view.mentions:
        if m.label != "ROUTE" or m.ident not in rules.injection_routes:
            continue
        if not any(start <= m.start < end for start, end in places):
            continue
        line_start = text.rfind("\n", 0, m.start) + 1
        if rules.route_field.search(text, max(line_start, a.end if m.start < hi else 0), m.start):
            return True
    return False


def _dose_right_before(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Does an amount stand right before drug ``a`` in its sentence ("3 mg dilaudid x1": the dose
    written before the drug, as "lasix 20mg x1" writes it after; helper nursing26,
    nurs-157-1)?"""
    start = view.sentences[a.sent].start
    before = view.text[start : a.start].rstrip()
    doses = rules.doses.find_all(before)
    return bool(doses) and doses[-1].end == len(before)


def _bare_count(view: NoteView, a: Mention, count: tuple[int, int]) -> bool:
    """Is the drug's sentence only the drug and its count ("REGLAN X1.", "- ativan x 1"): a line of
    a nursing note charting one dose (helper nursing18, nurs-136-13), not an order, which names a
    dose, a route or a time with it?"""
    sent = view.sentences[a.sent]
    before = view.text[sent.start : a.start]
    after = view.text[count[1] : sent.end]
    between = view.text[a.end : count[0]]
    return not any(c.isalnum() for c in before + after + between)


def course_controlled(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` named, in the course section of a summary (its heading matches
    ``extraction.yaml`` ``regex.course_title``: "HOSPITAL COURSE:", "ED COURSE:"), as what a
    problem was controlled or managed with (``regex.course_controlled`` before it in its
    sentence, then only other drug names, routes, doses and list words, ``cues.yaml``
    ``context.for_symptom_list_words``: "her pain was controlled with morphine and Toradol")?
    A summary's course that names what controlled a problem documents doses given, one event
    per drug (corpora/README.md, second blind batch); a nursing note's "BP controlled with" a
    scheduled push has no course heading and stays a regimen (nursing batch 4)."""
    if a.label != "DRUG" or rules.course_title is None or rules.course_controlled is None:
        return False
    starts = [sec.start for sec in view.sections if sec.start <= a.start < sec.end]
    if not starts or not rules.course_title.match(view.text, starts[-1]):
        return False
    sent = view.sentences[a.sent]
    cues = list(rules.course_controlled.finditer(view.text, sent.start, a.start))
    if not cues:
        return False
    named = {
        i
        for m in view.in_sent(a.sent)
        if m.label in ("DRUG", "ROUTE", "DOSE") and m.end <= a.start
        for i in range(m.tok_start, m.tok_end)
    }
    first = bisect_left(view.offsets, cues[-1].end())
    return all(
        i in named or view.tokens[i] in rules.symptom_list_words for i in range(first, a.tok_start)
    )


def on_heading_line(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is anchor ``a`` on the line its section heading opens ("OPERATION: Lumbar epidural
    steroid injection, ..."): no sentence end (``regex.heading_line_end``: a period not after a
    digit, as "1." of a numbered list is not one, or a line break) between the section's start
    and the anchor? A discharge summary's "OPERATION: ..." line followed by the history with no
    heading of its own leaves that history outside the title (``section_rules.json`` roles
    ``procedure_title`` and ``anesthesia_record``)."""
    starts = [sec.start for sec in view.sections if sec.start <= a.start < sec.end]
    if not starts:
        return False
    return rules.heading_line_end.search(view.text, starts[-1], a.start) is None


def shot_record(
    view: NoteView, a: Mention, segment: Segment, role: str | None, rules: ExtractionRules
) -> bool:
    """Is drug anchor ``a`` the head of a verbless record of one shot ("B12 injection today",
    "Depo shot, L deltoid, tolerated well", "2. Anemia: B12 injection today")? Outside a plan,
    no word before the drug in its sentence (after a label's colon), and one of
    ``extraction.yaml`` ``words.single_injection`` in its segment: not "her insulin
    injections" (a plural is a habit) nor "she asks about a B12 shot" (a word before it)."""
    lead = view.text[view.sentences[a.sent].start : a.start].rsplit(":", 1)[-1]
    return (
        role != "planning"
        and not any(c.isalpha() for c in lead)
        and any(
            m.label == "INJECTION" and m.text.lower() in rules.single_injection_words
            for m in segment.mentions
        )
    )


def _named_after(view: NoteView, a: Mention) -> set[int]:
    """Token indices of the drug, route and dose mentions after anchor ``a`` in its sentence:
    the words a list of drugs may hold between ``a`` and what tells that it was given."""
    return {
        i
        for m in view.in_sent(a.sent)
        if m.label in ("DRUG", "ROUTE", "DOSE") and m.start > a.start
        for i in range(m.tok_start, m.tok_end)
    }


def another_for_list(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` a later item of a list of drugs whose first item is said to be
    another dose ("Received additional Versed and fentanyl": the fentanyl is another dose too)?
    Walking back over the drug mentions of its sentence joined only by list words
    (``extraction.yaml`` ``words.list_joiners``), the ``window.list_head_lead_tokens`` words
    before the first drug hold a word of ``words.another_dose``."""
    if a.label != "DRUG":
        return False
    drugs = [m for m in view.in_sent(a.sent) if m.label == "DRUG" and m.end <= a.start]
    head = a
    for m in reversed(drugs):
        between = view.tokens[m.tok_end : head.tok_start]
        if not between or not set(between) <= rules.list_joiners:
            break
        head = m
    if head is a:
        return False
    floor = view.sentences[a.sent].tok_start
    lead = view.tokens[
        max(floor, head.tok_start - rules.window.list_head_lead_tokens) : head.tok_start
    ]
    return bool(set(lead) & rules.another_dose)


def for_symptom(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` named with the acute symptom it was given for, with no verb ("Ativan
    for agitation", "Toradol and Tylenol for pain relief")? After the drug, within
    ``cues.yaml`` ``window.for_symptom_tokens`` tokens, only other drug names, routes, doses
    and list words (``context.for_symptom_list_words``), then a link word (``for_symptom_links``:
    "for"), then a symptom word (``for_symptom_words``) among the next two tokens. Nursing and
    progress-note shorthand (corpora/README.md: what counts as given)."""
    if a.label != "DRUG" or rules.symptom_max_tokens <= 0:
        return False
    end = view.sentences[a.sent].tok_end
    named = _named_after(view, a)
    i = a.tok_end
    while i < min(end, a.tok_end + rules.symptom_max_tokens) and (
        i in named or view.tokens[i] in rules.symptom_list_words or view.tokens[i].isdigit()
    ):
        i += 1
    if i >= end or view.tokens[i] not in rules.symptom_links:
        return False
    return any(w in rules.acute_symptoms for w in view.tokens[i + 1 : min(end, i + 3)])


def effect_after(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` followed, with no verb, by the effect it had ("prn Haldol w/ good
    result", "Ativan prn w/ good effect", "MSO4 2 mg IV with relief", "Toradol and morphine,
    both with relief": each drug of the list)? A RESPONSE mention starts within
    ``cues.yaml`` ``window.for_symptom_tokens`` tokens after the drug, and only other drug names,
    routes, doses, numbers and the list words of ``context.for_symptom_list_words`` and
    ``context.effect_between_words`` ("prn", "with") stand between, and for a drug of
    ``context.effect_start_classes`` a start word (``context.effect_start_words``: "bumex started
    w/ good urine output"; a sedative started with its effect is its drip). A dose given this shift,
    told by its effect (nursing and progress-note shorthand; corpora/README.md, what counts as
    given)."""
    if a.label != "DRUG" or rules.symptom_max_tokens <= 0:
        return False
    sent = view.sentences[a.sent]
    named = _named_after(view, a)
    passing = rules.effect_between_words
    if rules.drugs.get(a.ident, {}).get("class") in rules.effect_start_classes:
        passing = passing | rules.effect_start_words  # "bumex started w/ good urine output"
    for m in view.in_sent(a.sent):
        if m.label != "RESPONSE" or m.start < a.end:
            continue
        between = view.tokens[a.tok_end : m.tok_start]
        if sum(w not in passing for w in between) > rules.symptom_max_tokens:
            return False  # (the words of a frequency, "q1-2/hr", do not count)
        return all(
            i in named
            or view.tokens[i] in rules.symptom_list_words
            or view.tokens[i] in passing
            or view.tokens[i].replace(".", "").isdigit()
            for i in range(a.tok_end, min(m.tok_start, sent.tok_end))
        )
    return False


def tolerated_which(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` the antecedent of a relative clause telling how the patient
    tolerated it ("cycle seven of VP-16, ifosfamide, and mesna infusions, which she tolerated
    well throughout the admission")? After the drug, in its sentence, only other drugs, routes,
    doses, numbers, list words (``cues.yaml`` ``context.for_symptom_list_words``) and the head
    nouns of ``extraction.yaml`` ``words.tolerated_heads`` stand before a relative word
    (``words.tolerated_relative``) whose clause, within ``window.tolerated_clause_tokens``
    tokens, holds a RESPONSE mention."""
    if a.label != "DRUG" or not rules.tolerated_relative:
        return False
    sent = view.sentences[a.sent]
    named = _named_after(view, a)
    responses = [m.tok_start for m in view.in_sent(a.sent) if m.label == "RESPONSE"]
    for i in range(a.tok_end, sent.tok_end):
        w = view.tokens[i]
        if w in rules.tolerated_relative:
            return any(i < r <= i + rules.window.tolerated_clause_tokens for r in responses)
        if not (
            i in named
            or w in rules.symptom_list_words
            or w in rules.tolerated_heads
            or w.replace(".", "").isdigit()
        ):
            return False
    return False


def procedure_done_with(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` the means of an injection procedure its sentence tells as done
    ("Using 0.5% Marcaine with epinephrine, I performed a left inferior alveolar nerve block",
    "The block was performed with 40 mg of Depo-Medrol")? The sentence holds a route-``other``
    or INJECTION mention and a word of ``extraction.yaml`` ``words.procedure_done``, and one of
    ``words.procedure_means`` stands within ``window.procedure_means_tokens`` tokens before the
    drug."""
    if a.label != "DRUG" or not rules.procedure_done or rules.window.procedure_means_tokens <= 0:
        return False
    if not view.sentence_words(a.sent) & rules.procedure_done:
        return False
    if not any(
        (m.label == "ROUTE" and m.ident == "other") or m.label == "INJECTION"
        for m in view.in_sent(a.sent)
    ):
        return False
    floor = view.sentences[a.sent].tok_start
    before = view.words_before(a.tok_start, rules.window.procedure_means_tokens, floor)
    return bool(set(before) & rules.procedure_means)


def started_then_tolerated(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """A drug "started" (only ``modifiers.started_then_tolerated`` on it) with a response after
    it in its sentence ("started on her Rituxan, which she tolerated well")."""
    mods = a.modifiers - rules.present_mods
    return (
        bool(mods)
        and mods <= rules.started_mods
        and bool(view.sentence_words(a.sent) & rules.started_words)
        and any(m.label == "RESPONSE" and m.start > a.end for m in view.in_sent(a.sent))
    )


def started_with_route(
    view: NoteView, a: Mention, segment: Segment, rules: ExtractionRules
) -> bool:
    """A drug "started" with its injection route in its own words and no schedule ("started
    GCSF SQ", "Neupogen SQ started"): the first dose was given (``record:started_route``). A
    regimen put in place ("started on Lovenox 40 mg SC daily", "started heparin 5000 units SC
    q8h") is an order, not a dose (``cues.yaml`` ``context.started_routes`` and
    ``started_not_before``; the real-text gold's labelling decisions, corpora/README.md). A drug
    of ``context.started_iv_classes`` started by IV counts too ("bumex 1 mg iv started at noon",
    "IV Reglan started"), unlike an IV antibiotic course begun ("Diflucan started IV"). Such
    a drug written as an order line with its amount, IV route and schedule and the start word
    right after it ("METOPROLOL 2.5MG IV Q4H STARTED", within ``window.started_after_tokens``) is
    started with its first dose too, though the schedule (``modifiers.started_after_schedule``)
    is on it (corpora/README.md nursing batch 17, nurs-72-8)."""
    if a.label != "DRUG":
        return False
    iv_start = rules.drugs.get(a.ident, {}).get("class") in rules.started_iv_classes
    if not a.modifiers - rules.present_mods <= rules.started_mods:
        return iv_start and _order_line_started(view, a, segment, rules)
    if not any(
        m.label == "ROUTE" and (m.ident in rules.started_routes or (iv_start and m.ident == "IV"))
        for m in segment.mentions
    ):
        return False
    sent = view.sentences[a.sent]
    for i in range(sent.tok_start, sent.tok_end):
        if view.tokens[i] in rules.started_words:
            nxt = view.tokens[i + 1] if i + 1 < sent.tok_end else ""
            if nxt not in rules.started_not_before:
                return True
    return False


def _order_line_started(
    view: NoteView, a: Mention, segment: Segment, rules: ExtractionRules
) -> bool:
    """Is ``a`` written as an IV order line with its amount and the start word right after it
    ("METOPROLOL 2.5MG IV Q4H STARTED"), its only blocking modifiers the schedule's
    (``modifiers.started_after_schedule``)?"""
    reach = rules.window.started_after_tokens
    if not reach or not a.modifiers - rules.present_mods <= rules.started_after_mods:
        return False
    if not any(
        m.label == "ROUTE" and m.ident == "IV" and m.start > a.start for m in segment.mentions
    ):
        return False
    if not rules.doses.find_all(view.text[a.end : segment.end]):
        return False
    end = min(a.tok_end + reach, view.sentences[a.sent].tok_end)
    return any(view.tokens[i] in rules.started_words for i in range(a.tok_end, end))


def blocked_by(
    view: NoteView,
    a: Mention,
    category: str | None,
    role: str | None,
    rules: ExtractionRules,
    segment: Segment | None = None,
) -> str | None:
    """Why anchor ``a`` cannot be an event of this encounter, or None: a blocking ConText
    modifier (``context:<category>``, first in name order) or a list section with no
    administration verb in the sentence (``section:<category>``). A perfect-aspect modifier
    alone (``cues.yaml`` ``context.recent_unless_dosed``: "has received") does not block a drug
    with an amount in its own words (``segment``) or a this-encounter modifier; "last night"
    (``night_unless_night_note``) does not block a dose of a note that charts a night shift
    (``night_note``)."""
    if started_then_tolerated(view, a, rules):
        return None  # "started on IV Unasyn, which he tolerated well": the first dose was given
    if dated_earlier(view, a, rules):
        return "date:earlier_visit"  # "PPD ... placed 12/05/2026" in a note of 12/07/2026
    mods = sorted(a.modifiers & rules.blocking)
    own = view.text[segment.start : segment.end] if segment is not None else ""
    if mods and set(mods) <= rules.recent_mods | rules.admitted_mods:
        if (
            a.modifiers & rules.present_mods
            or (set(mods) <= rules.recent_mods and rules.doses.find_all(own))
            or (set(mods) & rules.admitted_mods and admitted_before(view, a, rules))
        ):
            mods = []  # "Has received 1 mg vit K IV", "was admitted ... has been treated with"
    if mods and set(mods) <= rules.night_mods and night_note(view, rules):
        mods = []  # "Haldol 2 mg given last night" in a night nurse's note: her shift
    if mods and set(mods) <= rules.hypothetical_mods and ordered_then_given(view, a, rules):
        mods = []  # "ordered Toradol 30 mg IM, which was given": the order was carried out
    elif mods and set(mods) <= rules.carried_out_mods and prescription_given(view, a, rules):
        mods = []  # "Rx: Inj. X 6 lakh IU IM stat, R gluteal - given": the line carried out
    if mods:
        return f"context:{mods[0]}"
    elsewhere = sorted(a.modifiers & rules.ed_elsewhere_mods)
    if elsewhere and not rules.emergency_note.search(view.text):
        return f"context:{elsewhere[0]}"  # "In the emergency room he was given morphine"
    if before_transfer(view, a, rules):
        return "paragraph:before_transfer"  # "... received versed. Transferred to CCU."
    if effect_of_earlier_care(view, a, segment, rules):
        return "paragraph:before_transfer"  # bumex on the ward, then "urine up after bumex"
    # a schedule written on the dose's own words ("Heparin 5,000 units subcutaneously BID": the
    # frequency reaches the route, not the drug four words back) is the drug's schedule too
    own_mods = (
        a.modifiers.union(
            *(
                m.modifiers
                for m in segment.mentions
                if m.label in ("ROUTE", "DOSE") and m.start > a.end
            )
        )
        if segment is not None
        else a.modifiers
    )
    schedule = sorted(own_mods & rules.schedule_mods)
    listed = role == "not_administered"
    if (
        schedule
        and not schedule_given(view, a.sent, rules, listed)
        and (listed or not responded_after(view, a))
        and (listed or not numbered_dose(view, a, rules))
        and not mar_row_given(view, a, rules)
    ):
        return f"context:{schedule[0]}"  # "40 mg SC daily", but "was given IM daily for 3 days"
    if coverage_regimen(view, a, segment, rules):
        return "cue:coverage_regimen"  # "covered w/ zosyn + vanco": the course
    standing = sorted(a.modifiers & rules.standing_mods) or _standing_list_item(view, a, rules)
    if standing and not _given_this(view, a, rules) and not effect_after(view, a, rules):
        return f"context:{standing[0]}"  # "on SQ heparin", "Toradol 30 mg IM q6h prn"
    if (
        role == "not_administered"
        and not stated_given(view, a.sent, rules)
        and not report_premedication(view, a, category, segment, rules)
    ):
        return f"section:{category}"
    if history_told(view, a, category, rules):
        return f"section:{category}"  # the history of the present illness: told, not given now
    return None


def mar_row_given(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a``'s line a MAR order whose next line is its administration row: an
    indented line opening with a date or a clock time (``regex.mar_row``: "    12/06/26 2100
    GIVEN   ABD LLQ") that names no drug and holds an affirmed administration word
    (``affirmed_admin``)? The row documents a dose of the scheduled order given (tj-003; a
    "NOT GIVEN" row documents none)."""
    if a.label != "DRUG":
        return False
    text = view.text
    eol = text.find("\n", a.end)
    if eol < 0:
        return False
    row = rules.mar_row.match(text, eol + 1)
    if row is None:
        return False
    end = text.find("\n", row.end())
    end = len(text) if end < 0 else end
    inside = [m for m in view.mentions if eol < m.start < end]
    if any(m.label == "DRUG" for m in inside):
        return False
    return any(affirmed_admin(view, m, rules) for m in inside)


def _date_key(m: re.Match[str]) -> tuple[int, int, int]:
    return int(m.group("y")), int(m.group("m")), int(m.group("d"))


def dated_earlier(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is anchor ``a``'s sentence an administration dated with its calendar date
    (``regex.dated_admin``: "placed 12/05/2026", "given on 11/30/2026") earlier than the note's
    own date (``regex.visit_date``, the first date of the note's opening lines,
    ``window.opening_lines``)? A tuberculin test read today was placed at an earlier visit
    (tk-045): no event of this one (contract section 1)."""
    sent = view.sentences[a.sent]
    dated = [m for m in rules.dated_admin.finditer(view.text, sent.start, sent.end)]
    if not dated:
        return False
    at = opening_lines_end(view.text, rules.window.opening_lines)
    visit = rules.visit_date.search(view.text, 0, min(at, sent.start))
    if visit is None:
        return False
    return all(_date_key(m) < _date_key(visit) for m in dated)


def night_note(view: NoteView, rules: ExtractionRules) -> bool:
    """Does the note chart a night shift (``extraction.yaml`` ``regex.night_note``: "11p-7a",
    "overnight", "during the night", a clock time from 2300 to 0459) and no day shift
    (``regex.day_note``: "7a-7p", "day shift")? Its "last night" is then the writer's shift
    (``cues.yaml`` ``night_unless_night_note``)."""
    return bool(rules.night_note.search(view.text)) and not rules.day_note.search(view.text)


def history_told(view: NoteView, a: Mention, category: str | None, rules: ExtractionRules) -> bool:
    """Is anchor ``a`` told in the history of the present illness (a section of
    ``extraction.yaml`` ``history_sections`` whose heading, at a line's start, matches
    ``regex.history_title``: "HPI:", "HX:", "HISTORY OF PRESENT ILLNESS:"), not tied to this
    encounter's time ("This a.m. he required Haldol 1 mg IM") nor told after this stay's
    admission (a present-perfect course after "was admitted" is the stay's even in the
    history), nor, in a section of ``history_sections_unless_dosed`` (a past medical history),
    told with an amount after it in its sentence? The care it tells came before this
    encounter."""
    if not (
        category in rules.history_sections
        and not this_encounter(view, a, rules)
        and not admitted_before(view, a, rules, stay_only=not a.modifiers & rules.admitted_mods)
    ):
        return False
    if category in rules.history_unless_dosed and rules.doses.find_all(
        view.text[a.end : view.sentences[a.sent].end]
    ):
        return False  # "PMH: ... Toradol 60 mg IM given": an amount makes it a dose record
    starts = [sec.start for sec in view.sections if sec.start <= a.start < sec.end]
    start = starts[-1] if starts else 0
    line_start = max(view.text.rfind("\n", 0, start), view.text.rfind(",", 0, start)) + 1
    at_line_start = not view.text[line_start:start].strip()
    titled = bool(rules.history_title.match(view.text[start : start + 60]))
    return bool(starts) and at_line_start and titled


def report_premedication(
    view: NoteView,
    a: Mention,
    category: str | None,
    segment: Segment | None,
    rules: ExtractionRules,
) -> bool:
    """Is drug anchor ``a`` written with its amount under a medication heading
    (``extraction.yaml`` ``words.report_medication_sections``), with an injection route in its
    sentence (or no route at all for a sedation drug, ``words.report_sedation_classes``), of a
    procedure report that opens with its procedure heading
    (``words.report_title_sections``: "PROCEDURE: Sigmoidoscopy. INDICATIONS: ...
    MEDICATIONS: Fentanyl 0.1 mg IV, Versed 1 mg IV") or its pre-operative diagnosis
    (``regex.report_opening``)? There the heading lists what was given
    for the procedure, not a home list (a schedule still makes it a regimen: blocked_by). With
    no amount, only a drug with an injection route that a later sentence says was given
    ("sedated with the above medications": ``regex.above_medications_given``)."""
    if category not in rules.report_medication_sections or segment is None or a.label != "DRUG":
        return False
    own = view.text[segment.start : segment.end]
    routes = [m for m in view.in_sent(a.sent) if m.label == "ROUTE"]
    if not rules.doses.find_all(own):
        # "MEDICATIONS: 1. Versed intravenously." with "sedated with the above medications"
        # later in the report (``regex.above_medications_given``): given by that route (the
        # later sentence makes the note a procedure report, whatever heading opens it)
        return any(m.ident in rules.injection_routes for m in routes) and bool(
            rules.above_medications_given.search(view.text, a.end)
        )
    if not rules.report_opening.match(view.text):  # "PREOPERATIVE DIAGNOSIS: ..." opens it
        first = min(view.sections, key=lambda s: s.start, default=None)
        if first is None or first.category not in rules.report_title_sections:
            return False
        if view.text[: first.start].strip(" ,\n\t"):
            return False  # the title must open the note
    if not routes:  # "MEDICATIONS: Versed 2 mg, fentanyl 100 mcg.": the sedation given
        if rules.drugs.get(a.ident, {}).get("class") not in rules.report_sedation_classes:
            return False
        held = [s for s in view.sections if s.start <= a.start < s.end]
        lo, hi = (held[-1].start, held[-1].end) if held else (a.start, a.end)
        # a drug of the heading told with a schedule or by mouth ("MS Contin 30 mg b.i.d.")
        # makes the heading a medication list
        return rules.report_list_schedule.search(view.text, lo, hi) is None
    return any(m.ident in rules.injection_routes for m in routes)


def coverage_regimen(
    view: NoteView, a: Mention, segment: Segment | None, rules: ExtractionRules
) -> bool:
    """Is drug anchor ``a`` an antimicrobial (``extraction.yaml`` ``words.coverage_classes``)
    told only as the coverage the patient is on: every affirmed administration cue of its
    sentence opens with a coverage word (``coverage.cues``: "ID: remains febrile, covered w/
    zosyn + vanco", "cvd w/"), and no amount is in its own words? That is a course (a
    regimen), not a dose of this shift (contract v2 section 1); "covered w/ 6u regular
    insulin" (an amount, and not an antimicrobial) is a dose given."""
    if a.label != "DRUG" or rules.drugs.get(a.ident, {}).get("class") not in rules.coverage_classes:
        return False
    admins = [m for m in view.in_sent(a.sent) if affirmed_admin(view, m, rules)]
    if not admins or any(m.text.lower().split()[0] not in rules.coverage_cue_words for m in admins):
        return False
    own = view.text[segment.start : segment.end] if segment is not None else ""
    return not rules.doses.find_all(own)


def admitted_before(
    view: NoteView, a: Mention, rules: ExtractionRules, stay_only: bool = False
) -> bool:
    """Is this admission told before anchor ``a``: in its sentence before it, or in one of the
    ``window.admission_told_sentences`` sentences before it with no blank line between
    (``extraction.yaml`` ``regex.admission_told``: "He was admitted to the hospital 3 days ago.
    He has been treated with IV antibiotics")? A perfect-tense or history-section dose told
    after the admission is a dose of this stay (an inpatient consultation's or H&P's narrative
    of the stay so far), as a course's dose is. With ``stay_only``, only the words that place a
    narrative in the stay count (``regex.stay_told``: "on admission", "during this
    hospitalization"), not "was admitted", after which an H&P may go on telling the emergency
    department's care."""
    n = rules.window.admission_told_sentences
    if n <= 0:
        return False
    text = view.text
    first = max(0, a.sent - n)
    for i in range(a.sent - 1, first - 1, -1):
        if rules.blank_line.search(text, view.sentences[i].end, view.sentences[i + 1].start + 1):
            first = i + 1
            break
    start = view.sentences[first].start
    told = rules.stay_told if stay_only else rules.admission_told
    return told.search(text, start, a.start) is not None


def this_encounter(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is anchor ``a``, or a drug before it in its sentence, tied to this encounter's time by a
    ConText PRESENT modifier ("This a.m. he required Haldol 1 mg IM", "was admitted and started
    on IV Unasyn, ... and required morphine")?"""
    return any(
        m.modifiers & rules.present_mods
        for m in view.in_sent(a.sent)
        if m is a or (m.label == "DRUG" and m.start < a.start)
    )


def not_given_by(
    a: Mention,
    given: bool,
    role: str | None,
    rules: ExtractionRules,
    list_section: bool,
    view: NoteView | None = None,
) -> str | None:
    """The rule that reports a non-event injection anchor as not given, or None when it is
    silently not an event (history, family, home medication, prescription, allergy, list
    section, a schedule without a plan or refusal, a possibility named among the risks of a
    procedure: ``risk_listed``)."""
    mods = a.modifiers
    if role in rules.plan_over_history_roles and mods & rules.not_given_mods:
        # "Return at 15 months for a well visit, with her vaccines at that time": in a
        # plan, "at that time" is the planned time (cues.yaml context.plan_over_history)
        mods = mods - rules.plan_over_history
    if mods & rules.no_flag_mods or list_section:
        return None
    if (
        view is not None
        and a.modifiers & rules.not_given_mods <= {"HYPOTHETICAL"}
        and risk_listed(view, a, rules)
    ):
        return None  # "The risks included ... need for further injections": no plan
    if a.label == "DRUG" and rules.family_of(a.ident) in rules.infusion_only_families:
        return None  # "dopamine started", "hold dobutamine": a drip (cues.yaml infusion_only)
    entry = rules.drugs.get(a.ident, {}) if a.label == "DRUG" else {}
    if entry.get("exclusion") in rules.no_flag_iv_only_exclusions and entry.get("iv_only"):
        return None  # "plan cisplatin and paclitaxel after surgery": a later course by infusion
    if entry.get("class") in rules.no_flag_infusion_classes and not entry.get("im_sc_form"):
        return None  # "start meropenem IVPB", "KCl 80 mEq IV in divided doses": an infusion
    not_given = sorted(a.modifiers & rules.not_given_mods)
    if (
        not_given == ["NEGATED_EXISTENCE"]
        and view is not None
        and view.sentence_words(a.sent) & rules.history_stop_words
        and history_told(view, a, view.section_at(a.start), rules)
    ):
        # "... the antibiotics and Solu-Medrol were discontinued" in the history of the present
        # illness: a stop of earlier care, not this encounter's decision (a nursing note's "SC
        # heparin d/c'd" has no history heading and keeps its flag: corpora/README.md)
        return None
    if a.modifiers & (rules.schedule_mods | rules.standing_mods) and not not_given:
        return None  # a schedule ("40 mg SC daily") or standing order ("IM q6h prn"), not a plan
    if a.modifiers & rules.conditional_mods and set(not_given) <= {"HYPOTHETICAL"}:
        return None  # "plan to give lasix 20 IVB if CVP stays up": a prn order, not a plan
    if not_given == ["NEXT_DOSE"] and a.label != "DRUG":
        return None  # "return 13 wks for next shot": a later dose of a series, no drug named
    if not_given:
        return f"context:{not_given[0]}"
    if not given and role == "planning" and a.label == "DRUG":
        return "section:planning"  # an order in the plan, not documented as given
    if not given and role == "planning" and a.label == "INJECTION" and _item_head(view, a):
        # a plan item that is an injection ("5. Parenteral antibiotics.", "Flu shot."): an
        # unnamed injection planned (corpora/README.md, blind batch decisions); not one named
        # inside an item's words ("pen injection technique video sent")
        return "section:planning"
    return None


def _item_head(view: NoteView | None, a: Mention) -> bool:
    """Is anchor ``a`` the whole of its sentence, after a label's colon or a list number ("3.
    Parenteral antibiotics.", "P: Flu shot.")? Not "2. Immunizations reviewed." (the item
    tells what was done about it)."""
    if view is None:
        return False
    sent = view.sentences[a.sent]
    lead = view.text[sent.start : a.start].rsplit(":", 1)[-1]
    tail = view.text[a.end : sent.end]
    return not any(c.isalpha() for c in lead + tail)


def risk_listed(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is anchor ``a`` an item of a list of risks or complications its sentence opens before
    it ("The risks included, but are not limited to, bleeding, infection ... or injections":
    ``regex.risk_listing``), as in the informed-consent paragraph of a procedure report? What
    might happen later is neither given nor planned (contract section 1: only a documented
    plan, hold or refusal raises ``not_administered``)."""
    sent = view.sentences[a.sent]
    return rules.risk_listing.search(view.text, sent.start, a.start) is not None


def _verb_near(view: NoteView, a: Mention, segment: Segment, rules: ExtractionRules) -> bool:
    """An affirmed administration verb of anchor ``a``'s sentence in its segment or at most
    ``window.infusion_verb_before_tokens`` tokens before it ("was given heparin, nitroglycerin
    and integrilin"), not one of an earlier clause of the sentence ("PT GIVEN 25MG PO
    LOPRESSOR WHICH SLOWED THE RATE. NIPRIDE ... RESTARTED", kept as one sentence), nor
    one after it right after an IV fluid or blood product (``extraction.yaml``
    ``words.fluid_words``: "dobutamine started for low CI/ fluid boluses given": the fluid's),
    nor a word of need (``words.infusion_need_words``: "required milrinone and levophed to keep
    the pressure up" tells the drips the patient needs)."""
    reach = rules.window.infusion_verb_before_tokens
    return any(
        affirmed_admin(view, m, rules)
        and (m.text.lower().split() or [""])[0] not in rules.infusion_need_words
        and (
            segment.start <= m.start < segment.end
            or (m.tok_end <= a.tok_start and a.tok_start - m.tok_end <= reach)
        )
        and not (
            m.tok_start >= a.tok_end
            and set(view.tokens[max(a.tok_end, m.tok_start - 2) : m.tok_start]) & rules.fluid_words
        )
        and not _verb_of_later_drug(view, a, m, rules)
        for m in view.in_sent(a.sent)
    )


def _verb_of_later_drug(view: NoteView, a: Mention, m: Mention, rules: ExtractionRules) -> bool:
    """Is administration verb ``m``, after a clause break that follows drug ``a``, the verb of
    another drug written within ``window.own_verb_object_tokens`` tokens after it ("neo
    begun w/ fair effect; later coded twice, responded to epi and atropine": the code
    drugs' verb, not the pressor's)?"""
    if m.start <= a.end or not rules.clause_break.search(view.text, a.end, m.start):
        return False
    drug = next((x for x in view.in_sent(a.sent) if x.start >= m.end and x.label == "DRUG"), None)
    return (
        drug is not None
        and drug.ident != a.ident
        and drug.tok_start - m.tok_end <= rules.window.own_verb_object_tokens
    )


def _own_amounts(text: str, rules: ExtractionRules) -> list[Dose]:
    """The amounts of ``text`` that are not an IV fluid's or blood product's
    (``attributes.fluid_amount``: "dobutamine started for low CI/ saline boluses given and 2u
    PRBC": the units are blood)."""
    return [d for d in rules.doses.find_all(text) if not fluid_amount(text, d.end, rules)]


def _titration_of_next(view: NoteView, a: Mention, i: int, rules: ExtractionRules) -> bool:
    """Is the titration verb at token ``i`` (after drug ``a``) the next drug's: only
    ``words.infusion_object_joiners`` ("iv", "up") between it and another drug of the sentence
    ("furosemide pushed, titrated IV nitroglycerin": the nitro is titrated)?"""
    nxt = next((m for m in view.in_sent(a.sent) if m.label == "DRUG" and m.tok_start > i), None)
    return nxt is not None and all(
        view.token(j) in rules.infusion_object_joiners for j in range(i + 1, nxt.tok_start)
    )


def is_infusion(view: NoteView, a: Mention, segment: Segment, rules: ExtractionRules) -> bool:
    """Does the drug run as an infusion: an infusion word ("gtt", "drip", "titrated") or a
    rate ("800 units/hr") within ``infusion_after_tokens`` tokens after it, in its segment,
    with no dose of its own before the rate ("lasix 80 mg IVB 200 cc/hr": a urine output), or
    a drug given only by continuous infusion in practice with no amount in its own words and
    no administration verb in its sentence (``cues.yaml`` ``context.infusion_only``: "IV NTG
    started", but "nitroglycerin was given in the left main" is a bolus), or such a drug with an
    amount in micrograms and no time right after it and no administration verb in its own
    words (``extraction.yaml`` ``regex.infusion_only_rate``: "NTG 3MCG FOR BP, LABETALOL 10MG
    GIVEN": the drip's rate in ICU shorthand), or such a drug told as started right after its
    name (``regex.infusion_only_started``: "fluid bolus given and dopamine started": the verb is
    the fluid's), or added or started right before its name with no amount of its own
    (``regex.infusion_only_start_before``: "neo added for low maps" read the other way round,
    "levophed hung for low maps")?
    A running infusion is not an administration event, and raises no flag."""
    if a.label != "DRUG":
        return False
    if stress_agent_given(view, a, rules):
        return False  # "The patient was infused with dobutamine" in a stress-test report
    if set(view.tokens[a.tok_start : a.tok_end]) & rules.infusion_words:
        return True  # a name written with its drip word ("levo gtt", "ntg gtt"): the drip
    if (
        rules.family_of(a.ident) in rules.infusion_only_families
        and not _own_amounts(view.text[segment.start : segment.end], rules)
        and not _verb_near(view, a, segment, rules)
    ):
        return True  # "IV NTG started @ 1900": a drip (cues.yaml context.infusion_only)
    if rules.family_of(a.ident) in rules.infusion_only_families and (
        rules.infusion_only_started.match(view.text, a.end)
    ):
        return True  # "500cc bolus given and dopamine started": the fluid's verb, the drip's start
    if rules.family_of(a.ident) in rules.infusion_only_families and (
        rules.infusion_only_start_before.search(
            view.text, max(view.sentences[a.sent].start, a.start - 25), a.start
        )
        and not _own_amounts(view.text[segment.start : segment.end], rules)
    ):
        return True  # "hung levophed for low maps": the drip begun
    if (
        rules.family_of(a.ident) in rules.infusion_only_families
        and rules.infusion_only_rate.match(view.text[a.end : segment.end])
        and not any(m.label == "ADMIN" for m in segment.mentions)
    ):
        return True  # "NTG 3MCG FOR BP, LABETALOL 10MG GIVEN": the drip's rate
    n = rules.window.infusion_after_tokens
    ranged = rules.range_after_drug.match(view.text, a.end)
    if ranged is not None:  # "fentanyl 25-50mcgs gtt": the drip word counted after the range
        n += max(0, bisect_left(view.offsets, ranged.end()) - a.tok_end - 1)
    # within the drug's sentence ("hydralazine 20mg iv X2. Titrated iv ntg": the next sentence's
    # titration is the nitroglycerin's)
    after = view.tokens[a.tok_end : min(a.tok_end + n, view.sentences[a.sent].tok_end)]
    other = next(
        (
            m.tok_start - a.tok_end
            for m in view.in_sent(a.sent)
            if m.label == "DRUG" and m.tok_start >= a.tok_end
        ),
        n,
    )
    for k, w in enumerate(after):
        if w in rules.infusion_not_across:
            break  # "fentanyl with titrated conscious sedation": the word is the sedation's
        if w in rules.infusion_object_words and _titration_of_next(view, a, a.tok_end + k, rules):
            break  # "furosemide, titrated IV nitroglycerin": the titration is the next drug's
        if w in rules.infusion_words:
            if k < other and electrolyte_running(view, a, segment, rules):
                return False  # "KCl 20 mEq infusing now": one IV replacement
            if k >= other and not _drip_of_list(view, a, segment, other, w, rules):
                break  # "5cc propofol for the line, versed titrated up": the Versed's
            return True
    listed = _list_drip_word(view, a, rules)
    if listed is not None and _drip_of_list(view, a, segment, 1, listed, rules):
        return True  # "on vecuronium, fentanyl and versed gtt": each item a drip
    sent_start = view.sentences[a.sent].start
    before = view.text[max(sent_start, a.start - 40) : a.start]
    if rules.infusion_before.search(before):
        return True  # "arrived on 200 mcg of nitro"
    if (
        rules.induced_with_before.search(before)
        and rules.drugs.get(a.ident, {}).get("class") not in rules.report_sedation_classes
    ):
        return True  # "induced with Pitocin": the labour's drip (not "induced with propofol")
    stop = min(segment.end, a.end + rules.window.infusion_after_chars)
    if rules.bag_after.match(view.text, a.end, max(a.end, stop)):
        return True  # "Pitocin 20 units in 1000 mL": a drug put in a fluid bag
    if rules.bolus_left_out.search(view.text, a.end, view.sentences[a.sent].end) and not any(
        m.label == "DRUG" and m.start > a.end for m in view.in_sent(a.sent)
    ):
        return True  # "heparin started (1150u) w/o bolus": the drip begun, its bolus left out
    if rules.drip_clause_goes_on.match(view.text, a.end):
        stop = segment.end  # "on argatroban, raised per nomogram overnight to 2 mcg/kg/min"
    rate = rules.rate.search(view.text, a.end, max(a.end, stop))
    if rate is not None and _clause_breaks_before(view, a.end, rate.start(), rules):
        return False  # "K repleted, NS 75cc/hr": the rate of another thing in the next clause
    if rate is not None and _total_over_duration(view, a, rules):
        return False  # "received 38 mg of adenosine infused at 140 mcg/kg/min over 4 minutes"
    if rate is not None and rules.over_minutes.search(
        view.text, rate.end(), view.sentences[a.sent].end
    ):
        return False  # "adenosine, 140 mcg/kg/minute infused over four minutes": a short dose
    return rate is not None and not rules.doses.find_all(view.text[a.end : rate.start()])


def electrolyte_running(
    view: NoteView, a: Mention, segment: Segment, rules: ExtractionRules
) -> bool:
    """Is drug anchor ``a`` an electrolyte (``drugs.yaml`` class ``electrolyte``) told as running
    now by a word of ``extraction.yaml`` ``words.electrolyte_running`` ("infusing") within
    ``infusion_after_tokens`` tokens after it, before any other drug, with no rate in its own
    words and no finite time in its sentence ("phosphate 10 mmol infusing now")? That is one
    IV replacement given now (corpora/README.md, nursing batches 5 and 16), not a running
    infusion. True only when the anchor's first infusion word is such a word."""
    if a.label != "DRUG" or rules.drugs.get(a.ident, {}).get("class") != "electrolyte":
        return False
    sent = view.sentences[a.sent]
    stop = min(a.tok_end + rules.window.infusion_after_tokens, sent.tok_end)
    for i in range(a.tok_end, stop):
        w = view.tokens[i]
        if any(m.label == "DRUG" and m.tok_start == i for m in view.in_sent(a.sent)):
            return False
        if w in rules.infusion_words or w in rules.electrolyte_running:
            # "40KCL INFUSED": the past tense is no infusion word, still the replacement given
            return (
                w in rules.electrolyte_running
                and rules.rate.search(view.text, a.end, max(a.end, segment.end)) is None
                and rules.over_duration.search(view.text, a.end, sent.end) is None
            )
    return False


def _clause_breaks_before(view: NoteView, lo: int, hi: int, rules: ExtractionRules) -> bool:
    """Is there a clause break (``regex.clause_break``) between characters ``lo`` and ``hi``
    that is not a change of the drug's own rate going on after the comma
    (``regex.drip_clause_goes_on``: "on heparin, increased to 1350 units/hr")?"""
    return any(
        not rules.drip_clause_goes_on.match(view.text, found.start())
        for found in rules.clause_break.finditer(view.text, lo, hi)
    )


def _list_drip_word(view: NoteView, a: Mention, rules: ExtractionRules) -> str | None:
    """The infusion word (``words.infusion``) that ends a list of drugs drug anchor ``a`` opens
    or continues ("vecuronium, fentanyl and versed gtt", "fentanyl, versed, propofol gtts"):
    after ``a`` only list joiners (``words.list_joiners``) and other drugs' words, at least one
    drug, then the word. None when there is no such list."""
    sent = view.sentences[a.sent]
    drug_tokens = {
        i
        for m in view.in_sent(a.sent)
        if m.label == "DRUG" and m.tok_start >= a.tok_end
        for i in range(m.tok_start, m.tok_end)
    }
    i, items = a.tok_end, 0
    while i < sent.tok_end and (view.tokens[i] in rules.list_joiners or i in drug_tokens):
        items += i in drug_tokens and (i - 1 not in drug_tokens)
        i += 1
    if items and i < sent.tok_end and view.tokens[i] in rules.infusion_words:
        return view.tokens[i]
    return None


def _drip_of_list(
    view: NoteView, a: Mention, segment: Segment, other: int, word: str, rules: ExtractionRules
) -> bool:
    """Is infusion word ``word``, written after another drug that starts ``other`` tokens after
    drug anchor ``a``, also ``a``'s? Yes for a plural a list shares (``words.infusion_shared``:
    "heparin 5000u, insulin gtts") and for a drug with no amount of its own before that drug
    ("vecuronium, fentanyl and versed gtt", "versed and fentanyl gtt"); not for a drug with an
    amount ("5cc propofol for the line, versed titrated up": the propofol is a dose, "titrated"
    the Versed's), nor for a drug with a bare number right before it ("got 20 bumex and TNG
    titrated": its amount with the unit left out)."""
    if word in rules.infusion_shared:
        return True
    if _BARE_NUMBER_BEFORE.search(view.text, max(segment.start, a.start - 12), a.start):
        return False  # "got 20 bumex and TNG raised": an amount of its own, unit left out
    i = a.tok_end + other
    end = view.offsets[i] if i < len(view.offsets) else segment.end
    return not rules.doses.find_all(view.text[segment.start : max(a.end, min(end, segment.end))])


# a number written right before a drug, with no unit ("given 40 lasix"): the drug's own amount
_BARE_NUMBER_BEFORE = re.compile(r"(?<![\w./:-])\d+(?:\.\d+)?[ \t]+$")


def _standing_list_item(view: NoteView, a: Mention, rules: ExtractionRules) -> list[str]:
    """The standing modifiers of the list a drug anchor ends ("improved on IV steroids and
    empiric IV Lasix": Lasix is on the regimen "on" heads): walking back from the anchor over
    the drug and route mentions of its sentence, as long as only list joiners and the words of
    ``extraction.yaml`` ``words.standing_list`` (class nouns, "empiric") stand between two of
    them, the first that carries a standing modifier gives its modifiers. Empty when there is
    none (contract section 1: a standing regimen is no event)."""
    if a.label != "DRUG":
        return []
    before = [m for m in view.in_sent(a.sent) if m.end <= a.start and m.label in ("DRUG", "ROUTE")]
    after = a
    for head in reversed(before):
        words = view.text[head.end : after.start].replace(",", " , ").lower().split()
        if not set(words) <= rules.standing_list_words:
            return []  # "on SQ heparin, was given Lasix": a new clause
        mods = sorted(head.modifiers & rules.standing_mods)
        if mods:
            return mods
        after = head
    return []


def _total_over_duration(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is drug anchor ``a`` given as a stated total amount written right before it ("38 mg
    of adenosine", ``regex.dose_of``) over a stated finite time after it, in its sentence
    ("over a period of four minutes": ``regex.over_duration``)? That is one dose given at a
    rate (a pharmacologic stress dose, a short infusion), not a running drip (corpora/README.md:
    a stated total received is one administration, mts-1618)."""
    sent = view.sentences[a.sent]
    lead = rules.dose_of.search(view.text[max(sent.start, a.start - 30) : a.start])
    return bool(lead) and rules.over_duration.search(view.text, a.end, sent.end) is not None


@dataclass(frozen=True)
class Decision:
    """The "given now?" decision of one anchor.

    Attributes:
        given: the rule that documents it as given (``given_by``), or None.
        blocked: the rule that makes it no event of this encounter (``blocked_by``), or None.
    """

    given: str | None
    blocked: str | None


def settle(
    view: NoteView,
    a: Mention,
    decision: Decision,
    rules: ExtractionRules,
    *,
    bolus: bool,
    post_mortem: bool,
    segment: Segment,
    veterinary: bool = False,
    others: Callable[[], Sequence[Segment]] = tuple,
) -> Decision:
    """The first reading of anchor ``a`` (``given_by``, ``blocked_by``) settled by the override
    rules, in this order:

    - ``bolus_is_a_dose``: a bolus ("AMIO BOLUS + GTT FOR AFIB") is a dose given even
      with no other cue (``record:bolus``);
    - ``today_in_a_list``: a shot given today ("Health maintenance, flu vaccination today.")
      is given even in a list section;
    - ``started_with_route``: a start with its injection route ("started GCSF SQ") is the first
      dose even under its start modifiers;
    - ``charted_in_list``: a drug line of a short medication heading charted with its amount,
      injection route, body site and clock time ("Meds: <drug> 1 mg IM R deltoid 06:55") is a
      dose given, not a list item (``charted_list_dose``);
    - ``procedure_done``: an injection procedure told as done with the drug ("Using 0.5%
      Marcaine, I performed a nerve block") is not blocked by modifiers of
      ``modifiers.procedure_done_ignores`` (a home drug's words);
    - ``post_mortem``: an autopsy report tells care of another encounter (``note:post_mortem``);
    - ``veterinary``: a veterinary record tells an animal's care (``note:veterinary``);
    - ``extra_dose``: a drug blocked only by its regimen's words (``modifiers.bolus_ignores``)
      with an extra dose in its own words ("on lasix bid, extra 20mg x1 this pm": ``extra_dose``)
      is given (``cue:extra_dose``);
    - ``own_verb_needed``: a standing drug (``modifiers.own_verb_needed``) read as given only by
      an administration verb (``cue:admin_verb``) that stands in other drugs' own words ("is
      being loaded with phenobarb IV, is receiving mannitol IV": ``verbs_of_others``) is blocked
      by its standing modifier (``context:<modifier>``): one verb does not mark every drug of a
      sentence.

    Args:
        bolus: the anchor is a bolus (``anchors.bolus_named``, or a drip's bolus).
        post_mortem: the note is a post-mortem report (``ExtractionRules.post_mortem``).
        veterinary: the note is a veterinary record (``ExtractionRules.veterinary``).
        segment: the anchor's own words (``segments.segment_of``).
        others: the own words of the other anchors of the anchor's sentence, asked for only
            when ``own_verb_needed`` needs them.
    """
    d = decision
    if bolus and not d.given:
        d = replace(d, given="record:bolus")  # bolus_is_a_dose
    if d.blocked and d.blocked.startswith("section:") and d.given == "record:today":
        d = replace(d, blocked=None)  # today_in_a_list
    if d.blocked and d.blocked.startswith("context:") and d.given == "record:started_route":
        d = replace(d, blocked=None)  # started_with_route
    if d.blocked and d.given and charted_list_dose(view, a, d.blocked, segment, rules):
        d = replace(d, blocked=None)  # charted_in_list
    if (
        d.given
        and d.blocked
        and a.modifiers
        and a.modifiers <= rules.procedure_done_ignores
        and procedure_done_with(view, a, rules)
    ):
        d = replace(d, blocked=None)  # procedure_done
    if post_mortem:
        d = replace(d, blocked="note:post_mortem")  # post_mortem
    if veterinary:
        d = replace(d, blocked="note:veterinary")  # veterinary
    if (
        d.blocked
        and a.label == "DRUG"
        and d.blocked.removeprefix("context:") in rules.bolus_ignores
        and not a.modifiers - rules.bolus_ignores - rules.present_mods
        and extra_dose(view, a, segment, rules)
    ):
        d = replace(d, given="cue:extra_dose", blocked=None)  # extra_dose
    if d.given == "cue:admin_verb" and not d.blocked and a.label == "DRUG":
        # a list item takes the standing words of the list it ends ("on oral metoprolol &
        # digoxin, tx w/ IV dilt": the digoxin is on the regimen, not given by the verb of the
        # diltiazem; nursing batch 16)
        standing = (a.modifiers | set(_standing_list_item(view, a, rules))) & rules.own_verb_needed
        if standing and verbs_of_others(view, a, segment, others(), rules):
            d = replace(d, blocked="context:" + sorted(standing)[0])  # own_verb_needed
    return d


def charted_list_dose(
    view: NoteView, a: Mention, blocked: str, segment: Segment, rules: ExtractionRules
) -> bool:
    """Is drug anchor ``a``, blocked only by its medication heading (``section:<category>`` of
    ``extraction.yaml`` ``words.charted_list_sections``), charted there as a dose of the visit:
    its own words (``segment``) hold its amount, an injection route, a body site and a clock
    time (``regex.clock_time`` or ``regex.charted_time``): "Meds: <drug> 1 mg IM R deltoid 06:55
    for pain" (tk-032)? A home or current medication list names a regimen, never the site and
    time of a dose (a schedule blocks before the heading does: ``blocked_by``)."""
    if a.label != "DRUG" or blocked.removeprefix("section:") not in rules.charted_list_sections:
        return False
    own = view.text[segment.start : segment.end]
    return (
        bool(rules.doses.find_all(own))
        and any(m.ident in rules.injection_routes for m in segment.of("ROUTE"))
        and bool(segment.of("SITE"))
        and bool(rules.clock_time.search(own) or rules.charted_time.search(own))
    )


def verbs_of_others(
    view: NoteView, a: Mention, own: Segment, others: Sequence[Segment], rules: ExtractionRules
) -> bool:
    """Do all the affirmed administration cues of drug ``a``'s sentence stand in other drugs'
    own words (``others``, their segments), none in ``a``'s (``own``) ("is being loaded with
    phenobarb IV, is receiving mannitol IV", "covered with SS insulin, on lantus")? Then a
    standing drug (``modifiers.own_verb_needed``) is not given by them: one verb does not mark
    every drug of a sentence (corpora/README.md: standing regimens are not events)."""
    cues = [m for m in view.in_sent(a.sent) if affirmed_admin(view, m, rules)]
    if not cues:
        return False
    named = {
        i
        for m in view.in_sent(a.sent)
        if m.label in ("DRUG", "ROUTE", "DOSE", "ADMIN")
        for i in range(m.tok_start, m.tok_end)
    }
    joins = rules.list_joiners | rules.effect_between_words

    def shared(m: Mention) -> bool:  # "medicated with prn X and Y", "K+, Ca++ treated"
        lo, hi = (m.tok_end, a.tok_start) if m.end <= a.start else (a.tok_end, m.tok_start)
        return all(i in named or view.token(i) in joins for i in range(lo, hi))

    def apart(m: Mention) -> bool:  # a clause break between: "X IV over 5 hours, is on Y"
        lo, hi = (m.end, a.start) if m.end <= a.start else (a.end, m.start)
        if m.end <= a.start and rules.own_start_before.search(view.text, lo, hi):
            return True  # "received X for a fast rate ... and started on Y": Y's own predicate
        return bool(rules.clause_break.search(view.text, lo, hi))

    return all(
        not own.start <= m.start < own.end
        and any(s.start <= m.start < s.end for s in others)
        and not shared(m)
        and apart(m)
        for m in cues
    )


def extra_dose(view: NoteView, a: Mention, segment: Segment, rules: ExtractionRules) -> bool:
    """An extra dose (``regex.extra_dose``) written after drug ``a`` in its own words
    (``segment``), not a plan: none of ``words.drip_bolus_not_with`` ("may", "will", "need",
    "if", "?", "no", ...) among the ``window.drip_bolus_tokens`` words before "extra" ("may
    need extra 40mg")."""
    found = rules.extra_dose.search(view.text, a.end, segment.end)
    if found is None:
        return False
    i = bisect_left(view.offsets, found.start())
    floor = view.sentences[a.sent].tok_start
    before = view.words_before(i, rules.window.drip_bolus_tokens, floor)
    return not set(before) & rules.drip_bolus_not_with
