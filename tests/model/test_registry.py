"""The model registry on a real MLflow SQLite database: registration, aliases,
verified loading and the refusal of altered or planted files."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import mlflow
import numpy as np
import pandas as pd
import pytest
from kedro.io import DatasetError
from mlflow.models import Model
from mlflow.tracking import MlflowClient

from loan_default.model.artifact import MANIFEST, ArtifactRefusedError
from loan_default.model.registry import (
    CHALLENGER,
    CHAMPION,
    PENDING_ALIAS_TAG,
    MlflowModelRegistrationDataset,
    RegisteredModelDataset,
    Registration,
    RegistryError,
    apply_pending_aliases,
    list_versions,
    load_alias,
    move_alias,
    registry_at,
    rollback,
    version_with_alias,
)
from tests.registry import MODEL_NAME, register, registry_database

NAME = MODEL_NAME


@pytest.fixture
def registry(tmp_path):
    """A fresh SQLite tracking and registry database, as mlflow.yml sets it up."""
    with registry_database(tmp_path) as experiment:
        yield experiment


@pytest.fixture
def example(new_applications) -> pd.DataFrame:
    return new_applications.head(3).reset_index(drop=True)


def test_a_registered_champion_loads_with_the_same_scores(
    registry, champion, example, new_applications
):
    version = register(champion, example, registry)
    loaded = load_alias(NAME, CHAMPION)
    np.testing.assert_array_equal(
        loaded.predict_proba(new_applications), champion.predict_proba(new_applications)
    )
    assert loaded.metadata["registered_version"] == version
    assert loaded.metadata["registered_aliases"] == [CHAMPION]
    assert loaded.model_version == champion.model_version


def test_the_version_records_its_signature_and_input_example(
    registry, champion, example
):
    register(champion, example, registry)
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{NAME}@{CHAMPION}"))
    mlmodel = Model.load(local / "MLmodel")
    inputs = mlmodel.signature.inputs.input_names()
    assert "SK_ID_CURR" in inputs and "AMT_CREDIT" in inputs and "TARGET" not in inputs
    outputs = mlmodel.signature.outputs.input_names()
    assert {"PROBABILITY", "DECISION", "RISK_DECILE"} <= set(outputs)
    recorded = mlmodel.load_input_example(str(local))
    assert len(recorded) == len(example)
    # No pickle anywhere in the version: the model is the verified folder.
    assert not [path for path in local.rglob("*") if path.suffix in (".pkl", ".pickle")]


def test_mlflow_pyfunc_loads_it_through_the_verified_loader(
    registry, champion, example
):
    register(champion, example, registry)
    loaded = mlflow.pyfunc.load_model(f"models:/{NAME}@{CHAMPION}")
    expected = champion.score(example).scores
    pd.testing.assert_frame_equal(loaded.predict(example), expected)


def test_the_alias_moves_only_when_the_run_commits(registry, champion, example):
    version = register(champion, example, registry, apply=False)
    assert version_with_alias(NAME, CHAMPION) is None
    pending = MlflowClient().get_model_version(NAME, str(version)).tags
    assert pending[PENDING_ALIAS_TAG] == CHAMPION
    run_id = MlflowClient().get_model_version(NAME, str(version)).run_id
    assert apply_pending_aliases(NAME, run_id) == [(CHAMPION, version)]
    assert version_with_alias(NAME, CHAMPION).version == version
    assert PENDING_ALIAS_TAG not in MlflowClient().get_model_version(NAME, "1").tags


def test_promote_and_rollback_move_the_champion_alias(registry, champion, example):
    first = register(champion, example, registry)
    second = register(champion, example, registry, alias=CHALLENGER)
    assert version_with_alias(NAME, CHALLENGER).version == second
    with pytest.raises(RegistryError, match="nothing to roll back"):
        rollback(NAME)
    assert move_alias(NAME, CHAMPION, second).version == first
    assert version_with_alias(NAME, CHAMPION).version == second
    assert rollback(NAME) == (second, first)
    assert version_with_alias(NAME, CHAMPION).version == first
    listed = {version.version: version.aliases for version in list_versions(NAME)}
    assert listed == {second: (CHALLENGER,), first: (CHAMPION,)}


def test_unknown_versions_and_missing_aliases_are_clear_errors(registry):
    with pytest.raises(RegistryError, match="holds the alias 'champion'"):
        load_alias(NAME, CHAMPION)
    with pytest.raises(RegistryError, match="no version 7"):
        move_alias(NAME, CHAMPION, 7)
    with pytest.raises(RegistryError, match="no champion to roll back"):
        rollback(NAME)


def _registered_folder() -> Path:
    local = Path(mlflow.artifacts.download_artifacts(f"models:/{NAME}@{CHAMPION}"))
    flavor = Model.load(local / "MLmodel").flavors["python_function"]
    return local / flavor["data"]


def test_an_altered_registered_file_is_refused(registry, champion, example):
    register(champion, example, registry)
    transformer = _registered_folder() / "transformer.json"
    transformer.write_text(transformer.read_text().replace("0", "1", 1))
    with pytest.raises(ArtifactRefusedError):
        load_alias(NAME, CHAMPION)


def test_a_planted_pickle_is_never_read(registry, champion, example, tmp_path):
    register(champion, example, registry)
    marker = tmp_path / "pickle-ran"

    class Planted:
        def __reduce__(self):
            return (marker.write_text, ("ran",))

    (_registered_folder() / "estimator.pkl").write_bytes(pickle.dumps(Planted()))
    with pytest.raises(ArtifactRefusedError, match="estimator.pkl"):
        load_alias(NAME, CHAMPION)
    with pytest.raises(ArtifactRefusedError):
        mlflow.pyfunc.load_model(f"models:/{NAME}@{CHAMPION}")
    assert not marker.exists()
    assert (_registered_folder() / MANIFEST).is_file()


def test_registered_model_dataset(registry, champion, example, saved_champion):
    dataset = RegisteredModelDataset(model_name=NAME, missing_ok=True)
    assert dataset.exists() and dataset.load() is None
    with pytest.raises(DatasetError) as refused:
        RegisteredModelDataset(model_name=NAME).load()
    assert isinstance(refused.value.__cause__, RegistryError)
    assert "--model-path" in str(refused.value.__cause__)
    assert not RegisteredModelDataset(model_name=NAME).exists()
    register(champion, example, registry)
    assert (
        RegisteredModelDataset(model_name=NAME).load().metadata["registered_version"]
        == 1
    )
    from_path = RegisteredModelDataset(model_name=NAME, model_path=str(saved_champion))
    assert "registered_version" not in from_path.load().metadata
    with pytest.raises(DatasetError, match="read-only"):
        dataset.save(champion)


def test_registration_is_skipped_when_tracking_is_off(registry, champion, example):
    dataset = MlflowModelRegistrationDataset(model_name=NAME)
    dataset._logging_activated = False  # what kedro-mlflow's switch sets
    dataset.save(Registration(champion, CHAMPION, example, {}))
    assert list_versions(NAME) == []


def test_registration_needs_an_active_run(registry, champion, example):
    dataset = MlflowModelRegistrationDataset(model_name=NAME)
    with pytest.raises(DatasetError, match="none is active") as refused:
        dataset.save(Registration(champion, CHAMPION, example, {}))
    assert isinstance(refused.value.__cause__, RegistryError)
    with pytest.raises(DatasetError, match="write-only"):
        dataset.load()


def test_registry_at_restores_the_uris_and_their_variables(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    before = mlflow.get_tracking_uri(), mlflow.get_registry_uri()
    with registry_at(f"sqlite:///{tmp_path}/inner.db"):
        assert mlflow.get_registry_uri() == f"sqlite:///{tmp_path}/inner.db"
    assert (mlflow.get_tracking_uri(), mlflow.get_registry_uri()) == before
    # Child processes (a `kedro run`) must not inherit the inner database.
    assert "MLFLOW_REGISTRY_URI" not in os.environ
    assert "MLFLOW_TRACKING_URI" not in os.environ
