"""``auditor.setting.SettingRules``: the care-profile rule kind and its validation.

Case rows for every setting rule are in tests/cases/setting.yaml (run by test_contract_v2);
this file checks what a case table cannot: how a profile counts its cues, and that a
malformed profile, negation or this_encounter entry fails with a PatternError naming it
(a wrong shape refused by the schema, the one place it is checked: ``patterns.check_file``).
"""

from __future__ import annotations

import copy
import re
import shutil
from pathlib import Path
from random import Random

import pytest
import yaml

import auditor.setting as setting_module
from auditor.errors import PatternError
from auditor.patterns import check_file, load_patterns
from auditor.setting import (
    SettingRules,
    first_literals,
    matches,
    may_match,
    required_literals,
    statement_start,
)

BASE = load_patterns().setting
BASE_RULES = SettingRules.from_rules(BASE)
STATEMENT_END = BASE_RULES.reading.statement_end
CASES = Path(__file__).parent / "cases"


def _built(data: dict) -> SettingRules:
    """``data`` checked by its schema, then compiled: what loading setting.yaml does."""
    check_file("setting/setting.yaml", data)
    return SettingRules.from_rules(data)


def _rules(**changes) -> SettingRules:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return _built(data)


PROFILE = {
    "setting": "inpatient",
    "name": "test profile",
    "min_kinds": 2,
    "require": ["systems"],
    "cues": {
        "systems": {"pattern": r"^(?:neuro|resp|gi):", "min": 2},
        "urine": r"\bfoley\b",
    },
}


def test_a_profile_needs_distinct_matches_and_its_required_kind():
    rules = _rules(note_rules=[], profiles=[PROFILE])
    assert rules.from_text("neuro: ok\nresp: ok\nfoley in place") == "inpatient"
    # the same heading twice is one distinct match: systems is not present
    assert rules.from_text("neuro: ok\nneuro: ok\nfoley in place") is None
    # the required kind alone is not enough (min_kinds 2)
    assert rules.from_text("neuro: ok\nresp: ok") is None
    # a negated cue does not count
    assert rules.from_text("neuro: ok\nresp: ok\nno foley") is None
    # a heading in a sentence about earlier care is skipped, unless its kind is layout
    earlier = "neuro: ok\nresp: as before, as 2 weeks ago\nfoley in place"
    assert rules.from_text(earlier) is None
    layout = PROFILE | {
        "cues": PROFILE["cues"] | {"systems": PROFILE["cues"]["systems"] | {"layout": True}}
    }
    assert _rules(note_rules=[], profiles=[layout]).from_text(earlier) == "inpatient"


@pytest.mark.parametrize(
    "profile, message",
    [
        ({k: v for k, v in PROFILE.items() if k != "cues"}, "'cues' is a required property"),
        (PROFILE | {"setting": "home"}, "unknown setting"),
        (PROFILE | {"extra": 1}, "'extra' was unexpected"),
        (PROFILE | {"require": ["lines"]}, "require names an unknown cue kind"),
        (PROFILE | {"min_kinds": 0}, r"min_kinds: 0 is less than the minimum"),
        (PROFILE | {"cues": {"systems": {"pattern": "a", "min": 0}}}, "cues.systems"),
        (PROFILE | {"cues": {"systems": {"pattern": "a", "layout": "yes"}}}, "cues.systems"),
        (PROFILE | {"cues": {"systems": {"min": 2}}}, "cues.systems"),
        # refused by the schema's regex check (E102) since debt18
        (
            PROFILE | {"cues": {"urine": "(unclosed"}},
            "regular expression refused: does not compile",
        ),
    ],
)
def test_a_malformed_profile_is_a_pattern_error(profile, message):
    with pytest.raises(PatternError, match=message) as err:
        _rules(profiles=[profile])
    assert "profiles[0]" in str(err.value)


def test_negation_and_this_encounter_are_optional_and_checked():
    rules = _rules(negation=None, this_encounter=None)
    assert (rules.negation, rules.this_encounter) == (None, None)
    with pytest.raises(PatternError, match="negation"):
        _rules(negation="(unclosed")
    with pytest.raises(PatternError, match="this_encounter"):
        _rules(this_encounter="(unclosed")


