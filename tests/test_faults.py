"""The fault battery (fast cases): dying and hung workers, signals, the report folder's
lock and ``--force``, a full disk, hostile values. Slow cases (big inputs, real OOM, a
Dask worker killed from outside) are in ``benchmarks/faults.py``.

Every case states what went wrong before (issue 15) and checks records in = records out,
the exit code, and that nothing half-written is left.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

import auditor.core as core
from auditor.cli import app
from auditor.io.output import OutputFolder
from auditor.pool import WORKER_DIED, WORKER_HUNG, ordered_map

GIVEN = "Toradol 60 mg IM given in the right deltoid for renal colic. Tolerated well."
OTHER = "B12 1000 mcg IM given in L deltoid for pernicious anemia. Tolerated well."
KILL = "KILL-THIS-WORKER"


def cli(*args):
    return CliRunner().invoke(app, ["audit", *map(str, args)], catch_exceptions=False)


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text(encoding="utf-8").splitlines()]


def write_csv(path: Path, texts: list[str]) -> Path:
    rows = ["note_id,text"] + [f'n{i},"{t}"' for i, t in enumerate(texts, start=1)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    return path


# --- the worker pool ------------------------------------------------------------------------


def _square_or_die(items: list[int]) -> list[int]:
    if 5 in items:
        os._exit(9)  # as SIGKILL or the OOM killer would
    return [i * i for i in items]


def _die_once(items: list[tuple[int, str]]) -> list[int]:
    for i, flag in items:
        if i == 5 and not os.path.exists(flag):
            open(flag, "w").close()
            os._exit(9)
    return [i * i for i, _ in items]


def _hang_on_3(items: list[int]) -> list[int]:
    if 3 in items:
        time.sleep(3600)
    return [i * i for i in items]


def test_pool_dead_worker_marks_only_the_note_that_kills_twice():
    """Before: multiprocessing.Pool waited forever for the dead worker's results."""
    got = list(ordered_map(_square_or_die, range(40), 2, lambda i, why: why, chunk=4))
    assert got == [(i, WORKER_DIED if i == 5 else i * i) for i in range(40)]


def test_pool_worker_killed_once_costs_nothing(tmp_path):
    flag = str(tmp_path / "died")
    items = [(i, flag) for i in range(30)]
    got = list(ordered_map(_die_once, items, 2, lambda i, why: why, chunk=4))
    assert got == [((i, flag), i * i) for i in range(30)]
    assert os.path.exists(flag)


def test_pool_hung_worker_times_out():
    got = list(ordered_map(_hang_on_3, range(8), 2, lambda i, why: why, chunk=2, timeout=3))
    assert got == [(i, WORKER_HUNG if i == 3 else i * i) for i in range(8)]


def test_cli_workers_2_survives_a_note_that_kills_its_worker(tmp_path, monkeypatch):
    texts = [GIVEN, OTHER, "", f"{KILL} {GIVEN}"] * 10  # record 4 (and every 4th) kills
    source = write_csv(tmp_path / "notes.csv", texts)
    assert cli(source, "--out", tmp_path / "one").exit_code == 0
    real = core.audit_one

    def audit_one(record, *args, **kwargs):
        if KILL in (record.text or ""):
            os._exit(9)  # in the forked worker
        return real(record, *args, **kwargs)

    monkeypatch.setattr(core, "audit_one", audit_one)
    result = cli(source, "--out", tmp_path / "two", "--workers", "2")
    assert result.exit_code == 1
    one, two = lines(tmp_path / "one" / "notes.jsonl"), lines(tmp_path / "two" / "notes.jsonl")
    assert len(two) == len(texts) == 40
    for i, (a, b) in enumerate(zip(one, two, strict=True), start=1):
        if i % 4:
            assert b == a
        else:
            assert b["status"] == "error" and b["note_id"] == f"n{i}"
            assert b["error"] == (
                f"row {i}: worker died while auditing this note (twice); record not audited"
            )


# --- the report folder: lock, temporary folder, --force --------------------------------------


def test_input_inside_the_report_folder_is_refused(tmp_path):
    """Before: --force overwrote an input named notes.csv with the output."""
    out = tmp_path / "report"
    out.mkdir()
    source = write_csv(out / "notes.csv", [GIVEN])
    before = source.read_bytes()
    result = cli(source, "--out", out, "--force")
    assert result.exit_code == 2
    assert "lies inside the report folder" in result.stderr
    assert source.read_bytes() == before
    assert sorted(p.name for p in out.iterdir()) == ["notes.csv"]


