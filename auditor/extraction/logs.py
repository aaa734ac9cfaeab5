"""Structured administration logs: the state written on a log line, and a patient's own log.

EHR audit trails, barcode (BCMA) scan logs and MAR histories give each line an action or a
status: "ACTION: Order verified", "Status: Not Given - Held", "ACTION: CANCELLED", a table's
``Status`` column. The line's words are split into several sentences by the sentencizer (a
field label starts one), so ConText cannot carry the state to the drug of its line; this
module does, as plain data, before the "given now?" decision:

- ``log_states``: a line whose state field (``words.log_state_fields`` then a colon or an
  equals sign: "ACTION:", "Status:", "Admin status:"; or, in a pipe table, the cell under a
  header cell so named) opens with a state of ``words.log_not_given_states`` (not given, held,
  cancelled, refused, wasted, removed, ...) gives each of its mentions the modifiers of
  ``modifiers.log_not_given`` (a dose documented as not given: contract section 1,
  ``not_administered`` when no event of the drug follows); a state of ``words.log_order_states``
  (an order action: ordered, order verified, verified, dispensed) those of
  ``modifiers.log_order`` (an order, no dose); a state of ``words.log_history_states`` (an
  entry of earlier care: "Source: Historical (pt reports pharmacy)") those of
  ``modifiers.log_history``, and one of ``words.log_self_states`` ("Action: Documentation only -
  patient self-administered at home") those of ``modifiers.self_log``;
- ``self_logged``: the dated lines (``regex.log_date``) right after a line saying the log is
  the patient's own (``regex.self_log_title``: "patient-entered", "my injection log",
  "self-injection log") are self-administration: their mentions get ``modifiers.self_log``
  (home medication: no event, no flag; corpora/README.md, team_g decision).

- ``superseded_drafts``: the same visit exported twice, an unsigned draft and the signed or
  final version (``regex.version_header`` lines: "===== DOCUMENT 1 of 2 | Status: PRELIMINARY
  (unsigned) =====", "--- Progress Note (SIGNED 12/06/2026 16:40, amended) ---"): the draft's
  lines, from its header to the next header, give their mentions ``modifiers.superseded``
  (read from the signed version only: corpora/README.md, team_i decision).
Pure functions of the note view and ``ExtractionRules``; no spaCy.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ..tables import lines_of, tables
from .view import Mention, NoteView

if TYPE_CHECKING:
    from .rules import ExtractionRules

# the labels of the mentions a line's state speaks for (not its ADMIN word, nor its site)
_STATED = frozenset({"DRUG", "ROUTE", "INJECTION", "DOSE", "AMOUNT"})


def _lines(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each line of ``text``."""
    return [(at, at + len(line)) for at, line in lines_of(text)]


def _state_of(words: str, rules: ExtractionRules) -> tuple[str, ...] | None:
    """The modifiers the state written at the start of ``words`` gives, or None."""
    low = words.lower().lstrip(" \t:=-|")
    for state, mods in rules.log_states:
        if low.startswith(state) and not low[len(state) : len(state) + 1].isalnum():
            return mods
    return None


def _field_states(text: str, rules: ExtractionRules) -> list[tuple[int, int, tuple[str, ...]]]:
    """``(start, line end, modifiers)`` of each line with a state field; an indented state
    line speaks for its whole entry, from the entry's head (the nearest line above it that is
    less indented, with no blank line between: a MAR print's drug line over its "Action: ..."
    line) to its own end."""
    out = []
    lines = _lines(text)
    for i, (start, end) in enumerate(lines):
        for m in rules.log_state_field.finditer(text, start, end):
            mods = _state_of(text[m.end() : end], rules)
            if mods is not None:
                out.append((_entry_start(text, lines, i), end, mods))
                break
    return out


