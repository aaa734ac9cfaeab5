"""Table-driven extraction cases (tests/cases/events.yaml): events and not-given mentions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditor.records import clean_text

CASES = yaml.safe_load(
    (Path(__file__).parent / "cases" / "events.yaml").read_text(encoding="utf-8")
)
FIELDS = ("medication", "route", "dose_value", "dose_unit", "site", "laterality")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case, extract_one):
    result = extract_one(clean_text(case["text"]))
    got = [{k: e[k] for k in FIELDS} for e in result["events"]]
    assert got == case["events"]
    if "not_administered" in case:
        assert result["not_administered"] == case["not_administered"]