def test_note_conditions_gate_a_rule_and_decide_names_it():
    rule = {
        "scope": "text",
        "setting": "outpatient",
        "pattern": r"\bin the office\b",
        "note_has": [r"\bknee\b"],
        "note_lacks": r"\bprocedure:",
    }
    rules = _rules(note_rules=[rule], profiles=[])
    assert rules.decide("Seen in the office for the knee.") == ("outpatient", "text:0")
    # a condition that must match does not
    assert rules.decide("Seen in the office for the hip.") == (None, None)
    # a condition that must not match does
    assert rules.decide("Seen in the office for the knee. Procedure: tap.") == (None, None)
    assert rules.from_text("Seen in the office for the knee.") == "outpatient"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"note_has": 3}, r"note_has: 3 is not valid"),
        ({"note_lacks": ["(unclosed"]}, r"note_lacks\[0\]: regular expression refused: does not"),
        ({"unless": "x"}, "'unless' was unexpected"),
        ({"scope": "body"}, r"scope: 'body' is not one of"),
        ({"setting": "home"}, "unknown setting"),
    ],
)
def test_a_malformed_rule_condition_is_a_pattern_error(change, message):
    rule = {"scope": "text", "setting": "outpatient", "pattern": "x"} | change
    with pytest.raises(PatternError, match=message) as err:
        _rules(note_rules=[rule])
    assert "note_rules[0]" in str(err.value)


def test_other_sections_skip_statements_unless_tied_to_this_encounter():
    rule = {"scope": "text", "setting": "inpatient", "pattern": r"\badmitted\b|\bthis stay\b"}
    rules = _rules(
        note_rules=[rule],
        profiles=[],
        other_sections=r"^[ \t]*past history",
        this_encounter=r"\bthis stay\b",
    )
    assert rules.decide("HPI: admitted overnight.") == ("inpatient", "text:0")
    # a statement under a past-history heading is skipped, up to the next heading
    assert rules.decide("PAST HISTORY: admitted in the past.\nPLAN: rest.") == (None, None)
    assert rules.decide("PAST HISTORY: asthma.\nHPI: admitted overnight.")[0] == "inpatient"
    # a match tied to this encounter counts even there
    assert rules.decide("PAST HISTORY: seen during this stay.")[0] == "inpatient"
    assert _rules(other_sections=None).other_sections is None
    with pytest.raises(PatternError, match="other_sections"):
        _rules(other_sections="(unclosed")


def test_later_encounter_skips_text_rules_unless_later_ok_but_never_profile_cues():
    rule = {"scope": "text", "setting": "inpatient", "pattern": r"\bon admission\b"}
    plan = "We will repeat the culture drawn on admission."
    rules = _rules(note_rules=[rule], profiles=[], later_encounter=r"\bwill\b")
    assert rules.decide(plan) == (None, None)
    assert _rules(note_rules=[rule | {"later_ok": True}], profiles=[]).decide(plan) == (
        "inpatient",
        "text:0",
    )
    # a profile cue in a sentence about later care still counts (a nurse's plan)
    cues = "neuro: ok\nresp: ok\nwill keep the foley"
    assert _rules(note_rules=[], profiles=[PROFILE], later_encounter=r"\bwill\b").from_text(
        cues
    ) == ("inpatient")
    # an earlier-encounter word still hides it
    assert _rules(note_rules=[], profiles=[PROFILE]).from_text(cues + " as 2 weeks ago") is None
    with pytest.raises(PatternError, match="later_ok"):
        _rules(note_rules=[rule | {"later_ok": "yes"}])
    with pytest.raises(PatternError, match="later_encounter"):
        _rules(later_encounter="(unclosed")


def test_today_right_after_a_statement_ties_it_to_this_encounter():
    rule = {"scope": "text", "setting": "emergency", "pattern": r"\bpresents to the ER\b"}
    rules = _rules(note_rules=[rule], profiles=[], this_encounter=r"\btoday\b")
    assert rules.decide("He presents to the ER today with pain since last night.")[0] == (
        "emergency"
    )
    # "today" further on in the sentence does not
    far = "He presents to the ER with pain that started last night and is worse today."
    assert rules.decide(far) == (None, None)


