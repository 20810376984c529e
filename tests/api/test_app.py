"""Every endpoint of the API in-process, and every kind of bad input."""

from __future__ import annotations

import json
import math

import pytest
from fastapi.testclient import TestClient

from loan_default.api import create_app
from loan_default.api.schemas import request_records
from tests.api.conftest import MAX_APPLICATIONS, MAX_BODY_BYTES, settings
from tests.conftest import THRESHOLD


def post(client: TestClient, body: object):
    return client.post("/predict", json=body)


@pytest.fixture(scope="module")
def records(new_applications) -> list[dict]:
    return request_records(new_applications)


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "alive"}
    ready = client.get("/ready")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "model_version": "test-version"}


def test_model_describes_the_champion(client, champion):
    card = client.get("/model").json()
    assert card["model_version"] == "test-version"
    assert card["algorithm"] == "xgboost"
    assert card["operating_threshold"] == THRESHOLD
    # NaN is not JSON: it is answered as null.
    assert card["metrics_test"] == {"AUC": 0.7, "Brier score": None}
    assert card["data_source"] == {"kind": "synthetic", "seed": 11}
    assert card["encoded_features"] == champion.feature_names
    assert "EXT_SOURCE_MEAN" in card["features"]
    assert "TARGET" not in card["raw_fields"]
    assert card["reason_code_method"].startswith("exact TreeSHAP")


def test_predict_full_records(client, records, champion):
    response = post(client, {"applications": records[:5]})
    assert response.status_code == 200
    predictions = response.json()["predictions"]
    assert [p["SK_ID_CURR"] for p in predictions] == [
        r["SK_ID_CURR"] for r in records[:5]
    ]
    for prediction in predictions:
        assert 0 <= prediction["probability"] <= 1
        assert prediction["decision"] == int(prediction["probability"] >= THRESHOLD)
        assert 1 <= prediction["risk_decile"] <= 10
        assert prediction["model_version"] == "test-version"
        codes = prediction["reason_codes"]
        assert 0 < len(codes) <= 4
        # Each reason with the statement the model carries for its feature.
        assert [code["statement"] for code in codes] == [
            champion.reason_statements[code["feature"]] for code in codes
        ]
        assert all(code["statement"] for code in codes)
        contributions = [code["contribution"] for code in codes]
        assert contributions == sorted(contributions, reverse=True)
        assert min(contributions) > 0
        # Readable source features, never one-hot columns.
        assert all("=" not in code["feature"] for code in codes)
        assert all(not code["feature"].endswith("__missing") for code in codes)


def test_a_partial_record_is_scored(client):
    response = post(
        client,
        {
            "applications": [
                {"SK_ID_CURR": 7, "AMT_CREDIT": 250000.0, "CODE_GENDER": None}
            ]
        },
    )
    assert response.status_code == 200
    (prediction,) = response.json()["predictions"]
    assert prediction["SK_ID_CURR"] == 7
    assert 0 <= prediction["probability"] <= 1


def test_the_sentinel_of_days_employed_is_accepted(client):
    body = {"applications": [{"SK_ID_CURR": 8, "DAYS_EMPLOYED": 365243}]}
    assert post(client, body).status_code == 200


def _only_error(response) -> dict:
    assert response.status_code == 422, response.text
    (error,) = response.json()["detail"]
    return error


