"""The extractor's results: administration events, not-given mentions, one note's extraction.

Contract section 1 (``shared/spec/96372-audit-spec.md``): an event is one documented
administration; its elements are judged later by ``auditor.requirements`` from the plain
dicts ``to_dict`` returns.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from .view import CharSpan

# the elements an event documents, each with its evidence span (``Event.spans``)
ELEMENTS = (
    "medication",
    "dose",
    "route",
    "site",
    "laterality",
    "indication",
    "response",
    "provider",
    "evidence",
)


@dataclass
class Event:
    """One administration event.

    Attributes:
        medication: generic name (``lexicons/drugs.yaml``), None for an unnamed injection.
        medication_text: the drug as written, None when unnamed.
        route: IM, SC, IV, ID, other, or None.
        dose_value, dose_unit: the dose (unit as in ``lexicons/units.yaml``), or None.
        site: site name (``lexicons/sites.yaml``), or None.
        laterality: left, right, bilateral, or None.
        indication, response, provider, evidence: text as written (evidence: a lab result),
            or None.
        drug_exclusion: vaccine_or_toxoid, chemotherapy, allergen_immunotherapy, or None.
        start, end: character offsets of the anchor (the drug, or the injection words).
        spans: element (``ELEMENTS``) -> ``(start, end)`` character offsets of the words it
            was read from; an element found nowhere in the text (an IV-only drug's route)
            has no span.
        decided_by: the rule that decided the anchor was given now (``given.py``), e.g.
            ``cue:admin_verb``, ``section:administration``, ``record:site``.
    """

    medication: str | None
    medication_text: str | None
    route: str | None
    dose_value: float | int | None
    dose_unit: str | None
    site: str | None
    laterality: str | None
    indication: str | None
    response: str | None
    provider: str | None
    start: int
    end: int
    evidence: str | None = None
    drug_exclusion: str | None = None
    spans: dict[str, CharSpan] = field(default_factory=dict)
    decided_by: str | None = None

    def take(self, other: Event, keys: tuple[str, ...]) -> None:
        """Fill each of ``keys`` this event lacks from ``other`` (with its span).

        ``dose_value`` brings ``dose_unit`` and the ``dose`` span."""
        for key in keys:
            if getattr(self, key) is None and getattr(other, key) is not None:
                setattr(self, key, getattr(other, key))
                element = "dose" if key in ("dose_value", "dose_unit") else key
                if element in other.spans:
                    self.spans[element] = other.spans[element]

    def to_dict(self) -> dict[str, Any]:
        """Plain dict of every field (JSON-ready; spans as ``[start, end]`` lists, in
        ``ELEMENTS`` order)."""
        out = asdict(self)
        out["spans"] = {k: list(self.spans[k]) for k in ELEMENTS if k in self.spans}
        return out


@dataclass(frozen=True)
class NotGiven:
    """An injection mentioned but documented as not given now (refused, held, planned).

    Attributes:
        medication: generic name, or None for an unnamed injection ("refused the injection").
        start, end: character offsets of the mention.
        decided_by: the rule that raised it: ``context:<ConText category>`` (e.g.
            ``context:NEGATED_EXISTENCE``), ``section:planning`` (an order in a plan) or
            ``phrase:<name>`` (``extraction.yaml`` ``not_given_phrases``).
    """

    medication: str | None
    start: int
    end: int
    decided_by: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Extraction:
    """One note's extraction.

    Attributes:
        events: the events, in text order.
        not_given: the not-given mentions, in text order.
        evidence: the first lab-result mention that is not a plan, or None.
    """

    events: list[Event]
    not_given: list[NotGiven]
    evidence: str | None

    def to_dict(self) -> dict[str, Any]:
        """``{"events": [dict], "not_administered": [generic | None], "not_given": [dict],
        "evidence": str | None}`` (``not_administered`` is what ``requirements`` reads)."""
        return {
            "events": [e.to_dict() for e in self.events],
            "not_administered": [n.medication for n in self.not_given],
            "not_given": [n.to_dict() for n in self.not_given],
            "evidence": self.evidence,
        }
