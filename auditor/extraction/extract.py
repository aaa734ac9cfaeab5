"""One note's extraction: anchors -> given now? -> events with their elements -> merged.

``extract_note(view, rules)`` is the whole extractor; it reads a ``NoteView`` and returns an
``Extraction`` (events and not-given mentions, as plain dataclasses). The steps live in
their own modules: ``anchors`` (what can be an event), ``segments`` (whose words are whose),
``given`` (the "given now?" decision), ``attributes`` and ``sites`` (the elements),
``merging`` (drug-less entries and repeated mentions).
"""

from __future__ import annotations

import copy
import re
from bisect import bisect_left
from dataclasses import dataclass, replace
from functools import cache

from ..doses import Dose, tidy_number
from .anchors import (
    bolus_named,
    choose_anchors,
    class_admin_gap,
    class_infused,
    class_word_after,
)
from .attributes import (
    DoseAt,
    Found,
    Indication,
    alternative_route,
    choose_dose,
    complaint_indication,
    dose_range_in,
    dose_with_name,
    export_indication,
    follow_up,
    indication_in,
    is_range,
    note_evidence,
    opening_condition_word,
    oral_partner_of,
    pick,
    problem_heading,
    provider_over_list,
    row_response,
    section_indication,
    stated_indication,
    timed_finding,
)
from .contextual import (
    add_contextual_mentions,
    bracket_restated,
    effect_cues,
    lab_named,
    question_marked,
)
from .event import Event, Extraction, NotGiven
from .given import (
    Decision,
    another_for_list,
    blocked_by,
    given_by,
    is_infusion,
    not_given_by,
    on_heading_line,
    settle,
    stated_given,
)
from .lists import add_led_mentions, add_shared_head_mentions
from .logs import log_states, self_logged, superseded_drafts
from .merging import (
    absorb_unnamed,
    drip_bolused,
    drug_before,
    has_event_after,
    merge_mentions,
    merge_unnamed,
    total_then_parts,
)
from .passes import (
    allergen_vial_rows,
    amount_told_twice,
    corrected,
    corrected_above,
    corrected_dose,
    divided_doses,
    earlier_log_entries,
    eye_side,
    merge_restated,
    pasted_twice,
    phrased_not_given,
    respective_sides,
    share_list_site,
    slash_list_amounts,
    standing_order_route,
    table_drug,
    title_drug,
    total_told_next,
)
from .rules import ExtractionRules
from .segments import Segment, segment_of, template_block
from .sites import (
    ListedDose,
    SitePick,
    find_sites,
    laterality_near,
    listed_doses,
    note_side_of,
    procedure_site_route,
    template_side,
)
from .view import CharSpan, Mention, NoteView


@dataclass
class _Note:
    """Per-note state shared by the steps: the view, its anchors and their segments."""

    view: NoteView
    rules: ExtractionRules
    anchors: list[Mention]
    segments: dict[int, Segment]  # id(anchor) -> its segment
    linked: dict[int, Indication | None]  # id(anchor) -> the indication in its segment
    sent_has_anchor: set[int]
    home_families: frozenset[str] = frozenset()  # drugs the note lists as home or prescribed

    def segment(self, a: Mention) -> Segment:
        return self.segments[id(a)]


def _shared_indication(note: _Note, a: Mention) -> Found | None:
    """A reason stated for the anchor elsewhere: later in its sentence ("X and Y given for
    sciatica"), in a "Both given for ..." line, or with another mention of the same drug
    ("here for monthly B12 inj for pernicious anemia")."""
    view, rules = note.view, note.rules
    for b in note.anchors:
        if b.sent == a.sent and b.start > a.start and note.linked[id(b)]:
            return note.linked[id(b)]
    for step in range(1, rules.window.shared_indication_lookahead + 1):
        nxt = a.sent + step
        if nxt >= len(view.sentences) or nxt in note.sent_has_anchor:
            break
        if view.sentence_words(nxt) & rules.group_words:
            sent = view.sentences[nxt]
            found = indication_in(view, Segment(sent.start, sent.end, view.in_sent(nxt)), rules)
            if found:
                return found
    if a.label == "DRUG":
        for b in note.anchors:
            if (
                b is not a
                and b.ident == a.ident
                and note.linked[id(b)]
                and not (b.modifiers & rules.no_shared_indication)
            ):
                return note.linked[id(b)]
    return None


def _in_wash_fluid(note: _Note, a: Mention) -> bool:
    """Whether the drug ``a`` is named in the fluid of a wash, irrigation or flush told before
    it in its sentence ("the pocket was irrigated with a solution of bacitracin, Kefzol 1 g and
    gentamicin 80 mg", "washed using saline containing 100 units of insulin"): a route form of
    ``words.wash_route_words`` before the drug with no administration word, injection word or
    injection route between them. The fluid bathes a surface: no injection (corpora/README.md:
    irrigation is no event), though the drug may be too far from the wash words for a route."""
    words = note.rules.wash_route_words
    if not words:
        return False
    mentions = note.view.in_sent(a.sent)
    for w in mentions:
        if w.label != "ROUTE" or w.text.lower() not in words or w.end > a.start:
            continue
        if not any(
            w.end <= m.start < a.start
            and (
                m.label in ("ADMIN", "INJECTION")
                or (m.label == "ROUTE" and m.ident in note.rules.injection_routes)
            )
            for m in mentions
        ):
            return True
    return False


def _sentence_route(note: _Note, a: Mention) -> Mention | None:
    """One route written for a list ("given IV Norflex, Zofran and morphine"; "Haldol 5 mg
    and Ativan 2 mg IM"). Not a route written after another drug's dose and before this
    drug ("Toradol 30 mg IV, Zofran and Benadryl"; "Demerol 50 mg IM and Vistaril 25 mg"):
    it closes that drug's own words, unless the drug is joined to it by "with", one combined
    injection ("50 mg of Demerol IM with 25 mg of Phenergan": ``regex.combined_with``)
    (contract section 2: a route counts only where the note states it; issue 12, a route
    written for one drug is given to its neighbour). Nor a route across a clock time ("lasix
    20 at 0900 and lasix 40mg ivp at 1800"): doses at two times are two administrations, each
    with its own words."""
    for b in note.anchors:
        if b.sent == a.sent and b is not a:
            found = pick(note.segment(b).of("ROUTE"), b, note.rules.window.route_before_tokens)
            if found is not None and found.text.lower() in note.rules.infusion_words:
                continue  # "heparin gtt ..., K 3.2 and given 40 mEq": the drip's own route
            if found is not None and found.ident in note.rules.injection_routes:
                # "covered with sc insulin, then given rocephin": another dose; but not the
                # verb of the whole list after its last item ("X 50 mg, Y 125 mg and Z 20 mg
                # were given intravenously")
                lo, hi = (found.end, a.start) if found.end <= a.start else (a.end, b.start)
                starts = note.view.admin_starts.get(a.sent, [])
                k = bisect_left(starts, lo)
                if k < len(starts) and starts[k] < hi:  # an ADMIN mention in [lo, hi)
                    continue
                if note.rules.clock_time.search(note.view.text, lo, hi):
                    continue  # "lasix 20 at 0900 and lasix 40mg ivp at 1800": each time its own
                if (
                    found.end <= a.start
                    and _closes_a_dose(note, found)
                    and not note.rules.combined_with.match(note.view.text, found.end, a.start)
                ):
                    continue  # "Toradol 30 mg IV, Zofran": Toradol's route, after its dose
                if found.end <= a.start and _list_item_ends_route(note, found, a):
                    continue  # "IV lopressor, dilt bolus and dig": the route is lopressor's
                if a.end <= found.start and found.tok_end == b.tok_start:
                    # "morphine 4 mg plus IV haldol 2": a route written right before a
                    # later drug of the sentence is that drug's own (corpora/README.md,
                    # nursing batch 5: a route right before one drug is its own)
                    continue
                if found.end <= a.start and _closes_slash_list(note, found, b):
                    # "narcan/atropine IVP with glucagon/dextrose": a route written after a
                    # slash list closes that list, even before "with" (nursing batch 8)
                    continue
                if (
                    b.end <= found.start
                    and found.tok_start == b.tok_end
                    and found.end <= a.start
                    and note.rules.clause_break.search(note.view.text, found.end, a.start)
                ):
                    # "amio IV -> oral next, bumex -> diamox": a route written right
                    # after another drug, a clause before this one, is that drug's own route
                    # (corpora/README.md, nursing batch 5: a route right by one drug is its own)
                    continue
                return found
    return None


def _slash_pair_route(note: _Note, a: Mention) -> Mention | None:
    """The route written right after the drug joined to ``a`` by a slash ("hydralazine/
    amiodarone PO given", "haldol/ativan IV"): the route of the slash pair, each of its drugs
    (corpora/README.md, nursing batches 8 and 29: a route written once for a slash list or
    a pair applies to each); None when ``a`` is not followed by a slash and another drug with
    a route right after it (only blanks between)."""
    view = note.view
    if view.token(a.tok_end) != "/":
        return None
    for b in note.anchors:
        if b.label == "DRUG" and b.tok_start == a.tok_end + 1 and b.sent == a.sent:
            return next(
                (
                    m
                    for m in view.in_sent(a.sent)
                    if m.label == "ROUTE"
                    and m.start >= b.end
                    and not view.text[b.end : m.start].strip()
                ),
                None,
            )
    return None


def _closes_slash_list(note: _Note, route: Mention, b: Mention) -> bool:
    """Is ``route`` written right after drug ``b`` (nothing but blanks between) where ``b`` is the
    last item of a slash list ("atropine/epi/bicarb IVB")? Such a route closes the list it
    follows: the drugs written after it are not reached (corpora/README.md, nursing batch 8: the
    IV-bolus route written after the first drugs of an arrest applies to those only)."""
    view = note.view
    if b.end > route.start or view.text[b.end : route.start].strip():
        return False
    return b.tok_start > 0 and view.token(b.tok_start - 1) == "/"


def _list_item_ends_route(note: _Note, route: Mention, a: Mention) -> bool:
    """Does a list item between a route written before the list and drug ``a`` close the
    route's reach: an item with a bolus word of its own ("IV lopressor, dilt bolus and dig":
    the bolus is an item of its own kind, and so is what follows it), or a slash pair before
    "and" ("IV ativan/haldol and versed": the route names the pair)? A bare list ("given IV
    Norflex, Zofran and morphine") keeps the route for each item (corpora/README.md, nursing
    batches 3 and 5; the MTSamples list rule)."""
    view, rules = note.view, note.rules
    between = range(route.tok_end, a.tok_start)
    if any(view.token(i) in rules.bolus_words for i in between):
        return True
    words = [view.token(i) for i in between]
    return "/" in words and "and" in words[words.index("/") :]


