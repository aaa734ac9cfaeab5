"""The HTML report: ``report.html``, one self-contained page (inline CSS and JS, no network).

What the page shows: a summary (notes audited, status counts, most frequent missing
elements, flags with the code to bill instead, breakdowns by medication and by an input
column the user names), a table of notes filterable by status, missing element, flag and
group and searchable by note id, and per note its findings (each with the rule and the
``source`` of that rule in the requirement spec) and its text with every event's evidence
highlighted and labelled in the style of displaCy's entity view.

How it is built, and what it keeps in memory:

- ``write_report`` runs after the audit has written ``notes.jsonl`` and ``events.jsonl``.
  It streams both back and re-reads the input export with the same reader, pairing input
  record *i* with notes line *i* (a note id that does not match stops the pairing: the
  rest of the report then has findings but no text).
- Per note it keeps one compact row (id, status, element/flag bitmasks, counts, group).
- Only notes with an event, a flag or an error get a detail fragment (findings and
  highlighted text), rendered here in Python. Notes without events or flags carry no
  text. A note longer than ``MAX_NOTE_CHARS`` is embedded as excerpts of
  ``EXCERPT_CHARS`` around its highlights. Once ``TEXT_BUDGET_CHARS`` characters of note
  text are embedded, later notes carry findings only (the page says so).
- With ``redact`` no note text is read into the report at all: findings and normalised
  values only.

The page embeds the rows and the fragments as JSON in two ``<script type=
"application/json">`` tags. Its script renders one page of table rows at a time, parses
the fragments only when a note is first opened and builds a note's DOM only when opened,
so a 5,000-note report opens as fast as a 50-note one. The page state (filters, search,
page, open note) lives in the URL hash (``report.html#status=gaps&element=route``), so a
view can be bookmarked and the page can be tested with ``chromium --dump-dom``.

Highlights: event rows carry the anchor's character offsets (``start``/``end``) and, in
``spans``, the offsets of the words every element was read from (medication, dose, route,
site, laterality, indication, response, provider, evidence; ``auditor.extraction``). The
report marks exactly those offsets: nothing is searched for again, so two events with the
same site ("one in the R gluteal and one in the L gluteal") each mark their own words. A
note's ``not_administered`` mentions (offsets, medication and the rule that raised them) are
marked too and named in the note's findings. Highlights that would overlap an earlier one
are dropped from the text (the findings still list the value).
"""

from __future__ import annotations

import io
import json
import logging
import os
import tempfile
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup, escape

from ..errors import OutputError
from ..frames import SETTINGS, STATUSES, is_missing, json_safe, json_value
from ..patterns import Patterns, load_patterns
from ..records import NoteRecord, clean_text, lexicon_words, normalise_text, reader_rules
from ..requirements import RequirementSpec
from ..review import claim_findings, findings_of, read_jsonl, run_key, spec_id, spec_id_of
from ..review import read_rows as read_report_rows  # the one reader of report rows
from ..setting import SettingRules

log = logging.getLogger("auditor")

NO_SETTING = "(not stated)"  # the breakdown's name for a null setting
TEXT_FIELDS = ("indication", "response", "provider", "evidence")
LABELS = ("medication", "injection", "dose", "route", "site") + TEXT_FIELDS + ("not_administered",)
NOTE_LEVEL = 0  # ``Highlight.event_id`` of a note-level mark (a not-administered mention)
MAX_NOTE_CHARS = 100_000  # longer notes are embedded as excerpts around their highlights
EXCERPT_CHARS = 1_500  # characters kept on each side of a highlight in an excerpt
TEXT_BUDGET_CHARS = 30_000_000  # note text embedded in one report, at most
GROUP_VALUE_CHARS = 80  # a group value is cut to this length
PAGE_SIZE = 50  # table rows per page
SUMMARY_ROWS = 10  # summary table rows shown before "show all"

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("auditor", "templates"),
    autoescape=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


@dataclass(frozen=True)
class Highlight:
    """One labelled span of note text.

    Attributes:
        start, end: character offsets into the note text (0-based, end-exclusive).
        label: one of ``LABELS``.
        event_id: the event it belongs to (1-based within the note).
        title: what the span stands for, normalised (shown as a tooltip).
    """

    start: int
    end: int
    label: str
    event_id: int
    title: str


# --- locating evidence --------------------------------------------------------------------


def _offsets(value: Any, length: int) -> tuple[int, int] | None:
    """``(start, end)`` from a ``[start, end]`` pair that fits a text of ``length``, else None."""
    if not isinstance(value, list | tuple) or len(value) != 2:
        return None
    start, end = _as_int(value[0]), _as_int(value[1])
    if start is None or end is None or not 0 <= start < end <= length:
        return None
    return start, end


def element_spans(event: Mapping[str, Any], length: int) -> dict[str, tuple[int, int]]:
    """An event row's ``spans`` (a dict, or its JSON text from a frame) that fit a text of
    ``length`` characters: element -> ``(start, end)``."""
    spans = json_value(event.get("spans"), "json")
    if not isinstance(spans, dict):
        return {}
    fitting = {k: _offsets(v, length) for k, v in spans.items()}
    return {k: v for k, v in fitting.items() if v is not None}


