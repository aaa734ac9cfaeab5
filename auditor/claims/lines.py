"""Claim lines: column detection and the normalised ``ClaimLine`` (pure Python, no spaCy).

A claims table holds one row per billed line with a note or encounter id, a CPT/HCPCS code,
units and, optionally, modifiers, place of service, claim id, claim type and date of service
(column names are detected, see ``CLAIM_COLUMNS``). Reading never guesses: a cell that does
not hold what its column needs is kept as written in the line's fields and named by a
finding (``auditor.claims.checks``: ``invalid_units``, ``reversal``, ``missing_code``,
``invalid_code``, ``invalid_date``, ``malformed_line``), never silently dropped or shifted.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pandas as pd

from ..errors import ColumnError
from ..frames import is_missing, json_safe
from .rules import ClaimRules

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
# ``DataFrame.attrs`` key of ``io.claims_io.read_claims``: {row index: why its fields
# cannot be matched to the columns}
MALFORMED_ATTR = "malformed_rows"
_NUMBERED_MODIFIER = re.compile(r"^(?:modifier|mod)_?\d$")
_SPLIT_MODIFIERS = re.compile(r"[\s,;|/+]+")
# a plain decimal number: no exponent, hex, underscores, inf or nan
_DECIMAL = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")


@dataclass
class ClaimLine:
    """One normalised claim line.

    Attributes:
        index: 0-based input position.
        fields: the line's own fields (JSON-safe values), in input column order.
        note_id: the note/encounter id (None when blank).
        claim_key: the claim the line belongs to (claim id, else the note id).
        code: upper-case code ("" when blank).
        units: billed units (int when integral; negative for a reversal), None when the cell
            is blank or not a finite decimal number (then ``units_text`` is set).
        units_text: the units cell as written when it is not a number, else None.
        modifiers: upper-case modifiers; pos: place of service ("11", "22", ...) or None;
        claim_type: lower-case claim type; dos: date of service or None.
        dos_text: the date cell as written when it is not a date, else None.
        malformed: why the row's fields cannot be matched to the columns (a ragged CSV
            row), else None; a malformed line gets that finding and no other check.
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
    units_text: str | None = None
    dos_text: str | None = None
    malformed: str | None = None

    @property
    def counted_units(self) -> float | int | None:
        """Units that take part in unit checks: None for blank, invalid or negative units."""
        return self.units if self.units is not None and self.units >= 0 else None


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


def is_blank(value: Any) -> bool:
    """True for a missing cell (None, NaN, NA, NaT) or a white-space string."""
    if is_missing(value):
        return True
    return isinstance(value, str) and not value.strip()


def cell_text(value: Any) -> str | None:
    """A cell as stripped text (an integral float without ``.0``); None when blank."""
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(json_safe(value)).strip()


def parse_units(value: Any) -> tuple[float | int | None, str | None]:
    """``(units, text)``: units as a number (int when integral, negative kept), or None
    with ``text`` the cell as written when it is not a finite plain decimal number
    (``abc``, ``nan``, ``0x10``, ``inf``, ``1e400``, ``true``). Both None for a blank cell."""
    if is_blank(value):
        return None, None
    value = json_safe(value)  # numpy scalars -> Python
    if isinstance(value, bool):
        return None, str(value)
    if isinstance(value, int):
        return value, None
    if isinstance(value, float):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        if not _DECIMAL.match(text):
            return None, text
        number = float(text)
    else:
        return None, str(value)
    if not math.isfinite(number):
        return None, str(value).strip()
    return (int(number) if number.is_integer() else number), None


def parse_date(value: Any) -> tuple[date | None, str | None]:
    """``(date, text)``: the date of service (a ``datetime``/``Timestamp`` gives its date),
    or None with ``text`` the cell as written when it is not a date. Both None when blank."""
    if is_blank(value):
        return None, None
    if isinstance(value, datetime):  # pandas Timestamp included
        return value.date(), None
    if isinstance(value, date):
        return value, None
    stamp = pd.to_datetime(str(value), errors="coerce")
    if pd.isna(stamp):
        return None, str(value).strip()
    return stamp.date(), None


def _modifiers(row: Mapping[str, Any], columns: dict[str, Any]) -> list[str]:
    raw: list[Any] = []
    if columns["modifiers"] is not None:
        value = row.get(columns["modifiers"])
        if isinstance(value, list | tuple) or hasattr(value, "tolist"):
            raw += list(value.tolist() if hasattr(value, "tolist") else value)
        elif not is_blank(value):
            raw += _SPLIT_MODIFIERS.split(str(cell_text(value)))
    raw += [row.get(c) for c in columns["modifier_columns"]]
    mods = [str(cell_text(m)).upper() for m in raw if cell_text(m)]
    return list(dict.fromkeys(mods))


def normalize_claims(
    claims: pd.DataFrame | Iterable[dict[str, Any]],
    rules: ClaimRules,
    id_col: str | None = None,
) -> list[ClaimLine]:
    """Turn claim rows into ``ClaimLine``s (input order kept).

    Args:
        claims: a DataFrame or an iterable of dicts (one per claim line). A DataFrame from
            ``io.claims_io.read_claims`` names its ragged rows in ``attrs[MALFORMED_ATTR]``.
        rules: the loaded rules (for the payer's default claim type).
        id_col: the note/encounter id column (default: detected).

    Raises:
        ColumnError: see ``detect_claim_columns``.
    """
    malformed: dict[int, str] = {}
    if isinstance(claims, pd.DataFrame):
        columns = [str(c) for c in claims.columns]
        malformed = dict(claims.attrs.get(MALFORMED_ATTR, {}))
        rows = claims.rename(columns=str).to_dict("records")
    else:
        rows = [dict(r) for r in claims]
        columns = list(dict.fromkeys(k for r in rows for k in r))
    cols = detect_claim_columns(columns, id_col)
    default_claim_type = str(rules.payer["default_claim_type"])
    lines = []
    for i, row in enumerate(rows):
        note_id = cell_text(row.get(cols["note_id"]))
        claim_id = cell_text(row.get(cols["claim_id"])) if cols["claim_id"] else None
        pos = cell_text(row.get(cols["pos"])) if cols["pos"] else None
        if pos is not None and pos.isdigit():
            pos = pos.zfill(2)
        claim_type = cell_text(row.get(cols["claim_type"])) if cols["claim_type"] else None
        units, units_text = parse_units(row.get(cols["units"]))
        dos, dos_text = (
            parse_date(row.get(cols["date_of_service"]))
            if cols["date_of_service"]
            else (None, None)
        )
        lines.append(
            ClaimLine(
                index=i,
                fields={c: json_safe(row.get(c)) for c in columns},
                note_id=note_id,
                claim_key=f"claim:{claim_id}" if claim_id else f"note:{note_id}",
                code=(cell_text(row.get(cols["code"])) or "").upper(),
                units=units,
                modifiers=_modifiers(row, cols),
                pos=pos,
                claim_type=(claim_type or default_claim_type).lower(),
                dos=dos,
                units_text=units_text,
                dos_text=dos_text,
                malformed=malformed.get(i),
            )
        )
    return lines
