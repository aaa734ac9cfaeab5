"""``auditor sample``: a reproducible random sample of a report's notes (or claim lines) for
human review, and the sample folder it writes.

The frame: the notes of ``notes.jsonl`` (or, with claims reconciled, the lines of
``claims.jsonl``), in file order, optionally restricted to some statuses. Unit *i* (1-based
position in that file) with id *id* gets the key ``SHA-256("<seed>|<i>|<id>")`` (hex); the
sample of a stratum is its ``n_h`` units with the smallest keys, and the draw order is the key
order. A random permutation keyed by the seed is a simple random sample without replacement
(every subset of size ``n_h`` is equally likely, as SHA-256 is taken to behave as a random
function); anyone can redraw it from ``sample.json`` with any SHA-256 tool.

Sample size for an attribute appraisal (Cochran, W. G. (1977) *Sampling Techniques*, 3rd ed.,
Wiley, section 4.4, sample size for proportions, with the finite population correction):
``n0 = z^2 p (1 - p) / e^2`` and ``n = ceil(n0 / (1 + (n0 - 1) / N))``, where ``z`` is the
two-sided standard normal quantile for the confidence level (``z = Phi^-1(1 - (1 - c) / 2)``,
``scipy.stats.norm.ppf``), ``p`` the expected error rate, ``e`` the precision (half-width of
the interval, as a proportion) and ``N`` the frame size.

Allocation over strata: proportional (``n_h = n N_h / N``, rounded by largest remainder, at
least 1 per stratum when ``n`` allows) or equal (``n / H`` each); both capped at ``N_h``, the
surplus given to the strata with room, in stratum order.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import os
import secrets
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import __version__
from .errors import SampleError
from .review import spec_id

STRATA_BUILTIN = ("status", "setting")
ALLOCATIONS = ("proportional", "equal")
SIZE_SOURCE = (
    "Cochran, W. G. (1977) Sampling Techniques, 3rd ed., Wiley, section 4.4 "
    "(sample size for proportions, finite population correction)"
)
BLANK = "(blank)"


@dataclass
class Unit:
    """One unit of the sampling frame.

    Attributes:
        position: 1-based line of ``notes.jsonl`` (or ``claims.jsonl``).
        id: the note id (claim lines: ``<note_id>#<line>``).
        note_id: the note it belongs to.
        stratum: its stratum (``""`` when the sample is not stratified).
    """

    position: int
    id: str
    note_id: str
    stratum: str = ""

    def key(self, seed: int) -> str:
        """The unit's rank key: ``SHA-256("<seed>|<position>|<id>")`` in hex."""
        return hashlib.sha256(f"{seed}|{self.position}|{self.id}".encode()).hexdigest()


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def ids_sha256(units: list[Unit]) -> str:
    """SHA-256 of the frame: one ``<position>\\t<id>\\n`` line per unit, in frame order."""
    h = hashlib.sha256()
    for u in units:
        h.update(f"{u.position}\t{u.id}\n".encode())
    return h.hexdigest()


def size_for_attribute(
    frame: int, confidence: float, precision: float, expected_rate: float
) -> dict[str, Any]:
    """Sample size for estimating an error rate (formula and source in the module docstring).

    Args:
        frame: N, units in the frame (>= 1).
        confidence: two-sided confidence level, 0 < c < 1 (e.g. 0.90).
        precision: e, the interval's half-width as a proportion, 0 < e < 1 (e.g. 0.05).
        expected_rate: p, the expected error rate, 0 < p < 1 (0.5 is the most conservative).

    Returns:
        ``{"n", "n0", "z", "N", "confidence", "precision", "expected_rate", "formula",
        "source"}``; ``n`` is at most ``N``.

    Raises:
        SampleError: a value is out of range.
    """
    from scipy.stats import norm

    for name, value in (("confidence", confidence), ("precision", precision)):
        if not 0 < value < 1:
            raise SampleError(f"--{name} must be between 0 and 1 (got {value})")
    if not 0 < expected_rate < 1:
        raise SampleError(f"--expected-rate must be between 0 and 1 (got {expected_rate})")
    z = float(norm.ppf(1 - (1 - confidence) / 2))
    n0 = z * z * expected_rate * (1 - expected_rate) / (precision * precision)
    n = min(frame, math.ceil(n0 / (1 + (n0 - 1) / frame))) if frame else 0
    formula = (
        f"n0 = z^2 p (1-p) / e^2 = {z:.4f}^2 x {expected_rate:g} x {1 - expected_rate:g} / "
        f"{precision:g}^2 = {n0:.2f}; n = ceil(n0 / (1 + (n0 - 1) / N)) = "
        f"ceil({n0:.2f} / (1 + {n0 - 1:.2f} / {frame})) = {n}"
    )
    return {
        "n": n,
        "n0": n0,
        "z": z,
        "N": frame,
        "confidence": confidence,
        "precision": precision,
        "expected_rate": expected_rate,
        "formula": formula,
        "source": SIZE_SOURCE,
    }


def allocate(sizes: dict[str, int], n: int, method: str) -> dict[str, int]:
    """Share ``n`` sample units among strata of ``sizes`` (stratum -> N_h, in order).

    Args:
        sizes: frame units per stratum (all > 0).
        n: total sample size, ``0 <= n <= sum(sizes)``.
        method: ``proportional`` or ``equal`` (module docstring).

    Returns:
        stratum -> n_h, same order; ``sum == n`` and ``0 <= n_h <= N_h``.
    """
    total = sum(sizes.values())
    names = list(sizes)
    if method == "proportional":
        quota = {h: n * sizes[h] / total for h in names}
        alloc = {h: math.floor(q) for h, q in quota.items()}
        if n >= len(names):  # every stratum gets at least one unit
            for h in names:
                alloc[h] = max(alloc[h], 1)
        left = n - sum(alloc.values())
        order = sorted(names, key=lambda h: (-(quota[h] - math.floor(quota[h])), names.index(h)))
        i = 0
        while left > 0 and order:
            h = order[i % len(order)]
            if alloc[h] < sizes[h]:
                alloc[h] += 1
                left -= 1
            i += 1
        while left < 0:  # the minimum of one took too many: take back from the largest
            h = max(names, key=lambda k: (alloc[k] - quota[k], -names.index(k)))
            alloc[h] -= 1
            left += 1
    else:
        alloc = {h: n // len(names) + (1 if i < n % len(names) else 0) for i, h in enumerate(names)}
    surplus = sum(max(0, alloc[h] - sizes[h]) for h in names)
    alloc = {h: min(alloc[h], sizes[h]) for h in names}
    for h in names:
        room = sizes[h] - alloc[h]
        take = min(room, surplus)
        alloc[h] += take
        surplus -= take
    return alloc


def _stratum_value(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return BLANK
    text = " ".join(str(value).split())
    return text[:80] if text else BLANK


def load_frame(
    report: Path,
    unit: str,
    statuses: list[str] | None,
    strata: str | None,
    meta: dict[str, Any],
) -> list[Unit]:
    """The sampling frame of a report folder (module docstring).

    Args:
        report: the report folder.
        unit: ``notes`` or ``claims``.
        statuses: keep only notes (claim lines of notes) with these statuses (None: all).
        strata: ``status``, ``setting`` or a column: a field of the unit's row, else an input
            column (the input is re-read from ``run.json``'s ``input``).
        meta: the folder's ``run.json``.

    Raises:
        SampleError: the files are missing, or the strata column is found nowhere.
    """
    notes_path = report / "notes.jsonl"
    if not notes_path.exists():
        raise SampleError(f"{report} is not a report folder (no notes.jsonl)")
    # one id, status and stratum field per notes.jsonl line (not the rows: the frame may be big)
    note_ids: list[str] = []
    note_status: list[str] = []
    note_field: list[Any] = []
    notes_have_field = False
    for n in _jsonl(notes_path):
        note_ids.append(str(n["note_id"]))
        note_status.append(n["status"])
        if strata:
            notes_have_field = notes_have_field or strata in n
            note_field.append(n.get(strata))
    status_of: dict[str, str] = {}
    field_of: dict[str, Any] = {}
    for i, nid in enumerate(note_ids):
        status_of.setdefault(nid, note_status[i])
        if strata:
            field_of.setdefault(nid, note_field[i])
    units: list[Unit] = []
    values: list[Any] = []
    if unit == "claims":
        claims_path = report / "claims.jsonl"
        if not claims_path.exists():
            raise SampleError(f"{report} has no claims.jsonl: audit with --claims first")
        lines_have_field = False
        for i, line in enumerate(_jsonl(claims_path), 1):
            nid = "" if line.get("note_id") is None else str(line["note_id"])
            units.append(Unit(i, f"{nid}#{i}", nid))
            if strata:
                lines_have_field = lines_have_field or strata in line
                values.append(line.get(strata))
        if strata == "status":
            values = [status_of.get(u.note_id) for u in units]
        elif strata and not lines_have_field:
            by_note = field_of if notes_have_field else _by_note(report, strata, meta, note_ids)
            values = [by_note.get(u.note_id) for u in units]
    else:
        units = [Unit(i, nid, nid) for i, nid in enumerate(note_ids, 1)]
        if strata == "status":
            values = note_status
        elif strata and notes_have_field:
            values = note_field
        elif strata:
            values = _input_column(report, strata, meta)
    if strata:
        for u, v in zip(units, values, strict=True):
            u.stratum = _stratum_value(v)
    if statuses:
        units = [u for u in units if status_of.get(u.note_id) in statuses]
    return units


def _by_note(report: Path, strata: str, meta: dict[str, Any], note_ids: list[str]) -> dict:
    """Input column ``strata`` by note id (the first record of a repeated id)."""
    out: dict[str, Any] = {}
    for nid, v in zip(note_ids, _input_column(report, strata, meta), strict=True):
        out.setdefault(nid, v)
    return out


def _input_column(report: Path, column: str, meta: dict[str, Any]) -> list[Any]:
    from .io.readers import read_records, reader_options

    if column == "setting":
        raise SampleError("this report has no setting column (audit with a version 2 spec)")
    source = meta.get("input")
    if not source or not Path(source).exists():
        raise SampleError(
            f"--strata {column}: not a field of the report rows, and the audit's input "
            f"({source or 'not recorded'}) cannot be read again for it"
        )
    values = []
    for record in read_records(Path(source), meta.get("id_col"), meta.get("text_col"),
                               **reader_options(meta)):  # fmt: skip
        if column not in record.extra:
            raise SampleError(f"--strata {column}: no such column in the input {source}")
        values.append(record.extra[column])
    return values


@dataclass
class Draw:
    """A drawn sample: the units in draw order and the plan."""

    units: list[Unit]
    plan: dict[str, Any]


def draw(frame: list[Unit], n: int, seed: int, allocation: str, stratified: bool) -> Draw:
    """Draw ``n`` units of ``frame`` (module docstring).

    Returns:
        the sample in draw order (ascending key) and ``plan``: ``strata`` (a list of
        ``{"stratum", "N", "n"}``, frame order of first appearance) and ``allocation``.
    """
    sizes: dict[str, int] = dict(Counter(u.stratum for u in frame)) if frame else {}
    alloc = allocate(sizes, n, allocation) if stratified and sizes else {"": n}
    if not stratified:
        sizes = {"": len(frame)}
    chosen: list[tuple[str, Unit]] = []
    for h, n_h in alloc.items():
        members = sorted(
            ((u.key(seed), u) for u in frame if not stratified or u.stratum == h),
            key=lambda t: t[0],
        )
        chosen += members[:n_h]
    chosen.sort(key=lambda t: t[0])
    plan = {
        "allocation": allocation if stratified else None,
        "strata": [{"stratum": h, "N": sizes[h], "n": alloc[h]} for h in alloc]
        if stratified
        else None,
    }
    return Draw([u for _, u in chosen], plan)


def _frame_paid(report: Path, frame: list[Unit]) -> dict[str, Any] | None:
    """The paid amount column of ``claims.jsonl`` and the frame's paid total per stratum
    (None when the lines carry no paid amount; see ``appraisal.PAID_COLUMNS``)."""
    from .appraisal import PAID_COLUMNS

    lines = list(_jsonl(report / "claims.jsonl"))
    keys = {k.lower(): k for k in lines[0]} if lines else {}
    col = next((keys[c] for c in PAID_COLUMNS if c in keys), None)
    if col is None:
        return None
    totals: dict[str, float] = {}
    for u in frame:
        try:
            value = float(lines[u.position - 1].get(col))
        except (TypeError, ValueError):
            value = math.nan
        if math.isfinite(value):
            totals[u.stratum] = totals.get(u.stratum, 0.0) + value
    return {"paid_column": col, "paid_by_stratum": totals}


# --- writing the sample folder ---------------------------------------------------------------


def _copy_lines(src: Path, dst: Path, keep: set[int], header: bool) -> int:
    """Copy the 1-based data lines ``keep`` of ``src`` (JSONL: every line; CSV: after the
    header, one record a line as the writers make them); returns lines written."""
    if not src.exists():
        return 0
    n = 0
    part = dst.with_name(dst.name + ".part")
    with (
        open(src, encoding="utf-8", newline="") as fin,
        open(part, "w", encoding="utf-8", newline="") as fout,
    ):
        if header:
            reader = csv.reader(fin)
            writer = csv.writer(fout, lineterminator="\r\n")
            writer.writerow(next(reader, []))
            for i, row in enumerate(reader, 1):
                if i in keep:
                    writer.writerow(row)
                    n += 1
        else:
            i = 0
            for line in fin:
                if not line.strip():
                    continue
                i += 1
                if i in keep:
                    fout.write(line)
                    n += 1
    os.replace(part, dst)
    return n


def write_sample(
    report: Path,
    out: Path,
    sample: Draw,
    unit: str,
    meta: dict[str, Any],
    info: dict[str, Any],
    patterns_dir: str | None = None,
) -> dict[str, Any]:
    """Write the sample folder: the report files restricted to the sample (with
    ``report.xlsx`` when the report has one), ``sample.csv``, ``sample.json`` and
    ``report.html`` (with note text when the audit's input can be read).

    Returns:
        the content of ``sample.json``.
    """
    from .io.html import write_report
    from .review import read_rows

    picked_claims: set[int] = set()
    if unit == "claims":
        picked_claims = {u.position for u in sample.units}
        wanted = {u.note_id for u in sample.units}
        notes = enumerate(_jsonl(report / "notes.jsonl"), 1)
        picked_notes = {i for i, n in notes if str(n["note_id"]) in wanted}
    else:
        picked_notes = {u.position for u in sample.units}
    picked_ids: set[str] = set()
    status: Counter[str] = Counter()
    for i, n in enumerate(_jsonl(report / "notes.jsonl"), 1):
        if i in picked_notes:
            picked_ids.add(str(n["note_id"]))
            status[n["status"]] += 1
    # events: the lines of the picked notes, found by pairing (repeated ids pair correctly)
    picked_events: set[int] = set()
    line = 0
    for i, (_note, events) in enumerate(read_rows(report), 1):
        for _ in events:
            line += 1
            if i in picked_notes:
                picked_events.add(line)
    if unit == "notes" and (report / "claims.jsonl").exists():
        picked_claims = {
            i
            for i, c in enumerate(_jsonl(report / "claims.jsonl"), 1)
            if str(c.get("note_id")) in picked_ids
        }
    counts = {
        "notes": _copy_lines(report / "notes.jsonl", out / "notes.jsonl", picked_notes, False),
        "events": _copy_lines(report / "events.jsonl", out / "events.jsonl", picked_events, False),
    }
    _copy_lines(report / "notes.csv", out / "notes.csv", picked_notes, True)
    _copy_lines(report / "events.csv", out / "events.csv", picked_events, True)
    if (report / "claims.jsonl").exists():
        counts["claims"] = _copy_lines(
            report / "claims.jsonl", out / "claims.jsonl", picked_claims, False
        )
        _copy_lines(report / "claims.csv", out / "claims.csv", picked_claims, True)
    with open(out / "sample.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["draw", "position", "id", "note_id", "stratum"])
        for k, u in enumerate(sample.units, 1):
            writer.writerow([k, u.position, u.id, u.note_id, u.stratum])
    sample_meta = {**info, **sample.plan, "counts": counts}
    counts_of_the_run = {"review", "missing", "flags", "medications", "claims", "records_read"}
    run = {
        **{k: v for k, v in meta.items() if k not in counts_of_the_run},
        "notes": counts["notes"],
        "events": counts["events"],
        "status": dict(sorted(status.items())),
        "source_run": {k: meta.get(k) for k in ("input", "requirements_version", "patterns_sha256")}
        | {"spec_id": spec_id(meta), "report": str(report)},
        "sample": {k: sample_meta[k] for k in ("method", "unit", "seed", "n")},
    }
    (out / "run.json").write_text(json.dumps(run, indent=2, ensure_ascii=False) + "\n")
    records = _sample_records(meta, picked_notes)
    sample_meta["note_text"] = records is not None
    (out / "sample.json").write_text(
        json.dumps(sample_meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    write_report(out, records, patterns_dir, redact=bool(meta.get("redacted")))
    if (report / "report.xlsx").exists():
        from .io.xlsx import write_xlsx

        write_xlsx(out, run)
    return sample_meta


def _sample_records(meta: dict[str, Any], positions: set[int]) -> Iterator[Any] | None:
    """The input records at ``positions`` (1-based), re-read from the audit's input; None when
    it cannot be read (the sample's report then shows findings without text)."""
    from .io.readers import read_records, reader_options

    source = meta.get("input")
    if not source or not Path(source).exists() or meta.get("redacted"):
        return None

    def gen() -> Iterator[Any]:
        for i, record in enumerate(
            read_records(
                Path(source), meta.get("id_col"), meta.get("text_col"), **reader_options(meta)
            ),
            1,
        ):
            if i in positions:
                yield record

    return gen()


def sample_report(
    report: str | Path,
    out: str | Path,
    *,
    size: int | None = None,
    confidence: float = 0.90,
    precision: float | None = None,
    expected_rate: float = 0.5,
    strata: str | None = None,
    allocation: str = "proportional",
    seed: int | None = None,
    unit: str | None = None,
    statuses: list[str] | None = None,
    force: bool = False,
    patterns_dir: str | None = None,
) -> dict[str, Any]:
    """Draw a sample of a report folder and write the sample folder (``auditor sample``).

    Args:
        report: the audit's report folder.
        out: the sample folder to write.
        size: the sample size; None: computed by ``size_for_attribute`` (then ``precision``
            is required).
        confidence, precision, expected_rate: see ``size_for_attribute``.
        strata: None (simple random sample), ``status``, ``setting`` or a column name.
        allocation: ``proportional`` or ``equal`` (stratified samples).
        seed: the seed; None draws one (``secrets``) and records it.
        unit: ``notes`` or ``claims`` (default: ``claims`` when the report has
            ``claims.jsonl``, else ``notes``).
        statuses: restrict the frame to notes with these statuses.
        force: overwrite an existing sample folder's files.
        patterns_dir: the rules the audit used (for the sample's report.html).

    Returns:
        the content of ``sample.json``.

    Raises:
        SampleError: bad options, a folder that is not a report, an empty frame.
        OutputError: the sample folder exists without ``force``.
    """
    from .io.writers import prepare_dir

    report, out = Path(report), Path(out)
    try:
        meta = json.loads((report / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SampleError(f"{report} is not a report folder (no readable run.json)") from exc
    if "sample" in meta:
        raise SampleError(f"{report} is a sample folder: sample the audit's report folder")
    unit = unit or ("claims" if (report / "claims.jsonl").exists() else "notes")
    if unit not in ("notes", "claims"):
        raise SampleError(f"--unit must be notes or claims (got {unit})")
    if allocation not in ALLOCATIONS:
        raise SampleError(f"--allocation must be proportional or equal (got {allocation})")
    frame = load_frame(report, unit, statuses, strata, meta)
    if not frame:
        raise SampleError("the sampling frame is empty")
    if size is None:
        if precision is None:
            raise SampleError("give --size, or --precision (with --confidence, --expected-rate)")
        computed = size_for_attribute(len(frame), confidence, precision, expected_rate)
        n = computed["n"]
    else:
        if not 1 <= size <= len(frame):
            raise SampleError(f"--size must be between 1 and the frame size {len(frame)}")
        computed, n = None, size
    if seed is None:
        seed, seed_source = secrets.randbelow(2**31), "drawn (secrets.randbelow(2**31))"
    else:
        seed_source = "given"
    stratified = strata is not None
    sample = draw(frame, n, seed, allocation, stratified)
    paid = _frame_paid(report, frame) if unit == "claims" else None
    folder = prepare_dir(out, force)
    for name in ("sample.csv", "sample.json", "claims.csv", "report.xlsx", "appraisal.json"):
        (folder / name).unlink(missing_ok=True)
    info = {
        "product": "auditor",
        "version": __version__,
        "method": "stratified random" if stratified else "simple random",
        "unit": unit,
        "seed": seed,
        "seed_source": seed_source,
        "n": len(sample.units),
        "size": computed or {"n": n, "given": True},
        "strata_by": strata,
        "frame": {
            "N": len(frame),
            "ids_sha256": ids_sha256(frame),
            "ids": "SHA-256 of one '<position>\\t<id>\\n' line per frame unit, in file order",
            "statuses": sorted(statuses) if statuses else None,
            "source": str(report / ("claims.jsonl" if unit == "claims" else "notes.jsonl")),
            **(paid or {}),
        },
        "selection": (
            "each frame unit gets key SHA-256('<seed>|<position>|<id>') in hex; a stratum's "
            "sample is its n units with the smallest keys; draw order is key order"
        ),
        "source_run": {
            "report": str(report),
            "input": meta.get("input"),
            "spec_id": spec_id(meta),
            "patterns_sha256": meta.get("patterns_sha256"),
        },
    }
    return write_sample(report, folder, sample, unit, meta, info, patterns_dir)