def test_force_keeps_files_no_audit_wrote(tmp_path):
    source = write_csv(tmp_path / "in.csv", [GIVEN])
    out = tmp_path / "report"
    out.mkdir()
    (out / "notes.csv").write_text("mine\n")
    (out / "claims.csv").write_text("mine too\n")
    result = cli(source, "--out", out, "--force")
    assert result.exit_code == 2
    assert "holds notes.csv, which no earlier audit wrote" in result.stderr
    assert (out / "notes.csv").read_text() == "mine\n"
    (out / "notes.csv").unlink()
    assert cli(source, "--out", out, "--force").exit_code == 0  # claims.csv is not an output
    assert (out / "claims.csv").read_text() == "mine too\n"


def test_force_removes_only_the_earlier_audits_files(tmp_path):
    source = write_csv(tmp_path / "in.csv", [GIVEN])
    claims = tmp_path / "claims.csv"
    claims.write_text("note_id,code,units\nn1,96372,1\n")
    out = tmp_path / "report"
    assert cli(source, "--out", out, "--claims", claims).exit_code == 0
    (out / "mine.txt").write_text("keep\n")
    assert (out / "claims.jsonl").exists()
    assert cli(source, "--out", out, "--force").exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "events.csv", "events.jsonl", "mine.txt", "notes.csv", "notes.jsonl", "report.html",
        "report.xlsx", "run.json",
    ]  # fmt: skip
    assert json.loads((out / "run.json").read_text())["files"] == [
        "events.csv", "events.jsonl", "notes.csv", "notes.jsonl", "report.html", "report.xlsx",
        "run.json",
    ]  # fmt: skip


def test_a_second_run_on_a_locked_folder_is_refused(tmp_path):
    """Before: run B --force emptied run A's folder; A exited 0 with a partial report."""
    source = write_csv(tmp_path / "in.csv", [GIVEN])
    out = tmp_path / "report"
    with OutputFolder(out, True, ["notes.jsonl"]):
        result = cli(source, "--out", out, "--force")
    assert result.exit_code == 2
    assert f"is being written by another run (process {os.getpid()} on " in result.stderr
    assert cli(source, "--out", out, "--force").exit_code == 0  # the lock is gone


def test_a_killed_runs_temporary_folder_is_cleaned_up(tmp_path):
    source = write_csv(tmp_path / "in.csv", [GIVEN])
    stale = tmp_path / ".report.tmp-999999"
    stale.mkdir()
    (stale / "notes.jsonl.part").write_text("note text of a killed run\n")
    assert cli(source, "--out", tmp_path / "report").exit_code == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "report"]


@pytest.fixture
def earlier(tmp_path):
    """A finished report folder (and its bytes) to be replaced by a run that fails."""
    source = write_csv(tmp_path / "in.csv", [GIVEN, OTHER])
    out = tmp_path / "report"
    assert cli(source, "--out", out).exit_code == 0
    return source, out, {p.name: p.read_bytes() for p in out.iterdir()}


def _unchanged(out: Path, files: dict[str, bytes]) -> None:
    assert {p.name: p.read_bytes() for p in out.iterdir()} == files
    assert sorted(p.name for p in out.parent.iterdir()) == ["in.csv", "report"]


def test_interrupt_while_building_the_report_leaves_the_folder_as_it_was(earlier, monkeypatch):
    """Before: 'no report files were written' while notes.jsonl, events and run.json were."""
    import auditor.io.html as html

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    source, out, files = earlier
    monkeypatch.setattr(html, "write_page", interrupted)
    result = cli(source, "--out", out, "--force")
    assert result.exit_code == 130
    assert result.stderr == (
        f"interrupted (SIGINT): no report files were written; {out} is as it was\n"
    )
    _unchanged(out, files)


@pytest.mark.parametrize(
    "code,reason",
    [
        (errno.ENOSPC, "No space left on device (ENOSPC)"),
        (errno.EROFS, "Read-only file system (EROFS)"),
    ],
)
def test_disk_full_or_read_only_states_the_os_reason(earlier, monkeypatch, code, reason):
    import auditor.io.html as html

    real = html.ReportBuilder.write

    def write(self, handle, meta=None):
        real(self, handle, meta)
        raise OSError(code, os.strerror(code))

    source, out, files = earlier
    monkeypatch.setattr(html.ReportBuilder, "write", write)
    result = cli(source, "--out", out, "--force")
    assert result.exit_code == 2
    assert reason in result.stderr and "Toradol" not in result.stderr
    _unchanged(out, files)


