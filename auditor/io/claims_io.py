"""Claims files for ``auditor audit NOTES --claims CLAIMS``: read the claim lines, collect
what reconciliation needs while notes stream, and write ``claims.jsonl``/``claims.csv``.

The checks themselves are in ``auditor.claims`` (pure). Files are written to ``*.part`` and
renamed when complete, like the other report files (``io.writers``), so an interrupted run
never leaves a truncated file that looks complete. Messages name files and columns, never
note text.
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from ..claims import (
    MALFORMED_ATTR,
    OUTPUT_FIELDS,
    ClaimLine,
    ClaimRules,
    NoteSummary,
    normalize_claims,
    reconcile_rows,
    summarize,
    summarize_note,
)
from ..errors import InputError
from .cells import csv_safe

CLAIM_FORMATS = (".csv", ".tsv", ".parquet", ".pq", ".jsonl", ".ndjson")


def read_claims(path: str | Path) -> pd.DataFrame:
    """Read a claims file into a DataFrame (input order kept).

    CSV/TSV cells are read as text (codes such as ``0591`` and places of service such as
    ``02`` keep their leading zeros; blank cells stay blank; blank lines are skipped). A row
    with more or fewer cells than the header is kept (its cells from the left, padded with
    blanks) and named in ``frame.attrs[claims.MALFORMED_ATTR]`` (row index -> why), so it
    gets a ``malformed_line`` finding instead of being shifted into other columns. Parquet
    and JSON Lines keep their types.

    Raises:
        InputError: the file is missing, of an unknown format, or unreadable.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputError(f"claims file not found: {path}")
    if suffix not in CLAIM_FORMATS:
        raise InputError(
            f"claims file {path.name}: unknown format (use {', '.join(CLAIM_FORMATS)})"
        )
    try:
        if suffix in (".csv", ".tsv"):
            return _read_table(path, "\t" if suffix == ".tsv" else ",")
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path)
        return pd.read_json(path, lines=True, dtype=False)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, ValueError, csv.Error, pd.errors.ParserError) as exc:
        raise InputError(f"claims file {path.name}: not readable ({type(exc).__name__})") from exc


def _read_table(path: Path, sep: str) -> pd.DataFrame:
    """A CSV/TSV claims file as text cells, ragged rows named in ``attrs`` (see
    ``read_claims``)."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle, delimiter=sep)
        header = next(reader, None)
        if header is None:
            return pd.DataFrame()
        width = len(header)
        rows: list[list[str]] = []
        malformed: dict[int, str] = {}
        for cells in reader:
            if not cells or (len(cells) == 1 and not cells[0].strip() and width > 1):
                continue  # a blank line
            if len(cells) != width:
                malformed[len(rows)] = (
                    f"row {len(rows) + 1} (file line {reader.line_num}) has {len(cells)} "
                    f"cells, the header {width}"
                )
                cells = (cells + [""] * width)[:width]
            rows.append(cells)
    frame = pd.DataFrame(rows, columns=header, dtype=str)
    frame.attrs[MALFORMED_ATTR] = malformed
    return frame


def _csv_value(value: Any) -> Any:
    """A CSV cell: lists joined with ``;``, None empty, formula-like text made inert
    (``cells.csv_safe``)."""
    return csv_safe(value)


def write_claims(folder: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Write ``claims.jsonl`` and ``claims.csv`` atomically (``.part`` then rename)."""
    parts = {name: folder / f"{name}.part" for name in ("claims.jsonl", "claims.csv")}
    with open(parts["claims.jsonl"], "w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    with open(parts["claims.csv"], "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _csv_value(row.get(k)) for k in columns})
    for name, part in parts.items():
        os.replace(part, folder / name)


class ClaimsRun:
    """One claims reconciliation alongside a streaming audit.

    Use: ``run = ClaimsRun.open(path, payer, patterns_dir)`` before the audit (it reads and
    checks the claims file, so errors surface before any report file is written), then
    ``run.add(note, events)`` for each audited note, then ``run.write(folder)`` (writes the
    claims files, returns the summary for ``run.json``) and ``run.summary_lines()``.

    Memory: the claims table, one ``NoteSummary`` per claimed note, and the ids of the notes
    no claim line refers to.
    """

    def __init__(self, path: Path, frame: pd.DataFrame, rules: ClaimRules) -> None:
        self.path = path
        self.frame = frame
        self.rules = rules
        self.lines: list[ClaimLine] = normalize_claims(frame, rules)
        self.claimed = {ln.note_id for ln in self.lines if ln.note_id is not None}
        self.notes: dict[str, NoteSummary] = {}
        self.unclaimed: list[str] = []
        self.unclaimed_with_injections = 0
        self.summary: dict[str, Any] = {}

    @classmethod
    def open(
        cls, path: str | Path, payer: str = "default", patterns_dir: str | None = None
    ) -> ClaimsRun:
        """Read the claims file and load the rules.

        Raises:
            InputError: the file cannot be read; ColumnError: no id, code or units column;
            PatternError: invalid rule files or unknown payer profile.
        """
        rules = ClaimRules.load(payer, patterns_dir)
        return cls(Path(path), read_claims(path), rules)

    def add(self, note: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """Record one audited note (its row and event rows)."""
        note_id = str(note["note_id"])
        if note_id not in self.claimed:
            self.unclaimed.append(note_id)
            self.unclaimed_with_injections += int((note.get("n_injections") or 0) > 0)
            return
        summary = summarize_note(note, events)
        previous = self.notes.get(note_id)
        if previous is not None:  # a repeated note id: its notes are taken together
            summary = NoteSummary(
                note_id,
                "error" if "error" in (previous.status, summary.status) else summary.status,
                previous.n_injections + summary.n_injections,
                previous.events + summary.events,
            )
        self.notes[note_id] = summary

    def write(self, folder: Path) -> dict[str, Any]:
        """Reconcile, write ``claims.jsonl``/``claims.csv`` to ``folder``, return the summary."""
        rows = reconcile_rows(self.notes, None, self.frame, self.rules)
        columns = list(dict.fromkeys([str(c) for c in self.frame.columns] + list(OUTPUT_FIELDS)))
        write_claims(folder, rows, columns)
        self.summary = {
            "input": str(self.path),
            "payer": self.rules.payer["name"],
            "hcpcs_table_version": self.rules.hcpcs.version,
            "claim_rules_version": str(self.rules.rules["version"]),
            **summarize(rows, self.unclaimed, self.unclaimed_with_injections),
        }
        return self.summary

    def summary_lines(self) -> list[str]:
        """Plain-text lines for the terminal summary (after ``write``)."""
        s = self.summary
        lines = [
            f"claims: {s['claim_lines']} lines, {s['lines_with_findings']} with findings "
            f"(payer profile {s['payer']})"
        ]
        if s["findings"]:
            lines.append(
                "claim findings: " + ", ".join(f"{k} ({v})" for k, v in s["findings"].items())
            )
        lines.append(
            f"unmatched claim lines: {s['unmatched_claims']}; notes without claim lines: "
            f"{s['n_notes_without_claims']} ({s['n_notes_with_injections_without_claims']} "
            "with eligible injections; ids in run.json)"
        )
        return lines
