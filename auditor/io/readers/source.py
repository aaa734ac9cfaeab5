"""Opening an input file: compression, the format its name says, and text encodings.

``Source`` resolves ``notes.csv.gz`` to format ``csv`` read through gzip; ``.gz``,
``.bz2``, ``.zst``/``.zstd`` and a ``.zip`` holding exactly one file are supported (all
streamed: nothing is decompressed to disk except for the formats that need a seekable
file, Parquet and Excel, which are spooled to a temporary file). Extensions are matched
case-insensitively. Damaged compressed data raises ``InputError`` naming the file and the
exception type. ``utf8_stream`` turns a UTF-16 text file (BOM, or the NUL pattern of
BOM-less UTF-16) into a UTF-8 byte stream, so every text reader can split lines as bytes.
"""

from __future__ import annotations

import bz2
import codecs
import contextlib
import gzip
import io
import shutil
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ...errors import InputError

COMPRESSIONS = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".zst": "zstd", ".zstd": "zstd"}
FORMATS = {
    ".csv": "csv",
    ".tsv": "csv",
    ".tab": "csv",
    ".psv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".xls": "xls",
    ".txt": "txt",
    ".text": "txt",
    ".rtf": "txt",
    ".hl7": "hl7",
    ".hl7v2": "hl7",
}
UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
CHUNK = 1 << 16


@dataclass(frozen=True)
class Source:
    """One input file.

    Attributes:
        path: the file on disk.
        inner: the name that tells the format (``notes.csv`` for ``notes.csv.gz``, the
            member's name for a ``.zip``).
        compression: ``gzip``, ``bz2``, ``zstd``, ``zip`` or None.
        format: ``csv``, ``jsonl``, ``parquet``, ``xlsx``, ``xls``, ``txt`` or ``hl7``.
    """

    path: Path
    inner: str
    compression: str | None
    format: str

    @property
    def name(self) -> str:
        """The file's name, for messages."""
        return self.path.name

    @property
    def suffix(self) -> str:
        """The inner name's extension, lower case (``.tsv``)."""
        return Path(self.inner).suffix.lower()

    @classmethod
    def resolve(cls, path: Path) -> Source:
        """Work out compression and format from the file name (and a zip's member).

        Raises:
            InputError: unknown extension, a zip without exactly one file, or an
                unreadable zip.
        """
        name = path.name
        suffix = Path(name).suffix.lower()
        compression = None
        if suffix == ".zip":
            compression = "zip"
            name = _zip_member(path)
        elif suffix in COMPRESSIONS:
            compression = COMPRESSIONS[suffix]
            name = name[: -len(suffix)]
        fmt = FORMATS.get(Path(name).suffix.lower())
        if fmt is None:
            shown = Path(name).suffix or "(none)"
            raise InputError(
                f"unknown input format {shown!r} ({path.name}): use .csv/.tsv, .xlsx/.xls, "
                ".jsonl/.ndjson (FHIR too), .parquet, .hl7, .txt or a folder of .txt, "
                "optionally compressed (.gz, .bz2, .zst, .zip)"
            )
        return cls(path, name, compression, fmt)

    def open(self) -> BinaryIO:
        """The decompressed bytes, streamed (the caller closes it).

        Raises:
            InputError: the file cannot be opened; damaged data raises it when read.
        """
        try:
            raw: BinaryIO = open(self.path, "rb")  # noqa: SIM115 - returned to the caller
        except OSError as exc:
            raise InputError(f"cannot read {self.name}: {exc.strerror}") from exc
        try:
            if self.compression is None:
                return raw
            if self.compression == "gzip":
                inner: BinaryIO = gzip.GzipFile(fileobj=raw, mode="rb")  # type: ignore[assignment]
            elif self.compression == "bz2":
                inner = bz2.BZ2File(raw, "rb")  # type: ignore[assignment]
            elif self.compression == "zstd":
                import zstandard

                inner = zstandard.ZstdDecompressor().stream_reader(  # type: ignore[assignment]
                    raw, read_across_frames=True, closefd=True
                )
            else:
                archive = zipfile.ZipFile(raw)
                inner = archive.open(self.inner)  # type: ignore[assignment]
        except (OSError, zipfile.BadZipFile) as exc:
            raw.close()
            raise InputError(
                f"{self.name}: cannot open the compressed file ({type(exc).__name__})"
            ) from None
        guarded = _Guarded(inner, raw, self.name)
        return io.BufferedReader(guarded, CHUNK)  # type: ignore[return-value]

    @contextlib.contextmanager
    def local_file(self) -> Iterator[Path]:
        """A seekable file with the decompressed bytes (the file itself when not
        compressed; else a temporary copy, removed on exit)."""
        if self.compression is None:
            yield self.path
            return
        with tempfile.TemporaryDirectory(prefix="auditor-") as tmp:
            target = Path(tmp) / Path(self.inner).name
            with self.open() as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst, CHUNK)
            yield target


