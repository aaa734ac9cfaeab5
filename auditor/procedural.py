"""Procedural context of an injection (contract section 2, flag ``procedural``): pure Python.

Rules come from ``patterns/context/procedural.yaml``: markers of an operative or procedure
report, the report's procedure line (an injection named there is itself the service, so
the report does not make it procedural) and cues in an event's own sentence (pre-/intra-op,
sedation, local anaesthetic, contrast, in the OR, ...).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .errors import PatternError

# the rules of procedural.yaml are matched case-insensitively, "^" at each line start
FLAGS = re.I | re.M


def compile_rule(pattern: str, where: str) -> re.Pattern[str]:
    """Compile one rule regex case-insensitively (multi-line).

    Raises:
        PatternError: the pattern is not a valid regular expression (names ``where``).
    """
    try:
        return re.compile(pattern, FLAGS)
    except (re.error, TypeError) as exc:
        raise PatternError(f"{where}: invalid regular expression ({exc})") from None


def as_written(section: dict[str, Any]) -> dict[str, Any]:
    """A ``reading`` mapping (of ``procedural.yaml`` or a part of ``setting.yaml``'s) whose
    shape its schema has checked, each string value (a regex) compiled as written
    (case-sensitive unless it says ``(?i)``), each number kept: the keyword arguments of a
    ``Reading`` whose fields are named as the keys."""
    return {key: re.compile(v) if isinstance(v, str) else v for key, v in section.items()}


@dataclass(frozen=True)
class Reading:
    """Compiled ``procedural.yaml`` ``reading``: how a note is read to find an event's
    sentence and a report's named procedure. Each regex is compiled as written
    (case-sensitive), unlike the case-insensitive rules.

    Attributes:
        sentence_end: a sentence end (a point before white space) or a line break.
        reach: characters searched either side of an anchor for its sentence.
        sentence_word: a stretch between sentence ends is a sentence only with a match.
        sentence_step: characters searched at a time for the sentence before or after one.
        title: an MTSamples title before its first heading (group 1).
        list_number: a procedure line's list number, taken off its first item.
        first_item_end: where the first item of a procedure line ends.
    """

    sentence_end: re.Pattern[str]
    reach: int
    sentence_word: re.Pattern[str]
    sentence_step: int
    title: re.Pattern[str]
    list_number: re.Pattern[str]
    first_item_end: re.Pattern[str]

    @classmethod
    def from_rules(cls, data: dict[str, Any]) -> Reading:
        """Build from the parsed ``reading`` mapping, whose shape (every key, each regex
        compiling, each number a whole number >= 1) ``schemas/context/procedural.schema.yaml``
        has checked (``patterns.load_patterns``, ``patterns.check_file``)."""
        return cls(**as_written(data))

    def around(self, text: str, start: int, end: int) -> tuple[int, int]:
        """``(start, end)`` of the sentence or line holding ``text[start:end]``.

        Bounded by the nearest ``sentence_end`` on each side, and by ``reach`` characters
        beyond the span.
        """
        reach = self.reach
        low = max(0, start - reach)
        before = [m.end() for m in self.sentence_end.finditer(text, low, start)]
        left = before[-1] if before else low
        after = self.sentence_end.search(text, end, min(len(text), end + reach))
        right = after.start() + 1 if after else min(len(text), end + reach)
        return left, right

    def before(self, text: str, left: int) -> int | None:
        """Where the nearest sentence before a sentence starting at ``left`` starts: the end
        of the last ``sentence_end`` before ``left`` whose stretch up to the next holds a
        ``sentence_word`` (wordless stretches are passed over), each step searching
        ``sentence_step`` characters back; None when no sentence end is found."""
        at = left
        while True:
            ends = [
                m.end()
                for m in self.sentence_end.finditer(text, max(0, at - self.sentence_step), at - 1)
            ]
            if not ends:
                return None
            if self.sentence_word.search(text, ends[-1], at):
                return ends[-1]
            at = ends[-1]

    def after(self, text: str, right: int) -> int:
        """Where the sentence after a sentence ending at ``right`` ends: the first
        ``sentence_end`` after ``right`` whose stretch from ``right`` holds a
        ``sentence_word``, at most ``sentence_step`` characters on (the end of the text or of
        that reach when none is found)."""
        at = right
        stop = min(len(text), right + self.sentence_step)
        for m in self.sentence_end.finditer(text, min(right + 1, stop), stop):
            if self.sentence_word.search(text, at, m.start()):
                return m.end()
        return stop


@dataclass(frozen=True)
class ProceduralRules:
    """Compiled rules of ``patterns/context/procedural.yaml``.

    Attributes:
        markers: regexes, one match of any marks an operative/procedure report.
        procedure_line: regex whose group 1 is the report's named procedure.
        itself: regex: a named procedure that is itself an injection service.
        cues: regexes for the event's own sentence.
        itself_routes: routes of injections that are themselves the procedure.
        procedure_routes: route -> regex: a named injection procedure that implies it.
        lesion_routes: route -> regex: a named needle procedure that is not itself an
            injection (radiofrequency lesioning of a nerve or the sympathetic chain) and
            implies that route for the route-less drugs injected through its needle, but not
            for its sedation (``sedatives_in_injection_reports``).
        not_markers: regexes, one match of any marks a summary (discharge summary) that is
            never a procedure report, whatever markers it has.
        procedural_drugs: generic names of drugs given only to serve a procedure.
        itself_drugs: generic names of drugs whose injection is itself a procedure
            (botulinum toxin: chemodenervation), never procedural.
        anaesthetics: generic names of local anaesthetics (drug lexicon role).
        unnamed_not_events: regexes (``not_events``): an unnamed injection whose sentence
            matches one is no event (contrast agent, anaesthesia technique).
        not_events_unless: regex (``not_events_unless``): an unnamed injection whose sentence
            matches it (a steroid named) is an event whatever ``not_events`` says.
        sedatives_in_injection_reports: generic names of sedatives and opioids that serve as
            sedation in the report of an injection procedure (``injection_report``).
        procedure_sides: side -> regex: the side a named injection procedure states.
        procedure_items_end: regex: the end of a procedure line with its numbered items (a
            blank line or the next heading), read at most ``procedure_items_chars`` on.
        stress_agents: generic names of drugs that also serve as pharmacologic stress agents
            (adenosine, dipyridamole, dobutamine): procedural in a note that names a
            pharmacologic stress test (``stress_test``), whatever their sentence says.
        procedural_decisions: the given-now rules (``Event.decided_by``) that find a dose only
            in a procedure report's own record of the drugs given for it (its medication
            heading): such an event serves the procedure.
        joint_sites: listed sites (``hip``) that, for an injection by route ``other``, name
            the joint or bursa injected, not the muscle: the event's site is null (its side
            kept).
        reading: how an event's sentence and a report's named procedure are found
            (``Reading``: its ``reach`` is the characters searched either side of an anchor).
    """

    markers: tuple[re.Pattern[str], ...]
    procedure_line: re.Pattern[str]
    itself: re.Pattern[str]
    cues: tuple[re.Pattern[str], ...]
    reading: Reading
    itself_routes: frozenset[str] = frozenset()
    procedure_routes: tuple[tuple[str, re.Pattern[str]], ...] = ()
    lesion_routes: tuple[tuple[str, re.Pattern[str]], ...] = ()
    not_markers: tuple[re.Pattern[str], ...] = ()
    procedural_drugs: frozenset[str] = frozenset()
    itself_drugs: frozenset[str] = frozenset()
    anaesthetics: frozenset[str] = frozenset()
    unnamed_not_events: tuple[re.Pattern[str], ...] = ()
    not_events_unless: re.Pattern[str] | None = None
    restated_in_injection_report: bool = False
    sedatives_in_injection_reports: frozenset[str] = frozenset()
    airway_drugs: frozenset[str] = frozenset()
    airway_done: re.Pattern[str] | None = None
    airway_sentences: int = 0
    airway_ongoing: re.Pattern[str] | None = None
    cue_after_history: re.Pattern[str] | None = None
    stress_agents: frozenset[str] = frozenset()
    procedure_sides: tuple[tuple[str, re.Pattern[str]], ...] = ()
    procedure_items_end: re.Pattern[str] | None = None
    procedure_items_chars: int = 600
    stress_test: re.Pattern[str] | None = None
    joint_sites: frozenset[str] = frozenset()
    procedural_decisions: frozenset[str] = frozenset()
    sedation_cues: tuple[re.Pattern[str], ...] = ()
    icu_sedation: re.Pattern[str] | None = None
    cues_before: tuple[re.Pattern[str], ...] = ()
    cue_after_chars: int | None = None
    bedside_done: re.Pattern[str] | None = None
    bedside_sentences: int = 0
    vasoconstrictors: frozenset[str] = frozenset()
    dilution_before: re.Pattern[str] | None = None
    dilution_after: re.Pattern[str] | None = None

    @classmethod
    def from_rules(
        cls,
        rules: dict[str, Any],
        path: str = "context/procedural.yaml",
        local_anaesthetics: Iterable[str] = (),
    ):
        """Build from the parsed file, whose shape its schema has checked
        (``schemas/context/procedural.schema.yaml``: ``patterns.load_patterns``,
        ``patterns.check_file``); ``local_anaesthetics``: the generic names of the drug
        lexicon's ``role: local_anesthetic`` entries (for ``not_an_event``).

        Raises:
            PatternError: a rule regex is invalid (names the key).
        """
        report = rules["report"]

        def optional(key: str) -> re.Pattern[str] | None:
            return compile_rule(rules[key], f"{path}: {key}") if rules.get(key) else None

        def listed(items: Iterable[str], label: str) -> tuple[re.Pattern[str], ...]:
            return tuple(compile_rule(p, f"{path}: {label}[{i}]") for i, p in enumerate(items))

        def keyed(key: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
            return tuple(
                (name, compile_rule(p, f"{path}: {key}.{name}"))
                for name, p in (rules.get(key) or {}).items()
            )

        def words(key: str) -> frozenset[str]:
            return frozenset(str(d).lower() for d in rules.get(key) or ())

        return cls(
            markers=listed(report["markers"], "report.markers"),
            procedure_line=compile_rule(
                report.get("procedure_line"), f"{path}: report.procedure_line"
            ),
            itself=compile_rule(rules.get("itself_procedure"), f"{path}: itself_procedure"),
            cues=listed(rules["event_cues"], "event_cues"),
            reading=Reading.from_rules(rules["reading"]),
            itself_routes=frozenset(rules.get("itself_routes") or ()),
            joint_sites=words("joint_sites"),
            procedural_decisions=frozenset(str(d) for d in rules.get("procedural_decisions") or ()),
            procedure_routes=keyed("procedure_routes"),
            lesion_routes=keyed("lesion_routes"),
            not_markers=listed(report.get("not_markers") or (), "report.not_markers"),
            procedural_drugs=words("procedural_drugs"),
            itself_drugs=words("itself_drugs"),
            anaesthetics=frozenset(local_anaesthetics),
            unnamed_not_events=tuple(pattern for _, pattern in keyed("not_events")),
            not_events_unless=optional("not_events_unless"),
            restated_in_injection_report=bool(rules.get("restated_in_injection_report")),
            sedatives_in_injection_reports=words("sedatives_in_injection_reports"),
            airway_drugs=words("airway_drugs"),
            airway_done=optional("airway_done"),
            airway_sentences=int(rules.get("airway_sentences") or 0),
            airway_ongoing=optional("airway_ongoing"),
            cue_after_history=optional("cue_after_history"),
            stress_agents=words("stress_agents"),
            procedure_items_end=optional("procedure_items_end"),
            procedure_items_chars=int(rules.get("procedure_items_chars") or 600),
            procedure_sides=keyed("procedure_sides"),
            stress_test=optional("stress_test"),
            sedation_cues=listed(rules.get("sedation_cues") or (), "sedation_cues"),
            icu_sedation=optional("icu_sedation"),
            cues_before=listed(rules.get("event_cues_before") or (), "event_cues_before"),
            cue_after_chars=int(rules["cue_after_chars"]) if rules.get("cue_after_chars") else None,
            bedside_done=optional("bedside_done"),
            bedside_sentences=int(rules.get("bedside_sentences") or 0),
            vasoconstrictors=frozenset(str(d).lower() for d in rules.get("vasoconstrictors") or ()),
            dilution_before=compile_rule(
                rf"(?:{rules['infiltration_dilution']})\s*(?:dilution\s+)?(?:of\s+)?$",
                f"{path}: infiltration_dilution",
            )
            if rules.get("infiltration_dilution")
            else None,
            dilution_after=compile_rule(
                rf"^\s*(?:dilution\s+)?(?:of\s+)?\(?\s*(?:{rules['infiltration_dilution']})",
                f"{path}: infiltration_dilution",
            )
            if rules.get("infiltration_dilution")
            else None,
        )

    def is_procedural(self, text: str, event: dict[str, Any], in_report: bool) -> bool:
        """Whether ``event`` (``medication``, ``route``, ``start``, ``end``) serves a
        procedure: its drug serves only procedures (``procedural_drugs``; never one of
        ``itself_drugs``, whose injection is a procedure of its own), or it is in a
        procedure report (``in_report``, from ``report_context``), or its sentence says so.
        An injection by a route of ``itself_routes`` (joint, trigger point, epidural) is the
        procedure itself unless it is in a report of another procedure (a steroid injected
        into the knee at the end of an arthroscopy serves the operation)."""
        if event.get("medication") in self.itself_drugs:
            return False
        if event.get("medication") in self.procedural_drugs:
            return True
        if (
            event.get("medication") in self.stress_agents
            and self.stress_test is not None
            and self.stress_test.search(text)
        ):
            return True  # "Pharmacologic stress testing was done using adenosine infusion"
        if event.get("route") in self.itself_routes:
            return in_report
        return (
            in_report
            or event.get("decided_by") in self.procedural_decisions
            or self.event_context(text, event["start"], event["end"])
            or self.after_airway(text, event)
            or self.after_bedside_procedure(text, event)
            or (
                event.get("medication") in self.sedatives_in_injection_reports
                and self.injection_report(text)
            )
        )

    def injection_report(self, text: str) -> bool:
        """Whether the note is the report of a procedure that is itself an injection (an
        epidural, a nerve block: ``report.markers`` and ``itself_procedure``), not a summary
        of a stay (``not_markers``)."""
        if not any(m.search(text) for m in self.markers):
            return False
        if any(m.search(text) for m in self.not_markers):
            return False
        return any(self.itself.search(name) for name in self.named_procedures(text))

    def after_airway(self, text: str, event: dict[str, Any]) -> bool:
        """Whether ``event``'s drug is one of ``airway_drugs`` and an intubation told as done
        (``airway_done``) is in its sentence or up to ``airway_sentences`` sentences before
        it ("After two minutes, intubation was successful. ... The patient was given 1 mg of
        Versed"). Not when the drug's own sentence tells of the airway as a state kept
        (``airway_ongoing``: "Later he remained intubated and restless, Ativan 2 mg IV
        given"): that sedates a ventilated patient."""
        return self._sedation_after(text, event, self.airway_done, self.airway_sentences)

    def after_bedside_procedure(self, text: str, event: dict[str, Any]) -> bool:
        """Whether ``event``'s drug is one of ``airway_drugs`` (sedatives, opioids used to
        sedate, paralytics) and a bedside procedure told as done (``bedside_done``: "had
        endoscopy this afternoon", "bronchoscopy was performed") is in its sentence or up to
        ``bedside_sentences`` sentences before it ("had a bedside EGD today. Got 2 mg IV
        versed"): the sedation for that procedure (corpora/README.md: sedation for a
        bedside procedure is procedural). Not when the drug's own sentence tells of the airway
        as a state kept (``airway_ongoing``)."""
        return self._sedation_after(text, event, self.bedside_done, self.bedside_sentences)

    def _sedation_after(
        self, text: str, event: dict[str, Any], done: re.Pattern[str] | None, sentences: int
    ) -> bool:
        """Whether ``event``'s drug is one of ``airway_drugs`` and ``done`` matches in its
        sentence or up to ``sentences`` sentences before it, its own sentence not telling of
        the airway as a state kept (``airway_ongoing``)."""
        if done is None or event.get("medication") not in self.airway_drugs:
            return False
        left, right = self.reading.around(text, event["start"], event["end"])
        if self.airway_ongoing is not None and self.airway_ongoing.search(text, left, right):
            return False
        for _ in range(sentences):
            before = self.reading.before(text, left)
            if before is None:
                break
            left = before
        return bool(done.search(text, left, right))

    def not_an_event(self, text: str, event: dict[str, Any], procedural: bool) -> bool:
        """Whether an extracted ``event`` (``medication``, ``start``, ``end``) is no
        administration event after all: a local anaesthetic that serves a procedure
        (``procedural``: the block for an operation is anaesthesia; or its sentence says
        so, ``event_cues``: "anesthetized with lidocaine by local infiltration"), or an unnamed
        injection whose sentence matches ``not_events`` (a contrast agent for the imaging,
        the anaesthesia technique of a procedure).
        Source: corpora/README.md labelling decisions; contract section 2 (procedural)."""
        medication = event.get("medication")
        if medication in self.vasoconstrictors and self.diluted_for_infiltration(text, event):
            return True  # "lidocaine 2% with 1:100,000 epinephrine": the local's additive
        if medication in self.anaesthetics:  # the treatment only when nothing says otherwise
            return procedural or self.event_context(text, event["start"], event["end"])
        if medication is None and self.unnamed_not_events:
            left, right = self.reading.around(text, event["start"], event["end"])
            if self.not_events_unless and self.not_events_unless.search(text, left, right):
                return False  # "epidural steroid injection with contrast": the steroid's
            return any(rule.search(text, left, right) for rule in self.unnamed_not_events)
        return False

    def diluted_for_infiltration(self, text: str, event: dict[str, Any]) -> bool:
        """Whether the anchor of ``event`` (``start``, ``end``) is written right after or
        right before a dilution of ``infiltration_dilution`` ("1:100,000 epinephrine",
        "epinephrine 1:200,000"): a vasoconstrictor at that strength is the additive of a local
        anaesthetic or an infiltration for haemostasis, never a dose of its own (corpora/
        README.md: the local anaesthetic solution of an operation, its adrenaline included, is
        no event). Only the 40 characters either side are read."""
        start, end = event["start"], event["end"]
        return bool(
            (self.dilution_before and self.dilution_before.search(text[max(0, start - 40) : start]))
            or (self.dilution_after and self.dilution_after.search(text[end : end + 40]))
        )

    def restated(self, text: str, events: list[dict[str, Any]]) -> list[bool]:
        """Per event (``medication``, ``dose_value``): whether it is no event of its own
        because the note is a report of an injection procedure (a named procedure matching
        ``itself_procedure``) that names a drug other than a local anaesthetic: an unnamed
        injection with no dose restates that injection ("PROCEDURE: Lumbar epidural steroid
        injection"), so does a drug named on the procedure line that the report's body then
        describes as injected, and a local anaesthetic is the skin wheal or the injectate's
        vehicle.
        All False when ``restated_in_injection_report`` is off or the note is no such
        report. Source: corpora/README.md labelling decisions (procedures)."""
        none = [False] * len(events)
        treated = any(e.get("medication") not in (None, *self.anaesthetics) for e in events)
        if not (self.restated_in_injection_report and treated):
            return none
        if not any(self.itself.search(name) for name in self.named_procedures(text)):
            return none
        lines = [m.span() for m in self.procedure_line.finditer(text)]
        return [
            (e.get("medication") is None and e.get("dose_value") is None)
            or e.get("medication") in self.anaesthetics
            or (  # the procedure line names the drug the body then describes as injected
                any(lo <= e["start"] < hi for lo, hi in lines)
                and any(
                    later["start"] > e["start"]
                    and later.get("medication") == e.get("medication")
                    and not any(lo <= later["start"] < hi for lo, hi in lines)
                    for later in events
                )
            )
            for e in events
        ]

    def named_procedures(self, text: str) -> list[str]:
        """The first item of each procedure line ("PROCEDURE: Left knee injection.", or
        the line after a heading alone on its line: "PROCEDURE" then "Left knee injection.")."""
        names = []
        title = self.reading.title.match(text)  # "ACROMIOCLAVICULAR JOINT INJECTION,PROCEDURE: ..."
        if title:
            names.append(title.group(1))
        for match in self.procedure_line.finditer(text):
            named = next((g for g in match.groups() if g is not None), "")
            line = self.reading.list_number.sub("", named.lstrip(" ,"), count=1)
            names.append(self.reading.first_item_end.split(line, maxsplit=1)[0])
        return names

    def report_context(self, text: str) -> bool:
        """Whether the whole note is an operative/procedure report whose procedure is not
        itself an injection (so every injection in it serves the procedure). A summary of
        a stay (``not_markers``) is never one."""
        if not any(m.search(text) for m in self.markers):
            return False
        if any(m.search(text) for m in self.not_markers):
            return False
        return not any(self.itself.search(name) for name in self.named_procedures(text))

    def implied_route(self, text: str, medication: str | None = None) -> str | None:
        """The route a named injection procedure implies for route-less injections of the
        note (a "Hip injection" report: ``other``), or, for a drug that is not sedation
        (``sedatives_in_injection_reports``), the route a named needle lesioning procedure
        implies (``lesion_routes``: "Radiofrequency thermocoagulation of the lumbar
        sympathetic chain": the steroid injected at the needle tip is route ``other``); or
        None."""
        names = self.named_procedures(text)
        for name in names:
            if self.itself.search(name):
                for route, pattern in self.procedure_routes:
                    if pattern.search(name):
                        return route
        if (medication or "").lower() in self.sedatives_in_injection_reports:
            return None
        for name in names:
            for route, pattern in self.lesion_routes:
                if pattern.search(name):
                    return route
        return None

    def implied_side(self, text: str) -> str | None:
        """The one side the note's injection procedure lines state ("NAME OF OPERATION: 1.
        Left L5-S1 transforaminal epidural steroid block. 2. Left L4-5 ..."), for its
        route-``other`` injections that state none: each procedure line whose first item is
        itself an injection, or a needle lesioning procedure whose injections are route
        ``other`` (``lesion_routes``: "Right sacral alar notch and sacroiliac joint/posterior
        rami radiofrequency thermocoagulation", the steroid injected at the needle tip), is
        read with its further numbered items, up to the next heading or blank line
        (``procedure_items_end``); None when there is no such line, or the lines name no side,
        both sides or a bilateral one (``procedure_sides``)."""
        sides: set[str] = set()
        if self.procedure_items_end is None or not self.procedure_sides:
            return None
        reach = self.procedure_items_chars
        for match in self.procedure_line.finditer(text):
            group = next((i for i in (1, 2) if match.group(i) is not None), None)
            if group is None:
                continue
            start = match.start(group)
            end = self.procedure_items_end.search(text, start, start + reach)
            items = text[start : end.start() if end else start + reach]
            first = self.reading.first_item_end.split(
                self.reading.list_number.sub("", items.lstrip(" ,"), count=1), 1
            )[0]
            if self.itself.search(first) or any(p.search(first) for _, p in self.lesion_routes):
                sides |= {side for side, rx in self.procedure_sides if rx.search(items)}
        return next(iter(sides)) if len(sides) == 1 and "bilateral" not in sides else None

    def event_context(self, text: str, start: int, end: int) -> bool:
        """Whether the sentence around the anchor ``text[start:end]`` says the injection
        serves a procedure (an ``event_cues`` match, or a ``sedation_cues`` match with no
        ``icu_sedation`` word in the sentence or the one before it). A match after the anchor
        with a history word between (``cue_after_history``: "Metoprolol 2.5 mg IV for hx of
        rapid AF pre-op") dates that history, not the drug."""
        left, right = self.reading.around(text, start, end)
        if any(self._cue_found(cue, text, left, right, end) for cue in self.cues):
            return True
        # a cue that tells the time of the dose ("as the sheath came out, atropine given")
        # counts only before the drug: after it, it dates what follows
        if any(cue.search(text, left, start) for cue in self.cues_before):
            return True
        if not any(self._cue_found(cue, text, left, right, end) for cue in self.sedation_cues):
            return False
        # "propofol for sedation" in an ICU note of a ventilated patient on drips: the sedation
        # the stay keeps up (``icu_sedation`` in this sentence or the one before), no procedure
        prev = self.reading.before(text, left)
        prev = max(0, left - self.reading.sentence_step) if prev is None else prev
        # ... or the one after (morphine every two hours to settle him, then the propofol rate
        # raised in the next sentence: the drips told next; helper nursing18, nurs-147-2)
        return self.icu_sedation is None or not self.icu_sedation.search(
            text, prev, self.reading.after(text, right)
        )

    def _cue_found(self, cue: re.Pattern[str], text: str, left: int, right: int, end: int) -> bool:
        """Does ``cue`` match in ``text[left:right]`` other than after the anchor (ending at
        ``end``) with a history word between (``cue_after_history``), or after the anchor by
        more than ``cue_after_chars`` characters (a cue at the far end of a long run-on
        sentence of ICU shorthand tells of another clause's care)?"""
        far = None if self.cue_after_chars is None else end + self.cue_after_chars
        return any(
            not (
                self.cue_after_history is not None
                and match.start() >= end
                and self.cue_after_history.search(text, end, match.start())
            )
            and (far is None or match.start() <= far)
            for match in cue.finditer(text, left, right)
        )
