"""The generator's partitioned Parquet: chunk by chunk, ids unique across chunks,
each chunk the embedded generator's own data."""

from __future__ import annotations

import pandas as pd
import pytest

from loan_default.synthetic import generate_loan_data
from loan_default.synthetic_parquet import (
    chunk_seed,
    chunk_sizes,
    write_parquet_chunks,
)

N_APPLICATIONS, CHUNK, SEED = 1_300, 600, 8


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    folder = tmp_path_factory.mktemp("raw")
    description = write_parquet_chunks(
        N_APPLICATIONS, SEED, folder, CHUNK, new_applications=250
    )
    return folder, description


def _parts(folder, table):
    return sorted((folder / f"{table}.parquet").glob("part-*.parquet"))


def test_one_part_file_per_chunk_with_every_row(written):
    folder, description = written
    assert chunk_sizes(N_APPLICATIONS, CHUNK) == [600, 600, 100]
    assert len(_parts(folder, "application")) == 3
    application = pd.read_parquet(folder / "application.parquet")
    assert len(application) == N_APPLICATIONS == description["rows"]["application"]
    assert len(pd.read_parquet(folder / "new_applications.parquet")) == 250


def test_ids_are_unique_across_chunks(written):
    folder, _ = written
    application = pd.read_parquet(folder / "application.parquet")
    previous = pd.read_parquet(folder / "previous_application.parquet")
    batch = pd.read_parquet(folder / "new_applications.parquet")
    assert application["SK_ID_CURR"].is_unique
    assert previous["SK_ID_PREV"].is_unique
    assert batch["SK_ID_CURR"].min() > previous["SK_ID_CURR"].max()
    truth = pd.read_parquet(folder / "true_default_probability.parquet")
    assert truth["SK_ID_CURR"].tolist() == application["SK_ID_CURR"].tolist()


def test_each_chunk_is_the_generators_data_with_moved_ids(written):
    folder, _ = written
    first = pd.read_parquet(_parts(folder, "application")[0])
    pd.testing.assert_frame_equal(
        first, generate_loan_data(CHUNK, SEED).application, check_dtype=False
    )
    second = pd.read_parquet(_parts(folder, "previous_application")[1])
    drawn = generate_loan_data(CHUNK, chunk_seed(SEED, 1)).previous_application
    assert len(second) == len(drawn)
    assert second["AMT_CREDIT"].equals(drawn["AMT_CREDIT"])
    # The second chunk's applicants come after every id of the first chunk.
    first_previous = pd.read_parquet(_parts(folder, "previous_application")[0])
    assert second["SK_ID_CURR"].min() > first_previous["SK_ID_CURR"].max()
    assert second["SK_ID_PREV"].min() > first_previous["SK_ID_PREV"].max()


def test_a_chunk_seed_is_the_seed_for_the_first_chunk_only():
    assert chunk_seed(8, 0) == 8
    assert len({chunk_seed(8, number) for number in range(50)}) == 50
