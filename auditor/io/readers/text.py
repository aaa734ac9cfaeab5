"""Plain-text notes: a single ``.txt`` (or ``.rtf``) file, or a folder of them.

Note id = file stem. A folder is walked recursively (symbolic links to folders are not
followed), files sorted by path, extensions matched case-insensitively (``.TXT``). Only
regular files inside the folder are read: a symbolic link whose target lies outside the
folder, a FIFO, socket or device (opened without blocking, checked with ``fstat``) and a
file over ``MAX_NOTE_BYTES`` become error records naming the file, never its text. An RTF
document (``{\\rtf``) is converted to text. A file name that is not UTF-8 (an export written
on Windows: ``caf\xe9.txt``) is read as Windows-1252, as note text is (``file_name``), so
that its id names the file and two such names never share an id.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ...records import NoteRecord, decode_bytes
from .common import ReadOptions, RecordStream, finish_text
from .source import UTF16_BOMS, Source

NOTE_SUFFIXES = (".txt", ".text", ".rtf")
MAX_NOTE_BYTES = 64 * 1024 * 1024  # 64 MiB: far above any real note, below a runaway file


def looks_binary(raw: bytes) -> bool:
    """True when the first 8 KB hold more than 10% control bytes (NUL, ...): not a text note.

    Text with a stray NUL passes (it is cleaned later); UTF-16 text (BOM) is text.
    """
    sample = raw[:8192]
    if not sample or sample.startswith(UTF16_BOMS):
        return False
    controls = sum(1 for b in sample if b < 0x20 and b not in b"\t\n\r\f")
    return controls * 10 > len(sample)


def read_note_file(
    path: Path, root: Path | None, limit: int | None = None
) -> tuple[bytes | None, str | None]:
    """The bytes of one note file, or why it is not read.

    Args:
        path: the file (possibly a symbolic link).
        root: the folder it must lie in (after resolving links), or None for a file
            given by itself.
        limit: the largest size read, in bytes (default ``MAX_NOTE_BYTES``).

    Returns:
        ``(bytes, None)`` or ``(None, problem)``; the problem names no content.
    """
    limit = MAX_NOTE_BYTES if limit is None else limit
    try:
        if root is not None and path.is_symlink():
            target = path.resolve(strict=True)
            if not target.is_relative_to(root.resolve()):
                return None, "symbolic link leading outside the folder; not read"
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
        fd = os.open(path, flags)
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or type(exc).__name__})"
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, f"not a regular file ({_kind(info.st_mode)}); not read"
        if info.st_size > limit:
            return None, f"file is {info.st_size:,} bytes, over the {limit:,}-byte limit; not read"
        with os.fdopen(fd, "rb", closefd=False) as handle:
            raw = handle.read(limit + 1)
        if len(raw) > limit:
            return None, f"file is over the {limit:,}-byte limit; not read"
        return raw, None
    except OSError as exc:
        return None, f"unreadable ({exc.strerror or type(exc).__name__})"
    finally:
        os.close(fd)


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "FIFO"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISDIR(mode):
        return "folder"
    return "special file"


def file_name(name: str) -> tuple[str, dict[str, int]]:
    """A file name (or a relative path) as the note id and ``file`` column show it, and the
    record facts of reading it.

    A name the operating system could not decode as UTF-8 holds surrogate escapes
    (``"caf\\udce9"``), which would be written as U+FFFD, so that ``caf\xe9.txt`` and
    ``caf\xe8.txt`` would share the id ``caf\ufffd``: its bytes are read as Windows-1252
    (``café``; fact ``file_name_windows_1252``), a byte that Windows-1252 leaves undefined
    written ``\\xNN``.
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return os.fsencode(name).decode("cp1252", "backslashreplace"), {"file_name_windows_1252": 1}
    return name, {}


def _note(row: int, path: Path, name: str, root: Path | None) -> NoteRecord:
    name, named = file_name(name)
    stem = Path(name).stem
    where = f"file {name}"
    extra = {"file": name}
    raw, problem = read_note_file(path, root)
    if raw is None:
        return NoteRecord(row, stem, None, f"{where}: {problem}", None, extra, named)
    if looks_binary(raw):
        return NoteRecord(row, stem, None, f"{where}: binary, not text", None, extra, named)
    cell, facts = finish_text(decode_bytes(raw))
    error = f"{where}: {cell.error}" if cell.error else None
    return NoteRecord(row, stem, cell.text, error, cell.encoding, extra, {**facts, **named})


def note_files(root: Path) -> list[Path]:
    """Note files below ``root`` (recursive, links to folders not followed), by path."""
    found = []
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs.sort()
        for name in files:
            if Path(name).suffix.lower() in NOTE_SUFFIXES:
                found.append(Path(folder) / name)
    return sorted(found, key=lambda p: p.relative_to(root).as_posix())


def read_folder(stream: RecordStream, root: Path) -> Iterator[NoteRecord]:
    """Records of a folder of note files (see the module docstring)."""
    stream.columns = ["file"]
    for row, file in enumerate(note_files(root), start=1):
        yield _note(row, file, file.relative_to(root).as_posix(), root)


def read_text_file(
    stream: RecordStream, source: Source, options: ReadOptions | None = None
) -> Iterator[NoteRecord]:
    """The one record of a single note file (compressed ones decompressed, capped).
    ``options`` is taken as every reader takes it: a note file has no columns to choose."""
    stream.columns = ["file"]
    if source.compression is None:
        yield _note(1, source.path, source.name, None)
        return
    with source.open() as handle:
        raw = handle.read(MAX_NOTE_BYTES + 1)
    stem = file_name(Path(source.inner).stem)[0]
    name, named = file_name(source.name)
    extra = {"file": name}
    if len(raw) > MAX_NOTE_BYTES:
        problem = f"over the {MAX_NOTE_BYTES:,}-byte limit once decompressed; not read"
        yield NoteRecord(1, stem, None, f"file {name}: {problem}", None, extra, named)
        return
    if looks_binary(raw):
        yield NoteRecord(1, stem, None, f"file {name}: binary, not text", None, extra, named)
        return
    cell, facts = finish_text(decode_bytes(raw))
    error = f"file {name}: {cell.error}" if cell.error else None
    yield NoteRecord(1, stem, cell.text, error, cell.encoding, extra, {**facts, **named})