def _entry_start(text: str, lines: list[tuple[int, int]], i: int) -> int:
    """Where the entry of line ``i`` starts: line ``i`` itself unless it is indented, else
    the nearest line above it that is less indented (no blank line between). An INI-style
    export's section ("[Administration.2]" over its "drug = ...", "status = NotGiven" lines,
    no blank line between) is one entry from its header line."""
    start, end = lines[i]
    indent = _indent(text[start:end])
    if not indent:
        return _section_start(text, lines, i)
    for j in range(i - 1, -1, -1):
        line = text[lines[j][0] : lines[j][1]]
        if not line.strip():
            break
        if _indent(line) < indent:
            return lines[j][0]
    return start


def _section_start(text: str, lines: list[tuple[int, int]], i: int) -> int:
    """The start of the INI section holding line ``i`` (its "[name]" header line, with no
    blank line between), or line ``i``'s own start when it is in none (round 20, helper
    synth20, team_n)."""
    for j in range(i - 1, -1, -1):
        line = text[lines[j][0] : lines[j][1]].strip()
        if not line:
            break
        if line.startswith("[") and line.endswith("]") and "]" not in line[1:-1]:
            return lines[j][0]
    return lines[i][0]


def _indent(line: str) -> int:
    """The width of a line's leading blanks."""
    return len(line) - len(line.lstrip(" \t"))


def _table_states(text: str, rules: ExtractionRules) -> list[tuple[int, int, tuple[str, ...]]]:
    """The same for the rows of a pipe table (``tables.tables``) whose header names a state
    column: the row's cell under it."""
    out = []
    read_to = 0  # the end of the last state table read: its rows are no new header
    for table in tables(text, ("|",)):
        (start, header), rows = table.lines[0], table.lines[1:]
        heads = _cells(header)
        columns = [i for i, c in enumerate(heads) if c in rules.log_state_columns]
        if start < read_to or not columns:
            continue
        for row_start, row in rows:
            cells = _cells(row)
            if len(cells) != len(heads):
                continue
            mods = _state_of(cells[columns[0]], rules)
            if mods is not None:
                out.append((row_start, row_start + len(row), mods))
        last_start, last = table.lines[-1]
        read_to = last_start + len(last)
    return out


def _cells(line: str) -> list[str]:
    """The cells of a pipe-table line, lowercased (a Markdown row's outer pipes dropped)."""
    return [c.strip().lower() for c in line.strip().strip("|").split("|")]


def _marked(view: NoteView, spans: list[tuple[int, int, tuple[str, ...]]]) -> NoteView:
    if not spans:
        return view
    mentions: list[Mention] = []
    for m in view.mentions:
        add = frozenset(mod for start, end, mods in spans if start <= m.start < end for mod in mods)
        keep = m.label in _STATED and add and not add <= m.modifiers
        mentions.append(replace(m, modifiers=m.modifiers | add) if keep else m)
    return replace(view, mentions=mentions, _words={})


def log_states(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with the state of each log line given to its mentions (module docstring);
    ``view`` itself when no line states one."""
    if not rules.log_states:
        return view
    spans = _field_states(view.text, rules) + _table_states(view.text, rules)
    return _marked(view, spans)


def self_logged(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with the dated lines of a patient's own injection log marked as
    self-administration (module docstring); ``view`` itself when there is none."""
    spans = []
    lines = _lines(view.text)
    for m in rules.self_log_title.finditer(view.text):
        found = 0
        for start, end in lines:
            if start <= m.start():
                continue
            if not view.text[start:end].strip():
                if found:
                    break  # a blank line ends the log
                continue
            if not rules.log_date.match(view.text, start):
                break
            spans.append((start, end, rules.self_log_mods))
            found += 1
    return _marked(view, spans)


def superseded_drafts(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with the lines of an unsigned draft marked as superseded when the note also
    holds a signed or final version header (module docstring); ``view`` itself otherwise."""
    text = view.text
    headers = list(rules.version_header.finditer(text))
    drafts = [h for h in headers if h.group("draft")]
    if not drafts or not any(h.group("final") and not h.group("draft") for h in headers):
        return view
    spans = []
    for h in drafts:
        after = [x.start() for x in headers if x.start() > h.start()]
        spans.append((h.start(), after[0] if after else len(text), rules.superseded_mods))
    return _marked(view, spans)
