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
from collections.abc import Iterable
from dataclasses import replace

from .rules import ExtractionRules
from .view import Mention, NoteView


def add_shared_head_mentions(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with a DRUG mention for each list item named by a shared head noun (module
    docstring); ``view`` itself when there is none (or no token offsets)."""
    found = _head_tokens(view, rules.shared_heads)
    if not found:
        return view
    names = rules.generic_of_name
    tok_starts = [s.tok_start for s in view.sentences]
    added: list[Mention] = []
    for i, singulars in found:
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
                generic = _item_name(" ".join(view.tokens[lo:j]), singulars, names)
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
        mods = _head_modifiers(view, sent, i)
        for lo, hi, generic in reversed(items):
            start = view.offsets[lo]
            end = view.offsets[hi - 1] + len(view.tokens[hi - 1])
            if any(m.label == "DRUG" and m.start <= start < m.end for m in view.in_sent(sent)):
                continue
            added.append(
                Mention("DRUG", generic, start, end, lo, hi, view.text[start:end], sent, mods)
            )
    return _with_mentions(view, added)


def add_led_mentions(view: NoteView, rules: ExtractionRules) -> NoteView:
    """``view`` with a DRUG mention for each item named after a vaccination head word and a
    lead word ("updated with hepatitis B": the hepatitis B vaccine), ``view`` itself when there
    is none. For each head of ``extraction.yaml`` ``heads_before.heads`` (a word such as
    "immunizations", an INJECTION mention of ``cues.yaml``), the first lead word
    (``heads_before.leads``: "with", "against", ":") within ``window_tokens`` after it in its
    sentence starts a list of items
    (one to three words each, joined by ``words.list_joiners``, a dose number such as "#1"
    between: ``heads_before.item_marks``); an item that with one of the
    head's singular forms is a lexicon name ("hepatitis b" + "vaccine") becomes a DRUG mention
    of that drug with the head mention's ConText modifiers. The list ends at the first word
    that is no such item; an item a DRUG mention already covers is kept as is. Source: issue
    12, MTSamples dev note wording of a vaccine named by its disease (helper procedures)."""
    leads, window = rules.heads_before_leads, rules.heads_before_window
    heads = _head_tokens(view, rules.heads_before)
    if not heads:
        return view
    names = rules.generic_of_name
    tok_starts = [s.tok_start for s in view.sentences]
    added: list[Mention] = []
    for i, singulars in heads:
        sent = bisect_right(tok_starts, i) - 1
        sent_end = view.sentences[sent].tok_end
        stop = min(sent_end, i + 1 + window)
        lead = next((k for k in range(i + 1, stop) if view.tokens[k] in leads), None)
        if lead is None:
            continue
        mods = _head_modifiers(view, sent, i)
        j = lead + 1
        while j < sent_end:
            found = None
            for width in (3, 2, 1):
                hi = j + width
                if hi > sent_end or any(t in rules.list_joiners for t in view.tokens[j:hi]):
                    continue
                # "hepatitis b." at a sentence end: the tokenizer keeps the period on "b"
                generic = _item_name(" ".join(view.tokens[j:hi]).rstrip("."), singulars, names)
                if generic:
                    found = (j, hi, generic)
                    break
            if found is None:
                break
            lo, hi, generic = found
            start = view.offsets[lo]
            end = view.offsets[hi - 1] + len(view.tokens[hi - 1].rstrip("."))
            if not any(
                m.label == "DRUG" and m.start < end and start < m.end for m in view.in_sent(sent)
            ):
                added.append(
                    Mention("DRUG", generic, start, end, lo, hi, view.text[start:end], sent, mods)
                )
            j = hi
            while j < sent_end and (
                view.tokens[j] in rules.list_joiners
                or view.tokens[j] in rules.heads_before_marks
                or view.tokens[j].isdigit()
            ):
                j += 1  # "hepatitis A #1 and HPV #2": a dose number after an item
    return _with_mentions(view, added)


def _head_tokens(
    view: NoteView, heads: dict[str, tuple[str, ...]]
) -> list[tuple[int, tuple[str, ...]]]:
    """``(token index, singular forms)`` of each token of ``view`` that is a head word of
    ``heads`` (with its singular forms); none when the view has no token offsets."""
    if not heads or not view.offsets or not heads.keys() & set(view.tokens):
        return []
    return [(i, heads[tok]) for i, tok in enumerate(view.tokens) if heads.get(tok)]


def _item_name(phrase: str, singulars: Iterable[str], names: dict[str, str]) -> str | None:
    """The generic of the lexicon name ``phrase`` + a singular head ("hepatitis b" +
    "vaccine"), or None."""
    return next((names[f"{phrase} {s}"] for s in singulars if f"{phrase} {s}" in names), None)


def _head_modifiers(view: NoteView, sent: int, tok: int) -> frozenset[str]:
    """The ConText modifiers of the mention starting at token ``tok`` of sentence ``sent``
    (the list's head), none when no mention starts there."""
    head = next((m for m in view.in_sent(sent) if m.start == view.offsets[tok]), None)
    return head.modifiers if head is not None else frozenset()


def _with_mentions(view: NoteView, added: list[Mention]) -> NoteView:
    """``view`` with the ``added`` mentions in text order; ``view`` itself when none."""
    if not added:
        return view
    return replace(view, mentions=sorted([*view.mentions, *added], key=lambda m: m.start))
