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
import re
from typing import Any

import numpy as np
from spacy.strings import get_string_id  # a string's hash, the string not stored

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

    The token patterns with a longest match are matched through a ``StartIndex``
    (``indexed``: each pattern only from the tokens it can start on) when they need no
    ``on_match`` callback, and through a plain Matcher on the window (``bounded``)
    otherwise: a callback may move a match's start (a lookbehind), which ``StartIndex``
    cannot tell from a match found from another token.

    Args:
        bounded: spaCy Matcher of the token patterns with a longest match (None: none).
        unbounded: spaCy Matcher of the others (None: there are none).
        phrases: spaCy PhraseMatcher of the literals (None: there are none).
        reach: the longest match of ``bounded``, ``indexed`` and ``phrases``, in tokens.
        indexed: ``StartIndex`` of more token patterns with a longest match (None: none).
    """

    def __init__(
        self, bounded: Any, unbounded: Any, phrases: Any, reach: int, indexed: Any = None
    ) -> None:
        self.bounded = bounded
        self.unbounded = unbounded
        self.phrases = phrases
        self.reach = max(1, reach)
        self.indexed = indexed

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
        columns = self.indexed.columns(doc) if self.indexed is not None else None
        out: list[Match] = []
        done: list[tuple[int, int, list[Match]]] = []  # (cut left, cut right, its matches)
        for a, b in regions:
            left, right, found = self._between_cuts(doc, a, b, loose, columns)
            while done and left < done[-1][1]:  # meets the last window: one window
                a = min(a, done.pop()[0])
                left, right, found = self._between_cuts(doc, a, b, loose, columns)
            done.append((left, right, found))
        for _, _, found in done:
            out += found
        return out, regions

    def _window(
        self, doc: Any, low: int, high: int, loose: list[Match], columns: Any = None
    ) -> list[Match]:
        """Every match of the whole Doc that lies in tokens ``low``..``high`` (``columns``:
        ``StartIndex.columns`` of ``doc``, when ``indexed`` is set)."""
        found: list[Match] = []
        if low >= high:
            return found
        window = doc[low:high]
        # spaCy's Matcher gives offsets in the Span, its PhraseMatcher offsets in the Doc
        if self.bounded is not None:
            found += [(key, low + s, low + e) for key, s, e in self.bounded(window)]
        if self.indexed is not None:
            found += self.indexed.within(doc, columns, low, high)
        if self.phrases is not None:
            found += self.phrases(window)
        found += [m for m in loose if low <= m[1] and m[2] <= high]
        return found

    def _between_cuts(
        self, doc: Any, a: int, b: int, loose: list[Match], columns: Any = None
    ) -> tuple[int, int, list[Match]]:
        """Clean cuts ``left <= a`` and ``right >= b`` and the matches between them."""
        n, k = len(doc), self.reach
        low, high = max(0, a - 2 * k), min(n, b + 2 * k)
        while True:
            found = self._window(doc, low, high, loose, columns)
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


# the attributes a first token is indexed on (``StartIndex``): a plain LOWER or ORTH value,
# or LIKE_NUM true; the column of each in ``Doc.to_array(START_ATTRS)``
START_ATTRS = ("LOWER", "ORTH", "LIKE_NUM")


def start_key(pattern: Pattern) -> tuple[int, Any] | None:
    """``(column, value)`` of the first token of ``pattern`` that every match starts on (a
    column of ``START_ATTRS``; the value a string, 1 for LIKE_NUM, or ``("REGEX", r)`` for a
    LOWER, ORTH or TEXT value that must match regular expression ``r``), or None: the first
    token is optional, repeats, is negated or holds none of these, or the pattern has no
    longest match."""
    if not pattern or max_length(pattern) == math.inf:
        return None
    first = pattern[0]
    if str(first.get("OP") or "1") != "1":
        return None
    for column, attr in enumerate(START_ATTRS):
        value = first.get(attr)
        if attr == "LIKE_NUM" and value is True:
            return column, 1
        if attr != "LIKE_NUM" and isinstance(value, str):
            return column, value
    for attr, column in (("LOWER", 0), ("ORTH", 1), ("TEXT", 1)):
        value = first.get(attr)
        if isinstance(value, dict) and set(value) == {"REGEX"} and isinstance(value["REGEX"], str):
            return column, ("REGEX", value["REGEX"])
    return None


def second_values(pattern: Pattern, vocab: Any) -> set[tuple[int, int]] | None:
    """The ``(column, value hash)`` pairs (columns 0 LOWER, 1 ORTH of ``START_ATTRS``) one of
    which the second token of every match of ``pattern`` has, or None when the pattern says
    no such thing (no second token, an optional or repeated one, no plain value or set of
    strings on LOWER or ORTH)."""
    if len(pattern) < 2 or str(pattern[1].get("OP") or "1") != "1":
        return None
    second = pattern[1]
    for column, attr in enumerate(START_ATTRS[:2]):
        value = second.get(attr)
        if isinstance(value, dict) and set(value) == {"IN"}:
            value = value["IN"]
        elif isinstance(value, str):
            value = [value]
        else:
            continue
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return {(column, get_string_id(v)) for v in value}
    return None


class StartIndex:
    """Token patterns matched only from the tokens they can start on, with the same matches.

    spaCy's Matcher starts every pattern at every token. Most of the mention ruler's
    patterns open on one plain word ("given", "to", a comma) or on a number, so they are
    grouped by that first value, one Matcher a value, and each group is run only on the
    tokens that carry its value, over a window as long as the group's longest match
    (``max_length``); a match found there that does not start on the window's first token
    is found again from its own first token, so it is dropped. A pattern whose first token
    is a regular expression on LOWER, ORTH or TEXT is grouped by it the same way, the
    expression tested once per distinct string (spaCy's Matcher tests it at every token, a
    Python call each). The other patterns (an optional token first, a repeat without
    bound) run on the whole Doc. Every match starts on its first token, so the union is the
    whole Doc's matches.

    Args:
        vocab: the pipeline's Vocab.
        patterns: ``(match key, token pattern)`` pairs.
        validate: check each pattern against spaCy's pattern schema (False: the patterns
            were checked when another Matcher took them, e.g. medspaCy's ConText matcher).
    """

    def __init__(
        self, vocab: Any, patterns: list[tuple[str, Pattern]], validate: bool = True
    ) -> None:
        from spacy.matcher import Matcher

        self.rest = Matcher(vocab, validate=validate)
        groups: dict[tuple[int, int], Any] = {}
        reach: dict[tuple[int, int], int] = {}
        # the (column, value) pairs the token after the first must have, None: any
        follows: dict[tuple[int, int], set[tuple[int, int]] | None] = {}
        for key, pattern in patterns:
            found = start_key(pattern)
            if found is None:
                self.rest.add(key, [pattern])
                continue
            column, value = found
            if isinstance(value, tuple):
                group = (column, value)
            else:
                group = (column, value if isinstance(value, int) else get_string_id(value))
            if group not in groups:
                groups[group], reach[group] = Matcher(vocab, validate=validate), 0
                follows[group] = set()
            groups[group].add(key, [pattern])
            reach[group] = max(reach[group], int(max_length(pattern)))
            second = second_values(pattern, vocab)
            if second is None or follows[group] is None:
                follows[group] = None
            else:
                follows[group] |= second
        self.groups = {group: (groups[group], reach[group], follows.get(group)) for group in groups}
        self.values = [
            np.array(
                sorted(v for c, v in groups if c == column and isinstance(v, int)),
                dtype=np.uint64,
            )
            for column in range(len(START_ATTRS))
        ]
        # a regular expression first: (column, group, compiled, value hash -> does it match)
        self.regexes = [
            (column, (column, value), re.compile(value[1]), {})
            for column, value in groups
            if isinstance(value, tuple)
        ]
        self.strings = vocab.strings

    def __call__(self, doc: Any) -> list[Match]:
        """Every match of the patterns in ``doc``, as spaCy's Matcher gives them (order
        aside)."""
        if not len(doc):
            return list(self.rest(doc)) if len(self.rest) else []
        return self.within(doc, self.columns(doc), 0, len(doc))

    @staticmethod
    def columns(doc: Any) -> Any:
        """The ``START_ATTRS`` columns of ``doc``'s tokens (``within`` reads them)."""
        return doc.to_array(list(START_ATTRS)).astype(np.uint64)

    def within(self, doc: Any, columns: Any, low: int, high: int) -> list[Match]:
        """Every match of the patterns in ``doc`` that lies in tokens ``low``..``high``
        (offsets in the Doc; ``columns``: ``columns(doc)``), as spaCy's Matcher gives the
        matches of ``doc[low:high]`` (order aside)."""
        out: list[Match] = []
        if low >= high:
            return out
        if len(self.rest):
            out += [(key, low + s, low + e) for key, s, e in self.rest(doc[low:high])]
        part = columns[low:high]
        for column, values in enumerate(self.values):
            if not len(values):
                continue
            cells = part[:, column]
            for i in np.flatnonzero(np.isin(cells, values)).tolist():
                group = self.groups[(column, int(cells[i]))]
                self._from(doc, columns, low + i, group, out, high)
        for column, group, regex, seen in self.regexes:
            # spaCy's REGEX predicate: re.search on the token's string; tested once a string
            cells = part[:, column]
            hits = []
            for value in np.unique(cells).tolist():
                found = seen.get(value)
                if found is None:
                    found = seen[value] = bool(regex.search(self.strings[value]))
                if found:
                    hits.append(value)
            if hits:
                starts = np.flatnonzero(np.isin(cells, np.array(hits, dtype=np.uint64)))
                for i in starts.tolist():
                    self._from(doc, columns, low + i, self.groups[group], out, high)
        return out

    @staticmethod
    def _from(
        doc: Any, columns: Any, i: int, group: tuple[Any, int, Any], out: list, n: int
    ) -> None:
        """Add to ``out`` the matches of ``group`` (its Matcher, reach and second tokens)
        that start on token ``i`` and end by token ``n``."""
        matcher, reach, follows = group
        if follows is not None and (
            i + 1 >= n
            or (
                (0, int(columns[i + 1, 0])) not in follows
                and (1, int(columns[i + 1, 1])) not in follows
            )
        ):
            return  # no pattern of the group can match the token after the first
        out += [
            (key, i, i + end)
            for key, start, end in matcher(doc[i : min(n, i + reach)])
            if start == 0
        ]
