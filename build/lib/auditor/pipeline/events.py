"""Group mentions into administration events (contract section 1) as plain data.

Runs after the sentence splitter, the Sectionizer and ConText. For each DRUG or INJECTION
anchor it decides given / not given from ConText modifiers, section roles and
administration cues, then attaches the dose, route, site, laterality, indication,
response and provider found around it. The result is stored as plain dicts (offsets and
strings, never Spans) in ``doc.user_data["auditor"]``:

``{"events": [event, ...], "not_administered": [generic or None, ...], "evidence": str|None}``

where each event has: medication, medication_text, route, dose_value, dose_unit, site,
laterality, indication, response, provider, evidence, drug_exclusion, start, end (anchor
character offsets into the note). Eligibility and gaps are judged later, without spaCy, by
``auditor.requirements``.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from typing import Any

from spacy.tokens import Doc, Span

from ..doses import DoseParser
from ..patterns import Patterns
from .mentions import MENTIONS_KEY

INJECTION_ROUTES = {"IM", "SC", "IV", "ID", "other"}
SITE_GAP_WORDS = {
    "the",
    "upper",
    "outer",
    "lower",
    "inner",
    "posterior",
    "anterior",
    "lateral",
    "medial",
    "of",
    "side",
    "aspect",
    "quadrant",
    "volar",
    "dorsal",
    "mid",
    "-",
    ",",
    "(",
    ")",
    ":",
    "back",
}
NOT_A_DIAGNOSIS = {"none", "n/a", "na", "no", "denies", "unknown", "deferred", "pending"}
CLOCK_TIME = re.compile(
    r"(?:^|[|\t@]|\bat\s)\s*(?:[01]?\d|2[0-3]):?[0-5]\d\b(?!\s*(?:mg|mcg|units|ml|%|/))",
    re.I | re.M,
)
DOSE_OF = re.compile(r"\d[\d,.]*[\s\u00a0]*[A-Za-z\u00b5\u03bc]+\.?\s+of\s+(?:the\s+)?$")
FIELD_LINE = re.compile(
    r"\s*[-•*]?\s*([A-Za-z][A-Za-z /&-]{0,30}?)\s*(?:\([^)]*\))?\s*(?:\d+\s*min\s*)?:"
)
SIDE_LINE = re.compile(r"\s*(?:side|laterality|lat)\s*:", re.I)
ADMIXTURE = re.compile(r"\b(?:with|w/|and|plus|\+)\b|\bw/", re.I)
ROUTE_BEFORE_TOKENS = 4  # "IM ceftriaxone", "IV Norflex": a route before the drug, close to it
LIST_PUNCTUATION = " \t:,.-•*"  # characters around a list item ("• Acute gout,")
NEGATORS = {"no", "not", "never", "none", "without", "nothing", "n't"}
LOCATIVES = {"in", "into", "to", "at", "on", "site", "site:"}


BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")


def section_range(doc: Doc, text: str, sec: Any) -> tuple[str, int, int]:
    """``(category, start, end)`` characters of a medspaCy Section, where it really ends.

    medspaCy runs a section to the next header. In notes a header with text on its own
    line ("Allergies: NKDA.") covers that line only; a header alone on its line covers
    the lines below it up to a blank line (or the next header).
    """
    start = doc[sec.title_start].idx
    end = doc[sec.body_end - 1].idx + len(doc[sec.body_end - 1]) if sec.body_end > 0 else len(text)
    title_end = (
        doc[sec.title_end - 1].idx + len(doc[sec.title_end - 1]) if sec.title_end > 0 else start
    )
    line_end = text.find("\n", title_end)
    line_end = len(text) if line_end < 0 else line_end
    if text[title_end:line_end].strip():
        return sec.category, start, min(end, line_end)
    blank = BLANK_LINE.search(text, line_end + 1)
    return sec.category, start, min(end, blank.start() if blank else len(text))


@dataclass
class Mention:
    label: str
    ident: str
    start: int  # chars
    end: int
    tok_start: int
    tok_end: int
    text: str
    sent: int
    modifiers: frozenset[str] = frozenset()


@dataclass
class Segment:
    """Character range of one anchor's own words, and the mentions inside it."""

    start: int
    end: int
    mentions: list[Mention] = field(default_factory=list)

    def of(self, label: str) -> list[Mention]:
        return [m for m in self.mentions if m.label == label]


