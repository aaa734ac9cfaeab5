"""The output contract in one place: columns, their types, and JSON-safe values.

Section 5 of the audit spec (``../shared/spec/96372-audit-spec.md``) defines the rows the
product writes. This module is the only place that lists their columns; every other module
(records, the core, the batch unit, the engines' Arrow and Spark schemas, the writers, the
HTML report, evaluation, the CLI) takes them from here.

Column kinds (``COLUMN_TYPES``), and what each becomes:

=========  ======================  ==============  ===============  ========================
kind       JSON row                pandas dtype    Arrow type       Spark type
=========  ======================  ==============  ===============  ========================
``str``    string or null          object          string           StringType
``int``    integer, never null     int64           int64            LongType
``count``  integer or null         float64 (NaN)   int64            LongType
``number`` number or null (an      float64 (NaN)   float64          DoubleType
           integral value as int)
``bool``   true/false              bool            bool             BooleanType
``list``   list of strings         object          list<string>     ArrayType(StringType)
``json``   JSON object or list     object (JSON    string (JSON     StringType (JSON text)
           (offsets, records)      text)           text)
=========  ======================  ==============  ===============  ========================

Values: ``json_safe`` turns any cell (numpy scalars and arrays, NaN, pandas NA/NaT, dates)
into what JSON holds; ``json_row`` applies a row's column kinds on top (lists of strings,
integral ``count``/``number`` values back to ``int``, ``json`` text parsed), so rows that went
through a DataFrame, Arrow or Spark come out exactly as the local run writes them.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from typing import Any

import pandas as pd

# --- columns ---------------------------------------------------------------------------------
NOTE_TYPES: dict[str, str] = {
    "note_id": "str",
    "status": "str",
    "n_injections": "int",
    "missing": "list",
    "flags": "list",
    "advisories": "list",
    "error": "str",
    "setting": "str",  # contract version 2, section 2b: one of SETTINGS or null
    # the mentions that raised the not_administered flag: [{medication, start, end,
    # decided_by}] (auditor.extraction.event.NotGiven; offsets into the note text)
    "not_administered": "json",
}
EVENT_TYPES: dict[str, str] = {
    "note_id": "str",
    "event_id": "int",
    "medication": "str",
    "medication_text": "str",
    "route": "str",
    "dose_value": "number",
    "dose_unit": "str",
    "site": "str",
    "laterality": "str",
    "indication": "str",
    "response": "str",
    "provider": "str",
    "evidence": "str",
    "eligible": "bool",
    "missing": "list",
    "flags": "list",
    "advisories": "list",
    "start": "int",
    "end": "int",
    "hcpcs": "str",
    "hcpcs_units": "count",
    # element -> [start, end] character offsets of the words it was read from
    "spans": "json",
    # the rule that decided the anchor was given now (auditor.extraction.given)
    "decided_by": "str",
}
# columns reconciliation adds to each claim line (after the line's own columns)
CLAIM_OUTPUT_TYPES: dict[str, str] = {
    "supported_units": "count",
    "findings": "list",
    "details": "list",
}
ROW_COLUMN = "row"  # 1-based input row number, carried by engines that do not keep order

NOTE_COLUMNS: list[str] = list(NOTE_TYPES)
EVENT_COLUMNS: list[str] = list(EVENT_TYPES)
CLAIM_OUTPUT_COLUMNS: list[str] = list(CLAIM_OUTPUT_TYPES)
# event columns claim reconciliation keeps per claimed note (``auditor.claims``)
RECONCILED_EVENT_COLUMNS = (
    "medication",
    "medication_text",
    "route",
    "dose_value",
    "dose_unit",
    "eligible",
    "flags",
    "hcpcs",
    "hcpcs_units",
)
# event columns holding text copied from the note (dropped by --redact)
EVIDENCE_FIELDS = ("medication_text", "indication", "response", "provider", "evidence")

# note statuses, in the order reports list them (spec section 4)
STATUSES = ("gaps", "compliant", "excluded", "no_injection", "error")
SETTINGS = ("outpatient", "emergency", "inpatient")  # contract section 2b; or null
# note columns that gold files state and ``auditor evaluate`` scores
SCORED_NOTE_COLUMNS = ("status", "n_injections", "missing", "flags", "advisories")

KINDS = ("str", "int", "count", "number", "bool", "list", "json")
COLUMN_TYPES: dict[str, str] = {
    ROW_COLUMN: "int",
    **NOTE_TYPES,
    **EVENT_TYPES,
    **CLAIM_OUTPUT_TYPES,
}
LIST_COLUMNS = tuple(c for c, kind in COLUMN_TYPES.items() if kind == "list")

_PANDAS = {
    "str": "object",
    "int": "int64",
    "count": "float64",
    "number": "float64",
    "bool": "bool",
    "list": "object",
    "json": "object",
}


def column_type(name: str, extra: Mapping[str, str] | None = None) -> str:
    """The kind of column ``name`` (see the module table); ``extra`` adds engine-internal
    columns. Raises ``KeyError`` for a column the contract does not know."""
    if extra and name in extra:
        return extra[name]
    return COLUMN_TYPES[name]


def pandas_dtypes(columns: Iterable[str]) -> dict[str, str]:
    """``{column: pandas dtype}`` for ``DataFrame.astype``."""
    return {c: _PANDAS[column_type(c)] for c in columns}


def arrow_schema(columns: Iterable[str], extra: Mapping[str, str] | None = None) -> Any:
    """A ``pyarrow.Schema`` for ``columns`` (needs pyarrow, the ``dask`` extra)."""
    import pyarrow as pa

    types = {
        "str": pa.string(),
        "int": pa.int64(),
        "count": pa.int64(),
        "number": pa.float64(),
        "bool": pa.bool_(),
        "list": pa.list_(pa.string()),
        "json": pa.string(),
    }
    return pa.schema([(c, types[column_type(c, extra)]) for c in columns])


def spark_schema(columns: Iterable[str], extra: Mapping[str, str] | None = None) -> Any:
    """A nullable ``pyspark.sql.types.StructType`` for ``columns`` (the ``spark`` extra)."""
    from pyspark.sql.types import (
        ArrayType,
        BooleanType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    types = {
        "str": StringType(),
        "int": LongType(),
        "count": LongType(),
        "number": DoubleType(),
        "bool": BooleanType(),
        "list": ArrayType(StringType()),
        "json": StringType(),
    }
    return StructType([StructField(c, types[column_type(c, extra)], True) for c in columns])


# --- values ----------------------------------------------------------------------------------
def is_missing(value: Any) -> bool:
    """True for None, a float NaN, pandas' NA and NaT (the cell holds nothing)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def int_or_none(value: Any) -> int | None:
    """``int(value)``, or None for a missing value, a bool or anything ``int`` refuses
    (event offsets and ids read back from JSON, CSV or a DataFrame)."""
    if is_missing(value) or isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def json_safe(value: Any) -> Any:
    """A cell value as JSON can hold it.

    None, NaN, pandas NA/NaT -> None; numpy scalars -> Python scalars; numpy arrays and
    tuples -> lists (converted item by item); dates and timestamps -> ISO text. Anything
    else is returned unchanged.
    """
    if is_missing(value):
        return None
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "tolist") and not isinstance(value, str | bytes):
        return json_safe(value.tolist())
    return value