def not_administered_mentions(note: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A note row's ``not_administered`` mentions (list, or its JSON text from a frame)."""
    mentions = json_value(note.get("not_administered"), "json")
    return [m for m in mentions or [] if isinstance(m, dict)]


def mention_title(mention: Mapping[str, Any]) -> str:
    """``"ketorolac (context:NEGATED_EXISTENCE)"``: what a not-administered mark says."""
    name = mention.get("medication") or "unnamed injection"
    return f"{name} ({mention.get('decided_by') or 'rule not recorded'})"


def _as_int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return None if is_missing(value) else int(value)
    except (TypeError, ValueError):
        return None


def _fmt_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value:,}" if isinstance(value, int) else f"{value:g}"


def dose_display(event: Mapping[str, Any]) -> str | None:
    """``"1,000 mcg"`` for an event's normalised dose, or None."""
    if event.get("dose_value") is None:
        return None
    return f"{_fmt_number(event['dose_value'])} {event.get('dose_unit') or ''}".strip()


def site_display(event: Mapping[str, Any]) -> str | None:
    """``"gluteal (left)"`` for an event's site and laterality, or None."""
    site, side = event.get("site"), event.get("laterality")
    if site is None:
        return f"(other site, {side})" if side else None
    return f"{site} ({side})" if side else site


class EvidenceLocator:
    """Marks an event's evidence in its note by the offsets the event carries (``spans``).

    Args:
        patterns: the rule files (kept for callers that pass them; offsets need no lexicon).
    """

    def __init__(self, patterns: Patterns | None = None) -> None:
        self.patterns = patterns

    def locate(self, text: str, event: Mapping[str, Any]) -> list[Highlight]:
        """Highlights of one event, anchor first.

        Args:
            text: the note text the event's offsets index (after ``clean_text``).
            event: an event row (``records.EVENT_COLUMNS``).

        Returns:
            Zero or more ``Highlight``s: the anchor, then each documented element whose
            span fits the text (site and laterality both under the label ``site``); none
            when the anchor offsets do not fit the text.
        """
        anchor = _offsets([event.get("start"), event.get("end")], len(text))
        if anchor is None:
            return []
        eid = _as_int(event.get("event_id")) or 1
        if event.get("medication"):
            found = [Highlight(*anchor, "medication", eid, str(event["medication"]))]
        else:
            found = [Highlight(*anchor, "injection", eid, "unnamed injection")]
        spans = element_spans(event, len(text))
        titles = {
            "dose": ("dose", dose_display(event)),
            "route": ("route", event.get("route")),
            "site": ("site", site_display(event)),
            "laterality": ("site", site_display(event)),
            **{k: (k, event.get(k)) for k in TEXT_FIELDS},
        }
        for element, (label, title) in titles.items():
            if element in spans and title is not None:
                found.append(Highlight(*spans[element], label, eid, str(title)))
        return found

    @staticmethod
    def locate_not_administered(text: str, note: Mapping[str, Any]) -> list[Highlight]:
        """Note-level highlights of the mentions that raised ``not_administered``."""
        out = []
        for mention in not_administered_mentions(note):
            at = _offsets([mention.get("start"), mention.get("end")], len(text))
            if at is not None:
                out.append(Highlight(*at, "not_administered", NOTE_LEVEL, mention_title(mention)))
        return out


@lru_cache(maxsize=4)
def default_locator(patterns_dir: str | None = None) -> EvidenceLocator:
    """One ``EvidenceLocator`` per patterns folder (default: the bundled one)."""
    return EvidenceLocator(load_patterns(patterns_dir))


def place(highlights: Iterable[Highlight]) -> list[tuple[int, int, list[Highlight]]]:
    """Resolve overlaps: keep highlights in the order given unless they overlap a kept one.

    Highlights with the very same span share one mark (two events' common indication).

    Returns:
        ``(start, end, [highlights])`` in text order, non-overlapping.
    """
    kept: dict[tuple[int, int], list[Highlight]] = {}
    for h in highlights:
        if (h.start, h.end) in kept:
            kept[(h.start, h.end)].append(h)
        elif not any(h.start < e and s < h.end for s, e in kept):
            kept[(h.start, h.end)] = [h]
    return [(s, e, hs) for (s, e), hs in sorted(kept.items())]


# --- rendering one note -------------------------------------------------------------------


def _mark(text: str, hs: list[Highlight], numbered: bool) -> str:
    first = hs[0]
    events: dict[str, list[str]] = {}
    for h in hs:
        events.setdefault(h.label, []).append(str(h.event_id))
    tag = " ".join(
        label.replace("_", " ") + (" " + ",".join(ids) if numbered and ids != ["0"] else "")
        for label, ids in events.items()
    )
    title = "; ".join(
        dict.fromkeys(
            (f"event {h.event_id} " if numbered and h.event_id != NOTE_LEVEL else "")
            + f"{h.label.replace('_', ' ')}: {h.title}"
            for h in hs
        )
    )
    return (
        f'<mark class="ent ent-{first.label}" data-label="{first.label}" title="{escape(title)}">'
        f'{escape(text)}<span class="ent-label">{escape(tag)}</span></mark>'
    )