def _zip_member(path: Path) -> str:
    """The one file a ``.zip`` holds (folders and ``__MACOSX/`` entries ignored)."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = [
                i.filename
                for i in archive.infolist()
                if not i.is_dir() and not i.filename.startswith("__MACOSX/")
            ]
    except (OSError, zipfile.BadZipFile) as exc:
        raise InputError(f"{path.name}: not a readable zip file ({type(exc).__name__})") from exc
    if len(names) != 1:
        raise InputError(
            f"{path.name}: a zip input must hold exactly one file; it holds {len(names)}"
        )
    return names[0]


class _Guarded(io.RawIOBase):
    """A decompressing stream whose errors become ``InputError`` (type named only)."""

    def __init__(self, inner: BinaryIO, raw: BinaryIO, name: str) -> None:
        self._inner, self._raw, self._name = inner, raw, name

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        try:
            data = self._inner.read(len(buffer))
        except (OSError, EOFError, zlib.error, zipfile.BadZipFile, ValueError) as exc:
            raise InputError(
                f"{self._name}: compressed data is damaged ({type(exc).__name__})"
            ) from None
        except Exception as exc:  # zstandard.ZstdError and the like
            raise InputError(
                f"{self._name}: compressed data is damaged ({type(exc).__name__})"
            ) from None
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self._inner.close()
        self._raw.close()
        super().close()


def utf16_kind(head: bytes) -> str | None:
    """``utf-16`` for a UTF-16 BOM, ``utf-16-le``/``-be`` for BOM-less UTF-16 (ASCII text
    with a NUL after / before every character in the first bytes), else None."""
    if head.startswith(UTF16_BOMS):
        return "utf-16"
    sample = head[:512]
    pairs = len(sample) // 2
    if pairs < 4:
        return None
    odd = sum(1 for b in sample[1 : 2 * pairs : 2] if b == 0)
    even = sum(1 for b in sample[0 : 2 * pairs : 2] if b == 0)
    if odd > 0.9 * pairs and even == 0:
        return "utf-16-le"
    if even > 0.9 * pairs and odd == 0:
        return "utf-16-be"
    return None


class _Utf8(io.RawIOBase):
    """UTF-8 bytes of a text stream (undecodable UTF-16 becomes U+FFFD)."""

    def __init__(self, text: io.TextIOBase) -> None:
        self._text, self._pending = text, b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def, override]
        while not self._pending:
            chunk = self._text.read(CHUNK // 4)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8", "surrogatepass")
        n = min(len(buffer), len(self._pending))
        buffer[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        return n

    def close(self) -> None:
        self._text.close()
        super().close()


def utf8_stream(handle: BinaryIO) -> tuple[BinaryIO, str | None]:
    """``(stream, encoding)``: the bytes of ``handle`` with a UTF-16 file transcoded to
    UTF-8 (``encoding`` then says which UTF-16), else ``handle`` itself and None.

    ``handle`` must support ``peek`` (an ``io.BufferedReader``).
    """
    buffered = handle if hasattr(handle, "peek") else io.BufferedReader(handle, CHUNK)  # type: ignore[arg-type]
    kind = utf16_kind(buffered.peek(512)[:512])  # type: ignore[attr-defined]
    if kind is None:
        return buffered, None  # type: ignore[return-value]
    text = io.TextIOWrapper(buffered, encoding=kind, errors="replace", newline="")  # type: ignore[arg-type]
    return io.BufferedReader(_Utf8(text), CHUNK), "utf-16"  # type: ignore[return-value]
