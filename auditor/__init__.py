"""auditor: audit clinical notes for CPT 96372 (IM/SC injection) documentation gaps.

Public API (cheap to import; spaCy loads on first use)::

    from auditor import audit
    notes_df, events_df = audit(df, text_col="text")
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("auditor")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"


def audit(*args, **kwargs):
    """See ``auditor.audit.audit``."""
    from .audit import audit as _audit

    return _audit(*args, **kwargs)


__all__ = ["__version__", "audit"]
