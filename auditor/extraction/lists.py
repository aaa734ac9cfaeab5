"""Drugs named by modifiers that share one head noun: "pneumococcal, HiB, and meningococcal
vaccines" names three vaccines, though only "HiB" is a lexicon name on its own.

For each head word of ``extraction.yaml`` ``shared_heads`` (a plural such as "vaccines"), the
words before it joined by list punctuation (``words.list_joiners``: "," "and" "or") are read
back one item at a time;
an item (one or two words) that with one of the head's singular forms is a lexicon name
("meningococcal" + "vaccine") becomes a DRUG mention of that drug, with the ConText modifiers
of the head's own mention. Only a list of two or more items counts (a single "pneumococcal
vaccine" is already a lexicon name), and an item a DRUG mention already covers is kept as is.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import replace

from .rules import ExtractionRules
from .view import Mention, NoteView


def add_shared_head_mentions(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with a DRUG mention for each list item named by a shared head noun (module
    docstring); ``view`` itself when there is none (or no token offsets)."""
    heads = rules.shared_heads
    if not heads or not view.offsets or not heads.keys() & set(view.tokens):
        return view
    names = rules.generic_of_name
    tok_starts = [s.tok_start for s in view.sentences]
    added: list[Mention] = []
    for i, tok in enumerate(view.tokens):
        singulars = heads.get(tok)
        if not singulars:
            continue
        items: list[tuple[int, int, str]] = []  # (first token, end token, generic)
        j = i  # items end before token j
        while j > 0:
            if view.tokens[j - 1] in rules.list_joiners and items:
                j -= 1
                continue
            found = None
            for width in (2, 1):
                lo = j - width
                if lo < 0 or any(t in rules.list_joiners for t in view.tokens[lo:j]):
                    continue
                phrase = " ".join(view.tokens[lo:j])
                generic = next(
                    (names[f"{phrase} {s}"] for s in singulars if f"{phrase} {s}" in names), None
                )
                if generic:
                    found = (lo, j, generic)
                    break
            if found is None:
                break
            items.append(found)
            j = found[0]
        if len(items) < 2:
            continue
        sent = bisect_right(tok_starts, i) - 1
        head = next((m for m in view.in_sent(sent) if m.start == view.offsets[i]), None)
        mods = head.modifiers if head is not None else frozenset()
        for lo, hi, generic in reversed(items):
            start = view.offsets[lo]
            end = view.offsets[hi - 1] + len(view.tokens[hi - 1])
            if any(m.label == "DRUG" and m.start <= start < m.end for m in view.in_sent(sent)):
                continue
            added.append(
                Mention("DRUG", generic, start, end, lo, hi, view.text[start:end], sent, mods)
            )
    if not added:
        return view
    return replace(view, mentions=sorted([*view.mentions, *added], key=lambda m: m.start))
