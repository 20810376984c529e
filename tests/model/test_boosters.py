"""LightGBM and CatBoost blocks (the optional ``boosters`` extra): fitted as the
modelling template fits a block, exact contributions as reason codes, and saved in
the libraries' own formats, refusing anything else."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from kedro.config import OmegaConfigLoader
from scipy.special import logit

lightgbm = pytest.importorskip(
    "lightgbm",
    reason='the boosters extra is not installed (pip install -e ".[boosters]")',
)
catboost = pytest.importorskip(
    "catboost",
    reason='the boosters extra is not installed (pip install -e ".[boosters]")',
)

from loan_default.datasets import sha256_of  # noqa: E402
from loan_default.model.artifact import (  # noqa: E402
    MANIFEST,
    ArtifactRefusedError,
    load_scoring_model,
    save_scoring_model,
)
from loan_default.model.boosters import CATBOOST_METHOD, LIGHTGBM_METHOD  # noqa: E402
from loan_default.model.calibration import (  # noqa: E402
    PriorCorrectedClassifier,
    unwrap_prior_correction,
)
from loan_default.pipelines.modelling.algorithms import (  # noqa: E402
    algorithm_block_names,
    build_estimator,
)
from tests.conftest import _champion  # noqa: E402
from tests.model.test_artifact import Planted  # noqa: E402
from tests.project import kedro_run, make_project_copy  # noqa: E402

CONF = Path(__file__).parents[2] / "conf"
BLOCKS = yaml.safe_load(
    (CONF / "boosters" / "parameters_modelling.yml").read_text(encoding="utf-8")
)["algorithms"]
METHODS = {"lightgbm": LIGHTGBM_METHOD, "catboost": CATBOOST_METHOD}
FILES = {"lightgbm": "estimator.lightgbm.txt", "catboost": "estimator.cbm"}


def small(algorithm: str) -> dict:
    """The env's block with fewer trees and no early stopping (no eval set here)."""
    block = {**BLOCKS[algorithm], "early_stopping_rounds": None}
    trees = "n_estimators" if algorithm == "lightgbm" else "iterations"
    block["hyperparameters"] = {**block["hyperparameters"], trees: 30}
    return block


@pytest.fixture(scope="module", params=["lightgbm", "catboost"])
def booster_champion(request, raw_data):
    estimator = build_estimator(small(request.param), {"random_state": 0}, 5.0)
    model = _champion(raw_data, estimator, request.param)
    return request.param, model


@pytest.fixture(scope="module")
def applications(raw_data):
    return raw_data.application.drop(columns="TARGET").iloc[:200]


def test_the_boosters_env_trains_the_two_boosters_and_base_stays_without():
    def blocks(env: str) -> list[str]:
        loader = OmegaConfigLoader(str(CONF), base_env="base", default_run_env=env)
        return algorithm_block_names(loader["parameters"])

    assert blocks("boosters") == ["lightgbm", "catboost"]
    base = blocks("base")
    assert "lightgbm" not in base and "catboost" not in base


def test_the_env_blocks_build_the_libraries_classifiers():
    expected = {
        "lightgbm": lightgbm.LGBMClassifier,
        "catboost": catboost.CatBoostClassifier,
    }
    for algorithm, block in BLOCKS.items():
        estimator = build_estimator(block, {"random_state": 1}, 9.0, algorithm)
        assert isinstance(estimator, expected[algorithm])
        params = estimator.get_params()
        assert params["scale_pos_weight"] == 9.0
        assert params["early_stopping_rounds"] == 50
        assert params["random_state"] == 1


@pytest.mark.parametrize("algorithm", ["lightgbm", "catboost"])
def test_early_stopping_on_the_validation_set_gives_a_0_based_best_iteration(
    raw_data, algorithm
):
    rng = np.random.default_rng(0)
    features = rng.normal(size=(1200, 4))
    target = (features[:, 0] + rng.normal(size=1200) > 1).astype(int)
    estimator = build_estimator(BLOCKS[algorithm], {"random_state": 0}, 1.0)
    estimator.fit(
        features[:800], target[:800], eval_set=[(features[800:], target[800:])]
    )
    n_trees = (
        estimator.booster_.num_trees()
        if algorithm == "lightgbm"
        else estimator.tree_count_
    )
    # The model keeps (or predicts with) the trees up to the best iteration, which
    # stopped well before the 1000 allowed.
    assert 0 <= estimator.best_iteration < 1000 - 50
    if algorithm == "catboost":
        assert n_trees == estimator.best_iteration + 1


