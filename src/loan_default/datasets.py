"""Custom Kedro datasets.

``RawLoanDataDataset`` is the 01_raw layer: the real Kaggle files when they are in
``data/01_raw/``, otherwise the embedded synthetic data, never a mix of the two.

Streaming: ``CSVChunks`` and ``FrameChunks`` hand a table over a chunk of rows at a
time, ``KeyedParquetDataset`` looks rows of a Parquet table up by key without
holding the table, and ``AppendingParquetDataset`` / ``AppendingCSVDataset`` take
the chunks a generator node yields, one ``save`` per chunk.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

import fsspec
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, AbstractVersionedDataset, DatasetError, Version
from kedro.io.core import get_filepath_str, get_protocol_and_path
from kedro_datasets.partitions import PartitionedDataset

from loan_default.schema import APPLICATION, PREVIOUS_APPLICATION, TableSchema
from loan_default.validation import shorten

logger = logging.getLogger(__name__)

_HASH_CHUNK_BYTES = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


MAX_LINE_BYTES = 1 << 20
"""The longest line a raw file may hold: real rows are under 2 kB, and a longer line
would be parsed, held in memory and quoted before anything could reject it."""

_OTHER_DELIMITERS = (";", "\t", "|")


@dataclass(frozen=True)
class _FileShape:
    """What a raw file's lines look like, read in bounded memory before parsing."""

    header: bytes
    last_line: bytes
    last_line_number: int
    ends_with_newline: bool


def _line_too_long(path: Path, line_number: int) -> DatasetError:
    return DatasetError(
        f"{path}: line {line_number} is longer than {MAX_LINE_BYTES:,} bytes, the "
        "most a raw file's line may hold; the file is refused unread"
    )


def _scan_lines(path: Path) -> _FileShape:
    """The header and the last non-blank line; fails at the first too-long line."""
    header: bytes | None = None
    last_line, last_line_number, lines_read = b"", 0, 0
    carry = b""
    with path.open("rb") as stream:
        while chunk := stream.read(_HASH_CHUNK_BYTES):
            lines = (carry + chunk).split(b"\n")
            carry = lines.pop()
            lengths = [len(line) for line in lines]
            if lengths and max(lengths) > MAX_LINE_BYTES:
                index = next(i for i, n in enumerate(lengths) if n > MAX_LINE_BYTES)
                raise _line_too_long(path, lines_read + index + 1)
            if len(carry) > MAX_LINE_BYTES:
                raise _line_too_long(path, lines_read + len(lines) + 1)
            if header is None and lines:
                header = lines[0]
            for offset, line in enumerate(reversed(lines)):
                if line.strip():
                    last_line = line
                    last_line_number = lines_read + len(lines) - offset
                    break
            lines_read += len(lines)
    if carry.strip():
        last_line, last_line_number = carry, lines_read + 1
    return _FileShape(
        header=carry if header is None else header,
        last_line=last_line,
        last_line_number=last_line_number,
        ends_with_newline=not carry.strip(),
    )


def _fields(line: str) -> list[str]:
    return next(csv.reader([line]), [])


def _check_header(path: Path, header: str) -> int:
    """The header's field count; the delimiter must be a comma, each name unique."""
    commas = header.count(",")
    other = max(_OTHER_DELIMITERS, key=header.count)
    if header.count(other) > commas:
        raise DatasetError(
            f"{path}: the delimiter is not a comma: the header line is separated by "
            f"{other!r} ({header.count(other)} of them, {commas} commas); "
            "save the file as comma-separated values"
        )
    names = _fields(header)
    repeated = [name for name, count in Counter(names).items() if count > 1]
    if repeated:
        positions = "; ".join(
            f"{shorten(name)} at columns "
            + ", ".join(str(i + 1) for i, seen in enumerate(names) if seen == name)
            for name in repeated
        )
        raise DatasetError(
            f"{path}: column {', '.join(shorten(name) for name in repeated)}: "
            f"expected each column once in the header, found it repeated ({positions})"
        )
    return len(names)


