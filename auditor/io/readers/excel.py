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
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ...errors import InputError
from ...records import NoteRecord
from .common import ReadOptions, RecordStream, Row
from .source import Source
from .tabular import table_records

EXCEL_CELL_LIMIT = 32_767  # characters in one cell (Excel specifications and limits)
_ZERO_FORMAT = re.compile(r"0+")
RawRows = Iterator[tuple[int, list[Any], list[str | None]]]  # (sheet row, values, formats)


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


def _rows(raw_rows: RawRows, columns: list[str]) -> Iterator[Row]:
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


# What a workbook library gives the reader: the sheet names, a sheet's raw rows by index,
# and how to close the workbook.
OpenBook = tuple[list[str], Callable[[int], RawRows], Callable[[], None]]


def _read_book(
    stream: RecordStream,
    source: Source,
    options: ReadOptions,
    what: str,
    open_book: Callable[[Path, Source], OpenBook],
) -> Iterator[NoteRecord]:
    """Records of the sheet ``options.sheet`` picks (the first non-empty row is the header)
    of a workbook ``open_book`` opens; ``what`` names the kind of workbook in messages.

    Raises:
        InputError: not a readable workbook (the message names the exception's type only),
            or no such sheet.
        ColumnError: a column cannot be found or chosen.
    """
    with source.local_file() as path:
        try:
            names, sheet_rows, close = open_book(path, source)
        except Exception as exc:  # noqa: BLE001 - zipfile/XML/KeyError, xlrd's several types
            raise InputError(
                f"{source.name}: not a readable {what} ({type(exc).__name__})"
            ) from exc
        try:
            index = _sheet_index(names, options.sheet, source)
            stream.info["sheet"] = names[index]
            raw = sheet_rows(index)
            header = next(((n, v) for n, v, _ in raw if any(x is not None for x in v)), None)
            if header is None:
                stream.columns = []
                return
            columns = _header(header[1])
            yield from table_records(stream, columns, _rows(raw, columns), options)
        finally:
            close()


def read_xlsx(stream: RecordStream, source: Source, options: ReadOptions) -> Iterator[NoteRecord]:
    """Records of an ``.xlsx`` workbook's sheet (openpyxl; see the module docstring).

    Raises:
        InputError: not a readable workbook, or no such sheet.
        ColumnError: a column cannot be found or chosen.
    """
    return _read_book(stream, source, options, "Excel workbook", _open_xlsx)


def read_xls(stream: RecordStream, source: Source, options: ReadOptions) -> Iterator[NoteRecord]:
    """Records of a legacy ``.xls`` workbook's sheet (xlrd; dates as ISO strings).

    Raises:
        InputError: not a readable workbook, or no such sheet.
        ColumnError: a column cannot be found or chosen.
    """
    return _read_book(stream, source, options, ".xls workbook", _open_xls)


def _open_xlsx(path: Path, source: Source) -> OpenBook:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    return book.sheetnames, lambda index: _xlsx_rows(book.worksheets[index], source), book.close


def _xlsx_rows(ws: Any, source: Source) -> RawRows:
    try:
        for number, cells in enumerate(ws.iter_rows(), start=1):
            values = [getattr(c, "value", None) for c in cells]
            formats = [getattr(c, "number_format", None) for c in cells]
            yield number, values, formats
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - damaged sheet XML
        raise InputError(f"{source.name}: the sheet cannot be read ({type(exc).__name__})") from exc


def _open_xls(path: Path, source: Source) -> OpenBook:
    import xlrd

    # xlrd prints format warnings to stdout unless given a log file
    book = xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
    return (
        book.sheet_names(),
        lambda index: _xls_rows(book, book.sheet_by_index(index)),
        book.release_resources,
    )


def _xls_rows(book: Any, ws: Any) -> RawRows:
    """An xlrd sheet's rows: empty cells as None, dates as datetimes, booleans as bools."""
    import xlrd

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
