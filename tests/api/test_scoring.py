"""The API scores an application exactly as batch scoring scores the same CSV row:
both call the champion, on records and on a table."""

from __future__ import annotations

import asyncio
import threading

import numpy as np
import pandas as pd
import pytest

from loan_default.api.batching import MicroBatcher
from loan_default.api.schemas import REQUEST_COLUMNS, Application, request_records
from loan_default.api.service import PredictionService
from loan_default.datasets import read_raw_csv
from loan_default.features import table_columns
from loan_default.model.artifact import load_scoring_model, save_scoring_model
from loan_default.schema import APPLICATION, APPLICATION_ID
from loan_default.validation import validate_table


@pytest.fixture(scope="module")
def batch_frame(new_applications, tmp_path_factory) -> pd.DataFrame:
    """What batch scoring reads from a CSV of the same rows."""
    path = tmp_path_factory.mktemp("csv") / "application_data.csv"
    new_applications.to_csv(path, index=False)
    return validate_table(
        read_raw_csv(path, APPLICATION), APPLICATION, str(path), require_target=False
    )


def validated(records: list[dict]) -> list[dict]:
    return [Application.model_validate(record).__dict__ for record in records]


def test_request_records_are_typed_as_the_table_batch_scoring_reads(
    new_applications, batch_frame, champion
):
    from_records = table_columns(
        validated(request_records(new_applications)), APPLICATION
    )
    from_table = table_columns(batch_frame, APPLICATION)
    assert list(from_records) == list(from_table)
    for name, values in from_table.items():
        assert from_records[name].dtype == values.dtype, name
        np.testing.assert_array_equal(from_records[name], values, err_msg=name)
    pd.testing.assert_frame_equal(
        champion.features(validated(request_records(new_applications))),
        champion.features(batch_frame),
    )


def test_absent_and_null_fields_are_the_same_missing_value():
    columns = table_columns(
        [{"SK_ID_CURR": 1}, {"SK_ID_CURR": 2, "AMT_CREDIT": None}], APPLICATION
    )
    assert columns[APPLICATION_ID].dtype == "int64"
    assert list(columns) == [c.name for c in REQUEST_COLUMNS]
    for name, values in columns.items():
        if name != APPLICATION_ID:
            assert pd.isna(values).all(), name


def test_probabilities_equal_batch_scoring_exactly(
    client, champion, new_applications, batch_frame
):
    records = request_records(new_applications.iloc[:40])
    response = client.post("/predict", json={"applications": records})
    predictions = pd.DataFrame(response.json()["predictions"])
    expected = champion.score(batch_frame.iloc[:40]).scores
    assert predictions[APPLICATION_ID].tolist() == expected[APPLICATION_ID].tolist()
    np.testing.assert_array_equal(predictions["probability"], expected["PROBABILITY"])
    np.testing.assert_array_equal(predictions["decision"], expected["DECISION"])
    np.testing.assert_array_equal(predictions["risk_decile"], expected["RISK_DECILE"])


def test_levels_known_to_the_schema_but_unseen_in_training_share_other(
    client, champion, batch_frame
):
    levels = champion.transformer.levels_["NAME_INCOME_TYPE"]
    unseen = [
        level
        for level in APPLICATION["NAME_INCOME_TYPE"].categories
        if level not in levels
    ]
    assert len(unseen) >= 2, "the training data should miss rare income types"
    rows = pd.concat(
        [
            batch_frame.iloc[[0]].assign(
                SK_ID_CURR=key, NAME_INCOME_TYPE=pd.array([level], dtype="string")
            )
            for key, level in enumerate(unseen[:2], start=1)
        ],
        ignore_index=True,
    )
    response = client.post("/predict", json={"applications": request_records(rows)})
    assert response.status_code == 200
    probabilities = [p["probability"] for p in response.json()["predictions"]]
    expected = champion.score(rows).scores["PROBABILITY"].tolist()
    assert probabilities == expected
    # Both go to the one "__other__" column: the same encoding, the same score.
    encoded = champion.encode(champion.features(rows))
    assert (encoded.iloc[0] == encoded.iloc[1]).all()
    assert probabilities[0] == probabilities[1]


@pytest.mark.parametrize("inline_rows", [1, 1000], ids=["in_a_thread", "on_the_loop"])
def test_requests_scored_together_get_what_they_get_alone(
    champion, new_applications, inline_rows
):
    service = PredictionService(champion, reason_codes=3)
    records = validated(request_records(new_applications.iloc[:30]))
    requests = [records[0:1], records[1:11], records[11:12], records[12:30]]
    alone = [service.predict(request) for request in requests]
    calls = []

    def score(batch):
        calls.append((len(batch), threading.current_thread().name))
        return service.predict(batch)

    async def together():
        batcher = MicroBatcher(score, max_rows=1000, inline_rows=inline_rows)
        batcher.start()
        try:
            return await asyncio.gather(*(batcher.score(r) for r in requests))
        finally:
            await batcher.stop()

    assert asyncio.run(together()) == alone
    assert len(calls) < len(requests)  # some were coalesced
    for rows, thread in calls:  # small batches on the loop, large ones in a thread
        assert thread.startswith("scoring") == (rows > inline_rows)


def test_requests_sharing_a_key_are_never_batched_together(champion, new_applications):
    service = PredictionService(champion, reason_codes=3)
    record = validated(request_records(new_applications.iloc[:1]))
    calls = []

    def score(batch):
        calls.append(len(batch))
        return service.predict(batch)

    async def concurrently():
        batcher = MicroBatcher(score, max_rows=1000, inline_rows=64)
        batcher.start()
        try:
            return await asyncio.gather(*(batcher.score(record) for _ in range(3)))
        finally:
            await batcher.stop()

    first, second, third = asyncio.run(concurrently())
    assert first == second == third
    assert calls == [1, 1, 1]


@pytest.mark.parametrize("which", ["tree_champion", "scorecard_champion"])
def test_every_kind_of_champion_answers_with_reasons_and_statements(
    which, request, new_applications, tmp_path
):
    # A scorecard or tree champion, saved and loaded as the API loads it.
    save_scoring_model(request.getfixturevalue(which), tmp_path / "model")
    model = load_scoring_model(tmp_path / "model")
    service = PredictionService(model, reason_codes=4)
    predictions = service.predict(
        validated(request_records(new_applications.iloc[:20]))
    )
    reasons = [code for p in predictions for code in p["reason_codes"]]
    assert reasons
    assert all(len(p["reason_codes"]) <= 4 for p in predictions)
    for code in reasons:
        assert code["contribution"] > 0
        assert code["statement"] == model.reason_statements[code["feature"]]
    assert service.model_card()["reason_code_method"] == model.explainer.method
