"""Build hook: the default rules ship inside the package.

``patterns/`` (the one place rules are edited) is copied into the wheel as
``auditor/default_patterns/``, so ``pip install .`` or a wheel on a Dask/Spark worker has its
rules without ``AUDITOR_PATTERNS`` (``auditor.patterns.DEFAULT_PATTERNS_DIR`` prefers that
copy when it exists; a source checkout has none and reads ``patterns/``). Everything else is
in ``pyproject.toml``.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PATTERNS = Path(__file__).resolve().parent / "patterns"


class BuildWithPatterns(build_py):
    """``build_py`` that also copies ``patterns/`` to ``auditor/default_patterns/``."""

    def run(self) -> None:
        super().run()
        if self.editable_mode:  # an editable install reads patterns/ in place
            return
        target = Path(self.build_lib) / "auditor" / "default_patterns"
        shutil.rmtree(target, ignore_errors=True)
        shutil.copytree(PATTERNS, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))


setup(cmdclass={"build_py": BuildWithPatterns})
