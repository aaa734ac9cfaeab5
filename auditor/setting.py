"""The setting of a note (contract section 2b): pure Python.

From a setting column value (``patterns/setting/setting.yaml`` ``values``), else from the
note's own words (``note_rules``, then the shape of the care it records, ``profiles``), else
None. Used by ``core`` for every note and by the readers to detect a standard setting column.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from re import _parser  # the stdlib's regex parser (private; Python 3.11 is pinned)
from typing import Any

from .errors import PatternError
from .procedural import as_written, compile_rule
from .records import repair_ocr
from .tables import columns

# the scopes of a note rule, in the order they are tried (the schema lists the same)
SCOPES = ("title", "heading", "text")
# a note rule whose setting is this word decides that the note has none (null): the note
# tells of an encounter the contract gives no setting (a home-health or school-nurse visit)
NO_SETTING = "none"
# optional keys of a note rule: note-wide regexes that must all match / must none match
RULE_CONDITIONS = ("note_has", "note_lacks")
# (optional booleans of a note rule: ``later_ok``, a statement in a sentence about a later
# encounter still counts because it dates itself by this stay; ``dated_skip``, a statement
# that goes on from a dated statement is skipped as that dated encounter's)
# where a statement starts is searched back from a match a window at a time (doubling), not
# from the note's start: every statement-end match is one character decided at its own
# position (and the characters after it up to the match), so the last one in the window is
# the last one before the match (a search speed, not a rule: any window gives the same start)
STATEMENT_WINDOW = 512
# literal prefilter (``may_match``): the literal sets kept per alternative of a rule regex,
# those with the longest shortest string first (a search speed, not a rule)
LITERAL_SETS_KEPT = 3
# the placeholder of the column names in ``reading.written_column.field``
FIELD_NAMES = "<names>"
_REPEATS = (_parser.MAX_REPEAT, _parser.MIN_REPEAT, _parser.POSSESSIVE_REPEAT)
_ZERO_WIDTH = (_parser.AT, _parser.ASSERT, _parser.ASSERT_NOT)
_BOUNDARY = "\x00"  # marks an opening literal that the regex needs at a word boundary


@dataclass(frozen=True)
class CareProfile:
    """A kind of note recognised by the care it records (``setting.yaml`` ``profiles``).

    A note fits when at least ``min_kinds`` of the cue kinds are present, including every
    kind in ``require``. A kind is present when its pattern matches at least ``min`` distinct
    strings (lowercased), so "three body-system headings" is one kind with ``min: 3``;
    matches in sentences about another encounter or negated do not count, except for a
    ``layout`` kind (headings: the note's shape, not a statement).

    Attributes:
        setting: the setting a fitting note gets.
        name: what the profile describes (for readers of the file; never logged).
        cues: ``(kind, pattern, min, layout)`` in file order.
        require: kinds that must be present.
        min_kinds: how many kinds must be present.
        max_chars: the longest note the profile reads (a short note's profile: a long
            dictated report with the same words is another kind of record), or None.
    """

    setting: str
    name: str
    cues: tuple[tuple[str, re.Pattern[str], int, bool], ...]
    require: tuple[str, ...]
    min_kinds: int
    max_chars: int | None = None


@dataclass(frozen=True)
class Reading:
    """Compiled ``setting.yaml`` ``reading``: how a note is read to find its title, headings,
    statements and a setting column written in it. Each regex is compiled as written
    (case-sensitive unless it says ``(?i)``), unlike the case-insensitive note rules.

    Attributes:
        label_colon: a "label: value" colon: a first line holding one is no title.
        sentences: a sentence end followed by more text: a first line holding one (unless it
            is upper-case) is no title.
        page_header: a page or scan header: the line after it is read as the first line.
        max_chars: the longest title.
        max_chars_with_dates: the longest title whose ``date_tail`` or ``aside`` removed
            leaves at most ``max_chars``.
        date_tail: the dates and times ending a title line (removed before counting).
        aside: a title's bracketed asides, dates and times (removed before counting).
        caps_ratio: a line with more than this many capitals per small letter is upper-case.
        short_first_sentence: a one-liner's opening words (group 1): its title.
        leading_words: the capitalised words opening a flattened note (group 1).
        headings: ``(regex, colon_added)`` per heading kind: group 1 is the heading, given a
            colon when ``colon_added`` (a capitals heading written without one).
        statement_end: where a statement ends.
        clause_end: where a care-profile cue's clause ends (``statement_end`` or more).
        this_encounter_after: characters after a match searched for ``this_encounter``.
        hl7_patient_class: an HL7 PV1 segment's patient class (group 1).
        written_field: a setting column's name written as a field, its value group 1.
    """

    label_colon: re.Pattern[str]
    sentences: re.Pattern[str]
    page_header: re.Pattern[str]
    max_chars: int
    max_chars_with_dates: int
    date_tail: re.Pattern[str]
    aside: re.Pattern[str]
    caps_ratio: float
    short_first_sentence: re.Pattern[str]
    leading_words: re.Pattern[str]
    headings: tuple[tuple[re.Pattern[str], bool], ...]
    statement_end: re.Pattern[str]
    clause_end: re.Pattern[str]
    this_encounter_after: int
    hl7_patient_class: re.Pattern[str]
    written_field: re.Pattern[str]

    @classmethod
    def from_rules(cls, data: dict[str, Any], columns: tuple[str, ...]) -> Reading:
        """Build from the parsed ``reading`` mapping, whose shape (every part and key, each
        regex compiling, ``written_column.field`` holding ``<names>``) the schema
        (``schemas/setting.schema.yaml``) has checked (``patterns.load_patterns``,
        ``patterns.check_file``); ``columns``: the setting column names (lowercase) that
        ``written_column.field`` is built with."""
        headings, statements, written = data["headings"], data["statements"], data["written_column"]
        join = written["field_name_join"]
        names = sorted(
            (
                re.escape(n).replace("_", join)
                for n in columns
                if len(n) >= written["field_name_min"]
            ),
            key=len,
            reverse=True,
        )
        return cls(
            **as_written(data["title"]),
            headings=(
                (re.compile(headings["colon"]), False),
                (re.compile(headings["caps"]), True),
                (re.compile(headings["inline"]), False),
            ),
            statement_end=re.compile(statements["end"]),
            clause_end=re.compile(statements["end"] + "|" + statements["clause_end"]),
            this_encounter_after=statements["this_encounter_after"],
            hl7_patient_class=re.compile(written["hl7_patient_class"]),
            written_field=re.compile(written["field"].replace(FIELD_NAMES, "|".join(names))),
        )


@dataclass(frozen=True)
class SettingRules:
    """Compiled ``patterns/setting/setting.yaml``.

    Attributes:
        settings: the allowed values (outpatient, emergency, inpatient).
        columns: input column names detected as the setting column (lowercase).
        values: cell value (lowercase, trimmed) -> setting.
        rules: ``(scope, setting, regex)`` in file order; a setting ``NO_SETTING`` ("none")
            decides that the note has no setting (null).
        conditions: per rule (same order), ``(note_has, note_lacks)``: regexes that must
            each match somewhere in the note, and that must none match, for the rule to
            apply (empty tuples: no condition).
        other_encounter: regex of a sentence about another, earlier encounter (or, when
            ``later_encounter`` is None, about any other encounter), skipped by text-scope
            rules and profile cues.
        later_encounter: regex of a sentence about a later or hypothetical encounter
            ("will", "scheduled", "if"), or None: skipped by text-scope rules unless the rule
            is ``later_ok``; not by profile cues (a nurse's "MD aware, will continue to
            monitor" still charts the stay in progress).
        later_ok: per rule (same order), whether ``later_encounter`` sentences count.
        negation: regex of a negation just before a match ("was not admitted", "denies
            urgent care visits"), searched from the sentence start to the match, or None;
            a negated match is skipped like a sentence about another encounter.
        this_encounter: regex of words that, inside a match, tie it to this encounter
            ("today"), so that its sentence is not skipped as another encounter; or None.
        reading: how the note's title, headings and statements are found (``Reading``).
        profiles: care profiles, tried after every note rule.
        title_words: regex of a document-type word ("report", "note", "summary", "visit"),
            or None: when the first line is no title (a note whose line breaks were
            flattened), the capitalised words that open it, up to the last such word, are
            its title ("EMERGENCY ROOM REPORT" of "EMERGENCY ROOM REPORT CHIEF COMPLAINT:").
        patient_description: regex of the start of a description of the patient inside a
            sentence ("with a history of", "status post"), or None: an earlier-encounter word
            between it and a statement describes the patient, not the statement ("a
            70-year-old with a history of a bypass in 2005 presented to the emergency room"),
            so ``other_encounter`` is not searched there, unless a ``clause_break`` ("and",
            "who", ";") follows the earlier-encounter word before the statement (then the
            statement is a later clause about that encounter: "a history of pericarditis in
            2006 and went to an urgent care center").
        description_words: regex of earlier-encounter words that, inside a description, name
            a diagnosis's history ("history of"), not an encounter, or None: they start no
            clause about another encounter ("with a past medical history of kidney disease;
            history of diabetes; ..., admitted to the hospital because of").
        later_sections: regex of a heading whose section tells of later care (PLAN,
            RECOMMENDATIONS, FOLLOW-UP), or None: a statement there is read like a sentence
            about a later encounter (skipped by text rules unless ``later_ok`` or tied to
            this encounter; "PLAN: Cystoscopy in the office." is a later visit), unless it
            holds a ``done_words`` word (a past-tense report of what was done: "was
            performed in the office").
        other_sections: regex of a heading (its text up to the colon) whose section tells
            of other encounters (past medical or psychiatric history, social history) or
            later ones (the plan), or None: text-rule statements and profile cues in such a
            section are skipped like a sentence about another encounter.
        dated_before: regex of a calendar date ("on July 20th", "on 3/14/2008"), or None: a
            statement of a ``dated_skip`` rule in the same line and section as a statement
            just before it that holds a date, and holding no date of its own, goes on telling
            of the dated encounter ("A second episode occurred on July 20th. She was admitted
            to the hospital."): skipped like a sentence about another encounter, unless tied
            to this one.
        dated_own: regex of a calendar date with its year ("on the 30th of October 2008",
            "on 10/25/1992"), or None: a ``dated_skip`` statement that holds one before its
            match tells of that dated encounter ("on the 30th of October 2008, she ... was
            admitted to hospital"): skipped like a sentence about another encounter, unless
            tied to this one.
    """

    settings: tuple[str, ...]
    columns: tuple[str, ...]
    values: dict[str, str]
    rules: tuple[tuple[str, str, re.Pattern[str]], ...]
    other_encounter: re.Pattern[str]
    reading: Reading
    negation: re.Pattern[str] | None = None
    this_encounter: re.Pattern[str] | None = None
    profiles: tuple[CareProfile, ...] = ()
    other_sections: re.Pattern[str] | None = None
    conditions: tuple[tuple[tuple[re.Pattern[str], ...], tuple[re.Pattern[str], ...]], ...] = ()
    later_encounter: re.Pattern[str] | None = None
    later_ok: tuple[bool, ...] = ()
    title_words: re.Pattern[str] | None = None
    patient_description: re.Pattern[str] | None = None
    later_sections: re.Pattern[str] | None = None
    clause_break: re.Pattern[str] | None = None
    description_words: re.Pattern[str] | None = None
    done_words: re.Pattern[str] | None = None
    dated_before: re.Pattern[str] | None = None
    dated_own: re.Pattern[str] | None = None
    dated_skip: tuple[bool, ...] = ()

    @classmethod
    def from_rules(cls, data: dict[str, Any], path: str = "setting/setting.yaml"):
        """Build from the parsed file, whose shape its schema has checked
        (``schemas/setting.schema.yaml``: ``patterns.load_patterns``, ``patterns.check_file``).

        Raises:
            PatternError: a setting that is not one of ``settings``, a value mapped twice, a
                profile's ``require`` naming no cue kind, or an invalid regex; the message
                names the file and key.
        """
        settings = tuple(data["settings"])
        values: dict[str, str] = {}
        for setting, cells in data["values"].items():
            if setting not in settings:
                raise PatternError(f"{path}: values.{setting}: unknown setting")
            for cell in cells:
                key = str(cell).strip().lower()
                if key in values:
                    raise PatternError(f"{path}: values.{setting}: {key!r} mapped twice")
                values[key] = setting
        rules, conditions, later_ok, dated_skip = [], [], [], []
        for i, rule in enumerate(data["note_rules"]):
            where = f"{path}: note_rules[{i}]"
            if rule["setting"] not in (*settings, NO_SETTING):
                raise PatternError(f"{where}: unknown setting")
            rules.append((rule["scope"], rule["setting"], compile_rule(rule["pattern"], where)))
            conditions.append(
                tuple(_patterns(rule.get(key), f"{where}.{key}") for key in RULE_CONDITIONS)
            )
            later_ok.append(bool(rule.get("later_ok", False)))
            dated_skip.append(bool(rule.get("dated_skip", False)))
        negation, this_encounter = data.get("negation"), data.get("this_encounter")
        later = data.get("later_encounter")
        sections = data.get("other_sections")
        optional = {
            key: compile_rule(data[key], f"{path}: {key}") if data.get(key) else None
            for key in (
                "title_words",
                "patient_description",
                "later_sections",
                "clause_break",
                "done_words",
                "description_words",
                "dated_before",
                "dated_own",
            )
        }
        column_names = tuple(str(c).lower() for c in data["columns"])
        return cls(
            settings=settings,
            columns=column_names,
            reading=Reading.from_rules(data["reading"], column_names),
            values=values,
            rules=tuple(rules),
            conditions=tuple(conditions),
            later_ok=tuple(later_ok),
            dated_skip=tuple(dated_skip),
            later_encounter=compile_rule(later, f"{path}: later_encounter") if later else None,
            other_sections=(
                compile_rule(sections, f"{path}: other_sections") if sections else None
            ),
            other_encounter=compile_rule(data["other_encounter"], f"{path}: other_encounter"),
            negation=compile_rule(negation, f"{path}: negation") if negation else None,
            this_encounter=(
                compile_rule(this_encounter, f"{path}: this_encounter") if this_encounter else None
            ),
            profiles=tuple(
                _profile(p, settings, f"{path}: profiles[{i}]")
                for i, p in enumerate(data.get("profiles") or [])
            ),
            **optional,
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
        outside sentences about another encounter or negated, then care profiles), or
        None."""
        return self.decide(text)[0]

    def decide(self, text: str) -> tuple[str | None, str | None]:
        """``(setting, rule)``: the setting of ``from_text`` and the rule that gave it,
        ``"column:text"`` (an export's own setting column or HL7 patient class, written in
        the note: ``_written_column``), ``"<scope>:<index in note_rules>"`` or
        ``"profile:<index in profiles>"`` (None when
        no rule applies; a rule whose setting is ``NO_SETTING`` gives ``(None, rule)``). For
        tests and for reading why a note got its setting."""
        # the note lowercased for the literal prefilter (``may_match``); only an ASCII note,
        # where a case-insensitive regex matches exactly the lowercase-equal characters
        lowered = text.lower() if text.isascii() else None
        written = self._written_column(text)
        if written is not None:
            return written, "column:text"
        lines = [line for line in text.splitlines() if line.strip()]
        first = lines[0] if lines else ""
        reading = self.reading
        if reading.page_header.match(first) and len(lines) > 1:
            first = lines[1]  # "Page 1 of 1   SCANNED DOCUMENT" heads the form's own title
        upper = sum(map(str.isupper, first)) > reading.caps_ratio * sum(map(str.islower, first))
        if upper:  # a scan's "FAMlLY PRACTlCE" (as clean_text repairs a whole note)
            first = repair_ocr(first)
        # an upper-case line's ". " ends an abbreviation ("ST. LUKE CLINIC"), not a sentence
        is_title = (
            (  # "... nurse telephone note 12/04 15:10": its date and time are not counted
                len(first) <= reading.max_chars
                or (
                    len(first) <= reading.max_chars_with_dates
                    and (
                        len(reading.date_tail.sub("", first)) <= reading.max_chars
                        or len(reading.aside.sub("", first)) <= reading.max_chars
                    )
                )
            )
            and not reading.label_colon.search(first)
            and (upper or not reading.sentences.search(first))
        )
        title = first if is_title else self._fused_title(first)
        if not is_title and not title and (short := reading.short_first_sentence.match(first)):
            title = short.group(1)
        found = [
            (m.start(1), m.group(1) + ":" * colon_added)
            for heading, colon_added in reading.headings
            for m in heading.finditer(text)
        ]
        found.sort()
        headings = [h for _, h in found]
        skip = self._sections(text, found, self.other_sections)
        later_spans = self._sections(text, found, self.later_sections)
        for scope in SCOPES:
            for i, (rule_scope, setting, pattern) in enumerate(self.rules):
                if rule_scope != scope:
                    continue
                # a text rule whose regex cannot match is skipped before its conditions
                if scope == "text" and not may_match(pattern, text, lowered):
                    continue
                if self.conditions and not self._holds(text, i, lowered):
                    continue
                if (
                    (scope == "title" and title and pattern.search(title))
                    or (scope == "heading" and any(pattern.search(h) for h in headings))
                    or (
                        scope == "text"
                        and self._stated(
                            text,
                            pattern,
                            skip=skip,
                            later=not (self.later_ok and self.later_ok[i]),
                            later_spans=later_spans,
                            dated=bool(self.dated_skip and self.dated_skip[i]),
                            lowered=lowered,
                        )
                    )
                ):
                    return (None if setting == NO_SETTING else setting), f"{scope}:{i}"
        seen: dict[tuple[str, int, bool], bool] = {}
        for i, profile in enumerate(self.profiles):
            if self._fits(text, profile, skip, seen, lowered):
                return profile.setting, f"profile:{i}"
        return None, None

    def _written_column(self, text: str) -> str | None:
        """The setting of an export pasted as the note's text (contract section 2b's first
        source, written in the note): an HL7 PV1 segment's patient class, or a table (a
        header line and rows split by the same delimiter: ``tables.columns``) with a
        setting column (``columns``) whose mapped cells (``values``) all name one setting,
        or a setting column's name written as a field with a mapped value ("Patient class:
        Emergency", "Encounter Type: Outpatient": ``reading.written_field``); None otherwise."""
        found = self.reading.hl7_patient_class.search(text)
        if found is not None:
            setting, _ = self.from_value(found.group(1))
            if setting is not None:
                return setting
        for column in columns(text, self.columns):
            settings = {self.from_value(cell)[0] for _, cell in column.cells} - {None}
            if len(settings) == 1:
                return settings.pop()
        for found in self.reading.written_field.finditer(text):
            setting, _ = self.from_value(found.group(1))
            if setting is not None:
                return setting
        return None

    def _holds(self, text: str, rule: int, lowered: str | None = None) -> bool:
        """The note-wide conditions of ``note_rules[rule]`` hold for ``text`` (``lowered``:
        see ``may_match``)."""
        has, lacks = self.conditions[rule]

        def found(pattern: re.Pattern[str]) -> bool:
            return may_match(pattern, text, lowered) and (
                next(matches(pattern, text, lowered), None) is not None
            )

        return all(found(p) for p in has) and not any(found(p) for p in lacks)

    def _fused_title(self, first: str) -> str:
        """The title of a note whose first line is no title: its opening capitalised words
        up to the last ``title_words`` match among them ("" when there is none)."""
        if self.title_words is None:
            return ""
        words = self.reading.leading_words.match(first)
        if words is None:
            return ""
        ends = [m.end() for m in self.title_words.finditer(words.group(1))]
        return words.group(1)[: ends[-1]] if ends else ""

    @staticmethod
    def _sections(
        text: str, headings: list[tuple[int, str]], kind: re.Pattern[str] | None
    ) -> list[tuple[int, int]]:
        """``(start, end)`` of each section whose heading (``(start, heading)``, sorted)
        matches ``kind`` (``other_sections`` or ``later_sections``): from its heading to
        the next heading (or the end of the note)."""
        if kind is None:
            return []
        spans = []
        for i, (start, heading) in enumerate(headings):
            if kind.search(heading):
                end = next((s for s, _ in headings[i + 1 :] if s > start), len(text))
                spans.append((start, end))
        return spans

    def _fits(
        self,
        text: str,
        profile: CareProfile,
        skip: list[tuple[int, int]] | None = None,
        seen: dict[tuple[str, int, bool], bool] | None = None,
        lowered: str | None = None,
    ) -> bool:
        """Does ``text`` fit ``profile`` (``CareProfile``)? ``seen`` holds the answer of each
        cue already asked of this text by another profile (the profiles share most cues:
        asked once, the setting decision takes half the time); ``lowered``: see
        ``may_match``. The required kinds are asked first, and no more cues once the answer
        is known (a required kind absent; the required kinds and enough others present; too
        few cues left to reach ``min_kinds``)."""
        if profile.max_chars is not None and len(text) > profile.max_chars:
            return False
        seen = {} if seen is None else seen
        cues = sorted(profile.cues, key=lambda cue: cue[0] not in profile.require)
        present = 0
        for asked, (kind, pattern, least, layout) in enumerate(cues):
            if present + len(cues) - asked < profile.min_kinds:
                return False
            key = (pattern.pattern, least, layout)
            if key not in seen:
                if not may_match(pattern, text, lowered):
                    seen[key] = False
                elif layout:
                    seen[key] = len({m.group(0).lower() for m in pattern.finditer(text)}) >= least
                else:
                    seen[key] = self._stated(
                        text, pattern, least, skip or [], later=False, lowered=lowered, clauses=True
                    )
            if seen[key]:
                present += 1
            elif kind in profile.require:
                return False
            if present >= profile.min_kinds and asked + 1 >= len(profile.require):
                return True
        return False

    def _other_encounter(self, text: str, left: int, start: int, end: int, right: int) -> bool:
        """Does the statement ``text[left:right]`` (its match at ``start:end``) speak of
        another encounter (``other_encounter``)? Words of a description of the patient
        (``patient_description``) are not searched: those between it and the match, and
        those from a description after the match to the statement's end ("a 78-year-old
        inpatient with a long history of stenosis")."""
        if self.patient_description is None:
            return bool(self.other_encounter.search(text, left, right))
        after = self.patient_description.search(text, end, right)
        right = after.start() if after else right
        description = self.patient_description.search(text, left, start)
        if description is None:
            return bool(self.other_encounter.search(text, left, right))
        if self.other_encounter.search(text, left, description.start()) or (
            self.other_encounter.search(text, start, right)
        ):
            return True
        return self.clause_break is not None and any(
            self.clause_break.search(text, m.end(), start)
            for m in self.other_encounter.finditer(text, description.start(), start)
            if not (self.description_words and self.description_words.fullmatch(m.group(0)))
        )

    def _stated(
        self,
        text: str,
        pattern: re.Pattern[str],
        least: int = 1,
        skip: list[tuple[int, int]] | None = None,
        later: bool = True,
        later_spans: list[tuple[int, int]] | None = None,
        dated: bool = False,
        lowered: str | None = None,
        clauses: bool = False,
    ) -> bool:
        """At least ``least`` distinct matches of ``pattern`` (lowercased) in sentences not
        about an earlier encounter (``other_encounter``) nor, when ``later``, a later one
        (``later_encounter``), not negated and outside the ``skip`` spans
        (``other_sections``); a match that says "today" (``this_encounter``, in the match or
        in the ``reading.this_encounter_after`` characters after it, within its statement) is
        exempt from the encounter and section checks. ``dated``: also skip a statement that
        goes on from a dated one (``dated_before``: rules marked ``dated_skip``). (Its
        callers ask ``may_match`` first; ``lowered``: see ``matches``.) ``clauses``: a statement
        also ends at a semicolon (``reading.clause_end``: care-profile cues)."""
        seen: set[str] = set()
        ends = self.reading.clause_end if clauses else self.reading.statement_end
        for match in matches(pattern, text, lowered):
            if match.group(0).lower() in seen:
                continue  # a string already counted counts once (nothing to decide again)
            after = ends.search(text, match.end())
            right = after.start() if after else len(text)
            now = self.this_encounter is not None and self.this_encounter.search(
                text, match.start(), min(right, match.end() + self.reading.this_encounter_after)
            )
            if not now and any(a <= match.start() < b for a, b in skip or ()):
                continue
            left = statement_start(text, match.start(), ends)
            if not now and self._other_encounter(text, left, match.start(), match.end(), right):
                continue
            if not now and dated and self._dated_before(text, left, match.start(), right):
                continue
            if (
                not now
                and later
                and (
                    (
                        self.later_encounter is not None
                        and self.later_encounter.search(text, left, right)
                    )
                    or (
                        any(a <= match.start() < b for a, b in later_spans or ())
                        and not (
                            self.done_words is not None
                            and self.done_words.search(text, left, right)
                        )
                    )
                )
            ):
                continue
            if self.negation is not None and self.negation.search(text, left, match.start()):
                continue
            seen.add(match.group(0).lower())
            if len(seen) >= least:
                return True
        return False

    def _dated_before(self, text: str, left: int, start: int, right: int) -> bool:
        """Does the statement ``text[left:right]`` (its match at ``start``) go on from a dated
        statement just before it in the same line and section (``dated_before``), holding no
        date of its own? Or does it date itself with a year before its match (``dated_own``:
        "on the 30th of October 2008, she ... was admitted")? A heading before the match (a
        colon) opens a new section."""
        if self.dated_own is not None and self.dated_own.search(text, left, start):
            return True
        if self.dated_before is None or left == 0 or "\n" in text[max(0, left - 2) : left]:
            return False
        if ":" in text[left:start]:
            return False
        if self.dated_before.search(text, left, right):
            return False
        before = statement_start(text, max(0, left - 1), self.reading.statement_end)
        return "\n" not in text[before:left] and bool(self.dated_before.search(text, before, left))


def statement_start(text: str, position: int, ends: re.Pattern[str]) -> int:
    """Where the statement holding ``position`` starts: the end of the last ``ends`` match
    (``Reading.statement_end``, or ``Reading.clause_end`` for care-profile cues) in
    ``text[:position]`` (0 when there is none), searched back from ``position`` in windows
    that double (``STATEMENT_WINDOW``)."""
    low, window = position, STATEMENT_WINDOW
    while low > 0:
        low, window = max(0, position - window), window * 2
        found = [m.end() for m in ends.finditer(text, low, position)]
        if found:
            return found[-1]
    return 0


def may_match(pattern: re.Pattern[str], text: str, lowered: str | None) -> bool:
    """False only when ``pattern`` cannot match ``text``: no alternative of it has, for
    each of its literal sets (``required_literals``), one string in the note. A
    case-insensitive pattern is checked against ``lowered`` (the note lowercased, given only
    for an ASCII note; None: not checked). Scanning a long note with a case-insensitive
    regex that begins with ``\b`` tries every position (the regex engine has no literal to
    skip to), and most rules match in few notes: the check costs a few substring searches."""
    found = required_literals(pattern)
    if found is None:
        return True
    ignorecase, alternatives = found
    if ignorecase:
        if lowered is None:
            return True
        text = lowered
    return any(
        all(any(s in text for s in options) for options in alternative)
        for alternative in alternatives
    )


def matches(pattern: re.Pattern[str], text: str, lowered: str | None) -> Iterator[re.Match[str]]:
    """``pattern.finditer(text)``, the same matches, found faster: a case-insensitive regex
    of many alternatives that opens with ``\\b`` is tried by the regex engine at every
    position of the note, letter by letter through each alternative; when every match of
    ``pattern`` starts with one of a few literal strings (``first_literals``) and ``lowered``
    is the note lowercased (an ASCII note: see ``may_match``; None: plain ``finditer``), only
    the positions where one of them starts are tried (``pattern.match`` there, which sees the
    text before the position as ``finditer`` does), left to right, each search going on
    after the last match as ``finditer`` does. Setting is decided ~3x faster on MTSamples."""
    finder = _first_finder(pattern) if lowered is not None else None
    if finder is None:
        yield from pattern.finditer(text)
        return
    position = 0  # the next position to try
    while (start := finder.search(lowered, position)) is not None:
        found = pattern.match(text, start.start())
        if found is not None:
            yield found
            position = found.end()  # a match is never empty (it opens with a literal)
        else:
            position = start.start() + 1


@cache
def _first_finder(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A case-sensitive regex of ``first_literals(pattern)`` (matched on the lowercased
    note), or None when there are none or one of them is blank (a match that may open with a
    space or tab: nearly every position would be tried, and the engine's own scan is
    quicker)."""
    found = first_literals(pattern)
    if not found or any(not s.removeprefix(_BOUNDARY).strip() for s in found):
        return None
    return re.compile(
        "|".join(
            r"\b" + re.escape(s[1:]) if s.startswith(_BOUNDARY) else re.escape(s)
            for s in sorted(found, key=len, reverse=True)
        )
    )


@cache
def first_literals(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Lowercase ASCII strings such that every match of ``pattern`` starts with one of them
    (matched against the note lowercased, so a superset of the positions where a match may
    start), read from the regex's parse tree (``_opening_literals``); None when some match
    may start otherwise (a class such as ``\\w``, a dot, a back-reference, a non-ASCII
    letter, an empty match)."""
    try:
        data = _parser.parse(pattern.pattern, pattern.flags).data
    except (re.error, TypeError, ValueError, RecursionError):  # pragma: no cover
        return None
    found = _opening_literals(list(data))
    return frozenset(found) if found else None


def _opening_literals(items: list[Any], bounded: bool = False) -> set[str] | None:
    """The literal strings every match of the parsed sequence ``items`` opens with (see
    ``first_literals``): zero-width items (``\\b``, ``^``, lookarounds) skipped; a run of
    literals; each alternative of a branch, or a group, followed by the rest of the
    sequence; an optional item both taken (followed by the rest) and left out; a repeated
    item's own opening; a small class of letters or digits, each of its characters. None:
    unknown."""
    run: list[str] = []
    for i, (op, av) in enumerate(items):
        if op is _parser.LITERAL:
            char = chr(av)
            if not char.isascii():
                return None
            run.append(char.lower())
            continue
        if run:
            return {_BOUNDARY * bounded + "".join(run)}
        rest = items[i + 1 :]
        if op is _parser.AT and av is _parser.AT_BOUNDARY:
            bounded = True
            continue
        if op in _ZERO_WIDTH:
            continue
        if op is _parser.BRANCH:
            out: set[str] = set()
            for alternative in av[1]:
                found = _opening_literals(list(alternative) + rest, bounded)
                if found is None:
                    return None
                out |= found
            return out
        if op is _parser.SUBPATTERN:
            return _opening_literals(list(av[3]) + rest, bounded)
        if op is _parser.ATOMIC_GROUP:
            return _opening_literals(list(av) + rest, bounded)
        if op in _REPEATS:
            least, most, body = av
            if least == most == 1:
                return _opening_literals(list(body) + rest, bounded)
            # one more repeat may follow the first: only the body's own opening is sure
            first = _opening_literals(list(body) + rest if most == 1 else list(body), bounded)
            if first is None or least >= 1:
                return first
            skipped = _opening_literals(rest, bounded)
            return None if skipped is None else first | skipped
        if op is _parser.IN:
            chars = _class_chars(av)
            return None if chars is None else {_BOUNDARY * bounded + c for c in chars}
        return None
    return {_BOUNDARY * bounded + "".join(run)} if run else None


def _class_chars(items: list[Any]) -> set[str] | None:
    """The characters (lowercased) of a parsed character class of literals, ranges of at
    most 26 and ``\\d``; None for any other class (negated, ``\\w``, wide ranges)."""
    chars: set[str] = set()
    for op, av in items:
        if op is _parser.LITERAL:
            chars.add(chr(av))
        elif op is _parser.RANGE and av[1] - av[0] < 26:
            chars |= {chr(c) for c in range(av[0], av[1] + 1)}
        elif op is _parser.CATEGORY and av is _parser.CATEGORY_DIGIT:
            chars |= set("0123456789")
        else:
            return None
    if not all(c.isascii() for c in chars):
        return None
    return {c.lower() for c in chars}


@cache
def required_literals(
    pattern: re.Pattern[str],
) -> tuple[bool, tuple[tuple[tuple[str, ...], ...], ...]] | None:
    """``(ignorecase, alternatives)``: per top-level alternative of ``pattern``, up to
    ``LITERAL_SETS_KEPT`` literal sets such that every match of that alternative holds one
    string of each set (lowercased when ``ignorecase``); None when some alternative has no
    literal that every match holds (then ``may_match`` always says yes). Read from the
    parse tree of the regex: literal runs, groups and repeats of at least one, branches
    whose every alternative holds a literal; lookarounds and classes are not used."""
    try:
        data = _parser.parse(pattern.pattern, pattern.flags).data
    except (re.error, TypeError, ValueError, RecursionError):  # pragma: no cover
        return None
    ignorecase = bool(pattern.flags & re.IGNORECASE)
    branches = data[0][1][1] if len(data) == 1 and data[0][0] is _parser.BRANCH else [data]
    alternatives = []
    for branch in branches:
        sets = sorted(set(_literal_sets(branch, ignorecase)), key=_selectivity, reverse=True)
        if not sets:
            return None
        alternatives.append(tuple(tuple(sorted(s)) for s in sets[:LITERAL_SETS_KEPT]))
    return ignorecase, tuple(alternatives)


def _selectivity(options: frozenset[str]) -> tuple[int, int]:
    """Longer shortest string first, then fewer strings."""
    return min(map(len, options)), -len(options)


def _literal_sets(items: Any, ignorecase: bool) -> list[frozenset[str]]:
    """The literal sets of a parsed regex sequence: every match holds one string of each."""
    sets: list[frozenset[str]] = []
    run: list[str] = []

    def close_run() -> None:
        if run:
            sets.append(frozenset(["".join(run)]))
            run.clear()

    for op, av in items:
        if op is _parser.LITERAL and not (ignorecase and not chr(av).isascii()):
            run.append(chr(av).lower() if ignorecase else chr(av))
            continue
        close_run()
        if op is _parser.BRANCH:
            best = []
            for alternative in av[1]:
                options = _literal_sets(alternative, ignorecase)
                if not options:
                    break
                best.append(max(options, key=_selectivity))
            else:
                sets.append(frozenset().union(*best))
        elif op is _parser.SUBPATTERN and not (av[1] | av[2]) & re.IGNORECASE:
            sets.extend(_literal_sets(av[3], ignorecase))
        elif op in _REPEATS and av[0] >= 1:
            sets.extend(_literal_sets(av[2], ignorecase))
        elif op is _parser.ATOMIC_GROUP:
            sets.extend(_literal_sets(av, ignorecase))
    close_run()
    return sets


def _patterns(data: Any, where: str) -> tuple[re.Pattern[str], ...]:
    """Compile a rule condition: a regex or a list of them (None: no condition).

    Raises:
        PatternError: an invalid regex.
    """
    if data is None:
        return ()
    items = [data] if isinstance(data, str) else data
    return tuple(compile_rule(p, f"{where}[{i}]") for i, p in enumerate(items))


def _profile(data: Any, settings: tuple[str, ...], where: str) -> CareProfile:
    """Compile one ``profiles`` entry (its shape checked by the schema).

    Raises:
        PatternError: an unknown setting, a ``require`` kind that is not a cue, or an invalid
            regex; the message names the entry.
    """
    if data["setting"] not in settings:
        raise PatternError(f"{where}: unknown setting")
    cues = []
    for kind, cue in data["cues"].items():
        if isinstance(cue, str):
            cue = {"pattern": cue}
        pattern = compile_rule(cue["pattern"], f"{where}: cues.{kind}")
        cues.append((str(kind), pattern, cue.get("min", 1), cue.get("layout", False)))
    require = tuple(data.get("require") or ())
    min_kinds = data["min_kinds"]
    if not set(require) <= {k for k, _, _, _ in cues}:
        raise PatternError(f"{where}: require names an unknown cue kind")
    max_chars = data.get("max_chars")  # the schema checks it is a positive integer
    return CareProfile(
        setting=data["setting"],
        name=str(data["name"]),
        cues=tuple(cues),
        require=require,
        min_kinds=min_kinds,
        max_chars=max_chars,
    )


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
