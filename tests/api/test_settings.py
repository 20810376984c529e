"""ApiSettings: its rules, the LOAN_DEFAULT_API_* variables and the round trip
that carries the settings to uvicorn's worker processes."""

from __future__ import annotations

from pathlib import Path

import pytest
from kedro.config import OmegaConfigLoader

from loan_default.api.settings import PROJECT_REGISTRY, REGISTERED_CHAMPION, ApiSettings
from tests.project import PROJECT_ROOT

WHOLE_NUMBER = "expected a whole number >= 1"


def test_defaults():
    settings = ApiSettings.from_environment({})
    assert settings.model_uri == REGISTERED_CHAMPION == "models:/loan_default@champion"
    assert settings.registry_uri == PROJECT_REGISTRY
    assert settings.model_path is None
    assert settings.max_applications == 10_000
    assert settings.inline_batch_applications == 64
    assert settings.large_batch_threads >= 1


def test_the_default_registry_is_the_one_kedro_runs_register_in():
    loader = OmegaConfigLoader(str(PROJECT_ROOT / "conf"), base_env="base")
    loader.config_patterns["mlflow"] = ["mlflow*"]
    assert loader["mlflow"]["server"]["mlflow_tracking_uri"] == PROJECT_REGISTRY
    assert loader["globals"]["registered_model_name"] in REGISTERED_CHAMPION


def test_settings_travel_through_the_environment(tmp_path):
    settings = ApiSettings(model_path=tmp_path, max_applications=7, reason_codes=3)
    environment = settings.to_environment()
    assert environment["LOAN_DEFAULT_API_MODEL_PATH"] == str(tmp_path)
    assert environment["LOAN_DEFAULT_API_MAX_APPLICATIONS"] == "7"
    assert ApiSettings.from_environment(environment) == settings


def test_variables_are_parsed():
    settings = ApiSettings.from_environment(
        {
            "LOAN_DEFAULT_API_MODEL_PATH": "elsewhere/champion.pkl",
            "LOAN_DEFAULT_API_REASON_CODES": "3",
            "LOAN_DEFAULT_API_MAX_BATCH_APPLICATIONS": "500",
            "UNRELATED": "ignored",
        }
    )
    assert settings.model_path == Path("elsewhere/champion.pkl")
    assert settings.reason_codes == 3
    assert settings.max_batch_applications == 500


def test_the_process_environment_is_read(monkeypatch):
    monkeypatch.setenv("LOAN_DEFAULT_API_REASON_CODES", "2")
    assert ApiSettings.from_environment().reason_codes == 2
    assert ApiSettings().reason_codes == 2
    # Keyword arguments win; a given mapping is read alone.
    assert ApiSettings(reason_codes=4).reason_codes == 4
    assert ApiSettings.from_environment({}).reason_codes == 4


def test_settings_are_frozen():
    settings = ApiSettings()
    with pytest.raises(ValueError, match="frozen"):
        settings.reason_codes = 3  # type: ignore[misc]


def test_zero_is_refused_naming_the_variable():
    with pytest.raises(
        ValueError, match=f"LOAN_DEFAULT_API_MAX_APPLICATIONS: {WHOLE_NUMBER}, got 0"
    ):
        ApiSettings.from_environment({"LOAN_DEFAULT_API_MAX_APPLICATIONS": "0"})
    with pytest.raises(ValueError, match="max_body_bytes"):
        ApiSettings(max_body_bytes=0)


def test_text_is_refused():
    with pytest.raises(
        ValueError, match=f"LOAN_DEFAULT_API_REASON_CODES: {WHOLE_NUMBER}, got 'many'"
    ):
        ApiSettings.from_environment({"LOAN_DEFAULT_API_REASON_CODES": "many"})


def test_fractions_are_refused():
    with pytest.raises(ValueError, match="LOAN_DEFAULT_API_LARGE_BATCH_THREADS"):
        ApiSettings(large_batch_threads=2.5)


def test_booleans_are_refused():
    with pytest.raises(ValueError, match="LOAN_DEFAULT_API_INLINE_BATCH_APPLICATIONS"):
        ApiSettings(inline_batch_applications=True)
