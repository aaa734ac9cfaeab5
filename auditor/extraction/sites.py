"""Injection sites and laterality of one anchor's words (contract section 3: site).

A SITE mention counts when the line is structured (a table row, a ``Field:`` line, a
template block line), when a site cue ("in", "into", "site:") comes just before it, or when
it carries its own side ("RUOQ"). A dose split over distinct sides gives one pick per side.
"""

from __future__ import annotations

from dataclasses import dataclass

from .rules import ExtractionRules
from .segments import Segment, is_row
from .view import CharSpan, Mention, NoteView


@dataclass(frozen=True)
class SitePick:
    """One ``(site, laterality)`` pair and the spans it was read from (None: not found)."""

    site: str | None
    side: str | None
    site_span: CharSpan | None = None
    side_span: CharSpan | None = None

    @property
    def key(self) -> tuple[str | None, str | None]:
        return (self.site, self.side)


def laterality_near(m: Mention, lats: list[Mention], rules: ExtractionRules) -> Mention | None:
    """The LATERALITY mention just before ``m`` ("L deltoid"), else just after it
    ("deltoid, left"), within the ``laterality_*_tokens`` windows."""
    for lat in reversed(lats):
        if lat.tok_end <= m.tok_start and m.tok_start - lat.tok_end <= (
            rules.window.laterality_before_tokens
        ):
            return lat
    for lat in lats:
        if lat.tok_start >= m.tok_end and lat.tok_start - m.tok_end <= (
            rules.window.laterality_after_tokens
        ):
            return lat
    return None


def _site_cue_before(view: NoteView, m: Mention, rules: ExtractionRules) -> bool:
    return any(
        w in rules.site_cues for w in view.words_before(m.tok_start, rules.window.site_cue_tokens)
    )


def find_sites(
    view: NoteView,
    segment: Segment,
    ind_range: CharSpan | None,
    rules: ExtractionRules,
    block_line: bool = False,
) -> list[SitePick]:
    """Distinct site picks in a segment, in text order: usually one; two when a dose is
    split ("each buttock" gives left and right). With no site, a non-site body part after
    "in/into" still gives its laterality: ``[SitePick(None, side)]``.

    Args:
        ind_range: the indication's character range: mentions inside it are not sites
            ("for L knee pain").
        block_line: the segment is a template block line (always structured).
    """

    def outside(m: Mention) -> bool:
        return ind_range is None or not (ind_range[0] <= m.start < ind_range[1])

    lats = segment.of("LATERALITY")
    structured = block_line or is_row(view, segment, rules)
    picks: list[SitePick] = []
    for m in (m for m in segment.of("SITE") if outside(m)):
        if not (structured or _site_cue_before(view, m, rules) or "|" in m.ident):
            continue  # "abdominal pain", "hip pain": a word for a place, not a site
        value, _, own_side = m.ident.partition("|")
        side: str | None = own_side or None
        side_span = m.span if own_side else None
        if side is None:
            lat = laterality_near(m, lats, rules)
            if lat is not None:
                side, side_span = lat.ident, lat.span
        if (
            picks
            and picks[-1].site == value
            and (picks[-1].side is None or side is None or picks[-1].side == side)
        ):
            last = picks[-1]  # "upper outer quadrant of the L buttock": one site
            if last.side is None:
                picks[-1] = SitePick(value, side, last.site_span, side_span)
            continue
        picks.append(SitePick(value, side, m.span, side_span))
    if len(picks) == 1 and picks[0].side == "bilateral":
        p = picks[0]
        picks = [
            SitePick(p.site, "right", p.site_span, p.side_span),
            SitePick(p.site, "left", p.site_span, p.side_span),
        ]
    if len({p.key for p in picks}) < len(picks):
        first: dict[tuple[str | None, str | None], SitePick] = {}
        for p in picks:
            first.setdefault(p.key, p)
        picks = list(first.values())
    if picks:
        return picks if len(picks) > 1 and all(p.side for p in picks) else picks[:1]
    for m in (m for m in segment.of("BODY") if outside(m)):
        before = set(view.words_before(m.tok_start, rules.window.locative_tokens))
        if before & rules.locatives:
            lat = laterality_near(m, lats, rules)
            if lat is not None:
                return [SitePick(None, lat.ident, None, lat.span)]
    return []


def template_side(view: NoteView, block: list[Segment], rules: ExtractionRules) -> Mention | None:
    """Laterality from a template line of its own ("Side: [x] R", "Laterality: Left")."""
    for b in block:
        if rules.side_line.match(view.text[b.start : b.end]) and b.of("LATERALITY"):
            return b.of("LATERALITY")[0]
    return None
