"""A process pool that survives its workers: ordered results, dead workers detected.

``ordered_map(fn, items, workers)`` runs ``fn`` on chunks of ``items`` in worker processes
(``concurrent.futures.ProcessPoolExecutor``) and yields ``(item, result)`` in input order,
with a bounded number of chunks in flight (memory does not grow with the input).

When a worker dies (SIGKILL, the OOM killer, a crash in native code) the executor reports
``BrokenProcessPool`` instead of waiting forever (``multiprocessing.Pool.imap`` hangs). The
chunks that were lost are then re-run item by item, each in a fresh one-process pool: an
item whose worker dies a second time (or that exceeds ``timeout`` again) gets
``lost(item, reason)`` as its result, and the run goes on. A chunk that takes longer than
``timeout`` seconds is treated as lost too (its worker may hang forever): the pool's
processes are killed and its items re-run the same way.

Workers ignore SIGINT (the parent handles Ctrl-C and stops the pool) and take SIGTERM and
SIGHUP with the default action. Nothing here knows about notes; see
``auditor.core.audit_stream`` for the use.
"""

from __future__ import annotations

import multiprocessing as mp
import signal
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from itertools import islice
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

CHUNK = 16  # items per task
IN_FLIGHT = 4  # chunks queued per worker
DEFAULT_TIMEOUT = 1800.0  # seconds one chunk may take before its worker counts as hung
WORKER_DIED = "worker died"
WORKER_HUNG = "worker timed out"


def _worker_init(initializer: Callable[[], None] | None) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    if initializer is not None:
        initializer()


def _context() -> Any:
    return mp.get_context("fork" if "fork" in mp.get_all_start_methods() else "spawn")


def _new_pool(workers: int, initializer: Callable[[], None] | None) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(
        workers, mp_context=_context(), initializer=_worker_init, initargs=(initializer,)
    )


def _stop(pool: ProcessPoolExecutor, kill: bool = False) -> None:
    """Shut ``pool`` down without waiting for queued work; ``kill``: terminate its
    processes first (a hung worker never finishes by itself)."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    if kill:
        for process in processes:
            if process.is_alive():
                process.kill()
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if kill or not process.is_alive():
            process.join(timeout=5)


def ordered_map(
    fn: Callable[[list[T]], list[R]],
    items: Iterable[T],
    workers: int,
    lost: Callable[[T, str], R],
    *,
    chunk: int = CHUNK,
    timeout: float | None = DEFAULT_TIMEOUT,
    initializer: Callable[[], None] | None = None,
) -> Iterator[tuple[T, R]]:
    """Yield ``(item, result)`` for every item, in input order.

    Args:
        fn: picklable function of a list of items returning one result per item, in order.
        items: consumed lazily; at most ``workers * IN_FLIGHT * chunk`` are held at once.
        workers: worker processes (at least 1; the work never runs in this process).
        lost: the result of an item whose worker died (or hung) twice; called in this
            process with the item and ``WORKER_DIED`` or ``WORKER_HUNG``.
        chunk: items per task.
        timeout: seconds a chunk may take (counted from when its result is awaited);
            None waits forever.
        initializer: run once in each worker process.

    Raises:
        whatever ``fn`` raises for a chunk (the pool is stopped first); an exception in
        ``fn`` is not a dead worker and is not retried.
    """
    source = iter(items)
    pool = _new_pool(workers, initializer)
    pending: deque[tuple[list[T], Future]] = deque()

    def fill() -> None:
        while len(pending) < workers * IN_FLIGHT:
            batch = list(islice(source, chunk))
            if not batch:
                return
            try:
                future = pool.submit(fn, batch)
            except BrokenProcessPool as exc:  # it broke since the last wait: rerun below
                future = Future()
                future.set_exception(exc)
            pending.append((batch, future))

    try:
        fill()
        while pending:
            batch, future = pending[0]
            try:
                results = future.result(timeout=timeout)
            except (BrokenProcessPool, FutureTimeout):
                _stop(pool, kill=True)
                lost_batches = list(pending)
                pending.clear()
                for lost_batch, lost_future in lost_batches:
                    done = lost_future.done() and not lost_future.cancelled()
                    if done and lost_future.exception() is None:
                        yield from zip(lost_batch, lost_future.result(), strict=True)
                        continue
                    yield from _isolated(fn, lost_batch, lost, timeout, initializer)
                pool = _new_pool(workers, initializer)
                fill()
                continue
            pending.popleft()
            yield from zip(batch, results, strict=True)
            fill()
    finally:
        _stop(pool, kill=True)


def _isolated(
    fn: Callable[[list[T]], list[R]],
    batch: list[T],
    lost: Callable[[T, str], R],
    timeout: float | None,
    initializer: Callable[[], None] | None,
) -> Iterator[tuple[T, R]]:
    """Re-run each item of a lost chunk alone in a one-process pool (a second death, or
    a second timeout, is then the item's own)."""
    pool = _new_pool(1, initializer)
    try:
        for item in batch:
            try:
                result = pool.submit(fn, [item]).result(timeout=timeout)[0]
            except (BrokenProcessPool, FutureTimeout) as exc:
                hung = isinstance(exc, FutureTimeout)
                _stop(pool, kill=True)
                pool = _new_pool(1, initializer)
                result = lost(item, WORKER_HUNG if hung else WORKER_DIED)
            yield item, result
    finally:
        _stop(pool, kill=True)
