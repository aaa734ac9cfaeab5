"""Structured exports pasted as a note's text, read as prose without moving a character.

Health-system exports reach the audit as note text: a C-CDA fragment (XML), a FHIR resource
flattened to ``key.path: value`` lines, a semicolon-delimited table with decimal commas. The
pipeline reads prose, so ``reading_text`` gives the text the extractor reads: the same
length, every character in its place (event offsets index the note as written), with

- C-CDA: an entry whose ``moodCode`` is not a charted administration (intended, requested,
  proposed: ``words.export_not_given_moods``) and a medication-list section
  (``words.export_list_section_codes``) blanked; every other tag blanked except the quoted
  values of ``words.export_kept_attributes`` and a value with its unit;
- a flattened key path's leading parts blanked ("dosage.route:" reads "route:");
- text copied forward from an earlier note (``regex.copied_forward_start`` up to
  ``regex.copied_forward_end`` or a blank line) blanked: another encounter's care;
- a delimited export (``regex.export_delimiter``: a header line with two or more delimiters
  and rows of as many) read as a comma list, the unit column joined to its number by a space,
  a decimal comma a point;
- an unfilled EHR template field (``regex.unfilled_macro``: an unresolved SmartLink "@ME@",
  an unanswered SmartList "{yes/no:18324}") read as the unfilled-field mark "***";
- an HL7 v2 ``RXA`` segment's amount and unit fields read as one amount, its administering
  provider as "by <name>", a not-given completion status as "not given" (``hl7text``).

Blanked characters become spaces; newlines stay, but one that ends a line of markup
only becomes a space (that line is no blank line between the fields of one entry). Pure
text functions, no spaCy. Rules:
``patterns/extraction/extraction.yaml`` (words ``export_*``, regex ``export_*``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .hl7text import read_hl7
from .patterns import load_patterns
from .tables import tables

# an XML tag: a name right after "<" and only name="value" attributes ("< 60", "<115" are no tags)
_TAG = re.compile(r'</?[A-Za-z][\w:.-]*(?:\s+[A-Za-z_:][\w:.-]*\s*=\s*"[^"<>]*")*\s*/?>')
# XML is read only in a note holding a closing or self-closing tag
_XML = re.compile(
    r'</[A-Za-z][\w:.-]*\s*>|<[A-Za-z][\w:.-]*(?:\s+[A-Za-z_:][\w:.-]*\s*=\s*"[^"<>]*")*\s*/>'
)
# a flattened key ("  reasonCode: ...") after its blanked path
_KEY = re.compile(r"(?m)(?:^[ \t]*|\.)([A-Za-z]\w*)[ \t]*:")
_ATTR = re.compile(r'([A-Za-z_:][\w:.-]*)\s*=\s*"([^"]*)"')
# a flattened field line: its indent, its key (the last of a dotted path) and its value
_FIELD_LINE = re.compile(r"([ \t]*)(?:[\w\[\]]+\.)*([A-Za-z]\w*)[ \t]*:[ \t]*(.*)$")


@dataclass(frozen=True)
class ExportRules:
    not_given_moods: frozenset[str]
    list_codes: frozenset[str]
    kept_attributes: frozenset[str]
    labels: tuple[tuple[str, str | None, str | None, str], ...]
    unit_columns: frozenset[str]
    key_path: re.Pattern[str]
    delimiter: str
    decimal_comma: re.Pattern[str]
    copied_start: re.Pattern[str]
    copied_end: re.Pattern[str]
    unfilled_macro: re.Pattern[str] | None


@lru_cache(maxsize=8)
def export_rules(patterns_dir: str | None = None) -> ExportRules:
    """The ``export_*`` rules of ``extraction.yaml`` (``patterns_dir``: see ``load_patterns``)."""
    spec = load_patterns(patterns_dir).extraction
    words, rx = spec["words"], spec["regex"]
    return ExportRules(
        not_given_moods=frozenset(words["export_not_given_moods"]),
        list_codes=frozenset(words["export_list_section_codes"]),
        kept_attributes=frozenset(w.lower() for w in words["export_kept_attributes"]),
        labels=tuple(_label(entry) for entry in words["export_labels"]),
        unit_columns=frozenset(w.lower() for w in words["export_unit_columns"]),
        key_path=re.compile(rx["export_key_path"]),
        delimiter=rx["export_delimiter"],
        decimal_comma=re.compile(rx["export_decimal_comma"]),
        copied_start=re.compile(rx["copied_forward_start"]),
        copied_end=re.compile(rx["copied_forward_end"]),
        unfilled_macro=re.compile(rx["unfilled_macro"]) if "unfilled_macro" in rx else None,
    )


def _label(entry: str) -> tuple[str, str | None, str | None, str]:
    """``"tag[attr=value]=Label"`` -> ``(tag, attr, value, "Label:")``."""
    name, label = entry.rsplit("=", 1) if "[" not in entry else entry.split("]=", 1)
    attr = value = None
    if "[" in name:
        name, cond = name.split("[", 1)
        attr, value = cond.split("=", 1)
    return name, attr, value, label + ":"


def _label_of(rules: ExportRules, name: str, attrs: dict[str, str]) -> str | None:
    for tag, attr, value, label in rules.labels:
        if tag == name and (attr is None or attrs.get(attr) == value):
            return label
    return None


def _entry_fields(text: str, position: int) -> dict[str, str]:
    """The fields of the flattened entry holding the key line at ``position``: ``{key:
    value}`` (the last key of a dotted path; the value lowercased, quotes and a trailing comma
    dropped) of the key lines around it, up and down, indented as deep as it or deeper, up
    to a blank line, a line that is no ``key: value`` field, or a shallower one (the entry's
    own header, "entry[1] MedicationAdministration"). A key's label may depend on a field of
    its entry ("medication[status=not-done]=Not given": an entry charted as not done)."""
    start = text.rfind("\n", 0, position) + 1
    end = text.find("\n", position)
    lines = text[start : len(text) if end < 0 else end]
    indent = len(lines) - len(lines.lstrip(" \t"))
    before = text[:start].split("\n")[:-1] if start else []
    after = text[start:].split("\n")
    fields: dict[str, str] = {}
    for side in (reversed(before), after):
        for line in side:
            field = _FIELD_LINE.match(line)
            if field is None or len(field.group(1)) < indent:
                break
            fields.setdefault(field.group(2), field.group(3).strip().strip('",').strip().lower())
    return fields


def reading_text(text: str, patterns_dir: str | None = None) -> str:
    """``text`` with its structured exports made readable (module docstring); the same
    length as ``text``. A note with no export comes back unchanged."""
    rules = export_rules(patterns_dir)
    chars = list(text)
    if "<" in text and _XML.search(text):
        _read_xml(text, chars, rules)
    for m in rules.key_path.finditer(text):
        _blank(chars, m.start(1), m.end(1))
    entry_keyed = {tag for tag, attr, _, _ in rules.labels if attr is not None}
    for m in _KEY.finditer(text):
        key = m.group(1)
        label = _label_of(rules, key, _entry_fields(text, m.start(1)) if key in entry_keyed else {})
        if label is not None and len(label) <= m.end() - m.start(1):
            chars[m.start(1) : m.end()] = list(label.ljust(m.end() - m.start(1)))
    _read_delimited(text, chars, rules)
    read_hl7(text, chars, patterns_dir)  # an RXA segment's amount, giver and status
    _blank_copied(text, chars, rules)
    _unfilled_macros(text, chars, rules)
    out = "".join(chars)
    assert len(out) == len(text)
    return out


def _blank(chars: list[str], start: int, end: int) -> None:
    for i in range(start, end):
        if chars[i] != "\n":
            chars[i] = " "


def _element_end(text: str, name: str, start: int) -> int:
    """End of the element ``name`` opened at ``start`` (after its closing tag; nested
    elements of the same name counted), or the end of the text."""
    depth, pattern = 0, re.compile(rf"<(/?){re.escape(name)}\b[^<>]*?(/?)>")
    for m in pattern.finditer(text, start):
        if m.group(2):  # self-closing
            if depth == 0:
                return m.end()
            continue
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return m.end()
    return len(text)


def _read_xml(text: str, chars: list[str], rules: ExportRules) -> None:
    gone: list[tuple[int, int]] = []  # blanked elements: their tags are not read
    for m in re.finditer(r"<substanceAdministration\b[^<>]*>", text):
        mood = _ATTR.findall(m.group(0))
        if any(k == "moodCode" and v.upper() in rules.not_given_moods for k, v in mood):
            gone.append((m.start(), _element_end(text, "substanceAdministration", m.start())))
    for m in re.finditer(r"<section\b[^<>]*>", text):
        end = _element_end(text, "section", m.start())
        first_code = re.search(r"<code\b[^<>]*>", text[m.end() : end])
        if first_code and any(
            k == "code" and v in rules.list_codes for k, v in _ATTR.findall(first_code.group(0))
        ):
            gone.append((m.start(), end))
    for start, end in gone:
        _blank(chars, start, end)
    for m in _TAG.finditer(text):
        if any(start <= m.start() < end for start, end in gone):
            continue
        tag = m.group(0)
        keep = []
        attrs = list(_ATTR.finditer(tag))
        has_unit = any(a.group(1).lower() == "unit" for a in attrs)
        for a in attrs:
            name = a.group(1).lower()
            if name in rules.kept_attributes or (has_unit and name in ("value", "unit")):
                keep.append((m.start() + a.start(2), m.start() + a.end(2)))
        at = m.start()
        name = re.match(r"</?([\w:.-]*)", tag).group(1)
        label = None if tag.startswith("</") else _label_of(rules, name, dict(_ATTR.findall(tag)))
        for s, e in keep:
            _blank(chars, at, s)
            at = e
        _blank(chars, at, m.end())
        # the label just before the first kept value (or at the tag's end), so that the
        # field reads "Route: INTRAMUSCULAR" as a short line
        stop = keep[0][0] - 1 if keep else m.end()
        if label is not None and stop - len(label) >= m.start():
            chars[stop - len(label) : stop] = list(label)
    # a line of markup only is no blank line: its line break becomes a space, so the fields
    # of one entry stay one block (a blank line of the source still ends it)
    at = 0
    for line in text.split("\n"):
        end = at + len(line)
        if end < len(text) and line.strip() and not "".join(chars[at:end]).strip():
            chars[end] = " "
        at = end + 1


def _read_delimited(text: str, chars: list[str], rules: ExportRules) -> None:
    """A table of ``regex.export_delimiter`` (``tables.tables``, with one row or more) read
    as a pipe table: a decimal comma a point, the delimiter before a unit column a space."""
    read_to = 0  # the end of the last table read: its rows are no new header
    for table in tables(text, (rules.delimiter,)):
        (start, header), rows = table.lines[0], table.lines[1:]
        if not rows or start < read_to:
            continue
        heads = [c.strip().lower() for c in header.split(rules.delimiter)]
        for row_start, row in table.lines:
            at = row_start
            cells = row.split(rules.delimiter)
            for j, cell in enumerate(cells):
                for m in rules.decimal_comma.finditer(cell):
                    chars[at + m.start()] = "."
                at += len(cell)
                if j + 1 < len(cells):
                    chars[at] = " " if heads[j + 1] in rules.unit_columns else "|"
                    at += 1
        read_to = rows[-1][0] + len(rows[-1][1])


def _unfilled_macros(text: str, chars: list[str], rules: ExportRules) -> None:
    """An unfilled EHR template field (``regex.unfilled_macro``: "@DIAGNOSIS@",
    "{yes/no:18324}") reads as the unfilled-field mark "***" followed by spaces."""
    if rules.unfilled_macro is None or ("@" not in text and "{" not in text):
        return
    for m in rules.unfilled_macro.finditer(text):
        width = m.end() - m.start()  # one character for one: offsets still index the note
        chars[m.start() : m.end()] = list("***".ljust(width)[:width])


def _blank_copied(text: str, chars: list[str], rules: ExportRules) -> None:
    """Blank the text copied forward from an earlier note: the lines after a line saying so
    (``regex.copied_forward_start``) up to a line ending the copy
    (``regex.copied_forward_end``), else up to the next blank line; the marker lines stay."""
    for m in rules.copied_start.finditer(text):
        start = m.end()
        end = rules.copied_end.search(text, start)
        blank = re.compile(r"\n[ \t]*\n").search(text, start + 1)
        stop = end.start() if end else (blank.start() if blank else len(text))
        _blank(chars, start, stop)
