"""Regenerate ``patterns/manifest.json``: the version and SHA-256 of every pattern file.

    .venv/bin/python tools/pattern_manifest.py [--check] [--patterns DIR]

``tests/test_pattern_files.py`` fails when a pattern file's bytes differ from the manifest
while its ``version`` does not, so a rule change always comes with a version bump. After a
change: bump the file's ``version``, run this script, commit both. It refuses to write while
a changed file keeps its old version (exit 1, the files listed); ``--check`` only reports.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from auditor.patterns import MANIFEST, manifest_entries, manifest_problems  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patterns", type=Path, default=ROOT / "patterns")
    parser.add_argument("--check", action="store_true", help="report, do not write")
    args = parser.parse_args(argv)
    path = args.patterns / MANIFEST
    recorded = json.loads(path.read_text(encoding="utf-8"))["files"] if path.exists() else {}
    problems = manifest_problems(args.patterns, recorded)
    unbumped = [p for p in problems if "bump it" in p]
    for line in problems:
        print(line)
    if unbumped or args.check:
        return 1 if problems else 0
    entries = manifest_entries(args.patterns)
    rows = [f"  {json.dumps(n)}: {json.dumps(e, sort_keys=True)}" for n, e in entries.items()]
    text = '{"files": {\n' + ",\n".join(rows) + "\n}}\n"  # one line per file: easy merges
    path.write_text(text, encoding="utf-8")
    print(f"{path}: {len(entries)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main())
