"""What the checks of one reconciliation share: the claimed notes (``NoteSummary``), the
claim lines grouped by claim and by note, and per note the units the documentation supports
for the admin code and for each billed drug code (``AdminGroup``, ``DrugGroup``).

Units billed on several lines of one code for one note are compared in total and shared
out in line order (each line is given at most its billed units, the last line the rest).
Lines whose units are negative (reversals) or whose fields could not be matched to the
columns (malformed rows) take no part in the groups.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..frames import RECONCILED_EVENT_COLUMNS, json_safe
from .lines import ClaimLine
from .rules import ClaimRules


# --- note summaries --------------------------------------------------------------------------
@dataclass
class NoteSummary:
    """What reconciliation needs of one note (kept in memory while notes stream).

    Attributes:
        note_id, status: from the note row; n_injections: eligible events (96372 units).
        events: the note's events reduced to ``frames.RECONCILED_EVENT_COLUMNS``.
    """

    note_id: str
    status: str
    n_injections: int
    events: list[dict[str, Any]] = field(default_factory=list)


def _flags(value: Any) -> list[str]:
    if isinstance(value, str):
        return [f for f in value.split(";") if f]
    if hasattr(value, "tolist"):
        value = value.tolist()
    return list(value) if isinstance(value, list | tuple) else []


def summarize_note(note: dict[str, Any], events: Iterable[dict[str, Any]]) -> NoteSummary:
    """Reduce a note row and its event rows (dicts, DataFrame rows or CSV rows) to a
    ``NoteSummary``."""
    kept = []
    for event in events:
        row = {k: json_safe(event.get(k)) for k in RECONCILED_EVENT_COLUMNS}
        row["flags"] = _flags(event.get("flags"))
        eligible = row["eligible"]
        row["eligible"] = (
            eligible.strip().lower() == "true" if isinstance(eligible, str) else bool(eligible)
        )
        kept.append(row)
    n = json_safe(note.get("n_injections"))
    return NoteSummary(str(note["note_id"]), str(note.get("status")), int(n or 0), kept)


# --- words -----------------------------------------------------------------------------------
def num(value: float | int | None) -> str:
    """A number in words: integral values without a decimal point or exponent (2400000)."""
    if value is None:
        return "?"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def share(billed: list[float | int | None], supported: int) -> list[int]:
    """Share ``supported`` units among lines in order: each gets at most its billed units,
    the last line the rest."""
    remaining = supported
    shares = []
    for units in billed:
        take = min(int(units or 0), remaining) if units is not None else 0
        shares.append(take)
        remaining -= take
    if shares:
        shares[-1] += remaining
    return shares


def dose(event: dict[str, Any]) -> str:
    """An event's dose in words, or ``"no dose"``."""
    try:
        value = float(event.get("dose_value"))
    except (TypeError, ValueError):
        return "no dose"
    if math.isnan(value):
        return "no dose"
    return f"{num(value)} {event.get('dose_unit') or ''}".strip()


def med(event: dict[str, Any]) -> str:
    """An event's medication, or ``"an unnamed injection"``."""
    return event.get("medication") or "an unnamed injection"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


# --- groups ----------------------------------------------------------------------------------
@dataclass
class LineFacts:
    """What a line's output holds besides findings: ``supported`` units (None when
    unchecked) and ``info`` (confirmations and notes, in order)."""

    supported: int | None = None
    info: list[str] = field(default_factory=list)


@dataclass
class AdminGroup:
    """The admin-code lines of one note.

    Attributes:
        note: the note; lines: its admin-code lines (input order).
        supported: admin units the documentation supports; counted: how, in words.
        eligible: the eligible injections' names; ineligible: events not eligible for it.
        total: units billed on ``lines``; shares: line index -> its share of ``supported``.
    """

    note: NoteSummary
    lines: list[ClaimLine]
    supported: int
    counted: str
    eligible: str
    ineligible: list[dict[str, Any]]
    total: float
    shares: dict[int, int]


@dataclass
class DrugGroup:
    """The lines of one drug code for one note.

    Attributes:
        note, code, row (the code's ``hcpcs_drugs.yaml`` row), lines (input order).
        events: the note's events given to this code (``Context.assign_events``).
        supported: units the documented doses support (None: no events, or a dose that
            cannot be converted); how: the arithmetic in words.
        convertible: False when some event's dose cannot be expressed in the code's unit.
        replacement: for a deleted code, what the dose supports under its replacement.
        total: units billed on ``lines``; shares: line index -> its share of ``supported``.
    """

    note: NoteSummary
    code: str
    row: dict[str, Any]
    lines: list[ClaimLine]
    events: list[dict[str, Any]]
    supported: int | None = None
    how: str = ""
    convertible: bool = True
    replacement: str | None = None
    total: float = 0
    shares: dict[int, int] = field(default_factory=dict)

    @property
    def unclassified(self) -> bool:
        return self.row["basis"] == "unclassified"