@pytest.mark.parametrize(
    ("field", "value", "error_type", "message"),
    [
        ("AMT_CREDIT", "a lot", "float_type", "valid number"),
        ("AMT_CREDIT", "500000", "float_type", "valid number"),
        ("AMT_CREDIT", True, "float_type", "valid number"),
        # Beyond float32, which the model reads: refused, not scored.
        ("AMT_CREDIT", 1e39, "less_than_equal", "less than or equal"),
        ("OWN_CAR_AGE", 1e39, "less_than_equal", "less than or equal to 10000"),
        ("DAYS_REGISTRATION", -1e39, "greater_than_equal", "equal to -36525"),
        # SK_ID_CURR's only bound above is int64's.
        ("SK_ID_CURR", 2**63, "less_than_equal", "less than or equal to 9223"),
        ("CNT_CHILDREN", 1.5, "int_from_float", "fractional part"),
        ("CNT_CHILDREN", "2", "int_type", "valid integer"),
        ("FLAG_MOBIL", True, "int_type", "valid integer"),
        ("SK_ID_CURR", False, "int_type", "valid integer"),
        ("AMT_CREDIT", -5.0, "greater_than_equal", "greater than or equal to 0"),
        ("EXT_SOURCE_2", 1.5, "less_than_equal", "less than or equal to 1"),
        ("DAYS_EMPLOYED", 100, "out_of_range", "or the sentinel 365243"),
        ("CODE_GENDER", "Q", "literal_error", "'F', 'M' or 'XNA'"),
        ("NAME_CONTRACT_TYPE", 3, "literal_error", "'Cash loans'"),
        ("NOT_A_FIELD", 1, "extra_forbidden", "not permitted"),
        ("TARGET", 1, "extra_forbidden", "not permitted"),
    ],
)
def test_invalid_field_names_its_path_and_the_rule(
    client, field, value, error_type, message
):
    body = {"applications": [{"SK_ID_CURR": 1}, {"SK_ID_CURR": 2, field: value}]}
    error = _only_error(post(client, body))
    assert error["loc"] == ["body", "applications", 1, field]
    assert error["type"] == error_type
    assert message in error["msg"]
    assert error["input"] == value


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_refused(client, token):
    body = '{"applications": [{"SK_ID_CURR": 1, "AMT_ANNUITY": TOKEN}]}'.replace(
        "TOKEN", token
    )
    response = client.post(
        "/predict", content=body, headers={"content-type": "application/json"}
    )
    error = _only_error(response)
    assert error["loc"] == ["body", "applications", 0, "AMT_ANNUITY"]
    assert error["type"] == "finite_number"
    assert not math.isfinite(float(error["input"]))


@pytest.mark.parametrize("field", ["SK_ID_CURR", "CNT_CHILDREN", "DAYS_EMPLOYED"])
def test_whole_numbers_beyond_int64_are_refused(client, field):
    body = {"applications": [{"SK_ID_CURR": 1, field: 2**64}]}
    error = _only_error(post(client, body))
    assert error["loc"] == ["body", "applications", 0, field]
    assert error["type"] == "less_than_equal"


def test_missing_key_is_refused(client):
    error = _only_error(post(client, {"applications": [{"AMT_CREDIT": 1.0}]}))
    assert error["loc"] == ["body", "applications", 0, "SK_ID_CURR"]
    assert error["type"] == "missing"


def test_repeated_key_is_refused(client):
    body = {"applications": [{"SK_ID_CURR": 4}, {"SK_ID_CURR": 5}, {"SK_ID_CURR": 4}]}
    error = _only_error(post(client, body))
    assert error["loc"] == ["body", "applications", 2, "SK_ID_CURR"]
    assert "applications[0]" in error["msg"]


@pytest.mark.parametrize(
    ("body", "loc", "error_type"),
    [
        ({"applications": []}, ["body", "applications"], "too_short"),
        ({}, ["body", "applications"], "missing"),
        ([{"SK_ID_CURR": 1}], ["body"], "model_type"),
        ({"applications": {"SK_ID_CURR": 1}}, ["body", "applications"], "list_type"),
        ({"applications": [5]}, ["body", "applications", 0], "model_type"),
    ],
)
def test_bad_shapes_of_body_are_refused(client, body, loc, error_type):
    error = _only_error(post(client, body))
    assert error["loc"] == loc
    assert error["type"] == error_type


@pytest.mark.parametrize("body", [b'{"applications": [', b"\xff\xfe\x00garbage", b""])
def test_malformed_json_is_refused(client, body):
    response = client.post(
        "/predict", content=body, headers={"content-type": "application/json"}
    )
    error = _only_error(response)
    assert error["type"] == "json_invalid"
    assert error["loc"][0] == "body"
    assert error["msg"].startswith(("malformed JSON", "the body is not JSON"))


def test_too_many_applications_is_413(client):
    body = {"applications": [{"SK_ID_CURR": i} for i in range(1, MAX_APPLICATIONS + 2)]}
    response = post(client, body)
    assert response.status_code == 413
    (error,) = response.json()["detail"]
    assert error["type"] == "too_many_applications"
    assert str(MAX_APPLICATIONS) in error["msg"]
    assert post(client, {"applications": body["applications"][:-1]}).status_code == 200


