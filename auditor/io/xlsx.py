"""``report.xlsx``: the report as a workbook, what an auditor opens first.

Sheets: ``summary`` (counts from ``run.json``), ``notes`` and ``events`` (the contract's
columns, as in the CSV copies), and ``claims`` when claims were reconciled. Each data
sheet has a bold frozen header row, an auto-filter over its rows and column widths fitted
to the first rows. Lists are joined with ``; ``. Text cells are string cells, so a value
such as ``=HYPERLINK(...)`` is shown as text and never evaluated (``cells``); a text over
Excel's 32,767-character cell limit is cut with a mark saying how much was cut; control
characters Excel cannot hold become spaces; a sheet past Excel's 1,048,576 rows continues
on ``notes (2)``, ... Written with openpyxl in write-only mode (rows streamed from the
JSONL files, memory flat), to ``report.xlsx.part`` and renamed when complete.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..frames import EVENT_COLUMNS, NOTE_COLUMNS

EXCEL_CELL_LIMIT = 32_767
EXCEL_ROWS = 1_048_576
WIDTH_SAMPLE = 200  # rows read to fit column widths
MAX_WIDTH = 60


def cell_text(value: Any) -> Any:
    """A value as an Excel cell: lists of strings joined with ``; ``, other lists and dicts
    as JSON, text cut at the cell limit with a mark, characters Excel refuses as spaces;
    numbers kept."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = "; ".join(value)
    elif isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if not isinstance(value, str):
        return value
    value = ILLEGAL_CHARACTERS_RE.sub(" ", value)
    if len(value) > EXCEL_CELL_LIMIT:
        cut = len(value) - EXCEL_CELL_LIMIT
        mark = f" [... cut at Excel's cell limit: {cut + 60:,} more characters]"
        value = value[: EXCEL_CELL_LIMIT - len(mark)] + mark
    return value


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _cell(ws: Any, value: Any, font: Any = None) -> Any:
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, value=cell_text(value))
    if isinstance(cell.value, str):
        cell.data_type = "s"  # never a formula, whatever the text starts with
    if font is not None:
        cell.font = font
    return cell


def _value(ws: Any, value: Any) -> Any:
    """A data cell: the plain value (fast), or a string cell for text openpyxl would
    otherwise store as a formula (it does so for any text starting with ``=``)."""
    value = cell_text(value)
    if isinstance(value, str) and value.startswith("="):
        return _cell(ws, value)
    return value


def _sheet(
    book: Any, name: str, columns: list[str], rows: Iterator[dict[str, Any]], n: int
) -> None:
    """Data sheets named ``name``, ``name (2)``, ... with header, filter, frozen row."""
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    bold = Font(bold=True)
    sample: list[dict[str, Any]] = []
    for row in rows:
        sample.append(row)
        if len(sample) >= WIDTH_SAMPLE:
            break
    widths = [len(c) + 2 for c in columns]
    for row in sample:
        for i, c in enumerate(columns):
            text = cell_text(row.get(c))
            widths[i] = max(widths[i], min(len(str("" if text is None else text)) + 2, MAX_WIDTH))
    per_sheet = EXCEL_ROWS - 1
    pages = max(1, -(-n // per_sheet))
    stream = _chain(sample, rows)
    last = get_column_letter(max(len(columns), 1))
    for page in range(pages):
        ws = book.create_sheet(name if page == 0 else f"{name} ({page + 1})")
        ws.freeze_panes = "A2"
        count = min(per_sheet, n - page * per_sheet) if n else 0
        ws.auto_filter.ref = f"A1:{last}{count + 1}"
        for i, width in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        ws.append([_cell(ws, c, bold) for c in columns])
        for _ in range(count):
            row = next(stream, None)
            if row is None:
                break
            ws.append([_value(ws, row.get(c)) for c in columns])


def _chain(first: list[dict[str, Any]], rest: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    yield from first
    yield from rest


def _summary_rows(run: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [
        ("product", f"{run.get('product', 'auditor')} {run.get('version', '')}".strip()),
        ("input", run.get("input")),
        ("notes", run.get("notes")),
        ("events", run.get("events")),
    ]
    rows += [(f"status: {k}", v) for k, v in (run.get("status") or {}).items()]
    rows += [(f"missing: {k}", v) for k, v in (run.get("missing") or {}).items()]
    rows += [(f"flag: {k}", v) for k, v in (run.get("flags") or {}).items()]
    rows += [(f"medication: {k}", v) for k, v in (run.get("medications") or {}).items()]
    for key in (
        "records_read",
        "duplicate_ids",
        "windows_1252",
        "rtf_converted",
        "html_converted",
        "excel_cell_limit",
        "versions_folded",
        "line_order",
    ):
        if key in run:
            rows.append((key, run[key]))
    if run.get("reading"):
        rows.append(("reading", run["reading"]))
    if run.get("claims"):
        rows.append(("claims", run["claims"]))
    rows += [("redacted", run.get("redacted")), ("patterns_sha256", run.get("patterns_sha256"))]
    return rows


def write_xlsx(folder: Path, summary: dict[str, Any] | None = None) -> Path:
    """Write ``folder/report.xlsx`` from the folder's ``notes.jsonl``, ``events.jsonl``,
    ``claims.jsonl`` (when present) and ``run.json``.

    Args:
        folder: a finished report folder.
        summary: the writer's counts (``notes``, ``events``), else read from ``run.json``.

    Returns:
        the workbook's path.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    run_path = folder / "run.json"
    run = json.loads(run_path.read_text(encoding="utf-8")) if run_path.exists() else {}
    run = {**run, **(summary or {})}
    book = Workbook(write_only=True)
    ws = book.create_sheet("summary")
    ws.column_dimensions["A"].width = 34
    ws.column_dimensions["B"].width = 60
    ws.append([_cell(ws, "measure", Font(bold=True)), _cell(ws, "value", Font(bold=True))])
    for key, value in _summary_rows(run):
        ws.append([_cell(ws, key), _cell(ws, value)])
    n_notes = int(run.get("notes") or 0)
    n_events = int(run.get("events") or 0)
    _sheet(book, "notes", NOTE_COLUMNS, _jsonl(folder / "notes.jsonl"), n_notes)
    _sheet(book, "events", EVENT_COLUMNS, _jsonl(folder / "events.jsonl"), n_events)
    claims = folder / "claims.jsonl"
    if claims.exists():
        with open(claims, encoding="utf-8") as handle:
            n_claims = sum(1 for line in handle if line.strip())
        first = next(_jsonl(claims), {})
        _sheet(book, "claims", list(first), _jsonl(claims), n_claims)
    part = folder / "report.xlsx.part"
    book.save(part)
    os.replace(part, folder / "report.xlsx")
    return folder / "report.xlsx"
