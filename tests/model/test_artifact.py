"""The saved model: files that load without running code, verified against the
manifest the training run wrote, never replaced, and visible only once complete."""

from __future__ import annotations

import json
import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError, Version
from sklearn.ensemble import RandomForestClassifier

from loan_default.model.artifact import (
    MANIFEST,
    ArtifactRefusedError,
    FeatureTransformerDataset,
    ScoringModelDataset,
    load_scoring_model,
    newest_complete_version,
    save_scoring_model,
)
from loan_default.model.calibration import PriorCorrectedClassifier
from tests.conftest import _champion

VERSION = "2030-01-02T03.04.05.678Z"


@pytest.fixture(scope="module")
def applications(raw_data):
    return raw_data.application.drop(columns="TARGET").iloc[:200]


@pytest.mark.parametrize("which", ["champion", "tree_champion", "logistic_champion"])
def test_round_trip_scores_bit_for_bit(which, request, tmp_path, applications):
    model = request.getfixturevalue(which)
    save_scoring_model(model, tmp_path / "model")
    loaded = load_scoring_model(tmp_path / "model")
    expected = model.score(applications, reason_codes=3)
    got = loaded.score(applications, reason_codes=3)
    np.testing.assert_array_equal(
        got.scores["PROBABILITY"], expected.scores["PROBABILITY"]
    )
    assert got.reason_codes == expected.reason_codes
    assert json.dumps(loaded.metadata) == json.dumps(model.metadata)  # NaN != NaN
    assert loaded.feature_parameters == model.feature_parameters


def test_a_prior_corrected_forest_keeps_its_correction(
    raw_data, tmp_path, applications
):
    forest = RandomForestClassifier(n_estimators=5, min_samples_leaf=20, random_state=0)
    model = _champion(raw_data, forest, "random_forest")
    model = model.__class__(
        **{**model.__dict__, "estimator": PriorCorrectedClassifier(forest, 7.0)}
    )
    save_scoring_model(model, tmp_path / "model")
    loaded = load_scoring_model(tmp_path / "model")
    assert isinstance(loaded.estimator, PriorCorrectedClassifier)
    assert loaded.estimator.positive_weight == 7.0
    np.testing.assert_array_equal(
        loaded.predict_proba(applications), model.predict_proba(applications)
    )


def test_no_file_is_a_pickle(champion, tree_champion, tmp_path):
    for name, model in (("xgb", champion), ("tree", tree_champion)):
        save_scoring_model(model, tmp_path / name)
        for path in (tmp_path / name).iterdir():
            with pytest.raises(Exception):  # noqa: B017 (any failure: not a pickle)
                pickle.loads(path.read_bytes())


