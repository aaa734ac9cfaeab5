"""Write report files: ``notes.jsonl``, ``events.jsonl`` (the contract, section 5), CSV
copies, and ``run.json`` (counts, product version, pattern hash).

Rows stream to ``*.part`` files that are renamed only when the run completes, so an
interrupted run never leaves a truncated file that looks complete. Output is deterministic
(key order fixed, no timestamps in the row files), so reruns are byte-identical.
"""

from __future__ import annotations

import csv
import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

from ..errors import OutputError
from ..frames import EVENT_COLUMNS, NOTE_COLUMNS
from .cells import csv_safe

ROW_FILES = ("notes.jsonl", "events.jsonl", "notes.csv", "events.csv")


def prepare_dir(out: str | Path, force: bool) -> Path:
    """Create the report folder; with ``force``, remove the report files of an earlier run.

    Only the files this writer makes (``ROW_FILES``, ``run.json``, leftover ``.part``
    files) are removed, so a failed rerun never leaves an old report looking current.

    Raises:
        OutputError: it exists and is not empty and ``force`` is False, it is a file, or
            it cannot be made.
    """
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise OutputError(f"report folder {path} is a file")
    if path.exists() and any(path.iterdir()):
        if not force:
            raise OutputError(
                f"report folder {path} exists and is not empty; use --force to overwrite"
            )
        for name in (
            *ROW_FILES,
            "run.json",
            "claims.jsonl",
            "claims.csv",
            "report.html",
            "report.xlsx",
        ):
            (path / name).unlink(missing_ok=True)
        remove_partials(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create report folder {path}: {exc.strerror}") from exc
    return path


def _csv_value(value: Any) -> Any:
    """A CSV cell: lists joined with ``;``, None empty, formula-like text made inert
    (``cells.csv_safe``)."""
    return csv_safe(value)


class ReportWriter:
    """Streams note and event rows into a report folder.

    Use as a context manager; ``write(note_row, event_rows)`` once per note, in input
    order. On a clean exit the ``.part`` files are renamed into place and ``run.json`` is
    written; on an exception they are left as ``.part``.
    """

    def __init__(self, folder: Path, meta: dict[str, Any]) -> None:
        self.folder = folder
        self.meta = meta
        self.status: Counter[str] = Counter()
        self.missing: Counter[str] = Counter()
        self.flags: Counter[str] = Counter()
        self.medications: Counter[str] = Counter()
        self.n_notes = self.n_events = 0
        self._files: dict[str, Any] = {}

    def __enter__(self) -> ReportWriter:
        for name in ROW_FILES:
            self._files[name] = open(
                self.folder / f"{name}.part", "w", encoding="utf-8", newline=""
            )
        self._notes_csv = csv.DictWriter(self._files["notes.csv"], NOTE_COLUMNS)
        self._events_csv = csv.DictWriter(self._files["events.csv"], EVENT_COLUMNS)
        self._notes_csv.writeheader()
        self._events_csv.writeheader()
        return self

    def write(self, note: dict[str, Any], events: list[dict[str, Any]]) -> None:
        """Append one note row and its event rows."""
        self.n_notes += 1
        self.status[note["status"]] += 1
        self.missing.update(note["missing"])
        self.flags.update(note["flags"])
        self._files["notes.jsonl"].write(json.dumps(note, ensure_ascii=False) + "\n")
        self._notes_csv.writerow({k: _csv_value(note[k]) for k in NOTE_COLUMNS})
        for event in events:
            self.n_events += 1
            self.medications[event["medication"] or "(unnamed)"] += 1
            self._files["events.jsonl"].write(json.dumps(event, ensure_ascii=False) + "\n")
            self._events_csv.writerow({k: _csv_value(event[k]) for k in EVENT_COLUMNS})

    def summary(self) -> dict[str, Any]:
        """Counts for the terminal summary and ``run.json``."""
        return {
            "notes": self.n_notes,
            "events": self.n_events,
            "status": dict(sorted(self.status.items())),
            "missing": dict(self.missing.most_common()),
            "flags": dict(self.flags.most_common()),
            "medications": dict(self.medications.most_common(20)),
        }

    def __exit__(self, exc_type, exc, tb) -> None:
        for handle in self._files.values():
            handle.close()
        if exc_type is not None:
            return
        for name in self._files:
            os.replace(self.folder / f"{name}.part", self.folder / name)
        run = {**self.meta, **self.summary()}
        tmp = self.folder / "run.json.part"
        tmp.write_text(json.dumps(run, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        os.replace(tmp, self.folder / "run.json")


def remove_partials(folder: Path) -> None:
    """Delete ``.part`` files left by an interrupted run."""
    for part in folder.glob("*.part"):
        part.unlink(missing_ok=True)
