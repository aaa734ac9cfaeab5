"""Shared fixtures: the repository paths and one audit pipeline per test session."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
DEV_GOLD = SHARED / "gold" / "dev.v2.jsonl"  # contract version 2 labels
DEV_GOLD_V1 = SHARED / "gold" / "dev.jsonl"  # the same notes, version-1 labels
TEAM_GOLD = sorted((ROOT / "corpora" / "gold").glob("*.jsonl"))


@pytest.fixture(scope="session")
def nlp():
    from auditor.pipeline.build import build_pipeline

    return build_pipeline()


@pytest.fixture(scope="session")
def extract_one(nlp):
    """text -> plain extraction dict (events, not_administered, evidence)."""
    from auditor.core import extract

    return lambda text: extract(nlp, text)
