"""Excel workbooks: ``.xlsx``/``.xlsm`` with openpyxl (read-only, streamed row by row),
``.xls`` with xlrd.

The first sheet is read, or the one ``--sheet`` names (by name or 1-based number). The
first non-empty row is the header. Ids keep leading zeros: text cells are kept as written,
and a number formatted with zeros (``00000``) is padded to the format's width. A text cell
at or over Excel's 32,767-character cell limit is audited but counted
(``excel_cell_limit``) and named by row in a warning: Excel truncates longer cells, so the
note may be cut. Values are the cells' cached values (formulas are not evaluated).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

from ...errors import InputError
from ...records import NoteRecord
from .common import RecordStream, Row
from .source import Source
from .tabular import table_records

EXCEL_CELL_LIMIT = 32_767  # characters in one cell (Excel specifications and limits)
_ZERO_FORMAT = re.compile(r"0+")


def _sheet_index(names: list[str], sheet: str | None, source: Source) -> int:
    """The 0-based index of the sheet to read.

    Raises:
        InputError: no sheet by that name or number (the message lists the sheets).
    """
    if sheet is None:
        return 0
    if sheet in names:
        return names.index(sheet)
    if sheet.isdigit() and 1 <= int(sheet) <= len(names):
        return int(sheet) - 1
    listing = ", ".join(repr(n) for n in names)
    raise InputError(f"{source.name}: no sheet {sheet!r}; sheets are: {listing}")


def _id_value(value: Any, number_format: str | None) -> Any:
    """A number formatted with zeros (``00000``) as the zero-padded text Excel shows."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if float(value).is_integer() and number_format and _ZERO_FORMAT.fullmatch(number_format):
            return str(int(value)).zfill(len(number_format))
    return value


def _header(cells: list[Any]) -> list[str]:
    """Header cells as column names, trailing empty cells dropped, empty ones named."""
    names = [None if c is None or str(c).strip() == "" else str(c) for c in cells]
    while names and names[-1] is None:
        names.pop()
    return [n if n is not None else f"(unnamed column {i})" for i, n in enumerate(names, 1)]


def _rows(
    raw_rows: Iterator[tuple[int, list[Any], list[str | None]]], columns: list[str]
) -> Iterator[Row]:
    """Data rows from ``(sheet row number, values, number formats)``."""
    width = len(columns)
    row = 0
    for sheet_row, values, formats in raw_rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
            continue  # an empty row is not a record
        row += 1
        where = f"row {row} (sheet row {sheet_row})"
        values = list(values)
        while len(values) > width and (values[-1] is None or values[-1] == ""):
            values.pop()
        if len(values) > width:
            yield Row(
                row,
                where,
                None,
                f"{len(values)} cells where the header has {width}; " "record not read",
            )
            continue
        values += [None] * (width - len(values))
        formats = list(formats) + [None] * (width - len(formats))
        cells = {
            c: _id_value(v, f) for c, v, f in zip(columns, values, formats[:width], strict=True)
        }
        long = any(isinstance(v, str) and len(v) >= EXCEL_CELL_LIMIT for v in values)
        yield Row(row, where, cells, facts={"excel_cell_limit": 1} if long else None)


def read_xlsx(
    stream: RecordStream,
    source: Source,
    id_col: str | None,
    text_col: str | None,
    sheet: str | None = None,
    line_col: str | None = None,
) -> Iterator[NoteRecord]:
    """Records of an ``.xlsx`` workbook's sheet (see the module docstring).

    Raises:
        InputError: not a readable workbook, or no such sheet.
        ColumnError: a column cannot be found or chosen.
    """
    import openpyxl

    with source.local_file() as path:
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # noqa: BLE001 - zipfile/XML/KeyError for broken files
            raise InputError(
                f"{source.name}: not a readable Excel workbook ({type(exc).__name__})"
            ) from exc
        try:
            index = _sheet_index(book.sheetnames, sheet, source)
            ws = book.worksheets[index]
            stream.info["sheet"] = book.sheetnames[index]
            raw = _xlsx_rows(ws, source)
            header = next(((n, v) for n, v, _ in raw if any(x is not None for x in v)), None)
            if header is None:
                stream.columns = []
                return
            columns = _header(header[1])
            yield from table_records(
                stream, columns, _rows(raw, columns), id_col, text_col, line_col
            )
        finally:
            book.close()


def _xlsx_rows(ws: Any, source: Source) -> Iterator[tuple[int, list[Any], list[str | None]]]:
    try:
        for number, cells in enumerate(ws.iter_rows(), start=1):
            values = [getattr(c, "value", None) for c in cells]
            formats = [getattr(c, "number_format", None) for c in cells]
            yield number, values, formats
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged sheet XML
        raise InputError(f"{source.name}: the sheet cannot be read ({type(exc).__name__})") from exc


def read_xls(
    stream: RecordStream,
    source: Source,
    id_col: str | None,
    text_col: str | None,
    sheet: str | None = None,
    line_col: str | None = None,
) -> Iterator[NoteRecord]:
    """Records of a legacy ``.xls`` workbook's sheet (xlrd; dates as ISO strings).

    Raises:
        InputError: not a readable workbook, or no such sheet.
        ColumnError: a column cannot be found or chosen.
    """
    import xlrd

    with source.local_file() as path:
        try:
            # xlrd prints format warnings to stdout unless given a log file
            book = xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
        except Exception as exc:  # noqa: BLE001 - xlrd raises several types
            raise InputError(
                f"{source.name}: not a readable .xls workbook ({type(exc).__name__})"
            ) from exc
        try:
            names = book.sheet_names()
            index = _sheet_index(names, sheet, source)
            ws = book.sheet_by_index(index)
            stream.info["sheet"] = names[index]

            def raw() -> Iterator[tuple[int, list[Any], list[str | None]]]:
                for r in range(ws.nrows):
                    values = []
                    for cell in ws.row(r):
                        value = cell.value
                        if cell.ctype == xlrd.XL_CELL_EMPTY or cell.ctype == xlrd.XL_CELL_BLANK:
                            value = None
                        elif cell.ctype == xlrd.XL_CELL_DATE:
                            value = xlrd.xldate.xldate_as_datetime(value, book.datemode)
                        elif cell.ctype == xlrd.XL_CELL_BOOLEAN:
                            value = bool(value)
                        values.append(value)
                    yield r + 1, values, [None] * len(values)

            rows = raw()
            header = next(((n, v) for n, v, _ in rows if any(x is not None for x in v)), None)
            if header is None:
                stream.columns = []
                return
            columns = _header(header[1])
            yield from table_records(
                stream, columns, _rows(rows, columns), id_col, text_col, line_col
            )
        finally:
            book.release_resources()


def count_xlsx_rows(path: str, sheet: str | None) -> int | None:
    """Rows below the header by the sheet's stored dimensions (None when not stored)."""
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True)
        names = book.sheetnames
        ws = book[names[int(sheet) - 1] if sheet and sheet.isdigit() else (sheet or names[0])]
        n = ws.max_row
        book.close()
    except Exception:  # noqa: BLE001 - a count is optional
        return None
    return None if not n else max(n - 1, 0)
