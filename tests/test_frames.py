"""The output contract module: one column table, schemas derived from it, JSON-safe values,
and no other module spelling out a column list or importing a module that imports it."""

from __future__ import annotations

import ast
import datetime as dt
import graphlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from auditor import frames
from auditor.frames import (
    CLAIM_OUTPUT_COLUMNS,
    EVENT_COLUMNS,
    NOTE_COLUMNS,
    ROW_COLUMN,
    error_note,
    frame_rows,
    frames_from_rows,
    json_row,
    json_safe,
    note_row,
    pandas_dtypes,
)

PACKAGE = Path(frames.__file__).parent


def test_columns_in_contract_order():
    assert NOTE_COLUMNS == [
        "note_id", "status", "n_injections", "missing", "flags", "advisories", "error", "setting",
        "not_administered",
    ]  # fmt: skip
    assert EVENT_COLUMNS[:3] == ["note_id", "event_id", "medication"]
    assert EVENT_COLUMNS[-4:] == ["hcpcs", "hcpcs_units", "spans", "decided_by"]
    assert len(EVENT_COLUMNS) == 23
    assert CLAIM_OUTPUT_COLUMNS == ["supported_units", "findings", "details"]


def test_pandas_dtypes_from_the_table():
    notes, events = frames_from_rows([], [], [], [])
    assert list(notes.columns) == [ROW_COLUMN, *NOTE_COLUMNS]
    assert str(notes["n_injections"].dtype) == "int64"
    assert str(notes["setting"].dtype) == "object"
    assert {c: str(events[c].dtype) for c in ("event_id", "dose_value", "hcpcs_units")} == {
        "event_id": "int64",
        "dose_value": "float64",
        "hcpcs_units": "float64",
    }
    assert str(events["eligible"].dtype) == "bool"
    assert pandas_dtypes(["start", "flags"]) == {"start": "int64", "flags": "object"}


def test_arrow_schema_from_the_table():
    pa = pytest.importorskip("pyarrow")
    schema = frames.arrow_schema(EVENT_COLUMNS)
    assert schema.names == EVENT_COLUMNS
    assert schema.field("hcpcs_units").type == pa.int64()
    assert schema.field("dose_value").type == pa.float64()
    assert schema.field("flags").type == pa.list_(pa.string())
    assert frames.arrow_schema(NOTE_COLUMNS).field("setting").type == pa.string()


def test_spark_schema_from_the_table():
    types = pytest.importorskip("pyspark.sql.types")
    schema = frames.spark_schema([ROW_COLUMN, "kind", "dose_value"], extra={"kind": "str"})
    assert [f.name for f in schema.fields] == ["row", "kind", "dose_value"]
    assert [type(f.dataType) for f in schema.fields] == [
        types.LongType,
        types.StringType,
        types.DoubleType,
    ]


def test_json_columns_travel_as_text_and_come_back_as_values():
    spans = {"medication": [0, 7], "dose": [8, 13]}
    mentions = [{"medication": "ketorolac", "start": 8, "end": 15, "decided_by": "x"}]
    notes, events = frames_from_rows(
        [note_row(note_id="1", status="gaps", not_administered=mentions)],
        [{"note_id": "1", "event_id": 1, "start": 0, "end": 7, "eligible": True, "spans": spans}],
    )
    assert notes["not_administered"].tolist() == [json.dumps(mentions)]
    assert events["spans"].tolist() == [json.dumps(spans)]
    (note,) = frame_rows(notes, NOTE_COLUMNS)
    (event,) = frame_rows(events, EVENT_COLUMNS)
    assert note["not_administered"] == mentions
    assert event["spans"] == spans
    assert json_row({"spans": spans}, ["spans"]) == {"spans": spans}
    assert note_row(note_id="2")["not_administered"] == []
    assert frames.arrow_schema(["spans"]).field("spans").type == __import__("pyarrow").string()


def test_unknown_column_is_refused():
    with pytest.raises(KeyError):
        frames.pandas_dtypes(["no_such_column"])
    with pytest.raises(KeyError):
        note_row(no_such_column=1)