def highlight_html(
    text: str,
    highlights: Iterable[Highlight],
    max_chars: int = MAX_NOTE_CHARS,
    numbered: bool = False,
) -> tuple[str, int]:
    """The note text as HTML with each highlight wrapped in a labelled ``<mark>``.

    Args:
        text: the note text.
        highlights: spans to mark (see ``place`` for overlaps).
        max_chars: a longer text is shown as excerpts of ``EXCERPT_CHARS`` around the
            highlights (the first ``2 * EXCERPT_CHARS`` characters when there are none).
        numbered: add the event number to each label (notes with several events).

    Returns:
        ``(html, n)``: an HTML string (``<div class="note-text">``; styles in
        ``note_css()``) and the number of note characters it contains.
    """
    marks = place(highlights)
    if len(text) <= max_chars:
        windows = [(0, len(text))]
    elif marks:
        windows = []
        for s, e, _ in marks:
            lo, hi = max(0, s - EXCERPT_CHARS), min(len(text), e + EXCERPT_CHARS)
            if windows and lo <= windows[-1][1]:
                windows[-1] = (windows[-1][0], max(hi, windows[-1][1]))
            else:
                windows.append((lo, hi))
    else:
        windows = [(0, min(len(text), 2 * EXCERPT_CHARS))]
    parts: list[str] = ['<div class="note-text">']
    shown, pos = 0, 0
    for lo, hi in windows:
        if lo > pos:
            parts.append(f'<span class="gap">[… {lo - pos:,} characters not shown …]</span>\n')
        cursor = lo
        for s, e, hs in marks:
            if s < lo or e > hi:
                continue
            parts.append(str(escape(text[cursor:s])))
            parts.append(_mark(text[s:e], hs, numbered))
            cursor = e
        parts.append(str(escape(text[cursor:hi])))
        shown += hi - lo
        pos = hi
    if pos < len(text):
        parts.append(f'\n<span class="gap">[… {len(text) - pos:,} characters not shown …]</span>')
    parts.append("</div>")
    return "".join(parts), shown


def _clean_event(event: Mapping[str, Any]) -> dict[str, Any]:
    """A plain event dict (``frames.json_safe`` values: rows of a DataFrame included)."""
    return {k: json_safe(v) for k, v in dict(event).items()}


def _event_view(
    event: dict[str, Any],
    spec: RequirementSpec,
    located: set[tuple[int, str]],
    redact: bool,
    sources: dict[str, dict[str, str]],
) -> dict[str, Any]:
    eid = _as_int(event.get("event_id")) or 1
    missing, advisories = set(event.get("missing") or []), set(event.get("advisories") or [])
    eligible = bool(event.get("eligible"))
    values = {
        "medication": event.get("medication"),
        "dose": dose_display(event),
        "route": event.get("route"),
        "site": site_display(event),
        **{k: event.get(k) for k in TEXT_FIELDS},
    }
    rows = []
    kinds = [(e, "required") for e in spec.required_elements]
    kinds += [(e, "advisory") for e in sorted(sources["advisory"])]
    for element, kind in kinds:
        value = values.get(element)
        gap = element in (missing if kind == "required" else advisories)
        if not eligible:
            state = "not checked"
        else:
            state = "missing" if gap else "documented"
        if value is None and redact and element in TEXT_FIELDS and not gap and eligible:
            value = "(text redacted)"
        rows.append(
            {
                "element": element,
                "kind": kind,
                "value": value,
                "quoted": element in TEXT_FIELDS
                and value is not None
                and value != "(text redacted)",
                "state": state,
                "source": sources[kind].get(element, ""),
                "located": None if redact or value is None else (eid, element) in located,
            }
        )
    return {
        "event_id": eid,
        "name": event.get("medication") or "unnamed injection",
        "as_written": None if redact else event.get("medication_text"),
        "eligible": eligible,
        "flags": list(event.get("flags") or []),
        "rows": rows,
    }


def _finding(
    kind: str, what: str, scope: str, rule: str, source: str, detail: str = "", code: str = ""
):
    return {
        "code": code,
        "event_id": None,
        "kind": kind,
        "what": what,
        "scope": scope,
        "rule": rule,
        "source": source,
        "detail": detail,
    }


# the compiled setting rules of each rule set read (``setting_reason``), by ``Patterns.sha256``
_SETTINGS: dict[str, SettingRules] = {}


def setting_reason(patterns: Patterns, text: str, setting: str) -> str:
    """Why a note has ``setting``, for its ``inpatient`` finding: the ``setting.yaml`` rule
    its words match (``SettingRules.decide`` on the text as the audit read it: a title,
    heading or statement rule by its index, a care profile by its name, a setting field
    written in the note), or the input's setting column when its words give another
    setting (the column wins: contract section 2b)."""
    rules = _SETTINGS.get(patterns.sha256)
    if rules is None:
        rules = _SETTINGS[patterns.sha256] = SettingRules.from_rules(patterns.setting)
    decided, rule = rules.decide(text)
    if decided != setting or rule is None:
        return f"setting {setting} from the input's setting column"
    kind, _, index = rule.partition(":")
    if kind == "column":
        return f"setting {setting} from a setting field written in the note"
    if kind == "profile":
        name = rules.profiles[int(index)].name
        return f"setting {setting}: the note fits the care profile {name!r} (setting.yaml)"
    where = {"title": "its title", "heading": "a heading"}.get(kind, "a statement")
    return f"setting {setting}: {where} matches setting.yaml note_rules[{index}]"


