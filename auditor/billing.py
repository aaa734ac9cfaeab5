"""Drug billing units from documented doses: pure Python, no spaCy.

Reads the drug-to-HCPCS table (``patterns/billing/hcpcs_drugs.yaml``) and answers two
questions about an administration event (a row of ``events.jsonl``):

- which HCPCS drug code bills it (``choose_row``): the in-force rows (``end_date`` null) of the
  event's ``medication``; among several, the row whose ``text_hints`` (salt, ester, brand) occur
  in ``medication_text`` (longest hint wins), else the rows whose ``routes`` include the event's
  route, preferring the one marked ``default`` (methylprednisolone: Depo-Medrol/acetate -> J1010,
  Solu-Medrol/succinate -> J2919, unnamed form -> J1010 for IM);
- how many units its documented dose supports under a code (``units``): the amount is converted
  to the code's unit (g -> mg -> mcg; a volume only through the row's ``concentrations``; another
  unit through ``equivalents``), divided by the code's amount and rounded up to a whole unit, for
  "per" and "up to" codes alike (the vial rule; see the table's description for the source).

Every drug, code, unit and hint comes from the table; this module holds the arithmetic only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any


def _fraction(value: Any) -> Fraction | None:
    """Exact value of a number (via its decimal text, so 0.1 stays 1/10); None if not one."""
    if value is None or isinstance(value, bool):
        return None
    try:
        result = Fraction(str(value))
    except (ValueError, ZeroDivisionError):
        return None
    return result


def _hint_match(hints: list[str | None], text: str) -> int:
    """Length of the longest hint found in ``text`` (a null hint matches with length 0), else -1."""
    best = -1
    for hint in hints:
        if hint is None:
            best = max(best, 0)
        elif hint.lower() in text:
            best = max(best, len(hint))
    return best


@dataclass(frozen=True)
class Conversion:
    """How a documented dose was turned into billing units (for claim-line explanations).

    Attributes:
        units: whole billing units (rounded up), at least 1.
        quantity: the documented amount expressed in ``per_unit``'s unit (exact).
        per_amount, per_unit: the amount one billing unit covers (``per_amount`` ``per_unit``).
        via_concentration: the mL -> amount factor used, as text ("40 mg/mL"), or None.
    """

    units: int
    quantity: Fraction
    per_amount: Fraction
    per_unit: str
    via_concentration: str | None = None

    def explain(self) -> str:
        """Words such as ``1000 mg / 250 mg per unit = 4``."""
        qty = _show(self.quantity)
        per = _show(self.per_amount)
        ratio = self.quantity / self.per_amount
        rounding = "" if ratio.denominator == 1 else ", rounded up"
        via = f" (volume at {self.via_concentration})" if self.via_concentration else ""
        return (
            f"{qty} {self.per_unit}{via} / {per} {self.per_unit} per unit = {self.units}{rounding}"
        )


def _show(value: Fraction) -> str:
    if value.denominator == 1:
        return f"{value.numerator:,}".replace(",", "")
    return f"{float(value):g}"


class HcpcsTable:
    """The drug-to-HCPCS table, indexed.

    Args:
        table: the parsed ``billing/hcpcs_drugs.yaml`` mapping (keys ``units``, ``codes``),
            already validated by ``auditor.patterns``.
    """

    def __init__(self, table: dict[str, Any]) -> None:
        self.version = str(table.get("version"))
        self.unit_dims: dict[str, tuple[str, Fraction]] = {
            name: (spec["dimension"], Fraction(str(spec["factor"])))
            for name, spec in table["units"].items()
        }
        self.rows: dict[str, dict[str, Any]] = {}
        self.by_drug: dict[str, list[dict[str, Any]]] = {}
        for row in table["codes"]:
            code = str(row["code"]).upper()
            self.rows[code] = row
            for drug in [row.get("drug"), *row.get("also_drugs", [])]:
                if drug is not None:
                    self.by_drug.setdefault(drug, []).append(row)

    # --- lookup ----------------------------------------------------------------------------
    def row(self, code: str | None) -> dict[str, Any] | None:
        """The table row of ``code`` (case-insensitive), or None when not listed."""
        return self.rows.get(str(code).strip().upper()) if code else None

    @staticmethod
    def drugs_of(row: dict[str, Any]) -> set[str]:
        """Generics billed under ``row`` (``drug`` plus ``also_drugs``)."""
        return {d for d in [row.get("drug"), *row.get("also_drugs", [])] if d is not None}

    def current(self, code: str) -> dict[str, Any] | None:
        """Follow ``replaced_by`` from ``code`` to the code in force (None if unknown)."""
        row = self.row(code)
        seen: set[str] = set()
        while row is not None and row.get("replaced_by") and row["code"] not in seen:
            seen.add(row["code"])
            row = self.row(row["replaced_by"])
        return row

    def choose_row(
        self, medication: str | None, medication_text: str | None = None, route: str | None = None
    ) -> dict[str, Any] | None:
        """Pick the in-force code of one administration.

        Args:
            medication: the event's lowercase generic (``events.medication``).
            medication_text: the name as written (brand, salt), used for ``text_hints``.
            route: the event's route (IM, SC, IV, ID, other or None).

        Returns:
            The table row, or None when the drug has no in-force code in the table.
        """
        if medication is None:
            return None
        rows = [
            r
            for r in self.by_drug.get(medication, [])
            if r.get("end_date") is None and r["basis"] != "unclassified"
        ]
        if not rows:
            return None
        text = (medication_text or "").lower()
        scored = [(_hint_match(r.get("text_hints", []), text), r) for r in rows]
        best = max(score for score, _ in scored)
        if best > 0:
            return next(r for score, r in scored if score == best)
        fitting = [r for r in rows if route in r["routes"]] if route else []
        pool = fitting or rows
        defaults = [r for r in pool if r.get("default")]
        if defaults:
            return defaults[0]
        if fitting:
            return fitting[0]
        unhinted = [r for r in rows if not r.get("text_hints")]
        return unhinted[0] if unhinted else None

    # --- arithmetic ------------------------------------------------------------------------
    def _to(self, value: Fraction, unit: str, target: str) -> Fraction | None:
        """``value`` ``unit`` expressed in ``target`` (same dimension), else None."""
        if unit not in self.unit_dims or target not in self.unit_dims:
            return None
        dim_from, f_from = self.unit_dims[unit]
        dim_to, f_to = self.unit_dims[target]
        if dim_from != dim_to:
            return None
        return value * f_from / f_to

    def convert(
        self,
        row: dict[str, Any],
        dose_value: Any,
        dose_unit: str | None,
        medication_text: str | None = None,
    ) -> Conversion | None:
        """Units of ``row`` that a documented dose supports, with the arithmetic.

        Args:
            row: a table row with an ``amount`` and ``unit`` (not the unclassified code).
            dose_value, dose_unit: the event's dose (contract units: mg, g, mcg, units, mL, mEq).
            medication_text: the name as written, to find a concentration for a volume.

        Returns:
            A ``Conversion`` (units >= 1), or None when the dose is missing, not positive, or
            cannot be expressed in the row's unit (a volume without a known concentration, a
            unit of another dimension with no ``equivalents``).
        """
        value = _fraction(dose_value)
        if value is None or value <= 0 or not dose_unit or row.get("amount") is None:
            return None
        unit = dose_unit
        via = None
        if (
            self.unit_dims.get(unit, ("", 0))[0] == "volume"
            and self.unit_dims.get(row["unit"], ("",))[0] != "volume"
        ):
            text = (medication_text or "").lower()
            concs = row.get("concentrations", [])
            scored = [(_hint_match([c.get("hint")], text), c) for c in concs]
            scored = [(s, c) for s, c in scored if s >= 0]
            if not scored:
                return None
            _, conc = max(scored, key=lambda sc: sc[0])
            per_ml = self._to(Fraction(1), unit, "mL")
            if per_ml is None:
                return None
            value = value * per_ml * Fraction(str(conc["amount"]))
            unit = conc["unit"]
            via = f"{_show(Fraction(str(conc['amount'])))} {conc['unit']}/mL"
        bases = [(Fraction(str(row["amount"])), row["unit"])] + [
            (Fraction(str(e["amount"])), e["unit"]) for e in row.get("equivalents", [])
        ]
        for per_amount, per_unit in bases:
            quantity = self._to(value, unit, per_unit)
            if quantity is None:
                continue
            units = max(1, math.ceil(quantity / per_amount))
            return Conversion(units, quantity, per_amount, per_unit, via)
        return None

    def units(self, row: dict[str, Any], *dose: Any) -> int | None:
        """Whole billing units of ``row`` for a dose, or None: ``dose`` is ``convert``'s
        ``dose_value, dose_unit[, medication_text]``."""
        conversion = self.convert(row, *dose)
        return conversion.units if conversion else None

    def code_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """The ``hcpcs`` and ``hcpcs_units`` fields of one event.

        Args:
            event: an event row with ``medication``, ``medication_text``, ``route``,
                ``dose_value`` and ``dose_unit``.

        Returns:
            ``{"hcpcs": code or None, "hcpcs_units": int or None}``: null code when the drug
            has no in-force code in the table; null units when there is no code or the dose
            cannot be converted. Computed for every event, eligible or not: the drug supply is
            billed under its code whatever the administration code (96372, 96374, 20610...).
        """
        row = self.choose_row(
            event.get("medication"), event.get("medication_text"), event.get("route")
        )
        if row is None:
            return {"hcpcs": None, "hcpcs_units": None}
        units = self.units(
            row, event.get("dose_value"), event.get("dose_unit"), event.get("medication_text")
        )
        return {"hcpcs": row["code"], "hcpcs_units": units}
