"""The synthetic population at any size, as partitioned Parquet written chunk by chunk.

Each chunk is drawn by ``synthetic.generate_loan_data`` itself, from a seed derived
from the run's seed and the chunk's number (the first chunk uses the seed itself, so
one chunk is exactly the embedded data of that size and seed), then its ids are
moved past the previous chunks' ids. Only one chunk is in memory at a time: memory is
bounded by ``chunk_applications``, not by the population.

    python -m loan_default.synthetic_parquet --n-applications 10000000 --seed 42 \\
        --output-dir data/01_raw

writes ``application.parquet/``, ``previous_application.parquet/`` and
``true_default_probability.parquet/`` (folders of ``part-NNNNN.parquet``), which the
Spark environment reads (conf/spark/catalog_spark.yml).
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from loan_default.schema import APPLICATION_ID
from loan_default.synthetic import (
    FIRST_TRAINING_ID,
    ORPHAN_CLIENT_SHARE,
    SyntheticLoanData,
    generate_loan_data,
    generate_new_applications,
)

TABLES = ("application", "previous_application", "true_default_probability")
PREVIOUS_ID = "SK_ID_PREV"
DEFAULT_CHUNK_APPLICATIONS = 250_000


def chunk_seed(seed: int, chunk: int) -> int:
    """The seed of chunk ``chunk``: ``seed`` itself for the first, then
    independent streams derived from both (``numpy.random.SeedSequence``)."""
    if chunk == 0:
        return int(seed)
    return int(np.random.SeedSequence([int(seed), int(chunk)]).generate_state(1)[0])


def chunk_sizes(n_applications: int, chunk_applications: int) -> list[int]:
    """Applications per chunk: ``chunk_applications`` each, the rest in the last."""
    if n_applications < 1 or chunk_applications < 1:
        raise ValueError(
            "n_applications and chunk_applications must be positive, got "
            f"{n_applications!r} and {chunk_applications!r}"
        )
    full, rest = divmod(int(n_applications), int(chunk_applications))
    return [int(chunk_applications)] * full + ([rest] if rest else [])


def _id_span(n_applications: int) -> int:
    """How many SK_ID_CURR values one drawn chunk may use (``generate_loan_data``)."""
    return math.ceil(n_applications * (1 + ORPHAN_CLIENT_SHARE)) + 1


@dataclass
class _Offsets:
    applicant: int = 0
    previous: int = 0


def _shifted(data: SyntheticLoanData, offsets: _Offsets) -> SyntheticLoanData:
    """The chunk with its ids moved past the earlier chunks'."""
    application = data.application.copy()
    application[APPLICATION_ID] += offsets.applicant
    previous = data.previous_application.copy()
    previous[APPLICATION_ID] += offsets.applicant
    previous[PREVIOUS_ID] += offsets.previous
    truth = data.true_default_probability.copy()
    truth[APPLICATION_ID] += offsets.applicant
    return SyntheticLoanData(application, previous, truth)


def training_chunks(
    n_applications: int, seed: int, chunk_applications: int
) -> Iterator[SyntheticLoanData]:
    """The population a chunk at a time, ids unique across chunks."""
    offsets = _Offsets()
    for number, size in enumerate(chunk_sizes(n_applications, chunk_applications)):
        data = generate_loan_data(size, chunk_seed(seed, number))
        yield _shifted(data, offsets)
        offsets.applicant += _id_span(size)
        offsets.previous += len(data.previous_application)


class _PartWriter:
    """Part files of one table; every part cast to the first part's schema."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.schema: pa.Schema | None = None
        self.parts = 0
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if self.schema is None:
            self.schema = table.schema.remove_metadata()
        table = table.select(self.schema.names).cast(self.schema)
        pq.write_table(table, self.folder / f"part-{self.parts:05d}.parquet")
        self.parts += 1
        self.rows += len(frame)


def write_parquet_chunks(
    n_applications: int,
    seed: int,
    output_dir: Path,
    chunk_applications: int = DEFAULT_CHUNK_APPLICATIONS,
    new_applications: int = 0,
) -> dict[str, object]:
    """Write the population (and ``new_applications`` new applicants without
    TARGET, ``new_applications.parquet/``) as Parquet part files, one chunk at a
    time; returns what was written (also saved as ``synthetic_parquet.json``)."""
    output_dir = Path(output_dir)
    writers = {name: _PartWriter(output_dir / f"{name}.parquet") for name in TABLES}
    last_id = FIRST_TRAINING_ID
    for data in training_chunks(n_applications, seed, chunk_applications):
        writers["application"].write(data.application)
        writers["previous_application"].write(data.previous_application)
        writers["true_default_probability"].write(data.true_default_probability)
        last_id = int(data.previous_application[APPLICATION_ID].max())
        last_id = max(last_id, int(data.application[APPLICATION_ID].max()))
    written = {name: writer.rows for name, writer in writers.items()}
    if new_applications:
        batch = _PartWriter(output_dir / "new_applications.parquet")
        first_id = last_id + 1
        for number, size in enumerate(
            chunk_sizes(new_applications, chunk_applications)
        ):
            data = generate_new_applications(
                size, chunk_seed(seed + 1, number), first_id=first_id
            )
            batch.write(data.application)
            first_id += size
        written["new_applications"] = batch.rows
    description = {
        "kind": "synthetic",
        "seed": int(seed),
        "n_applications": int(n_applications),
        "chunk_applications": int(chunk_applications),
        "rows": written,
    }
    (output_dir / "synthetic_parquet.json").write_text(
        json.dumps(description, indent=2)
    )
    return description


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m loan_default.synthetic_parquet",
        description="Write the synthetic Loan Defaulter tables as partitioned "
        "Parquet, a chunk of applications at a time.",
    )
    parser.add_argument("--n-applications", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument(
        "--chunk-applications",
        type=int,
        default=DEFAULT_CHUNK_APPLICATIONS,
        help="applications drawn and written at a time (bounds the memory)",
    )
    parser.add_argument(
        "--new-applications",
        type=int,
        default=0,
        help="also write new_applications.parquet (no TARGET) with this many",
    )
    arguments = parser.parse_args(argv)
    description = write_parquet_chunks(
        arguments.n_applications,
        arguments.seed,
        arguments.output_dir,
        arguments.chunk_applications,
        arguments.new_applications,
    )
    print(json.dumps(description))  # noqa: T201


if __name__ == "__main__":
    main()
