"""Real-text gold corpora (``corpora/gold/real/``): the loader, the per-corpus view, the labels.

Nursing lines carry no text (PhysioNet deid notes may not be copied into the repository):
``load_gold`` reads it from the shared data folder. Tests that need ``../shared`` skip with
a clear reason when it is absent.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.evaluate import (
    ELEMENTS,
    NURSING_CORPUS,
    GoldError,
    evaluate,
    load_gold,
    note_splits,
    read_deid_records,
    shared_data_dir,
)

from .conftest import ROOT

REAL = ROOT / "corpora" / "gold" / "real"
REAL_FILES = sorted(REAL.glob("*.jsonl"))

DEID = """START_OF_RECORD=7||||1||||
Pt comfortable overnight.
||||END_OF_RECORD

START_OF_RECORD=7||||2||||
Ketorolac 30 mg IM given R deltoid for pain, tolerated well.
||||END_OF_RECORD
"""

EXPECTED_EXCLUDED = {
    "status": "excluded",
    "n_injections": 0,
    "missing": [],
    "flags": ["intravenous"],
    "advisories": [],
    "events": [
        {
            "medication": "ondansetron",
            "route": "IV",
            "dose_value": 4,
            "dose_unit": "mg",
            "site": None,
            "laterality": None,
            "eligible": False,
        }
    ],
}
EXPECTED_NONE = {
    "status": "no_injection",
    "n_injections": 0,
    "missing": [],
    "flags": [],
    "advisories": [],
    "events": [],
}


def _nursing_line(note_id: str, record: str) -> dict:
    return {
        "note_id": note_id,
        "source": {"corpus": NURSING_CORPUS, "file": "id.text", "record": record},
        "split": "dev",
        "expected": EXPECTED_NONE,
        "why": "test",
    }


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def shared(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    (folder / NURSING_CORPUS).mkdir(parents=True)
    (folder / NURSING_CORPUS / "id.text").write_text(DEID, encoding="utf-8")
    monkeypatch.setenv("AUDITOR_SHARED_DATA", str(folder))
    return folder


def test_read_deid_records(shared):
    records = read_deid_records(shared / NURSING_CORPUS / "id.text")
    assert list(records) == ["7||||1", "7||||2"]
    assert records["7||||1"] == "Pt comfortable overnight.\n"
    assert records["7||||2"].startswith("Ketorolac 30 mg IM")


def test_shared_data_dir_from_env(shared):
    assert shared_data_dir() == shared


def test_load_gold_reads_nursing_text_from_shared(shared, tmp_path):
    gold = _write(tmp_path / "nursing.jsonl", [_nursing_line("nurs-7-2", "7||||2")])
    (row,) = load_gold([gold])
    assert row["text"].startswith("Ketorolac 30 mg IM given")
    assert row["gold_file"] == str(gold)
    assert row["split"] == "dev"


def test_load_gold_record_not_found_names_the_record(shared, tmp_path):
    gold = _write(tmp_path / "nursing.jsonl", [_nursing_line("nurs-7-9", "7||||9")])
    with pytest.raises(GoldError) as info:
        load_gold([gold])
    message = str(info.value)
    assert message.startswith("[E210] nursing.jsonl line 1: record 7||||9 not found in ")


def test_load_gold_absent_shared_folder_names_the_record(tmp_path, monkeypatch):
    monkeypatch.setenv("AUDITOR_SHARED_DATA", str(tmp_path / "nowhere"))
    gold = _write(tmp_path / "nursing.jsonl", [_nursing_line("nurs-7-1", "7||||1")])
    with pytest.raises(GoldError) as info:
        load_gold([gold])
    message = str(info.value)
    assert "record 7||||1 needs" in message
    assert "which is absent (set AUDITOR_SHARED_DATA" in message


def test_load_gold_line_without_text_or_source(tmp_path):
    gold = _write(tmp_path / "x.jsonl", [{"note_id": "a", "expected": EXPECTED_NONE}])
    with pytest.raises(GoldError, match=r"x.jsonl line 1: no text and no"):
        load_gold([gold])


def test_load_gold_bad_json(tmp_path):
    gold = tmp_path / "x.jsonl"
    good = json.dumps({"note_id": "a", "text": "x", "expected": EXPECTED_NONE})
    gold.write_text(good + "\n{not json\n", encoding="utf-8")
    with pytest.raises(GoldError, match=r"x.jsonl line 2: not valid JSON"):
        load_gold([gold])


NO_STATUS = {k: v for k, v in EXPECTED_NONE.items() if k != "status"}


@pytest.mark.parametrize(
    "line,message",
    [
        (["a"], "x.jsonl line 1: not a JSON object (got list)"),
        ({"text": "x", "expected": EXPECTED_NONE}, "x.jsonl line 1: no 'note_id' (a non-empty"),
        ({"note_id": "", "text": "x", "expected": EXPECTED_NONE}, "x.jsonl line 1: no 'note_id'"),
        ({"note_id": "a", "text": None, "expected": EXPECTED_NONE}, "'text' is not a string (got"),
        ({"note_id": "a", "text": "x"}, "x.jsonl line 1: no 'expected'"),
        ({"note_id": "a", "text": "x", "expected": []}, "'expected' is not a JSON object"),
        ({"note_id": "a", "text": "x", "expected": NO_STATUS}, "'expected' has no 'status'"),
        (
            {"note_id": "a", "text": "x", "expected": {**EXPECTED_NONE, "status": "ok"}},
            "expected.status must be one of gaps, compliant, excluded, no_injection, error "
            "(got str)",
        ),
        (
            {"note_id": "a", "text": "x", "expected": {**EXPECTED_NONE, "setting": "ward"}},
            "expected.setting must be one of outpatient, emergency, inpatient or null",
        ),
        (
            {"note_id": "a", "text": "x", "expected": {**EXPECTED_NONE, "n_injections": "1"}},
            "expected.n_injections is not a whole number",
        ),
        (
            {"note_id": "a", "text": "x", "expected": {**EXPECTED_NONE, "missing": "site"}},
            "expected.missing is not a list",
        ),
        (
            {"note_id": "a", "text": "x", "expected": {**EXPECTED_NONE, "events": ["x"]}},
            "expected.events item 1 is not a JSON object",
        ),
        (
            {"note_id": "a", "text": "x", "expected": EXPECTED_NONE, "expected_v1": {}},
            "'expected_v1' has no 'status'",
        ),
    ],
)
def test_load_gold_names_the_line_and_field_a_line_lacks(tmp_path, line, message):
    """A malformed gold line stops with E210 naming its place and field (it used to end in
    a KeyError traceback from ``score``), and no value of the line is echoed."""
    gold = tmp_path / "x.jsonl"
    gold.write_text(json.dumps(line) + "\n", encoding="utf-8")
    with pytest.raises(GoldError) as info:
        load_gold([gold])
    assert str(info.value).startswith("[E210] ")
    assert message in str(info.value)


def test_load_gold_refuses_a_repeated_note_id_across_files(tmp_path):
    """Scores are keyed by note id: a repeated id would be scored against another line's
    audit, so it stops with both places named."""
    first = _write(
        tmp_path / "a.jsonl", [{"note_id": "n1", "text": "x", "expected": EXPECTED_NONE}]
    )
    second = _write(
        tmp_path / "b.jsonl", [{"note_id": "n1", "text": "y", "expected": EXPECTED_NONE}]
    )
    with pytest.raises(GoldError) as info:
        load_gold([first, second])
    assert str(info.value) == f"[E210] b.jsonl line 1: same note_id as {first} line 1"


def test_load_gold_refuses_files_without_lines(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n", encoding="utf-8")
    with pytest.raises(GoldError) as info:
        load_gold([empty])
    assert str(info.value) == "[E210] the gold file(s) hold no labelled lines"


def test_evaluate_command_reports_a_malformed_gold_line_with_its_code(tmp_path):
    gold = _write(tmp_path / "g.jsonl", [{"note_id": "a", "text": "x", "expected": NO_STATUS}])
    result = CliRunner().invoke(app, ["evaluate", str(gold)])
    assert result.exit_code == 2
    assert result.stderr == "error: [E210] g.jsonl line 1: 'expected' has no 'status'\n"


def test_evaluate_command_reports_an_unexpected_failure_without_its_message(tmp_path, monkeypatch):
    """Like ``audit``: type and code location only (an exception message may quote a note),
    exit 2, no traceback."""
    import auditor.evaluate as evaluation

    def boom(*args, **kwargs):
        raise RuntimeError("note says: Toradol 60 mg IM given")

    monkeypatch.setattr(evaluation, "score", boom)
    gold = _write(tmp_path / "g.jsonl", [{"note_id": "a", "text": "x", "expected": EXPECTED_NONE}])
    result = CliRunner().invoke(app, ["evaluate", str(gold)])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: internal error (RuntimeError at test_real_gold.py:")
    assert "Toradol" not in result.stderr + result.stdout


@pytest.fixture(scope="module")
def two_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gold")
    iv = "Ondansetron 4 mg IV push given for nausea."
    none = "Follow-up visit. No medications given today."
    first = _write(
        folder / "first.jsonl",
        [
            {"note_id": "f-1", "text": iv, "split": "dev", "expected": EXPECTED_EXCLUDED},
            {"note_id": "f-2", "text": none, "split": "heldout", "expected": EXPECTED_NONE},
        ],
    )
    second = _write(
        folder / "second.jsonl",
        [{"note_id": "s-1", "text": none, "split": "dev", "expected": EXPECTED_EXCLUDED}],
    )
    return first, second


def test_evaluate_per_file_and_split(two_files):
    first, second = two_files
    result = evaluate([first, second])
    assert result["n_notes"] == 3
    assert set(result["per_file"]) == {str(first), str(second)}
    assert result["per_file"][str(first)]["n_notes"] == 2
    assert result["per_file"][str(first)]["status_accuracy"] == 1.0
    assert result["per_file"][str(second)]["status_accuracy"] == 0.0
    assert "disagreements" not in result["per_file"][str(first)]
    assert {k: v["n_notes"] for k, v in result["per_split"].items()} == {"dev": 2, "heldout": 1}
    assert result["per_split"]["dev"]["status_accuracy"] == 0.5
    assert result["per_split"]["heldout"]["events"]["f1"] == 1.0
    assert set(result["per_file_split"][str(first)]) == {"dev", "heldout"}
    assert set(result["per_file_split"][str(second)]) == {"dev"}
    assert result["setting_accuracy"] is None


def test_cli_evaluate_prints_one_line_per_file_and_split(two_files, tmp_path):
    first, second = two_files
    out = tmp_path / "scores.json"
    result = CliRunner().invoke(app, ["evaluate", str(first), str(second), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [line.replace("all files", "all-files").split() for line in result.output.splitlines()]
    by_key = {tuple(cells[:2]): cells[2:] for cells in lines if len(cells) >= 9}
    assert by_key[(str(first), "all")][:2] == ["2", "1.000"]
    assert by_key[(str(first), "heldout")][:2] == ["1", "1.000"]
    assert by_key[(str(second), "all")][:2] == ["1", "0.000"]
    assert by_key[("all-files", "dev")][:2] == ["2", "0.500"]
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert set(saved["per_split"]) == {"dev", "heldout"}


def test_cli_evaluate_show_split_prints_only_that_split(tmp_path):
    none = "Follow-up visit. No medications given today."
    gold = _write(
        tmp_path / "g.jsonl",
        [
            {"note_id": "d-1", "text": none, "split": "dev", "expected": EXPECTED_EXCLUDED},
            {"note_id": "h-1", "text": none, "split": "heldout", "expected": EXPECTED_EXCLUDED},
            {"note_id": "n-1", "text": none, "expected": EXPECTED_EXCLUDED},
        ],
    )
    printed = {}
    for split in ("dev", "heldout"):
        result = CliRunner().invoke(app, ["evaluate", str(gold), "--show-split", split])
        assert result.exit_code == 0, result.output
        printed[split] = sorted(
            {line.split()[0] for line in result.output.splitlines() if "status: expected" in line}
        )
    assert printed == {"dev": ["d-1", "n-1"], "heldout": ["h-1", "n-1"]}
    assert note_splits([gold]) == {"d-1": "dev", "h-1": "heldout"}
    # --out of a tuning run holds only that split's disagreements, the figures stay whole
    out = tmp_path / "dev.json"
    result = CliRunner().invoke(
        app, ["evaluate", str(gold), "--show-split", "dev", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert sorted({d["note_id"] for d in saved["disagreements"]}) == ["d-1", "n-1"]
    assert saved["disagreements_split"] == "dev"
    assert set(saved["per_split"]) == {"dev", "heldout"}
    bad = CliRunner().invoke(app, ["evaluate", str(gold), "--show-split", "test"])
    assert bad.exit_code == 2


# --- the stored real-text corpora --------------------------------------------------------


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_gold_lines_are_well_formed(path):
    rows = _lines(path)
    ids = [r["note_id"] for r in rows]
    assert len(ids) == len(set(ids)), "duplicate note ids"
    for row in rows:
        nid, exp = row["note_id"], row["expected"]
        assert row["split"] in ("dev", "heldout"), nid
        assert isinstance(row["source"], dict) and row["source"].get("corpus"), nid
        if row["source"]["corpus"] == NURSING_CORPUS:
            assert "text" not in row, f"{nid}: nursing text must not be stored"
            assert nid.startswith("nurs-"), nid
        else:
            assert row["text"].strip(), nid
        eligible = [e for e in exp["events"] if e["eligible"]]
        assert exp["n_injections"] == len(eligible), nid
        status = (
            "gaps"
            if exp["missing"]
            else "compliant"
            if eligible
            else "excluded"
            if exp["events"]
            else "no_injection"
        )
        assert exp["status"] == status, nid
        assert exp["missing"] == [m for m in ELEMENTS if m in exp["missing"]], nid
        if not eligible:
            assert exp["missing"] == [] and exp["advisories"] == [], nid
        if all("flags" in e for e in exp["events"]):
            union = {f for e in exp["events"] for f in e["flags"]}
            assert set(exp["flags"]) - {"not_administered"} == union, nid
        if exp.get("setting") == "inpatient":
            assert all(not e["eligible"] for e in exp["events"]), nid


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.name)
def test_real_gold_texts_resolve(path):
    rows = _lines(path)
    if any("text" not in r for r in rows) and not (shared_data_dir() / NURSING_CORPUS).is_dir():
        pytest.skip(
            f"{path.name} reads note text from {shared_data_dir() / NURSING_CORPUS}, "
            "which is absent (../shared not present; set AUDITOR_SHARED_DATA)"
        )
    loaded = load_gold([path])
    assert len(loaded) == len(rows)
    assert all(r["text"].strip() for r in loaded)


# --- no nursing text in the repository ----------------------------------------------------

NGRAM = 6
"""Words in a row that may not match the nursing notes: 6 catches a copied clause, while
generic 5-word nursing phrases (a drug, a dose, a route and a verb) stay allowed."""

CC0_NGRAM = 8
"""The same for the MTSamples gold files (``CC0_GOLD``): CC0 transcriptions share 6-word
clinical phrases with the nursing notes by coincidence, so there only a copied sentence (8
words) fails."""

CC0_GOLD = ("corpora/gold/mtsamples.jsonl", "corpora/gold/real/mtsamples.jsonl")
"""Gold files whose text is MTSamples' own (CC0), not the nursing notes'."""

GENERIC_RUNS: frozenset[str] = frozenset()
"""6-word runs of generic clinical English allowed although a nursing note has them too (add
a run only if it is common wording, never a note's own phrase; empty today)."""

TEXT_SUFFIXES = (".jsonl", ".json", ".yaml", ".yml", ".md", ".csv", ".py", ".txt", ".j2", ".toml")
"""Tracked files with these suffixes are scanned."""


def _ngrams(text: str, n: int) -> set[int]:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return {hash(tuple(words[i : i + n])) for i in range(len(words) - n + 1)}


def test_no_nursing_text_in_repository():
    """No tracked text file repeats 6 words in a row of a PhysioNet deid nursing note (8 in
    the MTSamples gold files), but for the generic runs of ``GENERIC_RUNS``.

    The shared data README forbids copying nursing-note text into the repository (refer to
    records by number); this catches a case row, rule comment, gold `why` or doc that quotes
    one. Only file names are reported, never the matching words.
    """
    deid = shared_data_dir() / NURSING_CORPUS / "id.text"
    if not deid.is_file():
        pytest.skip(
            f"nursing notes not found at {deid} (../shared absent; set AUDITOR_SHARED_DATA)"
        )
    nursing = " ".join(read_deid_records(deid).values())
    notes = _ngrams(nursing, NGRAM) - {hash(tuple(run.split())) for run in GENERIC_RUNS}
    sentences = _ngrams(nursing, CC0_NGRAM)
    listed = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.split()
    if not listed:
        pytest.skip("not a git checkout: no list of tracked files")
    offending = []
    for name in listed:
        path = ROOT / name
        if path.suffix not in TEXT_SUFFIXES or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        if name in CC0_GOLD:
            if _ngrams(text, CC0_NGRAM) & sentences:
                offending.append(name)
        elif _ngrams(text, NGRAM) & notes:
            offending.append(name)
    assert offending == [], "files quoting nursing-note text (reword them): " + ", ".join(offending)


NURSING_BATCH_2 = "nursing-2026-12-06"
"""Helper nursing's seeded dev batch of issue 12 (PROVENANCE.md, nursing batch 2)."""


def test_nursing_batch_2_is_24_dev_notes():
    rows = _lines(REAL / "nursing.jsonl")
    batch = [r for r in rows if r.get("batch") == NURSING_BATCH_2]
    assert len(batch) == 24
    assert {r["split"] for r in batch} == {"dev"}
    assert sum(r["expected"]["status"] == "no_injection" for r in batch) == 9
    assert sum(len(r["expected"]["events"]) for r in batch) == 30


@pytest.mark.parametrize(
    ("batch_name", "no_injection", "events", "reserved_files"),
    [
        # helper nursing's seeded dev batches (PROVENANCE.md, nursing batches 3-19), each drawn
        # with the ids reserved at its time excluded and labelled before the tool was run on it
        ("nursing-3", 10, 35, ("/work/blind3_reserved.txt",)),
        ("nursing-4", 9, 30, ("/work/blind4_reserved.txt",)),
        ("nursing-5", 9, 31, ("/work/reserved_all.txt",)),
        ("nursing-7", 9, 32, ("/work/blind7_reserved.txt", "/work/reserved_all.txt")),
        ("nursing-8", 6, 29, ("/work/blind7_reserved.txt", "/work/reserved_all.txt")),
        ("nursing-9", 8, 37, ("/work/blind7_reserved.txt", "/work/reserved_all.txt")),
        ("nursing-10", 7, 44, ("/work/blind7_reserved.txt", "/work/reserved_all.txt")),
        ("nursing-11", 10, 26, ("/work/blind7_reserved.txt", "/work/reserved_all.txt")),
        ("nursing-12", 7, 36, ("/work/blind7_reserved.txt", "/work/reserved_all.txt")),
        ("nursing-13", 9, 32, ("/work/blind7_reserved.txt", "/work/reserved_all.txt")),
        ("nursing-14", 8, 30, ("/work/blind7_reserved.txt", "/work/reserved_all.txt")),
        # drawn excluding gold only (the reserved-id files no longer exist)
        ("nursing-15", 11, 23, ()),
        # batch nursing-16 was drawn when no reserved-id file existed any more (draws exclude gold)
        ("nursing-16", 9, 32, ()),
        ("nursing-17", 8, 28, ()),
        # batch nursing-18 was drawn excluding gold and batch nursing-17's draw (PROVENANCE.md)
        ("nursing-18", 9, 35, ()),
        # batch nursing-19 was drawn excluding gold and the draws of batches nursing-17/18
        (
            "nursing-19",
            10,
            25,
            ("/work/s15/draws/nursing-17.ids", "/work/s15/draws/nursing-18.ids"),
        ),
        # batch nursing-20 was drawn excluding gold only (fifteenth round, PROVENANCE.md)
        ("nursing-20", 8, 32, ()),
        # batch nursing-21 was drawn excluding gold and batch nursing-20's draw
        ("nursing-21", 5, 34, ("/work/s15/draws/nursing-20.ids",)),
        # batch nursing-22 was drawn excluding gold only (sixteenth round, PROVENANCE.md)
        ("nursing-22", 7, 40, ()),
        # batch nursing-23 was drawn excluding gold and batch nursing-22's draw (sixteenth round)
        ("nursing-23", 12, 28, ("/work/s15/draws/nursing-22.ids",)),
        # batch nursing-25 was drawn excluding gold and batch nursing-24's draw (seventeenth round)
        ("nursing-25", 4, 45, ("/work/s15/draws/nursing-24.ids",)),
        # batch nursing-24 was drawn excluding gold only (seventeenth round, PROVENANCE.md)
        ("nursing-24", 10, 32, ()),
        # batch nursing-26 was drawn excluding gold and the draws of batches nursing-20..25, all
        # on main already (eighteenth round, PROVENANCE.md)
        (
            "nursing-26",
            7,
            39,
            tuple(f"/work/s15/draws/nursing-{n}.ids" for n in range(20, 26)),
        ),
        # batch nursing-27 was drawn excluding gold and the draws of batches nursing-20..26
        # (eighteenth round; the exclude file listed batch nursing-26's ids, not yet on main)
        ("nursing-27", 7, 38, ("/work/s15/draws/nursing-26.ids",)),
        # batch nursing-28 was drawn excluding gold and the draws of batches nursing-20..27, all
        # on main already (nineteenth round, PROVENANCE.md)
        (
            "nursing-28",
            12,
            33,
            tuple(f"/work/s15/draws/nursing-{n}.ids" for n in range(20, 28)),
        ),
        # batch nursing-29 was drawn excluding gold and the draws of batches nursing-20..28
        # (nineteenth round; the exclude file listed batch nursing-28's ids, not yet on main)
        ("nursing-29", 8, 39, ("/work/s15/draws/nursing-28.ids",)),
        # batch nursing-30 was drawn excluding gold only (twentieth round, PROVENANCE.md)
        ("nursing-30", 13, 17, ()),
    ],
)
def test_nursing_batch_is_25_dev_notes_outside_the_reserved_ids(
    batch_name: str, no_injection: int, events: int, reserved_files: tuple[str, ...]
):
    rows = _lines(REAL / "nursing.jsonl")
    batch = [r for r in rows if r.get("batch") == batch_name]
    assert len(batch) == 25
    assert {r["split"] for r in batch} == {"dev"}
    assert sum(r["expected"]["status"] == "no_injection" for r in batch) == no_injection
    assert sum(len(r["expected"]["events"]) for r in batch) == events
    for name in reserved_files:
        reserved = Path(name)
        if reserved.is_file():  # nursing records may be listed as note ids or record keys
            keys = {r["source"]["record"] for r in batch}
            assert not ({r["note_id"] for r in batch} | keys) & set(reserved.read_text().split())


def test_nursing_file_counts():
    rows = _lines(REAL / "nursing.jsonl")
    splits = [r["split"] for r in rows]
    assert (len(rows), splits.count("dev"), splits.count("heldout")) == (912, 769, 143)


BLIND_BATCH_3 = "blind-2026-12-06-r3"
"""Helper blind's third-round held-out batch (PROVENANCE.md), labelled before any tool run."""


def test_blind_batch_3_is_55_heldout_notes():
    batch = {
        path.stem: [r for r in _lines(path) if r.get("batch") == BLIND_BATCH_3]
        for path in REAL_FILES
    }
    assert {name: len(rows) for name, rows in batch.items()} == {
        "aci": 5,
        "mtsamples": 30,
        "nursing": 20,
    }
    rows = [r for name in sorted(batch) for r in batch[name]]
    assert {r["split"] for r in rows} == {"heldout"}
    statuses = [r["expected"]["status"] for r in rows]
    assert (statuses.count("excluded"), statuses.count("no_injection")) == (13, 42)
    events = {name: sum(len(r["expected"]["events"]) for r in batch[name]) for name in batch}
    assert events == {"aci": 0, "mtsamples": 10, "nursing": 13}


BLIND_BATCH_4 = "blind-2026-12-06-r4"
"""Helper blind's fourth-round held-out batch (PROVENANCE.md), labelled before any tool run."""


def test_blind_batch_4_is_49_heldout_notes():
    batch = {
        path.stem: [r for r in _lines(path) if r.get("batch") == BLIND_BATCH_4]
        for path in REAL_FILES
    }
    assert {name: len(rows) for name, rows in batch.items()} == {
        "aci": 5,
        "mtsamples": 24,
        "nursing": 20,
    }
    rows = [r for name in sorted(batch) for r in batch[name]]
    assert {r["split"] for r in rows} == {"heldout"}
    statuses = [r["expected"]["status"] for r in rows]
    assert (statuses.count("excluded"), statuses.count("no_injection")) == (18, 31)
    events = {name: sum(len(r["expected"]["events"]) for r in batch[name]) for name in batch}
    assert events == {"aci": 0, "mtsamples": 5, "nursing": 31}
    reserved = Path("/work/blind4_reserved.txt")
    if reserved.is_file():
        # the reserved list names MTSamples/ACI-BENCH notes by id, nursing notes by record key
        keys = {r["source"].get("record") or r["note_id"] for r in rows}
        assert keys <= set(reserved.read_text().split())


BLIND_STRATA = {"office": 4, "consult": 5, "discharge": 2, "procedure": 5, "trap": 5}
"""MTSamples strata of the fifth- and sixth-round blind draws (tools/draw_blind_heldout.py)."""

BLIND_STRATA_7 = {"office": 1, "consult": 7, "procedure": 7, "trap": 6}
"""MTSamples strata of the seventh-round blind draw (office pool of 1, no discharge pool)."""


@pytest.mark.parametrize(
    ("batch_name", "statuses", "events", "strata"),
    [
        # (excluded, no_injection) notes; gold events per file; MTSamples strata
        ("blind-2026-12-06-r5", (14, 32), {"aci": 0, "mtsamples": 4, "nursing": 20}, BLIND_STRATA),
        ("blind-2026-12-06-r6", (11, 35), {"aci": 0, "mtsamples": 6, "nursing": 23}, BLIND_STRATA),
        (
            "blind-2026-12-06-r7",
            (19, 27),
            {"aci": 0, "mtsamples": 6, "nursing": 26},
            BLIND_STRATA_7,
        ),
    ],
)
def test_blind_batches_5_to_7_are_46_heldout_notes_of_the_reserved_draw(
    batch_name: str, statuses: tuple[int, int], events: dict[str, int], strata: dict[str, int]
):
    """Helper blind's fifth- to seventh-round held-out batches (PROVENANCE.md), labelled
    before any tool run: sizes, split, statuses, events and MTSamples strata."""
    batch = {
        path.stem: [r for r in _lines(path) if r.get("batch") == batch_name] for path in REAL_FILES
    }
    assert {name: len(rows) for name, rows in batch.items()} == {
        "aci": 5,
        "mtsamples": 21,
        "nursing": 20,
    }
    rows = [r for name in sorted(batch) for r in batch[name]]
    assert {r["split"] for r in rows} == {"heldout"}
    got = [r["expected"]["status"] for r in rows]
    assert (got.count("excluded"), got.count("no_injection")) == statuses
    assert {name: sum(len(r["expected"]["events"]) for r in batch[name]) for name in batch} == (
        events
    )
    found = [r["stratum"] for r in batch["mtsamples"]]
    assert {s: found.count(s) for s in set(found)} == strata
    reserved = Path("/work/reserved_all.txt")
    if reserved.is_file():
        # the reserved list names nursing records in both forms (note id and record key)
        listed = set(reserved.read_text().split())
        assert {r["note_id"] for r in rows} <= listed
        assert {r["source"]["record"] for r in batch["nursing"]} <= listed


ACI_BATCH_3 = "aci-3"
"""Helper setting's seeded ACI-BENCH dev batch of issue 12 (PROVENANCE.md, ACI batch 3)."""


def test_aci_batch_3_is_12_dev_traps():
    rows = _lines(REAL / "aci.jsonl")
    assert len(rows) == 71
    batch = [r for r in rows if r.get("batch") == ACI_BATCH_3]
    assert len(batch) == 12
    assert {r["split"] for r in batch} == {"dev"}
    assert {r["expected"]["status"] for r in batch} == {"no_injection"}
    settings = [r["expected"]["setting"] for r in batch]
    assert (settings.count("outpatient"), settings.count(None)) == (5, 7)