def test_the_keys_of_setting_yaml_1_13_are_optional_and_checked():
    admitted = {"scope": "text", "setting": "inpatient", "pattern": r"\bwas admitted\b"}
    office = {"scope": "text", "setting": "outpatient", "pattern": r"\bin the office\b"}
    title = {"scope": "title", "setting": "emergency", "pattern": r"^[^\w\n]*ER\b"}
    bare = _rules(
        note_rules=[title, admitted, office],
        profiles=[],
        other_encounter=r"\bin 2005\b",
        this_encounter=None,
        title_words=None,
        patient_description=None,
        later_sections=None,
        clause_break=None,
        done_words=None,
    )
    described = "A man with a history of a bypass in 2005 was admitted with chest pain."
    planned = "PLAN: , Cystoscopy in the office."
    flattened = "ER REPORT CHIEF COMPLAINT: Cut finger."
    # without the keys: the description hides the statement, the plan counts, no title
    assert [bare.from_text(t) for t in (described, planned, flattened)] == [
        None,
        "outpatient",
        None,
    ]
    keyed = _rules(
        note_rules=[title, admitted, office],
        profiles=[],
        other_encounter=r"\bin 2005\b",
        this_encounter=None,
        title_words=r"\breport\b",
        patient_description=r"\bwith a history of\b",
        later_sections=r"^[^\w\n]*plan\s*:",
        clause_break=r"\band\b",
        done_words=r"\bwas\b",
    )
    assert [keyed.from_text(t) for t in (described, planned, flattened)] == [
        "inpatient",
        None,
        "emergency",
    ]
    # a clause after the earlier-encounter word, or a report of what was done in the plan
    assert keyed.from_text(described.replace("2005 was", "2005 and was")) is None
    assert keyed.from_text("PLAN: , Biopsy was done in the office.") == "outpatient"
    for key in ("title_words", "patient_description", "later_sections", "clause_break"):
        with pytest.raises(PatternError, match=key):
            _rules(**{key: "(unclosed"})


# --- speed without a changed decision (setting.py: statement_start, may_match, _fits) ---
CASE_TEXTS = [
    row["text"]
    for row in yaml.safe_load((CASES / "setting.yaml").read_text(encoding="utf-8"))
    if row.get("text")
]


def _every_regex(rules: SettingRules) -> list[re.Pattern[str]]:
    found = [p for _, _, p in rules.rules]
    found += [p for has, lacks in rules.conditions for p in (*has, *lacks)]
    found += [p for profile in rules.profiles for _, p, _, _ in profile.cues]
    return found


def test_statement_start_is_the_last_statement_end_before_the_position():
    random = Random(7)
    alphabet = "ab .,!?\n\tAB:C"
    for _ in range(300):
        text = "".join(random.choice(alphabet) for _ in range(random.randint(0, 1400)))
        for position in {0, len(text), *(random.randint(0, len(text)) for _ in range(5))}:
            ends = [m.end() for m in STATEMENT_END.finditer(text, 0, position)]
            assert statement_start(text, position, STATEMENT_END) == (ends[-1] if ends else 0)


def test_may_match_never_refuses_a_note_the_regex_matches():
    regexes = _every_regex(BASE_RULES)
    for text in CASE_TEXTS:
        for variant in (text, text.upper(), text.swapcase(), text + " \u00e9"):
            lowered = variant.lower() if variant.isascii() else None
            for pattern in regexes:
                if pattern.search(variant):
                    assert may_match(pattern, variant, lowered), pattern.pattern[:60]


def test_required_literals_reads_the_alternatives_of_a_regex():
    either = re.compile(r"(?:is|are) (?:now )?being admitted\b|hospital day \d", re.I)
    assert required_literals(either) == (
        True,
        ((("being admitted",), ("are", "is"), (" ",)), (("hospital day ",),)),
    )
    assert may_match(either, "Hospital Day 3", "hospital day 3")
    assert not may_match(either, "Admitted on day 3", "admitted on day 3")
    assert may_match(either, "Admitted on day 3 \u00e9", None)  # not ASCII: not checked
    # a case-sensitive regex is checked against the note itself
    assert not may_match(re.compile(r"\bICU\b"), "icu", "icu")
    # an alternative without a literal that every match holds: no prefilter
    assert required_literals(re.compile(r"\bfoley\b|\d+", re.I)) is None


def test_matches_finds_what_finditer_finds():
    # every rule and cue regex, on the case texts as written, in capitals, swapped, with a
    # non-ASCII letter (plain finditer) and with words glued (boundaries, lookbehinds)
    regexes = _every_regex(BASE_RULES)
    for text in CASE_TEXTS:
        for variant in (
            text,
            text.upper(),
            text.swapcase(),
            text + " \u00e9",
            text.replace(" ", ""),
        ):
            lowered = variant.lower() if variant.isascii() else None
            for pattern in regexes:
                got = [m.span() for m in matches(pattern, variant, lowered)]
                assert got == [m.span() for m in pattern.finditer(variant)], pattern.pattern[:60]


