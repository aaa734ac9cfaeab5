"""Memory benchmark on generated notes with realistic unique tokens (issue 15). Not part of
the test suite.

    .venv/bin/python benchmarks/memory.py [--sizes 20000 200000] [--workers 1] [--json out.json]

Generates each size of notes with ``benchmarks/notegen.py`` (every note a new MRN, name,
times, dates, values, lot number and one documented injection: strings spaCy has not seen,
as in real exports) and runs ``auditor audit`` on it twice, with and without report.html
(``--no-html``), under ``/usr/bin/time -v``. Prints a table: notes, report.html or not,
peak RSS (MB, the largest process of the run: the only one with 1 worker), wall time,
notes/s and the size of report.html; then the ratio of the largest size's peak to the
smallest's (target: <= 1.3x and < 1 GB, report included).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.notegen import write_csv  # noqa: E402


def _proc_kb(pid: int, field: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _done(out: Path) -> int:
    """Notes written so far (lines of the run's notes.jsonl, in its temporary folder)."""
    for part in out.parent.glob(f".{out.name}.tmp-*/notes.jsonl.part"):
        try:
            with open(part, "rb") as handle:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
        except OSError:
            return 0
    return 0


def peak_rss(
    cmd: list[str], out: Path, every: int = 0, label: str = ""
) -> tuple[float, float, int]:
    """``(peak RSS in MB, wall seconds, exit code)`` of ``cmd`` under ``/usr/bin/time -v``.

    With ``every`` > 0, also prints the process's peak RSS so far (``VmHWM``) each time
    another ``every`` notes have been written: the curve of one long run.
    """
    started = time.perf_counter()
    proc = subprocess.Popen(
        ["/usr/bin/time", "-v", *cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    next_mark = every
    while every and proc.poll() is None:
        time.sleep(5)
        kids = _children(proc.pid)
        done = _done(out)
        if kids and done >= next_mark:
            hwm = _proc_kb(kids[0], "VmHWM") / 1024
            print(f"  {label} {done:>8,} notes written: peak RSS so far {hwm:7.1f} MB "
                  f"({time.perf_counter() - started:7.0f} s)", flush=True)  # fmt: skip
            next_mark = (done // every + 1) * every
    _, stderr = proc.communicate()
    wall = time.perf_counter() - started
    match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", stderr)
    return (int(match.group(1)) / 1024 if match else float("nan")), wall, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 200_000])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--html", choices=["both", "with", "without"], default="both")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="keep inputs and reports in this folder")
    parser.add_argument(
        "--every", type=int, default=0, help="print the peak so far every N notes written"
    )
    args = parser.parse_args()
    auditor = [sys.executable, "-m", "auditor.cli"]  # PYTHONPATH may point at a snapshot
    work = Path(args.keep or tempfile.mkdtemp(prefix="auditor-memory-"))
    work.mkdir(parents=True, exist_ok=True)
    modes = {"both": [True, False], "with": [True], "without": [False]}[args.html]
    rows = []
    print(f"{'notes':>8} {'report.html':>11} {'peak RSS MB':>11} {'wall s':>8} "
          f"{'notes/s':>8} {'report MB':>9} exit")  # fmt: skip
    for n in args.sizes:
        source = write_csv(work / f"notes-{n}.csv", n)
        for html in modes:
            out = work / f"report-{n}-{'html' if html else 'nohtml'}"
            cmd = [*auditor, "audit", str(source), "--out", str(out), "--force",
                   "--workers", str(args.workers)] + ([] if html else ["--no-html"])  # fmt: skip
            rss, wall, code = peak_rss(
                cmd, out, args.every, f"{n:,}/{'html' if html else 'no html'}"
            )
            page = out / "report.html"
            size = page.stat().st_size / 1e6 if page.exists() else 0.0
            row = {"notes": n, "html": html, "peak_rss_mb": round(rss, 1),
                   "wall_s": round(wall, 1), "notes_per_s": round(n / wall, 1),
                   "report_mb": round(size, 1), "exit": code}  # fmt: skip
            rows.append(row)
            print(f"{n:>8} {'yes' if html else 'no':>11} {rss:>11.1f} {wall:>8.1f} "
                  f"{n / wall:>8.1f} {size:>9.1f} {code}", flush=True)  # fmt: skip
    for html in modes:
        peaks = {r["notes"]: r["peak_rss_mb"] for r in rows if r["html"] == html}
        lo, hi = min(peaks), max(peaks)
        if lo != hi:
            ratio = peaks[hi] / peaks[lo]
            verdict = "reached" if ratio <= 1.3 and peaks[hi] < 1024 else "NOT reached"
            print(f"report.html {'yes' if html else 'no'}: peak at {hi:,} = {ratio:.2f}x the "
                  f"peak at {lo:,} ({verdict}: <= 1.3x, < 1 GB)")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
