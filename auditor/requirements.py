"""The 96372 requirement engine: pure Python, no spaCy.

Reads a requirement spec (``patterns/requirements/cpt_96372.v2.yaml``, the default, or
``cpt_96372.v1.yaml``) and judges extracted events and notes against it (contract
sections 2-5). Changing a requirement, a flag, a condition or the status order is a change
to that file, not to this module; a file naming a key, flag, element or condition this
module does not know fails at load with a coded error naming the file and the key.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import PatternError

# Top-level keys a spec may hold; every one has an effect (``id``/``cpt``/``version``/
# ``title``/``source`` are recorded in run.json and the report).
SPEC_KEYS = {
    "id",
    "cpt",
    "version",
    "title",
    "source",
    "exclusion_flags",
    "required",
    "advisory",
    "note_flags",
    "status_precedence",
    "route_if_unstated",
}
# Flags of contract sections 2 and 5 (what the report, evaluation and claims know), in the
# contract's order.
EVENT_FLAGS_ORDER = (
    "vaccine_or_toxoid",
    "chemotherapy",
    "intravenous",
    "other_route",
    "allergen_immunotherapy",
    "procedural",
    "inpatient",
    "no_im_sc_form",
)
EVENT_FLAGS = set(EVENT_FLAGS_ORDER)
NOTE_FLAGS = {"not_administered"}
REQUIRED_ELEMENTS = ["medication", "dose", "route", "site", "indication", "response"]
ADVISORY_ELEMENTS = ["evidence", "provider"]
STATUSES = ["error", "gaps", "compliant", "excluded", "no_injection"]
FLAG_KEYS = {"flag", "when", "bill_instead", "source"}
ELEMENT_KEYS = {"element", "present_when", "source"}
PRESENT_KEYS = {"field", "not_null", "in"}

# Conditions a flag's ``when`` may combine (all must hold). Each reads one field of the
# event being judged: ``drug_exclusion``/``im_sc_form`` come from the drug lexicon,
# ``procedural`` from patterns/context/procedural.yaml, ``setting`` from the note.
CONDITIONS: dict[str, Callable[[dict[str, Any], Any], bool]] = {
    "drug_exclusion": lambda e, v: e.get("drug_exclusion") == v,
    "route": lambda e, v: e.get("route") in v,
    "im_sc_form": lambda e, v: e.get("im_sc_form") is not None and e.get("im_sc_form") == v,
    "context": lambda e, v: bool(e.get(v)),
    "setting": lambda e, v: e.get("setting") in v,
}
CONTEXTS = {"procedural"}

# What each status means (contract section 4); ``status_precedence`` orders them.
STATUS_HOLDS: dict[str, Callable[[dict[str, bool]], bool]] = {
    "error": lambda s: s["error"],
    "gaps": lambda s: s["missing"],
    "compliant": lambda s: s["eligible"],
    "excluded": lambda s: s["events"],
    "no_injection": lambda s: True,
}


def _fail(path: str, key: str, problem: str) -> None:
    raise PatternError(f"{path}: {key}: {problem}")


def _check_keys(path: str, where: str, mapping: Any, allowed: set[str]) -> None:
    if not isinstance(mapping, dict):
        _fail(path, where, "must be a mapping")
    for key in mapping:
        if key not in allowed:
            _fail(path, f"{where}.{key}", f"unknown key (known: {sorted(allowed)})")


def _check_elements(path: str, spec: dict[str, Any], part: str, known: list[str]) -> None:
    rules = spec.get(part, [])
    if not isinstance(rules, list):
        _fail(path, part, f"must be a list of mappings (got {type(rules).__name__})")
    for i, rule in enumerate(rules):
        _check_keys(path, f"{part}[{i}]", rule, ELEMENT_KEYS)
        if rule.get("element") not in known:
            _fail(path, f"{part}[{i}].element", f"unknown element {rule.get('element')!r}")
        _check_keys(path, f"{part}[{i}].present_when", rule.get("present_when"), PRESENT_KEYS)
        if "field" not in rule["present_when"]:
            _fail(path, f"{part}[{i}].present_when", "needs 'field'")


def _check_when(path: str, where: str, when: Any) -> None:
    _check_keys(path, where, when, set(CONDITIONS))
    if not when:
        _fail(path, where, "needs at least one condition")
    for key in ("route", "setting"):
        if key in when and not isinstance(when[key], list):
            _fail(path, f"{where}.{key}", f"must be a list (got {type(when[key]).__name__})")
    if "context" in when and when["context"] not in CONTEXTS:
        _fail(path, f"{where}.context", f"unknown context (known: {sorted(CONTEXTS)})")


def validate_spec(spec: dict[str, Any], path: str) -> None:
    """Check a parsed requirement spec.

    Args:
        spec: the parsed YAML mapping.
        path: the file name, for messages.

    Raises:
        PatternError: an unknown top-level key, flag, element, condition or status, or a
            value of the wrong shape; the message names the file and the key.
    """
    _check_keys(path, "spec", spec, SPEC_KEYS)
    flags = spec.get("exclusion_flags")
    if not isinstance(flags, list):
        _fail(path, "exclusion_flags", f"must be a list of mappings (got {type(flags).__name__})")
    for i, rule in enumerate(flags):
        _check_keys(path, f"exclusion_flags[{i}]", rule, FLAG_KEYS)
        if rule.get("flag") not in EVENT_FLAGS:
            _fail(path, f"exclusion_flags[{i}].flag", f"unknown flag {rule.get('flag')!r}")
        _check_when(path, f"exclusion_flags[{i}].when", rule.get("when"))
    _check_elements(path, spec, "required", REQUIRED_ELEMENTS)
    _check_elements(path, spec, "advisory", ADVISORY_ELEMENTS)
    for flag in spec.get("note_flags") or {}:
        if flag not in NOTE_FLAGS:
            _fail(path, f"note_flags.{flag}", "unknown note flag")
    order = spec.get("status_precedence", STATUSES)
    if not isinstance(order, list) or sorted(order) != sorted(STATUSES):
        _fail(path, "status_precedence", f"must list each of {STATUSES} once")
    if "route_if_unstated" in spec:
        rule = spec["route_if_unstated"]
        _check_keys(path, "route_if_unstated", rule, {"when", "route"})
        _check_when(path, "route_if_unstated.when", rule.get("when"))


def _present(event: dict[str, Any], rule: dict[str, Any]) -> bool:
    value = event.get(rule["field"])
    if "in" in rule:
        return value in rule["in"]
    return value is not None


def _holds(event: dict[str, Any], when: dict[str, Any]) -> bool:
    return all(CONDITIONS[key](event, value) for key, value in when.items())


@dataclass(frozen=True)
class RequirementSpec:
    """One CPT requirement spec.

    Attributes:
        spec: the parsed YAML mapping (keys of ``SPEC_KEYS``), checked by ``validate_spec``
            when the pattern files are loaded.
    """

    spec: dict[str, Any]

    @property
    def spec_id(self) -> str:
        """The spec's id (``cpt_96372.v2``), as ``--spec`` names it."""
        return str(self.spec["id"])

    @property
    def version(self) -> str:
        return str(self.spec["version"])

    @property
    def required_elements(self) -> list[str]:
        """Required element names in report order (medication, dose, route, site, ...)."""
        return [r["element"] for r in self.spec["required"]]

    @property
    def flag_codes(self) -> list[str]:
        """Event flags then note flags, in spec order."""
        return [f["flag"] for f in self.spec["exclusion_flags"]] + list(
            self.spec.get("note_flags") or {}
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
            "advisory": {r["element"]: r.get("source", "") for r in self.spec.get("advisory", [])},
            "flags": {f["flag"]: f.get("source", "") for f in self.spec["exclusion_flags"]}
            | {
                k: (v or {}).get("source", "")
                for k, v in (self.spec.get("note_flags") or {}).items()
            },
        }

    def judge_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Return the route, eligibility and gaps of one extracted event.

        Args:
            event: extraction fields (medication, dose_value, route, site, indication,
                response, provider, evidence, drug_exclusion, im_sc_form, procedural) and
                the note's ``setting``.

        Returns:
            ``{"route", "eligible": bool, "flags": [..sorted], "missing": [..report
            order], "advisories": [..sorted]}``; ``route`` is the extracted one unless the
            spec's ``route_if_unstated`` supplies one; ``missing``/``advisories`` are
            empty when not eligible.
        """
        rule = self.spec.get("route_if_unstated")
        if event.get("route") is None and rule and _holds(event, rule["when"]):
            event = {**event, "route": rule["route"]}
        flags = sorted(
            {f["flag"] for f in self.spec["exclusion_flags"] if _holds(event, f["when"])}
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
                for r in self.spec.get("advisory", [])
                if not _present(event, r["present_when"])
            )
        return {
            "route": event.get("route"),
            "eligible": eligible,
            "flags": flags,
            "missing": missing,
            "advisories": advisories,
        }

    def status(self, error: bool, missing: bool, eligible: bool, events: bool) -> str:
        """The note status: the first of ``status_precedence`` whose meaning holds.

        Args:
            error: the record could not be read or processed.
            missing: an eligible event misses a required element.
            eligible: there is an eligible event.
            events: there is an event.
        """
        facts = {"error": error, "missing": missing, "eligible": eligible, "events": events}
        order = self.spec.get("status_precedence", STATUSES)
        return next(s for s in order if STATUS_HOLDS[s](facts))

    def raising_not_administered(
        self, judged_events: list[dict[str, Any]], not_administered: list[str | None]
    ) -> list[int]:
        """Positions in ``not_administered`` of the mentions that raise the note flag
        ``not_administered`` (contract section 4): a named drug with no event of that drug,
        or an unnamed injection in a note with no event at all; none when the spec's
        ``note_flags`` does not list the flag."""
        if "not_administered" not in (self.spec.get("note_flags") or {}):
            return []
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
        status = self.status(False, bool(missing_set), bool(eligible), bool(judged_events))
        return {
            "status": status,
            "n_injections": len(eligible),
            "missing": [m for m in order if m in missing_set],
            "flags": sorted(flags),
            "advisories": sorted({a for e in eligible for a in e["advisories"]}),
        }
