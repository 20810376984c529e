"""The raw-data dataset: real files, synthetic data, never a mix."""

from __future__ import annotations

import hashlib

import pytest
from kedro.io import DatasetError

from loan_default.datasets import RawLoanDataDataset
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
