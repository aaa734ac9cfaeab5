"""The setting of a note (contract section 2b): pure Python.

From a setting column value (``patterns/setting/setting.yaml`` ``values``), else from the
note's own words (``note_rules``), else None. Used by ``core`` for every note and by the
readers to detect a standard setting column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .errors import PatternError
from .procedural import SENTENCE_END, compile_rule

SCOPES = ("title", "heading", "text")
# a heading: from a line start (or MTSamples' ", " joins) up to a colon
# "Reason for visit: ..." is a field, not a title; "Nurse Note 14:20" is a title
LABEL_COLON = re.compile(r"[^\d\s]\s*:(?!\d)")
SENTENCES = re.compile(r"[.!?]\s+\S")  # a line of two sentences is text, not a title
# MTSamples also writes headings without a colon: "DISCHARGE DIAGNOSES,1.  Neck pain"
CAPS_HEADING = re.compile(r"(?:^|\n|,)[ \t]*([A-Z][A-Z /&-]{3,60}),")
HEADING = re.compile(r"(?:^|\n|,)[ \t]*([A-Za-z][^:\n,]{0,60}:)")


@dataclass(frozen=True)
class SettingRules:
    """Compiled ``patterns/setting/setting.yaml``.

    Attributes:
        settings: the allowed values (outpatient, emergency, inpatient).
        columns: input column names detected as the setting column (lowercase).
        values: cell value (lowercase, trimmed) -> setting.
        rules: ``(scope, setting, regex)`` in file order.
        other_encounter: regex of a sentence about another (past or future) encounter,
            skipped by text-scope rules.
    """

    settings: tuple[str, ...]
    columns: tuple[str, ...]
    values: dict[str, str]
    rules: tuple[tuple[str, str, re.Pattern[str]], ...]
    other_encounter: re.Pattern[str]

    @classmethod
    def from_rules(cls, data: dict[str, Any], path: str = "setting/setting.yaml"):
        """Build from the parsed file.

        Raises:
            PatternError: an unknown setting or scope, a value mapped twice, a wrong type
                or an invalid regex; the message names the file and key.
        """
        settings = tuple(data["settings"])
        values: dict[str, str] = {}
        if not isinstance(data.get("values"), dict):
            raise PatternError(f"{path}: values must map a setting to a list of cell values")
        for setting, cells in data["values"].items():
            if setting not in settings or not isinstance(cells, list):
                raise PatternError(f"{path}: values.{setting}: unknown setting or not a list")
            for cell in cells:
                key = str(cell).strip().lower()
                if key in values:
                    raise PatternError(f"{path}: values.{setting}: {key!r} mapped twice")
                values[key] = setting
        rules = []
        for i, rule in enumerate(data["note_rules"]):
            where = f"{path}: note_rules[{i}]"
            if not isinstance(rule, dict) or set(rule) != {"scope", "setting", "pattern"}:
                raise PatternError(f"{where}: needs exactly scope, setting, pattern")
            if rule["scope"] not in SCOPES or rule["setting"] not in settings:
                raise PatternError(f"{where}: unknown scope or setting")
            rules.append((rule["scope"], rule["setting"], compile_rule(rule["pattern"], where)))
        return cls(
            settings=settings,
            columns=tuple(str(c).lower() for c in data["columns"]),
            values=values,
            rules=tuple(rules),
            other_encounter=compile_rule(data["other_encounter"], f"{path}: other_encounter"),
        )

    def detect_column(self, columns: list[str]) -> str | None:
        """The first input column whose name (case-insensitive) is a standard setting
        column name, in ``columns`` order of preference; None when there is none."""
        lowered = {str(c).lower(): c for c in columns}
        return next((lowered[name] for name in self.columns if name in lowered), None)

    def from_value(self, value: Any) -> tuple[str | None, str | None]:
        """Map a setting-column cell.

        Returns:
            ``(setting, unknown)``: the setting, or None with ``unknown`` the trimmed cell
            when the value is not in the table; ``(None, None)`` for an empty cell. An
            integral float (``21.0`` from a numeric column) reads as ``21``.
        """
        if value is None or (isinstance(value, float) and value != value):
            return None, None
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        cell = str(value).strip()
        if not cell:
            return None, None
        setting = self.values.get(cell.lower())
        return (setting, None) if setting else (None, cell)

    def from_text(self, text: str) -> str | None:
        """The setting the note's own words give (title, then headings, then statements
        outside sentences about another encounter), or None."""
        first = next((line for line in text.splitlines() if line.strip()), "")
        is_title = (
            len(first) <= 80 and not LABEL_COLON.search(first) and not SENTENCES.search(first)
        )
        title = first if is_title else ""
        headings = [m.group(1) for m in HEADING.finditer(text)]
        headings += [m.group(1) + ":" for m in CAPS_HEADING.finditer(text)]
        for scope in SCOPES:
            for rule_scope, setting, pattern in self.rules:
                if rule_scope != scope:
                    continue
                if scope == "title" and title and pattern.search(title):
                    return setting
                if scope == "heading" and any(pattern.search(h) for h in headings):
                    return setting
                if scope == "text" and self._stated(text, pattern):
                    return setting
        return None

    def _stated(self, text: str, pattern: re.Pattern[str]) -> bool:
        for match in pattern.finditer(text):
            before = [m.end() for m in SENTENCE_END.finditer(text, 0, match.start())]
            left = before[-1] if before else 0
            after = SENTENCE_END.search(text, match.end())
            right = after.start() if after else len(text)
            if not self.other_encounter.search(text, left, right):
                return True
        return False


class SettingColumn:
    """Sets ``NoteRecord.setting`` from the input's setting column, counting unmapped values.

    Attributes:
        column: the setting column (named by the user or detected), or None.
        unknown: unmapped cell value -> number of records holding it.
    """

    # An unmapped value is quoted (in warnings and run.json) only when it is short enough to
    # be a code or class name; a longer one may be free text (a wrong column named by
    # mistake, possibly PHI) and is counted under its length only.
    SHOWN_VALUE = 24

    def __init__(self, rules: SettingRules, column: str | None) -> None:
        self.rules = rules
        self.column = column
        self.unknown: dict[str, int] = {}

    @classmethod
    def choose(
        cls, setting_rules: dict[str, Any], columns: list[str], named: str | None
    ) -> SettingColumn:
        """The setting column: ``named`` when given (it must be one of ``columns``), else a
        column with a standard name (``setting.yaml`` ``columns``), else none.

        Args:
            setting_rules: the parsed ``patterns/setting/setting.yaml``.
            columns: the input's column names (id and text columns included or not).
            named: the user's ``--setting-col``.

        Raises:
            ColumnError: ``named`` is not a column of the input (the message lists them).
        """
        from .errors import ColumnError

        rules = SettingRules.from_rules(setting_rules)
        if named is not None and columns and named not in columns:
            listing = ", ".join(map(str, columns[:30]))
            raise ColumnError(f"setting column {named!r} not found; columns: {listing}")
        return cls(rules, named if named is not None else rules.detect_column(columns))

    def apply(self, records):
        """Yield ``records`` with ``setting`` set from the column (unchanged when there is
        no column)."""
        for record in records:
            if self.column is not None:
                setting, unknown = self.rules.from_value(record.extra.get(self.column))
                record.setting = setting
                if unknown is not None:
                    if len(unknown) > self.SHOWN_VALUE:
                        unknown = f"<a value of {len(unknown)} characters>"
                    self.unknown[unknown] = self.unknown.get(unknown, 0) + 1
            yield record

    def summary(self) -> dict[str, Any]:
        """``{"column": name or None, "unknown_values": {value: count}}`` for run.json."""
        return {"column": self.column, "unknown_values": dict(self.unknown)}

    def warnings(self) -> list[str]:
        """One line per distinct unmapped value (those notes take the setting their text
        gives)."""
        return [
            f"setting column {self.column!r}: value {value!r} is not in "
            f"patterns/setting/setting.yaml ({n} record(s)); their setting is read from the "
            "note text"
            for value, n in self.unknown.items()
        ]
