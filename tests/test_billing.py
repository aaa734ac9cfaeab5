"""The drug-to-HCPCS table (schema, required rows) and the unit arithmetic of billing.py.

Pure tests: no spaCy. Case table: tests/cases/hcpcs_units.yaml.
"""

from __future__ import annotations

import copy
import shutil
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml

from auditor.billing import HcpcsTable
from auditor.claims import ClaimRules, reconcile_rows
from auditor.errors import PatternError
from auditor.patterns import (
    AUDIT_FILES,
    DEFAULT_PATTERNS_DIR,
    Patterns,
    _check_hcpcs,
    _check_payers,
    check_file,
    load_patterns,
)

CASES = Path(__file__).parent / "cases"
UNIT_CASES = yaml.safe_load((CASES / "hcpcs_units.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def table() -> HcpcsTable:
    return HcpcsTable(load_patterns().hcpcs_drugs)


@pytest.fixture(scope="module")
def rules() -> ClaimRules:
    return ClaimRules.load("default")


# --- schema --------------------------------------------------------------------------------
def _schema(name: str) -> dict:
    folder = DEFAULT_PATTERNS_DIR / "schemas" / "billing"
    return yaml.safe_load((folder / f"{Path(name).stem}.schema.yaml").read_text(encoding="utf-8"))


# the keys each row of billing/hcpcs_drugs.yaml must have (values may be null where documented)
HCPCS_ROW_KEYS = (
    "code",
    "drug",
    "descriptor",
    "amount",
    "unit",
    "basis",
    "routes",
    "effective_date",
    "end_date",
    "replaced_by",
    "source",
)


def test_billing_files_are_registered_with_required_keys():
    """The billing files are audit files whose schemas require their top-level keys (the one
    place a pattern file's shape is checked: helper debt17)."""
    assert _schema("billing/hcpcs_drugs.yaml")["required"] == [
        "version",
        "description",
        "sources",
        "units",
        "codes",
    ]
    assert "findings" in _schema("billing/claim_rules.yaml")["required"]
    assert _schema("billing/payers.yaml")["required"] == ["version", "description", "profiles"]
    required = _schema("billing/hcpcs_drugs.yaml")["properties"]["codes"]["items"]["required"]
    assert required == list(HCPCS_ROW_KEYS)
    patterns = load_patterns()
    for name in ("billing/hcpcs_drugs.yaml", "billing/claim_rules.yaml", "billing/payers.yaml"):
        assert name in AUDIT_FILES
        assert set(_schema(name)["required"]) <= set(patterns.files[name]), name


def test_every_row_has_the_row_keys_and_a_drug_of_the_lexicon():
    patterns = load_patterns()
    generics = {d["generic"] for d in patterns.drugs["drugs"]}
    for row in patterns.hcpcs_drugs["codes"]:
        assert set(HCPCS_ROW_KEYS) <= set(row), row["code"]
        assert row["source"], row["code"]
        if row["basis"] != "unclassified":
            assert row["drug"] in generics, row["code"]


# the rows the issue asks for: code -> (drug, amount, unit, basis, replaced codes)
REQUIRED = {
    "J0696": ("ceftriaxone", 250, "mg", "per"),
    "J1885": ("ketorolac", 15, "mg", "per"),
    "J3420": ("cyanocobalamin", 1000, "mcg", "up_to"),
    "J1100": ("dexamethasone", 1, "mg", "per"),
    "J2550": ("promethazine", 50, "mg", "up_to"),
    "J1650": ("enoxaparin", 10, "mg", "per"),
    "J1644": ("heparin", 1000, "units", "per"),
    "J0561": ("penicillin g benzathine", 100000, "units", "per"),
    "J3301": ("triamcinolone", 10, "mg", "per"),
    "J1815": ("insulin", 5, "units", "per"),
    "J2405": ("ondansetron", 1, "mg", "per"),
    "J1200": ("diphenhydramine", 50, "mg", "up_to"),
    "J0690": ("cefazolin", 500, "mg", "per"),
    "J1050": ("medroxyprogesterone", 1, "mg", "per"),
    "J1071": ("testosterone cypionate", 1, "mg", "per"),
    "J1010": ("methylprednisolone", 1, "mg", "per"),
    "J2919": ("methylprednisolone", 5, "mg", "per"),
    "J2270": ("morphine", 10, "mg", "up_to"),
    "J0780": ("prochlorperazine", 10, "mg", "up_to"),
    "J2175": ("meperidine", 100, "mg", "per"),
    "J0290": ("ampicillin", 500, "mg", "per"),
    "J1580": ("gentamicin", 80, "mg", "up_to"),
    "J2250": ("midazolam", 1, "mg", "per"),
    "J2060": ("lorazepam", 2, "mg", "per"),
    "J1630": ("haloperidol", 5, "mg", "up_to"),
    "J0171": ("epinephrine", 0.1, "mg", "per"),
    "J2310": ("naloxone", 1, "mg", "per"),
    "J1610": ("glucagon", 1, "mg", "per"),
    "J2790": ("rho(d) immune globulin", 300, "mcg", "per"),
    "J1940": ("furosemide", 20, "mg", "up_to"),
    "J3250": ("trimethobenzamide", 200, "mg", "up_to"),
}
DELETED = {
    "J1055": "J1050",
    "J1070": "J1071",
    "J1020": "J1010",
    "J1030": "J1010",
    "J1040": "J1010",
    "J2920": "J2919",
    "J2930": "J2919",
}


@pytest.mark.parametrize("code", sorted(REQUIRED))
def test_required_rows(table, code):
    row = table.row(code)
    drug, amount, unit, basis = REQUIRED[code]
    assert (row["drug"], row["amount"], row["unit"], row["basis"]) == (drug, amount, unit, basis)
    assert row["end_date"] is None


@pytest.mark.parametrize("code", sorted(DELETED))
def test_deleted_codes_name_their_replacement(table, code):
    row = table.row(code)
    assert row["end_date"] is not None
    assert row["replaced_by"] == DELETED[code]
    assert table.current(code)["code"] == DELETED[code]


def test_unclassified_code_is_listed(table):
    row = table.row("J3490")
    assert (row["basis"], row["drug"], row["amount"]) == ("unclassified", None, None)


def _generics() -> set[str]:
    return {d["generic"] for d in load_patterns().drugs["drugs"]}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["codes"][0].pop("source"), r"codes\[0\]: 'source' is a required"),
        (lambda d: d["codes"][0].update(drug="rocephinum"), "not a generic"),
        (lambda d: d["codes"][0].update(basis="each"), "basis"),
        (lambda d: d["codes"][0].update(unit="drops"), "amount and a unit"),
        (lambda d: d["codes"][0].update(end_date="31/12/2024"), "ISO date"),
        (lambda d: d["codes"][0].update(routes=["PO"]), "routes"),
        (lambda d: d["codes"].append(dict(d["codes"][0])), "twice"),
        (lambda d: d["codes"][0].update(end_date="2020-01-01", replaced_by="J9998"), "replaced_by"),
        (lambda d: d["codes"][0].update(replaced_by="J0690"), "without end_date"),
        (
            lambda d: d["codes"][0].update(concentrations=[{"hint": None, "unit": "mg"}]),
            "concentration",
        ),
    ],
)
def test_invalid_hcpcs_rows_are_rejected(change, message):
    """A row's shape (keys, basis, routes) is refused by the schema, the one place it is
    checked; a row against other rows, drugs.yaml or the unit table by ``_check_hcpcs``."""
    table = copy.deepcopy(load_patterns().hcpcs_drugs)
    change(table)
    with pytest.raises(PatternError, match=message):
        check_file("billing/hcpcs_drugs.yaml", table)
        _check_hcpcs(table, _generics(), "billing/hcpcs_drugs.yaml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["profiles"].pop("default"), "default"),
        (
            lambda d: d["profiles"]["default"].update(split_dose_admin_units="per_site"),
            "split_dose_admin_units",
        ),
        (lambda d: d["profiles"]["default"].pop("repeat_admin_billing"), "missing setting"),
        (lambda d: d["profiles"]["per_drug"].update(extends="per_drug"), "loops"),
        (lambda d: d["profiles"]["per_drug"].update(extends="nobody"), "not found"),
    ],
)
def test_invalid_payer_profiles_are_rejected(change, message):
    """A profile's values are refused by the schema, its ``extends`` chain by
    ``_check_payers``."""
    payers = copy.deepcopy(load_patterns().payers)
    change(payers)
    with pytest.raises(PatternError, match=message):
        check_file("billing/payers.yaml", payers)
        _check_payers(payers)


