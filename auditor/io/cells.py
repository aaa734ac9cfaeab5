"""Spreadsheet-safe cells (OWASP "CSV Injection"): a text cell starting with ``=``, ``+``,
``-``, ``@``, tab or carriage return would be read by Excel, LibreOffice or Google Sheets
as a formula (``=HYPERLINK(...)`` in a note id exfiltrates data when clicked).

CSV cells get a leading apostrophe, which spreadsheets show as text and never evaluate
(source: OWASP, https://owasp.org/www-community/attacks/CSV_Injection). XLSX cells are
written as string cells (``t="s"``/``inlineStr``), which Excel never evaluates, so their
text is kept as it is.
"""

from __future__ import annotations

import json
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A CSV cell value: a string starting with a formula character gets a leading ``'``;
    lists of strings are joined with ``;`` first, other lists and dicts (``json`` columns:
    offsets, records) are written as JSON; None becomes ``""``; numbers are kept."""
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ";".join(value)
    elif isinstance(value, list | dict):
        value = json.dumps(value, ensure_ascii=False)
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
