"""The raw-data dataset (real files, synthetic data, never a mix) and the streaming
datasets: chunks read, rows looked up by key, chunks appended."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError, Version

from loan_default.datasets import (
    MAX_LINE_BYTES,
    AppendingCSVDataset,
    AppendingParquetDataset,
    CSVChunks,
    FrameChunks,
    KeyedParquetDataset,
    RawLoanDataDataset,
    read_raw_csv,
)
from loan_default.schema import APPLICATION, PREVIOUS_APPLICATION
from tests.tables import valid_table


def dataset_in(folder, **kwargs) -> RawLoanDataDataset:
    return RawLoanDataDataset(
        application_filepath=str(folder / "application_data.csv"),
        previous_application_filepath=str(folder / "previous_application.csv"),
        **kwargs,
    )


def test_without_files_it_generates_synthetic_data(tmp_path):
    data = dataset_in(tmp_path, synthetic_n_applications=300, synthetic_seed=5).load()
    assert data["source"] == {
        "kind": "synthetic",
        "seed": 5,
        "n_applications": 300,
        "n_previous_applications": len(data["previous_application"]),
    }
    assert list(data["application"].columns) == APPLICATION.column_names
    assert len(data["true_default_probability"]) == 300


def test_with_both_files_it_reads_them_and_states_their_hashes(tmp_path):
    valid_table(APPLICATION).to_csv(tmp_path / "application_data.csv", index=False)
    valid_table(PREVIOUS_APPLICATION).to_csv(
        tmp_path / "previous_application.csv", index=False
    )
    data = dataset_in(tmp_path).load()
    assert data["source"]["kind"] == "files"
    first = data["source"]["files"][0]
    expected = hashlib.sha256(
        (tmp_path / "application_data.csv").read_bytes()
    ).hexdigest()
    assert first == {
        "path": str(tmp_path / "application_data.csv"),
        "rows": 6,
        "sha256": expected,
    }
    assert data["true_default_probability"].empty
    assert str(data["application"]["CODE_GENDER"].dtype) == "string"


def test_with_one_file_it_refuses_to_mix(tmp_path):
    valid_table(APPLICATION).to_csv(tmp_path / "application_data.csv", index=False)
    with pytest.raises(
        DatasetError, match=r"not .*previous_application.csv.*never mixed"
    ):
        dataset_in(tmp_path).load()


def test_unreadable_file_is_named(tmp_path):
    (tmp_path / "application_data.csv").write_bytes(b"\xff\xfe\x00garbage\n\x00\x01")
    valid_table(PREVIOUS_APPLICATION).to_csv(
        tmp_path / "previous_application.csv", index=False
    )
    with pytest.raises(DatasetError, match="application_data.csv"):
        dataset_in(tmp_path).load()


def test_raw_layer_is_read_only(tmp_path):
    with pytest.raises(DatasetError, match="read-only"):
        dataset_in(tmp_path).save({"application": None})


def write_application(tmp_path, text: str):
    path = tmp_path / "application_data.csv"
    path.write_text(text)
    return path


def application_csv(**to_csv) -> str:
    return valid_table(APPLICATION).to_csv(index=False, **to_csv)


def refused(path, *fragments) -> str:
    with pytest.raises(DatasetError) as raised:
        read_raw_csv(path, APPLICATION)
    message = str(raised.value)
    for fragment in (str(path), *fragments):
        assert fragment in message, message
    return message


def test_a_file_without_a_final_line_break_or_with_crlf_is_read(tmp_path):
    text = application_csv()
    for variant in (text.rstrip("\n"), text.replace("\n", "\r\n")):
        frame = read_raw_csv(write_application(tmp_path, variant), APPLICATION)
        assert frame.shape == (6, len(APPLICATION.columns))


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_another_delimiter_is_named(tmp_path, delimiter):
    path = write_application(tmp_path, application_csv(sep=delimiter))
    refused(path, "the delimiter is not a comma", repr(delimiter))


@pytest.mark.parametrize("column", ["TARGET", "AMT_CREDIT"])
def test_a_repeated_header_name_is_named(tmp_path, column):
    frame = valid_table(APPLICATION)
    frame.insert(len(frame.columns), f"{column}__copy", frame[column])
    text = frame.to_csv(index=False).replace(f"{column}__copy", column, 1)
    refused(write_application(tmp_path, text), f"column {column}", "once in the header")


def test_a_truncated_last_line_says_the_file_ends_mid_row(tmp_path):
    text = application_csv()
    path = write_application(tmp_path, text[: len(text) - 200])
    refused(path, "ends mid-row", "line 7", "no line break at its end")


def test_a_last_line_cut_inside_a_quoted_value_ends_mid_row(tmp_path):
    text = application_csv().rstrip("\n")
    # Every field is there, but the last one's quote never closes.
    cut = text[: text.rindex(",") + 1] + '"0.'
    refused(write_application(tmp_path, cut), "ends mid-row", "unclosed")


def test_a_huge_cell_is_refused_fast_with_a_short_message(tmp_path):
    frame = valid_table(APPLICATION).astype({"CODE_GENDER": "object"})
    frame.loc[3, "CODE_GENDER"] = "M" * (20 * MAX_LINE_BYTES)
    path = write_application(tmp_path, frame.to_csv(index=False))
    started = time.perf_counter()
    message = refused(path, "line 5 is longer than 1,048,576 bytes")
    assert time.perf_counter() - started < 2
    assert len(message) < 500


def test_an_overlong_header_line_is_refused(tmp_path):
    path = write_application(tmp_path, "A" * (MAX_LINE_BYTES + 1) + "\n1\n")
    refused(path, "line 1 is longer than")


def test_history_dataset_is_empty_before_the_first_version(tmp_path):
    import pandas as pd  # noqa: PLC0415

    from loan_default.datasets import HistoryDataset  # noqa: PLC0415

    history = HistoryDataset(
        path=str(tmp_path / "history.parquet"),
        dataset="pandas.ParquetDataset",
        filename_suffix=".parquet",
    )
    assert history.exists() and history.load() == {}
    version = tmp_path / "history.parquet" / "2030-01-01T00.00.00.000Z"
    version.mkdir(parents=True)
    pd.DataFrame({"value": [1.0]}).to_parquet(version / "history.parquet")
    (name,) = history.load()
    assert name.startswith("2030-01-01T00.00.00.000Z")


# --- streaming datasets -------------------------------------------------------------


def test_csv_chunks_read_the_file_as_read_raw_csv_does(tmp_path):
    path = tmp_path / "application_data.csv"
    table = valid_table(APPLICATION)
    table.to_csv(path, index=False)
    chunks = list(CSVChunks(path, APPLICATION).chunks(2))
    assert [len(chunk) for chunk in chunks[:-1]] == [2] * (len(chunks) - 1)
    assert chunks[0].index.tolist() == [0, 1]  # each chunk from row 0
    whole = read_raw_csv(path, APPLICATION)
    pd.testing.assert_frame_equal(
        pd.concat(chunks, ignore_index=True), whole, check_dtype=False
    )
    (at_once,) = CSVChunks(path, APPLICATION).chunks(None)
    pd.testing.assert_frame_equal(at_once, whole)


def test_csv_chunks_of_a_header_alone_are_one_empty_chunk(tmp_path):
    path = tmp_path / "application_data.csv"
    valid_table(APPLICATION).head(0).to_csv(path, index=False)
    (chunk,) = CSVChunks(path, APPLICATION).chunks(10)
    assert chunk.empty
    assert list(chunk.columns) == list(valid_table(APPLICATION).columns)


def test_frame_chunks_cover_the_frame_in_order():
    frame = pd.DataFrame({"a": range(7)})
    chunks = list(FrameChunks(frame).chunks(3))
    assert [chunk["a"].tolist() for chunk in chunks] == [[0, 1, 2], [3, 4, 5], [6]]
    assert len(list(FrameChunks(frame.head(0)).chunks(3))) == 1


def history_table() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "SK_ID_CURR": rng.integers(100, 200, size=2_000),
            "AMT": rng.normal(size=2_000),
            "KIND": pd.array(rng.choice(["a", "b"], size=2_000), dtype="string"),
        }
    )


@pytest.mark.parametrize("row_group_size", [64, 100_000])
def test_keyed_parquet_finds_the_rows_of_the_keys_in_table_order(
    tmp_path, row_group_size
):
    table = history_table()
    path = tmp_path / "history.parquet"
    table.to_parquet(path, row_group_size=row_group_size)
    lookup = KeyedParquetDataset(str(path), key="SK_ID_CURR").load()
    keys = [105, 150, 150, 199, 1_000]
    expected = table.loc[table["SK_ID_CURR"].isin(keys)].reset_index(drop=True)
    pd.testing.assert_frame_equal(lookup.rows_of(keys), expected)
    assert lookup.rows_of([]).columns.tolist() == table.columns.tolist()
    assert lookup.rows_of([]).empty


def test_keyed_parquet_without_its_file_says_what_to_run(tmp_path):
    path = tmp_path / "history.parquet"
    dataset = KeyedParquetDataset(
        str(path), key="SK_ID_CURR", produced_by="run data_engineering first"
    )
    assert dataset.exists()  # the run may start: the load says what is missing
    with pytest.raises(DatasetError, match="history.parquet does not exist yet: run"):
        dataset.load()
    with pytest.raises(DatasetError, match="written by its own catalog entry"):
        dataset.save(pd.DataFrame())


def test_appending_parquet_writes_one_part_per_chunk_read_as_one_table(tmp_path):
    table = history_table()
    dataset = AppendingParquetDataset(str(tmp_path / "scores.parquet"))
    for start in range(0, len(table), 700):
        dataset.save(table.iloc[start : start + 700])
    parts = sorted(path.name for path in (tmp_path / "scores.parquet").iterdir())
    assert parts == ["part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    pd.testing.assert_frame_equal(dataset.load(), table)
    assert pd.read_parquet(tmp_path / "scores.parquet").shape == table.shape


def test_appending_parquet_replaces_an_empty_first_chunk_and_casts_later_ones(
    tmp_path,
):
    """An empty chunk's columns have no type yet; a later chunk's integers are
    cast to the first chunk with rows' floats."""
    dataset = AppendingParquetDataset(str(tmp_path / "t.parquet"))
    dataset.save(pd.DataFrame(columns=["id", "value"]))
    dataset.save(pd.DataFrame({"id": [1, 2], "value": [0.5, 1.5]}))
    dataset.save(pd.DataFrame({"id": [3], "value": [2]}))
    dataset.save(pd.DataFrame({"id": pd.Series([], dtype="int64"), "value": []}))
    loaded = dataset.load()
    assert loaded["value"].tolist() == [0.5, 1.5, 2.0]
    assert loaded["value"].dtype == "float64"
    assert len(list((tmp_path / "t.parquet").iterdir())) == 2


