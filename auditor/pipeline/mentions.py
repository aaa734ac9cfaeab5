"""Turn the lexicons and cue files of ``patterns/`` into spaCy SpanRuler patterns.

Every mention the audit uses is one span in ``doc.spans["mentions"]`` with a label:

====================  =====================================  ============================
label                 from                                   span ``id_``
====================  =====================================  ============================
DRUG                  lexicons/drugs.yaml ``names``          generic name
ROUTE                 lexicons/routes.yaml ``routes``        IM, SC, IV, ID, other, PO
SITE                  lexicons/sites.yaml ``sites/combined`` ``site`` or ``site|laterality``
BODY                  lexicons/sites.yaml ``other_body_parts`` ``body``
LATERALITY            lexicons/sites.yaml ``laterality``     left, right, bilateral
DOSED                 extraction.yaml ``dosed_names``        generic name
COVERAGE              extraction.yaml ``coverage``           ``coverage``
AMOUNT (+ ADMIN)      extraction.yaml ``given_amount``       ``dose``
FUZZY                 a drug name misspelt by one letter     generic name
                      beside a dose and a given word
                      (extraction.yaml ``fuzzy_names``)
ADMIN, INJECTION, ... cues/cues.yaml                         the label
IGNORE                ``not_routes``/``not_sites``, IGNORE   ``ignore``
====================  =====================================  ============================

Overlaps resolve longest-first, so an IGNORE phrase hides the cues inside it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from spacy.tokens import Doc, Span

from ..patterns import Patterns

MENTIONS_KEY = "mentions"
# what can anchor an event (ROUTE: "2 mg IM given"; REPLETION: "K repleted", a drug named by a
# word that is a drug only beside a repletion cue, see auditor.extraction.contextual)
# DOSED: a word that names a drug only beside a dose, "MS 2 mg", "2 U regular"; COVERAGE: "covered
# with 2 units", a dose of an unnamed drug)
# FUZZY: a drug name misspelt by one letter, beside a dose and a given word ("NEEDED 2MG
# HALDOLL"), see ``FuzzyNames``
ANCHOR_LABELS = ("DRUG", "INJECTION", "ROUTE", "REPLETION", "DOSED", "COVERAGE", "FUZZY", "AMOUNT")
GIVEN_AMOUNT = "GIVEN_AMOUNT"  # matched as one span, then split by ``split_given_amounts``
AMOUNT_FIRST = "amount_first"  # the id of a GIVEN_AMOUNT written amount first ("2 gm given")


def dosed_after_names(patterns: list[dict[str, Any]]) -> dict[str, list[tuple[set[str], str]]]:
    """The names of the DOSED patterns written after their amount (``dosed_patterns``,
    ``after_dose``): name -> [(its units, its generic)]."""
    out: dict[str, list[tuple[set[str], str]]] = {}
    for p in patterns:
        pattern = p.get("pattern")
        if p.get("label") != "DOSED" or not isinstance(pattern, list):
            continue
        if pattern[0] != {"LIKE_NUM": True}:
            continue  # before_dose: name, number, unit
        units = set(pattern[1]["LOWER"]["IN"])
        for name in pattern[-1]["LOWER"]["IN"]:
            out.setdefault(name, []).append((units, str(p["id"])))
    return out


def split_given_amounts(
    doc: Doc, spans: list[Span], dosed_after: dict[str, list[tuple[set[str], str]]] | None = None
) -> list[Span]:
    """Each GIVEN_AMOUNT span ("given 20 mEq", ``extraction.yaml`` ``given_amount``) as an
    ADMIN span of its cue and an AMOUNT span of its number and unit, so that ConText judges
    the amount apart from the cue ("will be given 40 mEq": the amount is hypothetical). When a
    ``dosed_after`` name (``dosed_after_names``) of that unit follows the amount, in no other
    span ("got 100mg succs then the tube"), the amount and the name are one DOSED span
    of that name's generic instead: the cue's span took the words the DOSED pattern matched."""
    out: list[Span] = []
    taken = {i for s in spans if s.label_ != GIVEN_AMOUNT for i in range(s.start, s.end)}
    for s in spans:
        if s.label_ != GIVEN_AMOUNT:
            out.append(s)
            continue
        if s.id_ == AMOUNT_FIRST:  # "2 gm given", "40 meq was given": amount, then its cue
            out.append(Span(doc, s.start, s.start + 2, label="AMOUNT", span_id="dose"))
            out.append(Span(doc, s.end - 1, s.end, label="ADMIN", span_id="admin"))
            continue
        out.append(Span(doc, s.start, s.start + 1, label="ADMIN", span_id="admin"))
        named = _dosed_name_after(doc, s.end, doc[s.end - 1].lower_, dosed_after or {}, taken)
        if named is not None:
            end, generic = named
            out.append(Span(doc, s.end - 2, end, label="DOSED", span_id=generic))
            continue
        out.append(Span(doc, s.end - 2, s.end, label="AMOUNT", span_id="dose"))
    return out


def _dosed_name_after(
    doc: Doc, i: int, unit: str, dosed_after: dict[str, list[tuple[set[str], str]]], taken: set[int]
) -> tuple[int, str] | None:
    """The end and generic of a ``dosed_after`` name of ``unit`` at token ``i`` (or after an
    "of" there: "40 meq of potassium"), in no other span; None if there is none."""
    if i < len(doc) and doc[i].lower_ == "of":
        i += 1
    if i >= len(doc) or i in taken:
        return None
    for units, generic in dosed_after.get(doc[i].lower_, ()):
        if unit in units:
            return i + 1, generic
    return None


def _phrase(label: str, text: Any, ident: str) -> dict[str, Any]:
    return {"label": label, "pattern": str(text).lower(), "id": ident}


def repletion_patterns(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """REPLETION token patterns: a contextual name and a repletion cue, in either order, with
    at most ``window_tokens - 1`` joiners and names between (and, name first, numbers: lab values,
    "K 3.4, Mg 1.6 repleted"; not cue first, "given 2 mg" is a dose), or, name first, twice as
    many joiners and names with no number (a list of names; ``extraction.yaml``
    ``contextual_names``; the cue may be followed by a ``cue_objects`` word: "replaced w/ Mg");
    a cue, a name and a decimal lab value with no unit after it is an
    IGNORE span ("given mg 2.1-": ``lab_value_units``)."""
    names = sorted({str(w).lower() for forms in spec.get("names", {}).values() for w in forms})
    cues = sorted(str(w).lower() for w in spec.get("cues", ()))
    if not names or not cues:
        return []
    joiners = sorted({str(w).lower() for w in spec.get("joiners", ())} | set(names))
    gap = max(int(spec.get("window_tokens", 1)) - 1, 0)
    # a joiner, another name or a lab value ("K 3.4, Mg 1.6 repleted")
    # a lab value may carry the arrow or dash glued after it ("Mg 1.7-> both replaced": "1.7-")
    joiner_or_value = "^(?:" + "|".join(re.escape(w) for w in joiners) + r"|\d+(?:\.\d+)?[-=>]*)$"
    with_values = [{"LOWER": {"REGEX": joiner_or_value}, "OP": f"{{0,{gap}}}"}] if gap else []
    between = [{"LOWER": {"IN": joiners}, "OP": f"{{0,{gap}}}"}] if gap else []
    number_or_joiner = (
        [{"LOWER": {"IN": joiners}, "OP": "?"}, {"LIKE_NUM": True, "OP": "?"}] if gap else []
    )
    name = {"LOWER": {"IN": names}}
    cue = {"LOWER": {"IN": cues}}
    objects = sorted(str(w).lower() for w in spec.get("cue_objects", ()))
    lead_object = {"LOWER": {"IN": objects}}
    # a list of names with no lab values may run twice as long ("CA++, K+ AND NOW MG ALL
    # REPLACED": each name of the list is replaced)
    listed = [{"LOWER": {"IN": joiners}, "OP": f"{{0,{2 * gap}}}"}] if gap else []
    # "need orders to replete Mg and K", "plan to replace K": a plan, not a repletion given;
    # matched as a longer IGNORE span, so that the REPLETION inside it is dropped
    # (``plan_leads``, ``plan_cues``)
    leads = sorted(str(w).lower() for w in spec.get("plan_leads", ()))
    plan_cues = sorted(str(w).lower() for w in spec.get("plan_cues", ()))
    planned = (
        [
            {
                "label": "IGNORE",
                "id": "ignore",
                "pattern": [{"LOWER": {"IN": leads}}, {"LOWER": {"IN": plan_cues}}, *between, name],
            }
        ]
        if leads and plan_cues
        else []
    )
    # "A/P: ..., Replete K+, continue IVABX, start TPN": the base form opening a clause of a
    # list is an order, not a repletion given (``plan_clause_marks``: the punctuation before it)
    marks = sorted(str(w).lower() for w in spec.get("plan_clause_marks", ()))
    if marks and plan_cues:
        planned.append(
            {
                "label": "IGNORE",
                "id": "ignore",
                "pattern": [{"LOWER": {"IN": marks}}, {"LOWER": {"IN": plan_cues}}, *between, name],
            }
        )
    # "kcl 20 meq per ogt given mg 1.9- resting": a cue, a name and a decimal lab value not
    # followed by a unit is a lab read after another drug's given-word, not a repletion
    # (``lab_value_units``; matched as a longer IGNORE span, as a plan)
    units = sorted(str(w).lower() for w in spec.get("lab_value_units", ()))
    lab_read = (
        [
            {
                "label": "IGNORE",
                "id": "ignore",
                "pattern": [
                    cue,
                    *between,
                    name,
                    {"LOWER": {"REGEX": r"^\d+\.\d+[-=>]*$"}},
                    {"LOWER": {"NOT_IN": units}},
                ],
            }
        ]
        if units
        else []
    )
    return (
        planned
        + lab_read
        + [
            {
                "label": "REPLETION",
                "id": "rep",
                "pattern": [name, *number_or_joiner, *with_values, cue],
            },
            {"label": "REPLETION", "pattern": [name, *listed, cue], "id": "rep"},
            {"label": "REPLETION", "pattern": [cue, *between, name], "id": "rep"},
        ]
        + (
            # "replaced w/ Mg and K": the cue, a word leading to its object, the names
            [{"label": "REPLETION", "pattern": [cue, lead_object, *between, name], "id": "rep"}]
            if objects
            else []
        )
    )


def dosed_patterns(spec: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DOSED token patterns (``extraction.yaml`` ``dosed_names``): for each entry, a name, a
    number and one of its units (``before_dose``; with one of ``before_dose_verbs`` between the
    name and the number too: "ms given 2mg"), or a number, a unit, an optional "of" and a name
    (``after_dose``); the span id is the entry's generic name."""
    out: list[dict[str, Any]] = []
    number = {"LIKE_NUM": True}
    for entry in spec:
        unit = {"LOWER": {"IN": sorted(str(u).lower() for u in entry["units"])}}
        for side in ("before_dose", "after_dose"):
            words = sorted(str(w).lower() for w in entry.get(side, ()))
            if not words:
                continue
            name = {"LOWER": {"IN": words}}
            of = {"LOWER": "of", "OP": "?"}  # "40 meq of potassium", "2 amps of magnesium"
            pattern = [name, number, unit] if side == "before_dose" else [number, unit, of, name]
            out.append({"label": "DOSED", "pattern": pattern, "id": entry["generic"]})
            verbs = sorted(str(w).lower() for w in entry.get("before_dose_verbs", ()))
            if side == "before_dose" and verbs:  # "ms given 2mg": a given-word between
                pattern = [name, {"LOWER": {"IN": verbs}}, number, unit]
                out.append({"label": "DOSED", "pattern": pattern, "id": entry["generic"]})
    return out


