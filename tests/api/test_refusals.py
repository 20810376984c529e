"""What the API refuses from hostile clients, in-process: content types, deep
nesting, huge values echoed back, and who may call it (API key, CORS)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from loan_default.api import create_app
from tests.api.conftest import settings, wait_until_ready

KEY = "s3cret-key-of-the-test"
VALID = {"applications": [{"SK_ID_CURR": 1, "AMT_CREDIT": 250000.0}]}
TRAINING_FILES = {
    "kind": "files",
    "files": [
        {
            "path": "/srv/secret-share/raw/application_data.csv",
            "rows": 10,
            "sha256": "ab" * 32,
        }
    ],
}


@pytest.fixture(scope="module")
def keyed_client(champion, tmp_path_factory):
    key_file = tmp_path_factory.mktemp("secrets") / "api_key"
    key_file.write_text(KEY + "\n")  # as a mounted secret often ends
    served = champion.with_metadata(data_source=TRAINING_FILES)
    app = create_app(settings(api_key_file=key_file), champion=served)
    with TestClient(app) as client:
        wait_until_ready(client, headers={"X-API-Key": KEY})
        yield client


def _error(response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["detail"][0]


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", None]
)
def test_a_body_not_sent_as_json_is_415(client, content_type):
    headers = {"content-type": content_type} if content_type else {}
    response = client.post("/predict", content=json.dumps(VALID), headers=headers)
    error = _error(response, 415)
    assert error["loc"] == ["header", "content-type"]
    assert error["type"] == "unsupported_media_type"


def test_json_with_a_charset_is_accepted(client):
    response = client.post(
        "/predict",
        content=json.dumps(VALID),
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deep_nesting_is_422_not_a_crash(client, depth):
    body = '{"applications": ' + "[" * depth + "]" * depth + "}"
    response = client.post(
        "/predict", content=body, headers={"content-type": "application/json"}
    )
    error = _error(response, 422)
    assert error["type"] == "json_invalid"


def test_errors_echo_only_an_excerpt_of_a_huge_value(client):
    huge = "x" * 200_000
    body = {"applications": [{"SK_ID_CURR": 1, "CODE_GENDER": huge}]}
    response = client.post("/predict", json=body)
    error = _error(response, 422)
    assert len(response.content) < 2_000
    assert error["input"].startswith("x" * 100 + "...")
    assert "200000 characters" in error["input"]


def test_an_unknown_field_with_a_huge_name_is_echoed_as_an_excerpt(client):
    name = "F" * 100_000
    response = client.post(
        "/predict", json={"applications": [{"SK_ID_CURR": 1, name: 1}]}
    )
    error = _error(response, 422)
    assert error["type"] == "extra_forbidden"
    assert len(response.content) < 2_000
    assert "100000 characters" in error["loc"][-1]


def test_without_a_key_model_shows_no_training_paths(champion):
    served = champion.with_metadata(data_source=TRAINING_FILES)
    with TestClient(create_app(settings(), champion=served)) as client:
        wait_until_ready(client)
        card = client.get("/model").json()
    (training_file,) = card["data_source"]["files"]
    assert training_file == {
        "file": "application_data.csv",
        "rows": 10,
        "sha256": "ab" * 32,
    }
    assert "/srv" not in json.dumps(card)


@pytest.mark.parametrize("path", ["/predict", "/model", "/metrics", "/ready", "/docs"])
def test_a_key_is_required_everywhere_but_health(keyed_client, path):
    method = keyed_client.post if path == "/predict" else keyed_client.get
    response = method(path, json=VALID) if path == "/predict" else method(path)
    error = _error(response, 401)
    assert error["type"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    wrong = {"Authorization": "Bearer not-the-key"}
    wrong_response = method(path, headers=wrong)
    assert "wrong" in _error(wrong_response, 401)["msg"]
    assert keyed_client.get("/health").status_code == 200


@pytest.mark.parametrize(
    "headers", [{"Authorization": f"Bearer {KEY}"}, {"X-API-Key": KEY}]
)
def test_either_header_carries_the_key(keyed_client, headers):
    assert keyed_client.post("/predict", json=VALID, headers=headers).status_code == 200
    # The caller is trusted: the card keeps the full source description.
    card = keyed_client.get("/model", headers=headers).json()
    assert card["data_source"] == TRAINING_FILES


def test_the_schema_declares_the_key(keyed_client):
    schema = keyed_client.get("/openapi.json", headers={"X-API-Key": KEY}).json()
    assert set(schema["components"]["securitySchemes"]) == {"bearer", "apiKey"}
    assert "security" not in schema["paths"]["/health"]["get"]
    assert "401" in schema["paths"]["/predict"]["post"]["responses"]


def test_the_key_and_its_file_are_exclusive(tmp_path):
    with pytest.raises(ValueError, match="not both"):
        settings(api_key="a", api_key_file=tmp_path / "key")


def test_cors_is_off_by_default(client):
    preflight = client.options(
        "/predict",
        headers={
            "Origin": "https://evil.example",
            "Access-Control-Request-Method": "POST",
        },
    )
    assert "access-control-allow-origin" not in preflight.headers
    response = client.post("/predict", json=VALID, headers={"Origin": "https://a.b"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_only_the_listed_origins(champion):
    allowed = "https://lender.example"
    app = create_app(settings(cors_allow_origins=[allowed]), champion=champion)
    with TestClient(app) as client:
        wait_until_ready(client)
        ok = client.post("/predict", json=VALID, headers={"Origin": allowed})
        other = client.post("/predict", json=VALID, headers={"Origin": "https://x.y"})
    assert ok.headers["access-control-allow-origin"] == allowed
    assert "access-control-allow-origin" not in other.headers


def test_metrics_are_documented_as_text(client):
    schema = client.get("/openapi.json").json()
    content = schema["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert list(content) == ["text/plain"]
    responses = schema["paths"]["/predict"]["post"]["responses"]
    assert {"408", "413", "415", "422"} <= set(responses)