# --- signals (a real process) ---------------------------------------------------------------


def _start(tmp_path: Path, n: int = 400) -> tuple[subprocess.Popen, Path]:
    source = write_csv(tmp_path / "in.csv", [GIVEN, OTHER, "Seen for follow-up."] * (n // 3))
    out = tmp_path / "report"
    proc = subprocess.Popen(
        [sys.executable, "-m", "auditor.cli", "audit", str(source), "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".report.tmp-*")):
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.1)
    time.sleep(1.0)
    return proc, out


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_sigterm_and_sighup_stop_the_run_like_ctrl_c(tmp_path, signum):
    """Before: .part files with note text stayed behind, no message, a rerun was refused."""
    proc, out = _start(tmp_path)
    proc.send_signal(signum)
    _, stderr = proc.communicate(timeout=120)
    name = signal.Signals(signum).name
    assert proc.returncode == 128 + signum
    assert stderr.endswith(
        f"interrupted ({name}): no report files were written; {out} is as it was\n"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]
    assert cli(tmp_path / "in.csv", "--out", out).exit_code == 0  # a rerun works


def test_ctrl_c_twice_gives_no_traceback(tmp_path):
    """Before: a raw traceback and exit code -2."""
    proc, out = _start(tmp_path)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130
    assert "Traceback" not in stderr
    assert stderr.endswith("is as it was\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


def test_a_stop_signal_where_python_cannot_raise_prints_no_traceback(monkeypatch):
    """Before: under load, a second Ctrl-C that landed in an ``abc`` callback during an import
    printed "Exception ignored in: <module 'abc' ...>" and a traceback (exit code still 130).
    While a run is active an ``Interrupted`` that Python cannot raise is dropped silently (the
    stop is recorded and ``check_stop`` ends the run); any other such exception goes to the
    hook in place before (Python's prints it), which is restored after the run."""
    from auditor.run import STOPPED, Interrupted, check_stop, signals_interrupt

    class Raises:
        def __init__(self, exc: BaseException) -> None:
            self.exc = exc

        def __del__(self) -> None:
            raise self.exc

    seen: list[BaseException] = []
    before = seen_hook = lambda info: seen.append(info.exc_value)  # noqa: E731
    monkeypatch.setattr(sys, "unraisablehook", seen_hook)
    with signals_interrupt():
        STOPPED.append(signal.SIGINT)
        Raises(Interrupted(signal.SIGINT))  # collected at once: its __del__ raises
        assert seen == []
        with pytest.raises(Interrupted):
            check_stop()
        Raises(ValueError("other"))
        assert [type(e) for e in seen] == [ValueError]
    assert sys.unraisablehook is before


def test_a_stop_signal_swallowed_by_library_code_still_stops_the_run(tmp_path, monkeypatch):
    """Before: a SIGTERM that arrived while a library's bare ``except:`` was running (an
    optional import during the pipeline build) was lost: the run went on and exited 0."""
    source = write_csv(tmp_path / "in.csv", [GIVEN, OTHER])
    real = core._engine

    def engine(patterns_dir, spec_id=None):
        try:
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(1)
        except BaseException:  # noqa: BLE001 - what such library code does
            pass
        return real(patterns_dir, spec_id)

    monkeypatch.setattr(core, "_engine", engine)
    result = cli(source, "--out", tmp_path / "report")
    assert result.exit_code == 143
    assert result.stderr.startswith("interrupted (SIGTERM): no report files were written")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv"]


# --- one bad value never ends the run ------------------------------------------------------


def test_lone_surrogates_in_ids_and_group_values(tmp_path):
    """Before: 4 records in, 0 out, exit 2 (id); a crash building the report (group)."""
    rows = [
        {"id": "a\ud800b", "text": GIVEN, "clinic": "X\udfffY"},
        {"id": "b", "text": OTHER, "clinic": "Z"},
        {"id": "c\udc80", "text": "Seen today.", "clinic": "\ud83d"},
        {"id": "d", "text": f"{GIVEN} \ud83d", "clinic": "Z"},
    ]
    source = tmp_path / "notes.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "report"
    result = cli(source, "--out", out, "--group-by", "clinic")
    assert result.exit_code == 0, result.output
    notes = lines(out / "notes.jsonl")
    assert [(n["note_id"], n["status"]) for n in notes] == [
        ("a\ufffdb", "compliant"),
        ("b", "compliant"),
        ("c\ufffd", "no_injection"),
        ("d", "compliant"),
    ]
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "X\ufffdY" in page


def test_a_310_digit_dose_is_no_dose(tmp_path):
    """Before: OverflowError, the note was an error."""
    source = write_csv(tmp_path / "in.csv", [f"Ketorolac {'9' * 310} mg IM given in R glut."])
    result = cli(source, "--out", tmp_path / "report")
    assert result.exit_code == 0
    (note,) = lines(tmp_path / "report" / "notes.jsonl")
    assert note["status"] == "gaps" and "dose" in note["missing"]


def test_claim_units_inf_and_1e400_do_not_end_the_run(tmp_path):
    """Before: OverflowError discarded the whole audit."""
    source = write_csv(tmp_path / "in.csv", [GIVEN, OTHER])
    claims = tmp_path / "claims.csv"
    claims.write_text("note_id,code,units\nn1,96372,inf\nn2,J3420,1e400\nn1,J1885,4\n")
    result = cli(source, "--out", tmp_path / "report", "--claims", claims)
    assert result.exit_code == 0, result.output
    got = lines(tmp_path / "report" / "claims.jsonl")
    assert [(c["note_id"], c["code"], c["units"]) for c in got] == [
        ("n1", "96372", "inf"),
        ("n2", "J3420", "1e400"),
        ("n1", "J1885", "4"),
    ]


@pytest.mark.parametrize(
    "edit,message",
    [
        ("required:\n", "required: 'medication' is not of type 'array'"),
        ("status_precedence:", "status_precedence: 'error' is not of type 'array'"),
    ],
)
def test_a_rule_list_given_as_a_string_is_a_coded_error_at_load(tmp_path, edit, message):
    """Before: every note was an error, then a crash with row files left."""
    from auditor.patterns import DEFAULT_PATTERNS_DIR

    patterns = tmp_path / "patterns"
    shutil.copytree(DEFAULT_PATTERNS_DIR, patterns)
    spec = patterns / "requirements" / "cpt_96372.v1.yaml"
    text = spec.read_text(encoding="utf-8")
    if edit == "required:\n":
        head, tail = text.split("required:", 1)
        tail = tail[tail.index("advisory:") :]
        text = head + "required: medication\n" + tail
    else:
        text = "\n".join(
            "status_precedence: error" if line.startswith("status_precedence:") else line
            for line in text.splitlines()
        )
    spec.write_text(text, encoding="utf-8")
    source = write_csv(tmp_path / "in.csv", [GIVEN])
    result = cli(source, "--out", tmp_path / "report", "--patterns", patterns)
    assert result.exit_code == 2
    assert result.stderr == f"error: [E101] requirements/cpt_96372.v1.yaml: {message}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.csv", "patterns"]


# --- the report in a browser -----------------------------------------------------------------


def test_note_proto_in_the_url_keeps_the_table(tmp_path):
    """Before: ``#note=__proto__`` blanked the table (a plain object as the id index)."""
    from .test_html_report import _rows, dump_dom, needs_chromium

    if needs_chromium.args[0]:
        pytest.skip(needs_chromium.kwargs["reason"])
    source = write_csv(tmp_path / "in.csv", [GIVEN, OTHER])
    out = tmp_path / "report"
    assert cli(source, "--out", out).exit_code == 0
    dom = dump_dom(out / "report.html", "#note=__proto__")
    assert [nid for _, nid in _rows(dom)] == ["n1", "n2"]
    assert "No note with id __proto__." in dom


# --- memory ----------------------------------------------------------------------------------


def test_pipeline_renewed_when_the_vocabulary_grows_gives_the_same_output(monkeypatch):
    """Before: spaCy's string store grew with every new MRN, time and name (784 MB at
    100,000 notes); now the pipeline is rebuilt after VOCAB_RENEW_STRINGS new strings."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from auditor.records import NoteRecord
    from benchmarks.notegen import notes

    records = [NoteRecord(i, nid, text) for i, (nid, text) in enumerate(notes(40), start=1)]
    expected = list(core.audit_records(records))
    builds = core._STATE.get("builds", 0)
    monkeypatch.setattr(core, "VOCAB_RENEW_STRINGS", 150)  # ~15 new strings per note
    renewed = list(core.audit_records(records))
    nlp = core._STATE["nlp"]
    assert core._STATE["builds"] - builds >= 2
    assert len(nlp.vocab.strings) - core._STATE["strings"] <= 150 + 60
    assert renewed == expected
