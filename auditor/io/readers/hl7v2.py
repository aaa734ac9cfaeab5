"""HL7 v2 text reports: ``MDM^T02``/``T04``/``T06``/``T08``/``T10`` (documents) and
``ORU^R01`` (results), parsed with python-hl7.

A file holds one or more messages (segments ended by CR, LF or CRLF; MLLP framing and
batch/file header segments ``FHS``/``BHS``/``BTS``/``FTS`` ignored); each message starts at
an ``MSH`` segment and is one record. The note is the ``OBX`` segments of value type ``TX``,
``FT`` or ``ST`` in order, each ``OBX-5`` repetition one line, escape sequences decoded
(``\\.br\\`` and ``\\.sp\\`` line breaks, ``\\F\\ \\S\\ \\T\\ \\R\\ \\E\\`` delimiters,
``\\Xhh\\`` hex; highlighting dropped). Note id: ``TXA-12`` (unique document number), else
``OBR-3`` (filler order number), else ``MSH-10`` (control id). Kept as columns:
``message_type``, ``patient_id`` (PID-3), ``encounter`` (PV1-19), ``patient_class``
(PV1-2, usable as the setting column), ``type`` (TXA-2 or OBR-4), ``date`` (TXA-4 or
OBR-7), ``status`` (TXA-17 or OBR-25). A message of another type (ADT ...) is skipped and
counted (``hl7_skipped``); one that cannot be parsed, has no text segment, or whose result
status is ``W`` (wrong, entered in error) becomes an ``error`` record without text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ...records import NoteRecord, Text, decode_bytes
from .common import (
    ReadOptions,
    RecordStream,
    document_records,
    make_record,
    quiet_logger,
    unreadable,
)
from .source import Source

COLUMNS = ["message_type", "patient_id", "encounter", "patient_class", "type", "date", "status"]
TEXT_TYPES = ("TX", "FT", "ST")
IGNORED = (b"FHS", b"BHS", b"BTS", b"FTS")
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
# Formatting escapes python-hl7 maps to CR (a segment end): here they are line breaks.
APP_MAP = {".br": "\n", ".sp": "\n", ".ce": "\n", "H": "", "N": ""}
_SEGMENT_END = re.compile(rb"\r\n|\r|\n")


def _segments(source: Source) -> Iterator[bytes]:
    """The file's segments (split at CR, LF or CRLF), streamed in chunks."""
    rest = b""
    with source.open() as handle:
        while chunk := handle.read(1 << 16):
            buffer, hold = rest + chunk, b""
            if buffer.endswith(b"\r"):  # its LF may open the next chunk
                buffer, hold = buffer[:-1], b"\r"
            parts = _SEGMENT_END.split(buffer)
            rest = parts.pop() + hold  # may continue in the next chunk
            yield from parts
    if rest:
        yield from _SEGMENT_END.split(rest.rstrip(b"\r"))


def count_messages(source: Source) -> int:
    """``MSH`` segments of ``MDM`` and ``ORU`` messages (the records), without parsing."""
    n = 0
    for segment in _segments(source):
        segment = segment.lstrip(b"\x0b\x1c\xef\xbb\xbf")
        if segment.startswith(b"MSH") and len(segment) > 3:
            fields = segment.split(segment[3:4])
            n += len(fields) > 8 and fields[8][:3] in (b"MDM", b"ORU")
    return n


def _messages(source: Source) -> Iterator[tuple[int, bytes]]:
    """``(first line number, message bytes with CR segment ends)`` per message."""
    current: list[bytes] = []
    start = size = 0
    for line_no, segment in enumerate(_segments(source), start=1):
        segment = segment.replace(b"\x0b", b"").replace(b"\x1c", b"").strip(b"\xef\xbb\xbf")
        if not segment.strip() or segment[:3] in IGNORED:
            continue
        if segment.startswith(b"MSH"):
            if current:
                yield start, b"\r".join(current)
            current, start, size = [segment], line_no, len(segment)
        elif current:
            size += len(segment)
            if size <= MAX_MESSAGE_BYTES:
                current.append(segment)
    if current:
        yield start, b"\r".join(current)


def _field(message: Any, path: str) -> str | None:
    """A field by HL7 path (``PID.3.1``), unescaped, or None when absent or empty."""
    try:
        value = message.extract_field(*_path(path))
    except (KeyError, IndexError, ValueError, TypeError):
        return None
    value = str(value or "").strip()
    if not value:
        return None
    try:
        return message.unescape(value, APP_MAP).strip() or None
    except Exception:  # noqa: BLE001 - a malformed escape: the raw value
        return value