def _injected_share(note: _Note, a: Mention, oral_route: Mention) -> tuple[Mention, Dose] | None:
    """The injection route of one drug's doses written as a pair by two routes, the oral one
    last and right before the drug ("2.5 mg IV plus 50 mg PO metoprolol": an IV dose
    besides the oral one; corpora/README.md, nurs-162-4): the injection ROUTE of the sentence
    written right after an amount and followed only by a joiner (``extraction.yaml`` regex
    ``route_share_joiner``), the oral amount and ``oral_route``, with that amount (offsets in
    the note); None when the words are not that pair."""
    view, rules = note.view, note.rules
    if oral_route.tok_end != a.tok_start:
        return None
    prior = [
        m
        for m in view.in_sent(a.sent)
        if m.label == "ROUTE" and m.ident in rules.injection_routes and m.end <= oral_route.start
    ]
    if not prior:
        return None
    route = prior[-1]
    between = view.text[route.end : oral_route.start]
    amounts = rules.doses.find_all(between)
    if len(amounts) != 1 or not between[amounts[0].end :].strip() == "":
        return None
    if not rules.route_share_joiner.fullmatch(between[: amounts[0].start]):
        return None
    base = max(view.sentences[a.sent].start, route.start - 16)
    lead = view.text[base : route.start]
    before = rules.doses.find_all(lead)
    if not before or lead[before[-1].end :].strip():
        return None
    own = before[-1]
    return route, replace(own, start=base + own.start, end=base + own.end)


def _drop_split_total(note: _Note, event: Event) -> None:
    """Drop the amount of an event whose route was read from an injection route paired with
    the oral one ("replaced with 80 meq iv/po": ``attributes.oral_partner_of``): one total
    given by two routes, the injected share not written (corpora/README.md, nursing batch 9)."""
    span = event.spans.get("route")
    if span is None or event.dose_value is None:
        return
    route = next((m for m in note.view.mentions if m.label == "ROUTE" and m.span == span), None)
    if route is not None and oral_partner_of(note.view, route, note.rules) is not None:
        event.dose_value = event.dose_unit = None
        event.spans.pop("dose", None)


def _closes_a_dose(note: _Note, route: Mention) -> bool:
    """Is ``route`` written after the anchor before it in its sentence, whose dose is written
    right after it or right before it ("Toradol 30 mg IV", "30 mg of Toradol IV", "1 g of
    Rocephin intramuscularly")?"""
    before = [c for c in note.anchors if c.sent == route.sent and c.end <= route.start]
    if not before:
        return False
    last = max(before, key=lambda c: c.end)
    text, rules = note.view.text, note.rules
    if rules.doses.find_all(text[last.end : route.start]):
        return True
    sent_start = note.view.sentences[last.sent].start
    lead = text[max(sent_start, last.start - rules.window.dose_before_chars) : last.start]
    return bool(rules.dose_of.search(lead) or rules.dose_lead.search(lead))


@dataclass(frozen=True)
class _DripBolus:
    """A bolus written with no drug after a drip (``_drip_bolus``): where the bolus word or
    bolus route starts (character offset) and the route mention written with it, if any."""

    start: int
    route: Mention | None


def _drip_bolus(note: _Note, a: Mention) -> _DripBolus | None:
    """A drug-less bolus of drip ``a``: a bolus word (``words.bolus``) or bolus route
    (``words.drip_bolus_routes``: "IVB") within ``window.drip_bolus_after_tokens`` tokens after
    it in its sentence, before any other drug, with none of ``words.drip_bolus_not_with`` in the
    ``window.drip_bolus_tokens`` words before it nor of ``words.drip_bolus_not_after`` in the
    two after it ("no bolus", "NS bolus", "may bolus", "boluses ordered").
    "PROPOFOL GTT INCREASED & REQUIRING PRN BOLUSES", "fentanyl gtt at 75mcg with occ 50mcg
    IVB": one dose of the drip's drug (corpora/README.md, nursing decisions: boluses from a
    running drip are one event per drug, route as written). Reads only the mentions in that
    window (bisect), so a long one-line note costs no more per drip."""
    view, rules = note.view, note.rules
    if not view.offsets:
        return None
    sent = view.sentences[a.sent]
    limit = min(sent.tok_end, a.tok_end + rules.window.drip_bolus_after_tokens)
    ms = view.in_sent(a.sent)
    routes: dict[int, Mention] = {}
    for m in ms[bisect_left(ms, a.end, key=lambda x: x.start) :]:
        if m.tok_start >= limit:
            break
        if m.label == "DRUG":
            limit = m.tok_start  # another drug: its own words from here
            break
        if m.label == "ROUTE":
            routes[m.tok_start] = m
    n = rules.window.drip_bolus_tokens
    for i in range(a.tok_end, limit):
        route = routes.get(i)
        if route is None and view.token(i) not in rules.bolus_words:
            continue
        if route is not None and route.text.lower() not in rules.drip_bolus_routes:
            continue
        before = view.words_before(i, n, max(sent.tok_start, a.tok_end))
        if set(before) & rules.drip_bolus_not_with or (
            set(view.tokens[i + 1 : i + 3]) & rules.drip_bolus_not_after
        ):
            return None  # "no bolus", "NS bolus", "may bolus", "boluses ordered"
        start = route.start if route is not None else view.offsets[i]
        if route is None:  # "... boluses IV x2": the route written with the bolus word
            route = next((routes[j] for j in (i + 1, i + 2) if j in routes), None)
        return _DripBolus(start, route)
    return None


def _bolus_amount(note: _Note, bolus: _DripBolus, found: list[Event]) -> None:
    """The dose of a drug-less drip bolus: an amount right before its bolus word ("occ 100mcg
    IVB", within ``window.drip_bolus_dose_chars``), not a range ("100-200mcg IVB") nor a
    volume; else none (the drip's rate is not the bolus's dose)."""
    text, rules = note.view.text, note.rules
    lo = max(0, bolus.start - rules.window.drip_bolus_dose_chars)
    doses = [d for d in rules.doses.find_all(text[lo : bolus.start]) if not d.is_volume]
    amount = doses[-1] if doses else None
    if amount is not None and (
        text[lo + amount.end : bolus.start].strip()
        or rules.dose_range_before.search(text[max(0, lo + amount.start - 12) : lo + amount.start])
    ):
        amount = None  # not right before the bolus word, or the top of a range
    for event in found:
        event.dose_value = event.dose_unit = None
        event.spans.pop("dose", None)
        if amount is not None:
            event.dose_value, event.dose_unit = amount.value, amount.unit
            event.spans["dose"] = (lo + amount.start, lo + amount.end)


def _drop_drip_rate(note: _Note, a: Mention, found: list[Event]) -> None:
    """A bolus's dose written after an infusion word ("propofol bolus x1, gtt at 30mcg"), or
    within the raise of the rate that joins the drug to its bolus (``regex.bolus_raised``:
    "versed at 2mg/hr raised to 4mg/hr w/ occ IVB"), is the drip's rate, not the
    bolus: drop it (the bolus has no dose in a unit; contract
    section 3). An amount written right before the drug in its sentence (``regex.dose_lead``,
    within ``window.dose_before_chars``: "plus 4000 unit heparin bolus", which the segment of
    the drip before it holds) is the bolus's dose when it has none. ``a`` is a bolus anchor
    (``anchors.bolus_named``); ``found`` its events."""
    view, rules = note.view, note.rules
    raised = rules.bolus_raised.match(
        view.text, a.end, min(view.sentences[a.sent].end, a.end + rules.window.bolus_raised_chars)
    )
    for event in found:
        span = event.spans.get("dose")
        if span is None or span[0] <= a.end:
            continue
        words = note.view.text[a.end : span[0]].lower().replace("@", " ").split()
        if {w.strip(".,;:-()") for w in words} & note.rules.infusion_words or (
            raised is not None and span[1] <= raised.end()
        ):  # "versed at 2mg/hr raised to 4mg/hr w/ occ IVB": the drip's rates
            event.dose_value = event.dose_unit = None
            del event.spans["dose"]
    lead_from = max(view.sentences[a.sent].start, a.start - rules.window.dose_before_chars)
    bare = rules.dose_lead.search(view.text, lead_from, a.start)
    amount = rules.doses.choose(bare.group(0)) if bare else None
    if amount is None or amount.is_volume:
        return
    for event in found:  # "gtt at 900u/hr plus 4000 unit heparin bolus": its own amount
        if event.dose_value is None:
            event.dose_value, event.dose_unit = amount.value, amount.unit
            event.spans["dose"] = (bare.start() + amount.start, bare.start() + amount.end)


def _procedure_route(note: _Note, a: Mention) -> Mention | None:
    """A procedural route (epidural, intra-articular, trigger point) stated in the
    sentence or the ones just before it governs a drug injected in that procedure."""
    back = note.rules.window.procedure_route_sentences
    for sent_id in range(a.sent, a.sent - back - 1, -1):
        for m in note.view.in_sent(sent_id):
            if (
                m.label == "ROUTE"
                and m.ident == "other"
                and (sent_id == a.sent or m.start < a.start)
            ):
                return m
    return None


def _route(
    note: _Note,
    a: Mention,
    route_m: Mention | None,
    block: list[Segment],
    ind_range: tuple[int, int] | None = None,
) -> tuple[str | None, Mention | None]:
    """The event's route and the mention it was read from (None: not in the text): a
    route mention, a site word that states it ("muscle"), the body part injected when only
    a procedure route reaches it (``sites.procedure_site_route``), the one route the
    drug's label allows when that is ``routes.yaml`` ``only_label_route``, or the drug's
    ``drug_route_if_unstated``; a written route of ``drug_route_always_replaces`` (IM, SC) of a
    ``drug_route_always`` drug is that drug's route (botulinum toxin "IM": chemodenervation,
    route other).
    ``ind_range``: the indication's characters (a body part there is not the place)."""
    segment, rules = note.segment(a), note.rules
    if route_m is None:
        route_m = pick([m for b in block for m in b.of("ROUTE")], a)
    injected = oral_partner_of(note.view, route_m, rules) if route_m is not None else None
    if injected is not None:
        return injected.ident, injected  # "replaced with 80 meq iv/po": the IV share
    if route_m is not None and route_m.ident != "PO":
        if alternative_route(note.view, route_m, rules):
            return None, None  # "1-2 mg IM-IVP": one of two routes, which one is not stated
        if a.label == "DRUG" and route_m.ident in rules.route_always_replaces:
            always = rules.route_always.get(a.ident)
            if always is not None:
                return always, route_m  # botulinum toxin "intramuscular": chemodenervation
        return route_m.ident, route_m
    for m in segment.of("SITE") + segment.of("BODY"):
        implied = {rules.route_by_site_word.get(w) for w in m.text.lower().split()} - {None}
        if implied:
            return implied.pop(), m  # "into the muscle": IM
    drug = rules.drugs.get(a.ident) if a.label == "DRUG" else None
    placed = (
        procedure_site_route(note.view, segment, ind_range, rules, drug.get("class"))
        if drug
        else None  # an unnamed "knee injection" is no event by its body part alone
    )
    if placed is not None:
        return placed  # "the right knee was injected with triamcinolone": other
    if drug and drug.get("iv_only") and rules.infer_iv_only_route:
        return "IV", None
    label_routes = set(drug.get("label_routes") or ()) if drug else set()
    if len(label_routes) == 1 and label_routes <= rules.only_label_route:
        return label_routes.pop(), None  # ranibizumab: intravitreal only
    if a.label == "DRUG" and a.ident in rules.route_if_unstated:
        return rules.route_if_unstated[a.ident], None  # botulinum toxin: chemodenervation
    return None, None


