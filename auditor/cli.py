"""The ``auditor`` command line: a thin layer over ``auditor.core`` and ``auditor.evaluate``.

The ``audit`` command is parse -> ``auditor.run.run_audit`` -> print -> exit.

Exit codes: 0 = audit done, every record read; 1 = audit done, some records have status
``error``; 2 = usage or input error (bad path, unknown format, id/text column not found,
report folder exists without --force, invalid pattern files, disk full) or an unexpected
failure, with no report written; 128 + signal = interrupted (130 Ctrl-C, 143 SIGTERM,
129 SIGHUP), with no report written. Only the summary goes to stdout; errors,
warnings and progress go to stderr, and none of them holds note text.
"""

from __future__ import annotations

import inspect
import json
import logging
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import click
import typer
from rich import box
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from . import __version__
from .errors import AuditorError
from .frames import STATUSES

SPEC_HELP = "requirement spec: cpt_96372.v2 (default, contract version 2) or cpt_96372.v1"
SETTING_HELP = (
    "column giving each note's setting (encounter/patient class, place of service); "
    "default: the first column with a name listed in patterns/setting/setting.yaml "
    "'columns' (setting, encounter_type, encounter_class, patient_class, visit_type, "
    "place_of_service, pos, pt_class, patient_type, ...)"
)

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Audit clinical notes for CPT 96372 injection documentation gaps.\n\n"
    "Exit codes: 0 done; 1 done, some records could not be read (status error); "
    "2 usage or input error.",
)
err = Console(stderr=True)
out = Console()


def _fail(exc: AuditorError) -> NoReturn:
    """Print a coded error (its message never holds note text) and exit 2."""
    err.print(f"[bold red]error:[/] {escape(str(exc))}", soft_wrap=True)
    raise typer.Exit(2)


