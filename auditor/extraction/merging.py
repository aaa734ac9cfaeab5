"""Merging: drug-less entries and repeated mentions joined to the event they document."""

from __future__ import annotations

import re

from ..doses import tidy_number
from .event import Event
from .rules import ExtractionRules
from .view import Mention, NoteView

PLACE_AND_DOSE = ("route", "site", "laterality", "dose_value", "dose_unit")
TEXT_ELEMENTS = ("route", "indication", "response", "provider")
ADMIN_VERB = "cue:admin_verb"  # ``given.given_by``: an administration verb in the sentence

# a run of blanks in a gap between two entries (counted as one written character)
_BLANKS = re.compile(r"\s+")


def drug_before(
    a: Mention, anchors: list[Mention], pending: list[Mention], rules: ExtractionRules
) -> Mention | None:
    """The drug a drug-less entry is about: the nearest earlier drug mention, not given
    on its own line, within ``drug_before_chars`` ("Allergen extract, maint." then "0.3 mL
    SC L arm"), with no other drug anchor between."""
    near = rules.window.drug_before_chars
    earlier = [m for m in pending if m.start < a.start and a.start - m.end <= near]
    if not earlier:
        return None
    m = earlier[-1]
    between = [x for x in anchors if m.start < x.start < a.start and x.label == "DRUG"]
    return None if between else m


def drip_bolused(
    a: Mention,
    dose_unit: str | None,
    view: NoteView,
    drips: list[Mention],
    anchors: list[Mention],
    rules: ExtractionRules,
) -> Mention | None:
    """The drip a drug-less dose is a bolus of: its sentence holds a bolus word
    (``extraction.yaml`` ``words.bolus``) or bolus route (``words.drip_bolus_routes``: "Still
    requires large IVB 500mcg" after "Fentanyl gtt also increased"), its dose is an amount,
    not a volume (a volume is a fluid bolus), and a drug running as an infusion (``drips``) is
    named before it within ``drug_before_chars`` with no other drug anchor between ("LASIX
    DRIP AT 10MG/HR. BOLUSED W 80MG IVP": a furosemide dose); None otherwise."""
    if dose_unit in (None, "mL"):
        return None
    if not view.sentence_words(a.sent) & rules.bolus_words and not any(
        m.label == "ROUTE" and m.text.lower() in rules.drip_bolus_routes
        for m in view.in_sent(a.sent)
    ):
        return None  # neither a bolus word nor a bolus route ("IVB") in its sentence
    return drug_before(a, anchors, drips, rules)


def has_event_after(m: Mention, events: list[Event]) -> bool:
    """Is there an event of ``m``'s drug at or after it?"""
    return any(e.start >= m.start and e.medication == m.ident for e in events)


def merge_unnamed(event: Event, events: list[Event], a: Mention, rules: ExtractionRules) -> bool:
    """A drug-less "injection given in R glut" (or a template's "Route: IM" line) right
    after a named drug's event completes that event instead of starting a new one.

    A drug-less entry with another amount in the same unit as that event's dose is another
    administration of the same drug ("K repleted with 60 mEq IV ... received 20 meq iv"); a
    coverage dose ("covered with 2 units", anchor label DOSE) is always an event of its own.
    Both stay events; so does one with the same amount at another site or side (the next part
    of a dose split over sites). A drug-less injection by a route of its own after a local
    anaesthetic's event ("Dorsal penile block with lidocaine. 0.58 mg injected into the
    plaque") is another drug, the treatment the anaesthetic prepared for: it is not merged
    into the anaesthetic.

    Returns:
        True when ``event`` was merged into the last of ``events``.
    """
    if not events or a.label == "DOSE":
        return False
    prev = events[-1]
    if not 0 <= a.start - prev.end <= rules.window.merge_unnamed_chars:
        return False
    if event.route is not None and rules.drugs.get(prev.medication or "", {}).get("role") == (
        "local_anesthetic"
    ):
        return (
            False  # "penile block with lidocaine. 0.58 mg injected into the plaque": another drug
        )
    if (
        event.dose_value is not None
        and event.dose_unit == prev.dose_unit
        and event.dose_value != prev.dose_value
    ):
        event.medication, event.medication_text = prev.medication, prev.medication_text
        return False
    if (
        prev.medication is not None
        and event.dose_value is not None
        and event.dose_unit == prev.dose_unit
        and None not in (event.site, prev.site)
        and (event.site, event.laterality) != (prev.site, prev.laterality)
    ):
        # "Syringe 1: 72 mg SC L lower abdomen" then "Syringe 2: 72 mg SC R lower abdomen":
        # the same amount at another site is another part of the dose (corpora/README.md: a
        # dose split over two sites is two events)
        event.medication, event.medication_text = prev.medication, prev.medication_text
        return False
    prev.take(event, PLACE_AND_DOSE)
    return True


