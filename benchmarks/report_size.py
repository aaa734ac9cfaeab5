"""Size of report.html per 100,000 notes, measured on a real report's rows. Not part of
the test suite.

    .venv/bin/python benchmarks/report_size.py REPORT_DIR INPUT.csv [--notes 100000]

Takes a report folder written by ``auditor audit INPUT.csv --out REPORT_DIR`` (e.g. the
20,000 generated notes of ``benchmarks/memory.py --keep``), feeds its note and event rows
with their input texts to the report builder again and again until ``--notes`` notes, and
writes the page: its size is that of a report of that many such notes (the 30-million-
character text budget included), without auditing them all. Prints the size and the peak
RSS of this process.
"""

from __future__ import annotations

import argparse
import itertools
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    from auditor.io.html import ReportBuilder, default_locator, read_report_rows, write_page
    from auditor.io.readers import read_records
    from auditor.patterns import load_patterns
    from auditor.requirements import RequirementSpec

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("input", type=Path)
    parser.add_argument("--notes", type=int, default=100_000)
    args = parser.parse_args()
    pairs = [
        (note, events, record.text)
        for (note, events), record in zip(
            read_report_rows(args.report), read_records(args.input), strict=True
        )
    ]
    spec = RequirementSpec(load_patterns(None).requirements)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        builder = ReportBuilder(spec, default_locator(None), spill_dir=tmp)
        for note, events, text in itertools.islice(itertools.cycle(pairs), args.notes):
            builder.add(note, events, text)
        page = write_page(builder, Path(tmp) / "report.html", {"input": str(args.input)})
        size = page.stat().st_size
        builder.close()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"{args.notes:,} notes (rows of {len(pairs):,} repeated): report.html {size / 1e6:.1f} MB "
        f"({size / args.notes:.0f} bytes a note); text embedded until the budget; "
        f"peak RSS {peak:.0f} MB; {time.perf_counter() - started:.0f} s"
    )


if __name__ == "__main__":
    main()
