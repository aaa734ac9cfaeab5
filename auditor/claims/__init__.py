"""Reconcile billed claim lines with the documentation: pure Python, no spaCy.

Inputs are plain rows (dicts) or DataFrames:

- notes: rows of ``notes.jsonl`` (``note_id``, ``status``, ``n_injections``);
- events: rows of ``events.jsonl`` (``frames.RECONCILED_EVENT_COLUMNS``);
- claim lines: one row per billed line with a note or encounter id, a CPT/HCPCS code, units
  and, optionally, modifiers, place of service, claim id, claim type and date of service
  (column names are detected, see ``lines.CLAIM_COLUMNS``).

Output: one row per claim line, in input order: the line's own fields, then
``supported_units`` (int or null), ``findings`` (sorted finding codes) and ``details`` (the
findings in words, plus confirmations). The rules come from ``patterns/billing/``
(``claim_rules.yaml``: the findings catalogue with each finding's meaning, source and the
findings it subsumes; ``hcpcs_drugs.yaml`` the drug codes; ``payers.yaml`` payer-dependent
settings) and the contract's ``bill_instead`` column; no drug or code is written in code.

Layout: ``lines`` (claim columns, reading cells without guessing), ``rules`` (what is read
from ``patterns/``), ``assess`` (notes and line groups shared by the checks), ``checks`` (one
function per catalogue finding), ``reconcile`` (runs the checks, drops subsumed findings).
"""

from __future__ import annotations

from ..frames import CLAIM_OUTPUT_COLUMNS
from .assess import NoteSummary, summarize_note
from .checks import CHECKS, Check, check
from .lines import (
    CLAIM_COLUMNS,
    MALFORMED_ATTR,
    REQUIRED_CLAIM_FIELDS,
    ClaimLine,
    detect_claim_columns,
    normalize_claims,
)
from .reconcile import bound_checks, notes_without_claims, reconcile, reconcile_rows, summarize
from .rules import ClaimRules, Finding

OUTPUT_FIELDS = tuple(CLAIM_OUTPUT_COLUMNS)

__all__ = [
    "CHECKS",
    "CLAIM_COLUMNS",
    "MALFORMED_ATTR",
    "OUTPUT_FIELDS",
    "REQUIRED_CLAIM_FIELDS",
    "Check",
    "ClaimLine",
    "ClaimRules",
    "Finding",
    "NoteSummary",
    "bound_checks",
    "check",
    "detect_claim_columns",
    "normalize_claims",
    "notes_without_claims",
    "reconcile",
    "reconcile_rows",
    "summarize",
    "summarize_note",
]
