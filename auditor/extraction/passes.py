"""Passes over one note's events after they are found: what a later line, a log's dates or a
list's shared words say about them.

Each pass reads only the note view and the events (plain data) and the rules of
``extraction.yaml`` ``regex`` (``correction``, ``correction_above``, ``log_date``,
``log_day_label``, ``log_today``, ``divided_dose``) and
``window`` (``restated_gap_chars``, ``divided_dose_lookback_chars``, ``divided_dose_gap_chars``):

- ``corrected``: a correction that a charted dose was not given ("charted at 11:00 in error -
  NOT given") leaves no event of that drug charted before it (contract section 1: not given;
  corpora/README.md, team_d decision: ``not_administered``);
- ``corrected_above``: a correction line naming no drug that points at the entry above it
  ("^ Administration above ENTERED IN ERROR (charted on wrong patient)") leaves no event on the
  nearest line above it that holds one: those doses are reported as not given instead;
- ``table_drug``: a table's row (``segments.is_table_row``) that names no drug
  ("| 12/07/2026 | 100 mg | IM | ...") takes the one drug named on the line right above the
  table ("Drug: haloperidol decanoate 100 mg/mL"), when that line holds no event of its own;
- ``title_drug``: the drug-less events of a note whose one drug is named only on its title line
  (a series flowsheet headed by its drug) take that drug, when no event is named;
- ``earlier_log_entries``: in a log whose lines open with dates, the lines of other dates
  than today's are earlier visits' (contract section 1: historical): their mentions are
  skipped;
- ``share_list_site``: one site written after a list's shared verb ("Haloperidol 5 mg IM,
  lorazepam 2 mg IM and diphenhydramine 50 mg IM given together in the R gluteal") is the
  site of each drug of the list;
- ``merge_restated``: the same drug restated in brackets right after its dose ("EpiPen 0.3 mg
  (epinephrine 1:1000, 0.3 mL) administered ...") is that one dose, not a second;
- ``divided_doses``: a dose divided between sites ("Ceftriaxone 1 g IM, divided 500 mg R
  gluteal / 500 mg L gluteal") gives each site's event the amount written before its site;
- ``standing_order_route``: a dose given with no route of its own under a standing order or
  order line written earlier for the same drug with one injection route (``regex.order_line``:
  "Standing order on file: cyanocobalamin 1000 mcg/mL, inject 1 mL IM every 4 weeks") takes it;
- ``amount_told_twice``: the same mention's dose read twice from two places of an export row
  (its product name and its amount cells) with the same route, site and side is one dose;
- ``phrased_not_given``: a sentence phrase that tells a drug was not given with no drug word
  ConText could modify ("FS 118, no coverage needed": the sliding-scale insulin; "heparin
  restarted at 600 u/hr without bolus": the drip's bolus) raises ``not_administered`` for that
  drug when the note gives no event of it (``extraction.yaml`` ``not_given_phrases``);
- ``total_told_next``: a dose told with no amount takes the total the next sentence tells
  received with no drug named (an opioid pushed for pain overnight, then the sum received);
- ``eye_side``: an injection into the eye takes the eye written in ophthalmic shorthand ("OS",
  "OD": ``sites.yaml`` ``eye_sides``, read only where ``eye_routes`` names an injection into
  the eye).
"""

from __future__ import annotations

from .event import Event, NotGiven
from .rules import ExtractionRules
from .segments import Segment, is_table_row, opening_lines_end
from .sites import find_sites
from .view import CharSpan, Mention, NoteView


def _by_sentence(view: NoteView, events: list[Event]) -> dict[int, list[Event]]:
    """The events grouped by the sentence their anchor starts in (text order kept); an event
    outside every sentence is left out."""
    by_sent: dict[int, list[Event]] = {}
    for e in events:
        sent = view.sentence_at(e.start)
        if sent is not None:
            by_sent.setdefault(sent, []).append(e)
    return by_sent


