"""``auditor audit NOTES --claims CLAIMS [--payer NAME]`` end to end (runs the pipeline)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from auditor.cli import app

from .conftest import REPORT_FILES

NOTES = [
    {
        "note_id": "n1",
        "text": "Depo-Medrol 80 mg IM and Toradol 60 mg IM given R gluteal for "
        "back pain. Tolerated well.",
    },
    {
        "note_id": "n2",
        "text": "Ceftriaxone 1 g IM given to L gluteal for gonorrhea. "
        "Tolerated well, no reaction.",
    },
    {"note_id": "n3", "text": "Follow-up visit. No injections today."},
]
CLAIMS = [
    {"note_id": "n1", "code": "99213", "units": "1", "modifiers": "", "pos": "11"},
    {"note_id": "n1", "code": "96372", "units": "2", "modifiers": "", "pos": "11"},
    {"note_id": "n1", "code": "J1885", "units": "4", "modifiers": "", "pos": "11"},
    {"note_id": "n1", "code": "J1030", "units": "2", "modifiers": "", "pos": "11"},
    {"note_id": "n9", "code": "96372", "units": "1", "modifiers": "", "pos": "11"},
]


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    notes = tmp_path / "notes.csv"
    pd.DataFrame(NOTES).to_csv(notes, index=False)
    claims = tmp_path / "claims.csv"
    pd.DataFrame(CLAIMS).to_csv(claims, index=False)
    return {"notes": notes, "claims": claims, "out": tmp_path / "report"}


def _run(*args: str):
    return CliRunner().invoke(app, ["audit", *args])


def _jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_audit_with_claims(files):
    result = _run(str(files["notes"]), "--out", str(files["out"]), "--claims", str(files["claims"]))
    assert result.exit_code == 0, result.output
    out = files["out"]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["claims.csv", "claims.jsonl", *REPORT_FILES]
    )
    events = _jsonl(out / "events.jsonl")
    assert [(e["note_id"], e["hcpcs"], e["hcpcs_units"]) for e in events] == [
        ("n1", "J1010", 80),
        ("n1", "J1885", 4),
        ("n2", "J0696", 4),
    ]
    rows = _jsonl(out / "claims.jsonl")
    assert [(r["code"], r["supported_units"], r["findings"]) for r in rows] == [
        ("99213", None, ["missing_modifier_25"]),
        ("96372", 2, []),
        ("J1885", 4, []),
        ("J1030", 2, ["deleted_code"]),
        ("96372", None, ["unmatched_claim"]),
    ]
    assert rows[0]["note_id"] == "n1" and rows[0]["pos"] == "11"  # own fields kept as text
    claims = json.loads((out / "run.json").read_text(encoding="utf-8"))["claims"]
    assert claims["payer"] == "default"
    assert claims["claim_lines"] == 5
    assert claims["unmatched_claims"] == 1
    assert claims["notes_without_claims"] == ["n2", "n3"]
    assert claims["n_notes_with_injections_without_claims"] == 1
    assert "notes without claim lines: 2" in result.output
    csv = pd.read_csv(out / "claims.csv", dtype=str, keep_default_na=False)
    assert csv["findings"].tolist() == [
        "missing_modifier_25",
        "",
        "",
        "deleted_code",
        "unmatched_claim",
    ]


def test_claims_as_parquet_and_payer_profile(files, tmp_path):
    claims = tmp_path / "claims.parquet"
    pd.DataFrame(
        [
            {"encounter_id": "n1", "cpt": "96372", "units": 1, "pos": "11"},
            {"encounter_id": "n1", "cpt": "96372", "units": 1, "pos": "11"},
        ]
    ).to_parquet(claims)
    result = _run(
        str(files["notes"]),
        "--out",
        str(files["out"]),
        "--claims",
        str(claims),
        "--payer",
        "repeat_76",
    )
    assert result.exit_code == 0, result.output
    rows = _jsonl(files["out"] / "claims.jsonl")
    assert [(r["units"], r["supported_units"], r["findings"]) for r in rows] == [
        (1, 1, []),
        (1, 1, ["repeat_admin_modifier"]),
    ]


@pytest.mark.parametrize(
    ("claims", "payer", "message"),
    [
        ([{"note_id": "n1", "code": "96372"}], "default", "no units column"),
        (CLAIMS, "acme", "payer profile 'acme' not found"),
    ],
)
def test_claims_errors_stop_before_writing(files, claims, payer, message):
    pd.DataFrame(claims).to_csv(files["claims"], index=False)
    result = _run(
        str(files["notes"]),
        "--out",
        str(files["out"]),
        "--claims",
        str(files["claims"]),
        "--payer",
        payer,
    )
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
    assert not files["out"].exists()


def test_missing_claims_file(files, tmp_path):
    result = _run(
        str(files["notes"]), "--out", str(files["out"]), "--claims", str(tmp_path / "nope.csv")
    )
    assert result.exit_code == 2
    assert "claims file not found" in " ".join(result.output.split())
