"""Scoring nodes: the batch's source, validation policies per chunk, history and
features; chunked scoring against the batch as one chunk."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from loan_default.datasets import CSVChunks, FrameChunks, KeyedParquetDataset
from loan_default.features import to_model_input
from loan_default.pipelines.scoring.dataset import NewApplicationBatchDataset
from loan_default.pipelines.scoring.nodes import (
    CHUNK_COLUMNS,
    QUARANTINE_REASON_COLUMNS,
    UniqueKeys,
    collect_batch,
    lookup_history,
    score_batch,
    score_in_chunks,
    summarise_scoring,
    validate_chunk,
)
from loan_default.schema import (
    APPLICATION,
    APPLICATION_ID,
    PREVIOUS_APPLICATION,
    TARGET,
)
from loan_default.synthetic import generate_new_applications
from loan_default.validation import RawDataValidationError

FILE_SOURCE = {
    "kind": "file",
    "path": "data/01_raw/new_applications.csv",
    "sha256": "0" * 64,
}
SYNTHETIC = {"n_applications": 300, "seed": 4, "with_target": False, "drift": {}}
VALIDATION = {"max_examples": 5}
LABEL = FILE_SOURCE["path"]
NO_HISTORY = pd.DataFrame(columns=PREVIOUS_APPLICATION.column_names)


@pytest.fixture(scope="module")
def raw_batch() -> pd.DataFrame:
    """New applications as a delivered file holds them: text and numbers, no label."""
    return generate_new_applications(40, seed=5).application.copy()


def broken(raw_batch: pd.DataFrame) -> pd.DataFrame:
    """Three bad rows: a negative amount, an unknown level, text in a number column."""
    batch = raw_batch.astype({"DAYS_BIRTH": "object"})
    batch.loc[3, "AMT_CREDIT"] = -100.0
    batch.loc[7, "CODE_GENDER"] = "Q"
    batch.loc[7, "AMT_CREDIT"] = -1.0
    batch.loc[12, "DAYS_BIRTH"] = "ten thousand"
    return batch


def validate(batch: pd.DataFrame, first_row: int = 0, keys=None):
    return validate_chunk(batch, first_row, LABEL, keys or UniqueKeys(), 5)


def stream(
    trained,
    batch: pd.DataFrame,
    chunk: int | None,
    invalid_rows: str = "quarantine",
    in_house=None,
) -> dict[str, pd.DataFrame]:
    """``score_in_chunks``' outputs over the whole batch, each added up as the
    catalog's appending datasets add them."""
    outputs = score_in_chunks(
        trained.champion,
        FrameChunks(batch),
        trained.previous_application_validated if in_house is None else in_house,
        NO_HISTORY,
        FILE_SOURCE,
        invalid_rows,
        VALIDATION,
        4,
        chunk,
    )
    names = ("features", "scores", "quarantine", "chunks")
    parts = dict(zip(names, zip(*outputs, strict=True), strict=True))
    return {
        name: pd.concat(
            [part for part in frames if len(part)] or [frames[0]]
        ).reset_index(drop=True)
        for name, frames in parts.items()
    }


def test_dataset_says_when_no_file_was_delivered(tmp_path):
    path = tmp_path / "new_applications.csv"
    dataset = NewApplicationBatchDataset(str(path))
    assert dataset.exists()  # loadable: the pipeline then draws a synthetic batch
    loaded = dataset.load()
    assert loaded["application"] is None
    assert loaded["source"] == {"kind": "none", "path": str(path)}


def test_dataset_hands_a_delivered_file_over_in_chunks_with_its_checksum(
    tmp_path, raw_batch
):
    path = tmp_path / "new_applications.csv"
    raw_batch.to_csv(path, index=False)
    loaded = NewApplicationBatchDataset(str(path)).load()
    assert isinstance(loaded["application"], CSVChunks)
    chunks = list(loaded["application"].chunks(15))
    assert [len(chunk) for chunk in chunks] == [15, 15, 10]
    assert pd.concat(chunks)[APPLICATION_ID].tolist() == (
        raw_batch[APPLICATION_ID].tolist()
    )
    assert loaded["source"]["kind"] == "file"
    assert len(loaded["source"]["sha256"]) == 64


