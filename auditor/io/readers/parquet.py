"""Parquet files, read by record batch (a text column that is not a string column gives
error records: ``records.coerce_text``)."""

from __future__ import annotations

from collections.abc import Iterator

from ...errors import InputError
from ...records import NoteRecord
from .common import ReadOptions, RecordStream, Row
from .source import Source
from .tabular import table_records

BATCH_ROWS = 2_000  # Parquet record batch size


def count_rows(path: str) -> int | None:
    """The number of rows from the file's metadata (None when it cannot be read)."""
    import pyarrow.parquet as pq

    try:
        return pq.ParquetFile(path).metadata.num_rows
    except Exception:  # noqa: BLE001 - a count is optional
        return None


def read_parquet(
    stream: RecordStream, source: Source, options: ReadOptions
) -> Iterator[NoteRecord]:
    """Records of a Parquet file (a compressed one is spooled to a temporary file).

    Raises:
        InputError: the file (or a later batch of it) cannot be read.
        ColumnError: a column cannot be found or chosen.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    with source.local_file() as path:
        try:
            parquet = pq.ParquetFile(path)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several types
            raise InputError(
                f"{source.name}: not a readable Parquet file ({type(exc).__name__})"
            ) from exc

        def rows() -> Iterator[Row]:
            row = 1
            batches = parquet.iter_batches(batch_size=BATCH_ROWS)
            while True:
                try:
                    batch = next(batches, None)
                    records = None if batch is None else batch.to_pylist()
                except (pa.ArrowException, OSError) as exc:
                    raise InputError(
                        f"{source.name}: Parquet data unreadable from row {row} "
                        f"({type(exc).__name__})"
                    ) from exc
                if records is None:
                    return
                for values in records:
                    yield Row(row, f"row {row}", values)
                    row += 1

        columns = parquet.schema_arrow.names
        yield from table_records(stream, columns, rows(), options)
