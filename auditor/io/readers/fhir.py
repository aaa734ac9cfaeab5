"""FHIR R4 documents: NDJSON bulk exports and Bundles of ``DocumentReference`` and
``DiagnosticReport`` resources.

Each ``DocumentReference`` (its ``content[].attachment``) or ``DiagnosticReport`` (its
``presentedForm[]``) is one record; note id = the resource ``id``. Of several attachments
one holding data is preferred, then the first ``text/plain`` one, else ``text/html``
(converted to text with inscriptis), else ``text/rtf`` (striprtf). Attachment data is
base64; its charset comes from the ``contentType`` (``text/plain; charset=utf-8``), else
``records.decode_bytes``. A resource with status (or ``docStatus``) ``entered-in-error``,
an attachment given only by ``url`` (never fetched: no network at run time), bad base64
or another content type becomes one
``error`` record saying why, with no note text. Kept as columns: ``resource_type``,
``status``, ``subject``, ``encounter``, ``date``, ``type``, ``practice_setting``,
``facility_type``, ``content_type`` (usable with ``--group-by`` and as a setting column).
Other resources (Patient, Encounter ...) are skipped and counted (``fhir_skipped``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator
from typing import Any

from ...errors import InputError
from ...records import NoteRecord, Text, decode_bytes, json_problem
from .common import ReadOptions, RecordStream, document_records, make_record, unreadable
from .jsonl import lines, parse_line
from .source import Source, utf8_stream

DOCUMENTS = ("DocumentReference", "DiagnosticReport")
COLUMNS = [
    "resource_type",
    "status",
    "subject",
    "encounter",
    "date",
    "type",
    "practice_setting",
    "facility_type",
    "content_type",
]
PREFERRED = ("text/plain", "text/html", "application/xhtml+xml", "text/rtf", "application/rtf")
MAX_BUNDLE_BYTES = 512 * 1024 * 1024  # a Bundle is parsed whole; larger ones are refused


def _reference(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    if isinstance(value, dict):
        return (
            value.get("reference")
            or (value.get("identifier") or {}).get("value")
            or value.get("display")
        )
    return None


def _concept(value: Any) -> str | None:
    """A CodeableConcept as text: its ``text``, else the first coding's display or code."""
    if isinstance(value, list):
        value = value[0] if value else None
    if not isinstance(value, dict):
        return None
    if value.get("text"):
        return str(value["text"])
    for coding in value.get("coding") or []:
        if isinstance(coding, dict) and (coding.get("display") or coding.get("code")):
            return str(coding.get("display") or coding.get("code"))
    return None


def _columns(resource: dict[str, Any]) -> dict[str, Any]:
    kind = resource.get("resourceType")
    context = resource.get("context") if isinstance(resource.get("context"), dict) else {}
    if kind == "DocumentReference":
        encounter, date = context.get("encounter"), resource.get("date")
        kind_of = resource.get("type")
    else:
        encounter = resource.get("encounter")
        date = resource.get("effectiveDateTime") or resource.get("issued")
        kind_of = resource.get("code")
    return {
        "resource_type": kind,
        "status": resource.get("status"),
        "subject": _reference(resource.get("subject")),
        "encounter": _reference(encounter),
        "date": date if isinstance(date, str) else None,
        "type": _concept(kind_of),
        "practice_setting": _concept(context.get("practiceSetting")),
        "facility_type": _concept(context.get("facilityType")),
        "content_type": None,
    }


def _attachments(resource: dict[str, Any]) -> list[dict[str, Any]]:
    if resource.get("resourceType") == "DocumentReference":
        found = [c.get("attachment") for c in resource.get("content") or [] if isinstance(c, dict)]
    else:
        found = resource.get("presentedForm") or []
    return [a for a in found if isinstance(a, dict)]


def _media(attachment: dict[str, Any]) -> tuple[str, str | None]:
    """``(media type, charset)`` of an attachment's ``contentType``."""
    parts = [p.strip() for p in str(attachment.get("contentType") or "").split(";")]
    charset = next(
        (
            p.split("=", 1)[1].strip().strip('"')
            for p in parts[1:]
            if p.lower().startswith("charset=")
        ),
        None,
    )
    return parts[0].lower(), charset


def attachment_text(attachment: dict[str, Any]) -> tuple[Text, dict[str, int]]:
    """The text of one attachment (see the module docstring), with conversion facts."""
    from .common import rtf_to_text

    media, charset = _media(attachment)
    data = attachment.get("data")
    if not data:
        if attachment.get("url"):
            return Text(None, "attachment given by URL only (not fetched); no text"), {}
        return Text(None, "attachment holds no data"), {}
    try:
        raw = base64.b64decode(str(data), validate=False)
    except (binascii.Error, ValueError):
        return Text(None, "attachment data is not valid base64"), {}
    if charset:
        try:
            cell = Text(raw.decode(charset), None, charset.lower())
        except (LookupError, UnicodeDecodeError):
            cell = decode_bytes(raw)
    else:
        cell = decode_bytes(raw)
    if cell.text is None:
        return cell, {}
    if media in ("text/html", "application/xhtml+xml"):
        from inscriptis import get_text

        try:
            return Text(get_text(cell.text), None, cell.encoding), {"html_converted": 1}
        except Exception as exc:  # noqa: BLE001 - lxml raises several types
            return Text(None, f"HTML could not be converted ({type(exc).__name__})"), {}
    if media in ("text/rtf", "application/rtf"):
        converted = rtf_to_text(cell.text)
        return converted._replace(encoding=cell.encoding), {"rtf_converted": 1}
    return cell, {}