def _check_last_line(path: Path, shape: _FileShape, n_fields: int) -> None:
    """A file cut short (a copy or download that stopped) ends mid-row."""
    if shape.last_line_number <= 1:
        return  # no data rows: validation says the table is empty
    line = shape.last_line.rstrip(b"\r").decode("utf-8", errors="replace")
    found = len(_fields(line))
    unclosed_quote = line.count('"') % 2 == 1
    if found >= n_fields and not unclosed_quote:
        return
    newline = "" if shape.ends_with_newline else ", with no line break at its end"
    what = "an unclosed quoted value" if unclosed_quote else f"{found} field(s)"
    raise DatasetError(
        f"{path}: the file ends mid-row: its last line (line "
        f"{shape.last_line_number}) has {what} where the header has {n_fields} "
        f"fields{newline}; the file looks truncated, deliver it again"
    )


def check_raw_file(path: Path) -> None:
    """Refuse a file no CSV parse should be tried on, with a message saying why.

    Line lengths are checked while scanning, in bounded memory, before pandas holds
    the file; then the header (comma-separated, unique names) and the last line.
    """
    shape = _scan_lines(path)
    try:
        header = shape.header.rstrip(b"\r").decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DatasetError(
            f"{path}: cannot be read as CSV: the header line is not UTF-8 text "
            f"({error.reason} at byte {error.start})"
        ) from error
    n_fields = _check_header(path, header)
    _check_last_line(path, shape, n_fields)


