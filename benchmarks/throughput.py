"""Throughput and memory benchmark of the auditor (issue 5). Not part of the test suite.

Run from the repository root with the project's virtual environment::

    .venv/bin/python benchmarks/throughput.py

On the MTSamples transcriptions (column ``transcription``; empty cells skipped) it measures,
in one run, words/s and notes/s of:

1. the full ``auditor audit`` path (CLI subprocess: start-up, CSV read, pipeline,
   judgement, report writing) with 1 and with 2 workers;
2. medspaCy's default pipeline (``medspacy.load()``: medspaCy tokenizer, PyRuSH sentences,
   TargetMatcher holding the project's DRUG names from ``patterns/lexicons/drugs.yaml`` as
   ``TargetRule``s with the default ``result_type="ents"``, ConText with its default rules)
   on a fixed random sample of notes (``--medspacy-sample``; PyRuSH makes the full set take
   tens of minutes);
3. spaCy's blank English tokenizer alone (``nlp.tokenizer.pipe``), the practical ceiling;

and prints the ratios auditor(1 worker)/medspaCy, auditor(1 worker)/tokenizer and the
2-worker speed-up. Every measurement is repeated ``--repeats`` times, interleaved, so the
ratios of one repeat come from the same period of machine load; medians are reported.
In-process figures (2, 3) exclude loading; CLI figures (1) include process start-up.

It also checks that the 1- and 2-worker report files (``notes.jsonl``, ``events.jsonl``)
are byte-identical, and measures the CLI's peak resident memory (``/usr/bin/time -v``,
"Maximum resident set size": the peak of the largest process of the run, i.e. of the
single process with 1 worker) over MTSamples repeated to 10,000 and 100,000 notes.

``--profile`` adds a CPU split per component of the auditor pipeline (all notes) and of
medspaCy's default pipeline (the sample): what bounds the figures. Words are
whitespace-separated tokens (``str.split``).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

import pandas as pd

from auditor.evaluate import shared_data_dir

ROOT = Path(__file__).resolve().parents[1]
# the shared data folder: $AUDITOR_SHARED_DATA, else ../shared/data beside the checkout
DEFAULT_CSV = shared_data_dir() / "mtsamples" / "mtsamples.csv"
TEXT_COL = "transcription"
TARGETS = {
    "auditor_vs_medspacy": 10.0,  # auditor (1 worker) words/s >= 10x medspaCy default
    "auditor_vs_tokenizer": 0.15,  # >= 15% of the blank tokenizer's words/s
    "speedup_2_workers": 1.7,  # 2 workers >= 1.7x 1 worker
    "rss_growth": 1.2,  # peak RSS at the largest size <= 1.2x that at the smallest
    "rss_limit_mb": 1024.0,  # and under 1 GB
}
REPORT_FILES = ("notes.jsonl", "events.jsonl")


def silence_phi_loggers() -> None:
    """PyRuSH logs note tokens at DEBUG through loguru (a PHI leak): disable it."""
    from loguru import logger

    logger.disable("PyRuSH")
    logger.disable("medspacy")


def load_notes(csv_path: Path) -> pd.DataFrame:
    """The export's rows with a non-empty text cell, every column kept (as strings)."""
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    frame = frame[frame[TEXT_COL].str.strip() != ""].reset_index(drop=True)
    unnamed = [c for c in frame.columns if c == "" or c.startswith("Unnamed")]
    if unnamed:  # MTSamples' first, unnamed column is its row number: use it as the note id
        frame = frame.rename(columns={unnamed[0]: "note_id"})
    return frame


def word_count(texts: list[str]) -> int:
    return sum(len(t.split()) for t in texts)


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def audit_command(auditor: str, csv_path: Path, out: Path, workers: int) -> list[str]:
    """The benchmarked command: ``auditor audit CSV --text-col transcription --out DIR
    --force --workers N``."""
    options = f"--text-col {TEXT_COL} --out {{out}} --force --workers {workers}".split()
    return [auditor, "audit", str(csv_path)] + [str(out) if o == "{out}" else o for o in options]


