"""The raw-data dataset: real files, synthetic data, never a mix."""

from __future__ import annotations

import hashlib
import time

import pytest
from kedro.io import DatasetError

from loan_default.datasets import MAX_LINE_BYTES, RawLoanDataDataset, read_raw_csv
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