def _findings(
    note: Mapping[str, Any],
    views: list[dict[str, Any]],
    spec: RequirementSpec,
    sources: dict[str, dict[str, str]],
    setting_why: str = "",
) -> list[dict[str, Any]]:
    """Each finding of a note with the rule that produced it and that rule's source
    (``setting_why``: ``setting_reason``, added to an ``inpatient`` finding)."""
    bill = spec.bill_instead()
    out: list[dict[str, Any]] = []
    if note.get("status") == "error":
        error = note.get("error") or ""
        out.append(
            _finding(
                "error",
                "record not audited",
                "note",
                "status error",
                "contract section 4",
                error,
                "error:record",
            )
        )
    for v in views:
        scope = f"event {v['event_id']} ({v['name']})"
        first = len(out)
        for row in v["rows"]:
            if row["state"] != "missing":
                continue
            required = row["kind"] == "required"
            what = row["element"] + (" missing" if required else " not documented (advisory)")
            rule = f"{row['kind']} element {row['element']}"
            kind = "missing" if required else "advisory"
            code = f"{kind}:{row['element']}"
            out.append(_finding(kind, what, scope, rule, row["source"], "", code))
        for flag in v["flags"]:
            detail = f"not billable as 96372; bill {bill[flag]} instead" if flag in bill else ""
            if flag == "inpatient" and setting_why:
                detail = f"{detail}; {setting_why}" if detail else setting_why
            out.append(
                _finding(
                    "flag",
                    flag,
                    scope,
                    f"exclusion flag {flag}",
                    sources["flags"].get(flag, ""),
                    detail,
                    f"flag:{flag}",
                )
            )
        for f in out[first:]:
            f["event_id"] = v["event_id"]
    event_flags = {f for v in views for f in v["flags"]}
    for flag in note.get("flags") or []:
        if flag not in event_flags:
            detail = ""
            if flag == "not_administered":
                detail = "; ".join(
                    f"{mention_title(m)} at characters {m.get('start')}-{m.get('end')}"
                    for m in not_administered_mentions(note)
                )
            source = sources["flags"].get(flag, "")
            rule = f"note flag {flag}"
            out.append(_finding("flag", flag, "note", rule, source, detail, f"flag:{flag}"))
    return out


def note_detail(
    note: Mapping[str, Any] | None,
    events: Iterable[Mapping[str, Any]],
    text: str | None,
    spec: RequirementSpec,
    locator: EvidenceLocator | None = None,
    redact: bool = False,
    text_note: str | None = None,
    max_chars: int = MAX_NOTE_CHARS,
    spec_id: str | None = None,
) -> tuple[str, int]:
    """One note's findings, normalised values and highlighted text as an HTML fragment.

    Args:
        note: the note row (``records.NOTE_COLUMNS``); None derives the findings from the
            events alone (no note-level flags).
        events: the note's event rows (dicts or DataFrame rows as dicts; NaN = None).
        text: the note text, or None to show findings only.
        spec: the requirement spec (rule sources, codes to bill instead).
        locator: finds evidence in the text (default: the bundled lexicons).
        redact: findings and normalised values only; ``text`` and evidence text are ignored.
        text_note: a line shown instead of the text (why it is not embedded).
        max_chars: see ``highlight_html``.
        spec_id: the spec id in finding ids (``review.spec_id``; default: ``spec``'s own);
            each finding's ``<li>`` carries its id as ``data-fid`` for the review controls.

    Returns:
        ``(html, n)``: the fragment (styles in ``note_css()``) and the number of note
        characters embedded in it.
    """
    rows = [_clean_event(e) for e in events]
    note = dict(note) if note is not None else {"status": None, "flags": []}
    text_html, shown = None, 0
    located: set[tuple[int, str]] = set()
    setting_why = ""
    if text is not None and not redact:
        locator = locator or default_locator()
        # what the offsets index (the audit's rule set joins its own words); shown as written
        cleaned = clean_text(text, lexicon_words(locator.patterns), reader_rules(locator.patterns))
        highlights = [h for e in rows for h in locator.locate(cleaned, e)]
        highlights += EvidenceLocator.locate_not_administered(cleaned, note)
        highlights.sort(key=lambda h: LABELS.index(h.label))  # anchors first, evidence last
        placed = place(highlights)
        located = {(h.event_id, h.label) for _, _, hs in placed for h in hs}
        text_html, shown = highlight_html(
            normalise_text(text), highlights, max_chars, numbered=len(rows) > 1
        )
        if note.get("setting") and any("inpatient" in v.get("flags", ()) for v in rows):
            setting_why = setting_reason(locator.patterns, cleaned, str(note["setting"]))
    sources = spec.rule_sources()
    views = [_event_view(e, spec, located, redact, sources) for e in rows]
    findings = _findings(note, views, spec, sources, setting_why)
    if note.get("note_id") is not None:
        sid = spec_id or spec_id_of(spec.spec)
        fids = {(f.event_id, f.finding): f.id for f in findings_of(note, rows, sid)}
        for f in findings:
            f["fid"] = fids.get((f["event_id"], f["code"]))
    html = _ENV.get_template("note.html.j2").render(
        note=note,
        findings=findings,
        events=views,
        text_html=Markup(text_html) if text_html is not None else None,
        text_note=text_note,
        redact=redact,
    )
    return html, shown


