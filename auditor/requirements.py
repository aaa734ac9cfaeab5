"""The 96372 requirement engine: pure Python, no spaCy.

Reads the requirement spec (``patterns/requirements/cpt_96372.v1.yaml``) and judges
extracted events and notes against it (contract sections 2-5). Changing a requirement,
a flag or the status order is a change to that file, not to this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def _present(event: dict[str, Any], rule: dict[str, Any]) -> bool:
    value = event.get(rule["field"])
    if "in" in rule:
        return value in rule["in"]
    return value is not None


def _applies(event: dict[str, Any], when: dict[str, Any]) -> bool:
    if "drug_exclusion" in when and event.get("drug_exclusion") == when["drug_exclusion"]:
        return True
    return "route" in when and event.get("route") in when["route"]


@dataclass(frozen=True)
class RequirementSpec:
    """One CPT requirement spec.

    Attributes:
        spec: the parsed YAML mapping (keys ``exclusion_flags``, ``required``, ``advisory``,
            ``status_precedence``, ``version``, ...).
    """

    spec: dict[str, Any]

    @property
    def required_elements(self) -> list[str]:
        """Required element names in report order (medication, dose, route, site, ...)."""
        return [r["element"] for r in self.spec["required"]]

    @property
    def flag_codes(self) -> list[str]:
        return [f["flag"] for f in self.spec["exclusion_flags"]] + list(
            self.spec.get("note_flags", {})
        )

    def bill_instead(self) -> dict[str, str]:
        """Flag -> what is billed instead (from the spec)."""
        return {f["flag"]: f["bill_instead"] for f in self.spec["exclusion_flags"]}

    def rule_sources(self) -> dict[str, dict[str, str]]:
        """Where each rule comes from (the spec's ``source`` fields).

        Returns:
            ``{"required": {element: source}, "advisory": {element: source},
            "flags": {flag: source}}``; note-level flags (``not_administered``) are
            under ``"flags"`` too. A rule without a ``source`` maps to ``""``.
        """
        return {
            "required": {r["element"]: r.get("source", "") for r in self.spec["required"]},
            "advisory": {r["element"]: r.get("source", "") for r in self.spec["advisory"]},
            "flags": {f["flag"]: f.get("source", "") for f in self.spec["exclusion_flags"]}
            | {k: (v or {}).get("source", "") for k, v in self.spec.get("note_flags", {}).items()},
        }

    def judge_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Return eligibility and gaps of one extracted event.

        Args:
            event: extraction fields (medication, dose_value, route, site, indication,
                response, provider, evidence, drug_exclusion).

        Returns:
            ``{"eligible": bool, "flags": [..sorted], "missing": [..report order],
            "advisories": [..sorted]}``; ``missing``/``advisories`` are empty when not eligible.
        """
        flags = sorted(
            {f["flag"] for f in self.spec["exclusion_flags"] if _applies(event, f["when"])}
        )
        eligible = not flags
        missing: list[str] = []
        advisories: list[str] = []
        if eligible:
            missing = [
                r["element"]
                for r in self.spec["required"]
                if not _present(event, r["present_when"])
            ]
            advisories = sorted(
                r["element"]
                for r in self.spec["advisory"]
                if not _present(event, r["present_when"])
            )
        return {"eligible": eligible, "flags": flags, "missing": missing, "advisories": advisories}

    @staticmethod
    def raising_not_administered(
        judged_events: list[dict[str, Any]], not_administered: list[str | None]
    ) -> list[int]:
        """Positions in ``not_administered`` of the mentions that raise the note flag
        ``not_administered`` (contract section 4): a named drug with no event of that drug,
        or an unnamed injection in a note with no event at all."""
        given = {e.get("medication") for e in judged_events}
        return [
            i
            for i, med in enumerate(not_administered)
            if (med is None and not judged_events) or (med is not None and med not in given)
        ]

    def judge_note(
        self, judged_events: list[dict[str, Any]], not_administered: list[str | None]
    ) -> dict[str, Any]:
        """Roll judged events up to the note (contract sections 4-5).

        Args:
            judged_events: events each carrying ``medication``, ``eligible``, ``flags``,
                ``missing`` and ``advisories`` (from ``judge_event``).
            not_administered: medications (None when unnamed) of injections mentioned as
                negated, refused, held or only planned.

        Returns:
            ``{"status", "n_injections", "missing", "flags", "advisories"}``.
        """
        eligible = [e for e in judged_events if e["eligible"]]
        order = self.required_elements
        missing_set = {m for e in eligible for m in e["missing"]}
        flags = {f for e in judged_events for f in e["flags"]}
        if self.raising_not_administered(judged_events, not_administered):
            flags.add("not_administered")
        if missing_set:
            status = "gaps"
        elif eligible:
            status = "compliant"
        elif judged_events:
            status = "excluded"
        else:
            status = "no_injection"
        return {
            "status": status,
            "n_injections": len(eligible),
            "missing": [m for m in order if m in missing_set],
            "flags": sorted(flags),
            "advisories": sorted({a for e in eligible for a in e["advisories"]}),
        }
