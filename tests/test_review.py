"""Review decisions: finding ids, the decisions file, ``audit --decisions``, and the review
controls of report.html in headless Chromium (driven over the DevTools protocol, tests/cdp.py:
mark findings by keyboard and mouse, reload, export decisions.jsonl, re-apply it)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.errors import DecisionsError
from auditor.review import (
    event_findings,
    finding_id,
    findings_of,
    load_decisions,
    note_findings,
    spec_id,
)

from .cdp import CHROMIUM, needs_chromium
from .conftest import ROOT, SAMPLE


def _rows(folder: Path, name: str) -> list[dict]:
    return [json.loads(x) for x in (folder / name).read_text(encoding="utf-8").splitlines()]


def _write(path: Path, rows: list) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


# --- finding ids ----------------------------------------------------------------------------


def test_finding_id_is_sha256_of_its_parts():
    # sha256("96372@1.0.0|team-a-025|138-147|ketorolac|missing:response")[:16]
    assert (
        finding_id("96372@1.0.0", "team-a-025", "138-147", "ketorolac", "missing:response")
        == "c26413daca0086cb"
    )
    base = ("96372@1.0.0", "n1", "10-17", "ketorolac", "missing:site")
    ids = {
        finding_id(*base),
        finding_id("96372@2.0.0", *base[1:]),
        finding_id(base[0], "n2", *base[2:]),
        finding_id(*base[:2], "11-18", *base[3:]),
        finding_id(*base[:3], "ceftriaxone", base[4]),
        finding_id(*base[:4], "missing:route"),
    }
    assert len(ids) == 6  # each part changes the id


def test_findings_of_a_note():
    note = {"note_id": "n1", "status": "gaps", "flags": ["not_administered", "intravenous"]}
    events = [
        {
            "event_id": 1,
            "medication": "ketorolac",
            "eligible": True,
            "missing": ["site", "response"],
            "advisories": ["provider", "evidence"],
            "flags": [],
            "start": 10,
            "end": 17,
        },
        {
            "event_id": 2,
            "medication": "ondansetron",
            "eligible": False,
            "missing": ["site"],
            "advisories": [],
            "flags": ["intravenous"],
            "start": 40,
            "end": 51,
        },
    ]
    assert event_findings(events[0]) == [
        "missing:site",
        "missing:response",
        "advisory:evidence",
        "advisory:provider",
    ]
    assert event_findings(events[1]) == ["flag:intravenous"]  # ineligible: no missing
    assert note_findings(note, events) == ["flag:not_administered"]
    found = findings_of(note, events, "96372@1.0.0")
    assert [(f.event_id, f.finding) for f in found] == [
        (1, "missing:site"),
        (1, "missing:response"),
        (1, "advisory:evidence"),
        (1, "advisory:provider"),
        (2, "flag:intravenous"),
        (None, "flag:not_administered"),
    ]
    assert found[0].id == finding_id("96372@1.0.0", "n1", "10-17", "ketorolac", "missing:site")
    assert found[-1].id == finding_id("96372@1.0.0", "n1", "note", None, "flag:not_administered")
    error = findings_of({"note_id": "x", "status": "error", "flags": []}, [], "s")
    assert [f.finding for f in error] == ["error:record"]


def test_spec_id_from_run_json():
    assert spec_id({"spec_id": "96372@2.0.0", "requirements_version": "1.0.0"}) == "96372@2.0.0"
    assert spec_id({"requirements_version": "1.0.0"}) == "96372@1.0.0"
    spec = {"id": "cpt_96372.v2", "version": "2.0.0"}
    assert spec_id({"spec": spec, "requirements_version": "2.0.0"}) == "96372@2.0.0"


# --- the decisions file ---------------------------------------------------------------------


def test_load_decisions_keeps_the_last_line_per_finding(tmp_path):
    path = _write(
        tmp_path / "d.jsonl",
        [
            {"finding_id": "aa", "decision": "accepted"},
            {"finding_id": "bb", "decision": "rejected", "comment": "charted in MAR"},
            {"finding_id": "aa", "decision": "rejected", "comment": ""},
        ],
    )
    got = load_decisions(path)
    assert list(got) == ["bb", "aa"]
    assert (got["aa"].decision, got["aa"].comment, got["aa"].line) == ("rejected", None, 3)
    assert got["bb"].comment == "charted in MAR"


@pytest.mark.parametrize(
    "line, message",
    [
        ("not json", "line 2: not valid JSON"),
        ('["a"]', "line 2: expected a JSON object"),
        ('{"decision": "accepted"}', "line 2: 'finding_id' must be a lowercase hex string"),
        ('{"finding_id": "aa", "decision": "ok"}', "line 2: 'decision' must be"),
        ('{"finding_id": "aa", "decision": "accepted", "comment": 3}', "line 2: 'comment'"),
        (
            '{"finding_id": "aa", "decision": "accepted", "audited_amount": "x"}',
            "line 2: 'audited_amount' must be a number",
        ),
    ],
)
def test_malformed_decisions_name_the_line(tmp_path, line, message):
    path = tmp_path / "d.jsonl"
    path.write_text('{"finding_id": "aa", "decision": "accepted"}\n' + line + "\n")
    with pytest.raises(DecisionsError, match=re.escape(message)):
        load_decisions(path)


# --- audit --decisions ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("first")
    result = _audit_v1(SAMPLE, out)
    assert result.exit_code == 0, result.output
    return out


def _audit_v1(source: Path, out: Path, *args: object):
    """``auditor audit SOURCE --spec cpt_96372.v1 --out OUT ARGS...`` (the fixture figures
    are version 1's); the CliRunner result."""
    command = ["audit", str(source), "--spec", "cpt_96372.v1", "--out", str(out)]
    return CliRunner().invoke(app, [*command, *map(str, args)])


def _event_of(folder: Path, note_id: str, event_id: int = 1) -> dict:
    return next(
        e
        for e in _rows(folder, "events.jsonl")
        if e["note_id"] == note_id and e["event_id"] == event_id
    )


def test_malformed_decisions_exit_2_before_writing(tmp_path):
    bad = tmp_path / "d.jsonl"
    bad.write_text('{"finding_id": "aa", "decision": "accepted"}\n{"finding_id": 1}\n')
    out = tmp_path / "out"
    result = _audit_v1(SAMPLE, out, "--decisions", bad)
    assert result.exit_code == 2
    assert "[E250]" in result.output and "line 2" in result.output
    assert not out.exists()


def test_decisions_round_trip_through_a_rerun(tmp_path, first_run):
    event = _event_of(first_run, "team-a-025")
    assert (event["start"], event["end"], event["medication"]) == (138, 147, "ketorolac")
    key = ("96372@1.1.0", "team-a-025", "138-147", "ketorolac", "missing:response")
    fid = finding_id(*key)
    note_fid = finding_id("96372@1.1.0", "team-a-025", "note", None, "flag:not_administered")
    decisions = _write(
        tmp_path / "decisions.jsonl",
        [
            {"finding_id": fid, "decision": "accepted", "comment": "no response charted"},
            {"finding_id": note_fid, "decision": "rejected", "comment": "held, not refused"},
            {"finding_id": "0123456789abcdef", "decision": "rejected", "note_id": "gone"},
        ],
    )
    out = tmp_path / "out"
    result = _audit_v1(SAMPLE, out, "--decisions", decisions)
    assert result.exit_code == 0, result.stderr
    # 95 findings since an injection report's procedure line no longer gives an unnamed event of
    # its own (team-a-013: one epidural event, as its gold label says)
    # 96 since cues.yaml 1.22 (helper kinds8): a drug's strength per mL is no lab result, so a
    # sample note whose only "evidence" was its drug's mg/mL now raises the evidence advisory
    # (as its gold label says)
    assert "review: 2 of 96 findings reviewed (1 accepted, 1 rejected, 94 pending)" in result.stdout
    assert "1 decision(s) match no finding" in result.stderr
    assert "line 3: 0123456789abcdef note gone" in result.stderr

    event = _event_of(out, "team-a-025")
    assert event["review"] == {
        "missing:response": {"id": fid, "decision": "accepted", "comment": "no response charted"},
        "advisory:evidence": {
            "id": finding_id(*key[:4], "advisory:evidence"),
            "decision": "pending",
            "comment": None,
        },
    }
    note = next(n for n in _rows(out, "notes.jsonl") if n["note_id"] == "team-a-025")
    assert note["review"] == {
        "accepted": 1,
        "rejected": 1,
        "pending": 4,
        "findings": {
            "flag:not_administered": {
                "id": note_fid,
                "decision": "rejected",
                "comment": "held, not refused",
            }
        },
    }
    run = json.loads((out / "run.json").read_text())
    assert spec_id(run) == "96372@1.1.0"
    assert {k: run["review"][k] for k in ("findings", "reviewed", "pending", "decisions")} == {
        "findings": 96,
        "reviewed": 2,
        "pending": 94,
        "decisions": 3,
    }
    assert run["review"]["unmatched"] == [
        {"line": 3, "finding_id": "0123456789abcdef", "note_id": "gone", "finding": None}
    ]
    # every row of the first run is unchanged but for the review field
    strip = [{k: v for k, v in n.items() if k != "review"} for n in _rows(out, "notes.jsonl")]
    assert strip == _rows(first_run, "notes.jsonl")
    page = (out / "report.html").read_text(encoding="utf-8")
    data = json.loads(
        re.search(r'<script id="report-data" type="application/json">(.*?)</script>', page).group(1)
    )
    assert data["decisions"] == {
        fid: {"decision": "accepted", "comment": "no response charted"},
        note_fid: {"decision": "rejected", "comment": "held, not refused"},
    }
    row = next(r for r in data["rows"] if r[0] == "team-a-025")
    assert [f[1] for f in row[9]] == [
        "missing:response",
        "advisory:evidence",
        "missing:site",
        "missing:response",
        "advisory:evidence",
        "flag:not_administered",
    ]
    details_json = r'<script id="note-details" type="application/json">(.*?)</script>'
    details = json.loads(re.search(details_json, page).group(1))
    assert f'data-fid="{fid}" data-code="missing:response"' in details[row[8]]


def test_a_changed_note_does_not_match(tmp_path, first_run):
    fid = finding_id("96372@1.1.0", "team-a-025", "138-147", "ketorolac", "missing:response")
    decisions = _write(tmp_path / "d.jsonl", [{"finding_id": fid, "decision": "accepted"}])
    notes = pd.read_csv(SAMPLE)
    i = notes.index[notes["note_id"] == "team-a-025"][0]
    notes.loc[i, "text"] = "Addendum.\n" + notes.loc[i, "text"]  # moves the anchor
    changed = tmp_path / "changed.csv"
    notes.to_csv(changed, index=False)
    out = tmp_path / "out"
    result = _audit_v1(changed, out, "--decisions", decisions)
    assert result.exit_code == 0
    run = json.loads((out / "run.json").read_text())
    assert run["review"]["reviewed"] == 0
    assert [u["finding_id"] for u in run["review"]["unmatched"]] == [fid]


def test_claim_findings_are_reviewable(tmp_path):
    from auditor.review import claim_findings, read_jsonl

    claims = ROOT / "corpora" / "sample" / "claims.csv"
    first = tmp_path / "first"
    assert _audit_v1(SAMPLE, first, "--claims", claims).exit_code == 0
    lines = read_jsonl(first / "claims.jsonl")
    flagged = [c for c in lines if c["findings"]]
    found = claim_findings(flagged[0], "96372@1.1.0")
    assert [f.finding for f in found] == [f"claim:{x}" for x in flagged[0]["findings"]]
    page = (first / "report.html").read_text(encoding="utf-8")
    assert f'data-fid=\\"{found[0].id}\\" data-code=\\"{found[0].finding}\\"' in page
    decisions = _write(
        tmp_path / "d.jsonl",
        [{"finding_id": found[0].id, "decision": "accepted", "audited_amount": 0}],
    )
    out = tmp_path / "out"
    result = _audit_v1(SAMPLE, out, "--claims", claims, "--decisions", decisions)
    assert result.exit_code == 0, result.stderr
    again = [c for c in read_jsonl(out / "claims.jsonl") if c["findings"]][0]
    assert again["review"][found[0].finding] == {
        "id": found[0].id,
        "decision": "accepted",
        "comment": None,
        "audited_amount": 0,
    }
    run = json.loads((out / "run.json").read_text())
    assert run["review"]["by_kind"]["claim"]["accepted"] == 1
    assert run["review"]["unmatched"] == []


# --- in a browser ---------------------------------------------------------------------------


def _states(browser) -> list[list[str]]:
    return browser.js(
        "Array.from(document.querySelectorAll('#detail li.finding[data-fid]')).map(function (l) {"
        " return [l.getAttribute('data-code'), l.getAttribute('data-review'),"
        " l.querySelector('.rv-comment').value]; })"
    )


@needs_chromium
def test_browser_marks_reloads_exports_and_reapplies(tmp_path, first_run):
    from .cdp import Browser

    report = first_run / "report.html"
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    with Browser(CHROMIUM, tmp_path / "profile", downloads) as b:
        b.open(report.resolve().as_uri() + "#note=team-a-025")
        # 95: team-a-013 has one epidural event (no unnamed one from its procedure line); 96
        # since cues.yaml 1.22 (team-a-019's drug strength per mL is no evidence)
        assert b.js("document.getElementById('rv-total').textContent") == "96"
        assert [s[1] for s in _states(b)] == ["pending"] * 6
        # keyboard: next finding, accept; next, reject; comment
        b.press("n")
        b.press("a")
        b.press("n")
        b.press("r")
        b.press("c")
        b.type_text("evidence: labs in chart")
        b.press("Enter")
        # mouse: reject the last finding (the note-level flag)
        b.click("#detail li.finding[data-code='flag:not_administered'] button[data-act=rejected]")
        expected = [
            ["missing:response", "accepted", ""],
            ["advisory:evidence", "rejected", "evidence: labs in chart"],
            ["missing:site", "pending", ""],
            ["missing:response", "pending", ""],
            ["advisory:evidence", "pending", ""],
            ["flag:not_administered", "rejected", ""],
        ]
        assert _states(b) == expected
        assert b.js("document.getElementById('rv-reviewed').textContent") == "3"

        stored = "(localStorage.getItem('auditor-review:' + JSON.parse(document.getElementById("
        stored += "'report-data').textContent).runKey) || '').split('decision').length - 1"
        assert b.wait_stored(report.resolve().as_uri(), stored) == 3
        b.reload()  # local storage keeps the decisions
        assert _states(b) == expected
        b.js("location.hash = '#review=accepted'")  # the review filter
        b.wait_until("document.getElementById('count').textContent === '1 of 60 notes'")
        assert b.js("document.querySelector('#rows tr td').textContent") == "team-a-025"

        b.click("#rv-export")
        b.wait_event("Browser.downloadProgress", state="completed")
    exported = _rows(downloads, "decisions.jsonl")
    assert [(d["note_id"], d["finding"], d["decision"], d["comment"]) for d in exported] == [
        ("team-a-025", "missing:response", "accepted", None),
        ("team-a-025", "advisory:evidence", "rejected", "evidence: labs in chart"),
        ("team-a-025", "flag:not_administered", "rejected", None),
    ]

    out = tmp_path / "rerun"
    exported_file = str(downloads / "decisions.jsonl")
    result = _audit_v1(SAMPLE, out, "--decisions", exported_file)
    assert result.exit_code == 0, result.stderr
    run = json.loads((out / "run.json").read_text())
    assert (run["review"]["accepted"], run["review"]["rejected"], run["review"]["unmatched"]) == (
        1,
        2,
        [],
    )
    event = _event_of(out, "team-a-025")
    assert event["review"]["advisory:evidence"]["comment"] == "evidence: labs in chart"

    # a fresh browser (empty storage) shows the re-applied decisions from the page itself
    with Browser(CHROMIUM, tmp_path / "profile2") as b:
        b.open((out / "report.html").resolve().as_uri() + "#note=team-a-025")
        assert _states(b) == expected
