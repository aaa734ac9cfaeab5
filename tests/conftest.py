"""Shared fixtures: the repository paths and one audit pipeline per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV_GOLD = SHARED / "gold" / "dev.v2.jsonl"  # contract version 2 labels
DEV_GOLD_V1 = SHARED / "gold" / "dev.jsonl"  # the same notes, version-1 labels
# the tuned team corpora (team_a/b/c, MTSamples 40); team_d, team_e, team_f, team_g, team_h, team_i,
# team_j, team_k, team_l, team_m and team_n have dev/heldout splits, scored on their own
# (tests/test_gold_regression.py)
TEAM_D_GOLD = ROOT / "corpora" / "gold" / "team_d.jsonl"
TEAM_E_GOLD = ROOT / "corpora" / "gold" / "team_e.jsonl"
TEAM_F_GOLD = ROOT / "corpora" / "gold" / "team_f.jsonl"
TEAM_G_GOLD = ROOT / "corpora" / "gold" / "team_g.jsonl"
TEAM_H_GOLD = ROOT / "corpora" / "gold" / "team_h.jsonl"
TEAM_I_GOLD = ROOT / "corpora" / "gold" / "team_i.jsonl"
TEAM_J_GOLD = ROOT / "corpora" / "gold" / "team_j.jsonl"
TEAM_K_GOLD = ROOT / "corpora" / "gold" / "team_k.jsonl"
TEAM_L_GOLD = ROOT / "corpora" / "gold" / "team_l.jsonl"
TEAM_M_GOLD = ROOT / "corpora" / "gold" / "team_m.jsonl"
TEAM_N_GOLD = ROOT / "corpora" / "gold" / "team_n.jsonl"
TEAM_GOLD = sorted(
    p
    for p in (ROOT / "corpora" / "gold").glob("*.jsonl")
    if p
    not in (
        TEAM_D_GOLD,
        TEAM_E_GOLD,
        TEAM_F_GOLD,
        TEAM_G_GOLD,
        TEAM_H_GOLD,
        TEAM_I_GOLD,
        TEAM_J_GOLD,
        TEAM_K_GOLD,
        TEAM_L_GOLD,
        TEAM_M_GOLD,
        TEAM_N_GOLD,
    )
)
SAMPLE = ROOT / "corpora" / "sample" / "clinic_notes.csv"  # the bundled sample corpus
# what an audit writes into its report folder (with --claims also claims.csv, claims.jsonl)
REPORT_FILES = [
    "events.csv",
    "events.jsonl",
    "notes.csv",
    "notes.jsonl",
    "report.html",
    "report.xlsx",
    "run.json",
]


@pytest.fixture(scope="session")
def nlp():
    from auditor.pipeline.build import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="session")
def extract_one(nlp):
    """text -> plain extraction dict (events, not_administered, evidence)."""
    from auditor.core import extract

    return lambda text: extract(nlp, text)


# --- the engine tests' notes (tests/engine_sample.py) ----------------------------------------
@pytest.fixture(scope="session")
def sample():
    """The engine tests' 341 notes (``engine_sample.sample_notes``)."""
    from .engine_sample import sample_notes

    return sample_notes()


@pytest.fixture(scope="session")
def local(sample):
    """``auditor.audit`` on ``sample``: the frames the engines must reproduce."""
    from .engine_sample import local_run

    return local_run()


@pytest.fixture(scope="session")
def local_cli(sample, tmp_path_factory):
    """The local CLI run on ``sample`` as CSV: ``(source, report folder)``; the engines
    must write the same files."""
    from .engine_sample import cli_audit

    folder = tmp_path_factory.mktemp("local")
    source = folder / "notes.csv"
    sample.to_csv(source, index=False)
    cli_audit(source, folder / "report")
    return source, folder / "report"
