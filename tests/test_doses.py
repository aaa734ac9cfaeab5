"""Dose parsing and unit normalisation (contract section 5)."""

from __future__ import annotations

import pytest
import yaml

from auditor.doses import DoseParser
from auditor.patterns import DEFAULT_PATTERNS_DIR

PARSER = DoseParser(yaml.safe_load((DEFAULT_PATTERNS_DIR / "lexicons/units.yaml").read_text()))

CASES = [
    ("Toradol 60 mg IM", (60, "mg")),
    ("Depo-Medrol 80mg IM", (80, "mg")),
    ("B12 1,000 mcg IM", (1000, "mcg")),
    ("Rocephin 1 g IM", (1, "g")),
    ("Rocephin 1 gm IM", (1, "g")),
    ("ceftriaxone 500 MG", (500, "mg")),
    ("heparin 5,000 units SC", (5000, "units")),
    ("heparin 5000u sq", (5000, "units")),
    ("insulin 10 IU", (10, "units")),
    ("Bicillin L-A 2.4 million units IM", (2400000, "units")),
    ("Bicillin 1.2 MU", (1200000, "units")),
    ("Kenalog 40mg/mL x 1 mL", (40, "mg")),
    ("Kenalog 40 mg/mL, 2 mL", (80, "mg")),
    ("flu vaccine 0.5 mL IM", (0.5, "mL")),
    ("PPD 0.1 cc ID", (0.1, "mL")),
    ("B12 1000 µg", (1000, "mcg")),
    ("B12 1000 ug", (1000, "mcg")),
    ("KCl 20 mEq", (20, "mEq")),
    ("lidocaine 1% 2 mL", (20, "mg")),
    ("Kenalog 40 mg (1 mL)", (40, "mg")),
    ("ketorolac 60\u00a0mg", (60, "mg")),
    ("ceftriaxone 50 mg/kg = 750 mg", (750, "mg")),
    # number words joined into one number (units.yaml number_words)
    ("promethazine twenty-five milligrams IM", (25, "mg")),
    ("ceftriaxone five hundred milligrams", (500, "mg")),
    ("B12 one thousand micrograms", (1000, "mcg")),
    # a part of a vial or syringe: the concentration times the volume given (volume_lead_words)
    ("Ketorolac 30 mg/mL vial: 0.5 mL", (15, "mg")),
    ("dexamethasone 10 mg/mL inj | 0.4 mL | IM", (4, "mg")),
    ("haloperidol 5 mg/mL ampule, 0.5 mL", (2.5, "mg")),
    ("Lasix 40 mg/4 mL syringe - 2 mL", (20, "mg")),
    ("enoxaparin 40 mg/0.4 mL | 0.4 mL | SubQ", (40, "mg")),
]


@pytest.mark.parametrize(("text", "expected"), CASES)
def test_choose_dose(text, expected):
    dose = PARSER.choose(text)
    assert (dose.value, dose.unit) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("insulin 100 units/mL | 10 mL vial", (10, "mL")),  # the vial's size, not a part given
        ("heparin 25,000 units/250 mL | 18 mL per hour", (25000, "units")),  # a rate
    ],
)
def test_a_volume_that_is_no_part_given_is_not_multiplied(text, expected):
    dose = PARSER.choose(text)
    assert (dose.value, dose.unit) == expected


@pytest.mark.parametrize(
    "text",
    [
        "B12 168 pg/mL (low)",
        "glucose 412 mg/dL",
        "testosterone 190 ng/dL",
        "given x1 at 10:40",
        "Kenalog 40 mg/mL",
        "BP 130/82, HR 88",
        "observed 15 min",
        "",
    ],
)
def test_no_dose(text):
    assert PARSER.choose(text) is None


def test_amount_preferred_over_volume_and_first_after_anchor():
    text = "2 mL of Kenalog 80 mg; Toradol 30 mg"
    assert (PARSER.choose(text).value, PARSER.choose(text).unit) == (80, "mg")
    assert PARSER.choose(text, anchor=text.index("Toradol")).value == 30


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Depo-Provera 150mg/1mL IM", (150, "mg")),
        ("Toradol 30mg/2mL", (30, "mg")),
        ("Kenalog 40 mg/1 mL x 2 mL", (80, "mg")),
        ("epinephrine 1:1000, 0.3 mL SC", (0.3, "mg")),
        ("bupivacaine 0.5% 2 mL with a 25g needle", (10, "mg")),
    ],
)
def test_amount_in_stated_volume_ratio_and_gauge(text, expected):
    dose = PARSER.choose(text)
    assert (dose.value, dose.unit) == expected


def test_volume_written_before_a_percent_solution():
    from auditor.patterns import load_patterns

    parser = DoseParser(load_patterns().units)
    found = parser.find_all("Approximately 6 mL of 5% phenol was injected")
    assert [(d.value, d.unit, d.start, d.end) for d in found] == [(300, "mg", 14, 24)]
    assert [(d.value, d.unit) for d in parser.find_all("received one gram of Rocephin")] == [
        (1, "g")
    ]
    assert parser.find_all("someone given the ability") == []
