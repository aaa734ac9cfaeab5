"""auditor: audit clinical notes for CPT 96372 (IM/SC injection) documentation gaps.

Public API (spaCy loads on first use, not on import)::

    from auditor import audit
    notes_df, events_df = audit(df, text_col="text")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("auditor")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from .core import audit  # noqa: E402

__all__ = ["__version__", "audit"]