def _list_verb_before(view: NoteView, sent: int, first: int, last: int, site_start: int) -> bool:
    """Is the administration word of sentence ``sent`` the list's: the site (at
    ``site_start``) comes after the list's last drug (ending at ``last``), an administration
    word stands between them, and none between the list's first drug (at ``first``) and its
    last (``share_list_site``, ``respective_sides``)?"""
    if site_start < last:
        return False
    admin = [m for m in view.in_sent(sent) if m.label == "ADMIN"]
    return any(last <= m.start < site_start for m in admin) and not any(
        first <= m.start < last for m in admin
    )


def corrected(
    view: NoteView, events: list[Event], not_given: list[NotGiven], rules: ExtractionRules
) -> list[Event]:
    """The events left after corrections: a not-given mention of a drug whose sentence is a
    correction (``regex.correction``: "in error", "correction", "charted incorrectly")
    removes the events of that drug whose anchor comes before it or in its sentence."""
    drop: set[int] = set()
    for item in not_given:
        if item.medication is None:
            continue
        sent = view.sentence_at(item.start)
        if sent is None:
            continue
        s = view.sentences[sent]
        line_start = view.text.rfind("\n", 0, item.start) + 1
        line_end = view.text.find("\n", item.end)
        line_end = len(view.text) if line_end < 0 else line_end
        if not rules.correction.search(view.text, min(s.start, line_start), max(s.end, line_end)):
            continue
        for e in events:
            if e.medication == item.medication and e.start < max(s.end, item.end):
                drop.add(id(e))
    return [e for e in events if id(e) not in drop]


def _line_of(text: str, pos: int) -> tuple[int, int]:
    """``(start, end)`` of the line holding character ``pos``."""
    end = text.find("\n", pos)
    return text.rfind("\n", 0, pos) + 1, len(text) if end < 0 else end


def corrected_above(
    view: NoteView, events: list[Event], rules: ExtractionRules
) -> tuple[list[Event], list[NotGiven]]:
    """The events left after corrections of the entry above, and the doses they remove: a
    line that matches ``regex.correction_above`` ("^ Administration above ENTERED IN ERROR",
    "previous entry charted on wrong patient") and names no drug removes every event whose
    anchor stands on the nearest line above it that holds an event's anchor; each removed
    dose is reported as not given (``correction:above``; contract section 1, corpora/README.md
    team_d decision: ``not_administered``)."""
    drop: dict[int, Event] = {}
    for found in rules.correction_above.finditer(view.text):
        lo, hi = _line_of(view.text, found.start())
        if any(m.label == "DRUG" and lo <= m.start < hi for m in view.mentions):
            continue  # a drug named on the line: ``corrected`` reads it
        above = [e for e in events if e.start < lo and id(e) not in drop]
        if not above:
            continue
        line = _line_of(view.text, max(e.start for e in above))
        for e in above:
            if line[0] <= e.start < line[1]:
                drop[id(e)] = e
    removed = [
        NotGiven(e.medication, e.start, e.end, "correction:above")
        for e in sorted(drop.values(), key=lambda e: e.start)
    ]
    return [e for e in events if id(e) not in drop], removed


