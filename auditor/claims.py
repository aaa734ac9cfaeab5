"""Reconcile billed claim lines with the documentation: pure Python, no spaCy.

Inputs are plain rows (dicts) or DataFrames:

- notes: rows of ``notes.jsonl`` (``note_id``, ``status``, ``n_injections``);
- events: rows of ``events.jsonl`` (``note_id``, ``medication``, ``medication_text``, ``route``,
  ``dose_value``, ``dose_unit``, ``eligible``, ``flags``, ``hcpcs``, ``hcpcs_units``);
- claim lines: one row per billed line with a note or encounter id, a CPT/HCPCS code, units and,
  optionally, modifiers, place of service, claim id, claim type and date of service (column names
  are detected, see ``CLAIM_COLUMNS``).

Output: one row per claim line, in input order: the line's own fields, then ``supported_units``
(int or null), ``findings`` (sorted finding codes) and ``details`` (the findings in words, plus a
confirmation when a checked line has none). The rules come from ``patterns/billing/``
(``claim_rules.yaml`` names each finding's source, ``hcpcs_drugs.yaml`` the drug codes,
``payers.yaml`` the payer-dependent settings) and the contract's ``bill_instead`` column
(``patterns/requirements/cpt_96372.v1.yaml``); no drug or code is written in this module.

Checks, per claim line:

- every line: ``unmatched_claim`` (no such note), ``note_unreadable`` (note status error),
  ``deleted_code`` (code ended before the date of service, replacement named);
- admin code (96372) lines of a note: ``admin_units_mismatch`` (units vs eligible injections, split
  doses counted per the payer profile), ``wrong_admin_code`` (units beyond the eligible injections
  while the note documents a vaccine, chemotherapy, IV, other-route or allergen injection),
  ``facility_pos``; per claim: ``repeat_admin_modifier`` (payer profile);
- drug lines: ``drug_not_documented``, ``drug_units_mismatch``, ``drug_units_unverifiable``;
- E/M lines on a claim with the admin code: ``missing_modifier_25``, ``em_99211_with_96372``.

Units billed on several lines of one code for one note are compared in total and shared out in
line order (each line is given at most its billed units, the last line the rest).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

from .billing import HcpcsTable
from .errors import ColumnError
from .frames import CLAIM_OUTPUT_COLUMNS, RECONCILED_EVENT_COLUMNS, is_missing, json_safe
from .patterns import load_patterns, resolve_profile
from .requirements import RequirementSpec

OUTPUT_FIELDS = tuple(CLAIM_OUTPUT_COLUMNS)

# claim field -> accepted column names (compared lowercased, spaces/hyphens as underscores)
CLAIM_COLUMNS: dict[str, tuple[str, ...]] = {
    "note_id": (
        "note_id",
        "encounter_id",
        "encounter",
        "visit_id",
        "document_id",
        "record_id",
        "noteid",
        "id",
    ),
    "code": (
        "code",
        "hcpcs",
        "cpt",
        "cpt_hcpcs",
        "hcpcs_code",
        "cpt_code",
        "procedure_code",
        "proc_code",
        "cpt/hcpcs",
    ),
    "units": ("units", "unit", "service_units", "units_billed", "quantity", "qty", "days_units"),
    "modifiers": ("modifiers", "modifier", "mods", "mod"),
    "pos": ("pos", "place_of_service", "place_of_service_code", "pos_code"),
    "claim_id": ("claim_id", "claim", "claim_number", "claim_no"),
    "claim_type": ("claim_type", "form_type"),
    "date_of_service": ("date_of_service", "service_date", "dos", "from_date", "line_date"),
}
REQUIRED_CLAIM_FIELDS = ("note_id", "code", "units")
_NUMBERED_MODIFIER = re.compile(r"^(?:modifier|mod)_?\d$")
_SPLIT_MODIFIERS = re.compile(r"[\s,;|/+]+")


# --- rules -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ClaimRules:
    """Everything the reconciliation reads from ``patterns/``.

    Attributes:
        hcpcs: the drug-to-HCPCS table.
        rules: ``billing/claim_rules.yaml`` (admin code, E/M codes, facility POS, findings).
        payer: the resolved payer profile (``billing/payers.yaml``, ``extends`` applied).
        bill_instead: contract flag -> code billed instead of 96372.
    """

    hcpcs: HcpcsTable
    rules: dict[str, Any]
    payer: dict[str, Any]
    bill_instead: dict[str, str]

    @classmethod
    def load(cls, payer: str = "default", patterns_dir: str | None = None) -> ClaimRules:
        """Load the rules of ``patterns_dir`` (default: bundled) for payer profile ``payer``.

        Raises:
            PatternError: a rule file is invalid or the payer profile is unknown.
        """
        patterns = load_patterns(patterns_dir)
        return cls(
            hcpcs=HcpcsTable(patterns.hcpcs_drugs),
            rules=patterns.claim_rules,
            payer=resolve_profile(patterns.payers, payer),
            bill_instead=RequirementSpec(patterns.requirements).bill_instead(),
        )

    @property
    def admin_code(self) -> str:
        return str(self.rules["admin_code"])

    def is_em_requiring_25(self, code: str) -> bool:
        return any(
            r["from"] <= code <= r["to"] and len(code) == len(r["from"])
            for r in self.rules["em_codes_requiring_modifier"]
        )


# --- claim lines -----------------------------------------------------------------------------
@dataclass
class ClaimLine:
    """One normalised claim line.

    Attributes:
        index: 0-based input position.
        fields: the line's own fields (JSON-safe values), in input column order.
        note_id: the note/encounter id (None when blank).
        claim_key: the claim the line belongs to (claim id, else the note id).
        code: upper-case code; units: billed units (None when blank or not a number);
        modifiers: upper-case modifiers; pos: place of service ("11", "22", ...) or None;
        claim_type: lower-case claim type; dos: date of service or None.
    """

    index: int
    fields: dict[str, Any]
    note_id: str | None
    claim_key: str
    code: str
    units: float | int | None
    modifiers: list[str]
    pos: str | None
    claim_type: str
    dos: date | None


def _key(name: Any) -> str:
    return re.sub(r"[\s\-]+", "_", str(name).strip().lower())


def detect_claim_columns(columns: list[str], id_col: str | None = None) -> dict[str, Any]:
    """Map claim fields to column names.

    Args:
        columns: the claims table's columns.
        id_col: the note/encounter id column, when the user names it.

    Returns:
        ``{field: column or None}`` for each key of ``CLAIM_COLUMNS``, plus
        ``"modifier_columns"``: the numbered modifier columns (``modifier_1``, ``mod2``...).

    Raises:
        ColumnError: ``id_col`` is absent, or an id, code or units column cannot be found;
            the message lists the columns.
    """
    listing = ", ".join(repr(str(c)) for c in columns) or "(none)"
    by_key = {}
    for c in columns:
        by_key.setdefault(_key(c), c)
    found: dict[str, Any] = {}
    for name, candidates in CLAIM_COLUMNS.items():
        found[name] = next((by_key[c] for c in candidates if c in by_key), None)
    if id_col is not None:
        if id_col not in columns:
            raise ColumnError(f"claims id column {id_col!r} not found; columns are: {listing}")
        found["note_id"] = id_col
    found["modifier_columns"] = [c for c in columns if _NUMBERED_MODIFIER.match(_key(c))]
    for name in REQUIRED_CLAIM_FIELDS:
        if found[name] is None:
            raise ColumnError(
                f"claims: no {name} column (accepted names: {', '.join(CLAIM_COLUMNS[name])}); "
                f"columns are: {listing}"
            )
    return found


def _is_blank(value: Any) -> bool:
    if is_missing(value):
        return True
    return isinstance(value, str) and not value.strip()


def _text(value: Any) -> str | None:
    if _is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _units(value: Any) -> float | int | None:
    text = _text(value)
    if text is None:
        return None
    try:
        number = float(text)
    except ValueError:
        return None
    if not math.isfinite(number) or number < 0:
        return None  # "inf", "1e400" (past float range) and "nan" are no units
    return int(number) if number.is_integer() else number


def _date(value: Any) -> date | None:
    if _is_blank(value):
        return None
    if isinstance(value, date):
        return value if not isinstance(value, pd.Timestamp) else value.date()
    stamp = pd.to_datetime(str(value), errors="coerce")
    return None if pd.isna(stamp) else stamp.date()


def _modifiers(row: dict[str, Any], columns: dict[str, Any]) -> list[str]:
    raw: list[Any] = []
    if columns["modifiers"] is not None:
        value = row.get(columns["modifiers"])
        if isinstance(value, list | tuple) or hasattr(value, "tolist"):
            raw += list(value.tolist() if hasattr(value, "tolist") else value)
        elif not _is_blank(value):
            raw += _SPLIT_MODIFIERS.split(str(_text(value)))
    raw += [row.get(c) for c in columns["modifier_columns"]]
    mods = [str(_text(m)).upper() for m in raw if _text(m)]
    return list(dict.fromkeys(mods))


def normalize_claims(
    claims: pd.DataFrame | Iterable[dict[str, Any]],
    rules: ClaimRules,
    id_col: str | None = None,
) -> list[ClaimLine]:
    """Turn claim rows into ``ClaimLine``s (input order kept).

    Args:
        claims: a DataFrame or an iterable of dicts (one per claim line).
        rules: the loaded rules (for the payer's default claim type).
        id_col: the note/encounter id column (default: detected).

    Raises:
        ColumnError: see ``detect_claim_columns``.
    """
    if isinstance(claims, pd.DataFrame):
        columns = [str(c) for c in claims.columns]
        rows = claims.rename(columns=str).to_dict("records")
    else:
        rows = [dict(r) for r in claims]
        columns = list(dict.fromkeys(k for r in rows for k in r))
    cols = detect_claim_columns(columns, id_col)
    default_type = str(rules.payer["default_claim_type"]).lower()
    lines = []
    for i, row in enumerate(rows):
        note_id = _text(row.get(cols["note_id"]))
        claim_id = _text(row.get(cols["claim_id"])) if cols["claim_id"] else None
        pos = _text(row.get(cols["pos"])) if cols["pos"] else None
        if pos is not None and pos.isdigit():
            pos = pos.zfill(2)
        claim_type = _text(row.get(cols["claim_type"])) if cols["claim_type"] else None
        lines.append(
            ClaimLine(
                index=i,
                fields={c: json_safe(row.get(c)) for c in columns},
                note_id=note_id,
                claim_key=f"claim:{claim_id}" if claim_id else f"note:{note_id}",
                code=(_text(row.get(cols["code"])) or "").upper(),
                units=_units(row.get(cols["units"])),
                modifiers=_modifiers(row, cols),
                pos=pos,
                claim_type=(claim_type or default_type).lower(),
                dos=_date(row.get(cols["date_of_service"])) if cols["date_of_service"] else None,
            )
        )
    return lines


# --- note summaries --------------------------------------------------------------------------
EVENT_KEYS = RECONCILED_EVENT_COLUMNS


@dataclass
class NoteSummary:
    """What reconciliation needs of one note (kept in memory while notes stream).

    Attributes:
        note_id, status: from the note row; n_injections: eligible events (96372 units).
        events: the note's events reduced to ``EVENT_KEYS``.
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
    """Reduce a note row and its event rows to a ``NoteSummary``."""
    kept = []
    for event in events:
        row = {k: json_safe(event.get(k)) for k in EVENT_KEYS}
        row["flags"] = _flags(event.get("flags"))
        eligible = row["eligible"]
        row["eligible"] = (
            eligible.strip().lower() == "true" if isinstance(eligible, str) else bool(eligible)
        )
        kept.append(row)
    n = json_safe(note.get("n_injections"))
    return NoteSummary(str(note["note_id"]), str(note.get("status")), int(n or 0), kept)


# --- reconciliation --------------------------------------------------------------------------
@dataclass
class _Result:
    supported: int | None = None
    findings: dict[str, list[str]] = field(default_factory=dict)
    info: list[str] = field(default_factory=list)

    def add(self, finding: str, text: str) -> None:
        self.findings.setdefault(finding, []).append(text)

    def row(self, line: ClaimLine) -> dict[str, Any]:
        names = sorted(self.findings)
        details = [t for f in names for t in self.findings[f]] + self.info
        return {
            **line.fields,
            "supported_units": self.supported,
            "findings": names,
            "details": details,
        }


def _num(value: float | int | None) -> str:
    """A number in words: integral values without a decimal point or exponent (2400000)."""
    if value is None:
        return "?"
    number = float(value)
    return str(int(number)) if number.is_integer() else f"{number:g}"


def _share(billed: list[float | int | None], supported: int) -> list[int]:
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


def _dose(event: dict[str, Any]) -> str:
    try:
        value = float(event.get("dose_value"))
    except (TypeError, ValueError):
        return "no dose"
    if math.isnan(value):
        return "no dose"
    return f"{_num(value)} {event.get('dose_unit') or ''}".strip()


def _med(event: dict[str, Any]) -> str:
    return event.get("medication") or "an unnamed injection"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class _Reconciler:
    def __init__(self, rules: ClaimRules, notes: dict[str, NoteSummary]) -> None:
        self.rules = rules
        self.notes = notes
        self.hcpcs = rules.hcpcs
        self.admin = rules.admin_code

    # claim-only checks -----------------------------------------------------------------------
    def line_checks(self, line: ClaimLine, res: _Result) -> None:
        if line.note_id is None or line.note_id not in self.notes:
            res.add(
                "unmatched_claim",
                f"no note with id {line.note_id!r} in the notes input: "
                "documentation checks skipped",
            )
        elif self.notes[line.note_id].status == "error":
            res.add(
                "note_unreadable",
                f"note {line.note_id!r} could not be read (status error): "
                "documentation checks skipped",
            )
        row = self.hcpcs.row(line.code)
        if row is not None and row.get("end_date"):
            end = date.fromisoformat(str(row["end_date"]))
            if line.dos is None or line.dos > end:
                current = self.hcpcs.current(line.code)
                when = (
                    f"the date of service {line.dos.isoformat()} is after"
                    if line.dos
                    else "no date of service is given; in the current code set it ended"
                )
                instead = (
                    f"; bill {current['code']} ({current['descriptor']}) instead"
                    if current is not None and current["code"] != row["code"]
                    else ""
                )
                res.add(
                    "deleted_code",
                    f"{line.code} was deleted: its last date of service was "
                    f"{end.isoformat()} and {when}{instead}",
                )
        if (
            line.code == self.admin
            and line.pos in self.rules.rules["facility_pos"]
            and line.claim_type in self.rules.rules["professional_claim_types"]
        ):
            res.add(
                "facility_pos",
                f"{self.admin} billed on a professional claim with place of "
                f"service {line.pos} (a facility setting): the facility reports the injection "
                "its staff give; a physician does not bill it",
            )
        prefixes = tuple(str(p).upper() for p in self.rules.rules["drug_code_prefixes"])
        if line.code.startswith(prefixes) and row is None:
            res.info.append(
                f"{line.code} is not in the drug table "
                "(patterns/billing/hcpcs_drugs.yaml): not checked"
            )

    # per claim: E/M and repeated admin code ---------------------------------------------------
    def claim_checks(self, lines: list[ClaimLine], results: dict[int, _Result]) -> None:
        admin_lines = [ln for ln in lines if ln.code == self.admin]
        if not admin_lines:
            return
        modifier = str(self.rules.rules["em_modifier"])
        for line in lines:
            res = results[line.index]
            if line.code in self.rules.rules["em_codes_not_with_admin"]:
                res.add(
                    "em_99211_with_96372",
                    f"{line.code} billed on the same claim as "
                    f"{self.admin}: this E/M is not paid with a drug administration service, "
                    "even with a modifier; drop it",
                )
            elif self.rules.is_em_requiring_25(line.code) and modifier not in line.modifiers:
                res.add(
                    "missing_modifier_25",
                    f"E/M {line.code} billed on the same claim as "
                    f"{self.admin} without modifier {modifier}: add {modifier} if the visit "
                    "was significant and separately identifiable, else drop the E/M",
                )
        payer = self.rules.payer
        wanted = [str(m).upper() for m in payer["repeat_admin_modifiers"]]
        form = payer["repeat_admin_billing"]
        label = f"payer profile {payer['name']!r}"
        for k, line in enumerate(admin_lines):
            res = results[line.index]
            if k > 0 and wanted and not set(wanted) & set(line.modifiers):
                res.add(
                    "repeat_admin_modifier",
                    f"repeated {self.admin} line without modifier "
                    f"{' or '.join(wanted)} ({label})",
                )
            if form == "lines" and line.units is not None and line.units > 1:
                res.add(
                    "repeat_admin_modifier",
                    f"{self.admin} x{_num(line.units)} on one line: "
                    f"{label} wants each repeat on its own line with modifier "
                    f"{' or '.join(wanted)}",
                )
            if form == "units" and k > 0:
                res.add(
                    "repeat_admin_modifier",
                    f"{self.admin} repeated on a second line: "
                    f"{label} wants repeats billed as units on one line",
                )

    # per note: admin units ----------------------------------------------------------------------
    def admin_supported(self, note: NoteSummary) -> tuple[int, str]:
        eligible = [e for e in note.events if e["eligible"]]
        if self.rules.payer["split_dose_admin_units"] == "per_drug":
            named = {e["medication"] for e in eligible if e["medication"]}
            unnamed = sum(1 for e in eligible if not e["medication"])
            n = len(named) + unnamed
            if n != note.n_injections:
                return n, (
                    f"{_plural(note.n_injections, 'eligible injection')}, counted once per "
                    f"drug under payer profile {self.rules.payer['name']!r}"
                )
            return n, _plural(n, "eligible injection")
        return note.n_injections, _plural(note.n_injections, "eligible injection")

    def admin_checks(
        self, note: NoteSummary, lines: list[ClaimLine], results: dict[int, _Result]
    ) -> None:
        supported, counted = self.admin_supported(note)
        eligible = ", ".join(_med(e) for e in note.events if e["eligible"]) or "none"
        shares = _share([ln.units for ln in lines], supported)
        total = sum(ln.units or 0 for ln in lines)
        ineligible = [e for e in note.events if not e["eligible"]]
        for line, share in zip(lines, shares, strict=True):
            res = results[line.index]
            res.supported = share
            if line.units is None:
                res.info.append(f"{self.admin} units not given: unit check skipped")
                continue
            spread = (
                (
                    f" ({_num(total)} in total on {len(lines)} lines for note {note.note_id!r}; "
                    f"this line's share is x{share})"
                )
                if len(lines) > 1
                else ""
            )
            if line.units != share:
                res.add(
                    "admin_units_mismatch",
                    f"{self.admin} billed x{_num(line.units)} but the "
                    f"note documents {counted} ({eligible}), supporting {self.admin} "
                    f"x{supported}{spread}",
                )
                if line.units > share and ineligible:
                    for event in ineligible:
                        instead = "; ".join(
                            self.rules.bill_instead.get(f, "?") for f in event["flags"]
                        )
                        res.add(
                            "wrong_admin_code",
                            f"{_med(event)} ({', '.join(event['flags'])}) "
                            f"is not billable as {self.admin}: bill {instead} instead",
                        )
            else:
                res.info.append(
                    f"{self.admin} x{_num(line.units)} matches the {counted} "
                    f"documented ({eligible})"
                )

    # per note: drug lines ---------------------------------------------------------------------
    def assign_events(self, note: NoteSummary, codes: list[str]) -> dict[str, list[dict[str, Any]]]:
        """Give each documented event to at most one billed drug code of the note."""
        assigned: dict[str, list[dict[str, Any]]] = {c: [] for c in codes}
        excluded = set(self.rules.rules["unclassified_excludes_flags"])
        unclassified = [c for c in codes if self.hcpcs.row(c)["basis"] == "unclassified"]
        coded = [c for c in codes if c not in unclassified]
        for event in note.events:
            med = event.get("medication")
            if med is None:
                continue
            candidates = [c for c in coded if med in self.hcpcs.drugs_of(self.hcpcs.row(c))]
            if candidates:
                same = [
                    c
                    for c in candidates
                    if (self.hcpcs.current(c) or {}).get("code") == event.get("hcpcs")
                ]
                assigned[(same or candidates)[0]].append(event)
            elif unclassified and event.get("hcpcs") is None and not excluded & set(event["flags"]):
                if not self.hcpcs.by_drug.get(med):
                    assigned[unclassified[0]].append(event)
        return assigned

    def drug_checks(
        self, note: NoteSummary, lines: list[ClaimLine], results: dict[int, _Result]
    ) -> None:
        by_code: dict[str, list[ClaimLine]] = {}
        for line in lines:
            by_code.setdefault(line.code, []).append(line)
        assigned = self.assign_events(note, list(by_code))
        for code, code_lines in by_code.items():
            row = self.hcpcs.row(code)
            events = assigned[code]
            if row["basis"] == "unclassified":
                self._unclassified(note, row, code_lines, events, results)
                continue
            drug = row["drug"]
            if not events:
                for line in code_lines:
                    others = [
                        f"{_med(e)} ({e.get('hcpcs') or 'no code'})"
                        for e in note.events
                        if e.get("medication")
                    ]
                    tail = f"; it documents {', '.join(others)}" if others else ""
                    results[line.index].add(
                        "drug_not_documented",
                        f"{code} ({drug}) billed "
                        f"x{_num(line.units)} but the note documents no {drug} "
                        f"administration{tail}",
                    )
                continue
            per_event = [self._event_units(row, e) for e in events]
            if any(units is None for units, _ in per_event):
                doses = ", ".join(f"{_med(e)} {_dose(e)}" for e in events)
                for line in code_lines:
                    results[line.index].add(
                        "drug_units_unverifiable",
                        f"{code} billed "
                        f"x{_num(line.units)} but the documented dose ({doses}) "
                        f"cannot be expressed in {_num(row['amount'])} "
                        f"{row['unit']} units: units not checked",
                    )
                continue
            supported = sum(units for units, _ in per_event)
            how = "; ".join(
                f"{_med(e)} {_dose(e)}: {text}"
                for e, (_, text) in zip(events, per_event, strict=True)
            )
            route_notes = [
                f"documented route {e['route']} is not among {code}'s routes "
                f"({', '.join(row['routes'])})"
                for e in events
                if e.get("route") and e["route"] not in row["routes"]
            ]
            replacement = self._replacement_note(row, events)
            total = sum(ln.units or 0 for ln in code_lines)
            shares = _share([ln.units for ln in code_lines], supported)
            for line, share in zip(code_lines, shares, strict=True):
                res = results[line.index]
                res.supported = share
                res.info += route_notes
                if replacement and "deleted_code" in res.findings:
                    res.findings["deleted_code"][-1] += f": {replacement}"
                if line.units is None:
                    res.info.append(f"{code} units not given: unit check skipped ({how})")
                    continue
                spread = (
                    (
                        f" ({_num(total)} in total on {len(code_lines)} lines; this line's "
                        f"share is x{share})"
                    )
                    if len(code_lines) > 1
                    else ""
                )
                if line.units != share:
                    res.add(
                        "drug_units_mismatch",
                        f"{code} billed x{_num(line.units)} but the "
                        f"documented dose supports {code} x{supported} ({how}){spread}",
                    )
                else:
                    res.info.append(
                        f"{code} x{_num(line.units)} matches the documented dose ({how})"
                    )

    def _event_units(self, row: dict[str, Any], event: dict[str, Any]) -> tuple[int | None, str]:
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

    def _unclassified(self, note, row, lines, events, results) -> None:
        per = int(self.rules.payer["unclassified_units_per_administration"])
        code = row["code"]
        if not events:
            coded = [f"{_med(e)} ({e['hcpcs']})" for e in note.events if e.get("hcpcs")]
            tail = f"; its coded drugs are {', '.join(coded)}" if coded else ""
            for line in lines:
                results[line.index].add(
                    "drug_not_documented",
                    f"{code} (unclassified drug) billed "
                    f"x{_num(line.units)} but the note documents no drug "
                    f"without its own HCPCS code{tail}",
                )
            return
        supported = per * len(events)
        names = ", ".join(_med(e) for e in events)
        shares = _share([ln.units for ln in lines], supported)
        for line, share in zip(lines, shares, strict=True):
            res = results[line.index]
            res.supported = share
            if line.units is None:
                res.info.append(f"{code} units not given: unit check skipped")
            elif line.units != share:
                res.add(
                    "drug_units_mismatch",
                    f"{code} billed x{_num(line.units)} but the note "
                    f"documents {_plural(len(events), 'administration')} of drugs without their "
                    f"own code ({names}), supporting {code} x{supported} ({per} per "
                    f"administration, payer profile {self.rules.payer['name']!r})",
                )
            else:
                res.info.append(f"{code} x{_num(line.units)} matches {names} (no own HCPCS code)")

    # driver ------------------------------------------------------------------------------------
    def run(self, lines: list[ClaimLine]) -> list[dict[str, Any]]:
        results = {ln.index: _Result() for ln in lines}
        by_claim: dict[str, list[ClaimLine]] = {}
        by_note: dict[str, list[ClaimLine]] = {}
        for line in lines:
            self.line_checks(line, results[line.index])
            by_claim.setdefault(line.claim_key, []).append(line)
            note = self.notes.get(line.note_id) if line.note_id else None
            if note is not None and note.status != "error":
                by_note.setdefault(line.note_id, []).append(line)
        for claim_lines in by_claim.values():
            self.claim_checks(claim_lines, results)
        for note_id, note_lines in by_note.items():
            note = self.notes[note_id]
            admin = [ln for ln in note_lines if ln.code == self.admin]
            if admin:
                self.admin_checks(note, admin, results)
            drugs = [ln for ln in note_lines if self.hcpcs.row(ln.code) is not None]
            if drugs:
                self.drug_checks(note, drugs, results)
        return [results[ln.index].row(ln) for ln in lines]


def reconcile_rows(
    notes: Iterable[dict[str, Any]] | dict[str, NoteSummary],
    events: Iterable[dict[str, Any]] | None,
    claims: pd.DataFrame | Iterable[dict[str, Any]],
    rules: ClaimRules,
    id_col: str | None = None,
) -> list[dict[str, Any]]:
    """Check claim lines against the documentation.

    Args:
        notes: note rows (``note_id``, ``status``, ``n_injections``), or ready
            ``{note_id: NoteSummary}`` (then ``events`` is ignored).
        events: event rows (``note_id`` plus ``EVENT_KEYS``).
        claims: claim lines (DataFrame or dicts; columns detected, see ``CLAIM_COLUMNS``).
        rules: ``ClaimRules.load(payer, patterns_dir)``.
        id_col: the claims' note/encounter id column (default: detected).

    Returns:
        One dict per claim line, in input order: the line's fields plus ``supported_units``,
        ``findings`` (sorted) and ``details`` (list of strings).

    Raises:
        ColumnError: the claims have no id, code or units column (or ``id_col`` is absent).
    """
    lines = normalize_claims(claims, rules, id_col)
    if isinstance(notes, dict):
        summaries = notes
    else:
        by_note: dict[str, list[dict[str, Any]]] = {}
        for event in events or []:
            by_note.setdefault(str(event["note_id"]), []).append(event)
        summaries = {}
        for note in notes:
            nid = str(note["note_id"])
            summaries[nid] = summarize_note(note, by_note.get(nid, []))
    return _Reconciler(rules, summaries).run(lines)


def notes_without_claims(note_ids: Iterable[str], claimed_ids: Iterable[str | None]) -> list[str]:
    """Note ids (in the given order) that no claim line refers to."""
    claimed = set(claimed_ids)
    return [n for n in note_ids if n not in claimed]


def summarize(
    rows: list[dict[str, Any]], unclaimed: list[str], with_injections: int
) -> dict[str, Any]:
    """Counts of a reconciliation for ``run.json`` and the terminal summary."""
    findings = Counter(f for r in rows for f in r["findings"])
    return {
        "claim_lines": len(rows),
        "lines_with_findings": sum(1 for r in rows if r["findings"]),
        "findings": dict(sorted(findings.items())),
        "unmatched_claims": findings.get("unmatched_claim", 0),
        "n_notes_without_claims": len(unclaimed),
        "n_notes_with_injections_without_claims": with_injections,
        "notes_without_claims": unclaimed,
    }


def reconcile(
    notes_df: pd.DataFrame,
    events_df: pd.DataFrame,
    claims_df: pd.DataFrame,
    payer: str = "default",
    patterns_dir: str | None = None,
    id_col: str | None = None,
) -> pd.DataFrame:
    """Python API: reconcile claim lines with audited notes.

    Args:
        notes_df, events_df: the two frames ``auditor.audit`` returns (or notes.jsonl and
            events.jsonl read back).
        claims_df: one row per claim line (note/encounter id, code, units; optionally
            modifiers, pos, claim_id, claim_type, date_of_service).
        payer: payer profile of ``patterns/billing/payers.yaml``.
        patterns_dir: rule folder (default: bundled ``patterns/``).
        id_col: the claims' id column (default: detected).

    Returns:
        ``claims_df``'s columns plus ``supported_units``, ``findings``, ``details``, one row per
        claim line in input order. ``result.attrs`` holds ``notes_without_claims`` (list of
        note ids) and ``summary`` (counts, see ``summarize``).

    Raises:
        ColumnError: the claims' id, code or units column cannot be found.
        PatternError: a rule file is invalid or the payer profile is unknown.
    """
    rules = ClaimRules.load(payer, patterns_dir)
    notes = notes_df.to_dict("records")
    events = events_df.to_dict("records") if len(events_df) else []
    rows = reconcile_rows(notes, events, claims_df, rules, id_col)
    columns = [str(c) for c in claims_df.columns]
    out = pd.DataFrame(rows, columns=list(dict.fromkeys(columns + list(OUTPUT_FIELDS))))
    # int or None, as in claims.jsonl (a float column would turn None into NaN)
    out["supported_units"] = pd.Series([r["supported_units"] for r in rows], dtype=object)
    lines = normalize_claims(claims_df, rules, id_col)
    unclaimed = notes_without_claims(
        [str(n["note_id"]) for n in notes], [ln.note_id for ln in lines]
    )
    injected = {str(n["note_id"]) for n in notes if int(json_safe(n.get("n_injections")) or 0) > 0}
    out.attrs["notes_without_claims"] = unclaimed
    out.attrs["summary"] = summarize(rows, unclaimed, sum(1 for n in unclaimed if n in injected))
    return out