def _events_of(
    note: _Note,
    a: Mention,
    route_m: Mention | None,
    block: list[Segment],
    fallback: Found | None,
) -> list[Event]:
    """The event(s) of one anchor: one, or one per site when a dose is split over
    distinct sites ("one in the R gluteal and one in the L gluteal")."""
    view, rules = note.view, note.rules
    segment = note.segment(a)
    drug = rules.drugs.get(a.ident) if a.label == "DRUG" else None
    indication: Found | None = indication_in(view, segment, rules)
    ind_range = indication.cue_range if isinstance(indication, Indication) else None
    route, route_from = _route(note, a, route_m, block, ind_range)
    dose = choose_dose(view, a, segment, block, rules)
    mixed = _mixture_dose(view, a, rules) if drug else None
    if mixed is not None and (dose is None or not mixed.dose.is_volume):
        dose = mixed  # "2 cc of a 10 cc solution ... with 40 mg of X": 8 mg of X injected
    sites = find_sites(view, segment, ind_range, rules)
    if not sites:
        for b in block:
            sites = find_sites(view, b, None, rules, block_line=bool(view.text[b.start : b.end]))
            if sites:
                break
    if route == "other" and route_from is not None and not any(p.side for p in sites):
        side = _route_other_side(note, route_from)
        if side is not None:
            first = sites[0] if sites else SitePick(None, None)
            sites = [SitePick(first.site, side.ident, first.site_span, side.span)]
    if len(sites) == 1 and sites[0].site and sites[0].side is None:
        side = template_side(view, block, rules)
        if side is not None:
            sites = [SitePick(sites[0].site, side.ident, sites[0].site_span, side.span)]
    if indication is None:
        for b in block:
            indication = indication_in(view, b, rules)
            if indication:
                break
    if indication is None:
        indication = problem_heading(view, a, rules) or timed_finding(view, a, rules) or fallback
    response = follow_up(view, a, "RESPONSE", rules)
    provider = follow_up(view, a, "PROVIDER", rules) or provider_over_list(view, a)
    if response is None:  # the reaction cell of the dose's (else the anchor's) table row
        response = row_response(view, dose.span[0] if dose else a.start, rules)
    chosen = dose
    if len(sites) > 1 and dose is not None:
        seg_doses = rules.doses.find_all(view.text[segment.start : segment.end])
        smaller = [d for d in seg_doses if rules.doses.smaller(d, dose.dose)]
        if smaller:  # "500 mg as two 250 mg injections": the dose of each site
            first = smaller[0]
            chosen = DoseAt(first, (segment.start + first.start, segment.start + first.end))
    spans = {"medication": a.span} if drug else {}
    if route_from is not None and route is not None:
        spans["route"] = route_from.span
    if chosen is not None:
        spans["dose"] = chosen.span
    for element, found in (
        ("indication", indication),
        ("response", response),
        ("provider", provider),
    ):
        if found is not None:
            spans[element] = found.span

    def event(p: SitePick, dose: Dose | None, own: dict[str, CharSpan]) -> Event:
        own = dict(own)
        if p.site_span is not None:
            own["site"] = p.site_span
        if p.side_span is not None:
            own["laterality"] = p.side_span
        return Event(
            medication=a.ident if drug else None,
            medication_text=a.text if drug else None,
            route=route,
            dose_value=dose.value if dose else None,
            dose_unit=dose.unit if dose else None,
            site=p.site,
            laterality=p.side,
            indication=indication.value if indication else None,
            response=response.value if response else None,
            provider=provider.value if provider else None,
            start=a.start,
            end=a.end,
            spans=own,
        )

    listed = _listed_after(note, a) if drug and chosen is None and not sites else []
    if listed:  # "Muscles injected with X were located. 50 units in A, 25 units in B.": per item
        return [
            event(p, item.dose, {**spans, "dose": (item.dose.start, item.dose.end)})
            for item in listed
            for p in item.picks
        ]
    own_dose = chosen.dose if chosen else None
    return [event(p, own_dose, spans) for p in sites or [SitePick(None, None)]]


def _route_other_side(note: _Note, route_from: Mention) -> Mention | None:
    """The side of a route-other injection with no side of its own, from the mention its route
    was read from: a body part the note gives one side elsewhere ("Injected shoulder joint" in
    a note of right shoulder pain: ``sites.note_side_of``), or a nerve block written with its
    side ("for inferior alveolar nerve block on the left"); None otherwise."""
    view, rules = note.view, note.rules
    if route_from.label == "BODY":
        return note_side_of(view, route_from, rules)
    if route_from.label == "ROUTE":
        lats = [x for x in view.in_sent(route_from.sent) if x.label == "LATERALITY"]
        side = laterality_near(route_from, lats, rules)
        return side if side is not None and side.ident != "bilateral" else None
    return None


def _mixture_dose(view: NoteView, a: Mention, rules: ExtractionRules) -> DoseAt | None:
    """The dose of a drug named inside a mixture whose injected volume is written before it
    (``extraction.yaml`` ``regex.mixture_dose``): the drug's own amount in the mixture
    scaled to the volume injected ("1cc of a 10 cc solution ... with 50mg of X": 5 mg), or,
    with no amount of its own, the volume injected ("3 cc 2:1 mixture of lidocaine with X":
    3 mL; contract section 5: an amount when written, else the volume). None otherwise."""
    sent_start = view.sentences[a.sent].start
    found = rules.mixture_dose.search(view.text, sent_start, a.start)
    if found is None:
        return None
    injected, whole = float(found.group(1)), found.group(2)
    tail = found.start(3)
    inside = rules.doses.find_all(view.text[tail : a.start])
    amounts = [d for d in inside if not d.is_volume]
    if amounts and whole and float(whole) > 0:
        own = amounts[-1]
        value = own.value * injected / float(whole)
        span = (tail + own.start, tail + own.end)
        return DoseAt(Dose(tidy_number(value), own.unit, span[0], span[1], False), span)
    if amounts:
        return None  # an amount in a mixture of unknown volume: not this injection's amount
    span = (found.start(1), found.start(1) + len(found.group(1)))
    return DoseAt(Dose(tidy_number(injected), "mL", span[0], span[1], True), span)


OPPOSITE = {"right": "left", "left": "right"}


def _repeat_sides(view: NoteView, events: list[Event], rules: ExtractionRules) -> list[Event]:
    """Events given again on another side: after "The above sequence was repeated for the
    right side" (``sites.yaml`` ``repeat_side``), each event anchored in the
    ``repeat_side_sentences`` sentences before it (and after the previous such sentence) is
    copied with the side named, or the side opposite its own ("contralateral"); an event
    there with no side of its own takes the other side (contract section 1: the same drug at
    two sites is two events)."""
    if not events or rules.repeat_side_sentences <= 0:
        return events
    starts = [s.start for s in view.sentences]
    out = list(events)
    floor = -1
    for match in rules.repeat_side.finditer(view.text):
        sent = bisect_left(starts, match.start() + 1) - 1
        low = max(floor + 1, sent - rules.repeat_side_sentences)
        floor = sent
        named = match.group(1).lower()
        grown: list[Event] = []
        for event in out:
            grown.append(event)
            if not low <= bisect_left(starts, event.start + 1) - 1 < sent:
                continue
            side = named if named in OPPOSITE else OPPOSITE.get(event.laterality or "")
            if side is None:
                continue
            if event.laterality is None:
                event.laterality = OPPOSITE[side]
            again = copy.deepcopy(event)
            again.laterality = side
            again.spans["laterality"] = match.span(1)
            grown.append(again)
        out = grown
    return out


def _at_another_level(note: _Note, a: Mention, events: list[Event]) -> bool:
    """Is drug ``a`` injected again at another spinal level: its sentence holds an affirmed
    administration verb and names a level (``sites.yaml`` ``spinal_level``) first that the
    sentence of an earlier event of the same drug does not name ("Depo-Medrol 80 mg was
    injected at the L4-5 level just as at the L5-S1 level" after "Depo-Medrol 80 mg ... was
    injected" at L5-S1)?"""
    view, rules = note.view, note.rules
    if rules.spinal_level is None or a.label != "DRUG" or not stated_given(view, a.sent, rules):
        return False
    sent = view.sentences[a.sent]
    level = rules.spinal_level.search(view.text, sent.start, sent.end)
    if level is None:
        return False
    name = level.group(0).replace(" ", "").upper()
    starts = [s.start for s in view.sentences]
    for e in events:
        if e.medication != a.ident:
            continue
        other = view.sentences[bisect_left(starts, e.start + 1) - 1]
        if other.start == sent.start:
            return False  # the same sentence: its doses are read apart already
        named = {
            m.group(0).replace(" ", "").upper()
            for m in rules.spinal_level.finditer(view.text, other.start, other.end)
        }
        if name not in named:
            return True
    return False


def _route_names(view: NoteView, m: Mention, a: Mention, rules: ExtractionRules) -> bool:
    """Is ``m`` an injection route written before drug ``a`` with only ``routes.yaml``
    ``route_naming_words`` between ("IV sedation in the form of propofol"), or those and the
    drugs and joiners (``route_list_joiners``) of a list it heads ("Subconjunctival
    injections of Ancef and dexamethasone": dexamethasone's route too)? The caller skips a
    route that closes another drug's dose ("Toradol 30 mg IV, Zofran and Benadryl")."""
    if not (
        m.label == "ROUTE"
        and a.label == "DRUG"
        and m.ident in rules.injection_routes
        and m.tok_end < a.tok_start
    ):
        return False
    # a word between that is no naming word, joiner or drug word: no list (most calls, and
    # quick: the exact test below reads every drug of the sentence, and a dense note asks it
    # for every route before every drug of a long sentence)
    naming, joiners, drugs = rules.route_naming_words, rules.route_list_joiners, view.drug_tokens
    for i in range(m.tok_end, a.tok_start):
        word = view.token(i)
        if word not in naming and word not in joiners and i not in drugs:
            return False
    listed = {
        i
        for d in view.in_sent(a.sent)
        if d.label == "DRUG" and m.tok_end <= d.tok_start and d.tok_end <= a.tok_start
        for i in range(d.tok_start, d.tok_end)
    }
    words = rules.route_naming_words | (rules.route_list_joiners if listed else frozenset())
    return all(i in listed or view.token(i) in words for i in range(m.tok_end, a.tok_start))