@pytest.mark.parametrize(
    ("spoil", "expected"),
    [
        (lambda text: text.replace(",", ";"), "the delimiter is not a comma"),
        (
            lambda text: text.replace("AMT_ANNUITY", "AMT_CREDIT", 1),
            "column AMT_CREDIT: expected each column once in the header",
        ),
        (lambda text: text[: len(text) - 300], "the file ends mid-row"),
        (
            lambda text: text.replace("\n", "\n" + "9" * (2 << 20) + "\n", 1),
            "line 2 is longer than 1,048,576 bytes",
        ),
    ],
    ids=["semicolons", "repeated-header", "truncated", "huge-line"],
)
def test_dataset_refuses_a_broken_file_by_the_raw_files_rules(
    tmp_path, raw_batch, spoil, expected
):
    path = tmp_path / "new_applications.csv"
    path.write_text(spoil(raw_batch.to_csv(index=False)))
    with pytest.raises(DatasetError) as raised:
        NewApplicationBatchDataset(str(path)).load()
    message = str(raised.value)
    assert str(path) in message
    assert expected in message
    assert len(message) < 500


def test_a_file_batch_is_used_as_delivered(raw_batch):
    batch = {"application": raw_batch, "source": FILE_SOURCE}
    application, history, source = collect_batch(batch, SYNTHETIC)
    assert application is raw_batch  # handed over unread
    assert history.empty
    assert source["kind"] == "file"


def test_without_a_file_a_synthetic_batch_is_drawn_from_the_parameters():
    missing = {"application": None, "source": {"kind": "none", "path": "x.csv"}}
    drift = {"shift": {"EXT_SOURCE_3": -0.1}}
    application, history, source = collect_batch(
        missing, {**SYNTHETIC, "with_target": True, "drift": drift}
    )
    (frame,) = application.chunks(None)
    assert len(frame) == SYNTHETIC["n_applications"]
    assert TARGET in frame.columns
    assert set(history[APPLICATION_ID]) <= set(frame[APPLICATION_ID])
    assert history[APPLICATION_ID].dtype == "int64"  # validated
    assert source == {
        "kind": "synthetic",
        "seed": 4,
        "rows": 300,
        "with_target": True,
        "drift": drift,
        "absent_file": "x.csv",
    }


def test_reject_fails_naming_every_column_rule_and_value(raw_batch, trained):
    with pytest.raises(RawDataValidationError) as error:
        stream(trained, broken(raw_batch), None, "reject")
    message = str(error.value)
    assert FILE_SOURCE["path"] in message
    assert "AMT_CREDIT: expected a value >= 0: 2 row(s)" in message
    assert "-100.0" in message
    assert "CODE_GENDER: expected one of the known levels" in message
    assert "'Q'" in message
    assert "DAYS_BIRTH: expected a number" in message
    assert "(rows 3, 7)" in message


def test_reject_lists_the_broken_rules_of_every_chunk_by_batch_row(raw_batch, trained):
    """The first bad row is in chunk 0, another in chunk 2: both are listed."""
    batch = broken(raw_batch)
    batch.loc[33, "AMT_CREDIT"] = -7.0
    with pytest.raises(RawDataValidationError) as error:
        stream(trained, batch, 5, "reject")
    message = str(error.value)
    assert "AMT_CREDIT: expected a value >= 0: 3 row(s)" in message
    assert "(rows 3, 7, 33)" in message
    assert "DAYS_BIRTH: expected a number" in message
    assert "(rows 12)" in message


def test_quarantine_sets_bad_rows_aside_with_reasons_and_keeps_the_rest(raw_batch):
    validated = validate(broken(raw_batch))
    valid, quarantine = validated.valid, validated.quarantine
    assert len(valid) == len(raw_batch) - 3
    assert (
        not valid[APPLICATION_ID].isin(raw_batch[APPLICATION_ID].iloc[[3, 7, 12]]).any()
    )
    assert valid["DAYS_BIRTH"].dtype == "int64"  # typed by the schema
    assert list(quarantine.columns[:4]) == QUARANTINE_REASON_COLUMNS
    reasons = set(
        quarantine[["batch_row", "column", "value"]].itertuples(index=False, name=None)
    )
    assert reasons == {
        (3, "AMT_CREDIT", "-100.0"),
        (7, "AMT_CREDIT", "-1.0"),
        (7, "CODE_GENDER", "Q"),
        (12, "DAYS_BIRTH", "ten thousand"),
    }
    assert quarantine["rule"].str.startswith("expected").all()
    # The raw row follows its reason, so it can be fixed and sent again.
    row_7 = quarantine.loc[quarantine["batch_row"] == 7].iloc[0]
    assert row_7[APPLICATION_ID] == raw_batch[APPLICATION_ID].iloc[7]


def test_a_chunk_reports_the_batch_rows(raw_batch):
    """The same bad rows, validated as the chunk starting at batch row 10 of
    rows 10-29: the same reasons, at the batch's row numbers."""
    whole = validate(broken(raw_batch)).quarantine
    chunk = broken(raw_batch).iloc[10:30].reset_index(drop=True)
    part = validate(chunk, first_row=10).quarantine
    expected = whole.loc[whole["batch_row"].between(10, 29)].reset_index(drop=True)
    pd.testing.assert_frame_equal(part, expected)
    assert part["batch_row"].tolist() == [12]


