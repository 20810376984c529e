"""Scoring nodes: the batch's source, validation policies, history and features."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError

from loan_default.features import to_model_input
from loan_default.pipelines.scoring.dataset import NewApplicationBatchDataset
from loan_default.pipelines.scoring.nodes import (
    QUARANTINE_REASON_COLUMNS,
    collect_batch,
    lookup_history,
    score_batch,
    summarise_scoring,
    validate_batch,
)
from loan_default.schema import APPLICATION_ID, TARGET
from loan_default.synthetic import generate_new_applications
from loan_default.validation import RawDataValidationError

FILE_SOURCE = {
    "kind": "file",
    "path": "data/01_raw/new_applications.csv",
    "rows": 40,
    "sha256": "0" * 64,
}
SYNTHETIC = {"n_applications": 300, "seed": 4, "with_target": False, "drift": {}}
VALIDATION = {"max_examples": 5}


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


def test_dataset_says_when_no_file_was_delivered(tmp_path):
    path = tmp_path / "new_applications.csv"
    dataset = NewApplicationBatchDataset(str(path))
    assert dataset.exists()  # loadable: the pipeline then draws a synthetic batch
    loaded = dataset.load()
    assert loaded["application"] is None
    assert loaded["source"] == {"kind": "none", "path": str(path)}


def test_dataset_reads_a_delivered_file_with_its_checksum(tmp_path, raw_batch):
    path = tmp_path / "new_applications.csv"
    raw_batch.to_csv(path, index=False)
    loaded = NewApplicationBatchDataset(str(path)).load()
    assert len(loaded["application"]) == len(raw_batch)
    assert loaded["source"]["kind"] == "file"
    assert loaded["source"]["rows"] == len(raw_batch)
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
    assert application is raw_batch
    assert history.empty
    assert source["kind"] == "file"


def test_without_a_file_a_synthetic_batch_is_drawn_from_the_parameters():
    missing = {"application": None, "source": {"kind": "none", "path": "x.csv"}}
    drift = {"shift": {"EXT_SOURCE_3": -0.1}}
    application, history, source = collect_batch(
        missing, {**SYNTHETIC, "with_target": True, "drift": drift}
    )
    assert len(application) == SYNTHETIC["n_applications"]
    assert TARGET in application.columns
    assert set(history[APPLICATION_ID]) <= set(application[APPLICATION_ID])
    assert source == {
        "kind": "synthetic",
        "seed": 4,
        "rows": 300,
        "with_target": True,
        "drift": drift,
        "absent_file": "x.csv",
    }


def test_reject_fails_naming_every_column_rule_and_value(raw_batch):
    with pytest.raises(RawDataValidationError) as error:
        validate_batch(broken(raw_batch), FILE_SOURCE, "reject", VALIDATION)
    message = str(error.value)
    assert FILE_SOURCE["path"] in message
    assert "AMT_CREDIT: expected a value >= 0: 2 row(s)" in message
    assert "-100.0" in message
    assert "CODE_GENDER: expected one of the known levels" in message
    assert "'Q'" in message
    assert "DAYS_BIRTH: expected a number" in message
    assert "(rows 3, 7)" in message


def test_quarantine_sets_bad_rows_aside_with_reasons_and_keeps_the_rest(raw_batch):
    valid, quarantine = validate_batch(
        broken(raw_batch), FILE_SOURCE, "quarantine", VALIDATION
    )
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


def test_a_clean_batch_has_an_empty_quarantine(raw_batch):
    valid, quarantine = validate_batch(raw_batch, FILE_SOURCE, "quarantine", VALIDATION)
    assert len(valid) == len(raw_batch)
    assert quarantine.empty
    assert list(quarantine.columns[:4]) == QUARANTINE_REASON_COLUMNS


def test_a_repeated_id_fails_even_in_quarantine_with_the_batch_row_numbers(raw_batch):
    batch = broken(raw_batch)
    batch.loc[20, APPLICATION_ID] = batch.loc[30, APPLICATION_ID]
    with pytest.raises(
        RawDataValidationError, match=r"expected unique values.*rows 20, 30"
    ):
        validate_batch(batch, FILE_SOURCE, "quarantine", VALIDATION)


def test_a_missing_column_fails_even_in_quarantine(raw_batch):
    with pytest.raises(
        RawDataValidationError, match="AMT_CREDIT.*column\\(s\\) missing"
    ):
        validate_batch(
            raw_batch.drop(columns="AMT_CREDIT"), FILE_SOURCE, "quarantine", VALIDATION
        )


def test_a_batch_of_only_bad_rows_fails(raw_batch):
    batch = raw_batch.head(2).assign(AMT_CREDIT=-5.0)
    with pytest.raises(
        RawDataValidationError, match="AMT_CREDIT: expected a value >= 0"
    ):
        validate_batch(batch, FILE_SOURCE, "quarantine", VALIDATION)


def test_an_unknown_policy_is_refused(raw_batch):
    with pytest.raises(ValueError, match=r"scoring.invalid_rows.*'drop'"):
        validate_batch(raw_batch, FILE_SOURCE, "drop", VALIDATION)


def test_a_labelled_batch_keeps_its_target(raw_batch):
    labelled = raw_batch.assign(TARGET=np.arange(len(raw_batch)) % 2)
    valid, _ = validate_batch(labelled, FILE_SOURCE, "reject", VALIDATION)
    assert valid[TARGET].tolist() == labelled[TARGET].tolist()


def test_history_is_looked_up_in_house_by_applicant(trained):
    applicants = trained.application_validated.head(50)
    history = lookup_history(
        applicants,
        trained.previous_application_validated,
        trained.previous_application_validated.head(0),
    )
    own = trained.previous_application_validated[APPLICATION_ID].isin(
        applicants[APPLICATION_ID]
    )
    assert len(history) == own.sum() > 0
    assert set(history[APPLICATION_ID]) <= set(applicants[APPLICATION_ID])


def test_scoring_training_rows_rebuilds_their_features_and_model_input(trained):
    """Same rows, same features and encoded matrix as training: the fitted
    transformer is applied, never refitted."""
    champion = trained.champion
    test_ids = trained.model_input_test[APPLICATION_ID]
    raw = trained.application_validated
    applicants = raw.loc[raw[APPLICATION_ID].isin(test_ids)].drop(columns=TARGET)
    transformer_state = copy.deepcopy(champion.transformer.__dict__)

    valid, _ = validate_batch(applicants, FILE_SOURCE, "reject", VALIDATION)
    history = lookup_history(
        valid, trained.previous_application_validated, pd.DataFrame()
    )
    features, scores = score_batch(champion, valid, history, 4, None)

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


def test_chunked_scoring_equals_scoring_the_batch_at_once(trained):
    """Chunks of 7 applicants, with the history ordered so that each chunk's
    applicants have earlier applications on both sides of every chunk boundary:
    features, scores, reason codes and statements are the same, bit for bit."""
    applicants = trained.application_validated.head(60).drop(columns=TARGET)
    history = lookup_history(
        applicants, trained.previous_application_validated, pd.DataFrame()
    )
    # Interleaved: an applicant's earlier applications are spread over the table.
    history = history.sample(frac=1.0, random_state=3).reset_index(drop=True)
    assert history[APPLICATION_ID].value_counts().max() > 1

    whole = score_batch(trained.champion, applicants, history, 4, None)
    chunked = score_batch(trained.champion, applicants, history, 4, 7)

    pd.testing.assert_frame_equal(chunked[0], whole[0])
    pd.testing.assert_frame_equal(chunked[1], whole[1])
    assert whole[1]["REASON_4_STATEMENT"].notna().any()
    assert chunked[1][APPLICATION_ID].tolist() == applicants[APPLICATION_ID].tolist()


@pytest.mark.parametrize("size", [0, -5, 2.5, "1000", True])
def test_a_chunk_size_that_is_not_a_positive_integer_is_refused(trained, size):
    applicants = trained.application_validated.head(5).drop(columns=TARGET)
    with pytest.raises(ValueError, match="scoring.chunk_applications"):
        score_batch(trained.champion, applicants, pd.DataFrame(), 2, size)


def test_summary_counts_received_quarantined_and_scored_rows(raw_batch, trained):
    valid, quarantine = validate_batch(
        broken(raw_batch), FILE_SOURCE, "quarantine", VALIDATION
    )
    _, scores = score_batch(
        trained.champion, valid, trained.previous_application_validated.head(0), 2, 7
    )
    summary = summarise_scoring(FILE_SOURCE, quarantine, scores, "quarantine")
    assert summary["rows_received"] == len(raw_batch)
    assert summary["rows_quarantined"] == 3
    assert summary["rows_scored"] == len(raw_batch) - 3
    assert summary["model_version"] == trained.champion.model_version
