"""``auditor sample`` and ``auditor appraise``: sample size, allocation, a redraw from
sample.json alone, the sample folder, and the appraisal of a reviewed sample end to end.
(The formulas themselves: tests/test_appraisal.py.)"""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.review import claim_findings, findings_of, read_jsonl, read_rows
from auditor.sampling import allocate, size_for_attribute

from .conftest import ROOT, SAMPLE

CLAIMS = ROOT / "corpora" / "sample" / "claims.csv"


def _run(*args: str):
    return CliRunner().invoke(app, [str(a) for a in args])


def _sample_csv(folder: Path) -> list[dict[str, str]]:
    with open(folder / "sample.csv", encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


# --- size and allocation --------------------------------------------------------------------


def _appraise(out: Path, tmp_path: Path, findings: list, reject_every: int) -> tuple[dict, str]:
    """Decide ``findings`` (every ``reject_every``-th rejected, the others accepted), run
    ``auditor appraise`` on the sample folder ``out``: its appraisal.json and its output."""
    verdicts = [
        {"finding_id": f.id, "decision": "accepted" if k % reject_every else "rejected"}
        for k, f in enumerate(findings, start=1)
    ]
    decisions = tmp_path / "d.jsonl"
    decisions.write_text("".join(json.dumps(v) + "\n" for v in verdicts))
    result = _run("appraise", out, "--decisions", decisions)
    assert result.exit_code == 0, result.output
    return json.loads((out / "appraisal.json").read_text()), result.output


def test_size_for_attribute_follows_cochran():
    # the textbook case: 95% confidence, +-5%, p = 0.5, a very large frame -> 385
    big = size_for_attribute(10**9, 0.95, 0.05, 0.5)
    assert round(big["n0"], 2) == 384.15 and big["n"] == 385
    # the sample corpus: 90% (z = 1.6449), +-10%, N = 60 -> n0 = 67.64, n = 33
    small = size_for_attribute(60, 0.90, 0.10, 0.5)
    assert (round(small["z"], 4), round(small["n0"], 2), small["n"]) == (1.6449, 67.64, 33)
    assert small["formula"].endswith("= ceil(67.64 / (1 + 66.64 / 60)) = 33")
    assert "Cochran" in small["source"]


def test_allocate_proportional_and_equal():
    sizes = {"compliant": 18, "excluded": 11, "gaps": 20, "no_injection": 11}
    # quotas 6, 3.67, 6.67, 3.67: floors 6, 3, 6, 3, the 2 left go to the largest remainders
    assert allocate(sizes, 20, "proportional") == {
        "compliant": 6,
        "excluded": 4,
        "gaps": 7,
        "no_injection": 3,
    }
    assert allocate({"a": 1, "b": 2, "c": 10}, 9, "equal") == {"a": 1, "b": 2, "c": 6}
    assert allocate({"a": 1, "b": 99}, 10, "proportional") == {"a": 1, "b": 9}
    assert allocate({"a": 5, "b": 5}, 10, "equal") == {"a": 5, "b": 5}


# --- drawing --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "r"
    result = _run("audit", SAMPLE, "--out", out, "--claims", CLAIMS, "--spec", "cpt_96372.v1")
    assert result.exit_code == 0, result.output
    return out


def test_sample_redraws_from_sample_json(tmp_path, report):
    result = _run("sample", report, "--out", tmp_path / "s", "--size", 12, "--unit", "notes")
    assert result.exit_code == 0, result.output
    plan = json.loads((tmp_path / "s" / "sample.json").read_text())
    assert plan["seed_source"].startswith("drawn") and plan["method"] == "simple random"
    # an outside reviewer redraws it from the notes file and the recorded seed alone
    notes = read_jsonl(report / "notes.jsonl")
    frame = "".join(f"{i}\t{n['note_id']}\n" for i, n in enumerate(notes, 1))
    assert plan["frame"]["N"] == 60
    assert plan["frame"]["ids_sha256"] == hashlib.sha256(frame.encode()).hexdigest()

    def key(i: int, nid: str) -> str:
        return hashlib.sha256(f"{plan['seed']}|{i}|{nid}".encode()).hexdigest()

    ranked = sorted((key(i, n["note_id"]), n["note_id"]) for i, n in enumerate(notes, 1))
    assert [d["id"] for d in _sample_csv(tmp_path / "s")] == [nid for _, nid in ranked[:12]]
    # the same seed draws the same sample; another seed another one
    again = _run(
        "sample", report, "--out", tmp_path / "t", "--size", 12, "--unit", "notes",
        "--seed", plan["seed"],
    )  # fmt: skip
    assert again.exit_code == 0
    assert _sample_csv(tmp_path / "t") == _sample_csv(tmp_path / "s")
    other = _run("sample", report, "--out", tmp_path / "u", "--size", 12, "--unit", "notes",
                 "--seed", plan["seed"] + 1)  # fmt: skip
    assert other.exit_code == 0
    assert _sample_csv(tmp_path / "u") != _sample_csv(tmp_path / "s")


def test_sample_folder_holds_the_sampled_notes_only(tmp_path, report):
    out = tmp_path / "s"
    result = _run(
        "sample", report, "--out", out, "--unit", "notes", "--precision", 0.1,
        "--strata", "status", "--seed", 7,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "n0 = z^2 p (1-p) / e^2 = 1.6449^2 x 0.5 x 0.5 / 0.1^2 = 67.64" in result.output
    plan = json.loads((out / "sample.json").read_text())
    assert plan["n"] == 33 and plan["strata_by"] == "status"
    assert plan["strata"] == [
        {"stratum": "compliant", "N": 18, "n": 10},
        {"stratum": "excluded", "N": 11, "n": 6},
        {"stratum": "gaps", "N": 20, "n": 11},
        {"stratum": "no_injection", "N": 11, "n": 6},
    ]
    drawn = _sample_csv(out)
    notes = read_jsonl(out / "notes.jsonl")
    assert sorted(d["note_id"] for d in drawn) == sorted(n["note_id"] for n in notes)
    assert all(d["stratum"] == n["status"] for d in drawn for n in notes if n["note_id"] == d["id"])
    events = read_jsonl(out / "events.jsonl")
    full = read_jsonl(report / "events.jsonl")
    ids = {n["note_id"] for n in notes}
    assert events == [e for e in full if e["note_id"] in ids]
    claims = read_jsonl(out / "claims.jsonl")
    assert claims == [c for c in read_jsonl(report / "claims.jsonl") if c["note_id"] in ids]
    with open(out / "notes.csv", encoding="utf-8", newline="") as handle:
        assert [r["note_id"] for r in csv.DictReader(handle)] == [n["note_id"] for n in notes]
    run = json.loads((out / "run.json").read_text())
    assert run["notes"] == 33 and sum(run["status"].values()) == 33
    if (report / "report.xlsx").exists():
        from openpyxl import load_workbook

        sheet = load_workbook(out / "report.xlsx", read_only=True)["notes"]
        ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
        assert ids == [n["note_id"] for n in notes]
    page = (out / "report.html").read_text(encoding="utf-8")
    data = page.split('<script id="report-data" type="application/json">', 1)[1]
    data = json.loads(data.split("</script>", 1)[0])
    assert [r[0] for r in data["rows"]] == [n["note_id"] for n in notes]
    full = (report / "report.html").read_text(encoding="utf-8")
    assert data["runKey"] in full  # decisions made in either page share the browser's storage


def test_sample_errors_exit_2(tmp_path, report):
    for args, message in (
        (["--size", 61, "--unit", "notes"], "--size must be between 1 and the frame size 60"),
        (["--unit", "notes"], "give --size, or --precision"),
        (["--size", 5, "--strata", "nosuchcolumn"], "no such column"),
        (["--size", 5, "--allocation", "neyman"], "--allocation must be proportional or equal"),
    ):
        result = _run("sample", report, "--out", tmp_path / "x", *args)
        assert result.exit_code == 2, (args, result.output)
        assert "[E260]" in result.output and message in result.output, result.output
    assert not (tmp_path / "x").exists()


# --- appraisal end to end ---------------------------------------------------------------------


def test_appraise_a_reviewed_note_sample(tmp_path, report):
    out = tmp_path / "s"
    assert _run("sample", report, "--out", out, "--unit", "notes", "--size", 20,
                "--strata", "status", "--seed", 7).exit_code == 0  # fmt: skip
    findings = [f for n, e in read_rows(out) for f in findings_of(n, e, "96372@1.1.0")]
    got, _ = _appraise(out, tmp_path, findings, reject_every=3)
    strata = {s["stratum"]: (s["N"], s["n"], s["errors"]) for s in got["attribute"]["strata"]}
    assert strata == {
        "compliant": (18, 6, 0),
        "excluded": (11, 4, 0),
        "gaps": (20, 7, 5),
        "no_injection": (11, 3, 0),
    }
    combined = got["attribute"]["combined"]
    assert round(combined["rate"], 6) == round(20 / 60 * 5 / 7, 6)
    assert got["unmatched_decisions"] == 0 and got["pending"] == [] and got["variable"] is None


def test_appraise_claim_lines_with_paid_amounts(tmp_path, report):
    out = tmp_path / "s"
    result = _run("sample", report, "--out", out, "--size", 25, "--strata", "status", "--seed", 11)
    assert result.exit_code == 0, result.output
    plan = json.loads((out / "sample.json").read_text())
    assert plan["unit"] == "claims" and plan["frame"]["paid_column"] == "paid_amount"
    assert plan["frame"]["N"] == 51
    assert round(sum(plan["frame"]["paid_by_stratum"].values()), 2) == 1277.50
    rows = read_jsonl(out / "claims.jsonl")
    findings = [f for row in rows for f in claim_findings(row, "96372@1.1.0")]
    got, output = _appraise(out, tmp_path, findings, reject_every=4)
    assert got["attribute"]["combined"]["n"] == 25
    v = got["variable"]
    assert (v["df"], round(v["t"], 4)) == (21, 1.3232)
    assert round(v["frame_paid"], 2) == 1277.50
    assert "lower limit" in output
    for name in ("mean_per_unit", "difference"):
        e = v[name]
        assert e["lower"] == pytest.approx(e["point"] - v["t"] * e["se"])