@pytest.mark.parametrize("name", ["billing/hcpcs_drugs.yaml", "billing/claim_rules.yaml"])
def test_billing_file_without_a_required_key_fails_to_load(tmp_path, name):
    root = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS_DIR, root)
    data = yaml.safe_load((root / name).read_text(encoding="utf-8"))
    key = _schema(name)["required"][-1]
    data.pop(key)
    (root / name).write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(PatternError) as caught:
        Patterns.load(root)
    assert str(caught.value) == f"[E101] {name}: (top level): '{key}' is a required property"


def test_unknown_payer_profile_is_an_error():
    with pytest.raises(PatternError, match="payer profile 'acme' not found"):
        ClaimRules.load("acme")


def test_payer_profiles_resolve_extends(rules):
    assert rules.payer["split_dose_admin_units"] == "per_injection"
    per_drug = ClaimRules.load("per_drug").payer
    assert (per_drug["split_dose_admin_units"], per_drug["repeat_admin_modifiers"]) == (
        "per_drug",
        ["59", "XS"],
    )
    assert ClaimRules.load("repeat_76").payer["repeat_admin_modifiers"] == ["76"]


# --- unit arithmetic -----------------------------------------------------------------------
def _case_id(case: dict) -> str:
    return f"{case['code']}-{case.get('text', '')}-{case['dose']}{case['unit']}"


