"""``pipeline.matching.plain_first_token``: the rewritten patterns match exactly what the
rule files' patterns match."""

from spacy.matcher import Matcher

from auditor.patterns import load_patterns
from auditor.pipeline.build import build_pipeline
from auditor.pipeline.matching import MAX_ALTERNATIVES, plain_first_token
from auditor.pipeline.mentions import ruler_patterns


def test_a_set_first_token_becomes_one_pattern_per_word():
    pattern = [{"LOWER": {"IN": ["given", "gave", "given"]}, "IS_UPPER": False}, {"LIKE_NUM": True}]
    assert plain_first_token(pattern) == [
        [{"LOWER": "given", "IS_UPPER": False}, {"LIKE_NUM": True}],
        [{"LOWER": "gave", "IS_UPPER": False}, {"LIKE_NUM": True}],
    ]


def test_an_optional_first_token_becomes_with_and_without():
    pattern = [{"LOWER": {"IN": ["early", "late"]}, "OP": "?"}, {"ORTH": {"IN": ["1990s"]}}]
    assert plain_first_token(pattern) == [
        [{"LOWER": "early"}, {"ORTH": {"IN": ["1990s"]}}],
        [{"LOWER": "late"}, {"ORTH": {"IN": ["1990s"]}}],
        [{"ORTH": "1990s"}],
    ]


def test_patterns_left_alone():
    kept = [
        [{"LOWER": "by"}, {"LOWER": {"IN": ["rn", "md"]}}],  # already plain
        [{"LOWER": {"REGEX": "^q\\d+h$"}}],  # a regular expression
        [{"LOWER": {"NOT_IN": ["the"]}}, {"LOWER": "x"}],  # a negated set
        [{"IS_ALPHA": True, "OP": "+"}, {"LOWER": "x"}],  # a repeat
        [{"LOWER": {"IN": [f"w{i}" for i in range(MAX_ALTERNATIVES + 1)]}}],  # too many
        [{"LOWER": {"IN": ["a"]}, "ORTH": {"IN": ["A"]}}],  # two sets on one token
    ]
    for pattern in kept:
        assert plain_first_token(pattern) == [pattern]


TEXTS = [
    "Pt got a shot of Toradol 30 mg IM, tolerated well, no reaction. Given 2 mg Ativan.",
    "K 3.4, Mg 1.6 repleted. BS 250 covered w/ 4 units reg insulin SQ. Diuresed well to lasix.",
    "He was treated with IM penicillin; responded to therapy. CT head negative.",
    "[x] IM  [ ] SC  Drug: Ceftriaxone 500 mg. Followed by Zofran. Observed 20 minutes, RN.",
    "in the early 1990s he had a flu shot; q4h prn; will be treated with heparin every 2 days",
]


def _matches(patterns: list[list[dict]], docs: list) -> list[set[tuple[int, int]]]:
    matcher = Matcher(docs[0].vocab)
    for i, pattern in enumerate(patterns):
        matcher.add(str(i), [pattern])
    return [{(s, e) for _, s, e in matcher(doc)} for doc in docs]


def test_rewritten_rule_patterns_match_the_same_spans():
    """Every token pattern of the mention ruler and of ConText, alone, against its rewrite."""
    patterns = load_patterns()
    token_patterns = [
        p["pattern"] for p in ruler_patterns(patterns) if isinstance(p["pattern"], list)
    ]
    token_patterns += [r["pattern"] for r in patterns.context["context_rules"] if r.get("pattern")]
    nlp = build_pipeline()
    docs = [nlp.make_doc(t) for t in TEXTS]
    matched = 0
    for pattern in token_patterns:
        assert _matches(plain_first_token(pattern), docs) == _matches([pattern], docs), pattern
        matched += any(_matches([pattern], docs))
    assert matched >= 15  # the texts exercise the patterns (18 of them at 2f91666)


def _context_categories(rules: list[dict], text: str, target: tuple[int, int]) -> set[str]:
    """ConText categories on the DRUG span ``target`` (token offsets) of ``text``."""
    import spacy
    from spacy.tokens import Span

    from auditor.pipeline.build import context_component

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    context = context_component(nlp, rules, "tie_test", group="targets")
    doc = nlp(text)
    doc.spans["targets"] = [Span(doc, *target, label="DRUG")]
    context(doc)
    return {m.category for m in doc.spans["targets"][0]._.modifiers}


def test_a_tie_on_the_same_words_goes_to_the_rule_written_first():
    home = {"category": "HOME_MEDICATION", "literal": "remains on", "direction": "FORWARD"}
    standing = {"category": "STANDING", "literal": "remains on", "direction": "FORWARD"}
    text = "Patient remains on heparin ."
    # rules before them (each shifts medspaCy's rule ids) do not change the winner
    for n in range(12):
        filler = [{"category": "FAMILY", "literal": f"word{i}"} for i in range(n)]
        assert _context_categories([*filler, home, standing], text, (3, 4)) == {"HOME_MEDICATION"}
        assert _context_categories([*filler, standing, home], text, (3, 4)) == {"STANDING"}


def test_a_token_pattern_wins_a_tie_over_a_literal_and_the_longer_match_wins():
    literal = {"category": "HISTORICAL", "literal": "prior to delivery"}
    pattern = {
        "category": "HYPOTHETICAL",
        "literal": "prior to <word>",
        "pattern": [{"LOWER": "prior"}, {"LOWER": "to"}, {"IS_ALPHA": True}],
    }
    text = "Heparin given prior to delivery ."
    assert _context_categories([literal, pattern], text, (0, 1)) == {"HYPOTHETICAL"}
    shorter = {"category": "NEGATED_EXISTENCE", "literal": "prior to"}
    assert _context_categories([shorter, literal], text, (0, 1)) == {"HISTORICAL"}


def test_no_context_literal_is_written_twice():
    """Two rules with one literal tie on every match, and only one can ever apply."""
    import json
    from collections import Counter
    from pathlib import Path

    root = Path(__file__).resolve().parents[1] / "patterns" / "context"
    for name in ("context_rules.json", "condition_rules.json"):
        rules = json.loads((root / name).read_text(encoding="utf-8"))
        rules = rules.get("context_rules", rules) if isinstance(rules, dict) else rules
        literals = Counter(
            r["literal"].lower() for r in rules if "pattern" not in r or r["pattern"] is None
        )
        assert [w for w, n in literals.items() if n > 1] == [], name
