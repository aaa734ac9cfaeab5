"""report.html: evidence location, the page's data, redaction, and the page in a browser.

The browser tests open the report of the bundled sample corpus in headless Chromium
(``chromium --dump-dom``; ``.ci/run`` installs Debian's chromium) and read the rendered
DOM: the page honours its state in the URL hash (``report.html#status=gaps``), so
filtering is tested by loading the page with a hash. They skip where no chromium is
installed.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.io.html import (
    EvidenceLocator,
    Highlight,
    ReportBuilder,
    highlight_html,
    note_html,
    place,
    read_report_rows,
    write_report,
)
from auditor.patterns import load_patterns
from auditor.records import clean_text
from auditor.requirements import RequirementSpec

from .cdp import CHROMIUM, needs_chromium
from .cdp import FLAGS as CHROMIUM_FLAGS
from .conftest import SAMPLE


def _event(text: str, anchor: str, **fields) -> dict:
    start = text.index(anchor)
    base = {
        "note_id": "n1",
        "event_id": 1,
        "medication": None,
        "medication_text": None,
        "route": None,
        "dose_value": None,
        "dose_unit": None,
        "site": None,
        "laterality": None,
        "indication": None,
        "response": None,
        "provider": None,
        "evidence": None,
        "eligible": True,
        "missing": [],
        "flags": [],
        "advisories": [],
        "start": start,
        "end": start + len(anchor),
    }
    return base | fields


@pytest.fixture(scope="module")
def locator():
    return EvidenceLocator(load_patterns())


@pytest.fixture(scope="module")
def spec():
    return RequirementSpec(load_patterns().requirements)


def _spans(text, highlights):
    return {h.label: text[h.start : h.end] for h in highlights}


def _marks(text, highlights):
    return [(h.label, text[h.start : h.end]) for h in highlights]


def _at(text: str, phrase: str, after: int = 0) -> list[int]:
    start = text.index(phrase, after)
    return [start, start + len(phrase)]


def test_locator_marks_every_element_at_its_offsets(locator):
    text = (
        "A: Gonococcal  conjunctivitis.\n"
        "P: Ceftriaxone 1 gm IM to L glut for gonococcal\nconjunctivitis by RN. Tolerated well."
    )
    event = _event(
        text,
        "Ceftriaxone",
        medication="ceftriaxone",
        route="IM",
        dose_value=1,
        dose_unit="g",
        site="gluteal",
        laterality="left",
        indication="gonococcal conjunctivitis",
        response="Tolerated well",
        provider="by RN",
        spans={
            "medication": _at(text, "Ceftriaxone"),
            "dose": _at(text, "1 gm"),
            "route": _at(text, "IM"),
            "site": _at(text, "glut"),
            "laterality": _at(text, "L glut")[:1] + [_at(text, "L glut")[0] + 1],
            "indication": _at(text, "gonococcal\nconjunctivitis"),
            "response": _at(text, "Tolerated well"),
            "provider": _at(text, "by RN"),
        },
    )
    assert _marks(text, locator.locate(text, event)) == [
        ("medication", "Ceftriaxone"),
        ("dose", "1 gm"),
        ("route", "IM"),
        ("site", "glut"),
        ("site", "L"),
        ("indication", "gonococcal\nconjunctivitis"),
        ("response", "Tolerated well"),
        ("provider", "by RN"),
    ]


def test_locator_marks_offsets_wherever_they_point(locator):
    text = "Dx: B12 deficiency.\nCyanocobalamin 1000 mcg IM given today, tolerated well."
    event = _event(
        text,
        "Cyanocobalamin",
        medication="cyanocobalamin",
        indication="B12 deficiency",
        spans={"indication": _at(text, "B12 deficiency"), "route": [5, 4000]},
    )
    hs = locator.locate(text, event)
    # a span outside the text, or of an element the event does not have, marks nothing
    assert _marks(text, hs) == [("medication", "Cyanocobalamin"), ("indication", "B12 deficiency")]


def test_locator_does_not_search_for_values_without_offsets(locator):
    text = "Toradol 60 mg IM given in R deltoid for back pain."
    event = _event(text, "Toradol", medication="ketorolac", route="IM", dose_value=60)
    assert _marks(text, locator.locate(text, event)) == [("medication", "Toradol")]


def test_split_dose_events_mark_their_own_site(extract_one, spec):
    text = (
        "Fulvestrant 500 mg IM given as two 250 mg injections, one in the R gluteal and "
        "one in the L gluteal."
    )
    events = [
        dict(e, note_id="n1", event_id=i, eligible=True, missing=[], flags=[], advisories=[])
        for i, e in enumerate(extract_one(text)["events"], start=1)
    ]
    locator = EvidenceLocator()
    marks = [_marks(text, locator.locate(text, e)) for e in events]
    assert marks == [
        [("medication", "Fulvestrant"), ("dose", "250 mg"), ("route", "IM"), ("site", "gluteal"),
         ("site", "R")],
        [("medication", "Fulvestrant"), ("dose", "250 mg"), ("route", "IM"), ("site", "gluteal"),
         ("site", "L")],
    ]  # fmt: skip
    r_at, l_at = text.index("R gluteal"), text.index("L gluteal")
    assert [h.start for h in locator.locate(text, events[0]) if h.label == "site"] == [
        r_at + 2,
        r_at,
    ]
    assert [h.start for h in locator.locate(text, events[1]) if h.label == "site"] == [
        l_at + 2,
        l_at,
    ]
    html = note_html(text, events)
    assert html.count('data-label="site"') == 4  # R, gluteal, L, gluteal: each marked once


def test_scanned_text_is_shown_as_written_and_marked_at_its_offsets(extract_one):
    # The pipeline reads "lM" as IM (records.repair_ocr); the report shows the scan's letters.
    text = "DEPO-PROVERA 150 MG lM R DELTOID GIVEN"
    events = [
        dict(e, note_id="n1", event_id=1, eligible=True, missing=[], flags=[], advisories=[])
        for e in extract_one(clean_text(text))["events"]
    ]
    assert [(e["route"], e["site"], e["laterality"]) for e in events] == [
        ("IM", "deltoid", "right")
    ]
    html = note_html(text, events)
    assert re.findall(r'data-label="route"[^>]*>([^<]*)<', html) == ["lM"]
    assert "IM R DELTOID" not in html


def test_not_administered_mention_is_marked_and_named(extract_one, spec):
    text = "Offered Toradol 60 mg IM; patient refused. Ice pack applied."
    found = extract_one(text)
    assert found["events"] == []
    note = {
        "note_id": "n1",
        "status": "no_injection",
        "flags": ["not_administered"],
        "not_administered": found["not_given"],
    }
    hs = EvidenceLocator.locate_not_administered(text, note)
    assert _marks(text, hs) == [("not_administered", "Toradol")]
    assert hs[0].title == "ketorolac (context:HYPOTHETICAL)"
    html = note_html(text, [], note)
    assert 'data-label="not_administered"' in html
    assert "ketorolac (context:HYPOTHETICAL) at characters 8-15" in html
    as_text = dict(note, not_administered=json.dumps(found["not_given"]))  # a frame's JSON text
    assert _marks(text, EvidenceLocator.locate_not_administered(text, as_text)) == [
        ("not_administered", "Toradol")
    ]


def test_locator_ignores_offsets_that_do_not_fit(locator):
    assert locator.locate("short", _event("short text", "text")) == []


def test_place_drops_overlaps_and_merges_identical_spans():
    hs = [
        Highlight(0, 5, "medication", 1, "a"),
        Highlight(3, 8, "dose", 1, "b"),
        Highlight(10, 14, "indication", 1, "c"),
        Highlight(10, 14, "indication", 2, "c"),
    ]
    placed = place(hs)
    assert [(s, e, len(h)) for s, e, h in placed] == [(0, 5, 1), (10, 14, 2)]


def test_highlight_html_escapes_and_excerpts_long_notes():
    text = "<b>x</b> " + "filler " * 1000 + "Toradol 60 mg IM" + " tail" * 1000
    start = text.index("Toradol")
    html, shown = highlight_html(
        text, [Highlight(start, start + 7, "medication", 1, "ketorolac")], max_chars=2000
    )
    assert "<b>x</b>" not in html and "characters not shown" in html
    assert '<mark class="ent ent-medication"' in html and shown < len(text)


def test_note_html_takes_dataframe_rows(spec):
    text = "Toradol 60 mg IM given in R deltoid for back pain."
    row = _event(
        text,
        "Toradol",
        medication="ketorolac",
        route="IM",
        dose_value=60.0,
        dose_unit="mg",
        site="deltoid",
        indication="back pain",
        missing=["response"],
        advisories=["evidence", "provider"],
        spans=json.dumps(  # as a frame holds it: JSON text
            {
                "medication": _at(text, "Toradol"),
                "dose": _at(text, "60 mg"),
                "route": _at(text, "IM"),
                "site": _at(text, "deltoid"),
                "laterality": _at(text, "R deltoid")[:1] + [_at(text, "R deltoid")[0] + 1],
                "indication": _at(text, "back pain"),
            }
        ),
    )
    events = pd.DataFrame([row]).to_dict("records")
    out = note_html(text, events)
    assert out.startswith('<div class="auditor-note"><style>')
    for label in ("medication", "dose", "route", "site", "indication"):
        assert f'data-label="{label}"' in out
    assert "response missing" in out and "contract section 3" in out


def test_text_budget_stops_embedding(spec, locator):
    builder = ReportBuilder(spec, locator, text_budget=10)
    text = "Toradol 60 mg IM given."
    note = {
        "note_id": "a",
        "status": "gaps",
        "n_injections": 1,
        "missing": ["site"],
        "flags": [],
        "advisories": [],
        "error": None,
    }
    event = _event(text, "Toradol", medication="ketorolac", missing=["site"])
    builder.add(note, [event], text)
    builder.add(dict(note, note_id="b"), [dict(event, note_id="b")], text)
    assert "60 mg IM given" in builder.details[0]
    assert "60 mg IM given" not in builder.details[1] and "budget" in builder.details[1]


def test_read_report_rows_pairs_repeated_note_ids(tmp_path):
    notes = [
        {"note_id": "x", "status": "gaps"},
        {"note_id": "x", "status": "no_injection"},
        {"note_id": "x", "status": "excluded"},
    ]
    events = [
        {"note_id": "x", "event_id": 1},
        {"note_id": "x", "event_id": 2},
        {"note_id": "x", "event_id": 1},
    ]
    (tmp_path / "notes.jsonl").write_text("".join(json.dumps(n) + "\n" for n in notes))
    (tmp_path / "events.jsonl").write_text("".join(json.dumps(e) + "\n" for e in events))
    got = [len(ev) for _, ev in read_report_rows(tmp_path)]
    assert got == [2, 0, 1]


# --- the CLI writes the page ----------------------------------------------------------------


def _script_json(page: str, element_id: str):
    m = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def sample_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = CliRunner().invoke(
        app, ["audit", str(SAMPLE), "--out", str(out), "--force", "--group-by", "style"]
    )
    assert result.exit_code == 0, result.output
    return out


@pytest.fixture(scope="module")
def redacted_report(tmp_path_factory):
    out = tmp_path_factory.mktemp("redacted")
    result = CliRunner().invoke(app, ["audit", str(SAMPLE), "--out", str(out), "--redact"])
    assert result.exit_code == 0, result.output
    return out


def test_report_is_self_contained_and_complete(sample_report):
    page = (sample_report / "report.html").read_text(encoding="utf-8")
    assert not list(sample_report.glob("*.part"))
    assert "default-src 'none'" in page  # the page may not load anything
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    run = json.loads((sample_report / "run.json").read_text())
    data = _script_json(page, "report-data")
    assert len(data["rows"]) == run["notes"] == 60
    statuses = [data["statuses"][r[1]] for r in data["rows"]]
    assert {s: statuses.count(s) for s in set(statuses)} == run["status"]
    assert data["groupBy"] == "style" and "soap" in data["groups"]
    for flag, code in (("intravenous", "96374-96376"), ("vaccine_or_toxoid", "90471-90474")):
        assert re.search(rf"#flag={flag}\">{flag}</a>.*?{code}", page, re.S)


def test_report_embeds_text_only_where_needed(sample_report):
    page = (sample_report / "report.html").read_text(encoding="utf-8")
    details = _script_json(page, "note-details")
    data = _script_json(page, "report-data")
    with_detail = [r for r in data["rows"] if r[8] >= 0]
    assert all(r[6] > 0 or r[3] or data["statuses"][r[1]] == "error" for r in with_detail)
    first = details[data["rows"][0][8]]  # team-a-001, compliant ceftriaxone
    assert ">gonococcal conjunctivitis<span" in first
    assert "Saline irrigation of the R eye" in first


def test_missing_group_column_is_reported(tmp_path, sample_report):
    from auditor.io.readers import read_records

    for name in ("notes.jsonl", "events.jsonl", "run.json"):
        shutil.copy(sample_report / name, tmp_path / name)
    page = write_report(tmp_path, read_records(SAMPLE), group_by="provider").read_text()
    assert 'id="group-missing"' in page and "The input has no column provider" in page


def test_redacted_report_has_no_note_text(redacted_report):
    page = (redacted_report / "report.html").read_text(encoding="utf-8")
    notes = pd.read_csv(SAMPLE)
    for text in notes["text"]:
        for line in str(text).splitlines():
            if len(line) > 25:
                assert line not in page
    assert "gonococcal conjunctivitis" not in page.lower()
    assert "<mark" not in page and "redacted" in page
    assert '"ceftriaxone' in page or ">ceftriaxone<" in page  # normalised values stay


# --- in a browser ---------------------------------------------------------------------------


def dump_dom(path: Path, fragment: str = "") -> str:
    """The DOM of ``path`` after its scripts ran, from headless Chromium."""
    with tempfile.TemporaryDirectory() as profile:
        run = subprocess.run(
            [
                CHROMIUM,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                "--dump-dom",
                path.resolve().as_uri() + fragment,
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    return run.stdout


def _rows(dom: str) -> list[tuple[str, str]]:
    body = re.search(r'<tbody id="rows">(.*?)</tbody>', dom, re.S).group(1)
    return re.findall(r'<tr data-i="\d+" data-status="(\w+)"[^>]*><td>([^<]*)</td>', body)


@needs_chromium
def test_browser_renders_summary_table_and_evidence(sample_report):
    run = json.loads((sample_report / "run.json").read_text())
    dom = dump_dom(sample_report / "report.html", "#note=team-a-001")
    assert 'data-ready="1"' in dom
    for status, n in run["status"].items():
        assert re.search(rf'id="count-{status}"[^>]*><div class="n">{n}</div>', dom)
    assert re.search(r'<span class="count" id="count">60 of 60 notes</span>', dom)
    assert len(_rows(dom)) == 50  # first page only
    detail = re.search(r'<aside id="detail">(.*)</aside>', dom, re.S).group(1)
    assert "<h3>team-a-001</h3>" in detail
    assert re.search(
        r'<mark class="ent ent-indication" data-label="indication"[^>]*>'
        r'gonococcal conjunctivitis<span class="ent-label">indication</span></mark>',
        detail,
    )
    assert re.search(r'data-label="medication"[^>]*>Ceftriaxone<', detail)


@needs_chromium
def test_browser_filters_from_the_url(sample_report):
    run = json.loads((sample_report / "run.json").read_text())
    n_gaps = run["status"]["gaps"]
    dom = dump_dom(sample_report / "report.html", "#status=gaps")
    rows = _rows(dom)
    assert len(rows) == n_gaps and {s for s, _ in rows} == {"gaps"}
    assert f"{n_gaps} of 60 notes" in dom

    dom = dump_dom(sample_report / "report.html", "#flag=intravenous&q=team-b")
    rows = _rows(dom)
    assert rows and all(nid.startswith("team-b") for _, nid in rows)
    notes = [json.loads(line) for line in (sample_report / "notes.jsonl").open()]
    expected = [
        n["note_id"]
        for n in notes
        if "intravenous" in n["flags"] and n["note_id"].startswith("team-b")
    ]
    assert [nid for _, nid in rows] == expected

    dom = dump_dom(sample_report / "report.html", "#element=route&page=1")
    expected = [n["note_id"] for n in notes if "route" in n["missing"]]
    assert [nid for _, nid in _rows(dom)] == expected


@pytest.fixture(scope="module")
def hostile_report(tmp_path_factory):
    """Notes whose text looks like markup, an unreadable record, and a --group-by column."""
    folder = tmp_path_factory.mktemp("hostile")
    rows = [
        {
            "id": "x1",
            "clinic": "A</script>",
            "text": "Ketorolac 60 mg IM given in R glut for "
            "back pain </script><script>document.title='pwned'</script> <!-- tolerated well.",
        },
        {"id": "x2", "clinic": "B", "text": None},
        {"id": "x3", "clinic": None, "text": "Follow-up in two weeks & <b>BP</b> recheck."},
    ]
    source = folder / "notes.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = folder / "report"
    result = CliRunner().invoke(
        app, ["audit", str(source), "--out", str(out), "--group-by", "clinic"]
    )
    assert result.exit_code == 1, result.output  # x2 cannot be read
    return out


def test_markup_in_notes_stays_text(hostile_report):
    page = (hostile_report / "report.html").read_text(encoding="utf-8")
    data = _script_json(page, "report-data")
    assert data["groups"] == ["A</script>", "B", "(blank)"]
    details = _script_json(page, "note-details")
    assert len(details) == 2  # x1 (an event) and x2 (an error); x3 has neither
    assert "&lt;/script&gt;&lt;script&gt;" in details[0]
    assert "record not audited" in details[1] and "missing text" in details[1]


@needs_chromium
def test_browser_keeps_markup_in_notes_as_text(hostile_report):
    dom = dump_dom(hostile_report / "report.html", "#note=x1")
    assert 'data-ready="1"' in dom and "<title>pwned" not in dom
    assert "&lt;/script&gt;&lt;script&gt;" in dom and "'pwned'&lt;/script&gt; &lt;!--" in dom
    dom = dump_dom(hostile_report / "report.html", "#group=A%3C%2Fscript%3E")
    assert [nid for _, nid in _rows(dom)] == ["x1"]


def test_an_inpatient_finding_says_which_setting_rule_read_the_note(spec):
    """An ``inpatient`` finding names why the note is inpatient (``html.setting_reason``): the
    setting.yaml rule its words match (title, heading or statement rule by index, a care
    profile by name, a written setting field), or the input's setting column when its
    words give another setting."""
    from auditor import audit
    from auditor.io.html import note_detail, setting_reason

    text = "ICU nursing note\nKetorolac 30 mg IM given in the R deltoid for pain; tolerated well."
    notes, events = audit([text])
    rows = events.to_dict("records")
    assert "inpatient" in rows[0]["flags"]
    html, _ = note_detail(notes.iloc[0].to_dict(), rows, text, spec)
    assert re.search(r"setting inpatient: its title matches setting.yaml note_rules\[\d+\]", html)
    patterns = load_patterns()
    assert setting_reason(patterns, "Patient class: I\nB12 given.", "inpatient") == (
        "setting inpatient from a setting field written in the note"
    )
    assert setting_reason(patterns, "Clinic visit\nB12 given.", "inpatient") == (
        "setting inpatient from the input's setting column"
    )
    html, _ = note_detail(notes.iloc[0].to_dict(), rows, None, spec)  # no text: no reason
    assert "setting inpatient:" not in html