def note_css() -> str:
    """The CSS for ``note_detail`` / ``highlight_html`` fragments (label colours, marks)."""
    return _ENV.get_template("note.css.j2").render()


def note_html(
    text: str | None,
    events: Iterable[Mapping[str, Any]],
    note: Mapping[str, Any] | None = None,
    patterns_dir: str | None = None,
    redact: bool = False,
) -> str:
    """A standalone HTML fragment (with its ``<style>``) of one note, for notebooks.

    ``IPython.display.HTML(note_html(text, events_df[events_df.note_id == i].to_dict(
    "records"), note_row))`` shows the note as the report does.

    Args:
        text: the note text (None: findings only).
        events: the note's event rows.
        note: the note row, optional.
        patterns_dir: rule folder (default: bundled ``patterns/``).
        redact: findings and normalised values only.
    """
    patterns = load_patterns(patterns_dir)
    body, _ = note_detail(
        note,
        events,
        text,
        RequirementSpec(patterns.requirements),
        default_locator(patterns_dir),
        redact,
    )
    return f'<div class="auditor-note"><style>{note_css()}</style>{body}</div>'


# --- the report ---------------------------------------------------------------------------


def _group_value(value: Any) -> str:
    """A group label: white space collapsed, cut to ``GROUP_VALUE_CHARS``; missing values
    (None, NaN, pandas' NA/NaT) and empty strings are ``"(blank)"``."""
    if is_missing(value):
        return "(blank)"
    value = " ".join(str(value).split())
    return value[:GROUP_VALUE_CHARS] if value not in ("", "<NA>", "NaT") else "(blank)"


def _mask(names: Iterable[str], order: list[str]) -> int:
    return sum(1 << order.index(n) for n in names if n in order)


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


class Spill:
    """The items of a JSON array kept on disk, not in memory: one script-safe JSON value
    per line of an anonymous temporary file (deleted when closed or when the process
    ends). ``len()`` and indexing work (indexing reads the file: for tests and small
    reports); ``write_array`` streams the array into a page.

    Args:
        folder: where the temporary file lives (None: the system's temporary folder).
    """

    def __init__(self, folder: str | Path | None = None) -> None:
        self._file = tempfile.TemporaryFile("w+", encoding="utf-8", newline="\n", dir=folder)
        self._count = 0
        self.patched: set[int] = set()  # items ``write_array`` passes through its ``patch``

    def append(self, value: Any) -> None:
        """Add one item (anything ``json.dumps`` takes)."""
        self._file.write(_script_json(value) + "\n")
        self._count += 1

    def __len__(self) -> int:
        return self._count

    def _lines(self) -> Iterator[str]:
        self._file.flush()
        self._file.seek(0)
        try:
            for line in self._file:
                yield line.rstrip("\n")
        finally:
            self._file.seek(0, os.SEEK_END)

    def __getitem__(self, index: int) -> Any:
        if not -self._count <= index < self._count:
            raise IndexError(index)
        index %= self._count
        for i, line in enumerate(self._lines()):
            if i == index:
                return json.loads(line)
        raise IndexError(index)  # pragma: no cover

    def __iter__(self) -> Iterator[Any]:
        for line in self._lines():
            yield json.loads(line)

    def write_array(self, out: Any, patch: Callable[[int, Any], Any] | None = None) -> None:
        """Write the items to the text stream ``out`` as one JSON array; ``patch(i, item)``
        (for the indexes in ``patched``) returns the item to write instead."""
        out.write("[")
        for i, line in enumerate(self._lines()):
            if patch is not None and i in self.patched:
                line = _script_json(patch(i, json.loads(line)))
            out.write("," + line if i else line)
        out.write("]")

    def close(self) -> None:
        self._file.close()


_ROWS_MARK = "@@auditor-report-rows@@"  # stand-ins replaced by the spilled arrays
_DETAILS_MARK = "@@auditor-report-details@@"