def test_appending_parquet_refuses_a_chunk_of_other_columns_or_types(tmp_path):
    dataset = AppendingParquetDataset(str(tmp_path / "t.parquet"))
    dataset.save(pd.DataFrame({"id": [1], "value": [0.5]}))
    with pytest.raises(DatasetError, match="columns differ from the first chunk"):
        dataset.save(pd.DataFrame({"id": [2], "other": [0.5]}))
    with pytest.raises(DatasetError, match="column value: a chunk's values of type"):
        dataset.save(pd.DataFrame({"id": [2], "value": ["high"]}))


def test_an_appending_dataset_starts_afresh_in_a_new_instance(tmp_path):
    path = str(tmp_path / "t.parquet")
    AppendingParquetDataset(path).save(pd.DataFrame({"id": [1, 2]}))
    dataset = AppendingParquetDataset(path)
    dataset.save(pd.DataFrame({"id": [3]}))
    assert dataset.load()["id"].tolist() == [3]


def test_appending_datasets_put_every_chunk_in_the_runs_version(tmp_path):
    version = Version(None, "2030-01-01T00.00.00.000Z")
    parquet = AppendingParquetDataset(str(tmp_path / "s.parquet"), version=version)
    csv = AppendingCSVDataset(str(tmp_path / "q.csv"), version=version)
    for rows in ([1, 2], [3]):
        parquet.save(pd.DataFrame({"id": rows}))
        csv.save(pd.DataFrame({"id": rows, "why": ["x"] * len(rows)}))
    assert [p.name for p in (tmp_path / "s.parquet").iterdir()] == [version.save]
    assert parquet.load()["id"].tolist() == [1, 2, 3]
    assert (tmp_path / "q.csv" / version.save / "q.csv").is_file()
    assert csv.load()["id"].tolist() == [1, 2, 3]
    assert parquet.exists() and csv.exists()
    assert not AppendingCSVDataset(str(tmp_path / "none.csv"), version=version).exists()


def test_appending_csv_writes_the_header_once(tmp_path):
    path = tmp_path / "quarantine.csv"
    dataset = AppendingCSVDataset(str(path))
    dataset.save(pd.DataFrame(columns=["batch_row", "rule"]))
    dataset.save(pd.DataFrame({"batch_row": [3], "rule": ["expected a value"]}))
    dataset.save(pd.DataFrame({"batch_row": [9], "rule": ["expected, a number"]}))
    assert path.read_text().splitlines()[0] == "batch_row,rule"
    assert dataset.load()["rule"].tolist() == ["expected a value", "expected, a number"]
    with pytest.raises(DatasetError, match="columns differ from the first chunk"):
        dataset.save(pd.DataFrame({"rule": ["x"], "batch_row": [1]}))


def test_a_single_parquet_file_from_before_chunking_still_loads(tmp_path):
    path = tmp_path / "scores.parquet"
    history_table().to_parquet(path)
    loaded = AppendingParquetDataset(str(path)).load()
    pd.testing.assert_frame_equal(loaded, history_table())
