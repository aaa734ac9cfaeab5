"""Injection sites and laterality of one anchor's words (contract section 3: site).

A SITE mention counts when the line is structured (a table row, a ``Field:`` line, a
template block line), when a site cue ("in", "into", "site:") comes just before it, or when
it carries its own side ("RUOQ"). A dose split over distinct sides gives one pick per side.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..doses import Dose
from .rules import ExtractionRules
from .segments import Segment, is_row, is_table_row
from .view import CharSpan, Mention, NoteView

PLACE_LABELS = ("SITE", "BODY", "LATERALITY")
_LIST_WORDS = re.compile(r"\w+|[^\w\s]")  # the words and marks between two listed drugs


@dataclass(frozen=True)
class SitePick:
    """One ``(site, laterality)`` pair and the spans it was read from (None: not found)."""

    site: str | None
    side: str | None
    site_span: CharSpan | None = None
    side_span: CharSpan | None = None

    @property
    def key(self) -> tuple[str | None, str | None]:
        return (self.site, self.side)


def laterality_near(m: Mention, lats: list[Mention], rules: ExtractionRules) -> Mention | None:
    """The LATERALITY mention just before ``m`` ("L deltoid"), else just after it
    ("deltoid, left"), within the ``laterality_*_tokens`` windows."""
    for lat in reversed(lats):
        if lat.tok_end <= m.tok_start and m.tok_start - lat.tok_end <= (
            rules.window.laterality_before_tokens
        ):
            return lat
    for lat in lats:
        after = lat.tok_start - m.tok_end
        if lat.tok_start >= m.tok_end and (
            after <= rules.window.laterality_after_tokens
            or (  # "abdominal wall below the navel, L side": a side told as a side
                after <= rules.window.laterality_side_after_tokens
                and lat.text.lower().split()[-1] in rules.side_nouns
            )
        ):
            return lat
    return None


def paired_side(
    view: NoteView, lat: Mention, lats: list[Mention], rules: ExtractionRules
) -> Mention | None:
    """The other side joined to side ``lat`` right before it ("R and L gluteal", "left &
    right deltoids": ``words.side_joiners``), or None: the place was injected on both sides."""
    for other in reversed(lats):
        if other.end > lat.start:
            continue
        between = view.text[other.end : lat.start].strip().lower()
        if other.ident != lat.ident and between in rules.side_joiners:
            return other
        return None
    return None


def _site_cue_before(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    return any(
        w in rules.site_cues for w in view.words_before(m.tok_start, rules.window.site_cue_tokens)
    )


def exam_finding_after(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    """Is the body part the subject of an exam finding ("abd soft", "R arm, facial
    seizure", "L thigh twitching"): an ``extraction.yaml`` ``words.site_findings`` word
    within ``window.finding_after_tokens`` tokens after it, in its sentence, before any
    ``words.finding_stops`` word ("site", "no", "without": "R thigh, site soft" tells the
    injection site's state) and before any drug, route, dose or administration mention?
    Then it names the part examined, not where a drug was injected."""
    n = rules.window.finding_after_tokens
    if not n or not rules.site_findings:
        return False
    sent = view.sentences[m.sent]
    stops = {x.tok_start for x in view.in_sent(m.sent) if x.label in FINDING_BREAK}
    for i in range(m.tok_end, min(m.tok_end + n, sent.tok_end)):
        word = view.token(i)
        if i in stops or word in rules.finding_stops:
            return False
        if word in rules.site_findings:
            return True
    return False


FINDING_BREAK = ("DRUG", "ROUTE", "DOSE", "ADMIN", "INJECTION")
"""Mention labels that end the words read after a body part for an exam finding."""


def find_sites(
    view: NoteView,
    segment: Segment,
    ind_range: CharSpan | None,
    rules: ExtractionRules,
    block_line: bool = False,
) -> list[SitePick]:
    """Distinct site picks in a segment, in text order: usually one; two when a dose is
    split ("each buttock" gives left and right). With no site, a non-site body part after
    "in/into", beside an injection word ("the left knee was injected") or on a table
    row ("| L AC |"), still gives its laterality: ``[SitePick(None, side)]``.

    Args:
        ind_range: the indication's character range: mentions inside it are not sites
            ("for L knee pain").
        block_line: the segment is a template block line (always structured).
    """

    def outside(m: Mention) -> bool:
        return ind_range is None or not (ind_range[0] <= m.start < ind_range[1])

    lats = segment.of("LATERALITY")
    structured = block_line or is_row(view, segment, rules)
    picks: list[SitePick] = []
    for m in (m for m in segment.of("SITE") if outside(m)):
        if not (structured or _site_cue_before(view, m, rules) or "|" in m.ident):
            continue  # "abdominal pain", "hip pain": a word for a place, not a site
        nxt = view.tokens[m.tok_end] if m.tok_end < len(view.tokens) else ""
        if not structured and nxt in rules.site_complaint_after:
            continue  # "pt c/o flank pain, dilaudid given": the place of a complaint
        if not structured and exam_finding_after(view, m, rules):
            continue  # "abd soft", "R arm, facial seizure": the part examined
        value, _, own_side = m.ident.partition("|")
        side: str | None = own_side or None
        side_span = m.span if own_side else None
        if side is None:
            lat = laterality_near(m, lats, rules)
            if lat is not None:
                side, side_span = lat.ident, lat.span
                pair = paired_side(view, lat, lats, rules) if lat.end <= m.start else None
                if pair is not None and not picks:  # "R and L gluteal": one pick per side
                    picks.append(SitePick(value, pair.ident, m.span, pair.span))
                    picks.append(SitePick(value, side, m.span, side_span))
                    continue
        if (
            picks
            and picks[-1].site == value
            and (picks[-1].side is None or side is None or picks[-1].side == side)
        ):
            last = picks[-1]  # "upper outer quadrant of the L buttock": one site
            if last.side is None:
                picks[-1] = SitePick(value, side, last.site_span, side_span)
            continue
        picks.append(SitePick(value, side, m.span, side_span))
    if len(picks) == 1 and picks[0].side == "bilateral":
        p = picks[0]
        picks = [
            SitePick(p.site, "right", p.site_span, p.side_span),
            SitePick(p.site, "left", p.site_span, p.side_span),
        ]
    if len({p.key for p in picks}) < len(picks):
        first: dict[tuple[str | None, str | None], SitePick] = {}
        for p in picks:
            first.setdefault(p.key, p)
        picks = list(first.values())
    if picks:
        return picks if len(picks) > 1 and all(p.side for p in picks) else picks[:1]
    for m in (m for m in segment.of("BODY") if outside(m)):
        before = set(view.words_before(m.tok_start, rules.window.locative_tokens))
        row = is_table_row(view.sentence_text(m.sent), rules)  # "...|IV PUSH|L AC|GIVEN"
        routed = any(  # "intradermal L volar forearm": an injection route right before the place
            r.ident in rules.routed_place_routes
            and 0 <= m.tok_start - r.tok_end <= rules.routed_place_tokens
            for r in segment.of("ROUTE")
        )
        if row or routed or before & rules.locatives or _injection_near(view, m, rules):
            lat = laterality_near(m, lats, rules)
            if lat is not None:
                return _per_side(SitePick(None, lat.ident, None, lat.span))
    return _side_only(view, segment, [m for m in lats if outside(m)], rules)


def _per_side(pick: SitePick) -> list[SitePick]:
    """A bilateral pick is one per side (corpora/README.md: the same drug on both sides is
    one event per side); any other pick stays one."""
    if pick.side != "bilateral":
        return [pick]
    return [
        SitePick(pick.site, "right", pick.site_span, pick.side_span),
        SitePick(pick.site, "left", pick.site_span, pick.side_span),
    ]


def _side_only(
    view: NoteView, segment: Segment, lats: list[Mention], rules: ExtractionRules
) -> list[SitePick]:
    """The side of an injection that names no place of its own: "injected ... bilaterally"
    (a ``sites.yaml`` ``bilateral_alone`` word after an injection word of the segment: one
    pick per side), or a place
    named by reference ("injected in this location", ``routes.yaml`` ``site_anaphora``):
    the side of the last body part or site with a side, up to ``anaphora_sentences``
    sentences back ("The right obturator nerve was found ... 6 mL was injected in this
    location": right). Empty when there is none."""
    text = view.text
    for lat in lats:
        if lat.text.lower() in rules.bilateral_alone and any(
            w in rules.injected_words
            for w in text[segment.start : lat.start].lower().replace(",", " ").split()
        ):
            return _per_side(SitePick(None, "bilateral", None, lat.span))
    if not segment.mentions or not rules.site_anaphora.search(text, segment.start, segment.end):
        return []
    sent = segment.mentions[0].sent
    for back in range(sent - 1, max(-1, sent - rules.anaphora_sentences - 1), -1):
        ms = view.in_sent(back)
        sides = [m for m in ms if m.label == "LATERALITY"]
        for m in reversed(ms):
            if m.label in ("BODY", "SITE"):
                lat = laterality_near(m, sides, rules)
                if lat is not None:
                    return _per_side(SitePick(None, lat.ident, None, lat.span))
    return []


@dataclass(frozen=True)
class ListedDose:
    """One amount of a dose-per-place list and where it was injected.

    Attributes:
        dose: the amount (``start``/``end``: character offsets in the note).
        picks: one ``SitePick`` per side it was given at (a bilateral item gives right and
            left; no side: one pick with side None).
    """

    dose: Dose
    picks: tuple[SitePick, ...]


def listed_doses(view: NoteView, sent_id: int, rules: ExtractionRules) -> list[ListedDose]:
    """The items of a sentence that lists amounts injected at places and names no drug
    ("Approximately 40 units was injected in the left biceps and 20 units in the right
    deltoid"): each amount, followed within 4 words by a ``sites.yaml`` ``dose_list_cues``
    word, with the site, body part or side written before the next amount. Empty unless
    the sentence has an injection word and every amount is such an item.

    Source: corpora/README.md labelling decisions (one event per side; chemodenervation
    reports list the units per muscle)."""
    ms = view.in_sent(sent_id)
    if not rules.dose_list_cues or any(m.label == "DRUG" for m in ms):
        return []
    if not (
        view.sentence_words(sent_id) & rules.injected_words
        or any(m.label == "INJECTION" for m in ms)
    ):
        return []
    sent = view.sentences[sent_id]
    text = view.text[sent.start : sent.end]
    doses = rules.doses.find_all(text)
    items: list[ListedDose] = []
    for i, d in enumerate(doses):
        lo = sent.start + d.start
        hi = sent.start + doses[i + 1].start if i + 1 < len(doses) else sent.end
        after = [w.strip(",.;:") for w in text[d.end : hi - sent.start].lower().split()[:4]]
        places = [m for m in ms if lo <= m.start < hi and m.label in PLACE_LABELS]
        if not set(after) & rules.dose_list_cues or not places:
            return []
        site = next((m for m in places if m.label == "SITE"), None)
        value, _, own_side = site.ident.partition("|") if site else ("", "", "")
        side_ms = [m for m in places if m.label == "LATERALITY"]
        site_span = site.span if site else None
        if own_side:
            picks = _per_side(SitePick(value, own_side, site_span, site_span))
        elif side_ms:
            both = next((m for m in side_ms if m.ident == "bilateral"), None)
            first = both or side_ms[0]
            picks = _per_side(SitePick(value or None, first.ident, site_span, first.span))
        else:
            picks = [SitePick(value or None, None, site_span, None)]
        note_dose = Dose(d.value, d.unit, lo, sent.start + d.end, d.is_volume)
        items.append(ListedDose(note_dose, tuple(picks)))
    return items


def note_side_of(view: NoteView, m: Mention, rules: ExtractionRules) -> Mention | None:
    """The one side the note gives elsewhere to the body part ``m`` injected with no side of
    its own ("Injected shoulder joint and with Celestone" in a note of right shoulder pain,
    its exam of the right shoulder): the LATERALITY near the other mentions of that part (a
    BODY mention with the first ``routes.yaml`` ``implied_by_body_part`` word of ``m``) in the
    note's indication sections (chief complaint, assessment: the problem treated), else in
    the whole note, when they all name one side; None when none has a side, or they name two
    or both. A part told with an exam finding after it ("L shoulder normal", the other side
    examined for comparison) does not count."""
    parts = {**rules.route_by_body_part, **rules.route_by_class_body_part}
    word = next((w for w in m.text.lower().split() if w in parts), None)
    if word is None:
        return None  # the first part word names it: "shoulder" of "shoulder joint"
    found: list[tuple[bool, Mention]] = []
    for other in view.mentions:
        if other.label != "BODY" or other is m or word not in other.text.lower().split():
            continue
        after = view.token(other.tok_end) if other.tok_end < len(view.tokens) else ""
        if after in rules.comparison_findings or exam_finding_after(view, other, rules):
            continue  # "L shoulder normal": the other side examined for comparison
        lats = [x for x in view.in_sent(other.sent) if x.label == "LATERALITY"]
        lat = laterality_near(other, lats, rules)
        if lat is not None:
            found.append((rules.role(view.section_at(other.start)) == "indication", lat))
    stated = [lat for problem, lat in found if problem] or [lat for _, lat in found]
    sides = {lat.ident for lat in stated}
    if len(sides) != 1 or "bilateral" in sides:
        return None
    return stated[0]


def template_side(view: NoteView, block: list[Segment], rules: ExtractionRules) -> Mention | None:
    """Laterality from a template line of its own ("Side: [x] R", "Laterality: Left")."""
    for b in block:
        if rules.side_line.match(view.text[b.start : b.end]) and b.of("LATERALITY"):
            return b.of("LATERALITY")[0]
    return None


def _injection_near(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    """An injection word (an INJECTION mention, or a word of ``routes.yaml``
    ``injected_words``) within ``locative_tokens`` tokens of ``m`` in its sentence ("the
    knee was injected"), not counting the tokens of a parenthesised aside after ``m``."""
    reach = rules.window.locative_tokens
    sent = view.sentences[m.sent]
    lo, hi = max(sent.tok_start, m.tok_start - reach), min(sent.tok_end, m.tok_end + reach)
    # a parenthesised aside after the body part does not count toward the reach ("Right knee
    # aspirated (20 mL clear fluid) and injected with ...")
    depth, counted, i = 0, 0, m.tok_end
    while i < sent.tok_end and counted < reach:
        word = view.token(i)
        depth += (word == "(") - (word == ")")
        counted += depth == 0 and word != ")"
        i += 1
    hi = max(hi, i)
    if any(view.token(i) in rules.injected_words for i in range(lo, hi)):
        return True
    return any(x.label == "INJECTION" and lo <= x.tok_start < hi for x in view.in_sent(m.sent))


def body_part_route(
    view: NoteView,
    m: Mention,
    rules: ExtractionRules,
    drug_class: str | None,
    placed: bool = False,
) -> str | None:
    """The route a BODY mention implies when it is the place injected (``routes.yaml``
    ``implied_by_body_part``: "into the left knee", "the knee was injected" give ``other``;
    ``implied_by_body_part_for_classes`` only for a drug of those classes), else None.

    Args:
        m: a BODY mention.
        drug_class: the drug lexicon ``class`` of the event's drug (None: unnamed).
        placed: the caller already knows ``m`` is the place injected (a site named by
            reference, "at this site"), so no locative or injection word is needed.
    """
    text = m.text.lower()
    forms = [text, *text.split()]
    by_part = dict(rules.route_by_body_part)
    if drug_class in rules.body_part_classes:
        by_part |= rules.route_by_class_body_part
    route = next((by_part[f] for f in forms if f in by_part), None)
    if route is None:
        return None
    before = set(view.words_before(m.tok_start, rules.window.locative_tokens))
    if placed or before & rules.locatives or _injection_near(view, m, rules):
        return route
    return None


def _complaint_place(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    """Is body part ``m`` the place of a complaint: a ``complaint_after`` word (pain,
    discomfort, ...) right after it or within ``window.locative_tokens`` tokens before it in
    its sentence ("sore at the sternal incision", "incision pain")?"""
    after = view.tokens[m.tok_end] if m.tok_end < len(view.tokens) else ""
    floor = view.sentences[m.sent].tok_start
    lead = range(max(floor, m.tok_start - rules.window.locative_tokens), m.tok_start)
    return after in rules.site_complaint_after or any(
        view.tokens[i] in rules.site_complaint_after for i in lead
    )


def procedure_site_route(
    view: NoteView,
    segment: Segment,
    ind_range: CharSpan | None,
    rules: ExtractionRules,
    drug_class: str | None,
) -> tuple[str, Mention] | None:
    """``(route, body part)`` for an anchor injected into a body part that only a procedure
    route reaches (``body_part_route``): a BODY mention of its segment outside the indication
    ("for knee pain" names no place), else of its sentence when the segment names no 96372
    site, else, when the segment names the place by reference ("injected at this site"), the
    last such body part up to ``anaphora_sentences`` sentences back. In the sentence, only a
    body part before the segment counts ("the knee was injected with Celestone and Marcaine").
    None when there is none.
    """

    def outside(m: Mention) -> bool:
        return ind_range is None or not (ind_range[0] <= m.start < ind_range[1])

    for m in segment.of("BODY"):
        if outside(m) and not _complaint_place(view, m, rules):
            route = body_part_route(view, m, rules, drug_class)
            if route:
                return route, m
    if not segment.mentions or segment.of("SITE"):
        return None
    sent = segment.mentions[0].sent
    for m in view.in_sent(sent):
        if m.label == "BODY" and outside(m) and m.start < segment.start:
            if _complaint_place(view, m, rules):
                continue  # "sore at the sternal incision, given morphine"
            route = body_part_route(view, m, rules, drug_class)
            if route:
                return route, m
    listed = _listed_place(view, segment, sent, rules)
    if listed is not None and outside(listed) and not _complaint_place(view, listed, rules):
        route = body_part_route(view, listed, rules, drug_class)
        if route:
            return route, listed
    if not rules.site_anaphora.search(view.text, segment.start, segment.end):
        return None
    for back in range(sent - 1, max(-1, sent - rules.anaphora_sentences - 1), -1):
        for m in reversed(view.in_sent(back)):
            if m.label == "BODY":
                route = body_part_route(view, m, rules, drug_class, placed=True)
                if route:
                    return route, m
    return None


def _listed_place(
    view: NoteView, segment: Segment, sent: int, rules: ExtractionRules
) -> Mention | None:
    """The body part a list of drugs is injected into, for the segment's drug when it heads
    or sits inside that list: the drug is joined to the next ones by ``routes.yaml``
    ``route_list_joiners`` only ("a mixture of morphine and Toradol was infiltrated into the
    capsule": the capsule is the morphine's place too), and the place is the first body part
    after the list's last drug in the sentence, before any other drug. None otherwise."""
    drugs = [m for m in view.in_sent(sent) if m.label == "DRUG"]
    own = segment.of("DRUG")
    if not own or own[0] not in drugs:
        return None
    i = drugs.index(own[0])
    last = i
    while last + 1 < len(drugs):
        between = view.text[drugs[last].end : drugs[last + 1].start]
        words = _LIST_WORDS.findall(between.lower())
        if not words or not all(w in rules.route_list_joiners for w in words):
            break
        last += 1
    if last == i:
        return None
    stop = drugs[last + 1].start if last + 1 < len(drugs) else None
    for m in view.in_sent(sent):
        if m.label == "BODY" and m.start >= drugs[last].end and (stop is None or m.start < stop):
            return m
    return None
