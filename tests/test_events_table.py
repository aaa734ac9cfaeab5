"""Table-driven extraction cases (tests/cases/events.yaml, surface_forms.yaml,
written_forms.yaml, exports.yaml, log_and_list_forms.yaml, formulary_forms.yaml and
structured_logs.yaml): events and not-given mentions."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditor.records import clean_text

CASES = [
    case
    for table in (
        "events.yaml",
        "surface_forms.yaml",
        "written_forms.yaml",
        "exports.yaml",
        "log_and_list_forms.yaml",
        "formulary_forms.yaml",
        "structured_logs.yaml",
    )
    for case in yaml.safe_load((Path(__file__).parent / "cases" / table).read_text("utf-8"))
]
FIELDS = ("medication", "route", "dose_value", "dose_unit", "site", "laterality")


TEXT_FIELDS = ("indication", "evidence", "provider", "response")  # compared when a case gives them


def _params():
    for case in CASES:
        marks = [pytest.mark.xfail(reason=case["xfail"], strict=True)] if "xfail" in case else []
        yield pytest.param(case, id=case["name"], marks=marks)


@pytest.mark.parametrize("case", _params())
def test_case(case, extract_one):
    result = extract_one(clean_text(case["text"]))
    got = [{k: e[k] for k in FIELDS} for e in result["events"]]
    assert got == [{k: e[k] for k in FIELDS} for e in case["events"]]
    for want, event in zip(case["events"], result["events"], strict=True):
        for key in TEXT_FIELDS:
            if key in want:
                if want[key] is None:
                    assert event.get(key) is None, key
                else:
                    assert want[key] in (event.get(key) or ""), key
    if "not_administered" in case:
        assert result["not_administered"] == case["not_administered"]