def coverage_patterns(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """COVERAGE token pattern (``extraction.yaml`` ``coverage``): a coverage cue, an optional
    joiner, a number and a unit ("covered with 2 units")."""
    if not spec:
        return []

    def words(key: str) -> list[str]:
        return sorted(str(w).lower() for w in spec.get(key, ()))

    pattern = [
        {"LOWER": {"IN": words("cues")}},
        {"LOWER": {"IN": words("joiners")}, "OP": "?"},
        {"LIKE_NUM": True},
        {"LOWER": {"IN": words("units")}},
    ]
    return [{"label": "COVERAGE", "pattern": pattern, "id": "coverage"}]


def amount_first_patterns(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """GIVEN_AMOUNT token pattern written amount first (``extraction.yaml`` ``given_amount``
    ``cues``, ``units`` and ``linkers``): a number, a unit, an optional linker and a given
    cue ("Mag 1.6, 2 gm given", "40 meq was given"); id ``AMOUNT_FIRST``."""
    if not spec or not spec.get("linkers"):
        return []

    def words(key: str) -> list[str]:
        return sorted(str(w).lower() for w in spec.get(key, ()))

    pattern = [
        {"LIKE_NUM": True},
        {"LOWER": {"IN": words("units")}},
        {"LOWER": {"IN": words("linkers")}, "OP": "?"},
        {"LOWER": {"IN": words("cues")}},
    ]
    return [{"label": GIVEN_AMOUNT, "pattern": pattern, "id": AMOUNT_FIRST}]


def ruler_patterns(patterns: Patterns) -> list[dict[str, Any]]:
    """Return SpanRuler pattern dicts (``label``, ``pattern``, ``id``) for all mentions.

    Args:
        patterns: the loaded rule files.

    Returns:
        A list of spaCy SpanRuler patterns; phrase patterns are lowercase strings matched
        on ``LOWER``, token patterns are lists of token dicts. A phrase with a period also
        comes in upper case: the tokenizer splits a final period after a lowercase letter
        only ("i.m." is two tokens, "I.M." one), so the lowercase pattern alone misses the
        capitalised abbreviation.
    """
    out: list[dict[str, Any]] = []
    for entry in patterns.drugs["drugs"]:
        out += [_phrase("DRUG", name, entry["generic"]) for name in entry["names"]]
    for route, forms in patterns.routes["routes"].items():
        out += [_phrase("ROUTE", form, route) for form in forms]
    out += [_phrase("IGNORE", form, "ignore") for form in patterns.routes["not_routes"]]
    sites = patterns.sites
    for site, forms in sites["sites"].items():
        out += [_phrase("SITE", form, site) for form in forms]
    for form, (site, side) in sites["combined"].items():
        out.append(_phrase("SITE", form, f"{site}|{side}"))
    out += [_phrase("BODY", form, "body") for form in sites["other_body_parts"]]
    out += [_phrase("IGNORE", form, "ignore") for form in sites.get("not_sites", ())]
    for side, forms in sites["laterality"].items():
        out += [_phrase("LATERALITY", form, side) for form in forms]
    for label, forms in patterns.cues["phrases"].items():
        ident = "ignore" if label == "IGNORE" else label.lower()
        out += [_phrase(label, form, ident) for form in forms]
    out += repletion_patterns(patterns.extraction.get("contextual_names", {}))
    out += dosed_patterns(patterns.extraction.get("dosed_names", []))
    out += coverage_patterns(patterns.extraction.get("coverage", {}))
    given_amount = patterns.extraction.get("given_amount", {})
    out += [
        {**p, "label": GIVEN_AMOUNT, "id": "given_amount"} for p in coverage_patterns(given_amount)
    ]
    out += amount_first_patterns(given_amount)
    for item in patterns.cues["token_patterns"]:
        out.append(
            {
                "label": item["label"],
                "pattern": item["pattern"],
                "id": item.get("id", item["label"].lower()),
            }
        )
    dotted = [
        {**p, "pattern": p["pattern"].upper()}
        for p in out
        if isinstance(p["pattern"], str) and "." in p["pattern"]
    ]
    return out + dotted


def one_edit(a: str, b: str) -> bool:
    """Are two different words one edit apart: one letter changed, added, dropped, or two
    neighbouring letters swapped (Damerau-Levenshtein distance 1)?"""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        i = diff[0]
        return len(diff) == 2 and diff[1] == i + 1 and a[i] == b[i + 1] and a[i + 1] == b[i]
    short, long_ = (a, b) if len(a) < len(b) else (b, a)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return short[i:] == long_[i + 1 :]


def fuzzy_settings(patterns: Patterns) -> dict[str, Any]:
    """The settings ``FuzzyNames`` reads: ``extraction.yaml`` ``fuzzy_names`` plus the
    single-word unit forms of ``lexicons/units.yaml`` (the dose beside the name); empty when
    the file has no ``fuzzy_names`` (no fuzzy matching)."""
    spec = dict(patterns.extraction.get("fuzzy_names") or {})
    if not spec:
        return {}
    forms = [str(f).lower() for fs in patterns.units["units"].values() for f in fs]
    spec["units"] = sorted(f for f in forms if f.isalpha())
    cues = patterns.extraction.get("fuzzy_cues")
    if cues:
        spec["cues"] = dict(cues)
    return spec


def fuzzy_cue_spans(doc: Doc, mentions: list[Span], settings: dict[str, Any]) -> list[Span]:
    """Given-words misspelt by one letter ("recived", "gaven", "responed to") as ADMIN spans,
    kept only right before a drug (``extraction.yaml`` ``fuzzy_cues``, ``settings``).

    A phrase of ``phrases`` matches when its first word is one edit (``one_edit``) from a
    word of letters only, at least ``min_chars`` long, of the same first letter, in no other
    mention and not in ``not_words``, that is not the same word with another ending (the two
    share all letters but the last of the shorter: "receives" is not "received", "replete" not
    "repleted"), its other words follow as written, and a DRUG mention starts within
    ``drug_tokens`` tokens after the phrase."""
    phrases = [str(p).lower().split() for p in settings.get("phrases", ())]
    if not phrases:
        return []
    low = int(settings.get("min_chars", 5))
    reach = int(settings.get("drug_tokens", 3))
    never = frozenset(str(w).lower() for w in settings.get("not_words", ()))
    taken = {i for m in mentions for i in range(m.start, m.end)}
    drugs = sorted(m.start for m in mentions if m.label_ == "DRUG")
    if not drugs:
        return []
    out: list[Span] = []
    n = len(doc)
    for tok in doc:
        word = tok.lower_
        i = tok.i
        if i in taken or not word.isalpha() or len(word) < low or word in never:
            continue
        for words in phrases:
            first = words[0]
            if first[0] != word[0] or not one_edit(word, first):
                continue
            common = 0
            while common < min(len(word), len(first)) and word[common] == first[common]:
                common += 1
            if common >= min(len(word), len(first)) - 1:
                continue  # another ending of the same word ("receives", "replete")
            end = i + len(words)
            if end > n or any(doc[i + k].lower_ != w for k, w in enumerate(words[1:], 1)):
                continue
            if any(j in taken for j in range(i + 1, end)):
                continue
            if not any(end <= d <= end + reach - 1 for d in drugs):
                continue
            out.append(Span(doc, i, end, label="ADMIN", span_id="admin"))
            break
    return out


@dataclass(frozen=True)
class FuzzyNames:
    """Drug names misspelt by one letter in shorthand ("2MG HALDOLL", "LASXI 40MG"), kept only
    with strong evidence, so that the misspelt name goes through ConText and the given-now
    decision like any DRUG mention (label FUZZY, span id the generic; ``auditor.extraction.
    contextual`` makes it a DRUG).

    A token is a FUZZY mention when (``extraction.yaml`` ``fuzzy_names``): it is letters only,
    at least ``min_chars`` long, in capitals when ``all_caps``, in no other mention; it is
    one edit (``one_edit``) from a single-word lexicon name of exactly one generic, of the same
    first letter when ``same_first_letter``; a number and a unit are right before it (an "of"
    between allowed) or right after it, or (``admin_route``) an ADMIN cue ends right before it
    and a ROUTE starts right after it ("medicated with diluadid iv"); and an ADMIN cue is
    within ``admin_tokens`` tokens.

    Args:
        settings: ``fuzzy_settings`` (empty: no FUZZY mention).
        drug_names: lexicon name (lowercase) -> generic name.
    """

    settings: dict[str, Any]
    drug_names: dict[str, str]

    @cached_property
    def candidates(self) -> dict[int, list[tuple[str, str]]]:
        """Single-word names of at least ``min_chars`` letters, by length (built once)."""
        low = int(self.settings.get("min_chars", 6))
        out: dict[int, list[tuple[str, str]]] = {}
        for name, generic in self.drug_names.items():
            if name.isalpha() and len(name) >= low:
                out.setdefault(len(name), []).append((name, generic))
        return out

    def generic_of(self, word: str, by_len: dict[int, list[tuple[str, str]]]) -> str | None:
        """The one generic whose name is one edit from ``word`` (None: none, or several)."""
        first = bool(self.settings.get("same_first_letter", True))
        found = {
            generic
            for n in (len(word) - 1, len(word), len(word) + 1)
            for name, generic in by_len.get(n, ())
            if (not first or name[0] == word[0]) and one_edit(word, name)
        }
        return found.pop() if len(found) == 1 else None

    def spans(self, doc: Doc, mentions: list[Span]) -> list[Span]:
        """The FUZZY spans of ``doc`` (``mentions``: the ruler's spans)."""
        if not self.settings:
            return []
        low = int(self.settings.get("min_chars", 6))
        caps = bool(self.settings.get("all_caps", True))
        units = frozenset(self.settings.get("units", ()))
        reach = int(self.settings.get("admin_tokens", 8))
        taken = {i for m in mentions for i in range(m.start, m.end)}
        never = frozenset(str(w).lower() for w in self.settings.get("not_names", ()))
        admins = [m.start for m in mentions if m.label_ == "ADMIN"]
        if not admins:
            return []
        admin_route = bool(self.settings.get("admin_route", False))
        admin_ends = {m.end for m in mentions if m.label_ == "ADMIN"}
        route_starts = {m.start for m in mentions if m.label_ == "ROUTE"}
        out: list[Span] = []
        n = len(doc)

        def dose_at(i: int, j: int) -> bool:  # tokens i, j: a number and its unit
            return 0 <= i < j < n and doc[i].like_num and doc[j].lower_ in units

        for tok in doc:
            word = tok.text
            i = tok.i
            if i in taken or not word.isalpha() or len(word) < low or (caps and not word.isupper()):
                continue
            if tok.lower_ in never:
                continue
            before = dose_at(i - 2, i - 1) or (
                doc[i - 1].lower_ == "of" and dose_at(i - 3, i - 2) if i >= 3 else False
            )
            # or, with ``admin_route``, a given-word right before and a route right after
            # ("medicated with diluadid iv")
            cued = admin_route and i in admin_ends and (i + 1) in route_starts
            if not (before or dose_at(i + 1, i + 2) or cued):
                continue
            if not any(abs(a - i) <= reach for a in admins):
                continue
            generic = self.generic_of(tok.lower_, self.candidates)
            if generic is not None:
                out.append(Span(doc, i, i + 1, label="FUZZY", span_id=generic))
        return out
