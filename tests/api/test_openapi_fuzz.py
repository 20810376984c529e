"""The OpenAPI schema matches behaviour: schemathesis generates valid and invalid
requests for every operation from the schema a real server publishes, sends them
to it, and runs every check (no 5xx, documented status codes, content types and
bodies, invalid data refused, valid data accepted). Bounded to keep the suite fast."""

from __future__ import annotations

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.api.test_hostile_clients import running_server, server  # noqa: F401

EXAMPLES_PER_OPERATION = 60
KEY = "fuzzing-key"


def _unique_keys(case):
    """Keys must be unique in a request, a rule JSON Schema cannot state (it is in
    the field's description): valid cases keep the first application of each key."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("applications"), list):
        seen = set()
        unique = []
        for application in body["applications"]:
            key = (
                application.get("SK_ID_CURR") if isinstance(application, dict) else None
            )
            if key is None or key not in seen:
                unique.append(application)
            seen.add(key)
        case.body = {**body, "applications": unique}
    return case


def _fuzz(
    operation, mode: GenerationMode, base_url: str, headers: dict | None = None
) -> None:
    strategy = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.POSITIVE:
        strategy = strategy.map(_unique_keys)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    def check(case) -> None:
        case.call_and_validate(base_url=base_url, headers=headers, timeout=30)

    check()


def _fuzz_every_operation(
    base_url: str, mode: GenerationMode, headers: dict | None = None
) -> None:
    document = httpx.get(f"{base_url}/openapi.json", timeout=10, headers=headers)
    schema = schemathesis.openapi.from_dict(document.json())
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {operation.path for operation in operations} >= {
        "/predict",
        "/model",
        "/admin/reload",
    }
    for operation in operations:
        # Invalid data exists only where there is input: /predict's body.
        if mode is GenerationMode.POSITIVE or operation.path == "/predict":
            _fuzz(operation, mode, base_url, headers)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_operation_behaves_as_documented(server, mode):  # noqa: F811
    _fuzz_every_operation(server.url, mode)


def test_with_a_key_every_operation_behaves_as_documented(saved_champion, tmp_path):
    """The checks include calls without the key, which must be refused 401."""
    log = tmp_path / "server.log"
    with running_server(saved_champion, log, api_key=KEY) as keyed:
        _fuzz_every_operation(keyed.url, GenerationMode.POSITIVE, {"X-API-Key": KEY})