def _first_dose_here(note: _Note, a: Mention) -> bool:
    """Does the sentence of a drug-less dose tell the first dose of a regimen given in this
    encounter ("Loading dose 400 mg given in clinic as two 200 mg SC injections" after
    "Starting Cimzia")? Then the drug named just before as the regimen begun is that dose's
    (contract section 1: a first dose given in the office while teaching self-injection is an
    event; round 20, helper synth20, team_n). Its words: ``extraction.yaml``
    ``words.first_dose_here`` (a loading, first or initial dose) with a this-encounter word
    of ``words.first_dose_place`` ("in clinic", "today")."""
    words = note.view.sentence_words(a.sent)
    rules = note.rules
    return bool(words & rules.first_dose_words) and bool(words & rules.first_dose_place)


def _anaesthetic_route_before(note: _Note, m: Mention, a: Mention) -> bool:
    """A non-injection route written before another word and a comma, when this drug is
    injected ("After topical tetracaine, triamcinolone 40 mg/mL, 0.2 mL injected into the
    chalazion"): the route is that first product's (the surface anaesthetic before a
    procedure, named or not in the drug lexicon), not this drug's (round 20, helper synth20,
    team_n). This drug's own sentence must name the injection after it ("injected",
    "injection": ``extraction.yaml`` ``words.injected_after_drug``), so a route shared by a
    list of oral drugs ("po tylenol, motrin") is untouched."""
    rules = note.rules
    if m.ident in rules.injection_routes or m.end > a.start:
        return False
    view = note.view
    between = view.tokens[m.tok_end : a.tok_start]
    if not between or between[0] in (",", ";") or "," not in between:
        return False  # "topical, then lidocaine ...": no word of its own after the route
    stop = view.sentences[a.sent].tok_end
    return any(t in rules.injected_words for t in view.tokens[a.tok_end : stop])


def _route_before_break(view: NoteView, a: Mention) -> Mention | None:
    """A dotted route abbreviation written right before the drug, whose period the sentence
    splitter read as a sentence end ("three more days of p.o. Levaquin 750 mg"): the route
    mention ending the previous sentence with only its period and spaces before the drug."""
    if a.label != "DRUG" or a.sent == 0:
        return None
    for m in view.in_sent(a.sent - 1):
        if m.label == "ROUTE" and "." in m.text and view.text[m.end : a.start].strip() in ("", "."):
            return m
    return None


def _listed_after(note: _Note, a: Mention) -> list[ListedDose]:
    """The items of a dose-per-place list (``sites.listed_doses``) in the sentences just
    after the anchor (``sites.yaml`` ``dose_list_sentences``), before any other drug is
    named; empty when there is none."""
    view = note.view
    for sent_id in range(a.sent + 1, a.sent + 1 + note.rules.dose_list_sentences):
        if sent_id >= len(view.sentences) or any(m.label == "DRUG" for m in view.in_sent(sent_id)):
            break
        items = listed_doses(view, sent_id, note.rules)
        if items:
            return items
    return []


def _injection_cue(
    note: _Note, a: Mention, route_m: Mention | None, injected: set[str], role: str | None
) -> bool:
    """Is the anchor about an injection (a route, site or injection word; a drug given in
    its sentence, routed as an injection elsewhere in the note outside a plan section, always
    injected (vaccines, allergen extracts, chemotherapy), or with no oral form (``cues.yaml``
    ``context.injection_only``: "no sliding-scale insulin required") unless it is a regimen
    ("not on insulin"), a home medication of the note ("Home meds: insulin glargine ...;
    insulin dose review scheduled": a home drug's change raises no flag) or an infusion in its
    sentence ("if the pump fails to deliver insulin")?"""
    rules = note.rules
    in_sent = note.view.in_sent(a.sent)
    if (
        (route_m is not None and route_m.ident in rules.injection_routes)
        or bool(note.segment(a).of("SITE"))
        or any(m.label == "INJECTION" for m in in_sent)
    ):
        return True
    if a.label != "DRUG":
        return False
    if rules.excluded_kind(a.ident):
        return True
    if any(_admin_of(note.view, m, a) for m in in_sent) and not (
        a.modifiers & rules.not_given_mods and rules.has_oral_form(a.ident, a.text)
    ):
        # "ativan not required", "no lasix given": the administration word negated or planned
        # with a route-less drug commonly given by mouth (``context.oral_forms``) says nothing of
        # an injection; an immune globulin or a vaccine "not given" keeps its flag
        return True
    if _injection_act_near(note.view, a, rules) or bolus_named(note.view, a, rules):
        return True  # "will not rebolus with amiodarone": a bolus is an IV push
    if a.ident in injected and role != "planning":
        return True  # in a plan, "taper off p.r.n. Ativan" is the regimen, not an injection
    return (
        rules.injection_only(a.ident, a.text)
        and not a.modifiers & rules.regimen_mods
        and rules.family_of(a.ident) not in note.home_families
        and not _infusion_said(note.view, a.sent, rules)
    )


def _infusion_said(view: NoteView, sent: int, rules: ExtractionRules) -> bool:
    """Does sentence ``sent`` name an infusion (``words.infusion``: "gtt", "drip", "off"), not
    counting a word right after a hold word (``words.infusion_not_after``: "hold off on
    Lovenox" is a decision to hold, not a drip turned off)?"""
    s = view.sentences[sent]
    return any(
        view.tokens[i] in rules.infusion_words
        and not (i > s.tok_start and view.tokens[i - 1] in rules.infusion_not_after)
        for i in range(s.tok_start, s.tok_end)
    )


def _electrolyte_unrouted(note: _Note, a: Mention, route_m: Mention | None) -> bool:
    """Is drug anchor ``a`` an electrolyte named by its lab word (``extraction.yaml``
    ``contextual_names``: "K", "Mg", "Ca", "phos") with no injection route? Not given, it is a
    pending repletion that may be given by mouth: no ``not_administered`` (corpora/README.md,
    nursing decisions: a pending order to replete electrolytes with no route raises no flag)."""
    rules = note.rules
    return (
        a.label == "DRUG"
        and a.text.lower() in rules.contextual.generic_of
        and (route_m is None or route_m.ident not in rules.injection_routes)
    )


_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")  # the words of a glued token ("af-?rebolus")


def _injection_act_near(view: NoteView, a: Mention, rules: ExtractionRules) -> bool:
    """Is a word naming the act of injecting (``cues.yaml`` ``context.injection_act_words``:
    "rebolus", "bolus") within ``window.injection_act_tokens`` tokens of drug anchor ``a`` in its
    sentence, with no other drug between ("will not rebolus with amiodarone")?"""
    n = rules.injection_act_tokens
    if n <= 0 or not rules.injection_act_words:
        return False
    sent = view.sentences[a.sent]
    lo, hi = max(sent.tok_start, a.tok_start - n - 1), min(sent.tok_end, a.tok_end + n + 1)
    drugs = {
        i
        for d in view.in_sent(a.sent)
        if d.label == "DRUG" and d is not a
        for i in range(d.tok_start, d.tok_end)
    }
    for i in range(lo, hi):
        if any(w in rules.injection_act_words for w in _WORD.findall(view.tokens[i])):
            between = range(min(i, a.tok_end), max(i, a.tok_start))
            if not any(j in drugs for j in between):
                return True
    return False


def _admin_of(view: NoteView, m: Mention, a: Mention) -> bool:
    """Is ``m`` an administration cue of drug anchor ``a`` ("Toradol was not given", "did not
    receive her Lovenox"): an ADMIN mention with no other drug between them, and, when it is
    written before the drug, no comma or semicolon between (in a run-on line "lovenox 40mg SC
    given @2100, lopressor held" the verb is the Lovenox's: the held Lopressor, commonly oral,
    is no injection)."""
    if m.label != "ADMIN":
        return False
    lo, hi = (m.end, a.start) if m.end <= a.start else (a.end, m.start)
    if any(d.label == "DRUG" and d is not a and lo <= d.start < hi for d in view.in_sent(a.sent)):
        return False
    return not (m.end <= a.start and any(ch in ",;" for ch in view.text[lo:hi]))


def _repeats(note: _Note, a: Mention) -> int:
    """N when the anchor's dose is written as given N times ("haldol 5mg im given x2"): an
    "xN" within ``repeat_after_chars`` after the drug, in its segment, or the count as a word
    ("given twice": ``regex.repeat_word``, ``words.repeat_two``/``repeat_three``); 2 for a
    second time told in its segment ("given on admission and again on day 3":
    ``regex.given_again``); N for a dose into each of N places in its segment ("into each of 3
    trigger points": ``regex.each_of_count``); N + 1 for a dose "repeated xN" or "repeated
    once" in its segment (``regex.repeated_more``); N for a list of N clock times after it
    ("at 2200 and 0400": ``regex.clock_list``); N for "N doses of" or "N boluses of" right
    before the drug (``regex.doses_before``) or a count before it and the noun after it ("2
    versed boluses": ``regex.count_named_before``/``count_named_after``); else 1."""
    segment = note.segment(a)
    again = note.rules.repeated_more.search(note.view.text, a.end, max(a.end, segment.end))
    if again and not _other_subject_before(note, a, again.start()):
        # "epinephrine 0.5 mg IM at 16:02 and repeated x1 at 16:08": the first dose and N more
        count = again.group(1) or ("2" if again.group(2).lower() == "twice" else "1")
        return 1 + int(count)
    stop = min(segment.end, a.end + note.rules.window.repeat_after_chars)
    found = note.rules.repeat.search(note.view.text, a.end, max(a.end, stop))
    if found and not _other_subject_before(note, a, found.start()):
        return int(found.group(1))
    word = note.rules.repeat_word.search(note.view.text, a.end, max(a.end, stop))
    if word and not _other_subject_before(note, a, word.start()):
        # "Narcan 0.4 mg IV was given twice": the count written as a word
        return note.rules.repeat_counts.get(" ".join(word.group(1).lower().split()), 1)
    times = note.rules.clock_list.search(note.view.text, a.end, max(a.end, stop))
    if times and not _other_subject_before(note, a, times.start()):
        return _clock_count(times)  # "Haldol 1mg IV at 2200 and 0400": once at each time
    if note.rules.given_again.search(note.view.text, a.end, max(a.end, segment.end)):
        return 2  # "IVIG was given on admission and again on day 3": given twice
    each = note.rules.each_of_count.search(note.view.text, a.end, max(a.end, segment.end))
    if each:  # "lidocaine 1% 2 mL into each of 3 trigger points": one dose at each
        n = each.group("n").lower()
        return {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6}.get(n) or int(n)
    back = max(segment.start, a.start - note.rules.window.dose_before_chars)
    before = note.rules.doses_before.search(note.view.text[back : a.start])
    if not before and note.rules.count_named_after.match(note.view.text, a.end):
        # "received 2 versed boluses": the count before the drug, the noun after it
        before = note.rules.count_named_before.search(note.view.text[back : a.start])
    if before:  # "2 doses of Phenergan"
        word = before.group(1).lower()
        return int(note.rules.doses.number_words.get(word) or int(word))  # units.yaml number_words
    listed = _list_count(note, a)
    return listed if listed > 1 else _repeats_before(note, a)