def json_value(value: Any, kind: str) -> Any:
    """``json_safe(value)`` for a column of ``kind``: ``list`` -> list of strings ([] for
    null); an integral ``count``/``number`` -> ``int`` (as ``auditor.doses`` and
    ``auditor.billing`` write them); ``json`` text -> the value it holds."""
    value = json_safe(value)
    if kind == "json" and isinstance(value, str):
        return json.loads(value)
    if kind == "list":
        return [] if value is None else [str(v) for v in value]
    if kind in ("count", "number") and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def json_row(row: Mapping[str, Any], columns: Iterable[str]) -> dict[str, Any]:
    """The JSON-ready dict of ``row`` with keys ``columns`` in that order."""
    return {c: json_value(row.get(c), column_type(c)) for c in columns}


def frame_rows(frame: pd.DataFrame, columns: list[str]) -> Iterator[dict[str, Any]]:
    """Rows of a notes, events or claims frame as JSON-ready dicts (``columns`` order).

    Undoes what frames, Arrow and Spark do to values (see ``json_value``), so a report
    written from frames matches a local report line for line.
    """
    kinds = [column_type(c) for c in columns]
    for row in frame[columns].itertuples(index=False, name=None):
        yield {c: json_value(v, k) for c, v, k in zip(columns, row, kinds, strict=True)}


