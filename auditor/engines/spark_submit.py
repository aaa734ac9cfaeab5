"""spark-submit entry point (absolute imports only, so it runs as a script).

    spark-submit --master spark://host:7077 \\
        "$(python -c 'import auditor.engines.spark_submit as m; print(m.__file__)')" \\
        notes.parquet --out report/ [--id-col C] [--text-col C] [--patterns DIR] [--redact]
        [--force] [--claims FILE] [--payer NAME] [--group-by COLUMN]

Runs ``auditor.run.run_audit`` with the Spark engine in spark-submit's session: the
report folder (report.html included) is the one ``auditor audit --engine spark`` writes,
and the exit codes are those of ``auditor audit``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from auditor.errors import AuditorError
from auditor.run import Interrupted, RunOptions, run_audit


def main(argv: list[str] | None = None) -> int:
    """Parse ``argv``, run the audit on Spark, print the summary; return the exit code
    (0 done, 1 some records are errors, 2 usage or input error, 128+signal interrupted)."""
    parser = argparse.ArgumentParser(prog="auditor-spark")
    parser.add_argument("input", type=Path)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--id-col")
    parser.add_argument("--text-col")
    parser.add_argument("--patterns")
    parser.add_argument("--redact", action="store_true")
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--claims", type=Path)
    parser.add_argument("--payer", default="default")
    parser.add_argument("--group-by")
    args = parser.parse_args(argv)
    options = RunOptions(
        input=args.input, out=args.out, id_col=args.id_col, text_col=args.text_col,
        redact=args.redact, force=args.force, patterns_dir=args.patterns, claims=args.claims,
        payer=args.payer, group_by=args.group_by, engine="spark",
    )  # fmt: skip
    try:
        result = run_audit(options)
    except AuditorError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Interrupted as exc:
        print(f"interrupted ({exc.name}): no report files were written", file=sys.stderr)
        return exc.exit_code
    for line in result.warnings:
        print(f"warning: {line}", file=sys.stderr)
    run = result.run
    print(f"{run['notes']} notes, {run['events']} events: {run['status']}")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