def _list_count(note: _Note, a: Mention) -> int:
    """N when drug anchor ``a`` opens a list of drugs joined only by list words
    (``words.list_joiners``), with no amount in the list, and a count follows the list's last
    drug in its own words ("needed both versed and fentanyl boluses twice": two of each;
    corpora/README.md, an explicit count gives that many events); else 1."""
    view, rules = note.view, note.rules
    tail, prev = None, a.end
    for m in view.in_sent(a.sent):
        if m.label != "DRUG" or m.start < prev:
            continue
        gap = view.text[prev : m.start].replace(",", " , ").lower().split()
        if not gap or not set(gap) <= rules.list_joiners:
            break
        tail, prev = m, m.end
    if tail is None or rules.doses.find_all(view.text[a.end : tail.end]):
        return 1
    segment = note.segments.get(id(tail))  # a list item that is no anchor has no segment
    end = segment.end if segment is not None else view.sentences[a.sent].end
    stop = max(tail.end, min(end, tail.end + rules.window.repeat_after_chars))
    if rules.doses.find_all(view.text[tail.end : stop]):
        return 1  # "fentanyl and ativan 2 mg x2": the amount and its count are the last drug's
    found = rules.repeat.search(view.text, tail.end, stop)
    if found and not _other_subject_before(note, tail, found.start()):
        return int(found.group(1))
    word = rules.repeat_word.search(view.text, tail.end, stop)
    if word and not _other_subject_before(note, tail, word.start()):
        return rules.repeat_counts.get(" ".join(word.group(1).lower().split()), 1)
    return 1


def _other_subject_before(note: _Note, a: Mention, end: int) -> bool:
    """Is another thing named between drug anchor ``a`` and character ``end`` (an "xN" there):
    another drug, or an electrolyte word of ``extraction.yaml`` ``contextual_names`` not right
    after a number ("MORNING LASIX DONE, K+ REPLETED X2 W/ 20MEQ KCL": the K's count)?"""
    view = note.view
    if any(
        m.label == "DRUG" and m.ident != a.ident and a.end <= m.start < end
        for m in view.in_sent(a.sent)
    ):
        return True
    hi = bisect_left(view.offsets, end)
    for i in range(a.tok_end, min(hi, len(view.tokens))):
        if view.tokens[i] in note.rules.contextual.generic_of and not (
            i > 0 and any(ch.isdigit() for ch in view.tokens[i - 1])
        ):
            return True
    return False


_CLAUSE_PUNCT = re.compile(r"[,;:]|(?<!\d)\.|\.(?!\d)")  # not the point of "0.5"


def _repeats_before(note: _Note, a: Mention) -> int:
    """N when a given-word and "xN" come before the drug in its clause ("med x2 for pain with
    morphine IV"): ``words.repeat_lead`` right before the "xN", within ``repeat_before_chars``
    before the drug in its sentence, no other drug and no ``,;.:`` between (a decimal point is
    no stop: "Tx x 2 w 0.5 mg ativan"), or a given-word right before a list of N clock times
    ("Medicated @ 2100,2300,02 with 1mg dilaudid": ``regex.clock_list``); else 1."""
    rules, text = note.rules, note.view.text
    sent_start = note.view.sentences[a.sent].start
    back = max(sent_start, a.start - rules.window.repeat_before_chars)
    for found in rules.repeat.finditer(text, back, a.start):
        if _given_word_leads(note, a, found):
            return int(found.group(1))
    for found in rules.clock_list.finditer(text, back, a.start):
        # "Medicated @ 2100,2300,02 with 1mg dilaudid": a given-word, then the times, then the drug
        if _given_word_leads(note, a, found):
            return _clock_count(found)
    return 1


def _given_word_leads(note: _Note, a: Mention, found: re.Match[str]) -> bool:
    """Is the count ``found`` ("x2", a list of clock times), written before drug ``a``, led by
    a given-word (``words.repeat_lead``) right before it, with no other drug and no ``,;.:``
    between it and the drug (a decimal point is none: "x 2 w 0.5 mg")?"""
    text = note.view.text
    lead = text[max(0, found.start() - 12) : found.start()].split()[-1:]
    return (
        bool(lead)
        and lead[0].lower() in note.rules.repeat_lead
        and not _CLAUSE_PUNCT.search(text[found.end() : a.start])
        and not any(
            m.label == "DRUG" and found.end() <= m.start < a.start
            for m in note.view.in_sent(a.sent)
        )
    )


def _clock_count(found: re.Match[str]) -> int:
    """The number of clock times of a ``regex.clock_list`` match ("2200 and 0400": 2;
    "09:30, 16:30": 2)."""
    return len(re.findall(r"\d+(?::\d+)?", found.group(1)))


def _another_amount(note: _Note, a: Mention, found: list[Event]) -> list[Event]:
    """One more event when the anchor's own words, after its dose, give "another" amount in
    the same unit ("4 mg of Versed was given ... and another 1 mg"): a second dose of the
    same drug, with that amount (``extraction.yaml`` ``regex.another_amount``)."""
    if len(found) != 1 or "dose" not in found[0].spans:
        return []
    first = found[0]
    segment, text = note.segment(a), note.view.text
    lead = note.rules.another_amount.search(text, first.spans["dose"][1], segment.end)
    if lead is None:
        return []
    doses = note.rules.doses.find_all(text[lead.end() : segment.end])
    if not doses or doses[0].start != 0 or doses[0].unit != first.dose_unit:
        return []
    extra = copy.deepcopy(first)
    extra.dose_value = doses[0].value
    extra.spans["dose"] = (lead.end(), lead.end() + doses[0].end)
    _route_right_after(note, a, extra, lead.end() + doses[0].end)
    return [extra]


def _dose_list(note: _Note, a: Mention, found: list[Event]) -> list[Event]:
    """More events when the anchor's own words, after its dose, list further amounts in the
    same unit, each joined to the one before by a list word (``extraction.yaml``
    ``regex.dose_list_joiner``: a comma, "and", "then", "followed by", an arrow): the same
    drug given again, each with its amount ("40 mg IV Lasix with little response, 80 mg with
    little response and 160 mg"; "Ativan 1 mg, then 2 mg"), by the route written once for
    the list (``_listed_doses``). A dose followed by an oral route or a frequency
    (``regex.dose_list_stop``: "Lasix 40 mg IV q12h, 20 mg ...") heads a regimen, no list; the
    list ends at ``window.dose_list_chars`` after the first dose."""
    if len(found) != 1 or "dose" not in found[0].spans:
        return []
    first, rules, text = found[0], note.rules, note.view.text
    segment = note.segment(a)
    pos = first.spans["dose"][1]
    if rules.dose_list_stop.match(text, pos, pos + rules.window.dose_list_stop_chars):
        return []  # "Lasix 40 mg IV q12h, 20 mg ...": a regimen, not a list of doses given
    stop = min(segment.end, pos + rules.window.dose_list_chars)
    amounts = [(pos + d.start, pos + d.end, d) for d in rules.doses.find_all(text[pos:stop])]
    return _listed_doses(note, a, first, amounts, pos, after=True)


def _dose_list_before(note: _Note, a: Mention, found: list[Event]) -> list[Event]:
    """More events when the anchor's dose is written before it and the anchor's own words,
    before that dose, list earlier amounts in the same unit: "got 40 mg and then 80 mg of
    lasix IV" (two doses, the route written once for the list, as ``_dose_list`` reads
    "Lasix 20 mg, then 40 mg IV"; ``_listed_doses``). Only amounts inside the anchor's segment
    (its sentence start, or its own lead dose for a later drug) and with no drug mention
    between them and the anchor. The earlier doses come first, in text order."""
    if len(found) != 1 or "dose" not in found[0].spans:
        return []
    first, rules, text = found[0], note.rules, note.view.text
    dose_start, dose_end = first.spans["dose"]
    if dose_end > a.start:
        return []  # the dose is written after the drug: _dose_list reads that list
    segment = note.segment(a)
    lo = max(segment.start, dose_start - rules.window.dose_list_chars)
    if any(
        m.label == "DRUG" and m is not a and lo <= m.start < a.start
        for m in note.view.in_sent(a.sent)
    ):
        return []
    amounts = [(lo + d.start, lo + d.end, d) for d in rules.doses.find_all(text[lo:dose_start])]
    return _listed_doses(note, a, first, amounts[::-1], lo, after=False)


def _listed_doses(
    note: _Note,
    a: Mention,
    first: Event,
    amounts: list[tuple[int, int, Dose]],
    lo: int,
    after: bool,
) -> list[Event]:
    """The amounts that go on the list of the anchor's dose ``first``, walked away from it
    (``amounts``: ``(start, end, dose)``, nearest first; ``after``: written after the dose,
    else before it; ``lo``: where the search for them started), each a copy of ``first`` with
    its own amount, in text order. An amount goes on the list when it is in the dose's unit,
    no range, joined to its neighbour nearer the dose by a list word
    (``regex.dose_list_joiner``), with no total before it (``regex.repeat_total``: the words
    between them, and for an amount before the dose ``window.total_before_chars`` before it)
    and not followed by an oral route or a frequency (``regex.dose_list_stop``: "then 60 mg
    po", "then 60 mg q6h" is the regimen); the walk stops at the first that does not. An
    amount after the dose must have no other drug named from the dose to
    ``window.dose_before_chars`` after it ("Decadron 0.25 cc, 0.25 cc of antibiotic"), and
    takes the injection route written right after it (``_route_right_after``)."""
    rules, text = note.rules, note.view.text
    reach = rules.window.dose_before_chars  # another drug named this close after an amount
    out: list[Event] = []
    near = first.spans["dose"]  # the listed amount nearest to this one
    for start, end, dose in amounts:
        if dose.unit != first.dose_unit or is_range(text, start, dose.value, rules):
            break
        between = text[near[1] : start] if after else text[end : near[0]]
        before = (
            between if after else text[max(lo, start - rules.window.total_before_chars) : near[0]]
        )
        if not rules.dose_list_joiner.search(between) or rules.repeat_total.search(before):
            break
        if rules.dose_list_stop.match(text, end, end + rules.window.dose_list_stop_chars):
            break
        if after and any(  # "Decadron 0.25 cc, 0.25 cc of antibiotic", "..., 2 cc of 1% Xylocaine"
            m.label == "DRUG" and m is not a and lo <= m.start < end + reach
            for m in note.view.in_sent(a.sent)
        ):
            break
        extra = copy.deepcopy(first)
        extra.dose_value = dose.value
        extra.spans["dose"] = (start, end)
        if after:
            _route_right_after(note, a, extra, end)
            out.append(extra)
        else:
            out.insert(0, extra)
        near = (start, end)
    return out