def run_cli(auditor: str, csv_path: Path, out: Path, workers: int) -> dict:
    """Run ``auditor audit`` once; wall and CPU (the whole process tree) seconds."""
    cmd = audit_command(auditor, csv_path, out, workers)
    env = {**os.environ, "COLUMNS": "300"}
    cpu0, t0 = children_cpu(), time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall, cpu = time.perf_counter() - t0, children_cpu() - cpu0
    if done.returncode != 0:
        sys.exit(f"auditor audit failed ({done.returncode}): {done.stderr[-2000:]}")
    loop = re.search(r"\((\d+(?:\.\d+)?) s\)", done.stdout)
    return {"wall": wall, "cpu": cpu, "audit_loop": float(loop.group(1)) if loop else None}


def digest(folder: Path) -> dict[str, str]:
    return {n: hashlib.sha256((folder / n).read_bytes()).hexdigest() for n in REPORT_FILES}


def time_tokenizer(texts: list[str]) -> dict:
    """spaCy's blank English tokenizer over ``texts`` (fresh vocabulary, like a new CLI)."""
    import spacy

    nlp = spacy.blank("en")
    cpu0, t0 = time.process_time(), time.perf_counter()
    for _ in nlp.tokenizer.pipe(texts, batch_size=1000):
        pass
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - cpu0}


def medspacy_default():
    """``medspacy.load()`` with the project's DRUG names added to its TargetMatcher."""
    import medspacy
    import yaml
    from medspacy.target_matcher import TargetRule

    silence_phi_loggers()
    nlp = medspacy.load()  # medspacy tokenizer, medspacy_pyrush, target matcher, context
    drugs = yaml.safe_load((ROOT / "patterns" / "lexicons" / "drugs.yaml").read_text("utf-8"))
    rules = [TargetRule(str(name), "DRUG") for d in drugs["drugs"] for name in d["names"]]
    nlp.get_pipe("medspacy_target_matcher").add(rules)  # result_type: the default, "ents"
    return nlp


def time_medspacy(texts: list[str]) -> dict:
    nlp = medspacy_default()  # fresh each repeat: its vocabulary starts cold, like the CLI's
    cpu0, t0 = time.process_time(), time.perf_counter()
    drugs = 0
    for doc in nlp.pipe(texts):
        drugs += len(doc.ents)
    return {"wall": time.perf_counter() - t0, "cpu": time.process_time() - cpu0, "drugs": drugs}


def profile_components(texts: list[str]) -> dict[str, float]:
    """CPU seconds of each auditor pipeline component (keys are pipe names) and of a few
    calls inside them (keys ``pipe/call``), timed with ``process_time``."""
    from medspacy.context import context_graph

    from auditor.core import _engine
    from auditor.pipeline import sentences

    cpu = time.process_time
    split: dict[str, float] = defaultdict(float)

    class Timed:
        """Wraps a callable; sums its CPU time under ``key``; other attributes pass through."""

        def __init__(self, key: str, inner) -> None:
            self._key, self._inner = key, inner

        def __call__(self, *args, **kwargs):
            start = cpu()
            try:
                return self._inner(*args, **kwargs)
            finally:
                split[self._key] += cpu() - start

        def __getattr__(self, name: str):
            return getattr(self._inner, name)

    nlp = _engine(None)[0]
    ruler = nlp.get_pipe("auditor_mentions")
    ruler.match = Timed("auditor_mentions/match (token patterns: StartIndex)", ruler.match)
    ruler.phrase_matcher = Timed("auditor_mentions/PhraseMatcher", ruler.phrase_matcher)
    sentences._starts = Timed("auditor_sentences/_starts (rebuilds Doc.text)", sentences._starts)
    section = nlp.get_pipe("auditor_sections").sectionizer
    section._Sectionizer__matcher = Timed("auditor_sections/matcher", section._Sectionizer__matcher)
    section.set_assertion_attributes = Timed(
        "auditor_sections/set_assertion_attributes", section.set_assertion_attributes
    )
    context = nlp.get_pipe("auditor_context").context
    context._ConText__matcher = Timed("auditor_context/matcher", context._ConText__matcher)
    original_scopes = context_graph.ConTextGraph.update_scopes
    context_graph.ConTextGraph.update_scopes = lambda self: Timed(
        "auditor_context/ConTextGraph.update_scopes", original_scopes
    )(self)
    events = nlp.get_pipe("auditor_events")
    events.extractor = Timed(
        "auditor_events/EventExtractor (NoteView + extraction)", events.extractor
    )
    total = 0.0
    try:
        for text in texts:
            start = cpu()
            doc = nlp.make_doc(text)
            split["tokenizer (clinical infixes)"] += cpu() - start
            for name, component in nlp.pipeline:
                begin = cpu()
                doc = component(doc)
                split[name] += cpu() - begin
            total += cpu() - start
            begin = cpu()
            _ = doc.text  # sentences rebuild it for every note, events once more when gated in
            rebuilds = 1 + ("auditor" in doc.user_data)
            split["(within the above) Doc.text rebuilds"] += (cpu() - begin) * rebuilds
    finally:
        context_graph.ConTextGraph.update_scopes = original_scopes
    split["total"] = total
    return dict(split)