def test_contributions_are_exact_treeshap_adding_up_to_the_log_odds(
    booster_champion, applications
):
    """Contributions plus one constant (the expected value) are the model's
    log-odds, row by row: the libraries' exact TreeSHAP, bias column left out."""
    algorithm, model = booster_champion
    encoded = model.encode(model.feature_columns(applications))
    core = unwrap_prior_correction(model.estimator)
    contributions = core.contributions(encoded)
    assert contributions.shape == encoded.shape
    log_odds = logit(core.predict_proba(encoded)[:, 1])
    bias = log_odds - contributions.sum(axis=1)
    np.testing.assert_allclose(bias, bias[0], atol=1e-6)
    assert np.abs(contributions).sum() > 0


def test_reason_codes_come_from_the_booster_contributions(
    booster_champion, applications
):
    algorithm, model = booster_champion
    assert model.explainer.method == METHODS[algorithm]
    scored = model.score(applications, reason_codes=3)
    assert sum(bool(reasons) for reasons in scored.reason_codes) > 0.9 * len(
        applications
    )
    assert all(reason["statement"] for r in scored.reason_codes for reason in r)


def test_saved_in_the_library_format_and_scored_bit_for_bit(
    booster_champion, applications, tmp_path
):
    algorithm, model = booster_champion
    model = dataclasses.replace(
        model, estimator=PriorCorrectedClassifier(model.estimator, 5.0)
    )
    save_scoring_model(model, tmp_path / "model")
    files = {path.name for path in (tmp_path / "model").iterdir()}
    assert files == {MANIFEST, "transformer.json", FILES[algorithm]}
    loaded = load_scoring_model(tmp_path / "model")
    assert loaded.estimator.positive_weight == 5.0
    expected = model.score(applications, reason_codes=3)
    got = loaded.score(applications, reason_codes=3)
    np.testing.assert_array_equal(
        got.scores["PROBABILITY"], expected.scores["PROBABILITY"]
    )
    assert got.reason_codes == expected.reason_codes
    np.testing.assert_array_equal(
        loaded.estimator.feature_importances_, model.estimator.feature_importances_
    )
    core = unwrap_prior_correction(loaded.estimator)
    assert core.importance_method.startswith(("LightGBM", "CatBoost"))
    with pytest.raises(Exception):  # noqa: B017 (any failure: not a pickle)
        pickle.loads((tmp_path / "model" / FILES[algorithm]).read_bytes())


def _plant(folder: Path, name: str, marker: Path, kind: str | None = None) -> None:
    """A pickle in place of the estimator file, the manifest's SHA-256 made to
    match it (as an attacker with write access would), and optionally its kind."""
    (folder / name).write_bytes(pickle.dumps(Planted(marker)))
    manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][name] = sha256_of(folder / name)
    if kind:
        manifest["estimator"]["kind"] = kind
    (folder / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def test_a_planted_pickle_with_a_matching_manifest_is_refused(
    booster_champion, tmp_path
):
    algorithm, model = booster_champion
    folder = tmp_path / "model"
    save_scoring_model(model, folder)
    marker = tmp_path / "ran.txt"
    _plant(folder, FILES[algorithm], marker)
    with pytest.raises(
        ArtifactRefusedError, match=f"{FILES[algorithm]} is not a valid"
    ):
        load_scoring_model(folder)
    assert not marker.exists()


def test_a_manifest_naming_another_format_is_refused(booster_champion, tmp_path):
    algorithm, model = booster_champion
    folder = tmp_path / "model"
    save_scoring_model(model, folder)
    marker = tmp_path / "ran.txt"
    _plant(folder, FILES[algorithm], marker, kind="pickle")
    with pytest.raises(ArtifactRefusedError, match="unknown estimator kind 'pickle'"):
        load_scoring_model(folder)
    assert not marker.exists()


def test_lightgbm_accepts_every_encoded_feature_name(champion):
    """LightGBM refuses , : " [ ] { } in feature names; it trains on the encoded
    names of the project's features as they are."""
    names = champion.feature_names
    matrix = np.random.default_rng(0).normal(size=(60, len(names)))
    frame = pd.DataFrame(matrix, columns=names)
    target = (matrix[:, 0] > 0).astype(int)
    model = lightgbm.LGBMClassifier(n_estimators=2, verbose=-1).fit(frame, target)
    assert len(model.booster_.feature_name()) == len(names)


@pytest.mark.slow
def test_kedro_run_env_boosters_trains_and_saves_both(tmp_path):
    project = make_project_copy(tmp_path)
    shutil.copytree(CONF / "boosters", project / "conf" / "boosters")

    result = kedro_run(
        project,
        "--env",
        "boosters",
        "--pipelines",
        "data_engineering,modelling",
        "--params",
        "synthetic_n_applications=3000",
    )

    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    for algorithm, file in FILES.items():
        summary = json.loads(
            (project / "data/06_models" / algorithm / "fit_summary.json").read_text()
        )
        assert summary["early_stopping"]["n_trees_used"] >= 1
        saved = list((project / "data/06_models" / algorithm).rglob(file))
        assert saved, f"no {file} saved for {algorithm}"