def test_quarantine_is_the_same_in_chunks_and_at_once(raw_batch, trained):
    batch = broken(raw_batch)
    batch.loc[33, "AMT_CREDIT"] = -7.0
    whole = stream(trained, batch, None)
    chunked = stream(trained, batch, 5)
    pd.testing.assert_frame_equal(chunked["quarantine"], whole["quarantine"])
    assert sorted(set(whole["quarantine"]["batch_row"])) == [3, 7, 12, 33]
    assert len(chunked["chunks"]) == 8
    assert chunked["chunks"]["rows_quarantined"].sum() == 4


def test_a_clean_batch_has_an_empty_quarantine(raw_batch):
    validated = validate(raw_batch)
    assert len(validated.valid) == len(raw_batch)
    assert validated.quarantine.empty
    assert list(validated.quarantine.columns[:4]) == QUARANTINE_REASON_COLUMNS


@pytest.mark.parametrize("chunk", [None, 7])
def test_a_repeated_id_fails_even_in_quarantine_with_the_batch_row_numbers(
    raw_batch, trained, chunk
):
    """Rows 20 and 30: in one chunk, or in chunks 2 and 4."""
    batch = broken(raw_batch)
    batch.loc[20, APPLICATION_ID] = batch.loc[30, APPLICATION_ID]
    with pytest.raises(
        RawDataValidationError, match=r"expected unique values.*rows 20, 30"
    ):
        stream(trained, batch, chunk)


def test_a_missing_column_fails_even_in_quarantine(raw_batch):
    with pytest.raises(
        RawDataValidationError, match="AMT_CREDIT.*column\\(s\\) missing"
    ):
        validate(raw_batch.drop(columns="AMT_CREDIT"))


def test_a_batch_of_only_bad_rows_fails(raw_batch, trained):
    batch = raw_batch.head(6).assign(AMT_CREDIT=-5.0)
    with pytest.raises(
        RawDataValidationError, match="AMT_CREDIT: expected a value >= 0: 6 row"
    ):
        stream(trained, batch, 4)


def test_a_chunk_of_only_bad_rows_is_quarantined_whole(raw_batch, trained):
    batch = raw_batch.copy()
    batch.loc[:4, "AMT_CREDIT"] = -5.0
    outputs = stream(trained, batch, 5)
    assert outputs["quarantine"]["batch_row"].tolist() == [0, 1, 2, 3, 4]
    assert len(outputs["scores"]) == len(batch) - 5
    assert outputs["chunks"]["rows_scored"].tolist()[:2] == [0, 5]


def test_an_empty_batch_fails(raw_batch, tmp_path):
    path = tmp_path / "new_applications.csv"
    raw_batch.head(0).to_csv(path, index=False)
    (chunk,) = CSVChunks(path, APPLICATION).chunks(10)
    with pytest.raises(RawDataValidationError, match="the table has no rows"):
        validate(chunk)


def test_an_unknown_policy_is_refused(raw_batch, trained):
    with pytest.raises(ValueError, match=r"scoring.invalid_rows.*'drop'"):
        stream(trained, raw_batch, None, "drop")


def test_a_labelled_batch_keeps_its_target(raw_batch):
    labelled = raw_batch.assign(TARGET=np.arange(len(raw_batch)) % 2)
    valid = validate(labelled).valid
    assert valid[TARGET].tolist() == labelled[TARGET].tolist()


def test_history_is_looked_up_in_house_by_applicant(trained, tmp_path):
    """From the table in memory, or from its file by key: the same rows."""
    applicants = trained.application_validated.head(50)
    in_house = trained.previous_application_validated
    history = lookup_history(applicants, in_house, NO_HISTORY)
    own = in_house[APPLICATION_ID].isin(applicants[APPLICATION_ID])
    assert len(history) == own.sum() > 0
    assert set(history[APPLICATION_ID]) <= set(applicants[APPLICATION_ID])
    path = tmp_path / "previous_application.parquet"
    in_house.to_parquet(path)
    lookup = KeyedParquetDataset(str(path), key=APPLICATION_ID).load()
    pd.testing.assert_frame_equal(
        lookup_history(applicants, lookup, NO_HISTORY), history
    )


