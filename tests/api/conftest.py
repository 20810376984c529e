"""Small champions trained in seconds on generated data, and clients of the API."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from loan_default.api import ApiSettings, create_app

MAX_APPLICATIONS = 50
MAX_BODY_BYTES = 300_000
THRESHOLD = 0.3


def wait_until_ready(
    client: TestClient, timeout: float = 30, headers: dict | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while client.get("/ready", headers=headers).status_code != 200:
        if time.monotonic() > deadline:
            raise AssertionError(f"not ready after {timeout} s: {client.get('/ready')}")
        time.sleep(0.02)


def settings(**overrides) -> ApiSettings:
    limits = {"max_applications": MAX_APPLICATIONS, "max_body_bytes": MAX_BODY_BYTES}
    return ApiSettings(**{**limits, **overrides})


@pytest.fixture(scope="module")
def client(champion) -> Iterator[TestClient]:
    with TestClient(create_app(settings(), champion=champion)) as test_client:
        wait_until_ready(test_client)
        yield test_client