def _strength_of(text: str, event: Event, rules: ExtractionRules) -> float | None:
    """The percent strength written right at drug ``event``'s anchor in ``text`` ("Marcaine
    0.25%", "0.5% Marcaine": ``regex.strength_after`` / ``regex.strength_before``), or None."""
    if not text:
        return None
    after = rules.strength_after.match(text, event.end)
    if after is not None:
        return float(after.group(1))
    before = rules.strength_before.search(text, max(0, event.start - 20), event.start)
    return float(before.group(1)) if before is not None else None


def merge_mentions(
    events: list[Event],
    rules: ExtractionRules,
    apart: frozenset[int] = frozenset(),
    timed: frozenset[int] = frozenset(),
    text: str = "",
) -> list[Event]:
    """A later mention of an already given drug with no dose and no site of its own
    ("responding to the Benadryl we gave"; also when it names only the drug's family: "Novolog
    8 units SC given per sliding scale", whose "sliding scale" is insulin), or with the same
    dose and route as it and no site in either ("received 40 mg IVP Lasix ... diuresing with
    40 mg IVP Lasix"), is the same administration, not a new one; so is an earlier mention with
    no dose and no site when a later one tells the dose ("rib pain tx with MSO4 ... MSO4 0.5 mg
    x2": the later, fuller mention stands for it; corpora/README.md, nursing batches 5 and 9: a
    dose told again under another system is one event), unless either is told at a time of its
    own (``timed``: "diuresed from am lasix ... at 2200 received 20 mg ivp lasix" are two doses).
    Events whose ``id`` is in ``apart`` are said to be another dose ("Additional Narcan was
    given") and stay separate. A later mention with the same amount that points back to it
    (``refers_back`` right after it: "the ketorolac 60 mg above was injected into the right
    gluteal") is the earlier dose, bare of route and site, told again in an addendum: one
    event, which takes the route, site and side told later."""
    out: list[Event] = []
    for event in events:
        same = [e for e in out if e.medication and e.medication == event.medication]
        if id(event) in apart:
            same = []
        if event.dose_value is None and event.site is None and id(event) not in apart:
            same = same or [
                e
                for e in out
                if e.medication
                and event.medication
                and event.medication == rules.family_of(e.medication) != e.medication
            ]
            if same:
                same[0].take(event, TEXT_ELEMENTS)
                continue
        restated = [
            e
            for e in same
            if e.dose_value == event.dose_value
            and e.dose_unit == event.dose_unit
            and e.site is None
            and event.site is None
            and (e.laterality == event.laterality or None in (e.laterality, event.laterality))
            and (e.route == event.route or None in (e.route, event.route))
        ]
        if restated:
            restated[0].take(event, TEXT_ELEMENTS)
            continue
        referred = [
            e
            for e in same
            if e.dose_value == event.dose_value
            and e.dose_unit == event.dose_unit
            and e.route is None
            and e.site is None
            and id(event) not in apart
            and rules.refers_back.match(text, event.end)
        ]
        if referred:  # "Toradol 60 mg given ... the ketorolac 60 mg above was injected IM R glut"
            referred[0].take(event, TEXT_ELEMENTS + ("site", "laterality"))
            continue
        bare = [
            i
            for i, e in enumerate(out)
            if e in same
            and e.dose_value is None
            and e.site is None
            and event.dose_value is not None
            and id(event) not in apart
            and not {id(e), id(event)} & timed
            and (e.route is None or e.route == event.route)
        ]
        if bare:  # "tx with MSO4 ... MSO4 0.5 mg x2 for rib pain": the dose told in full later
            strength = _strength_of(text, out[bare[0]], rules) if event.dose_unit == "mL" else None
            if strength is not None and _strength_of(text, event, rules) is None:
                # "Marcaine 0.025% was injected ... A total of 40 mL of Marcaine was used": the
                # volume of the strength written first (contract section 3: a percent solution
                # converts at 1% = 10 mg/mL)
                event.dose_value = tidy_number(strength * rules.doses.pct_factor * event.dose_value)
                event.dose_unit = "mg"
            event.take(out[bare[0]], TEXT_ELEMENTS)
            out[bare[0]] = event
            continue
        out.append(event)
    return out


