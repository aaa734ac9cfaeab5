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


def test_max_length_of_a_pattern():
    from math import inf

    from auditor.pipeline.matching import max_length

    assert max_length([{"LOWER": "a"}, {"LOWER": "b", "OP": "?"}, {"OP": "!"}]) == 3
    assert max_length([{"LOWER": "a", "OP": "{0,5}"}, {"LOWER": "b", "OP": "{2}"}]) == 7
    assert max_length([{"LOWER": "a"}, {"IS_ALPHA": True, "OP": "*"}]) == inf
    assert max_length([{"LOWER": "a", "OP": "+"}]) == inf
    assert max_length([{"LOWER": "a", "OP": "{2,}"}]) == inf


def _sentenced(text: str):
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    return nlp, nlp(text)


def test_target_sentences_are_runs_of_whole_sentences():
    from auditor.pipeline.matching import target_sentences

    _, doc = _sentenced("a b . c d . e f . g h . i j .")
    assert [(s.start, s.end) for s in doc.sents] == [(0, 3), (3, 6), (6, 9), (9, 12), (12, 15)]
    assert target_sentences(doc, []) == []
    # sentences 2 and 3 touch (one run), 5 alone; a target over a boundary holds both
    assert target_sentences(doc, [doc[4:5], doc[7:8], doc[13:14]]) == [(3, 9), (12, 15)]
    assert target_sentences(doc, [doc[2:4]]) == [(0, 6)]


CHAIN_TEXT = "x x x x x x x x x x . w w w w w w w w heparin . y y y y y y y y y y ."


def _chain_rules() -> list[dict]:
    """Overlapping matches that run from the target's sentence far into the one before it."""
    return [
        {"category": "HISTORICAL", "literal": "x x", "direction": "FORWARD"},
        {"category": "HYPOTHETICAL", "literal": "w w", "direction": "FORWARD"},
        {"category": "NEGATED_EXISTENCE", "literal": "x . w w w", "direction": "FORWARD"},
        {
            "category": "FAMILY",
            "literal": "y ... y",
            "pattern": [{"LOWER": "heparin"}, {"LOWER": "."}, {"LOWER": "y", "OP": "+"}],
            "direction": "BACKWARD",
        },
    ]


def _windowed_and_whole(rules: list[dict], text: str, targets: list[tuple[int, int]]):
    from spacy.tokens import Span

    from auditor.pipeline.build import context_component

    nlp, _ = _sentenced("")
    context = context_component(nlp, rules, "window_test", group="targets")
    matcher = context._ConText__matcher
    out = []
    for windowed in (True, False):
        matcher.windowed = windowed
        doc = nlp(text)
        doc.spans["targets"] = [Span(doc, s, e, label="DRUG") for s, e in targets]
        matches = matcher(doc)
        context(doc)
        modifiers = [
            sorted((m.category, m.modifier_span) for m in t._.modifiers)
            for t in doc.spans["targets"]
        ]
        out.append((matches, modifiers))
    return out


def test_windowed_context_matches_equal_the_whole_doc_s():
    """A chain of overlapping matches (x x / x . w w w / w w ...) and an unbounded pattern
    that starts in the target's sentence: windows widen to clean cuts, so the pruned matches
    and the modifiers are those of the whole Doc, less the matches that start in a sentence
    with no target."""
    windowed, whole = _windowed_and_whole(_chain_rules(), CHAIN_TEXT, [(19, 20)])
    # the target's sentence is tokens 11-20; the matches "x x" (every pair of tokens 0-9)
    # and "x . w w w" (9-14) overlap in a chain, so the only clean cut before the sentence is
    # the start of the Doc, and the pairs of x decide which pairs of w survive pruning
    assert [m[1:] for m in whole[0]] == [
        *((0, 2), (2, 4), (4, 6), (6, 8), (9, 14)),
        *((15, 17), (17, 19), (19, 31)),
    ]
    assert windowed[0] == whole[0][-3:]  # those that start in the target's sentence
    assert windowed[1] == whole[1] == [[("HYPOTHETICAL", (17, 19))]]
    # without the "x x" rule, "x . w w w" survives and the pairs of w start one token earlier
    windowed, whole = _windowed_and_whole(_chain_rules()[1:], CHAIN_TEXT, [(19, 20)])
    assert [m[1:] for m in whole[0]] == [(9, 14), (14, 16), (16, 18), (19, 31)]
    assert windowed[0] == whole[0][1:]
    assert windowed[1] == whole[1] == [[("HYPOTHETICAL", (16, 18))]]


def test_windows_widen_to_a_clean_cut():
    """With a reach of 2 tokens and a chain of overlapping 2-token matches ("w .", ". w")
    from the start of the Doc to the target's sentence, the only clean cut on the left is
    the start of the Doc: every match is kept."""
    from spacy.matcher import Matcher, PhraseMatcher

    from auditor.pipeline.matching import TargetWindows

    nlp, doc = _sentenced("w . w . w . w . w . w . w . w heparin . y")
    phrases = PhraseMatcher(nlp.vocab, attr="LOWER")
    phrases.add("w.", [nlp.make_doc("w .")])
    phrases.add(".w", [nlp.make_doc(". w")])
    tokens = Matcher(nlp.vocab)
    tokens.add("y", [[{"LOWER": "."}, {"LOWER": "y"}]])
    windows = TargetWindows(tokens, None, phrases, reach=2)
    matches, regions = windows.matches(doc, [doc[15:16]])
    assert regions == [(14, 17)]
    whole = phrases(doc) + tokens(doc)
    assert sorted(matches) == sorted(whole)
    assert len(matches) == 15  # "w ." 7 times, ". w" 7 times, ". y"
    # a target in the first sentence: the chain ends at "heparin", a clean cut (". y" is
    # beyond it)
    matches, regions = windows.matches(doc, [doc[0:1]])
    assert regions == [(0, 2)]
    assert sorted(matches) == sorted(m for m in whole if m[2] <= 15)
    assert len(matches) == 14