class Context:
    """One reconciliation's shared state, built once before the checks run.

    Attributes:
        rules: the rules; notes: ``{note_id: NoteSummary}``; lines: every claim line.
        by_claim: claim key -> its checkable lines (not malformed).
        admin: line index -> its ``AdminGroup``; drugs: line index -> its ``DrugGroup``.
        facts: line index -> ``LineFacts``.
    """

    def __init__(
        self, rules: ClaimRules, notes: dict[str, NoteSummary], lines: list[ClaimLine]
    ) -> None:
        self.rules = rules
        self.notes = notes
        self.lines = lines
        self.hcpcs = rules.hcpcs
        self.admin_code = rules.admin_code
        self.facts = {ln.index: LineFacts() for ln in lines}
        self.by_claim: dict[str, list[ClaimLine]] = {}
        self.admin: dict[int, AdminGroup] = {}
        self.drugs: dict[int, DrugGroup] = {}
        by_note: dict[str, list[ClaimLine]] = {}
        for line in lines:
            if line.malformed:
                continue
            self.by_claim.setdefault(line.claim_key, []).append(line)
            if self.rules.is_drug_code(line.code) and self.hcpcs.row(line.code) is None:
                self.facts[line.index].info.append(
                    f"{line.code} is not in the drug table "
                    "(patterns/billing/hcpcs_drugs.yaml): not checked"
                )
            note = self.note_of(line)
            if note is not None and not (line.units is not None and line.units < 0):
                by_note.setdefault(note.note_id, []).append(line)
        for note_id, note_lines in by_note.items():
            note = self.notes[note_id]
            admin = [ln for ln in note_lines if ln.code == self.admin_code]
            if admin:
                self._admin_group(note, admin)
            drugs = [ln for ln in note_lines if self.hcpcs.row(ln.code) is not None]
            if drugs:
                self._drug_groups(note, drugs)

    def note_of(self, line: ClaimLine) -> NoteSummary | None:
        """The line's note when it is in the notes input and readable, else None."""
        note = self.notes.get(line.note_id) if line.note_id is not None else None
        return note if note is not None and note.status != "error" else None

    def admin_lines_of_claim(self, line: ClaimLine) -> list[ClaimLine]:
        """The admin-code lines (reversals excepted) of ``line``'s claim."""
        return [
            ln
            for ln in self.by_claim.get(line.claim_key, [])
            if ln.code == self.admin_code and not (ln.units is not None and ln.units < 0)
        ]

    # admin code -------------------------------------------------------------------------------
    def admin_supported(self, note: NoteSummary) -> tuple[int, str]:
        """Admin units a note supports under the payer profile, and how, in words."""
        eligible = [e for e in note.events if e["eligible"]]
        if self.rules.payer["split_dose_admin_units"] == "per_drug":
            named = {e["medication"] for e in eligible if e["medication"]}
            unnamed = sum(1 for e in eligible if not e["medication"])
            n = len(named) + unnamed
            if n != note.n_injections:
                return n, (
                    f"{plural(note.n_injections, 'eligible injection')}, counted once per "
                    f"drug under payer profile {self.rules.payer['name']!r}"
                )
            return n, plural(n, "eligible injection")
        return note.n_injections, plural(note.n_injections, "eligible injection")

    def _admin_group(self, note: NoteSummary, lines: list[ClaimLine]) -> None:
        supported, counted = self.admin_supported(note)
        shares = share([ln.counted_units for ln in lines], supported)
        group = AdminGroup(
            note=note,
            lines=lines,
            supported=supported,
            counted=counted,
            eligible=", ".join(med(e) for e in note.events if e["eligible"]) or "none",
            ineligible=[e for e in note.events if not e["eligible"]],
            total=sum(ln.counted_units or 0 for ln in lines),
            shares={ln.index: s for ln, s in zip(lines, shares, strict=True)},
        )
        for line in lines:
            self.admin[line.index] = group
            facts = self.facts[line.index]
            facts.supported = group.shares[line.index]
            if line.units is None:
                if line.units_text is None:
                    facts.info.append(f"{self.admin_code} units not given: unit check skipped")
            elif line.units == facts.supported:
                facts.info.append(
                    f"{self.admin_code} x{num(line.units)} matches the {counted} "
                    f"documented ({group.eligible})"
                )

    # drug codes -------------------------------------------------------------------------------
    def assign_events(self, note: NoteSummary, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Give each documented event to at most one billed drug code of the note."""
        assigned: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
        excluded = set(self.rules.rules["unclassified_excludes_flags"])
        unclassified = [c for c in codes if self.hcpcs.row(c)["basis"] == "unclassified"]
        coded = [c for c in codes if c not in unclassified]
        for event in note.events:
            medication = event.get("medication")
            if medication is None:
                continue
            candidates = [c for c in coded if medication in self.hcpcs.drugs_of(self.hcpcs.row(c))]
            if candidates:
                same = [
                    c
                    for c in candidates
                    if (self.hcpcs.current(c) or {}).get("code") == event.get("hcpcs")
                ]
                assigned[(same or candidates)[0]].append(event)
            elif unclassified and event.get("hcpcs") is None and not excluded & set(event["flags"]):
                if not self.hcpcs.by_drug.get(medication):
                    assigned[unclassified[0]].append(event)
        return assigned

    def _drug_groups(self, note: NoteSummary, lines: list[ClaimLine]) -> None:
        by_code: dict[str, list[ClaimLine]] = {}
        for line in lines:
            by_code.setdefault(line.code, []).append(line)
        assigned = self.assign_events(note, list(by_code))
        for code, code_lines in by_code.items():
            group = DrugGroup(note, code, self.hcpcs.row(code), code_lines, assigned[code])
            for line in code_lines:
                self.drugs[line.index] = group
            if group.events:
                if group.unclassified:
                    self._unclassified(group)
                else:
                    self._classified(group)

    def _unclassified(self, group: DrugGroup) -> None:
        per = int(self.rules.payer["unclassified_units_per_administration"])
        group.supported = per * len(group.events)
        names = ", ".join(med(e) for e in group.events)
        self._share_out(group)
        self._unit_notes(group, f"{names} (no own HCPCS code)")

    def _classified(self, group: DrugGroup) -> None:
        row, code = group.row, group.code
        per_event = [self.event_units(row, e) for e in group.events]
        if any(units is None for units, _ in per_event):
            group.convertible = False
            return
        group.supported = sum(units for units, _ in per_event)
        group.how = "; ".join(
            f"{med(e)} {dose(e)}: {text}"
            for e, (_, text) in zip(group.events, per_event, strict=True)
        )
        route_notes = [
            f"documented route {e['route']} is not among {code}'s routes "
            f"({', '.join(row['routes'])})"
            for e in group.events
            if e.get("route") and e["route"] not in row["routes"]
        ]
        group.replacement = self._replacement_note(row, group.events)
        self._share_out(group)
        for line in group.lines:
            self.facts[line.index].info += route_notes
        self._unit_notes(group, f"the documented dose ({group.how})", f" ({group.how})")

    def _unit_notes(self, group: DrugGroup, matched: str, how: str = "") -> None:
        """Tell each line of ``group`` its unit check: skipped (no units given; ``how``
        follows), or its units match what the note supports (``matched`` says what)."""
        for line in group.lines:
            facts = self.facts[line.index]
            if line.units is None:
                if line.units_text is None:
                    facts.info.append(f"{group.code} units not given: unit check skipped{how}")
            elif line.units == facts.supported:
                facts.info.append(f"{group.code} x{num(line.units)} matches {matched}")

    def _share_out(self, group: DrugGroup) -> None:
        shares = share([ln.counted_units for ln in group.lines], group.supported or 0)
        group.total = sum(ln.counted_units or 0 for ln in group.lines)
        group.shares = {ln.index: s for ln, s in zip(group.lines, shares, strict=True)}
        for line in group.lines:
            self.facts[line.index].supported = group.shares[line.index]

    def event_units(self, row: dict[str, Any], event: dict[str, Any]) -> tuple[int | None, str]:
        """Units of ``row`` one event's dose supports, and the arithmetic in words.

        Falls back on the event's own ``hcpcs_units`` when it was coded with this very code
        but the dose cannot be converted here (a volume whose concentration came from the
        medication text, which ``--redact`` removes after coding).
        """
        conversion = self.hcpcs.convert(
            row, event.get("dose_value"), event.get("dose_unit"), event.get("medication_text")
        )
        if conversion is not None:
            return conversion.units, conversion.explain()
        units = json_safe(event.get("hcpcs_units"))
        if event.get("hcpcs") == row["code"] and units is not None:
            return int(units), f"{row['code']} x{int(units)} (the event's hcpcs_units)"
        return None, ""

    def _replacement_note(self, row: dict[str, Any], events: list[dict[str, Any]]) -> str | None:
        if not row.get("replaced_by"):
            return None
        current = self.hcpcs.current(row["code"])
        if current is None:
            return None
        units = [
            self.hcpcs.units(
                current, e.get("dose_value"), e.get("dose_unit"), e.get("medication_text")
            )
            for e in events
        ]
        if any(u is None for u in units):
            return None
        return f"the documented dose supports {current['code']} x{sum(units)}"
