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

import bisect
import math
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


def max_length(pattern: Pattern) -> float:
    """The most tokens a match of token pattern ``pattern`` can cover (``math.inf`` when a
    token repeats without bound: ``*``, ``+``, ``{n,}``)."""
    total: float = 0
    for token in pattern:
        op = str(token.get("OP") or "1")
        if op in ("1", "!", "?"):
            total += 1
        elif op in ("*", "+"):
            return math.inf
        elif op.startswith("{") and op.endswith("}"):
            high = op[1:-1].split(",")[-1].strip()
            if not high:
                return math.inf
            total += int(high)
        else:  # an operator spaCy may add later: assume the worst
            return math.inf
    return total


Match = tuple[int, int, int]  # (match_id, start, end), token offsets in the Doc


class TargetWindows:
    """A ConText rule set matched only around its targets, with the matches that matter.

    ConText scopes a modifier to the sentence of its first token, and a modifier acts on a
    target, or narrows another modifier's scope, only when their scopes meet, so a modifier
    that starts in a sentence holding no target changes no target's modifiers. But the
    matches are pruned first (overlapping matches: the longer wins), so a match just outside
    those sentences can remove one inside, and that one another, in a chain. So the rules are
    matched on windows: each run of sentences holding a target, widened on either side to a
    clean cut, a token boundary no match of the whole Doc crosses. A cut is certified from a
    window that reaches at least ``reach`` tokens (the longest bounded match) past it, plus
    the matches of the unbounded patterns (a repeated token: ``*``, ``+``), which are matched
    on the whole Doc (they are few). No match crosses a clean cut, so pruning between two
    cuts depends on nothing outside them, and the matches between the cuts, pruned, are the
    whole Doc's pruned matches there (``tests/test_matching.py`` compares the two).

    Args:
        bounded: spaCy Matcher of the token patterns with a longest match (None: none).
        unbounded: spaCy Matcher of the others (None: there are none).
        phrases: spaCy PhraseMatcher of the literals (None: there are none).
        reach: the longest match of ``bounded`` and ``phrases``, in tokens.
    """

    def __init__(self, bounded: Any, unbounded: Any, phrases: Any, reach: int) -> None:
        self.bounded = bounded
        self.unbounded = unbounded
        self.phrases = phrases
        self.reach = max(1, reach)

    def matches(self, doc: Any, targets: Any) -> tuple[list[Match], list[tuple[int, int]]]:
        """The unpruned matches of the windows around ``targets`` (Spans of ``doc``) and the
        runs of sentences that hold a target (``(start, end)`` token offsets; a match that
        starts outside them can be dropped once the matches are pruned).

        Raises:
            ValueError: ``doc`` has no sentence boundaries (ConText needs them too).
        """
        regions = target_sentences(doc, targets)
        if not regions:
            return [], []
        loose = self.unbounded(doc) if self.unbounded is not None else []
        out: list[Match] = []
        done: list[tuple[int, int, list[Match]]] = []  # (cut left, cut right, its matches)
        for a, b in regions:
            left, right, found = self._between_cuts(doc, a, b, loose)
            while done and left < done[-1][1]:  # meets the last window: one window
                a = min(a, done.pop()[0])
                left, right, found = self._between_cuts(doc, a, b, loose)
            done.append((left, right, found))
        for _, _, found in done:
            out += found
        return out, regions

    def _window(self, doc: Any, low: int, high: int, loose: list[Match]) -> list[Match]:
        """Every match of the whole Doc that lies in tokens ``low``..``high``."""
        found: list[Match] = []
        if low >= high:
            return found
        window = doc[low:high]
        # spaCy's Matcher gives offsets in the Span, its PhraseMatcher offsets in the Doc
        if self.bounded is not None:
            found += [(key, low + s, low + e) for key, s, e in self.bounded(window)]
        if self.phrases is not None:
            found += self.phrases(window)
        found += [m for m in loose if low <= m[1] and m[2] <= high]
        return found

    def _between_cuts(
        self, doc: Any, a: int, b: int, loose: list[Match]
    ) -> tuple[int, int, list[Match]]:
        """Clean cuts ``left <= a`` and ``right >= b`` and the matches between them."""
        n, k = len(doc), self.reach
        low, high = max(0, a - 2 * k), min(n, b + 2 * k)
        while True:
            found = self._window(doc, low, high, loose)
            crossed = set()
            for _, s, e in found:
                crossed.update(range(s + 1, e))
            for _, s, e in loose:  # an unbounded match may reach in from anywhere
                if s < high and e > low:
                    crossed.update(range(max(s + 1, low), min(e, high + 1)))
            left = next(
                (c for c in range(a, (low + k if low > 0 else 0) - 1, -1) if c not in crossed),
                None,
            )
            right = next(
                (c for c in range(b, (high - k if high < n else n) + 1) if c not in crossed),
                None,
            )
            if left is not None and right is not None:
                return left, right, [m for m in found if left <= m[1] and m[2] <= right]
            if left is None:
                low = max(0, low - 2 * k)
            if right is None:
                high = min(n, high + 2 * k)


def target_sentences(doc: Any, targets: Any) -> list[tuple[int, int]]:
    """The runs of consecutive sentences of ``doc`` that hold a token of a target, as
    ``(start, end)`` token offsets, in order.

    Raises:
        ValueError: ``doc`` has no sentence boundaries.
    """
    if not targets:
        return []
    starts = [s.start for s in doc.sents]
    ends = starts[1:] + [len(doc)]
    held = set()
    for t in targets:
        first = bisect.bisect_right(starts, t.start) - 1
        last = bisect.bisect_right(starts, max(t.start, t.end - 1)) - 1
        held.update(range(first, last + 1))
    runs: list[tuple[int, int]] = []
    for i in sorted(held):
        if runs and runs[-1][1] == starts[i]:
            runs[-1] = (runs[-1][0], ends[i])
        else:
            runs.append((starts[i], ends[i]))
    return runs
