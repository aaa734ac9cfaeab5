"""What both engines run per partition of records (``PARTITION_NOTES`` records each):
``audit_part`` on a worker, ``failed_part`` for a partition that could not be audited.
Imports neither Dask nor Spark."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from ..records import NoteRecord

log = logging.getLogger("auditor")

PARTITION_NOTES = 100  # records per partition sent to a worker
Pair = tuple[dict[str, Any], list[dict[str, Any]]]  # (note row, event rows) of one record


def audit_part(
    fn: Callable[..., list[Pair]] | None,
    records: list[NoteRecord],
    patterns_dir: str | None,
    redact: bool,
    patterns_sha256: str,
    spec: str | None = None,
) -> list[Pair]:
    """Worker task: audit one partition of records (``core.audit_chunk`` under requirement
    spec ``spec``, or ``fn`` with the arguments records, patterns_dir, redact: a test's
    replacement, which audits under the default spec) after checking that this worker's
    pattern files are the driver's.

    Raises:
        PatternError: this worker's pattern files differ from the driver's.
    """
    from ..batch import check_patterns
    from ..core import audit_chunk

    check_patterns(patterns_dir, patterns_sha256)
    if fn is None:
        return audit_chunk(records, patterns_dir, redact, spec)
    return fn(records, patterns_dir, redact)


def failed_part(records: list[NoteRecord], index: int, exc: BaseException) -> list[Pair]:
    """Error rows for a partition that could not be audited (message without note text)."""
    from ..batch import describe_failure
    from ..frames import error_note

    message = f"partition {index} failed: {describe_failure(exc)}"
    log.warning("partition %d failed: %s", index, type(exc).__name__)
    return [(error_note(record.note_id, message), []) for record in records]
