"""One run of ``auditor audit``: read, audit, write every output, reconcile claims, build
the report. The command line (``auditor.cli``), both engines and ``spark_submit`` call
``run_audit``; they differ only in where the notes are audited (``RunOptions.engine``).

The flow is one stream: the input is read once (``io.readers.read_records``), each record
is audited (in this process, a worker pool, or a Dask/Spark cluster: the same
``core.audit_one`` on the same records) and, in input order, written to the row files,
given to the claims reconciliation and added to the HTML report builder. Nothing is
read back. All files go to a temporary folder beside the report folder and are moved
into place only when every one of them is complete (``io.output.OutputFolder``), under a
lock that keeps a second run off the same folder.

SIGTERM and SIGHUP stop a run as Ctrl-C does (``Interrupted``): the temporary folder is
deleted and the report folder is left as it was; further signals during that clean-up
are ignored.
"""

from __future__ import annotations

import errno
import itertools
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import __version__
from .errors import OutputError
from .io.output import OutputFolder, os_reason
from .io.readers.common import ReadOptions
from .io.writers import ROW_FILES, ReportWriter
from .records import InputTally, NoteRecord, safe_record
from .review import Reviewer, read_jsonl, rewrite_jsonl, spec_id

Stream = Iterator[tuple[NoteRecord, dict[str, Any], list[dict[str, Any]]]]
# OS errors that mean "the report cannot be written here" (stated with the OS's reason)
WRITE_ERRNOS = {errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EFBIG, errno.EACCES, errno.EIO}


class Interrupted(KeyboardInterrupt):
    """The run was stopped by a signal (SIGINT, SIGTERM or SIGHUP).

    Attributes:
        signum: the signal's number; ``exit_code`` = 128 + signum (130 for Ctrl-C).
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum
        self.exit_code = 128 + signum
        self.name = signal.Signals(signum).name


@dataclass
class RunOptions:
    """What ``auditor audit`` was asked to do (see its ``--help``).

    Attributes:
        input: CSV/TSV, JSONL, Parquet file or a folder of ``.txt`` notes.
        out: report folder.
        id_col, text_col: column names (None: detected).
        workers: processes (local) or cluster size (engines: at least 2).
        redact: no evidence text in events, no note text in report.html.
        force: replace the files of an earlier audit in ``out``.
        patterns_dir: rule folder (None: bundled).
        claims, payer: claim lines to reconcile and the payer profile.
        group_by: input column report.html breaks the notes down by.
        engine: ``local``, ``dask`` or ``spark``; scheduler: Dask scheduler / Spark master.
        html: write report.html.
        sheet, sep, line_col: reader options (``io.readers.read_records``): the Excel
            sheet, the CSV delimiter, the line column of a note-line table.
        spec: requirement spec id (None: ``patterns.DEFAULT_SPEC``, contract version 2).
        setting_col: the input's setting column (None: a column with a standard name,
            ``setting.SettingColumn``).
        batch_fn: engines only, replaces ``core.audit_chunk`` (fault-injection tests).
        decisions: review decisions to carry into the rows and the report
            (``review.load_decisions``); None: no ``review`` fields.
    """

    input: Path
    out: Path
    id_col: str | None = None
    text_col: str | None = None
    workers: int = 1
    redact: bool = False
    force: bool = False
    patterns_dir: str | None = None
    claims: Path | None = None
    payer: str = "default"
    group_by: str | None = None
    engine: str = "local"
    scheduler: str | None = None
    html: bool = True
    sheet: str | None = None
    sep: str | None = None
    line_col: str | None = None
    spec: str | None = None
    setting_col: str | None = None
    batch_fn: Callable[..., Any] | None = None
    decisions: Any = None

    @property
    def reader(self) -> ReadOptions:
        """The reader options (``io.readers.ReadOptions``) among these."""
        return ReadOptions(self.id_col, self.text_col, self.sheet, self.sep, self.line_col)


@dataclass
class RunResult:
    """What a finished run wrote.

    Attributes:
        folder: the report folder.
        run: the content of ``run.json`` (counts, tallies, product, patterns hash).
        warnings: lines for stderr (no note ids, no text).
        claims_lines: the claims summary lines (empty without ``--claims``).
        seconds: wall time of the audit and writing.
    """

    folder: Path
    run: dict[str, Any]
    warnings: list[str] = field(default_factory=list)
    claims_lines: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every record was read and audited, 1 when some have status ``error``."""
        return 1 if self.run["status"].get("error") else 0


STOPPED: list[int] = []  # the stop signal received during the current run, if any
STOP_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name)
)


