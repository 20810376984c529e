"""Hostile clients against a real uvicorn server on 127.0.0.1: poisoned requests
among valid ones, bodies that stall, clients that vanish mid-body; and the
micro-batcher confining a scoring failure to the request that caused it."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from loan_default.api.batching import MicroBatcher
from loan_default.api.schemas import request_records
from loan_default.api.service import PredictionService
from tests.api.test_cli import free_port, serve_command

BODY_TIMEOUT_SECONDS = 1.0
POISONED_BODIES = [
    b'{"applications": [{"SK_ID_CURR": 900001, "AMT_CREDIT": 1e39}]}',
    b'{"applications": [{"SK_ID_CURR": 900002, "AMT_CREDIT": "500000"}]}',
    b'{"applications": [{"SK_ID_CURR": 900003, "FLAG_MOBIL": true}]}',
    b'{"applications": [{"SK_ID_CURR": 18446744073709551616}]}',
    b'{"applications": ' + b"[" * 1_000 + b"]" * 1_000 + b"}",
    b'{"applications": [{"SK_ID_CURR": 900004, "CODE_GENDER": "'
    + b"x" * 100_000
    + b'"}]}',
]


class Server:
    """A `loan-default-api serve` process, its address and its log file."""

    def __init__(self, process: subprocess.Popen, port: int, log: Path) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log = log

    def log_lines(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()


@contextmanager
def running_server(
    champion_folder: Path, log: Path, **variables: str
) -> Iterator[Server]:
    """`loan-default-api serve` on a free port, with LOAN_DEFAULT_API_* variables."""
    port = free_port()
    environment = {
        **os.environ,
        **{
            f"LOAN_DEFAULT_API_{name.upper()}": value
            for name, value in variables.items()
        },
    }
    with log.open("wb") as output:
        process = subprocess.Popen(
            serve_command(
                "--port", str(port), "--model-path", str(champion_folder),
                "--log-level", "warning",
            ),
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environment,
        )  # fmt: skip
    running = Server(process, port, log)
    try:
        _wait_until_ready(running, variables.get("api_key"))
        yield running
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def server(saved_champion, tmp_path_factory) -> Iterator[Server]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    timeout = str(BODY_TIMEOUT_SECONDS)
    with running_server(saved_champion, log, body_timeout_seconds=timeout) as running:
        yield running


def _wait_until_ready(server: Server, key: str | None, timeout: float = 120) -> None:
    headers = {"X-API-Key": key} if key else None
    deadline = time.monotonic() + timeout
    while True:
        assert server.process.poll() is None, server.log.read_text()
        try:
            ready = httpx.get(f"{server.url}/ready", timeout=2, headers=headers)
            if ready.status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the server never became ready"
        time.sleep(0.2)


@pytest.fixture(scope="module")
def bodies(new_applications) -> list[bytes]:
    records = request_records(new_applications)[:24]
    return [
        httpx.Request("POST", "/", json={"applications": [r]}).content for r in records
    ]


async def _post_all(url: str, bodies: list[bytes]) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=len(bodies))
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        return await asyncio.gather(
            *(
                client.post(
                    "/predict",
                    content=body,
                    headers={"content-type": "application/json"},
                )
                for body in bodies
            )
        )


def test_poisoned_requests_spoil_no_valid_request(server, bodies):
    alone = [httpx.post(f"{server.url}/predict", content=b, headers={
        "content-type": "application/json"}).json() for b in bodies[:6]]  # fmt: skip
    mixed = [
        body for pair in zip(bodies, POISONED_BODIES * 4, strict=False) for body in pair
    ]
    for _ in range(3):  # several rounds: the requests must meet in one batch
        responses = asyncio.run(_post_all(server.url, mixed))
        valid = [r for r, body in zip(responses, mixed, strict=True) if body in bodies]
        poisoned = [r for r in responses if r not in valid]
        assert [r.status_code for r in valid] == [200] * len(valid)
        assert [r.json() for r in valid[:6]] == alone
        assert {r.status_code for r in poisoned} == {422}
        assert all(len(r.content) < 5_000 for r in poisoned)
    assert server.process.poll() is None
    assert "Traceback" not in server.log.read_text()


def _send_headers(port: int, declared_length: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    connection.sendall(
        b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: application/json\r\n"
        b"Content-Length: " + str(declared_length).encode() + b"\r\n\r\n"
        b'{"applications": ['
    )
    return connection


def _read_until_closed(connection: socket.socket) -> bytes:
    received = b""
    while chunk := connection.recv(65536):
        received += chunk
    return received


def test_a_stalled_body_is_408_and_one_log_line(server):
    before = len(server.log_lines())
    connections = [_send_headers(server.port, 1_000) for _ in range(20)]
    started = time.monotonic()
    try:
        answers = [_read_until_closed(connection) for connection in connections]
    finally:
        for connection in connections:
            connection.close()
    assert time.monotonic() - started < BODY_TIMEOUT_SECONDS + 8
    assert all(answer.startswith(b"HTTP/1.1 408 ") for answer in answers), answers
    assert all(b'"body_timeout"' in answer for answer in answers)
    time.sleep(0.5)
    new_lines = server.log_lines()[before:]
    assert "Traceback" not in "\n".join(new_lines)
    assert len(new_lines) == 20, new_lines
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_a_client_gone_mid_body_is_one_log_line(server):
    before = len(server.log_lines())
    for _ in range(20):
        _send_headers(server.port, 1_000).close()
    deadline = time.monotonic() + 10
    while len(server.log_lines()) < before + 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(BODY_TIMEOUT_SECONDS + 0.5)  # nor a late 408 line for them
    new_lines = server.log_lines()[before:]
    assert "Traceback" not in "\n".join(new_lines)
    assert len(new_lines) == 20, new_lines
    assert all("disconnected" in line for line in new_lines)
    assert httpx.get(f"{server.url}/health").status_code == 200


def test_a_failing_batch_is_rescored_request_by_request(champion, new_applications):
    """The model itself fails on a value validation would refuse (here passed to
    the batcher directly): only that request gets the error."""
    service = PredictionService(champion, reason_codes=3)
    valid = [[record] for record in request_records(new_applications)[:8]]
    poisoned = [{"SK_ID_CURR": 900001, "AMT_CREDIT": 1e39}]
    alone = [service.predict(records) for records in valid]
    batch_sizes: list[int] = []

    def score(records):
        batch_sizes.append(len(records))
        return service.predict(records)

    async def score_together():
        batcher = MicroBatcher(score, max_rows=100, inline_rows=64)
        batcher.start()
        try:
            requests = [*valid[:4], poisoned, *valid[4:]]
            return await asyncio.gather(
                *(batcher.score(records) for records in requests),
                return_exceptions=True,
            )
        finally:
            await batcher.stop()

    results = asyncio.run(score_together())
    assert batch_sizes[0] == 9  # scored together first, then one by one
    assert isinstance(results[4], Exception)
    assert [*results[:4], *results[5:]] == alone
