"""The ``auditor`` command line: a thin layer over ``auditor.audit`` and ``auditor.evaluate``.

Exit codes: 0 = audit done, every record read; 1 = audit done, some records have status
``error``; 2 = usage or input error (bad path, unknown format, id/text column not found,
report folder exists without --force, invalid pattern files).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .errors import AuditorError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Audit clinical notes for CPT 96372 injection documentation gaps.\n\n"
    "Exit codes: 0 done; 1 done, some records could not be read (status error); "
    "2 usage or input error.",
)
err = Console(stderr=True)
out = Console()


def _fail(exc: AuditorError) -> None:
    err.print(f"[bold red]error:[/] {escape(str(exc))}")  # messages may hold [brackets]
    raise typer.Exit(2)


@app.command()
def audit(
    input: Annotated[Path, typer.Argument(help="CSV, JSONL, Parquet file or folder of .txt notes")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="report folder to write")],
    id_col: Annotated[str | None, typer.Option(help="id column (default: detected)")] = None,
    text_col: Annotated[str | None, typer.Option(help="text column (default: detected)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    redact: Annotated[bool, typer.Option(help="drop evidence text from events")] = False,
    force: Annotated[bool, typer.Option(help="overwrite an existing report folder")] = False,
    patterns: Annotated[Path | None, typer.Option(help="patterns folder (default: bundled)")] = None,
    engine: Annotated[str, typer.Option(help="local, dask or spark (CSV/Parquet input)")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="dask scheduler address or Spark master URL")
    ] = None,
) -> None:
    """Audit INPUT and write notes.jsonl, events.jsonl, CSV copies and run.json to --out.

    With --engine dask or spark the audit runs on a cluster (default: a local one with
    max(--workers, 2) worker processes); see README "Past one machine".

    Exit codes: 0 done; 1 done with record errors; 2 usage or input error.
    """
    from .audit import audit_records
    from .io.readers import read_records
    from .io.writers import ReportWriter, prepare_dir, remove_partials
    from .patterns import load_patterns

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    patterns_dir = str(patterns) if patterns else None
    try:
        rules = load_patterns(patterns_dir)
        records = read_records(input, id_col, text_col)
        first = next(records, None)  # surfaces column errors before anything is written
        folder = prepare_dir(out_dir, force)
    except AuditorError as exc:
        _fail(exc)
        return
    meta = {
        "product": "auditor",
        "version": __version__,
        "patterns_sha256": rules.sha256,
        "requirements_version": rules.requirements["version"],
        "input": str(input),
        "redacted": redact,
    }

    if engine != "local":
        from .engines import run_engine

        started = time.perf_counter()
        try:
            summary = run_engine(
                engine, input=input, folder=folder, meta=meta, id_col=id_col,
                text_col=text_col, patterns_dir=patterns_dir, redact=redact,
                workers=max(workers, 2), scheduler=scheduler,
            )
        except AuditorError as exc:
            _fail(exc)
            return
        _print_summary(summary, folder, time.perf_counter() - started)
        raise typer.Exit(1 if summary["status"].get("error") else 0)

    def all_records():
        if first is not None:
            yield first
        yield from records

    started = time.perf_counter()
    with Progress(
        TextColumn("auditing"), BarColumn(), MofNCompleteColumn(), TextColumn("notes"),
        TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal,
    ) as progress:
        task = progress.add_task("audit", total=None)
        try:
            with ReportWriter(folder, meta) as writer:
                for note, events in audit_records(
                    all_records(), patterns_dir, workers, redact,
                    on_note=lambda: progress.advance(task),
                ):
                    writer.write(note, events)
        except AuditorError as exc:
            remove_partials(folder)
            _fail(exc)
        except KeyboardInterrupt:
            remove_partials(folder)
            err.print("interrupted: no report files were written")
            raise typer.Exit(130) from None
    elapsed = time.perf_counter() - started
    summary = writer.summary()
    _print_summary(summary, folder, elapsed)
    raise typer.Exit(1 if summary["status"].get("error") else 0)


def _print_summary(summary: dict, folder: Path, elapsed: float) -> None:
    table = Table(title=f"CPT 96372 audit: {summary['notes']} notes, {summary['events']} events")
    table.add_column("status")
    table.add_column("notes", justify="right")
    for status in ("gaps", "compliant", "excluded", "no_injection", "error"):
        table.add_row(status, str(summary["status"].get(status, 0)))
    out.print(table)
    if summary["missing"]:
        out.print("most frequent missing elements: " + ", ".join(
            f"{k} ({v})" for k, v in list(summary["missing"].items())[:6]))
    if summary["flags"]:
        out.print("flags: " + ", ".join(f"{k} ({v})" for k, v in summary["flags"].items()))
    out.print(f"report: {folder}  ({elapsed:.1f} s)")


@app.command()
def evaluate(
    gold: Annotated[list[Path], typer.Argument(help="gold JSONL file(s) in the dev.jsonl format")],
    out_file: Annotated[Path | None, typer.Option("--out", "-o", help="write the scores as JSON")] = None,
    workers: Annotated[int, typer.Option(min=1)] = 1,
    patterns: Annotated[Path | None, typer.Option(help="patterns folder (default: bundled)")] = None,
    show: Annotated[int, typer.Option(help="disagreements to print")] = 30,
) -> None:
    """Score the audit against gold-labelled notes and print the figures."""
    from .evaluate import evaluate as run

    try:
        result = run(gold, str(patterns) if patterns else None, workers)
    except AuditorError as exc:
        _fail(exc)
        return
    table = Table(title=f"evaluation on {result['n_notes']} notes")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("note status accuracy", f"{result['status_accuracy']:.3f}")
    table.add_row("missing-element micro F1", f"{result['missing']['micro']['f1']:.3f}")
    table.add_row("flag micro F1", f"{result['flags']['micro']['f1']:.3f}")
    table.add_row("event F1", f"{result['events']['f1']:.3f}")
    for name, acc in result["attributes"].items():
        table.add_row(f"{name} accuracy (matched events)", "-" if acc is None else f"{acc:.3f}")
    out.print(table)
    per = Table(title="per element / flag")
    for col in ("label", "P", "R", "F1", "tp", "fp", "fn"):
        per.add_column(col)
    for kind in ("missing", "flags"):
        for label, m in result[kind].items():
            per.add_row(f"{kind}:{label}", f"{m['precision']:.2f}", f"{m['recall']:.2f}",
                        f"{m['f1']:.2f}", str(m["tp"]), str(m["fp"]), str(m["fn"]))
    out.print(per)
    out.print(f"status confusion (gold -> predicted): {json.dumps(result['confusion'])}")
    for d in result["disagreements"][:show]:
        out.print(f"  {d['note_id']}  {d['field']}: expected {d['expected']!r}, got {d['got']!r}")
    if len(result["disagreements"]) > show:
        out.print(f"  ... {len(result['disagreements']) - show} more (see --out)")
    if out_file:
        out_file.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


@app.command()
def version() -> None:
    """Print the product version."""
    out.print(__version__)


def main() -> None:  # pragma: no cover
    app(prog_name="auditor")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
