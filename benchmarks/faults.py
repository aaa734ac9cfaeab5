"""The fault battery's slow cases (issue 15), run on demand. Not part of the test suite.

    .venv/bin/python benchmarks/faults.py [--notes 2000] [--only NAME ...] [--json out.json]

Each case runs ``auditor audit`` as a real process on generated notes
(``benchmarks/notegen.py``) whose texts all carry a canary marker, does something hostile
to it (kills a worker, sends a signal, starts a second run on the same folder, ...) and
prints one table row: records in, records out (lines of ``notes.jsonl``), exit code, wall
time, whether the canary was found outside report content (stdout, stderr, or any file
left outside the report folder: ``.part`` and temporary files), and whether the case
passed. The fast cases are ``tests/test_faults.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.notegen import notes  # noqa: E402

CANARY = "CANARY-96372-Q"
AUDITOR = [sys.executable, "-m", "auditor.cli"]  # PYTHONPATH may point at a snapshot


@dataclass
class Outcome:
    case: str
    records_in: int
    records_out: int
    exit_code: int | None
    wall_s: float
    canary_outside: bool
    passed: bool
    note: str = ""


def write_input(path: Path, n: int) -> Path:
    """``n`` generated notes, each carrying the canary, as CSV."""
    import csv

    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["note_id", "text", "clinic"])
        for i, (note_id, text) in enumerate(notes(n)):
            writer.writerow([note_id, f"{text} {CANARY}", f"clinic-{i % 7}"])
    return path


def start(source: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*AUDITOR, "audit", str(source), "--out", str(out), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for(predicate: Callable[[], bool], proc: subprocess.Popen, limit: float = 300) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        if proc.poll() is not None or time.monotonic() > deadline:
            return
        time.sleep(0.1)


def children(pid: int) -> list[int]:
    """Direct child processes of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def workers_of(pid: int) -> list[int]:
    """Pool workers of ``pid``: forked children running its command line (not the
    multiprocessing resource tracker)."""
    own = Path(f"/proc/{pid}/cmdline").read_bytes()
    found = []
    for child in children(pid):
        try:
            if Path(f"/proc/{child}/cmdline").read_bytes() == own:
                found.append(child)
        except OSError:
            continue
    return sorted(found)


def _written(out: Path) -> int:
    """Notes written so far (in the run's temporary folder)."""
    return sum(count_lines(p) for p in out.parent.glob(f".{out.name}.tmp-*/notes.jsonl.part"))


def count_lines(path: Path) -> int:
    try:
        with open(path, encoding="utf-8") as handle:
            return sum(1 for _ in handle)
    except OSError:
        return 0


def canary_outside(work: Path, report: Path, texts: list[str]) -> bool:
    """The canary in stdout/stderr, or in any file under ``work`` outside the report folder
    and the inputs (``in.*``)."""
    if any(CANARY in t for t in texts):
        return True
    for path in work.rglob("*"):
        if not path.is_file() or path.stem == "in" or report in path.parents:
            continue
        try:
            if CANARY.encode() in path.read_bytes():
                return True
        except OSError:
            continue
    return False


def finish(name: str, work: Path, proc: subprocess.Popen, started: float, n: int,
           want_exit: int, want_out: int | None, out: Path, note: str = "") -> Outcome:  # fmt: skip
    try:
        stdout, stderr = proc.communicate(timeout=900)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        stdout, stderr = proc.communicate()
        note = (note + "; " if note else "") + "HUNG (killed after 900 s)"
    wall = time.perf_counter() - started
    got = count_lines(out / "notes.jsonl")
    leak = canary_outside(work, out, [stdout, stderr])
    ok = proc.returncode == want_exit and not leak and (want_out is None or got == want_out)
    if "Traceback" in stderr:
        ok, note = False, (note + "; " if note else "") + "traceback on stderr"
    return Outcome(name, n, got, proc.returncode, round(wall, 1), leak, ok, note)


def case_worker_sigkill(work: Path, source: Path, n: int) -> Outcome:
    """--workers 2, one worker SIGKILLed mid-run (the OOM killer): nothing lost, exit 0."""
    out = work / "report"
    started = time.perf_counter()
    proc = start(source, out, "--workers", "2")
    wait_for(lambda: len(workers_of(proc.pid)) >= 2, proc)
    time.sleep(8)
    victims = workers_of(proc.pid)
    if victims:
        os.kill(victims[-1], signal.SIGKILL)
    return finish("worker SIGKILL (--workers 2)", work, proc, started, n, 0, n, out,
                  f"killed pid {victims[-1] if victims else None}")  # fmt: skip


