"""Pattern files: schemas per kind, coded errors naming the file and key, regexes refused
at load, the hash of the bytes parsed, and versions bumped with every change."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from auditor import patterns as pattern_module
from auditor.errors import PatternKindError, PatternRegexError, PatternSchemaError
from auditor.patterns import (
    AUDIT_FILES,
    CHECKOUT_PATTERNS_DIR,
    MANIFEST,
    Patterns,
    load_pattern_file,
    manifest_problems,
    regex_problem,
)


@pytest.fixture
def patterns(tmp_path: Path) -> Path:
    copy = tmp_path / "patterns"
    shutil.copytree(CHECKOUT_PATTERNS_DIR, copy)
    return copy


def _edit(root: Path, name: str, change) -> None:
    path = root / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    if path.suffix == ".json":
        path.write_text(json.dumps(data), encoding="utf-8")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")


def test_bundled_patterns_pass_their_schemas():
    loaded = Patterns.load(str(CHECKOUT_PATTERNS_DIR))
    assert sorted(loaded.files) == sorted(AUDIT_FILES)
    assert load_pattern_file("context/condition_rules.json")["context_rules"]


@pytest.mark.parametrize(
    "name,change,error,message",
    [
        (
            "lexicons/sites.yaml",
            lambda d: d["combined"].update(ruoq="gluteal"),
            PatternSchemaError,
            "[E101] lexicons/sites.yaml: combined.ruoq: 'gluteal' is not of type 'array'",
        ),
        (
            "cues/cues.yaml",
            lambda d: d["window"].update(followup_chars="600"),
            PatternSchemaError,
            "[E101] cues/cues.yaml: window.followup_chars: '600' is not of type 'integer'",
        ),
        (
            "lexicons/drugs.yaml",
            lambda d: d["drugs"][3].update(names="toradol"),
            PatternSchemaError,
            "[E101] lexicons/drugs.yaml: drugs[3].names: 'toradol' is not of type 'array'",
        ),
        (
            "requirements/cpt_96372.v1.yaml",
            lambda d: d.update(required="medication"),
            PatternSchemaError,
            "[E101] requirements/cpt_96372.v1.yaml: required: 'medication' is not of type "
            "'array'",
        ),
        (
            "cues/cues.yaml",
            lambda d: d["token_patterns"].insert(
                0, {"label": "IGNORE", "pattern": [{"TEXT": {"REGEX": "^(a+)+$"}}]}
            ),
            PatternRegexError,
            "[E102] cues/cues.yaml: token_patterns[0].pattern[0].TEXT.REGEX: regular "
            "expression '^(a+)+$' refused: nested repetition (catastrophic backtracking)",
        ),
        (
            "context/context_rules.json",
            lambda d: d["context_rules"][0].update(pattern=[{"LOWER": {"REGEX": "[unclosed"}}]),
            PatternRegexError,
            "[E102] context/context_rules.json: context_rules[0].pattern[0].LOWER.REGEX: "
            "regular expression '[unclosed' refused: does not compile (unterminated character "
            "set at position 0)",
        ),
        (
            "billing/claim_rules.yaml",
            lambda d: d.update(code_pattern="(x+x+)+y"),
            PatternRegexError,
            "[E102] billing/claim_rules.yaml: code_pattern: regular expression refused: "
            "nested repetition (catastrophic backtracking)",
        ),
        (  # the setting and procedural rules are checked as the other files' are (debt18)
            "setting/setting.yaml",
            lambda d: d["note_rules"][0].update(pattern=r"\b(?:\w+\s?)+ clinic"),
            PatternRegexError,
            "[E102] setting/setting.yaml: note_rules[0].pattern: regular expression refused: "
            "nested repetition (catastrophic backtracking)",
        ),
        (
            "setting/setting.yaml",
            lambda d: d["profiles"][0]["cues"].update(vitals={"pattern": "(a|ab)*c"}),
            PatternRegexError,
            "[E102] setting/setting.yaml: profiles[0].cues.vitals.pattern: regular expression "
            "refused: repeated alternation whose branches start alike (backtracking)",
        ),
        (
            "context/procedural.yaml",
            lambda d: d["event_cues"].insert(0, r"(?:[a-z]+-?)* sedation"),
            PatternRegexError,
            "[E102] context/procedural.yaml: event_cues[0]: regular expression refused: "
            "nested repetition (catastrophic backtracking)",
        ),
        (
            "context/procedural.yaml",
            lambda d: d["procedure_routes"].update(IM="(?:x+x+)+y"),
            PatternRegexError,
            "[E102] context/procedural.yaml: procedure_routes.IM: regular expression refused: "
            "nested repetition (catastrophic backtracking)",
        ),
        (  # the tokenizer's rules are a pattern file too (debt18)
            "tokenizer/tokenizer.yaml",
            lambda d: d["infixes"].append("(?<=[0-9])(?:[a-z]+)+"),
            PatternRegexError,
            "[E102] tokenizer/tokenizer.yaml: infixes[33]: regular expression refused: "
            "nested repetition (catastrophic backtracking)",
        ),
    ],
)
def test_a_bad_value_is_a_coded_error_naming_file_and_key(patterns, name, change, error, message):
    _edit(patterns, name, change)
    with pytest.raises(error) as caught:
        Patterns.load(str(patterns))
    assert str(caught.value) == message


def test_bad_rule_file_ends_the_cli_with_exit_2_and_writes_nothing(patterns, tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    _edit(patterns, "lexicons/sites.yaml", lambda d: d["combined"].update(ruoq="gluteal"))
    notes = tmp_path / "notes.csv"
    notes.write_text("note_id,text\n1,Toradol 60 mg IM given.\n", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["audit", str(notes), "--out", str(tmp_path / "out"), "--patterns", str(patterns)]
    )
    assert result.exit_code == 2
    assert "[E101] lexicons/sites.yaml: combined.ruoq:" in result.output
    assert not (tmp_path / "out").exists()


def test_a_catastrophic_token_regex_never_reaches_the_matcher(patterns):
    """``^(a+)+$`` on a 35-character token would take minutes in ``re``: refused at load."""
    assert regex_problem("^(a+)+$") == "nested repetition (catastrophic backtracking)"
    assert regex_problem("(a|aa)+$") is not None
    assert regex_problem("^[A-Za-z][A-Za-z/-]*$") is None
    assert regex_problem("(?:foo|bar)+") is None


@pytest.mark.parametrize(
    "pattern,refused",
    [
        # a run of one class ended (or started) by a required character of a disjoint class:
        # one way to split a match into iterations, linear backtracking (regex_problem)
        (r"\b(?:\w+ ){0,2}visit", False),
        (r"(?:[\w-]+, )*and", False),
        (r"(?:\s+\w+){0,2}", False),
        (r"(?: [A-Za-z-]+){0,2} sedation", False),
        (r"(?:(?!possible )[\w-]+ ){0,3}procedure", False),
        (r"(?:\w+/)*x", False),
        # an optional fixed string in a repetition of at most OPTIONAL_IN_REPEAT_MAX
        (r"(?:\w+ (?:and )?){0,2}intubated", False),
        (r"(?:\w+ (?:and )?)*intubated", True),  # unbounded: "and and and ..." is exponential
        # the delimiter optional, or of a class the run shares, or no delimiter at all
        (r"(?: ?\w+)*", True),
        (r"(?:\w+\s?\w+ ){0,2}", True),
        (r"(?:[a-z]+[A-Z])*", True),  # read case-insensitively, the classes meet
        (r"(?:[^,]+;)*", True),
        (r"(?:\w+[\u00b5])*", True),  # the micro sign is a word character
        (r"(?:.+ )*", True),
    ],
)
def test_a_delimited_run_may_repeat(pattern, refused):
    assert (regex_problem(pattern) is not None) == refused


def test_a_file_without_a_schema_is_refused_only_when_loaded(patterns, monkeypatch):
    (patterns / "newkind").mkdir()
    (patterns / "newkind" / "rules.yaml").write_text('version: "1.0.0"\n', encoding="utf-8")
    Patterns.load(str(patterns))  # not loaded: no error
    monkeypatch.setattr(pattern_module, "AUDIT_FILES", (*AUDIT_FILES, "newkind/rules.yaml"))
    with pytest.raises(PatternKindError, match=r"^\[E103\] newkind/rules.yaml: no schema"):
        Patterns.load(str(patterns))
    (patterns / "schemas" / "newkind.schema.yaml").write_text(
        'version: "1.0.0"\ntype: object\nrequired: [version]\n', encoding="utf-8"
    )
    assert Patterns.load(str(patterns)).files["newkind/rules.yaml"] == {"version": "1.0.0"}


def test_a_versioned_file_finds_its_unversioned_schema(patterns, monkeypatch):
    shutil.copy(
        patterns / "requirements" / "cpt_96372.v1.yaml",
        patterns / "requirements" / "cpt_96372.v9.yaml",
    )
    monkeypatch.setattr(
        pattern_module, "AUDIT_FILES", (*AUDIT_FILES, "requirements/cpt_96372.v9.yaml")
    )
    assert "requirements/cpt_96372.v9.yaml" in Patterns.load(str(patterns)).files


def test_hash_covers_the_bytes_parsed_and_only_those(patterns):
    before = Patterns.load(str(patterns)).sha256
    with open(patterns / "context" / "condition_rules.json", "a", encoding="utf-8") as handle:
        handle.write("\n")  # a benchmark-only file: not part of the audit
    assert Patterns.load(str(patterns)).sha256 == before
    loaded = Patterns.load(str(patterns))
    with open(patterns / "lexicons" / "units.yaml", "a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    assert loaded.sha256 == before  # computed from the bytes read at load, not re-read
    assert Patterns.load(str(patterns)).sha256 != before


def test_every_changed_pattern_file_has_a_new_version():
    """Fails when a pattern file's bytes differ from ``patterns/manifest.json`` while its
    ``version`` does not. After changing a rule file: bump its version, then run
    ``.venv/bin/python tools/pattern_manifest.py`` and commit the manifest."""
    recorded = json.loads((CHECKOUT_PATTERNS_DIR / MANIFEST).read_text(encoding="utf-8"))
    assert manifest_problems(CHECKOUT_PATTERNS_DIR, recorded["files"]) == []


def test_manifest_check_catches_an_unbumped_change(patterns):
    recorded = json.loads((patterns / MANIFEST).read_text(encoding="utf-8"))["files"]
    with open(patterns / "lexicons" / "routes.yaml", "a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    version = recorded["lexicons/routes.yaml"]["version"]
    assert manifest_problems(patterns, recorded) == [
        f"lexicons/routes.yaml: changed but its version is still {version}: bump it"
    ]


def test_a_drug_entrys_label_routes_are_checked_by_the_schema_only():
    """drugs.schema.yaml 1.2.0 (helper debt17): the schema is the one place an entry's shape is
    checked: ``label_routes`` is required, a non-empty list of routes, PO only for an oral-only
    product (``role: oral``); a missing ``generic`` or an unknown role is refused there too."""
    from auditor.patterns import PatternError, check_file, load_patterns

    base = load_patterns().drugs
    entry = next(e for e in base["drugs"] if e.get("role", "drug") == "drug")
    oral = {**entry, "role": "oral", "label_routes": ["PO"]}
    check_file("lexicons/drugs.yaml", {**base, "drugs": [oral]})
    for change, message in (
        ({"label_routes": ["PO"]}, r"drugs\[0\].label_routes\[0\]: 'PO' is not one of"),
        ({"label_routes": []}, r"drugs\[0\].label_routes: \[\] should be non-empty"),
        ({"role": "pill"}, r"drugs\[0\].role: 'pill' is not one of"),
        ({"generic": ""}, r"drugs\[0\].generic: '' should be non-empty"),
    ):
        with pytest.raises(PatternError, match=message):
            check_file("lexicons/drugs.yaml", {**base, "drugs": [{**entry, **change}]})
    with pytest.raises(PatternError, match=r"drugs\[0\]: 'label_routes' is a required"):
        bare = {k: v for k, v in entry.items() if k != "label_routes"}
        check_file("lexicons/drugs.yaml", {**base, "drugs": [bare]})


def test_the_tokenizer_rules_are_read_from_the_patterns_folder(patterns):
    """``tokenizer/tokenizer.yaml`` is the tokenizer's rules: a folder whose file lacks the
    repeat-count infix keeps "IVx2" one token; the bundled one splits it."""
    from auditor.pipeline.build import build_pipeline

    def drop_repeat_infix(data):
        data["infixes"] = [r for r in data["infixes"] if "(?=[xX][1-9]" not in r]

    bundled = build_pipeline()
    assert [t.text for t in bundled.make_doc("Toradol IVx2 Im")] == ["Toradol", "IV", "x2", "Im"]
    _edit(patterns, "tokenizer/tokenizer.yaml", drop_repeat_infix)
    custom = build_pipeline(str(patterns))
    assert [t.text for t in custom.make_doc("Toradol IVx2 Im")] == ["Toradol", "IVx2", "Im"]
    assert [t.text for t in custom.make_doc("Kenalog-40")] == ["Kenalog", "-", "40"]
