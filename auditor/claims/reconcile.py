"""Run the checks over claim lines: ``reconcile_rows`` (plain rows) and ``reconcile``
(DataFrames), plus the run summary."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

import pandas as pd

from ..errors import PatternError
from ..frames import CLAIM_OUTPUT_COLUMNS, json_safe
from .assess import Context, NoteSummary, summarize_note
from .checks import CHECKS, Check
from .lines import ClaimLine, normalize_claims
from .rules import ClaimRules


def bound_checks(rules: ClaimRules) -> list[Check]:
    """The checks of the catalogue's findings, in catalogue order.

    Raises:
        PatternError: a catalogue finding has no check, or one subsumes an unknown finding.
    """
    catalogue = rules.findings
    missing = [code for code in catalogue if code not in CHECKS]
    if missing:
        raise PatternError(
            f"billing/claim_rules.yaml findings {missing} have no check in "
            "auditor/claims/checks.py"
        )
    for finding in catalogue.values():
        unknown = [s for s in finding.subsumes if s not in catalogue]
        if unknown:
            raise PatternError(
                f"billing/claim_rules.yaml findings.{finding.code}.subsumes: unknown findings "
                f"{unknown}"
            )
    return [CHECKS[code] for code in catalogue]


def _line_row(ctx: Context, checks: list[Check], line: ClaimLine) -> dict[str, Any]:
    """Run every check on one line; drop subsumed findings; build the output row."""
    raised: dict[str, list[str]] = {}
    for chk in checks:
        details = chk(ctx, line)
        if details:
            raised[chk.code] = details
    catalogue = ctx.rules.findings
    subsumed = {s for code in raised for s in catalogue[code].subsumes}
    names = sorted(code for code in raised if code not in subsumed)
    facts = ctx.facts[line.index]
    supported = None if line.malformed else facts.supported
    details = [t for code in names for t in raised[code]] + facts.info
    return {
        **line.fields,
        "supported_units": supported,
        "findings": names,
        "details": details,
    }


def reconcile_rows(
    notes: Iterable[dict[str, Any]] | dict[str, NoteSummary],
    events: Iterable[dict[str, Any]] | None,
    claims: pd.DataFrame | Iterable[dict[str, Any]],
    rules: ClaimRules,
    id_col: str | None = None,
) -> list[dict[str, Any]]:
    """Check claim lines against the documentation.

    Args:
        notes: note rows (``note_id``, ``status``, ``n_injections``), or ready
            ``{note_id: NoteSummary}`` (then ``events`` is ignored).
        events: event rows (``note_id`` plus ``frames.RECONCILED_EVENT_COLUMNS``).
        claims: claim lines (DataFrame or dicts; columns detected, see ``CLAIM_COLUMNS``).
        rules: ``ClaimRules.load(payer, patterns_dir)``.
        id_col: the claims' note/encounter id column (default: detected).

    Returns:
        One dict per claim line, in input order: the line's fields plus ``supported_units``,
        ``findings`` (sorted finding codes of the catalogue, subsumed ones dropped) and
        ``details`` (the findings in words, then confirmations and notes).

    Raises:
        ColumnError: the claims have no id, code or units column (or ``id_col`` is absent).
        PatternError: a catalogue finding has no check.
    """
    checks = bound_checks(rules)
    lines = normalize_claims(claims, rules, id_col)
    if isinstance(notes, dict):
        summaries = notes
    else:
        by_note: dict[str, list[dict[str, Any]]] = {}
        for event in events or []:
            by_note.setdefault(str(event["note_id"]), []).append(event)
        summaries = {}
        for note in notes:
            nid = str(note["note_id"])
            summaries[nid] = summarize_note(note, by_note.get(nid, []))
    ctx = Context(rules, summaries, lines)
    return [_line_row(ctx, checks, line) for line in lines]


def notes_without_claims(note_ids: Iterable[str], claimed_ids: Iterable[str | None]) -> list[str]:
    """Note ids (in the given order) that no claim line refers to."""
    claimed = set(claimed_ids)
    return [n for n in note_ids if n not in claimed]


def summarize(
    rows: list[dict[str, Any]], unclaimed: list[str], with_injections: int
) -> dict[str, Any]:
    """Counts of a reconciliation for ``run.json`` and the terminal summary."""
    findings = Counter(f for r in rows for f in r["findings"])
    return {
        "claim_lines": len(rows),
        "lines_with_findings": sum(1 for r in rows if r["findings"]),
        "findings": dict(sorted(findings.items())),
        "unmatched_claims": findings.get("unmatched_claim", 0),
        "n_notes_without_claims": len(unclaimed),
        "n_notes_with_injections_without_claims": with_injections,
        "notes_without_claims": unclaimed,
    }


def reconcile(
    notes_df: pd.DataFrame,
    events_df: pd.DataFrame,
    claims_df: pd.DataFrame,
    payer: str = "default",
    patterns_dir: str | None = None,
    id_col: str | None = None,
) -> pd.DataFrame:
    """Python API: reconcile claim lines with audited notes.

    Args:
        notes_df, events_df: the two frames ``auditor.audit`` returns (or notes.jsonl and
            events.jsonl read back).
        claims_df: one row per claim line (note/encounter id, code, units; optionally
            modifiers, pos, claim_id, claim_type, date_of_service).
        payer: payer profile of ``patterns/billing/payers.yaml``.
        patterns_dir: rule folder (default: bundled ``patterns/``).
        id_col: the claims' id column (default: detected).

    Returns:
        ``claims_df``'s columns plus ``supported_units``, ``findings``, ``details``, one row per
        claim line in input order. ``result.attrs`` holds ``notes_without_claims`` (list of
        note ids) and ``summary`` (counts, see ``summarize``).

    Raises:
        ColumnError: the claims' id, code or units column cannot be found.
        PatternError: a rule file is invalid or the payer profile is unknown.
    """
    rules = ClaimRules.load(payer, patterns_dir)
    notes = notes_df.to_dict("records")
    events = events_df.to_dict("records") if len(events_df) else []
    rows = reconcile_rows(notes, events, claims_df, rules, id_col)
    columns = [str(c) for c in claims_df.columns]
    out = pd.DataFrame(rows, columns=list(dict.fromkeys(columns + CLAIM_OUTPUT_COLUMNS)))
    # int or None, as in claims.jsonl (a float column would turn None into NaN)
    out["supported_units"] = pd.Series([r["supported_units"] for r in rows], dtype=object)
    lines = normalize_claims(claims_df, rules, id_col)
    unclaimed = notes_without_claims(
        [str(n["note_id"]) for n in notes], [ln.note_id for ln in lines]
    )
    injected = {str(n["note_id"]) for n in notes if int(json_safe(n.get("n_injections")) or 0) > 0}
    out.attrs["notes_without_claims"] = unclaimed
    out.attrs["summary"] = summarize(rows, unclaimed, sum(1 for n in unclaimed if n in injected))
    return out