def test_scoring_training_rows_rebuilds_their_features_and_model_input(trained):
    """Same rows, same features and encoded matrix as training: the fitted
    transformer is applied, never refitted."""
    champion = trained.champion
    test_ids = trained.model_input_test[APPLICATION_ID]
    raw = trained.application_validated
    applicants = raw.loc[raw[APPLICATION_ID].isin(test_ids)].drop(columns=TARGET)
    transformer_state = copy.deepcopy(champion.transformer.__dict__)

    valid = validate(applicants).valid
    history = lookup_history(valid, trained.previous_application_validated, NO_HISTORY)
    features, scores = score_batch(champion, valid, history, 4)

    expected = trained.applicant_features.set_index(APPLICATION_ID).loc[
        features[APPLICATION_ID]
    ]
    pd.testing.assert_frame_equal(
        features.set_index(APPLICATION_ID),
        expected.drop(columns=TARGET),
        check_dtype=False,
    )
    encoded = to_model_input(champion.transformer, features).set_index(APPLICATION_ID)
    training_input = trained.model_input_test.set_index(APPLICATION_ID)
    pd.testing.assert_frame_equal(
        encoded, training_input.loc[encoded.index].drop(columns=TARGET)
    )
    assert champion.transformer.__dict__.keys() == transformer_state.keys()
    assert champion.transformer.levels_ == transformer_state["levels_"]
    assert champion.transformer.medians_ == transformer_state["medians_"]
    probability = champion.estimator.predict_proba(
        training_input.loc[scores[APPLICATION_ID]].drop(columns=TARGET)
    )[:, 1]
    np.testing.assert_allclose(scores["PROBABILITY"], probability, rtol=1e-6)
    assert (scores["MODEL_VERSION"] == champion.model_version).all()
    assert list(scores.columns[-8:]) == [
        *(f"REASON_{rank}" for rank in range(1, 5)),
        *(f"REASON_{rank}_STATEMENT" for rank in range(1, 5)),
    ]
    # Nearly every applicant has a feature that raised the risk; each reason has
    # its statement.
    assert scores["REASON_1"].notna().mean() > 0.9
    for rank in range(1, 5):
        has_reason = scores[f"REASON_{rank}"].notna()
        assert has_reason.equals(scores[f"REASON_{rank}_STATEMENT"].notna())


def test_chunked_scoring_equals_scoring_the_batch_at_once(trained, tmp_path):
    """Chunks of 7 applicants, with the in-house history read by key from a file
    ordered so that each chunk's applicants have earlier applications on both
    sides of every chunk boundary: features, scores, reason codes and statements
    are the same, bit for bit, as the batch scored as one chunk from the table in
    memory."""
    applicants = trained.application_validated.head(60).drop(columns=TARGET)
    in_house = trained.previous_application_validated
    # Interleaved: an applicant's earlier applications are spread over the table.
    shuffled = in_house.sample(frac=1.0, random_state=3).reset_index(drop=True)
    own = shuffled.loc[shuffled[APPLICATION_ID].isin(applicants[APPLICATION_ID])]
    assert own[APPLICATION_ID].value_counts().max() > 1
    path = tmp_path / "previous_application.parquet"
    shuffled.to_parquet(path, row_group_size=500)
    lookup = KeyedParquetDataset(str(path), key=APPLICATION_ID).load()

    whole = stream(trained, applicants, None)
    chunked = stream(trained, applicants, 7, in_house=lookup)

    pd.testing.assert_frame_equal(chunked["features"], whole["features"])
    pd.testing.assert_frame_equal(chunked["scores"], whole["scores"])
    assert whole["scores"]["REASON_4_STATEMENT"].notna().any()
    assert chunked["scores"][APPLICATION_ID].tolist() == (
        applicants[APPLICATION_ID].tolist()
    )
    assert chunked["chunks"]["rows_scored"].tolist() == [7] * 8 + [4]
    assert list(chunked["chunks"].columns) == CHUNK_COLUMNS


@pytest.mark.parametrize("size", [0, -5, 2.5, "1000", True])
def test_a_chunk_size_that_is_not_a_positive_integer_is_refused(trained, size):
    applicants = trained.application_validated.head(5).drop(columns=TARGET)
    with pytest.raises(ValueError, match="scoring.chunk_applications"):
        stream(trained, applicants, size)


def test_summary_adds_up_received_quarantined_and_scored_rows(raw_batch, trained):
    chunks = stream(trained, broken(raw_batch), 7)["chunks"]
    summary = summarise_scoring(FILE_SOURCE, chunks, "quarantine")
    assert summary["rows_received"] == len(raw_batch)
    assert summary["batch_source"]["rows"] == len(raw_batch)
    assert summary["rows_quarantined"] == 3
    assert summary["rows_scored"] == len(raw_batch) - 3
    assert summary["chunks"] == 6
    assert summary["model_version"] == trained.champion.model_version