class Planted:
    """Unpickling this writes a marker file: a stand-in for a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.write_text, (self.marker, "code ran"))


def test_a_planted_pickle_is_refused_without_running(champion, tmp_path):
    folder = tmp_path / "model"
    save_scoring_model(champion, folder)
    marker = tmp_path / "ran.txt"
    (folder / "champion_model.pkl").write_bytes(pickle.dumps(Planted(marker)))
    with pytest.raises(
        ArtifactRefusedError, match=r"does not list: \['champion_model.pkl'\]"
    ):
        load_scoring_model(folder)
    assert not marker.exists()


def test_a_replaced_estimator_file_is_refused(tree_champion, tmp_path):
    folder = tmp_path / "model"
    save_scoring_model(tree_champion, folder)
    marker = tmp_path / "ran.txt"
    (folder / "estimator.skops").write_bytes(pickle.dumps(Planted(marker)))
    with pytest.raises(
        ArtifactRefusedError, match="SHA-256 of estimator.skops differs"
    ):
        load_scoring_model(folder)
    assert not marker.exists()


def test_an_altered_transformer_is_refused(champion, tmp_path):
    folder = tmp_path / "model"
    save_scoring_model(champion, folder)
    state = json.loads((folder / "transformer.json").read_text())
    state["medians_"]["AMT_CREDIT"] = 0.0
    (folder / "transformer.json").write_text(json.dumps(state))
    with pytest.raises(ArtifactRefusedError, match="SHA-256 of transformer.json"):
        load_scoring_model(folder)


def test_untrusted_types_are_refused(tmp_path, champion, monkeypatch):
    from loan_default.model import artifact  # noqa: PLC0415

    folder = tmp_path / "model"
    tree = _champion(
        generate_raw(), RandomForestClassifier(n_estimators=2, random_state=0), "rf"
    )
    save_scoring_model(tree, folder)
    monkeypatch.setattr(artifact, "TRUSTED_SKOPS_TYPES", ())
    with pytest.raises(ArtifactRefusedError, match="untrusted types"):
        load_scoring_model(folder)


def generate_raw():
    from loan_default.synthetic import generate_loan_data  # noqa: PLC0415

    return generate_loan_data(600, seed=3)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda folder: (folder / MANIFEST).unlink(), "has no manifest.json"),
        (lambda folder: (folder / MANIFEST).write_text("{"), "not valid JSON"),
        (
            lambda folder: (folder / MANIFEST).write_text('{"format": "x"}'),
            "does not describe",
        ),
        (lambda folder: (folder / "transformer.json").unlink(), "is missing"),
    ],
)
def test_damaged_folders_are_refused(champion, tmp_path, damage, message):
    folder = tmp_path / "model"
    save_scoring_model(champion, folder)
    damage(folder)
    with pytest.raises(ArtifactRefusedError, match=message):
        load_scoring_model(folder)


def test_a_saved_model_is_never_replaced(champion, tmp_path):
    save_scoring_model(champion, tmp_path / "model")
    with pytest.raises(DatasetError, match="never replaced"):
        save_scoring_model(champion, tmp_path / "model")


def test_a_failed_save_leaves_nothing(champion, tmp_path, monkeypatch):
    from loan_default.model import artifact  # noqa: PLC0415

    def fail(*_args):
        raise OSError("disk full")

    monkeypatch.setattr(artifact, "_save_estimator", fail)
    with pytest.raises(OSError, match="disk full"):
        save_scoring_model(champion, tmp_path / "model")
    assert os.listdir(tmp_path) == []


def test_dataset_stamps_the_version_and_reads_the_newest_complete_one(
    champion, tmp_path, applications
):
    path = str(tmp_path / "champion_model")
    ScoringModelDataset(filepath=path, version=Version(None, VERSION)).save(champion)
    # A newer save cut short: its folder never got its manifest.
    unfinished = tmp_path / "champion_model" / "2031-01-01T00.00.00.000Z"
    (unfinished / "champion_model").mkdir(parents=True)
    (unfinished / ".champion_model.partial").mkdir()
    loaded = ScoringModelDataset(filepath=path, version=Version(None, None)).load()
    assert loaded.model_version == VERSION
    assert champion.model_version == "test-version"  # the saved copy was stamped
    assert newest_complete_version(tmp_path / "champion_model").parent.name == VERSION
    expected = champion.score(applications).scores.assign(MODEL_VERSION=VERSION)
    np.testing.assert_array_equal(
        loaded.score(applications).scores["PROBABILITY"], expected["PROBABILITY"]
    )


def test_the_saving_dataset_loads_its_own_version_as_loading_the_folder_would(
    champion, tmp_path, applications, monkeypatch
):
    path = str(tmp_path / "champion_model")
    dataset = ScoringModelDataset(filepath=path, version=Version(None, VERSION))
    dataset.save(champion)
    from_disk = ScoringModelDataset(filepath=path, version=Version(None, None)).load()

    def unread(folder):
        raise AssertionError(f"{folder} was read back")

    monkeypatch.setattr("loan_default.model.artifact.load_scoring_model", unread)
    held = dataset.load()
    assert held.model_version == VERSION
    assert held.metadata == from_disk.metadata
    assert held.risk_decile_edges == from_disk.risk_decile_edges
    assert held.reason_statements == from_disk.reason_statements
    assert json.dumps(held.feature_parameters) == json.dumps(
        from_disk.feature_parameters
    )
    scores = held.score(applications, reason_codes=3)
    expected = from_disk.score(applications, reason_codes=3)
    pd.testing.assert_frame_equal(scores.scores, expected.scores)
    assert scores.reason_codes == expected.reason_codes
    # A copy sent to another process holds no model: it reads the folder.
    copy = pickle.loads(pickle.dumps(dataset))
    with pytest.raises(DatasetError, match="was read back"):
        copy.load()


def test_dataset_refuses_other_objects(tmp_path):
    dataset = ScoringModelDataset(filepath=str(tmp_path / "model"))
    with pytest.raises(DatasetError, match="holds a ScoringModel; got dict"):
        dataset.save({"not": "a model"})


def test_transformer_dataset_round_trip(champion, tmp_path, applications):
    dataset = FeatureTransformerDataset(
        filepath=str(tmp_path / "transformer.json"), version=Version(None, VERSION)
    )
    dataset.save(champion.transformer)
    loaded = FeatureTransformerDataset(
        filepath=str(tmp_path / "transformer.json"), version=Version(None, None)
    ).load()
    features = champion.features(applications)
    np.testing.assert_array_equal(
        loaded.transform(features).to_numpy(),
        champion.transformer.transform(features).to_numpy(),
    )
    with pytest.raises(DatasetError, match="holds a FeatureTransformer"):
        dataset.save("nope")