def read_raw_csv(path: Path, table: TableSchema) -> pd.DataFrame:
    """Read a raw CSV with text columns as text and everything else inferred.

    ``check_raw_file`` first refuses files that are not plain comma-separated tables
    (over-long lines, another delimiter, repeated header names, a truncated end).
    Values are coerced to the schema's dtypes by validation, not here, so that a bad
    value becomes a clear validation error rather than a parser traceback.
    """
    check_raw_file(path)
    text_columns = {name: "string" for name in table.columns_of("string")}
    try:
        return pd.read_csv(path, dtype=text_columns, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DatasetError(
            f"{path}: cannot be read as CSV: {shorten(str(error))}"
        ) from error


class RawLoanDataDataset(AbstractDataset[dict[str, Any], dict[str, Any]]):
    """Both raw tables, from files or from the synthetic generator.

    ``load()`` returns a dict with ``application`` and ``previous_application``
    DataFrames, ``true_default_probability`` (the generator's hidden truth; empty for
    real data) and ``source``, a JSON-ready description of where the data came from.

    Both files present: they are read. Neither present: the generator makes
    ``synthetic_n_applications`` applicants from ``synthetic_seed``. Only one present:
    an error, because mixing a real table with a synthetic one would be silent garbage.
    """

    def __init__(
        self,
        application_filepath: str,
        previous_application_filepath: str,
        synthetic_n_applications: int = 20_000,
        synthetic_seed: int = 42,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        self._application_path = Path(application_filepath)
        self._previous_path = Path(previous_application_filepath)
        self._synthetic_n_applications = int(synthetic_n_applications)
        self._synthetic_seed = int(synthetic_seed)
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {
            "application_filepath": str(self._application_path),
            "previous_application_filepath": str(self._previous_path),
            "synthetic_n_applications": self._synthetic_n_applications,
            "synthetic_seed": self._synthetic_seed,
        }

    def _exists(self) -> bool:
        return True

    def save(self, data: dict[str, Any]) -> None:
        raise DatasetError("The raw layer is read-only: the project never writes it.")

    def load(self) -> dict[str, Any]:
        present = {
            path: path.exists()
            for path in (self._application_path, self._previous_path)
        }
        if all(present.values()):
            return self._load_files()
        if any(present.values()):
            found = [str(path) for path, exists in present.items() if exists]
            missing = [str(path) for path, exists in present.items() if not exists]
            raise DatasetError(
                f"Found {', '.join(found)} but not {', '.join(missing)}. Put both real "
                "files in data/01_raw/ to use the real data, or remove both to use "
                "the synthetic data; the two are never mixed."
            )
        return self._generate()

    def _load_files(self) -> dict[str, Any]:
        tables = {}
        files = []
        for table, path in (
            (APPLICATION, self._application_path),
            (PREVIOUS_APPLICATION, self._previous_path),
        ):
            frame = read_raw_csv(path, table)
            tables[table.name] = frame
            files.append(
                {"path": str(path), "rows": len(frame), "sha256": sha256_of(path)}
            )
        source = {"kind": "files", "files": files}
        logger.info("Raw data source: real files %s", files)
        return {
            **tables,
            "true_default_probability": pd.DataFrame(
                {
                    "SK_ID_CURR": pd.Series(dtype="int64"),
                    "TRUE_PD": pd.Series(dtype="float64"),
                }
            ),
            "source": source,
        }

    def _generate(self) -> dict[str, Any]:
        from loan_default.synthetic import generate_loan_data  # noqa: PLC0415

        data = generate_loan_data(
            n_applications=self._synthetic_n_applications, seed=self._synthetic_seed
        )
        source = {
            "kind": "synthetic",
            "seed": self._synthetic_seed,
            "n_applications": len(data.application),
            "n_previous_applications": len(data.previous_application),
        }
        logger.info(
            "Raw data source: synthetic (seed %d, %d applications, %d previous "
            "applications); put application_data.csv and previous_application.csv "
            "in data/01_raw/ to use the real data",
            source["seed"],
            source["n_applications"],
            source["n_previous_applications"],
        )
        return {
            "application": data.application,
            "previous_application": data.previous_application,
            "true_default_probability": data.true_default_probability,
            "source": source,
        }


class HistoryDataset(PartitionedDataset):
    """Every version written so far of a versioned dataset, as partitions; none
    (an empty mapping) before the first, where ``PartitionedDataset`` refuses."""

    def load(self) -> dict[str, Any]:
        self._invalidate_caches()
        if not self._list_partitions():
            return {}
        return PartitionedDataset.load.__wrapped__(self)

    def _exists(self) -> bool:
        return True


# --- streaming: chunks in, chunks out ------------------------------------------------


class FrameChunks:
    """An in-memory table handed over ``size`` rows at a time (``None``: at once)."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame

    def chunks(self, size: int | None) -> Iterator[pd.DataFrame]:
        step = max(len(self.frame), 1) if size is None else size
        for start in range(0, max(len(self.frame), 1), step):
            yield self.frame.iloc[start : start + step].reset_index(drop=True)


class CSVChunks:
    """A raw CSV read ``size`` rows at a time (``None``: at once), as
    ``read_raw_csv`` reads it: text columns as text, the rest inferred (per chunk:
    validation coerces every value to the schema's dtype, row by row).

    Always at least one chunk: a file of a header alone gives one empty chunk, so
    that validation says the table has no rows.
    """

    def __init__(self, path: Path, table: TableSchema) -> None:
        self.path = Path(path)
        self.table = table

    def chunks(self, size: int | None) -> Iterator[pd.DataFrame]:
        text_columns = {name: "string" for name in self.table.columns_of("string")}
        try:
            if size is None:
                yield pd.read_csv(self.path, dtype=text_columns, low_memory=False)
                return
            with pd.read_csv(
                self.path, dtype=text_columns, low_memory=False, chunksize=size
            ) as reader:
                for chunk in reader:
                    yield chunk.reset_index(drop=True)
        except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
            raise DatasetError(
                f"{self.path}: cannot be read as CSV: {shorten(str(error))}"
            ) from error


class FrameLookup:
    """Rows of an in-memory table by key: the same answers as ``ParquetLookup``."""

    def __init__(self, frame: pd.DataFrame, key: str) -> None:
        self.frame = frame
        self.key = key

    def rows_of(self, keys: Any) -> pd.DataFrame:
        return self.frame.loc[self.frame[self.key].isin(keys)].reset_index(drop=True)


class ParquetLookup:
    """Rows of a Parquet table by key, never holding the table.

    The key column is read once (8 bytes a row); each lookup then reads only the
    row groups holding a wanted key, a batch at a time, keeping the rows it wants.
    The rows come in the table's order, with the dtypes ``pandas.read_parquet``
    gives.
    """

    BATCH_ROWS = 65_536

    def __init__(self, path: str, key: str, fs: Any) -> None:
        self.path = path
        self.key = key
        self.fs = fs
        self._index: list[tuple[str, np.ndarray, np.ndarray]] | None = None
        self._schema: pa.Schema | None = None

    def _files(self) -> list[str]:
        if self.fs.isdir(self.path):
            return sorted(self.fs.glob(f"{self.path}/*.parquet"))
        return [self.path]

    def _key_index(self) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """Per file: its keys, and the first row of each row group."""
        if self._index is None:
            self._index = []
            for name in self._files():
                with self.fs.open(name, "rb") as stream:
                    parquet = pq.ParquetFile(stream)
                    self._schema = self._schema or parquet.schema_arrow
                    keys = parquet.read(columns=[self.key]).column(self.key)
                    sizes = [
                        parquet.metadata.row_group(group).num_rows
                        for group in range(parquet.num_row_groups)
                    ]
                self._index.append((name, keys.to_numpy(), np.cumsum([0, *sizes])))
        return self._index

    def rows_of(self, keys: Any) -> pd.DataFrame:
        wanted = np.unique(np.asarray(keys))
        parts: list[pa.RecordBatch] = []
        for name, file_keys, starts in self._key_index():
            found = np.isin(file_keys, wanted)
            if not found.any():
                continue
            with self.fs.open(name, "rb") as stream:
                parquet = pq.ParquetFile(stream)
                for group in range(parquet.num_row_groups):
                    in_group = found[starts[group] : starts[group + 1]]
                    if in_group.any():
                        parts.extend(self._read_rows(parquet, group, in_group))
        assert self._schema is not None
        return pa.Table.from_batches(parts, schema=self._schema).to_pandas()

    def _read_rows(
        self, parquet: pq.ParquetFile, group: int, selected: np.ndarray
    ) -> Iterator[pa.RecordBatch]:
        offset = 0
        for batch in parquet.iter_batches(
            batch_size=self.BATCH_ROWS, row_groups=[group], use_threads=False
        ):
            rows = selected[offset : offset + batch.num_rows]
            offset += batch.num_rows
            if rows.any():
                yield batch.filter(pa.array(rows)).cast(self._schema)


def as_lookup(history: pd.DataFrame | FrameLookup | ParquetLookup, key: str) -> Any:
    """``history`` as an object answering ``rows_of(keys)``."""
    return FrameLookup(history, key) if isinstance(history, pd.DataFrame) else history


class KeyedParquetDataset(AbstractDataset[None, ParquetLookup]):
    """A Parquet table read by key: ``load()`` returns a ``ParquetLookup`` (nothing
    is read until ``rows_of``). Read-only: the table is written by its own catalog
    entry; this one is the same file, opened for lookups."""

    def __init__(
        self,
        filepath: str,
        key: str,
        *,
        produced_by: str | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath)
        self._protocol = protocol
        self._path = path
        self._fs = fsspec.filesystem(protocol, **(credentials or {}), **(fs_args or {}))
        self._key = key
        self._produced_by = produced_by
        self.metadata = metadata

    def _describe(self) -> dict[str, Any]:
        return {"filepath": self._path, "key": self._key}

    def _exists(self) -> bool:
        # The lookup is always there to hand over; a missing table is reported on
        # load with what to run.
        return True

    def load(self) -> ParquetLookup:
        if not self._fs.exists(self._path):
            advice = f": {self._produced_by}" if self._produced_by else ""
            raise DatasetError(f"{self._path} does not exist yet{advice}")
        return ParquetLookup(self._path, self._key, self._fs)

    def save(self, data: None) -> None:
        raise DatasetError(
            f"{self._path} is read by key here; it is written by its own catalog entry"
        )


class _AppendingDataset(AbstractVersionedDataset[pd.DataFrame, pd.DataFrame]):
    """A table saved a chunk at a time, for a generator node's output.

    The first ``save`` of an instance starts the table (replacing what an
    unversioned path held); each later one adds its rows. Kedro builds a catalog
    per run, so one run writes one table. Versioned like Kedro's own file datasets:
    all chunks go to the run's save version.
    """

    def __init__(
        self,
        filepath: str,
        *,
        load_args: dict[str, Any] | None = None,
        save_args: dict[str, Any] | None = None,
        version: Version | None = None,
        credentials: dict[str, Any] | None = None,
        fs_args: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        protocol, path = get_protocol_and_path(filepath, version)
        self._protocol = protocol
        self._fs = fsspec.filesystem(protocol, **(credentials or {}), **(fs_args or {}))
        self._load_args = dict(load_args or {})
        self._save_args = dict(save_args or {})
        self.metadata = metadata
        self._target: str | None = None
        super().__init__(
            filepath=PurePosixPath(path),
            version=version,
            exists_function=self._fs.exists,
            glob_function=self._fs.glob,
        )

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "version": self._version}

    def _exists(self) -> bool:
        try:
            load_path = get_filepath_str(self._get_load_path(), self._protocol)
        except DatasetError:
            return False
        return self._fs.exists(load_path)

    def _save_target(self) -> tuple[str, bool]:
        """Where this instance writes, and whether this save starts the table."""
        if self._target is None:
            self._target = get_filepath_str(self._get_save_path(), self._protocol)
            return self._target, True
        return self._target, False


class AppendingParquetDataset(_AppendingDataset):
    """A Parquet table written a chunk at a time: a folder at ``filepath`` of part
    files (``part-00000.parquet``, ...), one per non-empty chunk, which
    ``pandas.read_parquet`` and Spark read as one table.

    Every part has the column types of the first chunk with rows (a later chunk is
    cast to them, or refused naming the column), so the table read back does not
    depend on how it was chunked.
    """

    def __init__(self, filepath: str, **kwargs: Any) -> None:
        super().__init__(filepath, **kwargs)
        self._schema: pa.Schema | None = None
        self._typed = False
        """Whether the schema comes from a chunk with rows (an empty chunk's columns
        of missing values have no type yet)."""
        self._parts: list[str] = []

    def save(self, data: pd.DataFrame) -> None:
        target, starting = self._save_target()
        if starting:
            if self._fs.exists(target):
                self._fs.rm(target, recursive=True)
            self._fs.makedirs(target, exist_ok=True)
        elif len(data) == 0:
            return  # no rows to add
        table = pa.Table.from_pandas(data, preserve_index=False)
        if starting or not self._typed:
            # The parts so far, if any, are one empty chunk: this one replaces it.
            for part in self._parts:
                self._fs.rm(part)
            self._parts = []
            self._schema, self._typed = table.schema, len(data) > 0
        else:
            table = self._conform(table)
        part = f"{target}/part-{len(self._parts):05d}.parquet"
        with self._fs.open(part, "wb") as stream:
            pq.write_table(table, stream, **self._save_args)
        self._parts.append(part)

    def _conform(self, table: pa.Table) -> pa.Table:
        assert self._schema is not None
        if table.schema.names != self._schema.names:
            raise DatasetError(
                f"{self._filepath}: a chunk's columns differ from the first chunk's: "
                f"{shorten(str(table.schema.names))} against "
                f"{shorten(str(self._schema.names))}"
            )
        columns = []
        for field in self._schema:
            column = table.column(field.name)
            try:
                columns.append(column.cast(field.type))
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
                raise DatasetError(
                    f"{self._filepath}: column {field.name}: a chunk's values of type "
                    f"{column.type} do not fit the first chunk's type {field.type}: "
                    f"{shorten(str(error))}"
                ) from error
        return pa.Table.from_arrays(columns, schema=self._schema)

    def load(self) -> pd.DataFrame:
        path = get_filepath_str(self._get_load_path(), self._protocol)
        if self._fs.isdir(path):
            parts = sorted(self._fs.glob(f"{path}/part-*.parquet"))
            tables = []
            for part in parts:
                with self._fs.open(part, "rb") as stream:
                    tables.append(pq.read_table(stream, **self._load_args))
            if not tables:
                raise DatasetError(f"{path}: no part file in the folder")
            return pa.concat_tables(tables).to_pandas()
        # A table written whole (before chunked writing) is one file.
        with self._fs.open(path, "rb") as stream:
            return pq.read_table(stream, **self._load_args).to_pandas()


class AppendingCSVDataset(_AppendingDataset):
    """A CSV file written a chunk at a time: the first save writes the header and
    its rows, each later one appends its rows, in the first chunk's columns."""

    def __init__(self, filepath: str, **kwargs: Any) -> None:
        super().__init__(filepath, **kwargs)
        self._columns: list[str] | None = None

    def save(self, data: pd.DataFrame) -> None:
        target, starting = self._save_target()
        if starting:
            self._fs.makedirs(str(PurePosixPath(target).parent), exist_ok=True)
            self._columns = [str(name) for name in data.columns]
        elif len(data) == 0:
            return
        elif [str(name) for name in data.columns] != self._columns:
            raise DatasetError(
                f"{self._filepath}: a chunk's columns differ from the first chunk's: "
                f"{shorten(str(list(data.columns)))} against "
                f"{shorten(str(self._columns))}"
            )
        arguments = {"index": False, **self._save_args}
        with self._fs.open(
            target, "w" if starting else "a", encoding="utf-8"
        ) as stream:
            data.to_csv(stream, header=starting, **arguments)

    def load(self) -> pd.DataFrame:
        path = get_filepath_str(self._get_load_path(), self._protocol)
        with self._fs.open(path, "r", encoding="utf-8") as stream:
            return pd.read_csv(stream, **self._load_args)