def test_windowed_context_on_the_pipeline_equals_the_whole_doc():
    nlp = build_pipeline()
    matcher = nlp.get_pipe("auditor_context").context._ConText__matcher
    assert matcher.target_windows() is not None
    texts = [*TEXTS, " ".join(TEXTS), "\n".join(TEXTS * 3)]
    seen = 0
    for text in texts:
        results = []
        for windowed in (True, False):
            matcher.windowed = windowed
            doc = nlp(text)
            results.append(doc.user_data.get("auditor"))
        matcher.windowed = True
        assert results[0] == results[1]
        seen += bool(results[0] and results[0]["events"])
    assert seen >= 5


def test_start_key_and_second_values():
    from spacy.vocab import Vocab

    from auditor.pipeline.matching import second_values, start_key

    vocab = Vocab()
    assert start_key([{"LOWER": "given"}, {"LIKE_NUM": True}]) == (0, "given")
    assert start_key([{"ORTH": ",", "OP": "1"}, {"ORTH": "RN"}]) == (1, ",")
    assert start_key([{"LIKE_NUM": True, "SPACY": False}, {"LOWER": "td"}]) == (2, 1)
    assert start_key([{"TEXT": {"REGEX": "^d(iu|ui)res"}}]) == (1, ("REGEX", "^d(iu|ui)res"))
    for pattern in (
        [{"LOWER": "a", "OP": "?"}, {"LOWER": "b"}],  # optional first
        [{"LOWER": {"REGEX": "^a$"}, "OP": "?"}, {"LOWER": "b"}],  # optional, a regex
        [{"NORM": {"REGEX": "^a$"}}],  # a regular expression on another attribute
        [{"LOWER": "a"}, {"IS_ALPHA": True, "OP": "+"}],  # no longest match
        [{"IS_ALPHA": True}],
    ):
        assert start_key(pattern) is None
    s = vocab.strings
    assert second_values([{"LOWER": "a"}, {"LOWER": {"IN": ["b", "c"]}}], vocab) == {
        (0, s["b"]),
        (0, s["c"]),
    }
    assert second_values([{"ORTH": ","}, {"ORTH": "RN", "IS_UPPER": True}], vocab) == {(1, s["RN"])}
    assert second_values([{"LOWER": "a"}], vocab) is None
    assert second_values([{"LOWER": "a"}, {"LOWER": "b", "OP": "?"}], vocab) is None
    assert second_values([{"LOWER": "a"}, {"LOWER": {"NOT_IN": ["b"]}}], vocab) is None


def test_start_index_gives_the_matcher_s_matches():
    import spacy

    from auditor.pipeline.matching import StartIndex

    nlp = spacy.blank("en")
    patterns = [
        ("given", [{"LOWER": "given"}, {"LIKE_NUM": True}, {"LOWER": "mg", "OP": "?"}]),
        ("dose", [{"LIKE_NUM": True}, {"LOWER": {"IN": ["mg", "units"]}}]),
        ("rn", [{"ORTH": ","}, {"ORTH": {"IN": ["RN", "MD"]}}]),
        ("to", [{"LOWER": "to"}, {"IS_ALPHA": True, "OP": "{0,2}"}, {"LOWER": "given"}]),
        ("any", [{"IS_ALPHA": True, "OP": "?"}, {"LOWER": "im"}]),  # not indexed
        ("re", [{"LOWER": {"REGEX": "^(iv|i[mn])$"}}, {"LIKE_NUM": True, "OP": "?"}]),
        ("run", [{"LOWER": "w"}, {"LOWER": "w", "OP": "+"}]),  # not indexed
    ]
    index = StartIndex(nlp.vocab, patterns)
    assert len(index.groups) == 5
    assert index.groups[(2, 1)][2] is not None  # a number must be followed by mg or units
    text = "Given 2 mg IM, given 4 units to be given , RN , md w w w 5 , MD to given"
    doc = nlp.make_doc(text)
    whole = Matcher(nlp.vocab)
    for key, pattern in patterns:
        whole.add(key, [pattern])
    found = sorted((nlp.vocab.strings[k], s, e) for k, s, e in index(doc))
    assert found == sorted((nlp.vocab.strings[k], s, e) for k, s, e in whole(doc))
    assert found == [
        *(("any", 2, 4), ("any", 3, 4)),  # "mg IM", "IM"
        *(("dose", 1, 3), ("dose", 6, 8)),  # "2 mg", "4 units"
        *(("given", 0, 2), ("given", 0, 3), ("given", 5, 7)),  # "Given 2 (mg)", "given 4"
        *(("re", 3, 4),),  # "IM" ("in" and "iv" are not in the text)
        *(("rn", 11, 13), ("rn", 19, 21)),  # ", RN", ", MD" (not ", md")
        *(("run", 15, 17), ("run", 15, 18), ("run", 16, 18)),  # "w w (w)", "w w"
        *(("to", 8, 11), ("to", 21, 23)),  # "to be given", "to given"
    ]


def test_the_mention_ruler_finds_the_span_ruler_s_spans():
    from spacy.pipeline import SpanRuler

    nlp = build_pipeline()
    ruler = nlp.get_pipe("auditor_mentions")
    for text in [*TEXTS, " ".join(TEXTS).upper(), ""]:
        doc = nlp.make_doc(text)
        assert ruler.match(doc) == SpanRuler.match(ruler, doc)
