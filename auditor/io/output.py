"""The report folder of one run: a lock, a temporary folder beside it, and the swap.

A run writes every file into ``.<name>.tmp-<pid>`` beside the report folder ``<name>`` and
moves them into place only when all of them are complete (``commit``), so an interrupted,
killed or failed run leaves the report folder exactly as it was. ``.<name>.lock`` beside
the folder is held (``fcntl.flock``) for the whole run and names the owning process: a
second run on the same folder is refused instead of mixing two reports.

``--force`` replaces the files an earlier audit wrote, as listed in its ``run.json``
(``files``), and nothing else: a file of the same name that no audit wrote (an input
named ``notes.csv``), or an input file inside the folder, stops the run before anything
is written. Messages name paths and OS reasons, never note text.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import socket
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import OutputError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the lock file is advisory only
    fcntl = None  # type: ignore[assignment]

# Names an audit before run.json listed its files wrote (legacy run.json without "files").
LEGACY_FILES = (
    "notes.jsonl",
    "events.jsonl",
    "notes.csv",
    "events.csv",
    "run.json",
    "claims.jsonl",
    "claims.csv",
    "report.html",
)


def os_reason(exc: OSError) -> str:
    """The OS's words for an error (``No space left on device``), never a file's content."""
    name = errno.errorcode.get(exc.errno or 0)
    reason = exc.strerror or type(exc).__name__
    return f"{reason} ({name})" if name else reason


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def earlier_files(folder: Path) -> set[str]:
    """Names of the files an earlier audit wrote in ``folder``: its ``run.json`` ``files``
    (plus ``run.json``), the legacy names for a ``run.json`` that predates the list, and
    ``.part`` files such an audit left; empty when no audit wrote there."""
    try:
        run = json.loads((folder / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return set()
    if not isinstance(run, dict) or run.get("product") != "auditor":
        return set()
    listed = run.get("files")
    names = set(LEGACY_FILES) if not isinstance(listed, list) else {str(n) for n in listed}
    names = {n for n in names if "/" not in n and n not in (".", "..")} | {"run.json"}
    return names | {f"{n}.part" for n in names}


class OutputFolder:
    """The report folder of one run (use as a context manager).

    Args:
        target: the report folder to produce.
        force: replace the files an earlier audit wrote there.
        writes: the names the run will write (collisions with other files are refused).
        inputs: the run's input paths; one inside ``target`` is refused.

    Attributes:
        target: as given; ``work``: the temporary folder to write into (beside it).

    Raises (on enter):
        OutputError: ``target`` is a file; it is not empty and ``force`` is off; it holds
            an input, or a file named like an output that no audit wrote; another run
            holds its lock; the temporary folder cannot be made (the OS reason is given).
    """

    def __init__(
        self,
        target: str | Path,
        force: bool,
        writes: Iterable[str],
        inputs: Iterable[str | Path | None] = (),
    ) -> None:
        self.target = Path(target)
        self.force = force
        self.writes = set(writes)
        self.inputs = [Path(p) for p in inputs if p is not None]
        self.parent = self.target.absolute().parent
        self.lock_path = self.parent / f".{self.target.name}.lock"
        self.work = self.parent / f".{self.target.name}.tmp-{os.getpid()}"
        self.replaced: set[str] = set()
        self._lock_fd: int | None = None

    def __enter__(self) -> OutputFolder:
        self._check()
        try:
            self.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OutputError(
                f"cannot create report folder {self.target}: {os_reason(exc)}"
            ) from exc
        self._lock()
        try:
            self._check()  # again, now that no other run can change it
            for stale in self.parent.glob(f".{self.target.name}.tmp-*"):
                shutil.rmtree(stale, ignore_errors=True)  # left by a killed run
            try:
                self.work.mkdir()
            except OSError as exc:
                raise OutputError(f"cannot write in {self.parent}: {os_reason(exc)}") from exc
        except BaseException:
            self._unlock()
            raise
        return self

    def _check(self) -> None:
        target = self.target
        if target.exists() and not target.is_dir():
            raise OutputError(f"report folder {target} is a file")
        if not target.exists():
            return
        for path in self.inputs:
            if _inside(path, target):
                raise OutputError(
                    f"input {path} lies inside the report folder {target}; "
                    "write the report to another folder"
                )
        try:
            present = {p.name for p in target.iterdir()}
        except OSError as exc:
            raise OutputError(f"cannot read report folder {target}: {os_reason(exc)}") from exc
        if not present:
            return
        if not self.force:
            raise OutputError(
                f"report folder {target} exists and is not empty; use --force to overwrite"
            )
        earlier = earlier_files(target)
        foreign = sorted((self.writes & present) - earlier)
        if foreign:
            raise OutputError(
                f"report folder {target} holds {', '.join(foreign)}, which no earlier audit "
                "wrote (its run.json does not list them); --force replaces only an audit's "
                "own files: move them or choose another --out"
            )
        self.replaced = earlier & present

    def _lock(self) -> None:
        try:
            fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(
                f"cannot create report folder {self.target}: {os_reason(exc)}"
            ) from exc
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                owner = os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown"
                os.close(fd)
                raise OutputError(
                    f"report folder {self.target} is being written by another run "
                    f"({owner}; lock file {self.lock_path}); wait for it to finish or "
                    "choose another --out"
                ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"process {os.getpid()} on {socket.gethostname()}\n".encode(), 0)
        self._lock_fd = fd

    def _unlock(self) -> None:
        if self._lock_fd is None:
            return
        try:
            self.lock_path.unlink(missing_ok=True)
        finally:
            os.close(self._lock_fd)  # closing releases the flock
            self._lock_fd = None

    def commit(self) -> None:
        """Move every file of ``work`` into ``target`` and delete the earlier audit's
        files the new run did not write again.

        Raises:
            OutputError: a file cannot be moved (the OS reason is given).
        """
        try:
            if not self.target.exists():
                os.replace(self.work, self.target)
                return
            written = set()
            for path in sorted(self.work.iterdir()):
                os.replace(path, self.target / path.name)
                written.add(path.name)
            for name in sorted(self.replaced - written):
                (self.target / name).unlink(missing_ok=True)
            self.work.rmdir()
        except OSError as exc:
            raise OutputError(
                f"cannot move the report into {self.target}: {os_reason(exc)}"
            ) from exc

    def discard(self) -> None:
        """Delete the temporary folder (a failed or interrupted run)."""
        shutil.rmtree(self.work, ignore_errors=True)

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is not None:
                self.discard()
        finally:
            self._unlock()
