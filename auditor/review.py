"""Review decisions: stable finding ids, the ``decisions.jsonl`` file, and re-applying it.

A *finding* is one thing the audit reports about a note that a reviewer can accept or reject:

- ``missing:<element>``: a required element missing from an eligible event;
- ``advisory:<element>``: an advisory element not documented for an eligible event;
- ``flag:<flag>``: an exclusion flag of an event, or a note flag (``not_administered``) that no
  event carries;
- ``error:record``: a record that could not be audited;
- ``claim:<finding>``: a finding of a reconciled claim line (``claims.jsonl``).

Each finding has an id that a rerun on the same note finds again: the first 16 hex digits of
the SHA-256 of ``spec id | note id | anchor span | medication | finding`` (see
``finding_id``). The anchor span is the event's ``start-end`` character offsets, ``note`` for a
note-level finding, a hash of the line's fields for a claim line (``claim_span``). An edit of
the note before the anchor moves the offsets, and a changed medication, finding or requirement
spec changes the id, so a decision made on an earlier version of a note then matches nothing
(and is reported as unmatched, never dropped silently).

``decisions.jsonl`` (exported by ``report.html`` or written by hand), one JSON object a line::

    {"finding_id": "3f0c...", "decision": "accepted", "comment": "...", "note_id": "a-1",
     "finding": "missing:site", "event_id": 1, "decided_at": "2026-12-05T20:41:00Z"}

``finding_id`` and ``decision`` (``accepted`` or ``rejected``) are required; the rest is
informative. ``audited_amount`` (a number) may give a claim line's correct paid amount for the
variable appraisal. A later line for the same finding replaces an earlier one.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import DecisionsError, OutputError
from .frames import CLAIM_OUTPUT_COLUMNS, int_or_none
from .records import json_problem

DECISIONS = ("accepted", "rejected")
PENDING = "pending"
ID_CHARS = 16  # hex digits of SHA-256 kept in a finding id (64 bits)
COMMENT_CHARS = 2000  # a longer comment is an error (the page limits it too)
DECISION_KEYS = {
    "finding_id",
    "decision",
    "comment",
    "note_id",
    "finding",
    "event_id",
    "decided_at",
    "run",
    "audited_amount",
    "claim_line",
}


def spec_id(meta: Mapping[str, Any]) -> str:
    """The requirement spec's id, ``"<cpt>@<version>"``, from what ``run.json`` (``meta``)
    records: ``spec_id`` when present, else the version of ``spec`` (``{"id", "version"}``)
    or ``requirements_version``, with the CPT code of ``requirements_cpt`` (default
    ``96372``). The same id as ``spec_id_of`` gives for the spec file itself."""
    if meta.get("spec_id"):
        return str(meta["spec_id"])
    spec = meta.get("spec")
    version = spec.get("version") if isinstance(spec, Mapping) else None
    cpt = meta.get("requirements_cpt") or "96372"
    return f"{cpt}@{version or meta.get('requirements_version') or '?'}"


def spec_id_of(requirements: Mapping[str, Any]) -> str:
    """``"<cpt>@<version>"`` of a loaded requirement spec (``patterns/requirements/*.yaml``)."""
    return f"{requirements.get('cpt', '96372')}@{requirements.get('version', '?')}"


def finding_id(spec: str, note_id: str, span: str, medication: str | None, finding: str) -> str:
    """The stable id of one finding.

    Args:
        spec: the requirement spec id (``spec_id``), e.g. ``"96372@1.0.0"``.
        note_id: the note's id as in ``notes.jsonl``.
        span: ``"<start>-<end>"`` of the event's anchor, ``"note"`` or ``"claim:<line>"``.
        medication: the event's normalised medication (None: unnamed or not an event).
        finding: ``"<kind>:<code>"`` (``missing:site``, ``flag:intravenous``, ...).

    Returns:
        ``ID_CHARS`` lowercase hex digits of SHA-256 over the five parts joined by ``|``.
    """
    key = "|".join([spec, str(note_id), span, medication or "", finding])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:ID_CHARS]


def event_span(event: Mapping[str, Any]) -> str:
    """``"start-end"`` of an event's anchor (``"?-?"`` when the offsets are missing)."""
    start, end = int_or_none(event.get("start")), int_or_none(event.get("end"))
    return f"{'?' if start is None else start}-{'?' if end is None else end}"


def _list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v for v in value.split(";") if v]
    if hasattr(value, "tolist"):
        value = value.tolist()
    return [str(v) for v in value]


def event_findings(event: Mapping[str, Any]) -> list[str]:
    """The findings of one event row, in report order: ``missing:*`` (eligible events only,
    order of the row's ``missing``), ``advisory:*``, then ``flag:*``."""
    out: list[str] = []
    if event.get("eligible"):
        out += [f"missing:{m}" for m in _list(event.get("missing"))]
        out += [f"advisory:{a}" for a in sorted(_list(event.get("advisories")))]
    out += [f"flag:{f}" for f in _list(event.get("flags"))]
    return out


def note_findings(note: Mapping[str, Any], events: Iterable[Mapping[str, Any]]) -> list[str]:
    """The note-level findings: ``error:record`` for a record not audited, and each note flag
    that none of its events carries (``not_administered``)."""
    out = ["error:record"] if note.get("status") == "error" else []
    event_flags = {f for e in events for f in _list(e.get("flags"))}
    out += [f"flag:{f}" for f in _list(note.get("flags")) if f not in event_flags]
    return out


@dataclass(frozen=True)
class Finding:
    """One reviewable finding of a note.

    Attributes:
        id: ``finding_id``; note_id: its note; event_id: its event (None: note level);
        finding: ``"<kind>:<code>"``; medication: the event's medication.
    """

    id: str
    note_id: str
    event_id: int | None
    finding: str
    medication: str | None = None

    @property
    def kind(self) -> str:
        return self.finding.split(":", 1)[0]


def findings_of(
    note: Mapping[str, Any], events: list[Mapping[str, Any]], spec: str
) -> list[Finding]:
    """Every finding of a note (events first, in event order, then the note level)."""
    nid = str(note["note_id"])
    out = []
    for e in events:
        med = e.get("medication") or None
        span = event_span(e)
        eid = int_or_none(e.get("event_id"))
        for f in event_findings(e):
            out.append(Finding(finding_id(spec, nid, span, med, f), nid, eid, f, med))
    for f in note_findings(note, events):
        out.append(Finding(finding_id(spec, nid, "note", None, f), nid, None, f))
    return out


CLAIM_OUTPUT_FIELDS = (*CLAIM_OUTPUT_COLUMNS, "review")


def claim_span(line: Mapping[str, Any]) -> str:
    """A claim line's stand-in for an anchor span: ``claim:`` and 12 hex digits of SHA-256
    over the line's own input fields (JSON, keys sorted; the reconciliation's output fields
    left out), so the id survives a rerun and sampling. Identical lines share it."""
    own = {k: v for k, v in line.items() if k not in CLAIM_OUTPUT_FIELDS}
    raw = json.dumps(own, sort_keys=True, ensure_ascii=False, default=str)
    return "claim:" + hashlib.sha256(raw.encode("utf-8")).hexdigest()[:12]


def claim_findings(line: Mapping[str, Any], spec: str) -> list[Finding]:
    """The findings of one ``claims.jsonl`` row (``claim:<finding>``), ids by ``claim_span``."""
    nid = str(line.get("note_id") if line.get("note_id") is not None else "")
    span = claim_span(line)
    codes = [f"claim:{f}" for f in _list(line.get("findings"))]
    return [Finding(finding_id(spec, nid, span, None, c), nid, None, c) for c in codes]


# --- the decisions file ----------------------------------------------------------------------


@dataclass
class Decision:
    """One reviewer decision (a line of ``decisions.jsonl``)."""

    finding_id: str
    decision: str
    comment: str | None = None
    line: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_review(self) -> dict[str, Any]:
        """The ``review`` value written into the report rows."""
        out: dict[str, Any] = {"decision": self.decision, "comment": self.comment}
        for key in ("decided_at", "audited_amount"):
            if self.extra.get(key) is not None:
                out[key] = self.extra[key]
        return out


def load_decisions(path: str | Path) -> dict[str, Decision]:
    """Read ``decisions.jsonl`` (format in the module docstring).

    Returns:
        finding id -> its last decision, in file order.

    Raises:
        DecisionsError: the file cannot be read, or a line is not a JSON object with a
            ``finding_id`` (hex string) and a ``decision`` of ``accepted``/``rejected``, or has a
            comment that is not a string, or an ``audited_amount`` that is not a number. The
            message names the line number and the field, never the comment.
    """
    path = Path(path)
    try:
        handle = open(path, encoding="utf-8-sig")
    except OSError as exc:
        raise DecisionsError(f"cannot read decisions file {path}: {exc.strerror}") from exc
    out: dict[str, Decision] = {}
    with handle:
        try:
            lines = list(handle)
        except UnicodeDecodeError as exc:
            raise DecisionsError(f"{path}: not UTF-8 text (byte offset {exc.start})") from exc
    for n, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise DecisionsError(f"{path} line {n}: {json_problem(exc)}") from None
        if not isinstance(obj, dict):
            raise DecisionsError(f"{path} line {n}: expected a JSON object")
        fid = obj.get("finding_id")
        if not isinstance(fid, str) or not fid or any(c not in "0123456789abcdef" for c in fid):
            raise DecisionsError(f"{path} line {n}: 'finding_id' must be a lowercase hex string")
        decision = obj.get("decision")
        if decision not in DECISIONS:
            raise DecisionsError(f"{path} line {n}: 'decision' must be 'accepted' or 'rejected'")
        comment = obj.get("comment")
        if comment is not None and not isinstance(comment, str):
            raise DecisionsError(f"{path} line {n}: 'comment' must be a string")
        if comment is not None and len(comment) > COMMENT_CHARS:
            raise DecisionsError(f"{path} line {n}: 'comment' is over {COMMENT_CHARS} characters")
        amount = obj.get("audited_amount")
        if amount is not None and (
            isinstance(amount, bool)
            or not isinstance(amount, int | float)
            or not math.isfinite(amount)
        ):
            raise DecisionsError(f"{path} line {n}: 'audited_amount' must be a number")
        extra = {k: v for k, v in obj.items() if k not in ("finding_id", "decision", "comment")}
        out.pop(fid, None)  # a later line replaces an earlier one, and moves to the end
        out[fid] = Decision(fid, decision, comment or None, n, extra)
    return out


# --- re-applying decisions to a report folder -----------------------------------------------


@dataclass
class ReviewTally:
    """Counts of findings by review state, overall and by kind."""

    states: Counter[str] = field(default_factory=Counter)
    by_kind: dict[str, Counter[str]] = field(default_factory=dict)

    def add(self, finding: str, state: str) -> None:
        self.states[state] += 1
        self.by_kind.setdefault(finding.split(":", 1)[0], Counter())[state] += 1

    def summary(self) -> dict[str, Any]:
        total = self.states.total()
        return {
            "findings": total,
            "reviewed": self.states["accepted"] + self.states["rejected"],
            "accepted": self.states["accepted"],
            "rejected": self.states["rejected"],
            "pending": self.states[PENDING],
            "by_kind": {
                k: {s: c[s] for s in (*DECISIONS, PENDING)} for k, c in sorted(self.by_kind.items())
            },
        }


def review_entries(
    items: list[Finding], decisions: Mapping[str, Decision], used: set[str], tally: ReviewTally
) -> dict[str, dict[str, Any]]:
    """``{finding: {"id", "decision", "comment"}}`` for ``items``; marks matched ids ``used``."""
    out: dict[str, dict[str, Any]] = {}
    for f in items:
        d = decisions.get(f.id)
        entry: dict[str, Any] = {"id": f.id}
        if d is None:
            entry.update(decision=PENDING, comment=None)
        else:
            used.add(f.id)
            entry.update(d.as_review())
        tally.add(f.finding, entry["decision"])
        out[f.finding] = entry
    return out


class Reviewer:
    """Carries review decisions into a run's rows as they stream (``run.run_audit``).

    ``annotate(note, events)`` returns copies with a ``review`` field: on each event,
    ``{finding: {"id", "decision", "comment"}}`` for its findings (``decision`` ``pending``
    where none was made); on the note, ``{"accepted", "rejected", "pending"}`` counts over all
    its findings and ``findings``, its note-level ones. ``annotate_claims`` does the same for
    ``claims.jsonl`` rows. ``section()`` is the ``review`` part of ``run.json``.

    Args:
        decisions: from ``load_decisions``.
        spec: the spec id of the run (``spec_id_of``).
    """

    def __init__(self, decisions: Mapping[str, Decision], spec: str) -> None:
        self.decisions, self.spec = decisions, spec
        self.tally, self.used = ReviewTally(), set()

    def annotate(
        self, note: dict[str, Any], events: list[dict[str, Any]]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """``(note, events)`` with their ``review`` fields (new dicts)."""
        by_event: dict[int | None, list[Finding]] = {}
        for f in findings_of(note, events, self.spec):
            by_event.setdefault(f.event_id, []).append(f)
        counts: Counter[str] = Counter()
        out_events = []
        for e in events:
            own = by_event.get(int_or_none(e.get("event_id")), [])
            entries = review_entries(own, self.decisions, self.used, self.tally)
            counts.update(v["decision"] for v in entries.values())
            out_events.append({**e, "review": entries})
        note_level = review_entries(by_event.get(None, []), self.decisions, self.used, self.tally)
        counts.update(v["decision"] for v in note_level.values())
        review = {s: counts[s] for s in (*DECISIONS, PENDING)}
        return {**note, "review": {**review, "findings": note_level}}, out_events

    def annotate_claims(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``claims.jsonl`` rows with their ``review`` fields (new dicts)."""
        return [
            {
                **r,
                "review": review_entries(
                    claim_findings(r, self.spec), self.decisions, self.used, self.tally
                ),
            }
            for r in rows
        ]

    def section(self) -> dict[str, Any]:
        """Counts (``findings``, ``reviewed``, ``accepted``, ``rejected``, ``pending``,
        ``by_kind``), ``decisions`` (read) and ``unmatched``: the decisions that match no
        finding of the run, as ``{"line", "finding_id", "note_id", "finding"}``."""
        unmatched = [
            {
                "line": d.line,
                "finding_id": d.finding_id,
                "note_id": d.extra.get("note_id"),
                "finding": d.extra.get("finding"),
            }
            for fid, d in self.decisions.items()
            if fid not in self.used
        ]
        return {**self.tally.summary(), "decisions": len(self.decisions), "unmatched": unmatched}


def rewrite_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    """Write ``rows`` to ``path`` as JSON Lines (``.part`` then rename)."""
    part = path.with_name(path.name + ".part")
    with open(part, "w", encoding="utf-8", newline="") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    os.replace(part, path)


def read_rows(folder: str | Path) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Stream ``(note_row, event_rows)`` from a report folder's ``notes.jsonl`` and
    ``events.jsonl``: a note with status ``no_injection`` or ``error`` has no events; any other
    note owns the next run of event lines, which starts at ``event_id`` 1 (so repeated note
    ids pair correctly).

    Raises:
        OutputError: the files are missing or do not pair up.
    """
    folder = Path(folder)
    try:
        notes = open(folder / "notes.jsonl", encoding="utf-8")
        events = open(folder / "events.jsonl", encoding="utf-8")
    except OSError as exc:
        raise OutputError(f"cannot read the report rows in {folder}: {exc.strerror}") from exc
    with notes, events:
        lines = (json.loads(x) for x in events if x.strip())
        pending = next(lines, None)
        for line in notes:
            if not line.strip():
                continue
            note = json.loads(line)
            own: list[dict[str, Any]] = []
            if note["status"] not in ("no_injection", "error"):
                while pending is not None and (not own or pending["event_id"] != 1):
                    if pending["note_id"] != note["note_id"]:
                        raise OutputError(f"{folder}: events.jsonl does not pair with notes.jsonl")
                    own.append(pending)
                    pending = next(lines, None)
            yield note, own


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The rows of a JSON Lines file."""
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def run_key(meta: Mapping[str, Any]) -> str:
    """The key under which ``report.html`` keeps decisions in the browser's local storage: a
    hash of the run's input, spec id and pattern hash (a sample of the run shares it)."""
    src = meta.get("source_run") if isinstance(meta.get("source_run"), Mapping) else meta
    parts = [str(src.get("input", "")), spec_id(src), str(src.get("patterns_sha256", ""))]
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()[:ID_CHARS]