def _path(path: str) -> tuple[str, int, int, int, int, int]:
    parts = path.split(".")
    segment, field = parts[0], int(parts[1])
    component = int(parts[2]) if len(parts) > 2 else 1
    return segment, 1, field, 1, component, 1


def _text(message: Any) -> tuple[str | None, str | None]:
    """``(note text, None)`` or ``(None, problem)`` from the message's OBX segments."""
    lines: list[str] = []
    found = statuses = 0
    wrong = 0
    for segment in message.segments("OBX") if _has(message, "OBX") else []:
        kind = str(segment(2)).strip().upper() if len(segment) > 2 else ""
        if kind not in TEXT_TYPES:
            continue
        found += 1
        status = str(segment(11)).strip().upper() if len(segment) > 11 else ""
        statuses += 1
        wrong += status == "W"
        value = segment[5] if len(segment) > 5 else ""
        repetitions = [str(r) for r in value] if isinstance(value, list) else [str(value)]
        for raw in repetitions:
            try:
                lines.append(message.unescape(raw, APP_MAP))
            except Exception:  # noqa: BLE001 - python-hl7 raises on bad counts
                return None, "an escape sequence in OBX-5 cannot be decoded"
    if not found:
        return None, "no OBX text segment (TX, FT or ST)"
    if wrong == statuses:
        return None, "result status W (wrong, entered in error); not audited"
    return "\n".join(lines), None


def _has(message: Any, name: str) -> bool:
    try:
        message.segments(name)
    except KeyError:
        return False
    return True


def read_hl7(stream: RecordStream, source: Source, options: ReadOptions) -> Iterator[NoteRecord]:
    """Records of an HL7 v2 file (see the module docstring).

    Raises:
        ColumnError: ``--text-col`` given (the text is the OBX segments) or ``--id-col``
            is not a kept column.
    """
    import hl7
    import hl7.containers
    import hl7.util

    # python-hl7 logs whole field values (note text) under loggers named by file path
    for name in ("hl7", hl7.util.__file__, hl7.containers.__file__):
        quiet_logger(name)
    return document_records(stream, options, "HL7", "the OBX segments", COLUMNS, _items(source))


def _items(source: Source) -> Iterator[NoteRecord | str]:
    """A record per MDM/ORU message or unreadable message; another message type, by name."""
    import hl7

    row = 0
    for line_no, raw in _messages(source):
        where = f"message at line {line_no}"
        cell = decode_bytes(raw)
        try:
            message = hl7.parse(cell.text) if cell.text is not None else None
            kind = _field(message, "MSH.9.1") if message is not None else None
        except Exception as exc:  # noqa: BLE001 - python-hl7 raises several types
            row += 1
            yield unreadable(row, where, f"not a parseable HL7 message ({type(exc).__name__})")
            continue
        if message is None:
            row += 1
            yield unreadable(row, where, cell.error or "not readable")
            continue
        event = _field(message, "MSH.9.2") or ""
        if not kind:
            row += 1
            yield unreadable(row, where, "no message type in MSH-9; not read")
            continue
        if kind not in ("MDM", "ORU"):
            yield f"{kind or '?'}^{event}"[:20]
            continue
        row += 1
        mdm = kind == "MDM"
        extra = {
            "message_type": f"{kind}^{event}",
            "patient_id": _field(message, "PID.3.1") if _has(message, "PID") else None,
            "encounter": _field(message, "PV1.19.1") if _has(message, "PV1") else None,
            "patient_class": _field(message, "PV1.2.1") if _has(message, "PV1") else None,
            "type": _segment_field(message, "TXA.2.1" if mdm else "OBR.4.2", "OBR.4.1"),
            "date": _segment_field(message, "TXA.4.1" if mdm else "OBR.7.1"),
            "status": _segment_field(message, "TXA.17.1" if mdm else "OBR.25.1"),
        }
        nid = (
            (_segment_field(message, "TXA.12.1") if mdm else None)
            or _segment_field(message, "OBR.3.1")
            or _field(message, "MSH.10.1")
        )
        text, problem = _text(message)
        cell = Text(text, problem, cell.encoding)
        yield make_record(row, where, nid, cell, None, extra)


def _segment_field(message: Any, *paths: str) -> str | None:
    for path in paths:
        if _has(message, path.split(".")[0]):
            value = _field(message, path)
            if value:
                return value
    return None
