"""The rules ship with the package: a wheel built from this checkout, installed into a fresh
virtual environment outside it, audits the sample corpus with no ``AUDITOR_PATTERNS`` and
gives the checkout's pattern hash and notes (issue 14 item 8)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from auditor.cli import app
from auditor.patterns import load_patterns

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "corpora" / "sample" / "clinic_notes.csv"


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def test_wheel_outside_the_checkout_audits_the_sample(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "AUDITOR_PATTERNS"}
    source = tmp_path / "source"  # a copy: setuptools writes build/ beside the sources
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info", "build")
    for name in ("auditor", "patterns"):
        shutil.copytree(ROOT / name, source / name, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy(ROOT / name, source / name)
    built = _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        tmp_path,
        env,
    )
    if built.returncode != 0:  # no build backend reachable (offline without an index)
        pytest.skip(f"wheel could not be built: {built.stderr.strip()[-200:]}")
    (wheel,) = tmp_path.glob("auditor-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=False)  # this pip installs into it (--python)
    python = target / "bin" / "python"
    installed = _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + [str(wheel)],
        tmp_path,
        env,
    )
    assert installed.returncode == 0, installed.stderr
    # the dependencies come from this environment's site-packages (a plain path entry: its
    # .pth files, among them the editable install of the checkout, are not processed)
    purelib = _run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        tmp_path,
        env,
    ).stdout.strip()
    Path(purelib, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    where = _run([str(python), "-c", "import auditor; print(auditor.__file__)"], tmp_path, env)
    assert where.stdout.startswith(purelib), where.stdout + where.stderr
    out = tmp_path / "report"
    result = _run(
        [str(target / "bin" / "auditor"), "audit", str(SAMPLE), "--out", str(out)], tmp_path, env
    )
    assert result.returncode == 0, result.stderr
    run = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert run["patterns_sha256"] == load_patterns(None).sha256
    local = tmp_path / "local"
    assert CliRunner().invoke(app, ["audit", str(SAMPLE), "--out", str(local)]).exit_code == 0
    for name in ("notes.jsonl", "events.jsonl"):
        assert (out / name).read_bytes() == (local / name).read_bytes(), name
