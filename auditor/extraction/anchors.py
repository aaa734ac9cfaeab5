"""Anchor choice: which mentions can be administration events.

Per sentence: its DRUG mentions (a brand in parentheses merged into its generic; diluents,
conditions such as "B12 deficiency", the drug mixed into a local anaesthetic and the
non-first drugs of a table row dropped); else its first INJECTION mention; else, in a
sentence that documents an administration, its first injection ROUTE mention.
"""

from __future__ import annotations

from dataclasses import replace

from .rules import ExtractionRules
from .segments import is_table_row
from .view import Mention, NoteView


def _drug_anchors(
    view: NoteView, ms: list[Mention], drugs: list[Mention], rules: ExtractionRules
) -> list[Mention]:
    text = view.text
    kept: list[Mention] = []
    for m in drugs:
        near = rules.window.diluent_chars
        if any(d.label == "DILUENT" and d.end <= m.start and m.start - d.end < near for d in ms):
            continue
        if any(c.label == "INDICATION_CUE" and text[c.end : m.start].isspace() for c in ms):
            continue  # "for B12 deficiency"
        if any(
            d.label == "DRUG"
            and rules.drugs.get(d.ident, {}).get("role") == "local_anesthetic"
            and 0 < m.tok_start - d.tok_end <= rules.window.admixture_tokens
            and rules.admixture.search(text[d.end : m.start])
            for d in ms
        ):
            continue  # "lidocaine 1% with epinephrine": part of the anaesthetic
        if view.token(m.tok_end) in rules.anchor_blockers:
            continue
        if (
            kept
            and kept[-1].ident == m.ident
            and not any(x.label == "SITE" and kept[-1].end <= x.start < m.start for x in ms)
            and not rules.doses.find_all(text[kept[-1].end : m.start])
        ):
            kept[-1] = replace(kept[-1], modifiers=kept[-1].modifiers | m.modifiers)
            continue  # "Ceftriaxone (Rocephin)": one drug named twice
        kept.append(m)
    return kept


def choose_anchors(view: NoteView, rules: ExtractionRules) -> list[Mention]:
    """The note's anchors, in text order (see the module docstring)."""
    out: list[Mention] = []
    for sent_id in sorted(view.by_sent):
        ms = view.by_sent[sent_id]
        line = view.sentence_text(sent_id)
        table_row = is_table_row(line, rules)
        drugs = [m for m in ms if m.label == "DRUG"]
        kept = _drug_anchors(view, ms, drugs, rules)
        if table_row:
            kept = kept[:1]
        if not kept and not drugs:
            kept = [m for m in ms if m.label == "INJECTION"][:1]
        if not kept and not drugs:
            routes = [m for m in ms if m.label == "ROUTE" and m.ident in rules.injection_routes]
            if routes and (
                any(m.label == "ADMIN" for m in ms)
                or table_row
                or len(line) <= rules.window.template_line_chars
            ):
                kept = routes[:1]
        out.extend(kept)
    return out