def table_drug(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """Name the drug-less events of a table's rows (``segments.is_table_row``, or a
    column-aligned plain-text row, ``regex.spaced_row``) by the one
    drug (a single generic, however often written) named on the line right above the table,
    when no event stands on that line: a record headed "Drug: haloperidol decanoate 100
    mg/mL" over rows of date, dose, route and site. The event takes the drug, its lexicon
    exclusion (unless the exclusion depends on the note, ``exclusion_if``) and its span."""
    text = view.text

    def row(line: str) -> bool:
        return is_table_row(line, rules) or rules.spaced_row.search(line) is not None

    for e in events:
        if e.medication is not None:
            continue
        lo, hi = _line_of(text, e.start)
        if not row(text[lo:hi]):
            continue
        while lo > 0:  # up to the table's first line
            prev, end = _line_of(text, lo - 1)
            if not row(text[prev:end]):
                break
            lo = prev
        if lo == 0:
            continue
        head = _line_of(text, lo - 1)
        drugs = [m for m in view.mentions if m.label == "DRUG" and head[0] <= m.start < head[1]]
        if len({m.ident for m in drugs}) != 1:
            continue
        if any(head[0] <= other.start < head[1] for other in events):
            continue
        entry = rules.drugs.get(drugs[0].ident, {})
        e.medication, e.medication_text = drugs[0].ident, drugs[0].text
        e.spans["medication"] = drugs[0].span
        if entry.get("exclusion") and not entry.get("exclusion_if"):
            e.drug_exclusion = entry["exclusion"]


def title_drug(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """Name the drug-less events of a note that names one drug only, on its title line (the
    first non-blank line: "COUNTY STD CLINIC - Bicillin L-A series flowsheet" over rows of
    "2.4 MU IM: 1.2 MU R glute + 1.2 MU L glute, RN DM, no rxn"), when no event is named: the
    series record's doses are of the drug its title names. The events take the drug, its
    lexicon exclusion (unless it depends on the note, ``exclusion_if``) and its span."""
    if not events or any(e.medication is not None for e in events):
        return
    text = view.text
    start = len(text) - len(text.lstrip())
    end = text.find("\n", start)
    end = len(text) if end < 0 else end
    drugs = [m for m in view.mentions if m.label == "DRUG"]
    if not drugs or len({m.ident for m in drugs}) != 1:
        return
    if not all(start <= m.start < end for m in drugs) or any(
        start <= e.start < end for e in events
    ):
        return
    entry = rules.drugs.get(drugs[0].ident, {})
    for e in events:
        e.medication, e.medication_text = drugs[0].ident, drugs[0].text
        e.spans["medication"] = drugs[0].span
        if entry.get("exclusion") and not entry.get("exclusion_if"):
            e.drug_exclusion = entry["exclusion"]


def _log_lines(view: NoteView, rules: ExtractionRules) -> list[tuple[int, int, tuple | None, bool]]:
    """``(start, end, date key, marked today)`` of each line that opens with a date, or with a
    series step's label and its date or "today" (``regex.log_day_label``: "Day 8 (today):",
    whose date key is None)."""
    out = []
    for m in rules.log_date.finditer(view.text):
        start = m.start()
        end = view.text.find("\n", m.end())
        end = len(view.text) if end < 0 else end
        iso = m.group("iy") is not None
        month, day = int(m.group("im" if iso else "m")), int(m.group("id" if iso else "d"))
        year = m.group("iy" if iso else "y")
        if not (1 <= month <= 12 and 1 <= day <= 31):
            continue
        year_key = (int(year) % 100) if year else None
        today = bool(rules.log_today.search(view.text, start, end))
        out.append((start, end, (year_key, month, day), today))
    opened = {start for start, _, _, _ in out}
    for m in rules.log_cell_date.finditer(view.text):  # "Tdap   03/22/2019  0.5mL  IM  LD"
        start = m.start()
        if start in opened:
            continue
        end = view.text.find("\n", m.end())
        end = len(view.text) if end < 0 else end
        month, day = int(m.group("m")), int(m.group("d"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            today = bool(rules.log_today.search(view.text, start, end))
            out.append((start, end, (int(m.group("y")) % 100, month, day), today))
    for m in rules.log_day_label.finditer(view.text):  # "Day 1 (11/30/2026):", "Day 8 (today):"
        start = m.start()
        end = view.text.find("\n", m.end())
        end = len(view.text) if end < 0 else end
        if m.group("today"):
            out.append((start, end, None, True))
            continue
        month, day = int(m.group("m")), int(m.group("d"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            year = m.group("y")
            key = ((int(year) % 100) if year else None, month, day)
            today = bool(rules.log_today.search(view.text, start, end))
            out.append((start, end, key, today))
    return out


def earlier_log_entries(view: NoteView, rules: ExtractionRules) -> list[tuple[int, int]]:
    """``(start, end)`` of a log's entries of earlier visits, whose mentions are no event of
    this one: when at least two lines open with different dates (``regex.log_date``, or a
    series step's label, ``regex.log_day_label``, where "today" counts as a date), each
    dated line whose date is not today's. Today's lines are those marked so
    (``regex.log_today``: "(today)", "<- today"), else, when every date has a year or none
    has, the lines of the latest date, else the lines of the latest dated year's month and
    day, with or without a year. A log all of whose dates are earlier than the note's own date
    (``_visit_key``) holds no line of this visit (a registry's history printed today)."""
    lines = _log_lines(view, rules)
    if len({key for _, _, key, _ in lines}) < 2:
        return []
    today = {key for _, _, key, marked in lines if marked}
    if not today:
        with_year = {key[0] is not None for _, _, key, _ in lines}
        if len(with_year) != 1:
            # a log whose rows carry years, and a line after it naming the latest row's day
            # without one ("12/05: first maintenance dose"): that day is today, with or
            # without its year; a line of another day without a year is another visit's
            latest = max(key for _, _, key, _ in lines if key[0] is not None)
            today = {key for _, _, key, _ in lines if key[1:] == latest[1:]}
        else:
            today = {max(key for _, _, key, _ in lines)}
        visit = _visit_key(view, lines, rules)
        if visit is not None and all(key is not None and key[0] is not None for key in today):
            if all(visit > key for key in today):
                today = set()  # a history printed on a later day: no line is this visit's
    return [(start, end) for start, end, key, _ in lines if key not in today]


def _visit_key(
    view: NoteView, lines: list[tuple[int, int, tuple | None, bool]], rules: ExtractionRules
) -> tuple[int, int, int] | None:
    """The note's own date as a log key (two-digit year, month, day): the first
    ``regex.visit_date`` of its opening lines (``window.opening_lines``) outside the log's dated
    lines, or None."""
    at = opening_lines_end(view.text, rules.window.opening_lines)
    for m in rules.visit_date.finditer(view.text, 0, at):
        if any(start <= m.start() < end for start, end, _, _ in lines):
            continue
        month, day = int(m.group("m")), int(m.group("d"))
        if 1 <= month <= 12 and 1 <= day <= 31:
            return int(m.group("y")) % 100, month, day
    return None


def share_list_site(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """Give a list's drugs the one site written after its shared verb: in a sentence with
    two or more events of which only the last has a site, when the site comes after every
    drug, an administration word stands between the last drug and the site, no
    administration word stands between the first and the last drug (the verb is the
    list's), and the events without a site have the same route or none, each of them takes
    the site, its side and their spans."""
    for sent, group in _by_sentence(view, events).items():
        if len(group) < 2 or len({e.start for e in group}) < 2:
            continue
        sited = [e for e in group if e.site]
        if len(sited) != 1 or sited[0] is not group[-1] or "site" not in sited[0].spans:
            continue
        owner = sited[0]
        first, last = min(e.start for e in group), max(e.end for e in group)
        if not _list_verb_before(view, sent, first, last, owner.spans["site"][0]):
            continue
        for e in group[:-1]:
            if e.route not in (None, owner.route):
                break
        else:
            for e in group[:-1]:
                e.take(owner, ("site", "laterality"))


# the shortest line whose exact repetition reads as a paste, not as a second dose charted alike
PASTED_LINE_CHARS = 60


def pasted_twice(view: NoteView, events: list[Event]) -> list[Event]:
    """Drop an event whose whole line repeats, character for character, the line of an earlier
    event of the same drug, amount, route and site: a block pasted twice into the note tells one
    dose once (helper synthfix19, team_m, tm-012; a line of at least ``PASTED_LINE_CHARS``
    characters, so short charted lines given alike at two times stay two doses)."""
    out: list[Event] = []
    seen: dict[tuple[object, ...], int] = {}  # an event's key -> the start of its line
    text = view.text
    for e in events:
        lo = text.rfind("\n", 0, e.start) + 1
        hi = text.find("\n", e.start)
        line = " ".join(text[lo : len(text) if hi < 0 else hi].split())
        key = (e.medication, e.dose_value, e.dose_unit, e.route, e.site, e.laterality, line)
        if (
            e.medication is not None
            and len(line) >= PASTED_LINE_CHARS
            and seen.get(key, lo) != lo  # another line: a count on one line stays its doses
        ):
            continue
        seen.setdefault(key, lo)
        out.append(e)
    return out


def respective_sides(view: NoteView, events: list[Event], rules: ExtractionRules) -> list[Event]:
    """Give two listed drugs the two sides written once after their shared verb, in order:
    "Toradol 30 mg IM and Phenergan 25 mg IM given in R and L deltoid (respectively)" is
    Toradol on the right and Phenergan on the left, not Phenergan twice (``find_sites`` reads
    "R and L deltoid" as one pick per side for the drug before it). In a sentence whose last
    drug became two events from one site mention with opposite sides, and whose only other
    event is one earlier drug with no site, no side and the same route or none, under the
    conditions of ``share_list_site`` (site after every drug, an administration word between
    the last drug and the site, none between the drugs), the earlier drug takes the first
    side and the last drug keeps the second (contract section 1: one event per dose given).
    """
    dropped: set[int] = set()
    for sent, group in _by_sentence(view, events).items():
        if len(group) != 3:
            continue
        lone, one, two = group
        if not (
            one.start == two.start
            and lone.start < one.start
            and lone.medication != one.medication
            and lone.site is None
            and lone.laterality is None
            and lone.route in (None, one.route)
            and one.site is not None
            and one.spans.get("site") is not None
            and one.spans.get("site") == two.spans.get("site")
            and {one.laterality, two.laterality} == {"left", "right"}
        ):
            continue
        if not _list_verb_before(view, sent, lone.start, one.end, one.spans["site"][0]):
            continue
        first = min((one, two), key=lambda e: e.spans.get("laterality", (0, 0))[0])
        lone.take(first, ("site", "laterality"))
        dropped.add(id(first))
    return [e for e in events if id(e) not in dropped]


def merge_restated(view: NoteView, events: list[Event], rules: ExtractionRules) -> list[Event]:
    """Drop an event that restates the event before it in brackets: the same drug, its
    mention right after an opening bracket written at most ``window.restated_gap_chars`` after the
    first mention's end, with no closing bracket between; the first event takes the
    elements it lacks from the restatement."""
    out: list[Event] = []
    for e in events:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.medication is not None
            and prev.medication == e.medication
            and prev.end <= e.start
        ):
            between = view.text[prev.end : e.start]
            opened = between.rfind("(")
            if (
                opened >= 0
                and ")" not in between[opened:]
                and opened <= rules.window.restated_gap_chars
                and not between[opened + 1 :].strip()
            ):
                prev.take(
                    e, ("route", "dose_value", "site", "laterality", "indication", "response")
                )
                prev.take(e, ("provider",))
                continue
        out.append(e)
    return out


def divided_doses(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """A dose divided between sites: events of one anchor (same drug, same start) at
    different sites, in a sentence that says the dose was divided (``regex.divided_dose``),
    each with an amount written right before its site words: each takes that amount."""
    groups: dict[tuple[str | None, int], list[Event]] = {}
    for e in events:
        groups.setdefault((e.medication, e.start), []).append(e)
    for group in groups.values():
        if len(group) < 2 or any("site" not in e.spans for e in group):
            continue
        sent = view.sentence_at(group[0].start)
        if sent is None:
            continue
        s = view.sentences[sent]
        if not rules.divided_dose.search(view.text, s.start, s.end):
            continue
        amounts = []
        for e in group:
            site_start = e.spans["site"][0]
            if e.laterality and "laterality" in e.spans:
                site_start = min(site_start, e.spans["laterality"][0])
            lo = max(s.start, site_start - rules.window.divided_dose_lookback_chars)
            found = rules.doses.find_all(view.text[lo:site_start])
            if not found:
                break
            last = found[-1]
            if site_start - (lo + last.end) > rules.window.divided_dose_gap_chars:
                break
            amounts.append((last, (lo + last.start, lo + last.end)))
        else:
            for e, (dose, span) in zip(group, amounts, strict=True):
                e.dose_value, e.dose_unit = dose.value, dose.unit
                e.spans["dose"] = span


def _one_side(
    view: NoteView, lo: int, hi: int, rules: ExtractionRules
) -> tuple[str, CharSpan] | None:
    """The one eye side written between ``lo`` and ``hi`` (its first span), or None when
    there is none or both eyes are written."""
    found = [
        (rules.eye_sides[m.group(0)], (m.start(), m.end()))
        for m in rules.eye_side.finditer(view.text, lo, hi)
    ]
    if not found or len({side for side, _ in found}) > 1:
        return None
    return found[0]


def eye_side(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """Give an injection into the eye its eye: in a note that names an injection into the
    eye (``rules.eye_routes``: "intravitreal injection OS"), each event of route other with
    no side takes the one eye side (``rules.eye_side``: OD right, OS left) written in its
    sentence, else in the sentences naming the eye route, else in the whole note. Where
    both eyes are written at one step, that step gives none (the next one is read)."""
    if not events or not rules.eye_routes.search(view.text):
        return
    eye_sents = sorted(
        {
            i
            for m in rules.eye_routes.finditer(view.text)
            if (i := view.sentence_at(m.start())) is not None
        }
    )
    for e in events:
        if e.laterality is not None or e.route != "other":
            continue
        sent = view.sentence_at(e.start)
        scopes = [] if sent is None else [(view.sentences[sent].start, view.sentences[sent].end)]
        scopes += [(view.sentences[i].start, view.sentences[i].end) for i in eye_sents]
        scopes.append((0, len(view.text)))
        for lo, hi in scopes:
            got = _one_side(view, lo, hi, rules)
            if got is not None:
                e.laterality, e.spans["laterality"] = got
                break


def slash_list_amounts(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """Give the drugs of a slash list their bare amounts in the unit of its last item, in
    place: in a sentence, a chain of events whose drug names are each followed by a bare
    number and a slash up to the next drug (``regex.slash_bare_amount``: "Haldol 5 / Ativan 2 /
    Benadryl 50 mg IM R deltoid"), ending at an event with a dose and its unit: each drug
    without a dose takes its number in that unit (corpora/README.md, team_e: a slash list gives
    one event per drug with its own amount), and, when it has no site and the same route or
    none, the last item's site and side written after the list."""
    named = [e for e in events if e.medication is not None]
    for group in _by_sentence(view, named).values():
        group.sort(key=lambda e: e.start)
        chain: list[tuple[Event, float]] = []
        for cur, nxt in zip(group, group[1:], strict=False):
            m = rules.slash_bare_amount.match(view.text[cur.end : nxt.start])
            if m is None or cur.dose_value is not None:
                chain = []
                continue
            chain.append((cur, float(m.group(1))))
            if nxt.dose_value is None or nxt.dose_unit is None:
                continue
            for e, value in chain:
                e.dose_value = int(value) if value.is_integer() else value
                e.dose_unit = nxt.dose_unit
                e.spans["dose"] = (e.end, nxt.start)
                if e.site is None and nxt.site is not None and e.route in (None, nxt.route):
                    e.site, e.laterality = nxt.site, nxt.laterality
                    for key in ("site", "laterality"):
                        if key in nxt.spans:
                            e.spans[key] = nxt.spans[key]
            chain = []


def corrected_dose(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """A correction line's new amount of a dose charted above, in place: on a line that matches
    ``regex.correction`` ("CORRECTION", "in error"), ``regex.dose_correction`` ("dose given was
    30 mg, not 60 mg as charted above") gives the new and the old amount; each event before the
    line charted with the old amount (the old unit, when left out, is the new one's) takes the
    new amount (corpora/README.md, team_d: a correction gives the corrected value)."""
    text = view.text
    for m in rules.dose_correction.finditer(text):
        lo, hi = _line_of(text, m.start())
        if not rules.correction.search(text, lo, hi):
            continue
        new = rules.doses.find_all(m.group("new"))
        if not new:
            continue
        old_text = m.group("old")
        if not any(ch.isalpha() for ch in old_text):
            old_text += " " + new[0].unit
        old = rules.doses.find_all(old_text)
        if not old or old[0].unit != new[0].unit:
            continue
        for e in events:
            if e.start < lo and (e.dose_value, e.dose_unit) == (old[0].value, old[0].unit):
                e.dose_value, e.dose_unit = new[0].value, new[0].unit
                e.spans["dose"] = m.span("new")


def total_told_next(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """The amount of a dose told with no amount (an opioid pushed for pain overnight), from the
    sentence right after it when that sentence names no drug and tells a total received
    (``regex.total_told_next``: the sum of the night's doses): the total is the event's
    dose (corpora/README.md, nursing batch 28: a total for the night is one event of the
    total). Only for the last event of its sentence; other events keep their amounts."""
    by_sent = _by_sentence(view, events)
    for sent, found in by_sent.items():
        event = found[-1]
        if event.dose_value is not None or event.medication is None:
            continue
        if sent + 1 >= len(view.sentences) or sent + 1 in by_sent:
            continue
        if any(m.label == "DRUG" for m in view.in_sent(sent + 1)):
            continue
        nxt = view.sentences[sent + 1]
        m = rules.total_told_next.match(view.text, view.sentences[sent].end, nxt.end)
        if m is None:
            continue
        doses = rules.doses.find_all(view.text[m.end() : nxt.end])
        if not doses or doses[0].start != 0:
            continue
        event.dose_value, event.dose_unit = doses[0].value, doses[0].unit
        event.spans["dose"] = (m.end() + doses[0].start, m.end() + doses[0].end)


def allergen_vial_rows(view: NoteView, events: list[Event], rules: ExtractionRules) -> list[Event]:
    """The rows of an allergen-immunotherapy record, one event each: in a note naming an
    allergen extract (a drug whose lexicon exclusion is ``allergen_immunotherapy``: "Immunotherapy
    Injection Record"), a line opened by a vial's label (``regex.vial_row``: "Vial A (trees/grass)
    1:10 v/v 0.30 mL SC L upper arm") with an injection route of the extract's label routes, a
    volume and no event of its own is a dose of that extract (issue 12: allergen vial records).
    When rows are read so, an event of the extract anchored outside every row (the title's name
    read with one row) is dropped: the rows tell the doses. ``events`` itself when no row is
    found. Route, volume, site, side and a provider on the row are the event's."""
    text = view.text
    extract = next(
        (
            m
            for m in view.mentions
            if m.label == "DRUG"
            and rules.drugs.get(m.ident, {}).get("exclusion") == "allergen_immunotherapy"
        ),
        None,
    )
    if extract is None or rules.vial_row.search(text) is None:
        return events
    entry = rules.drugs.get(extract.ident, {})
    routes = set(entry.get("label_routes") or ())
    rows: list[Event] = []
    spans: list[tuple[int, int]] = []
    for m in rules.vial_row.finditer(text):
        lo, hi = _line_of(text, m.start())
        spans.append((lo, hi))
        if rules.role(view.section_at(lo)) in ("planning", "not_administered"):
            continue
        on_line = [x for x in view.mentions if lo <= x.start < hi]
        route = next((x for x in on_line if x.label == "ROUTE" and x.ident in routes), None)
        if route is None or any(lo <= e.start < hi for e in events):
            continue
        if any(x.modifiers & (rules.not_given_mods | rules.no_flag_mods) for x in on_line):
            continue
        dose = rules.doses.choose(text[m.end() : hi])
        if dose is None or not dose.is_volume:
            continue
        line = Segment(lo, hi, on_line)
        picks = find_sites(view, line, None, rules)
        site = picks[0] if picks else None
        provider = next((x for x in on_line if x.label == "PROVIDER"), None)
        e = Event(
            medication=extract.ident,
            medication_text=extract.text,
            route=route.ident,
            dose_value=dose.value,
            dose_unit=dose.unit,
            site=site.site if site else None,
            laterality=site.side if site else None,
            indication=None,
            response=None,
            provider=provider.text if provider else None,
            start=m.start(1),
            end=m.end(1),
            drug_exclusion=entry.get("exclusion"),
            decided_by="record:vial_row",
        )
        e.spans.update(
            medication=extract.span,
            route=route.span,
            dose=(m.end() + dose.start, m.end() + dose.end),
        )
        if site and site.site_span:
            e.spans["site"] = site.site_span
        if site and site.side_span:
            e.spans["laterality"] = site.side_span
        if provider is not None:
            e.spans["provider"] = provider.span
        rows.append(e)
    if not rows:
        return events
    kept = [
        e
        for e in events
        if e.medication != extract.ident or any(lo <= e.start < hi for lo, hi in spans)
    ]
    return sorted(kept + rows, key=lambda e: e.start)


def phrased_not_given(
    view: NoteView,
    events: list[Event],
    not_given: list[NotGiven],
    anchors: list[Mention],
    rules: ExtractionRules,
) -> list[NotGiven]:
    """Not-given mentions told by a sentence phrase (``extraction.yaml`` ``not_given_phrases``:
    name, medication, regex searched in the note's text). A phrase whose medication is ``drip``
    is the bolus of the nearest drug anchor written before it in its sentence (``anchors``: "heparin
    restarted at 1300 without bolus" names the drip by its drug alone); with none, or when the
    phrase's ``unless_between`` is found between them (a planned restart), it raises
    nothing. One is raised per drug family only when the note has no event and no other
    not-given mention of that family (contract section 3: ``not_administered`` when no event
    of that medication was given). Returns the new ``NotGiven`` items (offsets of the drug
    anchor, or of the phrase), ``decided_by`` ``phrase:<name>``."""
    if not rules.not_given_phrases:
        return []
    seen = {rules.family_of(e.medication) for e in events if e.medication}
    seen |= {rules.family_of(n.medication) for n in not_given if n.medication}
    found: list[NotGiven] = []
    for name, medication, rx, unless in rules.not_given_phrases:
        for match in rx.finditer(view.text):
            start, end = match.span()
            drug = medication
            if medication == "drip":
                sent = view.sentence_at(start)
                before = [
                    d for d in anchors if d.label == "DRUG" and d.sent == sent and d.end <= start
                ]
                if before and unless.search(view.text, before[-1].end, start):
                    continue  # "heparin will be restarted without a bolus": a planned drip
                if not before:
                    continue
                drug, start, end = before[-1].ident, before[-1].start, before[-1].end
            family = rules.family_of(drug)
            if family in seen:
                continue
            seen.add(family)
            found.append(NotGiven(drug, start, end, f"phrase:{name}"))
    return found


def standing_order_route(view: NoteView, events: list[Event], rules: ExtractionRules) -> None:
    """A dose given with no route of its own ("cyanocobalamin 1000 mcg given L deltoid") under
    a standing order or order line written earlier in the note for the same drug with one
    injection route ("Standing order on file: cyanocobalamin 1000 mcg/mL, inject 1 mL IM every
    4 weeks"; ``regex.order_line`` in that line's sentence) takes that route: the order states
    how the dose it covers is given. Not when the event's own sentence names a route, nor
    when the order names two routes."""
    starts = {e.start for e in events}
    for e in events:
        if e.route is not None or e.medication is None:
            continue
        own = view.sentence_at(e.start)
        if own is not None and any(m.label == "ROUTE" for m in view.in_sent(own)):
            continue
        found: set[str] = set()
        span: CharSpan | None = None
        for m in view.mentions:
            if m.start >= e.start:
                break
            if m.label != "DRUG" or m.ident != e.medication or m.start in starts:
                continue
            if not rules.order_line.search(view.sentence_text(m.sent)):
                continue
            for r in view.in_sent(m.sent):
                if r.label == "ROUTE" and r.start > m.start:
                    found.add(r.ident)
                    span = (r.start, r.end)
        if len(found) == 1 and found <= {"IM", "SC"} and span is not None:
            e.route = found.pop()
            e.spans["route"] = span


def amount_told_twice(view: NoteView, events: list[Event]) -> list[Event]:
    """Drop an event that repeats an earlier one of the same mention with the same amount,
    route, site and side read from another cell of a delimited export row (the mention's line
    holds four or more commas, pipes or tabs): a row that writes the amount in the product's
    name and again in its own cells ("KETOROLAC 60 MG/2 ML INJ,60,MG,IM,RT GLUTEUS") documents
    one dose. A dose repeated from one amount ("x2": the same dose span) stays two events."""
    out: list[Event] = []
    for e in events:
        line_start = view.text.rfind("\n", 0, e.start) + 1
        line_end = view.text.find("\n", e.start)
        line = view.text[line_start : len(view.text) if line_end < 0 else line_end]
        if sum(line.count(c) for c in ",|\t") >= 4 and any(
            o.start == e.start
            and o.end == e.end
            and o.medication == e.medication
            and o.dose_value == e.dose_value
            and o.dose_unit == e.dose_unit
            and o.route == e.route
            and o.site == e.site
            and o.laterality == e.laterality
            and "dose" in o.spans
            and "dose" in e.spans
            and o.spans["dose"] != e.spans["dose"]
            for o in out
        ):
            continue
        out.append(e)
    return out
