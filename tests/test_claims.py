"""Claim reconciliation (auditor.claims): scenario table, output contract, Python API.

Pure tests: no spaCy. Scenario table: tests/cases/claims.yaml.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
import yaml

from auditor.claims import (
    OUTPUT_FIELDS,
    ClaimRules,
    detect_claim_columns,
    reconcile,
    reconcile_rows,
)
from auditor.errors import ColumnError
from auditor.io.claims_io import read_claims
from auditor.patterns import load_patterns

CASES = Path(__file__).parent / "cases"
SCENARIOS = yaml.safe_load((CASES / "claims.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rules_for():
    cache: dict[str, ClaimRules] = {}

    def get(payer: str) -> ClaimRules:
        if payer not in cache:
            cache[payer] = ClaimRules.load(payer)
        return cache[payer]

    return get


def _inputs(scenario: dict, rules: ClaimRules) -> tuple[list[dict], list[dict]]:
    """Note and event rows as the audit writes them (hcpcs filled like audit_one)."""
    events = []
    for raw in scenario["events"]:
        event = {"eligible": True, "flags": [], "medication_text": None, "route": None} | raw
        if "hcpcs" not in raw:  # given explicitly for a redacted event (coded before redaction)
            event |= rules.hcpcs.code_event(event)
        events.append(event)
    notes = []
    for raw in scenario["notes"]:
        eligible = sum(1 for e in events if e["note_id"] == raw["note_id"] and e["eligible"])
        notes.append({"status": "compliant", "n_injections": eligible} | raw)
    return notes, events


def test_there_are_at_least_25_scenarios():
    assert len(SCENARIOS) >= 25


def test_every_finding_kind_has_a_scenario():
    kinds = set(load_patterns().claim_rules["findings"])
    seen = {f for s in SCENARIOS for line in s["expect"] for f in line["findings"]}
    assert kinds - seen == set()
    assert seen - kinds == set()  # no finding outside the documented catalogue


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s["name"] for s in SCENARIOS])
def test_scenario(rules_for, scenario, tmp_path):
    rules = rules_for(scenario.get("payer", "default"))
    notes, events = _inputs(scenario, rules)
    if "claims_csv" in scenario:  # a claims file as written, read by the CLI's reader
        path = tmp_path / "claims.csv"
        path.write_text(scenario["claims_csv"], encoding="utf-8")
        scenario = {**scenario, "claims": read_claims(path)}
    rows = reconcile_rows(notes, events, scenario["claims"], rules)
    if isinstance(scenario["claims"], pd.DataFrame):
        scenario["claims"] = scenario["claims"].to_dict("records")
    assert len(rows) == len(scenario["expect"])
    for row, claim, expected in zip(rows, scenario["claims"], scenario["expect"], strict=True):
        for key, value in claim.items():  # the claim's own fields come back unchanged
            assert row[key] == value
        assert (row["supported_units"], row["findings"]) == (
            expected["supported"],
            expected["findings"],
        ), row["details"]
        text = " | ".join(row["details"])
        for part in expected.get("details", []):
            assert part in text
        assert len(row["details"]) >= len(row["findings"])


def test_output_contract_order_and_fields(rules_for):
    rules = rules_for("default")
    claims = [
        {"encounter_id": "b", "cpt_hcpcs": "J1885", "qty": "4", "extra": "x"},
        {"encounter_id": "a", "cpt_hcpcs": "96372", "qty": "1", "extra": None},
        {"encounter_id": "zz", "cpt_hcpcs": "96372", "qty": "1", "extra": "y"},
    ]
    notes = [
        {"note_id": "a", "status": "compliant", "n_injections": 1},
        {"note_id": "b", "status": "compliant", "n_injections": 1},
    ]
    events = [
        {
            "note_id": n,
            "medication": "ketorolac",
            "medication_text": "Toradol",
            "route": "IM",
            "dose_value": 60,
            "dose_unit": "mg",
            "eligible": True,
            "flags": [],
            "hcpcs": "J1885",
            "hcpcs_units": 4,
        }
        for n in ("a", "b")
    ]
    rows = reconcile_rows(notes, events, claims, rules)
    assert [list(r) for r in rows] == [
        ["encounter_id", "cpt_hcpcs", "qty", "extra", *OUTPUT_FIELDS]
    ] * 3
    assert [r["encounter_id"] for r in rows] == ["b", "a", "zz"]
    assert [(r["supported_units"], r["findings"]) for r in rows] == [
        (4, []),
        (1, []),
        (None, ["unmatched_claim"]),
    ]
    assert all(isinstance(r["details"], list) for r in rows)


def test_claim_columns_are_detected_and_missing_ones_named():
    cols = detect_claim_columns(["Encounter ID", "CPT/HCPCS", "Units", "Mod 1", "POS", "DOS"])
    assert (cols["note_id"], cols["code"], cols["units"], cols["pos"], cols["date_of_service"]) == (
        "Encounter ID",
        "CPT/HCPCS",
        "Units",
        "POS",
        "DOS",
    )
    assert cols["modifier_columns"] == ["Mod 1"]
    with pytest.raises(ColumnError, match="no units column"):
        detect_claim_columns(["note_id", "code"])
    with pytest.raises(ColumnError, match="claims id column 'visit' not found"):
        detect_claim_columns(["note_id", "code", "units"], id_col="visit")


def test_python_api_reconcile():
    blank = {"missing": [], "flags": [], "advisories": [], "error": None}
    notes_df = pd.DataFrame(
        [
            {"note_id": "1", "status": "compliant", "n_injections": 1, **blank},
            {"note_id": "2", "status": "compliant", "n_injections": 1, **blank},
            {"note_id": "3", "status": "no_injection", "n_injections": 0, **blank},
        ]
    )
    events_df = pd.DataFrame(
        [
            {
                "note_id": "1",
                "event_id": 1,
                "medication": "ceftriaxone",
                "medication_text": "Rocephin",
                "route": "IM",
                "dose_value": 1.0,
                "dose_unit": "g",
                "eligible": True,
                "flags": [],
                "hcpcs": "J0696",
                "hcpcs_units": 4,
            },
            {
                "note_id": "2",
                "event_id": 1,
                "medication": "ketorolac",
                "medication_text": "Toradol",
                "route": "IM",
                "dose_value": 60.0,
                "dose_unit": "mg",
                "eligible": True,
                "flags": [],
                "hcpcs": "J1885",
                "hcpcs_units": 4,
            },
        ]
    )
    claims_df = pd.DataFrame(
        {
            "note_id": [1, 1, 9],  # integer ids match the text ids "1" and "9"
            "code": ["96372", "J0696", "J0696"],
            "units": [1, 3, 4],
            "modifiers": [None, None, None],
            "pos": [11, 11, 11],
        }
    )
    out = reconcile(notes_df, events_df, claims_df)
    assert list(out.columns) == ["note_id", "code", "units", "modifiers", "pos", *OUTPUT_FIELDS]
    assert out["findings"].tolist() == [[], ["drug_units_mismatch"], ["unmatched_claim"]]
    assert out["supported_units"].tolist() == [1, 4, None]
    assert out.attrs["notes_without_claims"] == ["2", "3"]
    summary = out.attrs["summary"]
    assert (
        summary["claim_lines"],
        summary["lines_with_findings"],
        summary["unmatched_claims"],
    ) == (3, 2, 1)
    assert (
        summary["n_notes_without_claims"],
        summary["n_notes_with_injections_without_claims"],
    ) == (2, 1)
    assert summary["findings"] == {"drug_units_mismatch": 1, "unmatched_claim": 1}


def test_every_finding_has_one_check_and_every_check_a_finding():
    from auditor.claims import CHECKS, bound_checks

    rules = ClaimRules.load()
    assert set(CHECKS) == set(rules.findings)
    assert [c.code for c in bound_checks(rules)] == list(rules.findings)
    for code, chk in CHECKS.items():
        finding = chk.finding(rules)
        assert finding.meaning and finding.source, code
        assert chk.fn.__doc__, code  # each check says what it checks


def test_catalogue_finding_without_a_check_is_a_pattern_error():
    from dataclasses import replace

    from auditor.claims import bound_checks
    from auditor.errors import PatternError

    rules = ClaimRules.load()
    findings = {**rules.rules["findings"], "new_finding": {"meaning": "m", "source": "s"}}
    with pytest.raises(PatternError, match=r"\['new_finding'\] have no check"):
        bound_checks(replace(rules, rules={**rules.rules, "findings": findings}))


def test_subsumed_finding_is_named_in_the_catalogue():
    assert ClaimRules.load().findings["wrong_admin_code"].subsumes == ("admin_units_mismatch",)


def test_datetime_date_of_service(rules_for):
    import datetime as dt

    rules = rules_for("default")
    notes = [{"note_id": n, "status": "compliant", "n_injections": 1} for n in ("n1", "n2")]
    events = [
        {
            "note_id": n,
            "medication": "methylprednisolone",
            "medication_text": "Depo-Medrol",
            "route": "IM",
            "dose_value": 80,
            "dose_unit": "mg",
            "eligible": True,
            "flags": [],
        }
        for n in ("n1", "n2")
    ]
    events = [e | rules.hcpcs.code_event(e) for e in events]
    claims = [
        {"note_id": "n1", "code": "J1030", "units": 2, "dos": dt.datetime(2025, 1, 15, 9, 30)},
        {"note_id": "n2", "code": "J1030", "units": 2, "dos": pd.Timestamp("2024-03-01 08:00")},
    ]
    rows = reconcile_rows(notes, events, claims, rules)
    assert [r["findings"] for r in rows] == [["deleted_code"], []]
    assert rows[0]["dos"] == "2025-01-15T09:30:00"


def test_ragged_csv_rows_are_findings_not_shifted(tmp_path, rules_for):
    path = tmp_path / "claims.csv"
    path.write_text(
        "note_id,code,units,pos\nn1,96372,x2,1,11\nn1,J1885,4,11\n\nn1,96372\nn1,96372,1,11\n",
        encoding="utf-8",
    )
    frame = read_claims(path)
    assert frame.to_dict("records") == [
        {"note_id": "n1", "code": "96372", "units": "x2", "pos": "1"},
        {"note_id": "n1", "code": "J1885", "units": "4", "pos": "11"},
        {"note_id": "n1", "code": "96372", "units": "", "pos": ""},
        {"note_id": "n1", "code": "96372", "units": "1", "pos": "11"},
    ]
    notes = [{"note_id": "n1", "status": "compliant", "n_injections": 1}]
    rows = reconcile_rows(notes, [], frame, rules_for("default"))
    assert [(r["findings"], r["supported_units"]) for r in rows] == [
        (["malformed_line"], None),
        (["drug_not_documented"], None),
        (["malformed_line"], None),
        ([], 1),
    ]
    assert rows[0]["details"] == [
        "row 1 (file line 2) has 5 cells, the header 4: its fields cannot be matched to the "
        "columns; not checked"
    ]
    assert rows[2]["details"][0].startswith("row 3 (file line 5) has 2 cells")
