"""Contract version 2: flags, setting, spec selection and spec-file validation.

Case tables: tests/cases/v2_flags.yaml (flags, with version-1 results where they differ)
and tests/cases/setting.yaml (setting sources). Contract: shared/spec/96372-audit-spec.md.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

from auditor import audit
from auditor.errors import ColumnError, PatternError
from auditor.patterns import DEFAULT_PATTERNS_DIR, load_patterns
from auditor.requirements import RequirementSpec

CASES = Path(__file__).parent / "cases"
FLAG_CASES = yaml.safe_load((CASES / "v2_flags.yaml").read_text(encoding="utf-8"))
SETTING_CASES = yaml.safe_load((CASES / "setting.yaml").read_text(encoding="utf-8"))


def _note(text: str, spec: str | None = None) -> dict:
    notes, _ = audit([text], spec=spec)
    return notes.iloc[0].to_dict()


@pytest.mark.parametrize("case", FLAG_CASES, ids=[c["name"] for c in FLAG_CASES])
def test_v2_flag_cases(case):
    note = _note(case["text"])
    assert (note["status"], list(note["flags"])) == (case["status"], case["flags"])


@pytest.mark.parametrize(
    "case", [c for c in FLAG_CASES if "v1" in c], ids=[c["name"] for c in FLAG_CASES if "v1" in c]
)
def test_v1_keeps_its_results(case):
    note = _note(case["text"], spec="cpt_96372.v1")
    expected = {"status": case["status"], "flags": case["flags"]} | case["v1"]
    assert (note["status"], list(note["flags"])) == (expected["status"], expected["flags"])
    assert not {"procedural", "inpatient", "no_im_sc_form"} & set(note["flags"])


@pytest.mark.parametrize("case", SETTING_CASES, ids=[c["name"] for c in SETTING_CASES])
def test_setting_cases(case):
    frame = pd.DataFrame({"text": [case["text"]]})
    if case["column"] is not None:
        frame["encounter_class"] = [case["column"]]  # a standard name: detected
    notes, _ = audit(frame)
    assert notes["setting"].iloc[0] == case["setting"]


def test_setting_column_named_by_the_user_and_unknown_values_logged(caplog):
    frame = pd.DataFrame({"text": ["Toradol 60 mg IM given."] * 3, "where": ["IP", "??", "??"]})
    notes, _ = audit(frame, setting_col="where")
    assert notes["setting"].tolist() == ["inpatient", None, None]
    assert (
        sum(
            "value '??'" in r.getMessage() and "2 record(s)" in r.getMessage()
            for r in caplog.records
        )
        == 1
    )
    with pytest.raises(ColumnError, match="setting column 'nope' not found"):
        audit(frame, setting_col="nope")


def test_unknown_spec_is_a_coded_error():
    with pytest.raises(PatternError, match=r"\[E100\] unknown requirement spec 'cpt_96372.v9'"):
        audit(["Toradol 60 mg IM given."], spec="cpt_96372.v9")


def test_every_drug_says_whether_it_has_an_im_or_sc_form():
    drugs = {d["generic"]: d for d in load_patterns().drugs["drugs"]}
    assert all(isinstance(d["im_sc_form"], bool) for d in drugs.values())
    assert [drugs[g]["im_sc_form"] for g in ("vancomycin", "propofol", "ketorolac", "heparin")] == [
        False,
        False,
        True,
        True,
    ]


def _patterns_copy(tmp_path: Path, edit) -> str:
    root = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS_DIR, root)
    path = root / "requirements" / "cpt_96372.v2.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    load_patterns.cache_clear()
    return str(root)


@pytest.mark.parametrize(
    "edit, key",
    [
        (lambda d: d.update(surprise=1), "spec.surprise"),
        (lambda d: d["exclusion_flags"][0].update(flag="made_up"), "exclusion_flags[0].flag"),
        (lambda d: d["required"][0].update(element="colour"), "required[0].element"),
        (
            lambda d: d["exclusion_flags"][0]["when"].update(moon="full"),
            "exclusion_flags[0].when.moon",
        ),
        (lambda d: d.update(status_precedence=["gaps", "error"]), "status_precedence"),
        (lambda d: d.update(required="medication"), "required"),
    ],
)
def test_spec_file_with_unknown_or_malformed_key_fails_naming_file_and_key(tmp_path, edit, key):
    root = _patterns_copy(tmp_path, edit)
    with pytest.raises(PatternError) as error:
        load_patterns(root)
    assert error.value.code in ("E100", "E101")  # E101: caught by the file's JSON schema
    assert f"requirements/cpt_96372.v2.yaml: {key}" in str(error.value)


def test_status_precedence_is_read_from_the_spec(tmp_path):
    # an auditor's variant that ranks excluded above gaps: the order is data
    order = ["error", "excluded", "gaps", "compliant", "no_injection"]
    root = _patterns_copy(tmp_path, lambda d: d.update(status_precedence=order))
    spec = RequirementSpec(load_patterns(root).requirements)
    events = [
        {
            "medication": "ketorolac",
            "eligible": True,
            "flags": [],
            "missing": ["site"],
            "advisories": [],
        },
        {
            "medication": "tdap vaccine",
            "eligible": False,
            "flags": ["vaccine_or_toxoid"],
            "missing": [],
            "advisories": [],
        },
    ]
    assert spec.judge_note(events, [])["status"] == "excluded"
    load_patterns.cache_clear()


def test_cli_records_the_spec_and_setting_column(tmp_path):
    from typer.testing import CliRunner

    from auditor.cli import app

    source = tmp_path / "notes.csv"
    pd.DataFrame(
        {"id": ["a", "b"], "text": ["Toradol 60 mg IM given."] * 2, "patient_class": ["I", "Z"]}
    ).to_csv(source, index=False)
    result = CliRunner().invoke(
        app, ["audit", str(source), "--out", str(tmp_path / "r"), "--spec", "cpt_96372.v1"]
    )
    assert result.exit_code == 0, result.output
    run = json.loads((tmp_path / "r" / "run.json").read_text(encoding="utf-8"))
    assert run["spec"] == {"id": "cpt_96372.v1", "version": "1.1.0"}
    assert run["setting_column"] == {"column": "patient_class", "unknown_values": {"Z": 1}}
    notes = [json.loads(x) for x in (tmp_path / "r" / "notes.jsonl").read_text().splitlines()]
    assert [n["setting"] for n in notes] == ["inpatient", None]
    assert "cpt_96372.v1 1.1.0" in (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    bad = CliRunner().invoke(
        app, ["audit", str(source), "--out", str(tmp_path / "s"), "--setting-col", "x"]
    )
    assert bad.exit_code == 2
    assert not (tmp_path / "s").exists()


def test_long_unmapped_setting_values_are_not_quoted(caplog):
    # a text column named as the setting column by mistake must not reach the log
    text = "Patient John Example seen for back pain, Toradol 60 mg IM given."
    notes, _ = audit(pd.DataFrame({"text": [text], "where": [text]}), setting_col="where")
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "John" not in logged
    assert f"<a value of {len(text)} characters>" in logged