def peak_rss(auditor: str, csv_path: Path, out: Path, workers: int) -> dict:
    """Peak RSS (MB) of one CLI run, read from ``/usr/bin/time -v``."""
    cmd = ["/usr/bin/time", "-v", *audit_command(auditor, csv_path, out, workers)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if done.returncode != 0:
        sys.exit(f"auditor audit failed ({done.returncode}): {done.stderr[-2000:]}")
    kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    return {"rss_mb": int(kb.group(1)) / 1024, "wall": wall}


def repeated_csv(frame: pd.DataFrame, n: int, path: Path) -> None:
    """MTSamples rows repeated to ``n`` notes, with unique note ids."""
    rows = pd.concat([frame] * -(-n // len(frame)), ignore_index=True).iloc[:n].copy()
    rows["note_id"] = [str(i) for i in range(1, n + 1)]
    rows.to_csv(path, index=False)


def fmt_rate(words: int, notes: int, seconds: float) -> str:
    return f"{words / seconds:>9,.0f} words/s {notes / seconds:>7,.1f} notes/s"


def verdict(ok: bool) -> str:
    return "reached" if ok else "NOT reached"


def measure_throughput(args, frame: pd.DataFrame, sample: list[str], tmpdir: Path) -> dict:
    """``args.repeats`` interleaved repeats of: CLI 1 worker, CLI 2 workers, blank
    tokenizer, medspaCy default pipeline; plus the 1-/2-worker report comparison."""
    texts = frame[TEXT_COL].tolist()
    csv_path = tmpdir / "mtsamples_nonempty.csv"
    frame.to_csv(csv_path, index=False)
    digests: dict[int, dict[str, str]] = {}
    repeats = []
    for r in range(args.repeats):
        row: dict = {"load_start": os.getloadavg()[0]}
        for workers in (1, 2):
            out = tmpdir / f"report_w{workers}"
            row[f"cli_{workers}"] = run_cli(args.auditor, csv_path, out, workers)
            if digests.setdefault(workers, digest(out)) != digest(out):
                print(f"  ! repeat {r + 1}: the {workers}-worker reports differ from repeat 1")
        row["tokenizer"] = time_tokenizer(texts)
        row["medspacy"] = time_medspacy(sample)
        row["load_end"] = os.getloadavg()[0]
        repeats.append(row)
        print(
            f"repeat {r + 1}/{args.repeats} (load average {row['load_start']:.1f} -> "
            f"{row['load_end']:.1f}): "
            + ", ".join(
                f"{k} {row[k]['wall']:.1f} s (CPU {row[k]['cpu']:.1f} s)"
                for k in ("cli_1", "cli_2", "tokenizer", "medspacy")
            ),
            flush=True,
        )
    return {"repeats": repeats, "reports_identical_1w_2w": digests[1] == digests[2]}


def report_throughput(figures: dict) -> None:
    """Medians, ratios and target verdicts (wall clock; CPU-time figures in brackets)."""
    reps, words, notes = figures["repeats"], figures["words"], figures["notes"]
    s_words, s_notes = figures["medspacy_sample_words"], figures["medspacy_sample_notes"]
    med = statistics.median
    keys = ("cli_1", "cli_2", "tokenizer", "medspacy")
    wall = {k: med([x[k]["wall"] for x in reps]) for k in keys}
    cpu = {k: med([x[k]["cpu"] for x in reps]) for k in keys}
    per_repeat = {  # each ratio from one repeat (same period of load), wall and CPU
        clock: {
            "auditor_vs_medspacy": [
                (words / x["cli_1"][clock]) / (s_words / x["medspacy"][clock]) for x in reps
            ],
            "auditor_vs_tokenizer": [x["tokenizer"][clock] / x["cli_1"][clock] for x in reps],
            "speedup_2_workers": [x["cli_1"][clock] / x["cli_2"][clock] for x in reps],
        }
        for clock in ("wall", "cpu")
    }
    ratios = {k: med(v) for k, v in per_repeat["wall"].items()}
    cpu_ratios = {k: med(v) for k, v in per_repeat["cpu"].items()}
    # CPU(1w)/CPU(2w) is the parallel efficiency; x2 is the speed-up two idle cores allow
    # (an upper estimate: the parent's start-up before the pool is not parallel)
    cpu_ratios["speedup_2_workers"] *= 2
    figures.update(median_wall=wall, median_cpu=cpu, ratios=ratios, cpu_ratios=cpu_ratios)
    print(f"\nthroughput, median of {len(reps)} (wall clock; CPU-time rate in brackets)")
    rows = (
        ("auditor audit, 1 worker", words, notes, "cli_1"),
        ("auditor audit, 2 workers", words, notes, "cli_2"),
        (f"medspaCy default ({s_notes} notes)", s_words, s_notes, "medspacy"),
        ("blank spaCy tokenizer", words, notes, "tokenizer"),
    )
    for label, n_words, n_notes, key in rows:
        print(
            f"  {label:28s} {fmt_rate(n_words, n_notes, wall[key])}"
            f"   [{n_words / cpu[key]:,.0f} words per CPU-s, CPU {cpu[key]:.1f} s]"
        )
    print(
        "ratios, median of the per-repeat ratios: wall clock (the target's measure) and "
        "CPU time [not skewed by the load others put on the machine]"
    )
    lines = (
        ("auditor 1w / medspaCy default", "auditor_vs_medspacy", "{:.1f}x", ">= 10x"),
        ("auditor 1w / blank tokenizer", "auditor_vs_tokenizer", "{:.1%}", ">= 15%"),
        ("2 workers / 1 worker", "speedup_2_workers", "{:.2f}x", ">= 1.7x"),
    )
    for label, key, form, target in lines:
        estimate = "estimate: " if key == "speedup_2_workers" else ""
        print(
            f"  {label:30s} {form.format(ratios[key]):>7s} "
            f"[{form.format(cpu_ratios[key]):>7s}]   target {target}: "
            f"{verdict(ratios[key] >= TARGETS[key])} "
            f"[{estimate}{verdict(cpu_ratios[key] >= TARGETS[key])}]"
        )
    print("  (the bracketed 2-worker figure is 2 x CPU(1 worker) / CPU(2 workers): the speed-up")
    print("   two idle cores would allow, given the extra CPU the second worker costs)")
    same = figures["reports_identical_1w_2w"]
    print(
        f"  1-worker vs 2-worker {' and '.join(REPORT_FILES)}: "
        f"{'byte-identical' if same else 'DIFFERENT'}"
    )


def profile_medspacy(texts: list[str]) -> dict[str, float]:
    """CPU seconds of each component of medspaCy's default pipeline."""
    nlp = medspacy_default()
    split: dict[str, float] = defaultdict(float)
    for text in texts:
        start = time.process_time()
        doc = nlp.make_doc(text)
        split["tokenizer (medspaCy)"] += time.process_time() - start
        for name, component in nlp.pipeline:
            begin = time.process_time()
            doc = component(doc)
            split[name] += time.process_time() - begin
    split["total"] = sum(split.values())
    return dict(split)


def report_profile(texts: list[str], sample: list[str], figures: dict) -> None:
    """Print where the CPU goes in the auditor pipeline and in medspaCy's default one."""
    for what, split, words in (
        ("auditor pipeline", profile_components(texts), figures["words"]),
        ("medspaCy default pipeline", profile_medspacy(sample), figures["medspacy_sample_words"]),
    ):
        total = split.pop("total")
        figures.setdefault("profile", {})[what] = {**split, "total": total}
        print(
            f"\n{what}: CPU split (in-process, one pass: {total:.1f} CPU-s, "
            f"{words / total:,.0f} words per CPU-s)"
        )
        for name in [k for k in split if "/" not in k]:  # components, in pipeline order
            for key in [name] + [k for k in split if k.startswith(name + "/")]:
                label = key if key == name else "    " + key.split("/", 1)[1]
                print(f"  {label:46s} {split[key]:6.1f} s {split[key] / total:6.1%}")


def measure_memory(args, frame: pd.DataFrame, tmpdir: Path, figures: dict) -> None:
    print(
        f"\npeak RSS of auditor audit (/usr/bin/time -v, {args.memory_workers} worker(s); "
        "MTSamples repeated)"
    )
    mem = {}
    for n in args.memory_notes:
        big = tmpdir / f"mtsamples_{n}.csv"
        repeated_csv(frame, n, big)
        mem[n] = peak_rss(args.auditor, big, tmpdir / f"report_{n}", args.memory_workers)
        big.unlink()
        print(f"  {n:>7,} notes: {mem[n]['rss_mb']:7.1f} MB   ({mem[n]['wall']:.0f} s)", flush=True)
    figures["memory"] = {str(k): v for k, v in mem.items()}
    if len(mem) >= 2:
        small, large = min(mem), max(mem)
        growth = mem[large]["rss_mb"] / mem[small]["rss_mb"]
        figures["rss_growth"] = growth
        print(
            f"  {large:,} / {small:,} notes: {growth:.2f}x   target <= 1.2x: "
            f"{verdict(growth <= TARGETS['rss_growth'])}; peak {mem[large]['rss_mb']:.0f} MB, "
            f"target < 1 GB: {verdict(mem[large]['rss_mb'] < TARGETS['rss_limit_mb'])}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV, help="MTSamples CSV")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved repeats (median)")
    parser.add_argument(
        "--medspacy-sample", type=int, default=500, help="notes for medspaCy (0: all)"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the medspaCy sample")
    parser.add_argument(
        "--memory-notes",
        type=int,
        nargs="*",
        default=[10_000, 100_000],
        help="note counts of the peak-RSS runs (give none to skip them)",
    )
    parser.add_argument("--memory-workers", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="CPU split per component")
    parser.add_argument(
        "--auditor",
        default=str(Path(sys.executable).parent / "auditor"),
        help="the auditor command (default: the one next to this Python)",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--limit", type=int, help="first N notes only (a quick trial run)")
    parser.add_argument(
        "--report", type=Path, help="re-print the throughput figures of a --json file; no run"
    )
    args = parser.parse_args()
    if args.report:
        report_throughput(json.loads(args.report.read_text("utf-8")))
        return

    frame = load_notes(args.csv)
    if args.limit:
        frame = frame.iloc[: args.limit]
    texts = frame[TEXT_COL].tolist()
    notes = len(texts)
    k = args.medspacy_sample
    pick = sorted(random.Random(args.seed).sample(range(notes), k)) if 0 < k < notes else None
    sample = [texts[i] for i in pick] if pick else texts
    figures: dict = {
        "date": f"{datetime.now():%Y-%m-%d %H:%M}",
        "machine": f"{platform.node()}, {os.cpu_count()} CPUs",
        "notes": notes,
        "words": word_count(texts),
        "medspacy_sample_notes": len(sample),
        "medspacy_sample_words": word_count(sample),
    }
    print(
        f"{figures['date']}  {figures['machine']}  Python {platform.python_version()}  "
        f"load average {os.getloadavg()[0]:.1f}\ncorpus: {args.csv}: {notes:,} non-empty "
        f"notes, {figures['words']:,} words; medspaCy sample: {len(sample):,} notes, "
        f"{figures['medspacy_sample_words']:,} words (seed {args.seed})"
    )
    with tempfile.TemporaryDirectory(prefix="auditor-bench-") as tmp:
        if args.repeats > 0:
            figures.update(measure_throughput(args, frame, sample, Path(tmp)))
            report_throughput(figures)
        if args.profile:
            report_profile(texts, sample, figures)
        if args.memory_notes:
            measure_memory(args, frame, Path(tmp), figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