def test_too_many_applications_is_413_even_when_they_are_invalid(client):
    body = {
        "applications": [
            {"SK_ID_CURR": i, "AMT_CREDIT": "a lot"}
            for i in range(1, MAX_APPLICATIONS + 2)
        ]
    }
    response = post(client, body)
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "too_many_applications"


def test_json_in_utf16_is_read_as_the_standard_parser_reads_it(client, records):
    body = json.dumps({"applications": records[:2]}).encode("utf-16")
    response = client.post(
        "/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 200
    assert response.json() == post(client, {"applications": records[:2]}).json()


def test_too_large_a_body_is_413(client):
    padding = " " * MAX_BODY_BYTES
    body = '{"applications": [{"SK_ID_CURR": 1}]}' + padding
    response = client.post(
        "/predict", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["detail"][0]["type"] == "body_too_large"

    def chunks():  # no Content-Length: the limit is enforced while reading
        yield body[:100].encode()
        yield padding.encode()

    response = client.post(
        "/predict", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413


def test_metrics_count_requests_probabilities_and_decisions(champion, records):
    with TestClient(create_app(settings(), champion=champion)) as fresh:
        from tests.api.conftest import wait_until_ready  # noqa: PLC0415

        wait_until_ready(fresh)
        assert post(fresh, {"applications": records[:10]}).status_code == 200
        assert post(fresh, {"applications": []}).status_code == 422
        assert fresh.get("/no/such/page").status_code == 404
        text = fresh.get("/metrics").text
    assert (
        'loan_default_api_requests_total{endpoint="/predict",method="POST",status="200"} 1.0'
        in text
    )
    assert 'endpoint="/predict",method="POST",status="422"} 1.0' in text
    assert 'endpoint="other",method="GET",status="404"} 1.0' in text
    assert (
        'loan_default_api_request_duration_seconds_count{endpoint="/predict"} 2.0'
        in text
    )
    assert "loan_default_api_predicted_probability_count 10.0" in text
    flagged = _metric(text, 'loan_default_api_decisions_total{decision="1"}')
    kept = _metric(text, 'loan_default_api_decisions_total{decision="0"}')
    assert flagged + kept == 10
    assert (
        'loan_default_api_model_info{algorithm="xgboost",model_version="test-version"} 1.0'
        in text
    )


def _metric(text: str, name: str) -> float:
    (line,) = [line for line in text.splitlines() if line.startswith(name)]
    return float(line.split()[-1])


def test_without_a_model_ready_and_predict_answer_503(tmp_path):
    app = create_app(settings(model_path=tmp_path / "nothing"))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        for _ in range(200):
            ready = client.get("/ready")
            if ready.json()["status"] == "failed":
                break
        assert ready.status_code == 503
        assert "run `kedro run` first" in ready.json()["detail"]
        response = post(client, {"applications": [{"SK_ID_CURR": 1}]})
        assert response.status_code == 503
        assert response.json()["detail"][0]["type"] == "not_ready"
        assert client.get("/model").status_code == 503


def test_openapi_documents_the_request_body(client):
    schema = client.get("/openapi.json").json()
    body = schema["paths"]["/predict"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["$ref"].endswith(
        "PredictRequest"
    )
    application = schema["components"]["schemas"]["Application"]
    assert application["required"] == ["SK_ID_CURR"]
    assert "TARGET" not in application["properties"]
    assert json.dumps(schema)  # serialisable as a whole


class _Planted:
    """Unpickling this writes a marker file: a stand-in for a shell command."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (type(self.marker).write_text, (self.marker, "code ran"))


def test_a_planted_file_in_the_champion_folder_is_refused_at_start(
    saved_champion, tmp_path
):
    """The API never unpickles: a planted pickle makes the champion refused, and
    the code in it never runs."""
    import pickle  # noqa: PLC0415
    import shutil  # noqa: PLC0415

    folder = tmp_path / "champion_model"
    shutil.copytree(saved_champion, folder)
    model = next(folder.glob("*/champion_model"))
    marker = tmp_path / "ran.txt"
    (model / "champion_model.pkl").write_bytes(pickle.dumps(_Planted(marker)))
    with TestClient(create_app(settings(model_path=folder))) as client:
        for _ in range(200):
            ready = client.get("/ready")
            if ready.json()["status"] == "failed":
                break
        assert ready.status_code == 503
        assert "refused to load this model" in ready.json()["detail"]
        assert "champion_model.pkl" in ready.json()["detail"]
    assert not marker.exists()