def test_json_safe_values():
    assert json_safe(float("nan")) is None
    assert json_safe(pd.NA) is None
    assert json_safe(pd.NaT) is None
    assert json_safe(np.int64(3)) == 3 and type(json_safe(np.int64(3))) is int
    assert json_safe(np.array(["a", "b"])) == ["a", "b"]
    assert json_safe((1, float("nan"))) == [1, None]
    assert json_safe(dt.date(2024, 3, 1)) == "2024-03-01"
    assert json_safe(pd.Timestamp("2024-03-01 10:00")) == "2024-03-01T10:00:00"
    assert json_safe("text") == "text"


def test_rows_round_trip_through_a_frame():
    note = note_row(note_id="a", status="gaps", n_injections=1, missing=["site"])
    event = {c: None for c in EVENT_COLUMNS} | {
        "note_id": "a",
        "event_id": 1,
        "dose_value": 60,
        "eligible": True,
        "missing": ["site"],
        "flags": [],
        "advisories": [],
        "start": 3,
        "end": 9,
        "hcpcs_units": None,
    }
    notes, events = frames_from_rows([note], [event])
    assert next(frame_rows(notes, NOTE_COLUMNS)) == note
    got = next(frame_rows(events, EVENT_COLUMNS))
    assert got == event and type(got["dose_value"]) is int
    assert json_row({"dose_value": 2.5, "findings": None}, ["dose_value", "findings"]) == {
        "dose_value": 2.5,
        "findings": [],
    }


def test_error_note():
    assert error_note("x", "row 3: missing text") == {
        "note_id": "x",
        "status": "error",
        "n_injections": 0,
        "missing": [],
        "flags": [],
        "advisories": [],
        "error": "row 3: missing text",
        "setting": None,
        "not_administered": [],
    }
    event = {"event_id": 1, "eligible": False, "start": 0, "end": 1, "hcpcs_units": None}
    assert math.isnan(frames_from_rows([], [event])[1]["hcpcs_units"][0])


def _modules() -> dict[str, ast.Module]:
    out = {}
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE.parent).with_suffix("")
        name = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        out[name] = ast.parse(path.read_text(encoding="utf-8"))
    return out


def test_no_other_module_spells_out_a_column_list():
    """A literal list/tuple/set holding three or more of the contract's structural columns
    (not the extracted attributes, which the extraction names) is a copy of the contract;
    only ``auditor.frames`` may hold one."""
    contract = {"status", "n_injections", "missing", "flags", "advisories", "setting"}
    contract |= {"event_id", "eligible", "start", "end", "hcpcs", "hcpcs_units"}
    contract |= set(CLAIM_OUTPUT_COLUMNS)
    offenders = []
    for name, tree in _modules().items():
        if name == "auditor.frames":
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.List | ast.Tuple | ast.Set):
                words = {e.value for e in node.elts if isinstance(e, ast.Constant)}
                if len(words & contract) >= 3:
                    offenders.append(f"{name}:{node.lineno}")
    assert offenders == []


def _imports(name: str, tree: ast.Module, known: set[str]) -> set[str]:
    """Package modules imported anywhere in ``tree`` (lazy imports included)."""
    package = name if name in known and any(k.startswith(name + ".") for k in known) else None
    base = (package or name.rsplit(".", 1)[0]).split(".")
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                parts = base[: len(base) - node.level + 1]
                stem = ".".join(parts + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            for alias in node.names:
                for cand in (f"{stem}.{alias.name}", stem):
                    if cand in known:
                        found.add(cand)
                        break
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name in known}
    found.discard(name)
    return found


def test_no_import_cycles():
    """No module of the package imports another that imports it back, directly or through
    others. Lazy imports (inside functions) count, and so does a package's ``__init__``: a
    submodule importing its package while the package imports it is a cycle."""
    modules = _modules()
    known = set(modules)
    graph = {n: _imports(n, t, known) for n, t in modules.items()}
    # the walk sees lazy imports, relative imports and a package's own submodules
    assert "auditor.engines.dask_engine" in graph["auditor.engines"]  # lazy, in a function
    assert "auditor.engines.partition" in graph["auditor.engines.dask_engine"]
    assert "auditor" in graph["auditor.run"]  # from . import __version__
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        pytest.fail(f"import cycle: {' -> '.join(exc.args[1])}")


def test_int_or_none():
    assert [frames.int_or_none(v) for v in (3, 3.0, "4", None, float("nan"), pd.NA, True)] == [
        3,
        3,
        4,
        None,
        None,
        None,
        None,
    ]
    assert frames.int_or_none(float("inf")) is None and frames.int_or_none("x") is None