class ReportBuilder:
    """Accumulates what the report needs, one note at a time.

    Args:
        spec: the requirement spec.
        locator: finds evidence in note text (None when redacting).
        group_by: input column for the group breakdown (from ``NoteRecord.extra``).
        redact: never embed note or evidence text.
        text_budget: note characters to embed in the whole report, at most.
        max_note_chars: see ``highlight_html``.
        spill_dir: folder for the temporary files that hold the table rows and the note
            fragments until the page is written (None: the system's temporary folder).

    Memory: the summary counters and one entry per distinct group value; the rows and
    fragments go to disk as they come (``Spill``), so memory does not grow with the
    number of notes.
        spec_id: the spec id in finding ids (``review.spec_id`` of ``run.json``; default: the
            spec's own ``cpt@version``).
    """

    def __init__(
        self,
        spec: RequirementSpec,
        locator: EvidenceLocator | None = None,
        group_by: str | None = None,
        redact: bool = False,
        text_budget: int = TEXT_BUDGET_CHARS,
        max_note_chars: int = MAX_NOTE_CHARS,
        spill_dir: str | Path | None = None,
        spec_id: str | None = None,
    ) -> None:
        self.spec, self.locator, self.group_by, self.redact = spec, locator, group_by, redact
        self.spec_id = spec_id or spec_id_of(spec.spec)
        self.decisions: dict[str, dict[str, Any]] = {}  # finding id -> review, from the rows
        self.text_budget, self.max_note_chars = text_budget, max_note_chars
        self.elements = spec.required_elements
        self.advisories = [r["element"] for r in spec.spec["advisory"]]
        self.flags = spec.flag_codes
        self.rows = Spill(spill_dir)
        self.details = Spill(spill_dir)
        # what add_claims adds to spilled rows and fragments (claimed notes only)
        self._row_findings: dict[int, list[list[Any]]] = defaultdict(list)
        self._row_detail: dict[int, int] = {}
        self._detail_extra: dict[int, str] = defaultdict(str)
        self.groups: dict[str, int] = {}
        self.group_seen = False
        self.columns: set[str] = set()
        self.text_chars = 0
        self.notes_over_budget = 0
        self.status: Counter[str] = Counter()
        self.missing: Counter[str] = Counter()
        self.note_flags: Counter[str] = Counter()
        self.event_flags: Counter[str] = Counter()
        self.n_events = self.n_eligible = 0
        self.meds: dict[str, Counter[str]] = defaultdict(Counter)
        self.group_status: dict[str, Counter[str]] = defaultdict(Counter)
        self.setting_status: dict[str, Counter[str]] = defaultdict(Counter)

    def add(
        self,
        note: Mapping[str, Any],
        events: list[Mapping[str, Any]],
        text: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Take one note.

        Args:
            note: the note row (``records.NOTE_COLUMNS``).
            events: its event rows, in text order.
            text: its text (ignored when redacting, or when the note has no event or flag).
            extra: its other input columns (``NoteRecord.extra``), for ``group_by``.
        """
        status = note["status"]
        self.status[status] += 1
        setting = note.get("setting")
        self.setting_status[setting or NO_SETTING][status] += 1
        self.missing.update(note.get("missing") or [])
        self.note_flags.update(note.get("flags") or [])
        self.n_eligible += int(note.get("n_injections") or 0)
        group = -1
        if self.group_by is not None and extra is not None:
            self.columns.update(extra)
            if self.group_by in extra:
                self.group_seen = True
                value = _group_value(extra[self.group_by])
                group = self.groups.setdefault(value, len(self.groups))
                self.group_status[value][status] += 1
        for e in events:
            self.n_events += 1
            med = self.meds[e.get("medication") or "(unnamed)"]
            med["events"] += 1
            self.event_flags.update(e.get("flags") or [])
            if e.get("eligible"):
                med["eligible"] += 1
                if e.get("missing"):
                    med["gaps"] += 1
                med.update("missing:" + m for m in e.get("missing") or [])
        findings = findings_of(note, events, self.spec_id)
        for e in [*events, note]:
            self._take_reviews(e.get("review"))
        detail = -1
        if events or note.get("flags") or status == "error":
            detail = len(self.details)
            self.details.append(self._detail(note, events, text))
        self.rows.append(
            [
                str(note["note_id"]),
                STATUSES.index(status) if status in STATUSES else len(STATUSES) - 1,
                _mask(note.get("missing") or [], self.elements),
                _mask(note.get("flags") or [], self.flags),
                _mask(note.get("advisories") or [], self.advisories),
                int(note.get("n_injections") or 0),
                len(events),
                group,
                detail,
                [[f.id, f.finding, f.event_id or 0] for f in findings],
                SETTINGS.index(setting) if setting in SETTINGS else -1,
            ]
        )

    def add_claims(self, claims: Iterable[Mapping[str, Any]]) -> None:
        """Add the findings of reconciled claim lines (``claims.jsonl`` rows) to their notes,
        after every note was added: each becomes a reviewable finding, listed under "Claim
        lines" in the note's detail. A line whose note id is not in the report (finding
        ``unmatched_claim``) has no note to be shown with; ``claims.jsonl`` keeps it."""
        index: dict[str, tuple[int, int]] = {}  # note id -> (row, detail) of its first row
        for i, row in enumerate(self.rows):
            index.setdefault(row[0], (i, row[8]))
        items: dict[int, list[str]] = defaultdict(list)
        for line in claims:
            i, _ = index.get(str(line.get("note_id")), (None, -1))
            found = claim_findings(line, self.spec_id)
            if i is None or not found:
                continue
            self._take_reviews(line.get("review"))
            billed = f"{line.get('code') or '?'} x{line.get('units') or '?'}"
            claim = f", claim {line['claim_id']}" if line.get("claim_id") else ""
            detail = "; ".join(str(d) for d in line.get("details") or [])
            for f in found:
                self._row_findings[i].append([f.id, f.finding, 0])
                code = f.finding.split(":", 1)[1]
                items[i].append(
                    f'<li class="finding f-claim" data-fid="{f.id}" '
                    f'data-code="{escape(f.finding)}">'
                    f'<span class="f-what">{escape(code)}</span> · <span class="f-scope">'
                    f"claim line {escape(billed + claim)}</span>"
                    + (f' · <span class="f-detail">{escape(detail)}</span>' if detail else "")
                    + "</li>"
                )
        by_row = {i: d for i, d in index.values()}
        for i, lis in items.items():
            html = (
                '<div class="note-detail"><h4>Claim lines</h4><ul class="findings">'
                + "".join(lis)
                + "</ul></div>"
            )
            self.rows.patched.add(i)
            if by_row[i] >= 0:
                self._detail_extra[by_row[i]] += html
                self.details.patched.add(by_row[i])
            else:
                self._row_detail[i] = len(self.details)
                self.details.append(html)

    def _patch_row(self, i: int, row: list[Any]) -> list[Any]:
        """A spilled table row with what ``add_claims`` added to it."""
        row[9] = row[9] + self._row_findings.get(i, [])
        if i in self._row_detail:
            row[8] = self._row_detail[i]
        return row

    def _patch_detail(self, i: int, html: str) -> str:
        return html + self._detail_extra.get(i, "")

    def _take_reviews(self, review: Any) -> None:
        """Keep the decided entries of a row's ``review`` field (``review.Reviewer``)."""
        if not isinstance(review, Mapping):
            return
        entries = review.get("findings", review)
        if not isinstance(entries, Mapping):
            return
        for entry in entries.values():
            if isinstance(entry, Mapping) and entry.get("decision") in ("accepted", "rejected"):
                self.decisions[str(entry["id"])] = {
                    k: entry[k] for k in ("decision", "comment", "decided_at") if k in entry
                }

    def _detail(
        self, note: Mapping[str, Any], events: list[Mapping[str, Any]], text: str | None
    ) -> str:
        text_note = None
        if self.redact:
            text, text_note = (
                None,
                "Redacted report: no note text, findings and normalised values only.",
            )
        elif text is not None and self.text_chars >= self.text_budget:
            self.notes_over_budget += 1
            text, text_note = (
                None,
                (
                    f"Note text not embedded: this report already holds its budget of "
                    f"{self.text_budget:,} characters of note text (see notes.jsonl/events.jsonl)."
                ),
            )
        elif text is None and note.get("status") != "error":
            text_note = "Note text not available (the input could not be re-read for the report)."
        html, shown = note_detail(
            note,
            events,
            text,
            self.spec,
            self.locator,
            self.redact,
            text_note,
            self.max_note_chars,
            self.spec_id,
        )
        self.text_chars += shown
        return html

    def _medication_rows(self) -> list[dict[str, Any]]:
        rows = []
        for name, c in sorted(self.meds.items(), key=lambda kv: (-kv[1]["events"], kv[0])):
            top = Counter({k[8:]: v for k, v in c.items() if k.startswith("missing:")})
            rows.append(
                {
                    "name": name,
                    "events": c["events"],
                    "eligible": c["eligible"],
                    "gaps": c["gaps"],
                    "gap_rate": _pct(c["gaps"], c["eligible"]),
                    "top_missing": ", ".join(f"{k} {v}" for k, v in top.most_common(3)),
                }
            )
        return rows

    def _group_rows(self, by: dict[str, Counter[str]] | None = None) -> list[dict[str, Any]]:
        """Status counts and gap rate per value of ``by`` (default: the group column),
        most notes first."""
        rows = []
        by = self.group_status if by is None else by
        for name, c in sorted(by.items(), key=lambda kv: (-kv[1].total(), kv[0])):
            judged = c["gaps"] + c["compliant"]
            rows.append(
                {
                    "name": name,
                    "notes": c.total(),
                    "counts": [c[s] for s in STATUSES],
                    "gap_rate": _pct(c["gaps"], judged),
                }
            )
        return rows

    def context(self, meta: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Everything ``report.html.j2`` renders (summary tables and the embedded JSON)."""
        n = len(self.rows)
        judged = self.status["gaps"] + self.status["compliant"]
        sources = self.spec.rule_sources()
        bill = self.spec.bill_instead()
        group_values = sorted(self.groups, key=self.groups.get)
        data = {
            "statuses": list(STATUSES),
            "elements": self.elements,
            "flags": self.flags,
            "advisories": self.advisories,
            "groups": group_values if self.group_seen else None,
            "groupBy": self.group_by if self.group_seen else None,
            "settings": list(SETTINGS),
            "pageSize": PAGE_SIZE,
            "redact": self.redact,
            "rows": _ROWS_MARK,
            "runKey": run_key(meta or {}),
            "specId": self.spec_id,
            "decisions": self.decisions,
        }
        return {
            "meta": dict(meta or {}),
            "n_notes": n,
            "n_events": self.n_events,
            "n_eligible": self.n_eligible,
            "n_judged": judged,
            "redact": self.redact,
            "status": [(s, self.status[s], _pct(self.status[s], n)) for s in STATUSES],
            "missing": sorted(
                ((e, self.missing[e], _pct(self.missing[e], judged)) for e in self.elements),
                key=lambda t: -t[1],
            ),
            "max_missing": max([self.missing[e] for e in self.elements] + [1]),
            "flags": [
                {
                    "flag": f,
                    "notes": self.note_flags[f],
                    "events": self.event_flags[f],
                    "bill": bill.get(f),
                    "source": sources["flags"].get(f, ""),
                }
                for f in self.flags
            ],
            "medications": self._medication_rows(),
            "group_by": self.group_by,
            "group_seen": self.group_seen,
            "columns": sorted(self.columns),
            "groups": self._group_rows(),
            "settings": self._group_rows(self.setting_status),
            "setting_names": list(SETTINGS),
            "statuses": STATUSES,
            "elements": self.elements,
            "flag_codes": self.flags,
            "summary_rows": SUMMARY_ROWS,
            "text_chars": self.text_chars,
            "notes_over_budget": self.notes_over_budget,
            "note_css": Markup(note_css()),
            "data_json": Markup(_script_json(data)),
            "details_json": Markup(_DETAILS_MARK),
        }

    def write(self, out: Any, meta: Mapping[str, Any] | None = None) -> None:
        """Write the whole page to the text stream ``out``, streaming the spilled rows and
        fragments into it (the page is never held in memory)."""
        page = _ENV.get_template("report.html.j2").render(**self.context(meta))
        head, rest = page.split(json.dumps(_ROWS_MARK), 1)
        middle, tail = rest.split(_DETAILS_MARK, 1)
        out.write(head)
        self.rows.write_array(out, self._patch_row)
        out.write(middle)
        self.details.write_array(out, self._patch_detail)
        out.write(tail)

    def render(self, meta: Mapping[str, Any] | None = None) -> str:
        """The whole page as a string (``write`` it to a file for a large report)."""
        buffer = io.StringIO()
        self.write(buffer, meta)
        return buffer.getvalue()

    def close(self) -> None:
        """Delete the temporary files."""
        self.rows.close()
        self.details.close()


def _script_json(value: Any) -> str:
    """JSON safe inside a ``<script>`` element.

    Only ``</`` (which would close the element) and ``<!--`` (which changes how the HTML
    parser reads script data) need escaping; both can occur only inside JSON strings,
    where ``<\\/`` and ``\\u003c!--`` mean the same characters.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<!--", "\\u003c!--").replace("</", "<\\/")


def write_report(
    folder: str | Path,
    records: Iterable[NoteRecord] | None = None,
    patterns_dir: str | None = None,
    group_by: str | None = None,
    redact: bool = False,
) -> Path:
    """Write ``folder/report.html`` from the folder's ``notes.jsonl``/``events.jsonl``.

    Args:
        folder: a report folder written by the audit (``run.json`` gives the page's
            header when present).
        records: the input records again, in input order (``io.readers.read_records``),
            for note text and the ``group_by`` column; None: findings only, no groups.
        patterns_dir: rule folder the audit used (default: bundled ``patterns/``).
        group_by: input column to break the notes down by (e.g. ``provider``); a column
            the input does not have is reported on the page and logged (name only).
        redact: no note text in the page at all.

    Returns:
        The path of ``report.html``, written atomically (``.part`` then rename).

    Raises:
        OutputError: the rows cannot be read or the page cannot be written.
        PatternError: the rule files are invalid.
    """
    folder = Path(folder)
    patterns = load_patterns(patterns_dir)
    meta: dict[str, Any] = {}
    try:
        meta = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        pass
    spec = RequirementSpec(patterns.spec((meta.get("spec") or {}).get("id")))
    builder = ReportBuilder(
        spec,
        None if redact else default_locator(patterns_dir),
        group_by,
        redact,
        spec_id=spec_id(meta) if meta else None,
    )
    source = iter(records) if records is not None else None
    for note, events in read_report_rows(folder):
        record = next(source, None) if source is not None else None
        if record is not None and record.note_id != str(note["note_id"]):
            log.warning(
                "report.html: the input no longer matches notes.jsonl at row %d; "
                "later notes are shown without text",
                record.row,
            )
            source, record = None, None
        needs_text = not redact and (
            note["status"] not in ("no_injection", "error") or note["flags"]
        )
        builder.add(
            note,
            events,
            record.text if record and needs_text else None,
            record.extra if record else None,
        )
    if group_by is not None and not builder.group_seen:
        log.warning("report.html: grouping column %r not found in the input", group_by)
    if (folder / "claims.jsonl").exists():
        builder.add_claims(read_jsonl(folder / "claims.jsonl"))
    try:
        return write_page(builder, folder / "report.html", meta)
    finally:
        builder.close()


def write_page(builder: ReportBuilder, target: Path, meta: Mapping[str, Any]) -> Path:
    """Render ``builder``'s page to ``target`` (written as ``.part``, then renamed).

    Args:
        builder: a ``ReportBuilder`` that has taken every note.
        target: the ``report.html`` path.
        meta: the run's ``run.json`` fields (page header).

    Raises:
        OutputError: the page cannot be written (the OS reason is given).
    """
    from .output import os_reason

    part = target.with_name(target.name + ".part")
    try:
        with open(part, "w", encoding="utf-8") as handle:
            builder.write(handle, meta)
        os.replace(part, target)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise OutputError(f"cannot write {target}: {os_reason(exc)}") from exc
    return target