@contextmanager
def signals_interrupt() -> Iterator[None]:
    """While active (main thread only), SIGINT, SIGTERM and SIGHUP raise ``Interrupted``.

    The first signal also sets all three to be ignored until the block ends, so a second
    Ctrl-C during the clean-up cannot cut it short or print a traceback, and is recorded
    in ``STOPPED`` (see ``check_stop``); the previous handlers are restored afterwards.
    A signal that lands where Python cannot raise (a finaliser, a weakref or ``abc``
    callback during an import) would print "Exception ignored in ..." and a traceback on
    stderr: while the block is active ``sys.unraisablehook`` drops an ``Interrupted`` (the
    stop is in ``STOPPED``, so ``check_stop`` still stops the run) and passes anything else
    to the previous hook.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        for s in STOP_SIGNALS:
            signal.signal(s, signal.SIG_IGN)
        STOPPED.append(signum)
        if frame is not None and frame.f_code.co_name == "__del__":
            return  # Python prints and drops an exception from __del__: check_stop stops
        raise Interrupted(signum)

    previous_hook = sys.unraisablehook

    def unraisable(info: Any) -> None:
        if isinstance(info.exc_value, Interrupted):
            return  # recorded in STOPPED: check_stop ends the run, without a traceback
        previous_hook(info)

    STOPPED.clear()
    previous = {s: signal.signal(s, handler) for s in STOP_SIGNALS}
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for s, h in previous.items():
            signal.signal(s, h)


def check_stop() -> None:
    """Raise ``Interrupted`` if a stop signal came (``signals_interrupt``): its exception
    may have been swallowed by library code (a bare ``except:`` around an optional
    import during the pipeline build did so), and the signal is ignored from then on."""
    if STOPPED:
        raise Interrupted(STOPPED[0])


def _writes(options: RunOptions) -> list[str]:
    names = [*ROW_FILES, "run.json", "report.xlsx"]
    if options.claims:
        names += ["claims.jsonl", "claims.csv"]
    if options.html:
        names.append("report.html")
    return names


def _audited(
    options: RunOptions, records: Iterator[NoteRecord], info: dict[str, Any], on_note: Any
) -> Stream:
    """``(record, note, events)`` in input order from the chosen engine."""
    if options.engine == "local":
        from .core import audit_stream

        return audit_stream(
            records, options.patterns_dir, options.workers, options.redact, on_note, options.spec
        )
    from .engines import engine_stream

    return engine_stream(options, records, info, on_note)


def run_audit(options: RunOptions, on_note: Callable[[], None] | None = None) -> RunResult:
    """Audit ``options.input`` into ``options.out`` (notes/events JSONL and CSV, run.json,
    report.html; claims.jsonl/csv with ``claims``).

    Args:
        options: what to do.
        on_note: called once per audited note (progress; counts only).

    Returns:
        a ``RunResult``; its ``exit_code`` is 1 when some records have status ``error``.

    Raises:
        AuditorError: a coded usage or input error (patterns, claims, columns, report
            folder, disk full or read-only: the OS reason is given); nothing is written.
        Interrupted: SIGINT, SIGTERM or SIGHUP; nothing is written.
        Exception: an unexpected failure; nothing is written (callers must not print its
            message: it may quote note text).
    """
    from .io.claims_io import ClaimsRun
    from .io.readers import check_column, read_records
    from .io.xlsx import write_xlsx
    from .patterns import load_patterns
    from .setting import SettingColumn

    started = time.perf_counter()
    rules = load_patterns(options.patterns_dir)
    spec = rules.spec(options.spec)
    claims_run = (
        ClaimsRun.open(options.claims, options.payer, options.patterns_dir)
        if options.claims
        else None
    )
    if options.engine != "local":
        from .engines import check_engine

        check_engine(options.engine)
    records = read_records(options.input, options.id_col, options.text_col, sheet=options.sheet,
                           sep=options.sep, line_col=options.line_col)  # fmt: skip
    first = next(records, None)  # surfaces column errors before anything is written
    for name, option in ((options.group_by, "--group-by"),
                         (options.setting_col, "--setting-col")):  # fmt: skip
        check_column(records.columns or [], name, option)
    columns = records.columns or (list(first.extra) if first is not None else [])
    setting = SettingColumn.choose(rules.setting, columns, options.setting_col)
    output = OutputFolder(
        options.out, options.force, _writes(options), [options.input, options.claims]
    )
    meta: dict[str, Any] = {
        "product": "auditor",
        "version": __version__,
        "patterns_sha256": rules.sha256,
        "spec": {"id": spec["id"], "version": spec["version"]},
        "requirements_version": spec["version"],
        "input": str(options.input),
        "id_col": options.id_col,
        "text_col": options.text_col,
        "redacted": options.redact,
    }
    # the reader options, so that the input can be read again alike (``auditor sample``)
    meta.update({k: v for k, v in (("sheet", options.sheet), ("sep", options.sep),
                                   ("line_col", options.line_col)) if v is not None})  # fmt: skip
    reviewer = Reviewer(options.decisions, spec_id(meta)) if options.decisions is not None else None
    tally = InputTally()
    stream = setting.apply(
        map(
            safe_record,
            tally.watch(itertools.chain([] if first is None else [first], records), records),
        )
    )
    builder = None
    with signals_interrupt():
        try:
            with output:
                folder = output.work
                builder = _report_builder(options, rules, folder) if options.html else None
                run = _write_all(
                    options, folder, meta, stream, (tally, setting), claims_run, reviewer,
                    builder, on_note,
                )  # fmt: skip
                write_xlsx(folder, run)
                output.commit()
            check_stop()
        except KeyboardInterrupt as exc:
            raise (exc if isinstance(exc, Interrupted) else Interrupted(signal.SIGINT)) from None
        except OSError as exc:
            check_stop()
            if exc.errno in WRITE_ERRNOS:
                raise OutputError(
                    f"cannot write the report to {options.out}: {os_reason(exc)}; "
                    "nothing was written"
                ) from exc
            raise
        except Exception:
            check_stop()  # a failure that follows a swallowed stop signal is the stop
            raise
    warnings = tally.warnings() + setting.warnings()
    if builder is not None and options.group_by is not None and not builder.group_seen:
        warnings.append(f"report.html: grouping column {options.group_by!r} not found in the input")
    if not run["notes"]:
        warnings.append("the input holds no records")
    return RunResult(
        folder=output.target,
        run=run,
        warnings=warnings,
        claims_lines=claims_run.summary_lines() if claims_run else [],
        seconds=time.perf_counter() - started,
    )


def _write_all(
    options: RunOptions,
    folder: Path,
    meta: dict[str, Any],
    stream: Iterator[NoteRecord],
    tallies: tuple[InputTally, Any],
    claims_run: Any,
    reviewer: Any,
    builder: Any,
    on_note: Callable[[], None] | None,
) -> dict[str, Any]:
    """Audit ``stream`` and write every output into ``folder`` (each note, as it comes, to
    the row files, the claims reconciliation and the report builder); return run.json's
    content. ``tallies``: the input tally and the ``setting.SettingColumn``."""
    tally, setting = tallies
    engine_info: dict[str, Any] = {}
    try:
        with ReportWriter(folder, meta) as writer:
            for record, note, events in _audited(options, stream, engine_info, on_note):
                check_stop()
                if reviewer is not None:
                    note, events = reviewer.annotate(note, events)
                writer.write(note, events)
                if claims_run:
                    claims_run.add(note, events)
                if builder is not None:
                    builder.add(note, events, _text_for_report(options, note, record), record.extra)
            if claims_run:
                writer.meta["claims"] = claims_run.write(folder)
                _review_claims(folder, reviewer, builder)
            if reviewer is not None:
                writer.meta["review"] = reviewer.section()
            writer.meta.update(engine_info)
            writer.meta.update(records_read=tally.records, **tally.summary())
            writer.meta["setting_column"] = setting.summary()
            writer.meta["files"] = sorted(_writes(options))
            if builder is not None:
                check_stop()
                _write_html(builder, folder, {**writer.meta, **writer.summary()})
            check_stop()
    finally:
        if builder is not None:
            builder.close()
    return {**writer.meta, **writer.summary()}


def _review_claims(folder: Path, reviewer: Any, builder: Any) -> None:
    """Carry decisions into ``claims.jsonl`` and give its findings to the report builder."""
    if reviewer is None and builder is None:
        return
    rows = read_jsonl(folder / "claims.jsonl")
    if reviewer is not None:
        rows = reviewer.annotate_claims(rows)
        rewrite_jsonl(folder / "claims.jsonl", rows)
    if builder is not None:
        builder.add_claims(rows)


def _text_for_report(options: RunOptions, note: dict[str, Any], record: NoteRecord) -> str | None:
    """The note text report.html needs: none when redacting, and only for notes with an
    event or a flag (others are embedded without text)."""
    if options.redact or not (note["status"] not in ("no_injection", "error") or note["flags"]):
        return None
    return record.text


def _report_builder(options: RunOptions, rules: Any, spill_dir: Path) -> Any:
    from .io.html import ReportBuilder, default_locator
    from .requirements import RequirementSpec

    spec = RequirementSpec(rules.spec(options.spec))
    locator = None if options.redact else default_locator(options.patterns_dir)
    return ReportBuilder(spec, locator, options.group_by, options.redact, spill_dir=spill_dir)


def _write_html(builder: Any, folder: Path, meta: dict[str, Any]) -> None:
    from .io.html import write_page

    write_page(builder, folder / "report.html", meta)
