"""Custom Kedro datasets.

``RawLoanDataDataset`` is the 01_raw layer: the real Kaggle files when they are in
``data/01_raw/``, otherwise the embedded synthetic data, never a mix of the two.
"""

from __future__ import annotations

import csv
import hashlib
import logging
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError
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
