"""The data_engineering pipeline end to end on small generated data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner
from kedro_datasets.pickle import PickleDataset

from loan_default.features import FeatureTransformer
from loan_default.pipelines.data_engineering import create_pipeline
from loan_default.pipelines.data_engineering.nodes import (
    split_applicants,
    validate_raw_data,
)
from loan_default.synthetic import generate_loan_data
from loan_default.validation import RawDataValidationError
from tests.project import project_parameters

N_APPLICATIONS = 3_000


@pytest.fixture(scope="module")
def raw_loan_data():
    data = generate_loan_data(n_applications=N_APPLICATIONS, seed=3)
    return {
        "application": data.application,
        "previous_application": data.previous_application,
        "true_default_probability": data.true_default_probability,
        "source": {"kind": "synthetic", "seed": 3},
    }


@pytest.fixture(scope="module")
def outputs(raw_loan_data, tmp_path_factory):
    parameters = project_parameters()
    catalog = DataCatalog(
        {
            "raw_loan_data": MemoryDataset(raw_loan_data),
            **{
                f"params:{name}": MemoryDataset(parameters[name])
                for name in (
                    "validation",
                    "cleaning",
                    "features",
                    "split",
                    "transformer",
                )
            },
        }
    )
    pipeline = create_pipeline()
    for name in pipeline.outputs():
        catalog[name] = MemoryDataset()
    # The runner releases in-memory data once its last consumer ran: the transformer
    # goes to a file, as in the real catalog.
    catalog["feature_transformer"] = PickleDataset(
        filepath=str(tmp_path_factory.mktemp("models") / "transformer.pkl")
    )
    wanted = pipeline.outputs() | {"feature_transformer"}
    SequentialRunner().run(pipeline, catalog)
    return {name: catalog[name].load() for name in wanted}


def test_pipeline_reaches_model_input(outputs):
    for part in ("train", "validation", "test"):
        frame = outputs[f"model_input_{part}"]
        assert list(frame.columns[:2]) == ["SK_ID_CURR", "TARGET"]
        features = frame.drop(columns=["SK_ID_CURR", "TARGET"])
        assert np.isfinite(features.to_numpy(dtype="float64")).all()
    assert isinstance(outputs["feature_transformer"], FeatureTransformer)


def test_one_row_per_applicant_and_no_leakage_between_splits(outputs):
    ids = [
        set(outputs[f"model_input_{part}"]["SK_ID_CURR"])
        for part in ("train", "validation", "test")
    ]
    assert sum(len(part) for part in ids) == N_APPLICATIONS
    assert not (ids[0] & ids[1] or ids[0] & ids[2] or ids[1] & ids[2])


def test_id_and_label_are_never_features(outputs):
    names = outputs["feature_transformer"].feature_names_out_
    assert not any(name.startswith(("SK_ID_CURR", "TARGET")) for name in names)


def test_split_is_stratified_with_the_configured_sizes():
    frame = pd.DataFrame({"SK_ID_CURR": range(1000), "TARGET": [1] * 100 + [0] * 900})
    train, validation, test = split_applicants(
        frame, {"validation_size": 0.15, "test_size": 0.15, "seed": 1}
    )
    assert (len(train), len(validation), len(test)) == (700, 150, 150)
    for part in (train, validation, test):
        assert part["TARGET"].mean() == pytest.approx(0.1, abs=0.01)


def test_source_is_passed_on_with_sizes(raw_loan_data):
    _, _, source, _ = validate_raw_data(raw_loan_data, {"max_examples": 3})
    assert source["kind"] == "synthetic"
    assert source["n_applications"] == N_APPLICATIONS


def test_invalid_raw_data_stops_the_pipeline(raw_loan_data):
    application = raw_loan_data["application"].copy()
    application.loc[0, "EXT_SOURCE_2"] = 7.0
    with pytest.raises(RawDataValidationError, match="EXT_SOURCE_2"):
        validate_raw_data({**raw_loan_data, "application": application}, {})
