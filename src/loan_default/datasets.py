"""Custom Kedro datasets.

``RawLoanDataDataset`` is the 01_raw layer: the real Kaggle files when they are in
``data/01_raw/``, otherwise the embedded synthetic data, never a mix of the two.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Any

import pandas as pd
from kedro.io import AbstractDataset, DatasetError

from loan_default.schema import APPLICATION, PREVIOUS_APPLICATION, TableSchema

logger = logging.getLogger(__name__)

_HASH_CHUNK_BYTES = 1 << 20


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for chunk in iter(lambda: stream.read(_HASH_CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


def read_raw_csv(path: Path, table: TableSchema) -> pd.DataFrame:
    """Read a raw CSV with text columns as text and everything else inferred.

    Values are coerced to the schema's dtypes by validation, not here, so that a bad
    value becomes a clear validation error rather than a parser traceback.
    """
    text_columns = {name: "string" for name in table.columns_of("string")}
    try:
        return pd.read_csv(path, dtype=text_columns, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as error:
        raise DatasetError(f"{path}: cannot be read as CSV: {error}") from error


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