def _route_right_after(note: _Note, a: Mention, extra: Event, end: int) -> None:
    """Give a later dose of the drug the injection route written right after its amount
    ("Narcan 0.4 mg IV x2, then 2 mg IM": the 2 mg was IM), not the first dose's route
    (contract section 2: the route stated for that dose)."""
    for m in note.view.in_sent(a.sent):
        if (
            m.label == "ROUTE"
            and m.ident in note.rules.injection_routes
            and end <= m.start
            and not note.view.text[end : m.start].strip(" \u00a0.")
        ):
            extra.route = m.ident
            extra.spans["route"] = m.span
            return


def _second_route(note: _Note, a: Mention, found: list[Event]) -> list[Event]:
    """One more event when the drug's own words, after it, state a second injection route
    apart from the event's ("morphine given SC without relief, then IV with relief"; "tried
    sq, then iv"): the drug given by each route (contract section 1: two administrations).
    The second route is a phrase of its own: right after a ``words.second_route_lead`` word
    ("with", "then", "via", a comma) and not before a ``words.second_route_not_before`` noun
    ("then intravenous medications of Demerol", "a retrobulbar block": the route of another
    thing). Not a route written as an alternative ("IM/IV", ``attributes.alternative_route``),
    nor an infusion word ("gtt", "drip", "infusion": ``words.infusion`` and
    ``words.infused``). The second event has no dose unless one is written right after its
    route."""
    if len(found) != 1 or "route" not in found[0].spans:
        return []
    first, rules, view = found[0], note.rules, note.view
    if first.route not in rules.injection_routes:
        return []
    for m in note.segment(a).of("ROUTE"):
        if (
            m.start <= a.start
            or m.span == first.spans["route"]
            or m.ident == first.route
            or m.ident not in rules.injection_routes
            or m.text.lower() in rules.infusion_words | rules.infused_words
            or alternative_route(view, m, rules)
            or view.token(m.tok_start - 1) not in rules.second_route_lead
            or view.token(m.tok_end) in rules.second_route_not_before
        ):
            continue
        extra = copy.deepcopy(first)
        extra.route = m.ident
        extra.spans["route"] = m.span
        extra.dose_value = extra.dose_unit = None
        extra.spans.pop("dose", None)
        own = rules.doses.find_all(view.text[m.end : m.end + 12])
        if own and own[0].start <= 2:
            extra.dose_value, extra.dose_unit = own[0].value, own[0].unit
            extra.spans["dose"] = (m.end + own[0].start, m.end + own[0].end)
        return [extra]
    return []


def _record_route(note: _Note, events: list[Event]) -> None:
    """Give the route-less drugs recorded under a report's anaesthesia heading
    (``section:anesthesia_record``: "PREMEDICATION AND SEDATION: Fentanyl 100, midazolam 5.")
    the injection route of a later sentence that says the heading's drugs were given
    (``regex.record_route``: "Premedications were given slowly by intravenous push"): the
    report states their route once, for all of them (contract section 2: the route stated)."""
    recorded = [e for e in events if e.decided_by == "section:anesthesia_record" and not e.route]
    if not recorded:
        return
    first = min(e.start for e in recorded)
    for i, sent in enumerate(note.view.sentences):
        if sent.start <= first or not note.rules.record_route.match(
            note.view.text, sent.start, sent.end
        ):
            continue
        routes = [
            m
            for m in note.view.in_sent(i)
            if m.label == "ROUTE" and m.ident in note.rules.injection_routes
        ]
        if routes:
            for event in recorded:
                event.route = routes[0].ident
                event.spans["route"] = routes[0].span
            return


def _next_word(text: str, at: int) -> str:
    """The word written right after character ``at`` of ``text`` ("" when none follows within
    a few characters)."""
    words = text[at : at + 16].split()
    return words[0] if words else ""


def _sedation_route(note: _Note, events: list[Event]) -> None:
    """Give each route-less drug of the sedation classes (``words.report_sedation_classes``)
    the route of the sedation its sentence names before it (``routes.yaml``
    ``sedation_routes``: "IV sedation was given to a total of fentanyl 100 mcg and midazolam
    4 mg": both IV): the sentence states the route of the sedation it lists (contract
    section 2: the route stated). A drug with a route of its own, a drug of another class and
    a drug named before the sedation keep their own words."""
    rules, view = note.rules, note.view
    for event in events:
        if event.route or not event.medication:
            continue
        if rules.drugs.get(event.medication, {}).get("class") not in rules.report_sedation_classes:
            continue
        anchor = next(
            (m for m in view.mentions if m.label == "DRUG" and m.start == event.start), None
        )
        if anchor is None:
            continue
        routes = [
            m
            for m in view.in_sent(anchor.sent)
            if m.label == "ROUTE"
            and m.end <= anchor.start
            and (
                m.text.lower() in rules.sedation_routes
                # "IV sedation was achieved with Versed and fentanyl": the phrase's last word
                # was read as the start of the administration words that follow it
                or f"{m.text} {_next_word(view.text, m.end)}".lower() in rules.sedation_routes
            )
        ]
        if routes:
            event.route = routes[-1].ident
            event.spans["route"] = routes[-1].span


def _timed_again(note: _Note, a: Mention, given: str, event: Event) -> bool:
    """Is the event a dose given at a clock time of its own: an administration verb decided
    it (``given.given_by`` ``cue:admin_verb``), it has its dose, and its sentence states a
    time before it ("at 3am ... was given 5 mg IV Haldol")? Or, with or without a dose, its
    sentence names a later day of the stay before it (``regex.later_day``: "on hospital day
    3", "the following morning", "prior to discharge")? Then it is another dose, not a
    restatement of an earlier one (``merging.merge_mentions``)."""
    if given != "cue:admin_verb":
        return False
    sent_start = note.view.sentences[a.sent].start
    if note.rules.later_day.search(note.view.text, sent_start, a.start):
        return True  # "On the day prior to discharge, she received her weekly dose of Rituxan"
    if event.dose_value is None:
        return False
    return bool(note.rules.clock_time.search(note.view.text, sent_start, a.start))


def _regimen_before(note: _Note, a: Mention, events: list[Event]) -> Mention | None:
    """The last drug anchor of the sentence right before administration opener ``a``
    (``anchors.admin_opener``), told there as a regimen, plan or home medication and given no
    event, unless its mention carries a modifier of ``words.admin_opener_drug_not_if``: the drug
    whose dose the opener charts ("Plan: continue testosterone cypionate 100 mg IM every 2
    weeks; dose given today in R glute"). None when there is none."""
    before = [
        b
        for b in note.anchors
        if b.label == "DRUG"
        and b.sent == a.sent - 1
        and not b.modifiers & note.rules.admin_opener_drug_not_if
    ]
    if not before or has_event_after(before[-1], events):
        return None
    return before[-1]


def _take_named(
    note: _Note, event: Event, named: Mention, a: Mention, own_order_dose: bool
) -> None:
    """A drug-less entry's event (anchor ``a``) becomes a dose of ``named``, the drug named
    just before it (``merging.drug_before``), in place. It takes the reason written with that
    drug when it has none ("Toradol 30 mg IM ordered for migraine. Given R ventrogluteal") and,
    unless ``own_order_dose`` (an order's, a standing or an oral drug charted with an amount of
    the entry's own: "Ativan 1mg IV q4h prn ordered. Received 1 mg at 2300" documents no
    route), that drug's own route when it states none ("Pt here for B12 1000 mcg IM. Given L
    deltoid."; a route anchor keeps its own)."""
    event.medication, event.medication_text = named.ident, named.text
    event.start, event.end = named.start, named.end
    event.spans["medication"] = named.span
    if event.route is None and a.label != "ROUTE" and not own_order_dose:
        route, route_from = _route(note, named, pick(note.segment(named).of("ROUTE"), named), [])
        if route is not None and route_from is not None:
            event.route = route
            event.spans["route"] = route_from.span
    reason = note.linked.get(id(named))
    if event.indication is None and reason is not None:
        event.indication = reason.value
        event.spans["indication"] = reason.span


def seg_tokens(view: NoteView, segment: Segment) -> tuple[int, int]:
    """Token range ``[start, end)`` of a segment (from its mentions' sentence and offsets)."""
    if not view.offsets:
        return 0, 0
    lo = bisect_left(view.offsets, segment.start)
    hi = bisect_left(view.offsets, segment.end)
    return lo, hi


def _drop_total(note: _Note, a: Mention, event: Event) -> None:
    """A dose read after "total" for a repeated dose is the sum, not each one's amount."""
    span = event.spans.get("dose")
    if span is None:
        return
    total = note.rules.repeat_total.search(note.view.text, a.end, span[0])
    if total:
        event.dose_value = event.dose_unit = None
        del event.spans["dose"]


def _told_at_a_time(
    view: NoteView, event: Event, rules: ExtractionRules, told: dict[int, bool] | None = None
) -> bool:
    """Does the sentence of ``event``'s anchor tell a time of its own: a clock time
    (``regex.clock_time``: "at 2200", "5 pm") or a ``words.dose_time_words`` word ("am lasix")?
    ``told``: the answer of each sentence already asked (a long sentence of many doses is
    searched once, not once per dose)."""
    i = view.sentence_at(event.start)
    if i is None:
        return False
    if told is not None and i in told:
        return told[i]
    s = view.sentences[i]
    answer = bool(rules.clock_time.search(view.text, s.start, s.end)) or bool(
        view.sentence_words(i) & rules.dose_time_words
    )
    if told is not None:
        told[i] = answer
    return answer


def _expand_repeats(events: list[Event], repeats: dict[int, int]) -> list[Event]:
    """Each event given N times becomes N events; a "total" written over the repeats is not
    the amount of each ("morphine IV push x2, total of 6 mg": two events, dose not written)."""
    out: list[Event] = []
    for event in events:
        times = repeats.get(id(event), 1)
        out.append(event)
        for _ in range(times - 1):
            out.append(copy.deepcopy(event))
    return out


def _titled_block(view: NoteView, a: Mention, rules: ExtractionRules) -> list[Mention]:
    """The nerve block a report's procedure title names: a route-``other`` mention with a
    ``words.titled_block`` word on the line its section heading opens ("PROCEDURE:
    Intercostal block, left.", ``given.on_heading_line``), when local anaesthetic anchor ``a``
    is injected in a later sentence that does not numb the skin or the needle track
    (``regex.skin_anaesthesia``: "The skin ... were anesthetized with 1% lidocaine"). That
    anaesthetic is the block itself, the treatment the report documents (corpora/README.md:
    a nerve block for pain stays an event, route other; whether it serves an operation is
    decided after, procedural.yaml), as one written in the same sentence as the block is.
    Returns the title's route mention, or an empty list."""
    sent = view.sentences[a.sent]
    if rules.skin_anaesthesia.search(view.text, sent.start, sent.end):
        return []
    return [
        m
        for m in view.mentions
        if m.label == "ROUTE"
        and m.ident == "other"
        and m.end <= sent.start
        and on_heading_line(view, m, rules)
        and set(view.tokens[m.tok_start : m.tok_end]) & rules.titled_block_words
    ][:1]


