"""The API serves the registry's champion: /model names its registered version
and alias, and POST /admin/reload picks up a promotion or a rollback."""

from __future__ import annotations

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from loan_default.api import create_app
from loan_default.model.registry import CHALLENGER, move_alias, rollback
from tests.api.conftest import settings, wait_until_ready
from tests.registry import MODEL_NAME, register, registry_database

KEY = "reload-key"
HEADERS = {"X-API-Key": KEY}


@pytest.fixture
def registered(tmp_path, champion, tree_champion, new_applications):
    """Version 1 (xgboost) the champion, version 2 (decision tree) the challenger."""
    example = new_applications.head(3).reset_index(drop=True)
    with registry_database(tmp_path) as experiment:
        register(champion, example, experiment)
        register(tree_champion, example, experiment, alias=CHALLENGER)
        yield f"sqlite:///{tmp_path}/mlflow.db"


def _served(registry_uri: str, **overrides) -> TestClient:
    return TestClient(create_app(settings(registry_uri=registry_uri, **overrides)))


def test_the_registered_champion_is_served_with_its_version(registered, champion):
    with _served(registered) as client:
        wait_until_ready(client)
        card = client.get("/model").json()
        assert card["registered_model"] == MODEL_NAME
        assert card["registered_version"] == 1
        assert card["registered_aliases"] == ["champion"]
        assert card["algorithm"] == "xgboost"
        answer = client.post("/predict", json={"applications": [{"SK_ID_CURR": 5}]})
        expected = champion.predict_proba(pd.DataFrame({"SK_ID_CURR": [5]}))[0]
        assert answer.json()["predictions"][0]["probability"] == pytest.approx(expected)


def test_a_model_uri_names_another_alias_or_version(registered):
    for uri in ("models:/loan_default@challenger", "models:/loan_default/2"):
        with _served(registered, model_uri=uri) as client:
            wait_until_ready(client)
            assert client.get("/model").json()["registered_version"] == 2


def test_reload_serves_the_promoted_version_then_the_rollback(registered):
    with _served(registered, api_key=KEY) as client:
        wait_until_ready(client, headers=HEADERS)
        move_alias(MODEL_NAME, "champion", 2)
        # Until reloaded, the API serves the version it loaded.
        assert client.get("/model", headers=HEADERS).json()["registered_version"] == 1
        reloaded = client.post("/admin/reload", headers=HEADERS)
        assert reloaded.status_code == 200
        assert reloaded.json()["previous"]["registered_version"] == 1
        assert reloaded.json()["serving"]["registered_version"] == 2
        card = client.get("/model", headers=HEADERS).json()
        assert card["registered_version"] == 2
        assert card["algorithm"] == "decision_tree"
        assert rollback(MODEL_NAME) == (2, 1)
        client.post("/admin/reload", headers=HEADERS)
        assert client.get("/model", headers=HEADERS).json()["registered_version"] == 1


def test_reload_needs_the_api_key(registered):
    with _served(registered, api_key=KEY) as client:
        wait_until_ready(client, headers=HEADERS)
        assert client.post("/admin/reload").status_code == 401
    with _served(registered) as client:
        wait_until_ready(client)
        refused = client.post("/admin/reload")
        assert refused.status_code == 403
        assert refused.json()["detail"][0]["type"] == "reload_disabled"


def test_a_failed_reload_keeps_the_served_champion(registered, tmp_path):
    with _served(registered, api_key=KEY) as client:
        wait_until_ready(client, headers=HEADERS)
        # The champion's files altered in the registry: the reload refuses them.
        for transformer in (tmp_path / "mlartifacts").rglob("transformer.json"):
            transformer.write_text(transformer.read_text().replace("0", "1", 1))
        failed = client.post("/admin/reload", headers=HEADERS)
        assert failed.status_code == 503
        assert failed.json()["detail"][0]["type"] == "reload_failed"
        assert client.get("/ready", headers=HEADERS).status_code == 200
        assert client.get("/model", headers=HEADERS).json()["registered_version"] == 1
        answer = client.post(
            "/predict", json={"applications": [{"SK_ID_CURR": 1}]}, headers=HEADERS
        )
        assert answer.status_code == 200


def test_a_missing_alias_fails_readiness_with_what_to_do(registered):
    with _served(registered, model_uri="models:/loan_default@nobody") as client:
        for _ in range(200):
            ready = client.get("/ready")
            if ready.json()["status"] == "failed":
                break
        assert ready.status_code == 503
        assert "holds the alias 'nobody'" in ready.json()["detail"]
        assert "--model-path" in ready.json()["detail"]