def test_every_code_has_a_unit_case(table):
    covered = {c["code"] for c in UNIT_CASES}
    coded = {code for code, row in table.rows.items() if row["basis"] != "unclassified"}
    assert coded - covered == set()


@pytest.mark.parametrize("case", UNIT_CASES, ids=_case_id)
def test_units(table, case):
    row = table.row(case["code"])
    assert table.units(row, case["dose"], case["unit"], case.get("text")) == case["units"]


@pytest.mark.parametrize("case", UNIT_CASES, ids=_case_id)
def test_units_end_to_end_as_a_claim_line(table, rules, case):
    """The code billed at the expected units is clean; one unit more is a mismatch."""
    row = table.row(case["code"])
    event = {
        "note_id": "n1",
        "medication": row["drug"],
        "medication_text": case.get("text"),
        "route": None,
        "dose_value": case["dose"],
        "dose_unit": case["unit"],
        "eligible": True,
        "flags": [],
    }
    event |= table.code_event(event)
    dos = ""
    if row["end_date"]:  # bill a deleted code on its last day, when it was still valid
        dos = row["end_date"]
    elif row["effective_date"]:
        dos = (date.fromisoformat(row["effective_date"]) + timedelta(days=1)).isoformat()
    claims = [
        {"note_id": "n1", "code": case["code"], "units": str(case["units"]), "dos": dos},
        {"note_id": "n1", "code": case["code"], "units": str(case["units"] + 1), "dos": dos},
    ]
    notes = [{"note_id": "n1", "status": "compliant", "n_injections": 1}]
    exact, extra = reconcile_rows(notes, [event], claims[:1], rules) + reconcile_rows(
        notes, [event], claims[1:], rules
    )
    assert (exact["supported_units"], exact["findings"]) == (case["units"], [])
    assert (extra["supported_units"], extra["findings"]) == (case["units"], ["drug_units_mismatch"])


