"""A plain-data view of one note: its text, tokens, sentences, sections and mentions.

The spaCy component (``auditor.pipeline.events``) builds one ``NoteView`` per Doc; the rest
of this package reads only the view, so extraction runs and is tested without spaCy.
All offsets are character offsets into ``NoteView.text`` unless named ``tok_*`` (token
indices).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property

CharSpan = tuple[int, int]  # (start, end) character offsets, end exclusive


@dataclass(frozen=True)
class Mention:
    """One labelled mention (``doc.spans["mentions"]``, see ``auditor.pipeline.mentions``).

    Attributes:
        label: DRUG, ROUTE, SITE, BODY, LATERALITY, ADMIN, INJECTION, ... (mention label).
        ident: its normalised value (generic name, route, ``site`` or ``site|side``, ...).
        start, end: character offsets.
        tok_start, tok_end: token indices.
        text: the mention as written.
        sent: index of its sentence in ``NoteView.sentences``.
        modifiers: ConText modifier categories on it (NEGATED_EXISTENCE, HYPOTHETICAL, ...).
    """

    label: str
    ident: str
    start: int
    end: int
    tok_start: int
    tok_end: int
    text: str
    sent: int
    modifiers: frozenset[str] = frozenset()

    @property
    def span(self) -> CharSpan:
        return (self.start, self.end)


@dataclass(frozen=True)
class Sentence:
    """One sentence (``auditor.pipeline.sentences``): character and token ranges."""

    start: int
    end: int
    tok_start: int
    tok_end: int


@dataclass(frozen=True)
class Section:
    """One section: its category (``sections/section_rules.json``) and character range."""

    category: str
    start: int
    end: int


@dataclass
class NoteView:
    """Everything the extractor reads about one note.

    Attributes:
        text: the note text (``Doc.text``).
        tokens: each token's lower-case form (``Token.lower_``), in order.
        sentences: the sentences, in order.
        sections: the sections, in order (a later section wins where two overlap).
        mentions: the mentions, sorted by ``start``.
        offsets: each token's start character (``Token.idx``); may be empty, and then the
            words-only rules (``contextual``) find nothing.
    """

    text: str
    tokens: list[str]
    sentences: list[Sentence]
    sections: list[Section]
    mentions: list[Mention]
    offsets: list[int] = field(default_factory=list)
    _words: dict[int, frozenset[str]] = field(default_factory=dict, repr=False)

    @cached_property
    def by_sent(self) -> dict[int, list[Mention]]:
        """Sentence index -> its mentions, in text order."""
        out: dict[int, list[Mention]] = {}
        for m in self.mentions:
            out.setdefault(m.sent, []).append(m)
        return out

    @cached_property
    def drug_tokens(self) -> frozenset[int]:
        """The tokens inside a DRUG mention (of any sentence)."""
        return frozenset(
            i for m in self.mentions if m.label == "DRUG" for i in range(m.tok_start, m.tok_end)
        )

    @cached_property
    def admin_starts(self) -> dict[int, list[int]]:
        """Sentence index -> the start characters of its ADMIN mentions, in order (for a
        bisect: is there one in a range?)."""
        out: dict[int, list[int]] = {}
        for m in self.mentions:
            if m.label == "ADMIN":
                out.setdefault(m.sent, []).append(m.start)
        return out

    @cached_property
    def _sentence_starts(self) -> list[int]:
        return [s.start for s in self.sentences]

    def sentence_at(self, pos: int) -> int | None:
        """The index of the sentence holding character ``pos`` (None between sentences or
        outside them); a bisect over the sentence starts, not a scan of every sentence."""
        i = bisect_right(self._sentence_starts, pos) - 1
        return i if i >= 0 and pos < self.sentences[i].end else None

    def in_sent(self, sent: int) -> list[Mention]:
        """The mentions of sentence ``sent`` (empty when it has none)."""
        return self.by_sent.get(sent, [])

    def sentence_text(self, sent: int) -> str:
        s = self.sentences[sent]
        return self.text[s.start : s.end]

    def sentence_words(self, sent: int) -> frozenset[str]:
        """The lower-case tokens of sentence ``sent``, as a set."""
        if sent not in self._words:
            s = self.sentences[sent]
            self._words[sent] = frozenset(self.tokens[s.tok_start : s.tok_end])
        return self._words[sent]

    def words_before(self, tok: int, n: int, floor: int = 0) -> list[str]:
        """The lower-case tokens in ``[max(floor, tok - n), tok)``."""
        return self.tokens[max(floor, tok - n) : tok]

    def token(self, i: int) -> str:
        """Token ``i`` lower-cased, or "" past the end."""
        return self.tokens[i] if i < len(self.tokens) else ""

    def section_at(self, pos: int) -> str | None:
        """Category of the last section that contains character ``pos``, else None."""
        found = None
        for sec in self.sections:
            if sec.start <= pos < sec.end:
                found = sec.category
        return found