class EventExtractor:
    """spaCy component: Doc -> ``doc.user_data["auditor"]`` (see module docstring).

    Args:
        patterns: loaded rule files (drug lexicon, cues, section roles, units).
    """

    def __init__(self, patterns: Patterns) -> None:
        self.drugs = {d["generic"]: d for d in patterns.drugs["drugs"]}
        self.cancer_re = re.compile(
            r"\b(" + "|".join(re.escape(t) for t in patterns.drugs["cancer_terms"]) + r")\b", re.I
        )
        cues = patterns.cues
        self.reject_first = {str(w).lower() for w in cues["indication"]["reject_first_words"]}
        self.skip_leading = {w.lower() for w in cues["indication"]["skip_leading"]}
        self.non_condition = {str(w).lower() for w in cues["indication"]["non_condition_words"]}
        stops = sorted(cues["indication"]["stop_words"], key=len, reverse=True)
        self.indication_stop = re.compile(
            r"[,;.\n(]|\b(?:" + "|".join(re.escape(s) for s in stops) + r")\b", re.I
        )
        self.evidence_future = {str(w).lower() for w in cues["evidence"]["future_words"]}
        self.blocking = set(cues["context"]["blocking"])
        self.not_given_mods = set(cues["context"]["not_administered"])
        self.no_flag_mods = set(cues["context"]["no_flag"])
        self.followup_chars = int(cues["window"]["followup_chars"])
        self.template_chars = int(cues["window"]["template_line_chars"])
        roles = patterns.sections["roles"]
        self.role_of: dict[str, str] = {}
        for role, categories in roles.items():
            for category in categories:
                self.role_of.setdefault(category, role)
        self.doses = DoseParser(patterns.units)
        self.anchor_blockers = {str(w).lower() for w in cues["anchor_blockers"]["next_words"]}
        self.template_fields = tuple(str(f).lower() for f in cues["template_fields"])
        self.site_cues = {str(w).lower() for w in patterns.sites["site_cues"]}
        self.route_by_site_word = {
            str(word).lower(): route
            for route, words in patterns.routes["implied_by_site_words"].items()
            for word in words
        }

    # -- document structure -------------------------------------------------------------
    def __call__(self, doc: Doc) -> Doc:
        text = doc.text  # Doc.text joins every token: read it once
        doc.user_data["auditor_text"] = text
        sents = list(doc.sents)
        sent_starts = [s.start_char for s in sents]
        mentions = [self._mention(span, sent_starts) for span in doc.spans[MENTIONS_KEY]]
        mentions.sort(key=lambda m: m.start)
        sections = [
            section_range(doc, text, sec) for sec in getattr(doc._, "sections", []) if sec.category
        ]
        doc.user_data["auditor"] = self.extract(text, sents, mentions, sections)
        return doc

    @staticmethod
    def _mention(span: Span, sent_starts: list[int]) -> Mention:
        mods = frozenset(m.category for m in getattr(span._, "modifiers", ()) or ())
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

    # -- extraction ---------------------------------------------------------------------
    def extract(
        self,
        text: str,
        sents: list[Span],
        mentions: list[Mention],
        sections: list[tuple[str, int, int]],
    ) -> dict[str, Any]:
        """Plain-data extraction for one note (see module docstring for the shape)."""

        def role_of(pos: int) -> str | None:
            found = None
            for category, begin, end in sections:
                if begin <= pos < end:
                    found = category
            return self.role_of.get(found) if found else None

        by_sent: dict[int, list[Mention]] = {}
        for m in mentions:
            by_sent.setdefault(m.sent, []).append(m)

        anchors = self._anchors(text, sents, by_sent)
        sent_has_anchor = {a.sent for a in anchors}
        events: list[dict[str, Any]] = []
        not_given: list[str | None] = []
        cancer = bool(self.cancer_re.search(text))
        evidence = self._evidence(text, mentions, role_of)
        diagnosis = self._section_indication(text, sections)

        segments = {
            id(a): self._segment(a, anchors, sents[a.sent], by_sent.get(a.sent, []))
            for a in anchors
        }
        linked = {id(a): self._indication(text, segments[id(a)])[0] for a in anchors}

        def shared_indication(a: Mention) -> str | None:
            """A reason stated for the anchor elsewhere: later in its sentence ("X and Y
            given for sciatica"), in a "Both given for ..." line, or with another mention
            of the same drug ("here for monthly B12 inj for pernicious anemia")."""
            same_sentence = [
                linked[id(b)] for b in anchors if b.sent == a.sent and b.start > a.start
            ]
            for found in same_sentence:
                if found:
                    return found
            for step in range(1, 4):
                nxt = a.sent + step
                if nxt >= len(sents) or nxt in sent_has_anchor:
                    break
                words = {t.lower_ for t in sents[nxt]}
                if words & {"both", "all", "each"}:
                    ms = by_sent.get(nxt, [])
                    seg = Segment(sents[nxt].start_char, sents[nxt].end_char, ms)
                    found = self._indication(text, seg)[0]
                    if found:
                        return found
            if a.label == "DRUG":
                for b in anchors:
                    if (
                        b is not a
                        and b.ident == a.ident
                        and linked[id(b)]
                        and not (b.modifiers & {"NEGATED_EXISTENCE", "FAMILY", "ALLERGY"})
                    ):
                        return linked[id(b)]
            return None

        def sentence_route(a: Mention) -> Mention | None:
            """One route written for a list ("given IV Norflex, Zofran and morphine")."""
            for b in anchors:
                if b.sent == a.sent and b is not a:
                    found = self._pick(segments[id(b)].of("ROUTE"), b, ROUTE_BEFORE_TOKENS)
                    if found is not None and found.ident in INJECTION_ROUTES:
                        return found
            return None

        pending: list[Mention] = []  # unblocked drug mentions not (yet) documented as given
        injected_elsewhere = {  # drugs the note routes as an injection somewhere
            a.ident
            for a in anchors
            if a.label == "DRUG"
            and any(
                m.label == "ROUTE" and m.ident in INJECTION_ROUTES for m in segments[id(a)].mentions
            )
        }

        def events_after(m: Mention, found: list[dict[str, Any]]) -> bool:
            return any(e["start"] >= m.start and e["medication"] == m.ident for e in found)

        def procedure_route(a: Mention) -> Mention | None:
            """A procedural route (epidural, intra-articular, trigger point) stated in the
            sentence or the two before it governs a drug injected in that procedure."""
            for sent_id in (a.sent, a.sent - 1, a.sent - 2):
                for m in by_sent.get(sent_id, []):
                    if (
                        m.label == "ROUTE"
                        and m.ident == "other"
                        and (sent_id == a.sent or m.start < a.start)
                    ):
                        return m
            return None

        for a in anchors:
            segment = segments[id(a)]
            route_m = (
                self._pick(segment.of("ROUTE"), a, ROUTE_BEFORE_TOKENS)
                or sentence_route(a)
                or procedure_route(a)
            )
            if route_m is not None and route_m.ident == "PO":
                continue  # oral, inhaled, topical...: not an injection
            entry = self.drugs.get(a.ident, {}) if a.label == "DRUG" else {}
            if entry.get("role", "drug") != "drug":
                other = [
                    m for m in by_sent.get(a.sent, []) if m.label == "ROUTE" and m.ident == "other"
                ]
                if not other:
                    continue  # local anaesthetic: diluent or procedural, unless it is the treatment
                route_m = route_m or other[0]
            role = role_of(a.start)
            block = self._template_block(a, sents, by_sent)
            admin = self._administered(
                text, a, segment, block, by_sent, sents, role, sent_has_anchor
            )
            stated_given = any(self._affirmed_admin(m, sents) for m in by_sent.get(a.sent, []))
            list_section = role == "not_administered" and not stated_given
            blocked = bool(a.modifiers & self.blocking) or list_section
            injection_cue = (
                (route_m is not None and route_m.ident in INJECTION_ROUTES)
                or bool(segment.of("SITE"))
                or any(m.label == "INJECTION" for m in by_sent.get(a.sent, []))
            )
            medication = a.ident if a.label == "DRUG" else None
            injection_cue = injection_cue or (
                a.label == "DRUG"
                and (
                    any(m.label == "ADMIN" for m in by_sent.get(a.sent, []))
                    or medication in injected_elsewhere
                    or self._excluded_kind(medication)
                )
            )
            if admin and not blocked:
                found = self._events(
                    text,
                    a,
                    segment,
                    route_m,
                    block,
                    sents,
                    mentions,
                    shared_indication(a) or diagnosis,
                )
                if a.label != "DRUG":
                    own = found[0]
                    named = own["site"] or own["dose_value"] is not None
                    if not (named or (a.label == "INJECTION" and own["route"])):
                        continue  # "both injections given", "IV sedation": no one injection
                    named_before = self._drug_before(a, anchors, pending)
                    if named_before is not None and not events_after(named_before, events):
                        own["medication"] = named_before.ident
                        own["medication_text"] = named_before.text
                        own["start"], own["end"] = named_before.start, named_before.end
                        entry = self.drugs.get(named_before.ident, {})
                    elif self._merge_unnamed(own, events, a, block):
                        continue
                exclusion = entry.get("exclusion")
                if exclusion and entry.get("exclusion_if") == "oncology" and not cancer:
                    exclusion = None
                for event in found:
                    event["evidence"] = evidence
                    event["drug_exclusion"] = exclusion
                    events.append(event)
            elif a.label == "DRUG" and not blocked and not admin:
                pending.append(a)
            if not (admin and not blocked) and a.label != "ROUTE" and injection_cue:
                if a.modifiers & self.no_flag_mods or list_section:
                    continue
                if a.modifiers & {"REGIMEN"} and not a.modifiers & self.not_given_mods:
                    continue  # a schedule ("40 mg SC daily") without a plan or refusal
                planned_order = not admin and role == "planning" and a.label == "DRUG"
                if a.modifiers & self.not_given_mods or planned_order:
                    not_given.append(medication)
        self._absorb_unnamed(events)
        events = self._merge_mentions(events)
        return {"events": events, "not_administered": not_given, "evidence": evidence}

    def _excluded_kind(self, generic: str | None) -> bool:
        """Vaccines, allergen extracts and chemotherapy are injections whatever the wording."""
        return bool(self.drugs.get(generic or "", {}).get("exclusion"))

    def _anchors(
        self, text: str, sents: list[Span], by_sent: dict[int, list[Mention]]
    ) -> list[Mention]:
        """Mentions that can be events, per sentence: DRUG mentions (a brand in parentheses
        merged into its generic; diluents, conditions such as "B12 deficiency" and the
        non-first drugs of a table row dropped); else an INJECTION mention; else, in a
        sentence that documents an administration, an injection ROUTE mention."""
        out: list[Mention] = []
        for sent_id in sorted(by_sent):
            ms = by_sent[sent_id]
            sent = sents[sent_id]
            table_row = sent.text.count("|") >= 2 or sent.text.count("\t") >= 2
            kept: list[Mention] = []
            drugs = [m for m in ms if m.label == "DRUG"]
            for m in drugs:
                if any(
                    d.label == "DILUENT" and d.end <= m.start and m.start - d.end < 40 for d in ms
                ):
                    continue
                if any(c.label == "INDICATION_CUE" and text[c.end : m.start].isspace() for c in ms):
                    continue  # "for B12 deficiency"
                if any(
                    d.label == "DRUG"
                    and self.drugs.get(d.ident, {}).get("role") == "local_anesthetic"
                    and 0 < m.tok_start - d.tok_end <= 6
                    and ADMIXTURE.search(text[d.end : m.start])
                    for d in ms
                ):
                    continue  # "lidocaine 1% with epinephrine": part of the anaesthetic
                nxt = sent.doc[m.tok_end].lower_ if m.tok_end < len(sent.doc) else ""
                if nxt in self.anchor_blockers:
                    continue
                if (
                    kept
                    and kept[-1].ident == m.ident
                    and not any(x.label == "SITE" and kept[-1].end <= x.start < m.start for x in ms)
                    and not self.doses.find_all(text[kept[-1].end : m.start])
                ):
                    kept[-1].modifiers = kept[-1].modifiers | m.modifiers
                    continue  # "Ceftriaxone (Rocephin)": one drug named twice
                kept.append(m)
            if table_row:
                kept = kept[:1]
            if not kept and not drugs:
                kept = [m for m in ms if m.label == "INJECTION"][:1]
            if not kept and not drugs:
                routes = [m for m in ms if m.label == "ROUTE" and m.ident in INJECTION_ROUTES]
                if routes and (
                    any(m.label == "ADMIN" for m in ms)
                    or table_row
                    or len(sent.text) <= self.template_chars
                ):
                    kept = routes[:1]
            out.extend(kept)
        return out

    @staticmethod
    def _segment(a: Mention, anchors: list[Mention], sent: Span, ms: list[Mention]) -> Segment:
        """The anchor's own words: from it (or the sentence start) to the next anchor.
        A dose written before the drug ("50 mg of Benadryl") belongs to that drug."""
        text = sent.doc.user_data["auditor_text"]

        def begin(x: Mention) -> int:
            lead = DOSE_OF.search(text[max(sent.start_char, x.start - 30) : x.start])
            start = x.start - len(lead.group(0)) if lead else x.start
            for m in ms:  # "... and subcutaneous heparin": the route is heparin's
                if m.label == "ROUTE" and 0 <= start - m.end <= 2 and m.start >= sent.start_char:
                    start = m.start
            return start

        same = [x for x in anchors if x.sent == a.sent]
        i = same.index(a)
        start = sent.start_char if i == 0 else begin(a)
        end = begin(same[i + 1]) if i + 1 < len(same) else sent.end_char
        return Segment(start, end, [m for m in ms if start <= m.start < end])

    @staticmethod
    def _pick(candidates: list[Mention], a: Mention, before_tokens: int = 0) -> Mention | None:
        """The first candidate after the anchor, else the last one before it (only within
        ``before_tokens`` tokens of it when that is set)."""
        after = [m for m in candidates if m.start >= a.start]
        if after:
            return after[0]
        before = [m for m in candidates if m.start < a.start]
        if before_tokens:
            before = [m for m in before if a.tok_start - m.tok_end <= before_tokens]
        return before[-1] if before else None

    def _administered(self, text, a, segment, block, by_sent, sents, role, sent_has_anchor) -> bool:
        """Is the anchor documented as given (contract section 1)? A verb ("given",
        "administered") in its sentence; an administration section; a "Both given" line
        after it; or a record-style entry: route or dose plus a site, a time, a response or
        a provider on its line or template block."""
        ms = by_sent.get(a.sent, [])
        if any(self._affirmed_admin(m, sents) for m in ms):
            return True
        record = segment.mentions + [m for b in block for m in b.mentions]
        record_text = (
            text[segment.start : segment.end] + " " + " ".join(text[b.start : b.end] for b in block)
        )
        has_route_or_dose = any(m.label == "ROUTE" for m in record) or bool(
            self.doses.find_all(record_text)
        )
        if role == "administration" and (has_route_or_dose or segment.of("SITE")):
            return True
        # "Both given by RN." / "All administered." after the list (never for a diagnosis
        # or complaint line: it lists no doses given)
        for step in range(1, 6 if role != "indication" else 1):
            nxt = a.sent + step
            if nxt >= len(sents) or BLANK_LINE.search(
                text, sents[a.sent].end_char, sents[nxt].start_char + 1
            ):
                break
            if nxt in sent_has_anchor:
                continue  # the list's other items
            words = {t.lower_ for t in sents[nxt]}
            if words & {"both", "all", "each"} and any(
                m.label == "ADMIN" for m in by_sent.get(nxt, [])
            ):
                return True
        if not has_route_or_dose:
            return False
        return bool(
            any(m.label in ("SITE", "ADMIN", "PROVIDER", "RESPONSE") for m in record)
            or CLOCK_TIME.search(record_text)
        )

    @staticmethod
    def _affirmed_admin(m: Mention, sents: list[Span]) -> bool:
        """An ADMIN cue not negated by "no"/"not"/"never" just before it ("no correction
        insulin was given")."""
        if m.label != "ADMIN":
            return False
        doc = sents[m.sent].doc
        window = doc[max(sents[m.sent].start, m.tok_start - 4) : m.tok_start]
        return not any(t.lower_ in NEGATORS for t in window)

    def _events(
        self, text, a, segment, route_m, block, sents, mentions, fallback
    ) -> list[dict[str, Any]]:
        """The event(s) of one anchor: one, or one per site when a dose is split over
        distinct sites ("one in the R gluteal and one in the L gluteal")."""
        drug = self.drugs.get(a.ident) if a.label == "DRUG" else None
        indication, ind_range = self._indication(text, segment)
        if route_m is None:
            route_m = self._pick([m for b in block for m in b.of("ROUTE")], a)
        route = route_m.ident if route_m is not None else None
        if route == "PO":
            route = None
        if route is None:
            for m in segment.of("SITE") + segment.of("BODY"):
                implied = {self.route_by_site_word.get(w) for w in m.text.lower().split()} - {None}
                if implied:
                    route = implied.pop()
                    break
        if route is None and drug and drug.get("iv_only"):
            route = "IV"
        seg_text = text[segment.start : segment.end]
        doses = self.doses.find_all(seg_text)
        dose = self.doses.choose(seg_text, a.start - segment.start)
        lead = DOSE_OF.search(text[max(segment.start, a.start - 30) : a.start])
        if lead:  # "2 cc of Triamcinolone and 1 cc of Wydase": the dose written before it
            dose = self.doses.choose(lead.group(0)) or dose
        if dose is None:
            block_text = " ".join(text[b.start : b.end] for b in block)
            dose = self.doses.concentration_times_volume(seg_text, block_text)
            for b in block:
                dose = dose or self.doses.choose(text[b.start : b.end])
        sites = self._sites(segment, ind_range, sents)
        if not sites:
            for b in block:
                sites = self._sites(b, None, sents, block_line=text[b.start : b.end])
                if sites:
                    break
        if len(sites) == 1 and sites[0][0] and sites[0][1] is None:
            side = self._template_side(text, block)
            sites = [(sites[0][0], side)] if side else sites
        if indication is None:
            for b in block:
                indication, _ = self._indication(text, b)
                if indication:
                    break
        if indication is None:
            indication = fallback
        sent_start = sents[a.sent].start_char
        limit = sents[a.sent].end_char + self.followup_chars
        response = next(
            (m.text for m in mentions if m.label == "RESPONSE" and sent_start <= m.start < limit),
            None,
        )
        provider = next(
            (m.text for m in mentions if m.label == "PROVIDER" and sent_start <= m.start < limit),
            None,
        )
        per_site = dose
        if len(sites) > 1 and dose is not None:
            smaller = [d for d in doses if d.unit == dose.unit and 0 < d.value < dose.value]
            per_site = smaller[0] if smaller else dose
        base = {
            "medication": a.ident if drug else None,
            "medication_text": a.text if drug else None,
            "route": route,
            "indication": indication,
            "response": response,
            "provider": provider,
            "start": a.start,
            "end": a.end,
        }
        chosen = per_site if len(sites) > 1 else dose
        return [
            {
                **base,
                "dose_value": chosen.value if chosen else None,
                "dose_unit": chosen.unit if chosen else None,
                "site": site,
                "laterality": side,
            }
            for site, side in (sites or [(None, None)])
        ]

    def _template_block(self, a: Mention, sents: list[Span], by_sent) -> list[Segment]:
        """Neighbouring short lines of a templated entry ("Route: IM", "Site: R delt") that
        belong to the anchor: same block (no blank line between), no other anchor."""
        sent = sents[a.sent]
        if len(sent.text.strip()) > self.template_chars:
            return []
        out: list[Segment] = []
        for step in (1, -1):
            i = a.sent
            for _ in range(8):
                j = i + step
                if not 0 <= j < len(sents):
                    break
                between = sent.doc.user_data["auditor_text"][
                    sents[min(i, j)].end_char : sents[max(i, j)].start_char
                ]
                own = sents[min(i, j)].text
                if "\n\n" in between or "\n\n" in own or own.strip() == "":
                    if own.strip() == "" and "\n\n" not in own:
                        i = j
                        continue
                    break
                ms = by_sent.get(j, [])
                if any(m.label in ("DRUG", "INJECTION") for m in ms):
                    break
                if len(sents[j].text.strip()) > self.template_chars:
                    break
                if self._field_line(sents[j].text):
                    out.append(Segment(sents[j].start_char, sents[j].end_char, ms))
                i = j
        return out

    def _sites(self, segment: Segment, ind_range, sents, block_line: str = "") -> list[tuple]:
        """Distinct ``(site, laterality)`` pairs in a segment, in text order: usually one;
        two when a dose is split ("each buttock" gives left and right). With no site, a
        non-site body part after "in/into" still gives its laterality: ``[(None, side)]``."""

        def outside(m: Mention) -> bool:
            return ind_range is None or not (ind_range[0] <= m.start < ind_range[1])

        lats = segment.of("LATERALITY")
        structured = bool(block_line) or self._row(segment, sents)
        pairs: list[tuple] = []
        for m in (m for m in segment.of("SITE") if outside(m)):
            if not (structured or self._site_cue_before(m, sents) or "|" in m.ident):
                continue  # "abdominal pain", "hip pain": a word for a place, not a site
            value, _, side = m.ident.partition("|")
            side = side or self._laterality_near(m, lats)
            if (
                pairs
                and pairs[-1][0] == value
                and (pairs[-1][1] is None or side is None or pairs[-1][1] == side)
            ):
                pairs[-1] = (value, pairs[-1][1] or side)  # "upper outer quadrant of the L buttock"
                continue
            pairs.append((value, side))
        if len(pairs) == 1 and pairs[0][1] == "bilateral":
            pairs = [(pairs[0][0], "right"), (pairs[0][0], "left")]
        if len({p for p in pairs}) < len(pairs):
            pairs = list(dict.fromkeys(pairs))
        if pairs:
            return pairs if len(pairs) > 1 and all(p[1] for p in pairs) else pairs[:1]
        for m in (m for m in segment.of("BODY") if outside(m)):
            doc = sents[m.sent].doc
            before = {t.lower_ for t in doc[max(0, m.tok_start - 5) : m.tok_start]}
            if before & LOCATIVES:
                side = self._laterality_near(m, lats)
                if side:
                    return [(None, side)]
        return []

    def _field_line(self, line: str) -> bool:
        """Is ``line`` a form field ("Site: R deltoid") whose name is a template field?"""
        m = FIELD_LINE.match(line)
        return bool(m) and m.group(1).strip().lower().startswith(self.template_fields)

    def _template_side(self, text: str, block: list[Segment]) -> str | None:
        """Laterality from a template line of its own ("Side: [x] R", "Laterality: Left")."""
        for b in block:
            if SIDE_LINE.match(text[b.start : b.end]) and b.of("LATERALITY"):
                return b.of("LATERALITY")[0].ident
        return None

    def _site_cue_before(self, m: Mention, sents: list[Span]) -> bool:
        doc = sents[m.sent].doc
        return any(t.lower_ in self.site_cues for t in doc[max(0, m.tok_start - 4) : m.tok_start])

    @staticmethod
    def _row(segment: Segment, sents: list[Span]) -> bool:
        if not segment.mentions:
            return False
        line = sents[segment.mentions[0].sent].text
        return line.count("|") >= 2 or line.count("\t") >= 2 or bool(FIELD_LINE.match(line))

    @staticmethod
    def _laterality_near(m: Mention, lats: list[Mention]) -> str | None:
        for lat in reversed(lats):
            if lat.tok_end <= m.tok_start and m.tok_start - lat.tok_end <= 3:
                return lat.ident
        for lat in lats:
            if lat.tok_start >= m.tok_end and lat.tok_start - m.tok_end <= 2:
                return lat.ident
        return None

    def _indication(self, text: str, segment: Segment):
        for cue in segment.of("INDICATION_CUE"):
            rest = text[cue.end : segment.end]
            stop = self.indication_stop.search(rest, 1 if rest[:1] in ":- " else 0)
            phrase = rest[: stop.start() if stop else len(rest)].strip(" :-\t")
            words = phrase.split()
            while words and words[0].lower() in self.skip_leading:
                words = words[1:]
            if not words or words[0].lower().strip(".,") in self.reject_first:
                continue
            if not any(ch.isalpha() for ch in words[0]) or words[0][0].isdigit():
                continue
            end = cue.end + (stop.start() if stop else len(rest))
            return " ".join(words)[:200], (cue.start, end)
        return None, None

    def _section_indication(self, text: str, sections) -> str | None:
        """The first affirmed diagnosis or complaint in an indication-role section."""
        for category, begin, end in sections:
            if self.role_of.get(category or "") != "indication":
                continue
            body = text[begin:end].split(":", 1)[-1]
            lines = [ln.strip(LIST_PUNCTUATION) for ln in body.splitlines()]
            first = next((ln for ln in lines if ln), "")
            if not any(ch.isalpha() for ch in first):
                continue
            if first.lower().split()[0] in NOT_A_DIAGNOSIS:
                continue
            words = {w.strip(".,;:()") for w in first.lower().split()} - {""}
            if words <= self.non_condition:
                continue  # "Reason for visit: injection only"
            return first[:200]
        return None

    @staticmethod
    def _drug_before(a: Mention, anchors: list[Mention], pending: list[Mention]) -> Mention | None:
        """The drug a drug-less entry is about: the nearest earlier drug mention, not given
        on its own line, within a few lines ("Allergen extract, maint." then "0.3 mL SC
        L arm"), with no other anchor between."""
        earlier = [m for m in pending if m.start < a.start and a.start - m.end <= 200]
        if not earlier:
            return None
        m = earlier[-1]
        between = [x for x in anchors if m.start < x.start < a.start and x.label == "DRUG"]
        return None if between else m

    @staticmethod
    def _merge_unnamed(
        event: dict[str, Any], events: list[dict[str, Any]], a: Mention, block
    ) -> bool:
        """A drug-less "injection given in R glut" (or a template's "Route: IM" line) right
        after a named drug's event completes that event instead of starting a new one."""
        if not events:
            return False
        prev = events[-1]
        gap = a.start - prev["end"]
        if not 0 <= gap <= 300:
            return False
        for key in ("route", "site", "laterality", "dose_value", "dose_unit"):
            if prev.get(key) is None and event.get(key) is not None:
                prev[key] = event[key]
        return True

    @staticmethod
    def _merge_mentions(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A later mention of an already given drug with no dose and no site of its own
        ("responding to the Benadryl we gave") is the same administration, not a new one."""
        out: list[dict[str, Any]] = []
        for event in events:
            same = [e for e in out if e["medication"] and e["medication"] == event["medication"]]
            if same and event["dose_value"] is None and event["site"] is None:
                first = same[0]
                for key in ("route", "indication", "response", "provider"):
                    if first.get(key) is None and event.get(key) is not None:
                        first[key] = event[key]
                continue
            out.append(event)
        return out

    @staticmethod
    def _absorb_unnamed(events: list[dict[str, Any]]) -> None:
        """A drug-less event just before a named drug's event in the same entry (a template
        whose "Route:" line comes before "Medication:") is absorbed into it."""
        i = 0
        while i + 1 < len(events):
            cur, nxt = events[i], events[i + 1]
            if (
                cur["medication"] is None
                and nxt["medication"]
                and 0 <= nxt["start"] - cur["end"] <= 120
            ):
                for key in ("route", "site", "laterality", "dose_value", "dose_unit"):
                    if nxt.get(key) is None and cur.get(key) is not None:
                        nxt[key] = cur[key]
                del events[i]
                continue
            i += 1

    def _evidence(self, text: str, mentions: list[Mention], role_of) -> str | None:
        for m in mentions:
            if m.label != "EVIDENCE" or role_of(m.start) == "planning":
                continue
            after = text[m.end : m.end + 30].lower().split()[:3]
            if any(w.strip(".,:;") in self.evidence_future for w in after):
                continue
            return m.text
        return None