def test_first_literals_reads_how_every_match_opens():
    b = "\x00"  # at a word boundary
    assert first_literals(re.compile(r"\b(?:is|are) (?:now )?being\b|(?:MS|TS)?ICU", re.I)) == {
        b + "is ",
        b + "are ",
        "msicu",
        "tsicu",
        "icu",
    }
    # a repeated group: only its own opening is sure ("abab" as well as "abc")
    assert first_literals(re.compile(r"(?:ab)+c")) == {"ab"}
    assert first_literals(re.compile(r"[0-2]\d:")) == {"0", "1", "2"}
    # no literal opens every match: a class of words, a dot, an empty match
    for pattern in (r"\bfoley\b|\w+ gtt", r".x", r"(?:ab)?", r"[^a]b"):
        assert first_literals(re.compile(pattern, re.I)) is None, pattern
    # a match found at a candidate sees the text before it, as finditer does
    pattern = re.compile(r"(?<!was )\bdischarged home", re.I)
    text = "He was discharged home. She discharged home; Discharged home"
    assert [m.start() for m in matches(pattern, text, text.lower())] == [28, 45]


def test_the_decision_is_the_same_without_the_prefilter(monkeypatch):
    expected = [BASE_RULES.decide(text) for text in CASE_TEXTS]
    monkeypatch.setattr(setting_module, "may_match", lambda *_: True)
    assert [BASE_RULES.decide(text) for text in CASE_TEXTS] == expected


def test_a_none_rule_decides_no_setting_and_dated_skip_is_checked():
    # setting.yaml 1.17: a rule whose setting is "none" decides null (and names itself); a
    # dated_skip that is not a bool is a PatternError naming the rule
    data = copy.deepcopy(BASE)
    data["note_rules"] = [
        {"scope": "title", "setting": "none", "pattern": r"\bhome visit\b"},
        {"scope": "title", "setting": "outpatient", "pattern": r"\bvisit\b"},
    ]
    rules = SettingRules.from_rules(data)
    assert rules.decide("Home visit\nB12 given.") == (None, "title:0")
    assert rules.decide("Clinic visit\nB12 given.") == ("outpatient", "title:1")
    data["note_rules"][0]["dated_skip"] = "yes"
    with pytest.raises(PatternError) as err:
        _built(data)
    assert "note_rules[0]" in str(err.value)


def test_the_setting_reading_rules_are_data(tmp_path):
    """setting.yaml 1.30.0 (helper debt16): the title, heading, statement and written-column
    rules are read from the file (``reading``), not from auditor/setting.py: a shorter
    ``max_chars`` makes a long first line no title, a statement that ends at a comma too
    splits "today" from its match, a bigger ``field_name_min`` stops reading "Setting: ER"
    as a field, and a bad regex or a missing part is a PatternError naming its key; the
    schema refuses an unknown key or a regex that can backtrack catastrophically."""
    from auditor.errors import PatternSchemaError
    from auditor.patterns import DEFAULT_PATTERNS_DIR

    title = "Injection clinic visit for a follow-up of the painful left shoulder\nB12 given."
    assert BASE_RULES.decide(title)[0] == "outpatient"
    data = copy.deepcopy(BASE)
    data["reading"]["title"]["max_chars"] = 20
    data["reading"]["title"]["max_chars_with_dates"] = 20
    assert SettingRules.from_rules(data).decide(title) == (None, None)
    field = "Setting: ER\nB12 1000 mcg IM given."
    assert BASE_RULES.decide(field) == ("emergency", "column:text")
    data = copy.deepcopy(BASE)
    data["reading"]["written_column"]["field_name_min"] = 8
    assert SettingRules.from_rules(data).decide(field)[1] != "column:text"
    assert BASE_RULES.reading.statement_end.pattern == BASE["reading"]["statements"]["end"]
    assert BASE_RULES.reading.clause_end.pattern.endswith("|;")
    for section, key, value in (
        ("title", "label_colon", "(unclosed"),
        ("headings", "inline", None),
        ("written_column", "field", "no placeholder"),
        ("statements", "this_encounter_after", "16"),
        ("title", "max_chars", 0),
        ("title", "caps_ratio", -1),
    ):
        data = copy.deepcopy(BASE)
        data["reading"][section][key] = value
        with pytest.raises(PatternError) as err:
            _built(data)
        assert f"reading.{section}.{key}" in str(err.value)
    data = copy.deepcopy(BASE)
    del data["reading"]["statements"]
    with pytest.raises(PatternSchemaError, match="reading: 'statements' is a required property"):
        _built(data)
    del data["reading"]
    with pytest.raises(PatternSchemaError, match="'reading' is a required property"):
        _built(data)
    folder = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS_DIR, folder)
    path = folder / "setting" / "setting.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("    max_chars: 80\n", "    max_chars: 80\n    colour: red\n"))
    with pytest.raises(PatternSchemaError, match="reading.title"):
        load_patterns(str(folder))
    path.write_text(text.replace("label_colon: '", "label_colon: '(?:a+)+|"))
    with pytest.raises(PatternError, match="label_colon"):
        load_patterns(str(folder))