def absorb_unnamed(events: list[Event], rules: ExtractionRules, text: str) -> None:
    """A drug-less event just before a named drug's event in the same entry (a template
    whose "Route:" line comes before "Medication:", a C-CDA entry whose coded route, site and
    dose come before its product) is absorbed into it, in place. One documented with its own
    administration verb ("Mg repleted w/ 2 amps IV. Given 40 mg Lasix") is an entry of its
    own: its route and dose are not the next drug's; one that documents nothing of its own
    ("Injection given: Yes." before "Medication: Ceftriaxone") is still absorbed. The gap is
    counted in written characters (``text``, the note: a run of blanks counts as one, as the
    blanked markup of an export read as text or a form's padding say nothing)."""
    i = 0
    while i + 1 < len(events):
        cur, nxt = events[i], events[i + 1]
        if (
            cur.medication is None
            and (cur.decided_by != ADMIN_VERB or _bare(cur))
            and nxt.medication
            and 0 <= nxt.start - cur.end
            and _written_gap(text, cur.end, nxt.start) <= rules.window.absorb_unnamed_chars
        ):
            nxt.take(cur, PLACE_AND_DOSE)
            del events[i]
            continue
        i += 1


def _bare(event: Event) -> bool:
    """Does the drug-less event document nothing of its own (no dose, route, site or side)?
    A form's "Injection given: Yes" before its "Medication: Ceftriaxone ..." lines is that
    drug's entry, even with its administration word."""
    return all(getattr(event, key) is None for key in ("dose_value", "route", "site", "laterality"))


def _written_gap(text: str, start: int, end: int) -> int:
    """The characters from ``start`` to ``end`` with each run of blanks (spaces, tabs, line
    breaks) counted as one."""
    return len(_BLANKS.sub(" ", text[start:end]))


def total_then_parts(events: list[Event]) -> list[Event]:
    """A total dose told with no site, followed by its parts, each at a site of its own
    ("Azacitidine ... = 144 mg SC, divided into 2 syringes" then "Syringe 1: 72 mg SC L lower
    abdomen", "Syringe 2: 72 mg SC R lower abdomen"; "Xolair 300 mg, given as two 150 mg SC
    injections" then one line per arm): the parts are the events (corpora/README.md: a dose
    split over two sites is two events) and the total is dropped, its indication, response and
    provider passed to the parts that lack them. The parts are the two or more events of the
    total's drug that follow it, each with a site and a dose in the total's unit, whose amounts
    add up to the total."""
    drop: set[int] = set()
    for i, total in enumerate(events):
        if total.medication is None or total.dose_value is None or total.site is not None:
            continue
        parts: list[Event] = []
        for later in events[i + 1 :]:
            if later.medication != total.medication:
                continue
            if later.site is None or later.dose_unit != total.dose_unit or later.dose_value is None:
                break
            parts.append(later)
        if len(parts) < 2 or abs(sum(p.dose_value or 0 for p in parts) - total.dose_value) > 1e-6:
            continue
        for part in parts:
            part.take(total, TEXT_ELEMENTS)
        drop.add(id(total))
    return [e for e in events if id(e) not in drop]