def _crash(exc: BaseException) -> NoReturn:
    """Report an unexpected exception and exit 2.

    Only the exception type and the code location are printed: an exception message (or
    a traceback with it) may quote note text.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    err.print(
        f"[bold red]error:[/] internal error ({type(exc).__name__}{escape(where)}); "
        "no report was written",
        soft_wrap=True,
    )
    raise typer.Exit(2)


def _show_version(value: bool) -> None:
    if value:
        out.print(f"auditor {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_show_version, is_eager=True, help="print the version"),
    ] = False,
) -> None:
    """Audit clinical notes for CPT 96372 injection documentation gaps."""


FORMATS_HELP = (
    "INPUT formats (extensions matched in any case; any may be compressed .gz, .bz2, .zst or "
    "a .zip holding one file):\n\n"
    "- .csv .tsv .tab .psv: header line; delimiter , ; | or tab sniffed from it, Excel's sep= "
    "line, or --sep; UTF-8 (BOM or not), UTF-16 (BOM or not), Windows-1252 per cell\n\n"
    "- .xlsx .xlsm .xls: first sheet or --sheet\n\n"
    "- .jsonl .ndjson .json: JSON Lines; FHIR R4 NDJSON or Bundle of DocumentReference / "
    "DiagnosticReport (attachments text/plain, text/html, text/rtf)\n\n"
    "- .parquet .pq\n\n"
    "- .hl7: HL7 v2 MDM^T02/T04/T06/T08/T10, ORU^R01 (OBX TX/FT/ST text)\n\n"
    "- .txt .text .rtf: one note; a folder: every .txt/.text/.rtf below it (id = file stem)\n\n"
    "Columns detected (any case): id = note_id, id, noteid, record_id, document_id, doc_id, "
    "encounter_id, row_id; text = text, note_text, note, transcription, body, content, "
    "report_text, notetext, document, narrative. A line column (line, line_num, "
    "line_number, line_no, note_line, line_seq) with an id column makes a note-line table "
    "(Epic Clarity note text): each note is rebuilt from its lines, latest version "
    "(contact_date_real, note_csn_id, version, ...) only. Cells starting {\\rtf are "
    "converted from RTF. Every column option is checked before the audit starts."
)


@app.command(epilog=FORMATS_HELP)
def audit(
    input: Annotated[
        Path, typer.Argument(help="notes file (formats below) or folder of .txt notes")
    ],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="report folder to write")],
    id_col: Annotated[str | None, typer.Option(help="id column (default: detected)")] = None,
    text_col: Annotated[str | None, typer.Option(help="text column (default: detected)")] = None,
    workers: Annotated[int, typer.Option(min=1, help="worker processes")] = 1,
    redact: Annotated[bool, typer.Option(help="no evidence text in events, no note text")] = False,
    force: Annotated[bool, typer.Option(help="overwrite an existing report folder")] = False,
    patterns: Annotated[
        Path | None, typer.Option(help="patterns folder (default: bundled)")
    ] = None,
    claims: Annotated[Path | None, typer.Option(help="claim lines to reconcile")] = None,
    payer: Annotated[str, typer.Option(help="payer profile of --claims")] = "default",
    group_by: Annotated[
        str | None, typer.Option(help="input column to break report.html down by (provider, ...)")
    ] = None,
    engine: Annotated[str, typer.Option(help="local, dask or spark (any input format)")] = "local",
    scheduler: Annotated[
        str | None, typer.Option(help="dask scheduler address or Spark master URL")
    ] = None,
    html: Annotated[bool, typer.Option(help="write report.html")] = True,
    decisions: Annotated[
        Path | None,
        typer.Option(help="review decisions (decisions.jsonl from report.html) to re-apply"),
    ] = None,
    sheet: Annotated[
        str | None, typer.Option(help="Excel sheet to read, by name or number (default: first)")
    ] = None,
    sep: Annotated[
        str | None, typer.Option(help="CSV delimiter: , ; | or tab (default: sniffed)")
    ] = None,
    line_col: Annotated[
        str | None, typer.Option(help="line-number column of a note-line table (default: detected)")
    ] = None,
    spec: Annotated[str | None, typer.Option(help=SPEC_HELP)] = None,
    setting_col: Annotated[str | None, typer.Option(help=SETTING_HELP)] = None,
    progress_every: Annotated[
        float | None,
        typer.Option(
            min=0.0,
            help="when stderr is no terminal (a log file, a pipe), write a progress line every "
            "this many seconds (default: none)",
        ),
    ] = None,
) -> None:
    """Audit INPUT and write notes.jsonl, events.jsonl, CSV copies, run.json and report.html
    to --out (with --claims, also claims.jsonl and claims.csv: findings per claim line).

    With --engine dask or spark the audit runs on a cluster (default: a local one with
    max(--workers, 2) worker processes); see README "Past one machine".

    Exit codes: 0 done; 1 done with record errors; 2 usage or input error (nothing written).
    """
    from functools import partial

    from .io.readers import count_records
    from .review import load_decisions
    from .run import Interrupted, RunOptions, run_audit

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        review_decisions = load_decisions(decisions) if decisions else None
    except AuditorError as exc:
        _fail(exc)
    options = RunOptions(
        input=input, out=out_dir, id_col=id_col, text_col=text_col, workers=workers,
        redact=redact, force=force, patterns_dir=str(patterns) if patterns else None,
        claims=claims, payer=payer, group_by=group_by, engine=engine, scheduler=scheduler,
        html=html, sheet=sheet, sep=sep, line_col=line_col, decisions=review_decisions,
        spec=spec, setting_col=setting_col,
    )  # fmt: skip
    try:
        count = partial(count_records, input, options.reader)
        with _progress_bar(count, progress_every) as on_note:
            result = run_audit(options, on_note)
    except AuditorError as exc:
        _fail(exc)
    except Interrupted as exc:
        _signals_off()
        err.print(
            f"interrupted ({exc.name}): no report files were written; {escape(str(out_dir))} "
            "is as it was",
            soft_wrap=True,
        )
        raise typer.Exit(exc.exit_code) from None
    except Exception as exc:  # noqa: BLE001 - reported without its message (PHI)
        _crash(exc)
    for line in result.warnings:
        err.print(f"[yellow]warning:[/] {escape(line)}", soft_wrap=True)
    if result.run.get("review") is not None:
        _print_review(result.run["review"])
    _print_summary(result.run, result.folder, result.seconds)
    for line in result.claims_lines:
        out.print(line)
    raise typer.Exit(result.exit_code)


def _signals_off() -> None:
    """Ignore further Ctrl-C/SIGTERM/SIGHUP while the process prints its last words."""
    import signal

    from .run import STOP_SIGNALS

    for s in STOP_SIGNALS:
        signal.signal(s, signal.SIG_IGN)


def _clock(seconds: float) -> str:
    """``H:MM:SS`` of a duration (as the progress bar writes it)."""
    whole = int(seconds)
    return f"{whole // 3600}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def _progress_lines(count: Callable[[], int | None] | None, every: float) -> Callable[[], None]:
    """A per-note callback that writes a plain progress line to stderr at most once per
    ``every`` seconds (a log's progress: no bar, no cursor moves), from the first note on,
    and at the last: ``auditing: 1,200/4,999 notes, 0:02:01 elapsed, about 0:06:24 left``
    (the time left paced from the first note, after the loading; without a total, the
    count and the elapsed time). Counts only, never text."""
    import time

    started = time.monotonic()
    state: dict[str, Any] = {"done": 0, "total": None, "next": 0.0, "first": started}

    def on_note() -> None:
        state["done"] += 1
        done, now = state["done"], time.monotonic()
        if done == 1:
            state["first"] = now  # the time left is paced from here, after the loading
            state["total"] = count() if count is not None else None
        total = state["total"]
        if now < state["next"] and done != total:
            return
        state["next"] = now + every
        line = f"auditing: {done:,}" + (f"/{total:,}" if total else "")
        line += f" notes, {_clock(now - started)} elapsed"
        if total and done > 1:
            left = (now - state["first"]) / (done - 1) * max(total - done, 0)
            line += f", about {_clock(left)} left"
        err.print(line, markup=False, highlight=False, soft_wrap=True)

    return on_note


@contextmanager
def _progress_bar(
    count: Callable[[], int | None] | None = None,
    every: float | None = None,
) -> Iterator[Callable[[], None]]:
    """A per-note progress callback: a transient bar on stderr when it is a terminal; else
    a line every ``every`` seconds when given (``--progress-every``: ``_progress_lines``),
    else a no-op (so logs and pipes get no progress output unless asked). Counts only,
    never text.

    Args:
        count: returns the number of records when it is cheap to know
            (``io.readers.count_records``), else None. It is called when the first note is
            done (after the columns have been checked); with a total the bar shows
            ``n/total``, the elapsed and the remaining time.
        every: seconds between progress lines when stderr is no terminal; None: none.
    """
    if not err.is_terminal:
        yield (lambda: None) if every is None else _progress_lines(count, every)
        return
    with Progress(
        TextColumn("auditing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("notes"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task("audit", total=None)
        counted = False

        def on_note() -> None:
            nonlocal counted
            if not counted:
                counted = True
                total = count() if count else None
                if total is not None:
                    progress.update(task, total=total)
            progress.advance(task)

        yield on_note


SUMMARY_WIDTH = 80  # the summary fits an 80-column terminal


def wrap_items(label: str, items: list[str], width: int = SUMMARY_WIDTH) -> list[str]:
    """``label`` then ``items`` joined by ``, `` in lines of at most ``width`` characters,
    breaking only between items (an item longer than a line gets a line of its own);
    continuation lines are indented by two spaces."""
    lines: list[str] = []
    line = label
    for i, item in enumerate(items):
        piece = item + ("," if i < len(items) - 1 else "")
        if line.strip() and len(line) + 1 + len(piece) > width:
            lines.append(line)
            line = "  " + piece
        else:
            line = f"{line} {piece}" if line else piece
    lines.append(line)
    return lines


def _print_review(review: dict[str, Any]) -> None:
    """Review counts on stdout; decisions that matched no finding on stderr (ids only)."""
    out.print(
        f"review: {review['reviewed']} of {review['findings']} findings reviewed "
        f"({review['accepted']} accepted, {review['rejected']} rejected, "
        f"{review['pending']} pending)"
    )
    unmatched = review["unmatched"]
    if unmatched:
        err.print(
            f"[yellow]warning:[/] {len(unmatched)} decision(s) match no finding of this run "
            "(listed in run.json, review.unmatched):",
            soft_wrap=True,
        )
        for u in unmatched[:20]:
            where = f" note {u['note_id']}" if u.get("note_id") is not None else ""
            what = f" {u['finding']}" if u.get("finding") else ""
            line = f"  line {u['line']}: {u['finding_id']}{where}{what}"
            err.print(escape(line), soft_wrap=True)
        if len(unmatched) > 20:
            err.print(f"  ... {len(unmatched) - 20} more in run.json")


def _timing_lines(folder: Path, notes: int, elapsed: float, width: int) -> list[str]:
    """The summary's last line: the report folder, the wall time of the audit (from loading
    the rules to the last report file written; the interpreter's start-up is not in it) and
    the notes audited per second of it; the timing goes on a line of its own when the one
    line would pass ``width``."""
    rate = f", {notes / elapsed:.1f} notes/s" if notes and elapsed > 0 else ""
    timing = f"({elapsed:.1f} s{rate})"
    line = f"report: {folder}  {timing}"
    return [line] if len(line) <= width else [f"report: {folder}", f"  {timing}"]


def _print_summary(summary: dict, folder: Path, elapsed: float) -> None:
    """The terminal summary (stdout): counts only, no note text, lines of at most 80
    characters that never break inside an item."""
    width = min(SUMMARY_WIDTH, out.width or SUMMARY_WIDTH)
    plain = {"markup": False, "highlight": False, "soft_wrap": True}
    out.print(f"CPT 96372 audit: {summary['notes']} notes, {summary['events']} events", **plain)
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("status")
    table.add_column("notes", justify="right")
    for status in STATUSES:
        table.add_row(status, str(summary["status"].get(status, 0)))
    out.print(table)
    lines: list[str] = []
    if summary["missing"]:
        items = [f"{k} ({v})" for k, v in list(summary["missing"].items())[:6]]
        lines += wrap_items("most frequent missing elements:", items, width)
    if summary["flags"]:
        lines += wrap_items("flags:", [f"{k} ({v})" for k, v in summary["flags"].items()], width)
    lines += _timing_lines(folder, summary["notes"], elapsed, width)
    for line in lines:
        out.print(line, **plain)


@app.command()
def evaluate(
    gold: Annotated[list[Path], typer.Argument(help="gold JSONL file(s) in the dev.jsonl format")],
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="write the scores as JSON")
    ] = None,
    workers: Annotated[int, typer.Option(min=1)] = 1,
    patterns: Annotated[
        Path | None, typer.Option(help="patterns folder (default: bundled)")
    ] = None,
    show: Annotated[int, typer.Option(help="disagreements to print")] = 30,
    show_split: Annotated[
        str | None,
        typer.Option(
            click_type=click.Choice(["dev", "heldout"]),
            help="print and write (--out) only disagreements of notes in this split (notes "
            "without a split are kept); the per-file and per-split figures stay whole",
        ),
    ] = None,
    spec: Annotated[str | None, typer.Option(help=SPEC_HELP)] = None,
) -> None:
    """Score the audit against gold-labelled notes and print the figures (under --spec
    cpt_96372.v1, lines carrying ``expected_v1`` are scored against it). ``--show-split dev``
    prints, and writes to ``--out``, only the disagreements a developer may read (heldout notes
    are never tuned on); without it ``--out`` holds every disagreement."""
    from .evaluate import evaluate as run
    from .evaluate import note_splits

    try:
        result = run(gold, str(patterns) if patterns else None, workers, spec=spec)
        splits = note_splits(gold) if show_split else {}
    except AuditorError as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - reported without its message (PHI)
        _crash(exc)
    table = Table(title=f"evaluation on {result['n_notes']} notes")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_row("note status accuracy", f"{result['status_accuracy']:.3f}")
    if result["setting_accuracy"] is not None:
        table.add_row("setting accuracy", f"{result['setting_accuracy']:.3f}")
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
            per.add_row(
                f"{kind}:{label}",
                f"{m['precision']:.2f}",
                f"{m['recall']:.2f}",
                f"{m['f1']:.2f}",
                str(m["tp"]),
                str(m["fp"]),
                str(m["fn"]),
            )
    out.print(per)
    out.print(f"status confusion (gold -> predicted): {json.dumps(result['confusion'])}")
    _print_per_corpus(result)
    shown = [
        d
        for d in result["disagreements"]
        if not show_split or splits.get(d["note_id"], show_split) == show_split
    ]
    for d in shown[:show]:
        out.print(f"  {d['note_id']}  {d['field']}: expected {d['expected']!r}, got {d['got']!r}")
    if len(shown) > show:
        out.print(f"  ... {len(shown) - show} more (see --out)")
    if out_file:
        if show_split:
            # a tuning run's --out must not hold heldout disagreements either
            result = {**result, "disagreements": shown, "disagreements_split": show_split}
        out_file.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


def _print_per_corpus(result: dict) -> None:
    """One line per gold file (when several) and per split (``dev``/``heldout``)."""
    from .evaluate import summary_line

    rows: list[tuple[str, str, dict]] = []
    per_file = result.get("per_file", {})
    for path, scores in per_file.items():
        if len(per_file) > 1:
            rows.append((path, "all", scores))
        for split, sub in result.get("per_file_split", {}).get(path, {}).items():
            rows.append((path, split, sub))
    if len(per_file) > 1:
        rows += [("all files", split, sub) for split, sub in result.get("per_split", {}).items()]
    if not rows:
        return
    with_setting = any(summary_line(s)["setting"] is not None for _, _, s in rows)
    keys = ["n_notes", "status", "event_f1", "route", "dose", "missing_f1", "flag_f1"]
    keys += ["setting"] if with_setting else []
    width = max(len("per corpus"), *(len(name) for name, _, _ in rows))
    lines = [f"{'per corpus':<{width}}  {'split':<7}" + "".join(f"{k:>11}" for k in keys)]
    for name, split, scores in rows:
        line = summary_line(scores)
        cells = [
            "-" if line[k] is None else str(line[k]) if k == "n_notes" else f"{line[k]:.3f}"
            for k in keys
        ]
        lines.append(f"{name:<{width}}  {split:<7}" + "".join(f"{c:>11}" for c in cells))
    for text in lines:
        out.print(text, markup=False, highlight=False, soft_wrap=True)


@app.command()
def sample(
    report: Annotated[Path, typer.Argument(help="report folder of an audit")],
    out_dir: Annotated[Path, typer.Option("--out", "-o", help="sample folder to write")],
    size: Annotated[int | None, typer.Option(min=1, help="sample size (else computed)")] = None,
    confidence: Annotated[float, typer.Option(help="confidence level for the size")] = 0.90,
    precision: Annotated[
        float | None, typer.Option(help="half-width of the interval, e.g. 0.05 (for the size)")
    ] = None,
    expected_rate: Annotated[
        float, typer.Option(help="expected error rate (for the size; 0.5 is conservative)")
    ] = 0.5,
    strata: Annotated[
        str | None, typer.Option(help="stratify by status, setting or a column")
    ] = None,
    allocation: Annotated[str, typer.Option(help="proportional or equal")] = "proportional",
    seed: Annotated[int | None, typer.Option(help="random seed (default: drawn, recorded)")] = None,
    unit: Annotated[
        str | None, typer.Option(help="notes or claims (default: claims when reconciled)")
    ] = None,
    status: Annotated[
        list[str] | None, typer.Option(help="keep only notes with this status (repeatable)")
    ] = None,
    force: Annotated[bool, typer.Option(help="overwrite an existing sample folder")] = False,
    patterns: Annotated[
        Path | None, typer.Option(help="patterns folder (default: bundled)")
    ] = None,
) -> None:
    """Draw a reproducible random sample of REPORT's notes (or claim lines) for review.

    Writes to --out the report files restricted to the sample (notes.jsonl, events.jsonl,
    CSV copies, claims when reconciled, report.html), sample.csv (draw order, id, stratum) and
    sample.json (frame count and hash, method, seed, size), so that the draw can be redone.
    """
    from .sampling import sample_report

    try:
        info = sample_report(
            report, out_dir, size=size, confidence=confidence, precision=precision,
            expected_rate=expected_rate, strata=strata, allocation=allocation, seed=seed,
            unit=unit, statuses=status, force=force,
            patterns_dir=str(patterns) if patterns else None,
        )  # fmt: skip
    except AuditorError as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - reported without its message (PHI)
        _crash(exc)
    size_info = info["size"]
    if not size_info.get("given"):
        out.print(f"sample size: {size_info['formula']}")
        out.print(f"  z for {size_info['confidence']:g} two-sided confidence; source: "
                  f"{size_info['source']}")  # fmt: skip
    out.print(
        f"{info['method']} sample of {info['n']} {info['unit']} from a frame of "
        f"{info['frame']['N']} (frame sha256 {info['frame']['ids_sha256'][:16]}...), "
        f"seed {info['seed']} ({info['seed_source']})"
    )
    for s in info.get("strata") or []:
        out.print(f"  stratum {escape(s['stratum'])}: {s['n']} of {s['N']}")
    if not info.get("note_text"):
        err.print(
            "[yellow]warning:[/] the audit's input could not be read again (run.json 'input', "
            "relative to the folder the audit ran in) or the report is redacted: the sample's "
            "report.html shows findings without note text",
            soft_wrap=True,
        )
    out.print(f"sample: {out_dir}  (sample.json, sample.csv, report.html)")


@app.command()
def appraise(
    sample_dir: Annotated[Path, typer.Argument(help="sample folder written by auditor sample")],
    decisions: Annotated[Path, typer.Option(help="review decisions (decisions.jsonl)")],
    confidence: Annotated[float, typer.Option(help="confidence level of the intervals")] = 0.90,
    count: Annotated[
        list[str] | None,
        typer.Option(help="finding kind counted as an error (repeatable; default missing/claim)"),
    ] = None,
    paid_col: Annotated[
        str | None, typer.Option(help="claim lines' paid amount field (default: detected)")
    ] = None,
    out_file: Annotated[
        Path | None, typer.Option("--out", "-o", help="write the appraisal as JSON")
    ] = None,
) -> None:
    """Error rate of a reviewed sample with exact one- and two-sided intervals, per stratum and
    combined; with paid amounts on claim lines, the projected overpayment (mean-per-unit and
    difference estimation, lower limit of the one-sided 90% interval). Writes
    SAMPLE_DIR/appraisal.json (or --out)."""
    from .appraisal import appraise as run
    from .review import load_decisions

    try:
        result = run(sample_dir, load_decisions(decisions), confidence, count, paid_col)
    except AuditorError as exc:
        _fail(exc)
    except Exception as exc:  # noqa: BLE001 - reported without its message (PHI)
        _crash(exc)
    _print_appraisal(result)
    target = out_file or sample_dir / "appraisal.json"
    target.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    out.print(f"appraisal: {target}")


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.2f}%"


def _print_appraisal(result: dict[str, Any]) -> None:
    c = int(round(result["confidence"] * 100))
    # a Markdown table, never wrapped nor cut: in an 80-column terminal or a file, rich wrapped
    # the intervals over two lines and cut the method's name ("hypergeom…")
    table = Table(
        title=f"error rate ({result['method']} sample of {result['unit']}; "
        f"errors: accepted {', '.join(result['counted_kinds'])} findings)",
        box=box.MARKDOWN,
    )
    for col in ("stratum", "N", "n", "errors", "rate", f"{c}% two-sided", f"{c}% upper", "method"):
        right = col in ("N", "n", "errors", "rate", f"{c}% upper")
        table.add_column(col, justify="right" if right else "left", no_wrap=True)
    rows = list(result["attribute"]["strata"] or [])
    combined = result["attribute"]["combined"]
    for r in [*rows, {**combined, "stratum": "combined" if rows else "all"}]:
        interval = "-" if r.get("rate") is None else f"{_pct(r['lower'])} - {_pct(r['upper'])}"
        table.add_row(
            escape(str(r.get("stratum") or "")), str(r["N"]), str(r["n"]), str(r["errors"]),
            _pct(r.get("rate")), interval, _pct(r.get("upper_one_sided")),
            str(r.get("method") or "-"),
        )  # fmt: skip
    Console(width=max(out.width, 160)).print(table)  # its own width: never the terminal's
    if result["pending"]:
        err.print(
            f"[yellow]warning:[/] {len(result['pending'])} sampled unit(s) have findings without "
            "a decision and are left out of n: " + escape(", ".join(result["pending"][:20])),
            soft_wrap=True,
        )
    if result["unmatched_decisions"]:
        err.print(
            f"[yellow]warning:[/] {result['unmatched_decisions']} decision(s) match no finding "
            "of this sample"
        )
    v = result.get("variable")
    if v:
        out.print(
            f"overpayment in the frame (paid {v['frame_paid']:,.2f}; t = {v['t']:.4f}, "
            f"{v['df']} df; lower limit of the one-sided {v['confidence']:.0%} interval):"
        )
        for name in ("mean_per_unit", "difference"):
            e = v[name]
            out.print(
                f"  {name.replace('_', '-')}: point {e['point']:,.2f}, "
                f"standard error {e['se']:,.2f}, lower limit {e['lower']:,.2f}"
            )


@app.command()
def version() -> None:
    """Print the product version."""
    out.print(__version__)


def flowed_help(doc: str) -> str:
    """A command docstring as help text: each paragraph on one line (the terminal wraps
    it), reStructuredText double backquotes as single quotes.

    Typer keeps the single line breaks of every paragraph but the first, and of the
    summary shown in ``auditor --help``, so a docstring wrapped at 100 columns printed
    as ragged lines."""
    paragraphs = inspect.cleandoc(doc).split("\n\n")
    text = "\n\n".join(" ".join(p.split()) for p in paragraphs)
    return re.sub(r"``([^`]+)``", r"'\1'", text)


for _command in app.registered_commands:  # before ``app`` builds its click commands
    if _command.help is None and _command.callback is not None:
        _command.help = flowed_help(_command.callback.__doc__ or "")


USAGE_ERROR = "E001"  # README "Error codes"


def main(argv: list[str] | None = None) -> int:
    """The ``auditor`` console command: runs ``app`` and returns its exit code.

    A usage error (unknown option, bad or missing value) is printed like every other
    user error, as a coded line ``error: [E001] <click's message>`` after the usage line,
    exit 2; no arguments print the help, exit 2.
    """
    try:
        return app(argv, prog_name="auditor", standalone_mode=False) or 0
    except click.exceptions.NoArgsIsHelpError:  # the help is printed already
        return 2
    except click.UsageError as exc:
        if exc.ctx is not None:
            err.print(escape(exc.ctx.get_usage()), highlight=False)
        hint = f"{exc.ctx.command_path if exc.ctx else 'auditor'} --help"
        message = f"[{USAGE_ERROR}] {exc.format_message()} (see '{hint}')"
        err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
        return 2
    except click.ClickException as exc:
        message = f"[{USAGE_ERROR}] {exc.format_message()}"
        err.print(f"[bold red]error:[/] {escape(message)}", soft_wrap=True, highlight=False)
        return exc.exit_code
    except click.Abort:
        err.print("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - a command's own guard missed it
        try:
            _crash(exc)
        except click.exceptions.Exit as done:
            return done.exit_code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