@pytest.mark.parametrize(
    ("medication", "text", "route", "dose", "unit", "expected"),
    [
        ("methylprednisolone", "Depo-Medrol", "IM", 80, "mg", ("J1010", 80)),
        ("methylprednisolone", "methylprednisolone acetate", "IM", 40, "mg", ("J1010", 40)),
        ("methylprednisolone", "Solu-Medrol", "IM", 125, "mg", ("J2919", 25)),
        ("methylprednisolone", "methylprednisolone sodium succinate", "IM", 40, "mg", ("J2919", 8)),
        ("methylprednisolone", "Methylprednisolone", "IM", 80, "mg", ("J1010", 80)),
        ("methylprednisolone", "Medrol", None, 40, "mg", ("J1010", 40)),
        ("methylprednisolone", "Methylprednisolone", "IV", 125, "mg", ("J2919", 25)),
        ("haloperidol", "Haldol", "IM", 5, "mg", ("J1630", 1)),
        ("haloperidol", "Haldol decanoate", "IM", 100, "mg", ("J1631", 2)),
        ("triamcinolone", "Kenalog-40", "IM", 1, "mL", ("J3301", 4)),
        ("triamcinolone", "Triamcinolone", "other", 80, "mg", ("J3301", 8)),
        ("triamcinolone", "Zilretta", "other", 32, "mg", ("J3304", 32)),
        ("rho(d) immune globulin", "RhoGAM", "IM", 300, "mcg", ("J2790", 1)),
        ("rho(d) immune globulin", "WinRho", "IM", 300, "mcg", ("J2790", 1)),
        ("rho(d) immune globulin", "Rhophylac", "IM", 300, "mcg", ("J2791", 15)),
        ("rho(d) immune globulin", "MICRhoGAM", "IM", 50, "mcg", ("J2788", 1)),
        ("insulin glargine", "Lantus", "SC", 10, "units", ("J1815", 2)),
        ("insulin regular", "Humulin R", "SC", 12, "units", ("J1815", 3)),
        ("medroxyprogesterone", "Depo-Provera", "IM", 150, "mg", ("J1050", 150)),
        ("penicillin g benzathine", "Bicillin L-A", "IM", 2400000, "units", ("J0561", 24)),
        ("ketorolac", "Toradol", "IM", 60, "mg", ("J1885", 4)),
        ("ketorolac", "Toradol", "IM", None, None, ("J1885", None)),
        ("ceftriaxone", "Rocephin", "IM", 2, "mL", ("J0696", None)),
        ("ceftriaxone", "Rocephin", "IM", 0, "mg", ("J0696", None)),
        ("heparin", "Heparin", "SC", 5000, "mg", ("J1644", None)),
        ("famotidine", "Pepcid", "IM", 20, "mg", (None, None)),
        ("influenza vaccine", "Flu vaccine", "IM", 0.5, "mL", (None, None)),
        (None, None, "IM", 1, "g", (None, None)),
    ],
)
def test_code_event(table, medication, text, route, dose, unit, expected):
    event = {
        "medication": medication,
        "medication_text": text,
        "route": route,
        "dose_value": dose,
        "dose_unit": unit,
    }
    got = table.code_event(event)
    assert (got["hcpcs"], got["hcpcs_units"]) == expected


def test_conversion_explains_the_arithmetic(table):
    ceftriaxone = table.convert(table.row("J0696"), 800, "mg")
    assert ceftriaxone.explain() == "800 mg / 250 mg per unit = 4, rounded up"
    kenalog = table.convert(table.row("J3301"), 1, "mL", "Kenalog-40")
    assert kenalog.explain() == "40 mg (volume at 40 mg/mL) / 10 mg per unit = 4"


def test_exact_decimal_arithmetic(table):
    # 1.1 mg / 0.1 mg is 11 exactly (binary floats would give 11.000000000000002 -> 12)
    assert table.units(table.row("J0171"), 1.1, "mg") == 11
    assert table.units(table.row("J0171"), 0.7, "mg") == 7