def _signal_case(name: str, signums: list[int], want: int) -> Callable[..., Outcome]:
    def case(work: Path, source: Path, n: int) -> Outcome:
        out = work / "report"
        started = time.perf_counter()
        proc = start(source, out)
        wait_for(lambda: any(work.glob(".report.tmp-*")), proc)
        time.sleep(5)
        for s in signums:
            os.kill(proc.pid, s)
            time.sleep(0.05)
        outcome = finish(name, work, proc, started, n, want, 0, out)
        left = sorted(p.name for p in work.iterdir() if p.name != "in.csv")
        if left:
            outcome.passed, outcome.note = False, f"left behind: {left}"
        rerun = subprocess.run([*AUDITOR, "audit", str(source), "--out", str(out)],
                               capture_output=True, text=True, check=False)  # fmt: skip
        if rerun.returncode != 0 or count_lines(out / "notes.jsonl") != n:
            outcome.passed, outcome.note = False, f"rerun exit {rerun.returncode}"
        return outcome

    return case


def case_lock(work: Path, source: Path, n: int) -> Outcome:
    """Run B with --force while run A writes the same folder: B refused, A complete."""
    out = work / "report"
    started = time.perf_counter()
    first = start(source, out)
    wait_for(lambda: _written(out) >= 50, first)
    second = subprocess.run([*AUDITOR, "audit", str(source), "--out", str(out), "--force"],
                            capture_output=True, text=True, check=False)  # fmt: skip
    a_running = first.poll() is None
    outcome = finish("second run on a locked folder", work, first, started, n, 0, n, out)
    refused = second.returncode == 2 and "being written by another run" in second.stderr
    if not refused:  # a refusal names run A's lock: A was running when B looked
        outcome.passed = False
    outcome.note = f"run B exit {second.returncode}" + (" (refused)" if refused else "")
    if not refused and not a_running:
        outcome.note += "; run A had finished before run B (inconclusive: use more --notes)"
    return outcome


def case_dask_worker_killed(work: Path, source: Path, n: int) -> Outcome:
    """--engine dask, one Dask worker process SIGKILLed mid-run: Dask reruns its task."""
    out = work / "report"
    started = time.perf_counter()
    proc = start(source, out, "--engine", "dask")

    def dask_workers() -> list[int]:
        """Worker processes the nannies (in the CLI process) spawned."""
        found = []
        for child in children(proc.pid):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in cmdline or b"forkserver" in cmdline:
                found.append(child)
        return sorted(found)

    wait_for(lambda: len(dask_workers()) >= 2 and _written(out) >= 200, proc)
    workers = dask_workers()
    if workers:
        os.kill(workers[0], signal.SIGKILL)
    return finish("Dask worker SIGKILL", work, proc, started, n, 0, n, out,
                  f"killed pid {workers[0] if workers else None}")  # fmt: skip


def case_surrogates(work: Path, source: Path, n: int) -> Outcome:
    """JSONL with lone surrogates in ids and the --group-by column: every record out."""
    rows = [{"id": f"a\ud800{i}", "text": f"{t} {CANARY}", "clinic": "X\udfff"}
            for i, (_, t) in enumerate(notes(200))]  # fmt: skip
    jsonl = work / "in.jsonl"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = work / "report"
    started = time.perf_counter()
    proc = start(jsonl, out, "--group-by", "clinic")
    outcome = finish("lone surrogates (ids, --group-by)", work, proc, started, 200, 0, 200, out)
    jsonl.unlink()
    return outcome


CASES: dict[str, Callable[[Path, Path, int], Outcome]] = {
    "worker_sigkill": case_worker_sigkill,
    "sigterm": _signal_case("SIGTERM mid-run", [signal.SIGTERM], 143),
    "sighup": _signal_case("SIGHUP mid-run", [signal.SIGHUP], 129),
    "ctrl_c_twice": _signal_case("Ctrl-C twice", [signal.SIGINT, signal.SIGINT], 130),
    "lock": case_lock,
    "dask_worker_killed": case_dask_worker_killed,
    "surrogates": case_surrogates,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--notes", type=int, default=2000)
    parser.add_argument("--only", nargs="+", choices=sorted(CASES))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    outcomes = []
    header = f"{'case':<36} {'in':>6} {'out':>6} {'exit':>5} {'wall s':>7} {'canary':>7}  result"
    print(header)
    for name in args.only or list(CASES):
        with tempfile.TemporaryDirectory(prefix="auditor-faults-") as tmp:
            work = Path(tmp)
            source = write_input(work / "in.csv", args.notes)
            o = CASES[name](work, source, args.notes)
        outcomes.append(o)
        print(f"{o.case:<36} {o.records_in:>6} {o.records_out:>6} {o.exit_code!s:>5} "
              f"{o.wall_s:>7.1f} {'FOUND' if o.canary_outside else 'no':>7}  "
              f"{'pass' if o.passed else 'FAIL'}{'  (' + o.note + ')' if o.note else ''}",
              flush=True)  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps([asdict(o) for o in outcomes], indent=2) + "\n")
    sys.exit(0 if all(o.passed for o in outcomes) else 1)


if __name__ == "__main__":
    main()