# --- frames ----------------------------------------------------------------------------------
def frames_from_rows(
    note_rows: list[dict[str, Any]],
    event_rows: list[dict[str, Any]],
    note_row_numbers: list[int] | None = None,
    event_row_numbers: list[int] | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Build ``(notes_df, events_df)`` with the contract's columns and dtypes.

    Args:
        note_rows, event_rows: dicts from ``core.audit_one`` (``NOTE_COLUMNS``,
            ``EVENT_COLUMNS``).
        note_row_numbers, event_row_numbers: when given, a leading ``row`` column
            (int64, 1-based input row of the note) is added to each frame.

    Returns:
        frames with the dtypes of ``pandas_dtypes`` (module table): missing ``count`` and
        ``number`` values are NaN, ``list`` and ``str`` columns hold Python objects,
        ``json`` columns JSON text (so that Arrow and Spark take them as strings).
    """
    notes = pd.DataFrame(note_rows, columns=NOTE_COLUMNS)
    events = pd.DataFrame(event_rows, columns=EVENT_COLUMNS)
    for column in EVENT_COLUMNS:
        if column_type(column) in ("count", "number"):
            events[column] = pd.to_numeric(events[column], errors="coerce")
    for frame in (notes, events):
        for column in frame.columns:
            if column_type(column) == "json":
                frame[column] = [_json_text(v) for v in frame[column]]
    notes = notes.astype(pandas_dtypes(NOTE_COLUMNS))
    events = events.astype(pandas_dtypes(EVENT_COLUMNS))
    if note_row_numbers is not None:
        notes.insert(0, ROW_COLUMN, pd.Series(note_row_numbers, dtype="int64"))
    if event_row_numbers is not None:
        events.insert(0, ROW_COLUMN, pd.Series(event_row_numbers, dtype="int64"))
    return notes, events


def _json_text(value: Any) -> str | None:
    """A ``json`` cell as JSON text (None stays None; text is assumed to be JSON already)."""
    value = json_safe(value)
    if value is None or isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def empty_frames(with_row: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Zero-row ``(notes_df, events_df)`` with the contract dtypes (engine ``meta``)."""
    return frames_from_rows([], [], [] if with_row else None, [] if with_row else None)


def note_row(**values: Any) -> dict[str, Any]:
    """A note row in ``NOTE_COLUMNS`` order: list and json columns default to ``[]``,
    ``n_injections`` to 0, other columns to None."""
    row = {c: [] if NOTE_TYPES[c] in ("list", "json") else None for c in NOTE_COLUMNS}
    row["n_injections"] = 0
    unknown = set(values) - set(NOTE_COLUMNS)
    if unknown:
        raise KeyError(f"not note columns: {sorted(unknown)}")
    row.update(values)
    return row


def error_note(note_id: str, message: str) -> dict[str, Any]:
    """The note row of a record that could not be audited (status ``error``)."""
    return note_row(note_id=note_id, status="error", error=message)