def extract_note(view: NoteView, rules: ExtractionRules) -> Extraction:
    """Extract the administration events and not-given mentions of one note.

    Args:
        view: the note (``view.NoteView``).
        rules: the compiled rules (``rules.ExtractionRules``).

    Returns:
        An ``Extraction``: events in text order (``Event``), not-given mentions
        (``NotGiven``) and the note's lab evidence.
    """
    view = question_marked(add_contextual_mentions(view, rules), rules)  # "? rebolus w/ amio"
    view = effect_cues(view, rules)  # "calmer after 1 mg ativan"
    view = bracket_restated(view, rules)  # "had his shots at the visit (DTaP, IPV)"
    view = add_shared_head_mentions(view, rules)
    view = add_led_mentions(view, rules)
    view = self_logged(log_states(view, rules), rules)  # "ACTION: Not Given", a patient's own log
    view = superseded_drafts(view, rules)  # an unsigned draft exported beside the signed note
    anchors = choose_anchors(view, rules)
    segments = {id(a): segment_of(view, a, anchors, rules) for a in anchors}
    note = _Note(
        view=view,
        rules=rules,
        anchors=anchors,
        segments=segments,
        linked={id(a): indication_in(view, segments[id(a)], rules) for a in anchors},
        sent_has_anchor={a.sent for a in anchors},
        home_families=frozenset(
            rules.family_of(a.ident)
            for a in anchors
            if a.label == "DRUG" and a.modifiers & rules.home_mods
        ),
    )
    events: list[Event] = []
    not_given: list[NotGiven] = []
    cancer = bool(rules.cancer_re.search(view.text))
    post_mortem = rules.post_mortem(view.text)
    veterinary = rules.veterinary(view.text)
    evidence = note_evidence(view, rules)

    @cache
    def diagnosis() -> Found | None:
        """The note's own diagnosis, read once and only when an event needs one (most notes
        have none: their full-text scans stay off the hot path)."""
        return (
            section_indication(view, rules)
            or export_indication(view, rules)
            or stated_indication(view, rules)  # "Assessment is ...", an ICD-coded opening line
            or opening_condition_word(view, rules)  # "Lombalgia aguda ..." on an opening line
            or complaint_indication(view, rules)  # "Pt c/o severe nausea x 1 day"
        )

    pending: list[Mention] = []  # unblocked drug mentions not (yet) documented as given
    started: list[Mention] = []  # drugs named as a regimen begun (home use), not given
    drips: list[Mention] = []  # drug mentions running as an infusion (a later bolus is theirs)
    bolused: set[int] = set()  # id() of drips given a drug-less bolus ("gtt with prn boluses")
    ordered: list[Mention] = []  # drugs ordered, standing or oral: a later dose may be theirs
    repeats: dict[int, int] = {}  # id(event) -> N of an "xN" written for it
    apart: set[int] = set()  # id(event) of events written as another dose
    oral: set[str] = set()  # drugs the note has given by mouth (a later bare mention is that)
    injected = {  # drugs the note routes as an injection somewhere: a route of the drug's
        # segment after it, or before it within window.route_before_tokens (not "500cc saline iv
        # bolus for low bp, then lopressor held": the route of the fluid that opens the segment)
        a.ident
        for a in anchors
        if a.label == "DRUG"
        and any(
            m.label == "ROUTE"
            and m.ident in rules.injection_routes
            and (m.start >= a.start or a.tok_start - m.tok_end <= rules.window.route_before_tokens)
            for m in note.segment(a).mentions
        )
    }
    infused = {  # drugs the note runs as an infusion: a negated or planned mention is that drip
        a.ident
        for a in anchors
        if a.label == "DRUG"
        and is_infusion(view, a, note.segment(a), rules)
        and not bolus_named(view, a, rules)
    }
    earlier_visits = earlier_log_entries(view, rules)  # "09/10/26 Depo ..." in a log of visits
    for a in anchors:
        if any(start <= a.start < end for start, end in earlier_visits):
            continue  # a log's line of an earlier visit: neither an event nor a not-given one
        adjacent = [m for m in note.segment(a).of("ROUTE") if m.tok_end == a.tok_start] or [
            m
            for m in view.in_sent(a.sent)
            if _route_names(view, m, a, rules)
            and not _closes_a_dose(note, m)
            and not _anaesthetic_route_before(note, m, a)
        ]
        route_m = (
            (adjacent[-1] if adjacent else None)  # "intravenous ceftriaxone and topical X"
            or pick(
                [  # "Ancef, and the patient was on oral antibiotics at home": not Ancef's route
                    m
                    for m in note.segment(a).of("ROUTE")
                    if (
                        m.start < a.start
                        or not (m.modifiers & rules.route_of_another) - a.modifiers
                    )
                    # a drip word is never a dose's route (dropped below): an oral amiodarone dose
                    # charted as its gtt comes off keeps the oral route (helper nursing18)
                    and m.text.lower() not in rules.drip_route_words
                    and not _anaesthetic_route_before(note, m, a)
                ],
                a,
                rules.window.route_before_tokens,
            )
            or _slash_pair_route(note, a)
            or _sentence_route(note, a)
            or _procedure_route(note, a)
            or _route_before_break(view, a)
        )
        if (
            route_m is not None
            and route_m.end <= a.start
            and any(b is not a and _closes_slash_list(note, route_m, b) for b in note.anchors)
        ):
            route_m = None  # "atropine/epi IVB with D50": the route closes the list before it
        if (
            route_m is not None
            and route_m.ident == "PO"
            and route_m.start > a.end
            and any(
                m.label == "INJECTION" and a.end <= m.start < route_m.start
                for m in view.in_sent(a.sent)
            )
        ):
            route_m = None  # "refused the ceftriaxone injection and took oral cefixime"
        if (
            route_m is not None
            and route_m.ident == "PO"
            and route_m.start > a.end
            and rules.contrast_words.intersection(view.tokens[a.tok_end : route_m.tok_start])
        ):
            route_m = None  # "Ceftriaxone was recommended, but she preferred oral antibiotics"
        if route_m is None and _in_wash_fluid(note, a):
            continue  # "irrigated with a solution of bacitracin, Kefzol 1 g and gentamicin 80 mg"
        share: Dose | None = None
        if route_m is not None and route_m.ident == "PO":
            shared = _injected_share(note, a, route_m)
            if shared is not None:
                route_m, share = shared
            elif (paired := oral_partner_of(view, route_m, rules)) is not None:
                route_m = paired  # "2 gm po/iv given": the IV share (its amount dropped below)
        if route_m is not None and route_m.ident == "PO":
            if route_m.text.lower() in rules.wash_route_words:
                continue  # a wash or flush fluid: no injection, no oral course for later ones
            oral.add(a.ident)
            if (
                a.label == "DRUG"
                and not a.modifiers & rules.drug_before_not_if
                and rules.drugs.get(a.ident, {}).get("role", "drug") == "drug"
            ):
                ordered.append(a)  # "Lopressor 25mg po bid; extra 5mg IV x1": its IV dose
            continue  # oral, inhaled, topical...: not an injection
        if (
            a.label == "DRUG"
            and any(
                e.medication == a.ident
                and e.dose_value is not None
                and view.sentences[a.sent].start <= e.start < a.start
                for e in events
            )
            and rules.total_before.search(
                view.text[max(0, a.start - rules.window.dose_before_chars - 10) : a.start]
            )
        ):
            # "... then 1 mg of Versed, for a total of 3 mg of Versed": a sum of the doses
            # already told in the sentence; not after a mention with no amount of its own ("the
            # Lexiscan study, received a total of 0.4 mg of Lexiscan IV": the one dose)
            continue
        if (
            a.label == "DRUG"
            and rules.total_of.search(view.text[view.sentences[a.sent].start : a.start])
            and any(e.medication == a.ident and e.dose_value is not None for e in events)
        ):
            continue  # "Total amount of toxin injected was 450 units" after its doses: the sum
        own_words = view.text[note.segment(a).start : note.segment(a).end]
        if a.ident in oral and route_m is None and not rules.doses.find_all(own_words):
            continue  # "... with good effect from the Ativan" after "Ativan 0.5 mg PO"
        entry = rules.drugs.get(a.ident, {}) if a.label == "DRUG" else {}
        if entry.get("role") == "oral":
            continue  # an oral-only product (Percocet, Kayexalate): never an injection
        if entry.get("role", "drug") != "drug":
            other = [m for m in view.in_sent(a.sent) if m.label == "ROUTE" and m.ident == "other"]
            if not other:
                other = _titled_block(view, a, rules)
            if not other:
                continue  # local anaesthetic: diluent or procedural, unless it is the treatment
            route_m = route_m or other[0]
        bolus = bolus_named(view, a, rules)  # "amio bolus and gtt": the bolus, not the drip
        drip_words = (
            rules.drip_route_words | rules.bolus_infusion_route_words
            if bolus
            else rules.dose_drip_route_words
        )
        if route_m is not None and route_m.text.lower() in drip_words:
            route_m = None  # "propofol boluses ..., still on the gtt": the drip's route word
        if (
            bolus
            and route_m is not None
            and route_m.sent == a.sent
            and any(
                d.label == "DRUG"
                and d is not a
                and min(route_m.end, a.end) <= d.start
                and d.end <= max(route_m.start, a.start)
                for d in view.in_sent(a.sent)
            )
        ):
            # "IV Lopressor then an amio bolus + gtt", "amio bolus & metoprolol 5mg IV given": a
            # route with another drug between it and the bolus is that drug's
            route_m = None
        drip_bolus: _DripBolus | None = None
        if not bolus and is_infusion(view, a, note.segment(a), rules):
            drips.append(a)
            drip_bolus = _drip_bolus(note, a)
            if drip_bolus is None:
                continue  # a running infusion ("heparin gtt at 800 units/hr"): no event, no flag
            bolus, route_m = True, drip_bolus.route  # "propofol gtt & requiring prn boluses"
            bolused.add(id(a))
        category = view.section_at(a.start)
        role = rules.role(category)
        block = template_block(view, a, rules)
        given = given_by(view, a, note.segment(a), block, role, note.sent_has_anchor, rules)
        blocked = blocked_by(
            view,
            replace(a, modifiers=a.modifiers - rules.bolus_ignores) if bolus else a,
            category,
            role,
            rules,
            note.segment(a),
        )  # a bolus is one dose: the drip's standing or regimen words do not block it
        # the override rules (a bolus is a dose, a shot today in a list, a start with its route,
        # a procedure done with the drug, a post-mortem report, an extra dose, a standing drug
        # that needs its own verb): given.settle
        decision = settle(
            view,
            a,
            Decision(given, blocked),
            rules,
            bolus=bool(bolus),
            post_mortem=post_mortem,
            segment=note.segment(a),
            veterinary=veterinary,
            others=lambda a=a: [
                note.segment(b) for b in note.anchors if b.sent == a.sent and b is not a
            ],
        )
        given, blocked = decision.given, decision.blocked
        list_section = (
            post_mortem
            or veterinary
            or (role == "not_administered" and not stated_given(view, a.sent, rules))
        )
        if given and not blocked:
            found = _events_of(note, a, route_m, block, _shared_indication(note, a) or diagnosis())
            if share is not None:
                for event in found:  # "2.5 mg IV plus 50 mg PO metoprolol": the IV dose is 2.5 mg
                    event.dose_value, event.dose_unit = share.value, share.unit
                    event.spans["dose"] = (share.start, share.end)
            if given == "record:infusing":
                for event in found:  # "KCl 20 mEq infusing now": an IV replacement running now
                    event.route = event.route or "IV"
            if bolus:
                _drop_drip_rate(note, a, found)
            if drip_bolus is not None:
                _bolus_amount(note, drip_bolus, found)
            if a.label != "DRUG":
                own = found[0]
                ranged = (  # "got 1-2 mg IM-IVP": an unnamed dose of its own
                    a.label == "ROUTE"
                    and not own.site
                    and own.dose_value is None
                    and dose_range_in(view, note.segment(a), rules)
                )
                named = own.site or own.dose_value is not None or ranged
                single = (
                    a.label == "INJECTION"
                    and a.text.lower() in rules.single_injection_words
                    and not view.sentence_words(a.sent) & rules.group_words
                    and given == "cue:admin_verb"
                    and any(
                        m.label == "ADMIN"
                        and abs(m.tok_start - a.tok_start) <= rules.window.single_injection_tokens
                        and m.text.lower().split()[0] not in rules.weak_admin_words
                        for m in view.in_sent(a.sent)
                    )
                )
                classed = (  # "He was given intravenous antibiotics for prophylaxis"
                    a.label == "ROUTE"
                    and class_word_after(view, a, rules) is not None
                    and any(
                        m.label == "ADMIN"
                        and set(m.text.lower().split()) & rules.unnamed_class_admin
                        and (
                            abs(m.tok_start - a.tok_start) <= rules.window.single_injection_tokens
                            or class_admin_gap(view, m, a, rules)
                        )
                        for m in view.in_sent(a.sent)
                    )
                )
                # "Antibiotics were infused prior to the incision": the class told as infused,
                # its drug unnamed (no drug written before it is the one infused)
                infused_class = a.label == "ROUTE" and class_infused(view, a, rules)
                classed = classed or infused_class
                if not (named or (a.label == "INJECTION" and own.route) or single or classed):
                    continue  # "both injections given", "IV sedation": no one injection
                ranged = ranged or infused_class
                named_before = None if ranged else drug_before(a, anchors, pending, rules)
                from_order = False  # taken from an order, a standing or an oral drug (below)
                if named_before is None and not ranged:  # "Lasix drip ... bolused w 80 mg"
                    named_before = drip_bolused(
                        a,
                        own.dose_unit,
                        view,
                        [d for d in drips if id(d) not in bolused],
                        anchors,
                        rules,
                    )
                if (
                    named_before is None
                    and not ranged
                    and own.dose_unit not in rules.amount_unnamed_units
                ):  # "Remains on iv labetalol. Got 2 gm mgso4": grams are not its dose
                    named_before = drug_before(a, anchors, ordered, rules)
                    from_order = named_before is not None
                if named_before is None and a.label == "ADMIN":
                    named_before = _regimen_before(note, a, events)  # "...q2 weeks; dose given"
                if named_before is None and not ranged and _first_dose_here(note, a):
                    named_before = drug_before(a, anchors, started, rules)
                lab = None if ranged or named_before else lab_named(view, a, own.dose_unit, rules)
                if ranged:
                    pass  # its drug is not written: an event missing its medication
                elif lab is not None:  # "K+ 3.3, given 40 mEq IV": the electrolyte of the lab
                    for event in found:
                        event.medication, event.medication_text = lab.ident, lab.text
                        event.spans["medication"] = lab.span
                    entry = rules.drugs.get(lab.ident, {})
                elif named_before is not None and not has_event_after(named_before, events):
                    entry = rules.drugs.get(named_before.ident, {})
                    named_dose = (
                        None
                        if own.dose_value is not None
                        else dose_with_name(view, named_before, rules)
                    )
                    if named_dose is not None:  # "RXA|...|CEFTRIAXONE 1 G|..." then "RXR|IM"
                        own.dose_value, own.dose_unit = named_dose.dose.value, named_dose.dose.unit
                        own.spans["dose"] = named_dose.span
                    # an order's route is that dose's only when the entry charts the order's own
                    # dose, with no amount of its own ("Toradol 30 mg IM ordered. Given R VG")
                    own_amount = named_dose is None and own.dose_value is not None
                    for event in found:  # "Given in R and L gluteal, 500 mg each": each part
                        _take_named(note, event, named_before, a, from_order and own_amount)
                elif a.label == "DOSE" and own.dose_unit not in rules.amount_unnamed_units:
                    prev = events[-1] if events else None
                    if (
                        prev is None
                        or not view.sentence_words(a.sent) & rules.another_dose
                        or not 0 <= a.start - prev.end <= rules.window.merge_unnamed_chars
                    ):
                        continue  # "given 2 mg" with no drug named before: no event of its own
                    own.medication, own.medication_text = prev.medication, prev.medication_text
                    entry = rules.drugs.get(prev.medication or "", {})  # "40 mg given again"
                elif merge_unnamed(own, events, a, rules):
                    continue
                elif a.label == "ADMIN":
                    continue  # "Given L deltoid." with no drug just before: names no dose
                elif own.medication is not None:
                    # another amount of the drug just given ("Syringe 2: 72 mg SC" after
                    # azacitidine): its lexicon entry, so that its exclusion flag holds too
                    entry = rules.drugs.get(own.medication, {})
            for event in found:
                _drop_split_total(note, event)
            exclusion = entry.get("exclusion")
            if exclusion and entry.get("exclusion_if") == "oncology" and not cancer:
                exclusion = None
            times = _repeats(note, a)
            seg = note.segment(a)
            lo, hi = seg_tokens(view, seg)
            # with the two words before a segment that starts at the drug's own dose
            # ("then a further 2mg IV Ativan")
            if lo < a.tok_start:
                lo = max(view.sentences[a.sent].tok_start, lo - 2)
            elif view.token(a.tok_start - 1) in rules.dose_of_words:
                # "..., and a second dose of Rituxan was given": the words naming it another
                # dose end the segment of the drug before it
                lo = max(view.sentences[a.sent].tok_start, a.tok_start - 4)
            seg_words = set(view.tokens[lo:hi])
            another = (
                bool(seg_words & rules.another_dose)
                or _at_another_level(note, a, events)
                or another_for_list(view, a, rules)  # "additional Versed and fentanyl"
            )
            more = (
                _another_amount(note, a, found)
                or _dose_list(note, a, found)
                or _second_route(note, a, found)
            )
            earlier = [] if more else _dose_list_before(note, a, found)
            found += more
            found[:0] = earlier  # "got 40 mg and then 80 mg of lasix": the 40 mg first
            more += earlier
            for event in found:
                if another or any(event is m for m in more) or _timed_again(note, a, given, event):
                    apart.add(id(event))
                if times > 1 and not any(event is m for m in more):
                    repeats[id(event)] = times  # the count is the first dose's, not "then 2 mg"
                    _drop_total(note, a, event)
                event.evidence = evidence.value if evidence else None
                if evidence is not None:
                    event.spans["evidence"] = evidence.span
                event.drug_exclusion = exclusion
                event.decided_by = given
                events.append(event)
            continue
        if a.label == "DRUG" and not blocked:
            pending.append(a)
        elif a.label == "DRUG" and not a.modifiers & rules.drug_before_not_if:
            ordered.append(a)  # "MD ordered haldol prn. 2mg iv given at 2200": that drug
        elif a.label == "DRUG" and a.modifiers & rules.first_dose_of_regimen:
            started.append(a)  # "Starting Cimzia. Loading dose 400 mg given in clinic ..."
        if _electrolyte_unrouted(note, a, route_m):
            continue  # "?replace K & Ca", "K to be repleted": a pending repletion, no flag
        if a.label != "ROUTE" and _injection_cue(note, a, route_m, injected, role):
            reason = not_given_by(a, bool(given), role, rules, list_section, view)
            if reason is not None and not (
                a.label == "DRUG"
                and a.ident in infused
                and not bolus  # "no amio bolus needed" beside its drip: a bolus, not the drip
                and not _injection_act_near(view, a, rules)  # "?rebolus w amio": not the drip
                and not (
                    rules.planned_doses and a.modifiers >= rules.planned_doses
                )  # a drip off, then IV doses twice a day
            ):
                medication = a.ident if a.label == "DRUG" else None
                not_given.append(NotGiven(medication, a.start, a.end, reason))
    absorb_unnamed(events, rules, view.text)
    _record_route(note, events)
    _sedation_route(note, events)
    told: dict[int, bool] = {}
    timed = frozenset(id(e) for e in events if _told_at_a_time(view, e, rules, told))
    merged = _expand_repeats(
        merge_mentions(events, rules, frozenset(apart), timed, view.text), repeats
    )
    merged = _repeat_sides(view, merged, rules)
    merged = merge_restated(view, merged, rules)  # "EpiPen 0.3 mg (epinephrine ...)": one dose
    merged = pasted_twice(view, merged)  # a procedure block pasted twice: one dose
    merged = respective_sides(view, merged, rules)  # "X IM and Y IM given in R and L deltoid"
    share_list_site(view, merged, rules)  # "X, Y and Z IM given together in the R gluteal"
    divided_doses(view, merged, rules)  # "1 g IM, divided 500 mg R glut / 500 mg L glut"
    merged = total_then_parts(merged)  # "= 144 mg SC, 2 syringes" then one line per syringe
    slash_list_amounts(view, merged, rules)  # "Haldol 5 / Ativan 2 / Benadryl 50 mg IM"
    merged = corrected(view, merged, not_given, rules)  # "charted in error - NOT given"
    merged, removed = corrected_above(view, merged, rules)  # "^ Administration above IN ERROR"
    corrected_dose(view, merged, rules)  # "CORRECTION: dose given was 30 mg, not 60 mg"
    table_drug(view, merged, rules)  # "Drug: haloperidol ..." over the table's rows
    title_drug(view, merged, rules)  # "Bicillin L-A series flowsheet" over its dated rows
    standing_order_route(view, merged, rules)  # "Standing order: B12 ... inject 1 mL IM q4wk"
    merged = amount_told_twice(view, merged)  # "KETOROLAC 60 MG/2 ML INJ,60,MG,IM": one dose
    merged = allergen_vial_rows(view, merged, rules)  # "Vial A (trees) 1:10 v/v 0.3 mL SC"
    total_told_next(view, merged, rules)  # a dose with no amount, the sum told in the next sentence
    not_given += removed
    not_given += phrased_not_given(view, merged, not_given, anchors, rules)  # "FS 118, no coverage"
    not_given = sorted(not_given, key=lambda n: n.start)
    eye_side(view, merged, rules)  # "intravitreal injection OS": the left eye
    return Extraction(merged, not_given, evidence.value if evidence else None)