def _record(row: int, where: str, resource: dict[str, Any]) -> NoteRecord:
    extra = _columns(resource)
    nid = resource.get("id")
    if "entered-in-error" in (resource.get("status"), resource.get("docStatus")):
        return NoteRecord(
            row,
            str(nid or row),
            None,
            f"{where}: status entered-in-error; not audited",
            None,
            extra,
        )
    attachments = _attachments(resource)
    if not attachments:
        return NoteRecord(row, str(nid or row), None, f"{where}: no attachment", None, extra)
    rank = {m: i for i, m in enumerate(PREFERRED)}
    best = min(
        attachments, key=lambda a: (not a.get("data"), rank.get(_media(a)[0], len(PREFERRED)))
    )
    media = _media(best)[0]
    extra["content_type"] = media or None
    if media not in rank and media:
        return NoteRecord(
            row,
            str(nid or row),
            None,
            f"{where}: attachment type {media[:40]!r} is not text; not read",
            None,
            extra,
        )
    cell, facts = attachment_text(best)
    return make_record(
        row, where, nid if isinstance(nid, str | int) else None, cell, None, extra, facts
    )


def _resources(obj: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The resources of one JSON object: itself, or a Bundle's entries (nested Bundles too)."""
    if obj.get("resourceType") == "Bundle":
        for entry in obj.get("entry") or []:
            resource = entry.get("resource") if isinstance(entry, dict) else None
            if isinstance(resource, dict):
                yield from _resources(resource)
    else:
        yield obj


def read_fhir(stream: RecordStream, source: Source, options: ReadOptions) -> Iterator[NoteRecord]:
    """Records of a FHIR NDJSON file or a JSON file holding one resource (a Bundle).

    Raises:
        ColumnError: ``--text-col`` given (the text is the attachment) or ``--id-col`` is
            not a kept column.
        InputError: a pretty-printed JSON file that is not valid JSON or too large.
    """
    return document_records(stream, options, "FHIR", "the attachment", COLUMNS, _items(source))


def _items(source: Source) -> Iterator[NoteRecord | str]:
    """A record per document resource or unreadable line; a resource type that is not a
    document, by name."""
    row = 0
    for where, obj, problem in _objects(source):
        if obj is None:
            row += 1
            yield unreadable(row, where, problem or "not readable")
            continue
        for resource in _resources(obj):
            kind = str(resource.get("resourceType"))
            if kind not in DOCUMENTS:
                yield kind[:40]
                continue
            row += 1
            yield _record(row, f"{where} {kind}", resource)


_DOCUMENT_TYPE = re.compile(rb'"resourceType"\s*:\s*"(?:DocumentReference|DiagnosticReport)"')


def count_documents(source: Source) -> int:
    """Mentions of a document resource type (one per document in NDJSON or a Bundle):
    the progress bar's estimate of the records."""
    n = 0
    tail = b""
    with source.open() as handle:
        raw, _ = utf8_stream(handle)
        while chunk := raw.read(1 << 20):
            data = tail + chunk
            n += len(_DOCUMENT_TYPE.findall(data))
            cut = max(0, len(data) - 64)
            n -= len(_DOCUMENT_TYPE.findall(data[cut:]))  # counted again with the next chunk
            tail = data[cut:]
    return n + len(_DOCUMENT_TYPE.findall(tail))


def _whole(data: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """A whole-file JSON object, or why not (line and column, never content)."""
    cell = decode_bytes(data)
    if cell.text is None:
        return None, cell.error
    try:
        obj = json.loads(cell.text)
    except json.JSONDecodeError as exc:
        return None, json_problem(exc, with_line=True)
    except RecursionError:
        return None, "not valid JSON (nested too deeply)"
    if not isinstance(obj, dict):
        return None, f"not a JSON object (got {type(obj).__name__})"
    return obj, None


def _objects(source: Source) -> Iterator[tuple[str, dict[str, Any] | None, str | None]]:
    """``(where, object, problem)`` per NDJSON line, or once for a whole-file JSON object."""
    with source.open() as handle:
        raw, _ = utf8_stream(handle)
        head = raw.peek(65536)[:65536].lstrip(b"\xef\xbb\xbf \t\r\n")  # type: ignore[attr-defined]
        first_line = head.split(b"\n", 1)[0]
        single = parse_line(first_line)[0] is None and head.startswith(b"{")
        if single:
            data = raw.read(MAX_BUNDLE_BYTES + 1)
    if single:
        if len(data) > MAX_BUNDLE_BYTES:
            raise InputError(
                f"{source.name}: a FHIR JSON file over {MAX_BUNDLE_BYTES:,} bytes; "
                "export it as NDJSON"
            )
        yield ("file", *_whole(data))
        return
    for line_no, line in lines(source):
        obj, problem, _ = parse_line(line)
        yield f"line {line_no}", obj, problem
