"""Token patterns rewritten so that spaCy's Matcher tries them cheaply, with the same matches.

spaCy's Matcher starts every pattern at every token and evaluates the pattern's first token
there. A plain value (``{"LOWER": "given"}``) is compared in C; a set (``{"LOWER": {"IN":
[...]}}``), like every extra predicate, is a Python call per token. With a few dozen
patterns opening on a set, those calls were most of the Matcher's time (measured on 300
MTSamples notes: 40 set-first patterns 1.8 CPU-s, the same words as 400 plain-first patterns
0.7 CPU-s). So a pattern whose first token is a set is replaced by one pattern per word of
the set, and a pattern whose first token is optional by the pattern with that token and the
pattern without it. The Matcher returns every match of every pattern, so the union of the
rewritten patterns' matches is the original pattern's matches. The rule files keep their
sets: this is how they are compiled, not what they say.
"""

from __future__ import annotations

from typing import Any

TokenSpec = dict[str, Any]
Pattern = list[TokenSpec]

# attributes whose "IN" sets are split into plain values (strings compared in C)
SPLIT_ATTRS = ("LOWER", "ORTH", "TEXT", "NORM")
# at most this many patterns come from one (a longer set stays a set: one Python call
# per token is then cheaper than the extra patterns)
MAX_ALTERNATIVES = 64


def plain_first_token(pattern: Pattern) -> list[Pattern]:
    """The patterns, each opening on a token checked in C, that together match what
    ``pattern`` matches (module docstring).

    Args:
        pattern: a spaCy Matcher token pattern (list of token dicts).

    Returns:
        One or more patterns: ``[pattern]`` when its first token is already plain, is not a
        set of strings on one of ``SPLIT_ATTRS``, repeats (``*``, ``+``, ``{m,n}``), or
        would give more than ``MAX_ALTERNATIVES`` patterns; otherwise the split patterns.
    """
    if not pattern:
        return [pattern]
    first, rest = pattern[0], pattern[1:]
    op = first.get("OP")
    if op == "?":
        if not rest:
            return [pattern]
        required = {k: v for k, v in first.items() if k != "OP"}
        out = plain_first_token([required, *rest])
        without = plain_first_token(rest)
        return out + without if len(out) + len(without) <= MAX_ALTERNATIVES else [pattern]
    if op not in (None, "1", "!"):
        return [pattern]
    if op == "!":
        return [pattern]
    keys = [k for k in SPLIT_ATTRS if isinstance(first.get(k), dict)]
    if len(keys) != 1:
        return [pattern]
    key = keys[0]
    spec = first[key]
    values = spec.get("IN") if set(spec) == {"IN"} else None
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        return [pattern]
    values = list(dict.fromkeys(values))  # a word twice would give each match twice
    if len(values) > MAX_ALTERNATIVES:
        return [pattern]
    return [[{**first, key: value}, *rest] for value in values]
