"""The "given now?" decision on written sentences (tests/cases/given_now.yaml,
later_doses.yaml, shot_records.yaml, given_now_styles.yaml and nursing_forms.yaml): historical
narrative, care told from another encounter, plans, schedules, starts, oral forms, later doses,
verbless shot records; the styles table writes each kind in nursing shorthand, dictated
narrative, summaries and conversational plans. A field a case leaves out of an event is
expected null; a case with ``xfail`` (its reason) is a kind known to fail, expected to fail
(strict)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from auditor.records import clean_text

CASES = [
    case
    for table in (
        "given_now.yaml",
        "later_doses.yaml",
        "shot_records.yaml",
        "given_now_styles.yaml",
        "nursing_forms.yaml",
    )
    for case in yaml.safe_load((Path(__file__).parent / "cases" / table).read_text("utf-8"))
]
FIELDS = ("medication", "route", "dose_value", "dose_unit", "site", "laterality")


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(c, marks=pytest.mark.xfail(reason=c["xfail"], strict=True))
        if c.get("xfail")
        else c
        for c in CASES
    ],
    ids=[c["name"] for c in CASES],
)
def test_given_now(case, extract_one):
    result = extract_one(clean_text(case["text"]))
    got = [{k: e[k] for k in FIELDS} for e in result["events"]]
    assert got == [{k: e.get(k) for k in FIELDS} for e in case["events"]]
    if "not_administered" in case:
        assert result["not_administered"] == case["not_administered"]
