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
ADMIN, INJECTION, ... cues/cues.yaml                         the label
IGNORE                ``not_routes``/``not_sites``, IGNORE   ``ignore``
====================  =====================================  ============================

Overlaps resolve longest-first, so an IGNORE phrase hides the cues inside it.
"""

from __future__ import annotations

from typing import Any

from ..patterns import Patterns

MENTIONS_KEY = "mentions"
# what can anchor an event (ROUTE: "2 mg IM given"; REPLETION: "K repleted", a drug named by a
# word that is a drug only beside a repletion cue, see auditor.extraction.contextual)
# DOSED: a word that names a drug only beside a dose, "MS 2 mg", "2 U regular"; COVERAGE: "covered
# with 2 units", a dose of an unnamed drug)
ANCHOR_LABELS = ("DRUG", "INJECTION", "ROUTE", "REPLETION", "DOSED", "COVERAGE")


def _phrase(label: str, text: Any, ident: str) -> dict[str, Any]:
    return {"label": label, "pattern": str(text).lower(), "id": ident}


def repletion_patterns(spec: dict[str, Any]) -> list[dict[str, Any]]:
    """REPLETION token patterns: a contextual name and a repletion cue, in either order, with
    at most ``window_tokens - 1`` joiners, names or numbers between (``extraction.yaml``
    ``contextual_names``)."""
    names = sorted({str(w).lower() for forms in spec.get("names", {}).values() for w in forms})
    cues = sorted(str(w).lower() for w in spec.get("cues", ()))
    if not names or not cues:
        return []
    joiners = sorted({str(w).lower() for w in spec.get("joiners", ())} | set(names))
    gap = max(int(spec.get("window_tokens", 1)) - 1, 0)
    between = [{"LOWER": {"IN": joiners}, "OP": f"{{0,{gap}}}"}] if gap else []
    number_or_joiner = (
        [{"LOWER": {"IN": joiners}, "OP": "?"}, {"LIKE_NUM": True, "OP": "?"}] if gap else []
    )
    name = {"LOWER": {"IN": names}}
    cue = {"LOWER": {"IN": cues}}
    return [
        {"label": "REPLETION", "pattern": [name, *number_or_joiner, *between, cue], "id": "rep"},
        {"label": "REPLETION", "pattern": [cue, *between, name], "id": "rep"},
    ]


def dosed_patterns(spec: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """DOSED token patterns (``extraction.yaml`` ``dosed_names``): for each entry, a name, a
    number and one of its units (``before_dose``), or a number, a unit and a name
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
            pattern = [name, number, unit] if side == "before_dose" else [number, unit, name]
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


def ruler_patterns(patterns: Patterns) -> list[dict[str, Any]]:
    """Return SpanRuler pattern dicts (``label``, ``pattern``, ``id``) for all mentions.

    Args:
        patterns: the loaded rule files.

    Returns:
        A list of spaCy SpanRuler patterns; phrase patterns are lowercase strings matched
        on ``LOWER``, token patterns are lists of token dicts.
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
    for item in patterns.cues["token_patterns"]:
        out.append(
            {"label": item["label"], "pattern": item["pattern"], "id": item["label"].lower()}
        )
    return out
