"""Latency and errors of the prediction API, against a real uvicorn server.

Starts ``python -m loan_default.api serve`` on a free port of 127.0.0.1 with a saved
champion, waits for /ready, then measures, with bounded request counts:

1. one application per request, ``--clients`` concurrent clients: p50 / p90 / p99;
2. one request of ``--batch-size`` applications, sent one at a time: median / p90;
3. a mixed load for ``--duration`` seconds: requests, throughput and errors;
4. with ``--poison-every N``, the same load with every N-th request a hostile one
   (a value beyond float32, a number sent as text, a boolean, an id beyond int64,
   1,000 levels of nesting, a 100 KB string, a body not sent as JSON): errors on
   valid requests (must be 0) and the p50 / p99 of valid requests, reported
   separately from the hostile requests' answers (must all be 4xx).

Targets: single p50 < 10 ms and p99 < 30 ms with 8 clients; 1,000 applications
< 150 ms; no error under load. The client shares the machine with the server: on
Linux with 2 cores or more, while concurrent clients run the server (one worker,
every thread) is pinned to one core and the client to the others, so that neither
takes the other's CPU; requests sent one at a time let the server use every core,
as the client only waits (``--no-pin``: never pinned). The load average is printed
with the figures, and (one worker, Linux)
the server's CPU time per request: a figure that other work barely moves. The
client is a few lines of asyncio on keep-alive connections, not an HTTP library,
whose own CPU per request would be counted against the server on a small machine.

    python benchmarks/api.py [--model-path data/06_models/champion/champion_model]
        [--clients 8] [--single-requests 2000] [--duration 10] [--workers 1]
        [--poison-every 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np

from loan_default.api.schemas import request_records
from loan_default.api.settings import CHAMPION_DATASET_PATH
from loan_default.synthetic import generate_new_applications

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def start_server(model_path: Path, port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "loan_default.api",
            "serve",
            "--host",
            HOST,
            "--port",
            str(port),
            "--model-path",
            str(model_path),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        env={**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"},
    )


def wait_until_ready(base_url: str, server: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server exited with code {server.returncode}")
        try:
            if httpx.get(f"{base_url}/ready", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server was not ready after {timeout} s")


class CoreSharing:
    """Which cores the server's threads and this client may run on (Linux).

    ``separate``: every thread of the server on the last core, the client on the
    others, so that concurrent clients do not take the server's CPU. ``shared``:
    the server may use every core, for requests sent one at a time (the client
    waits meanwhile), as a server has its machine to itself.
    """

    def __init__(self, server_pid: int, enabled: bool) -> None:
        self.server_pid = server_pid
        self.cores = sorted(os.sched_getaffinity(0)) if _has_affinity() else []
        self.enabled = enabled and len(self.cores) >= 2

    def _set_server(self, cores: set[int]) -> None:
        # Each thread has its own affinity: set every one the server has now.
        for thread in Path(f"/proc/{self.server_pid}/task").iterdir():
            os.sched_setaffinity(int(thread.name), cores)

    def separate(self) -> str:
        if not self.enabled:
            return "server and client share every core"
        self._set_server({self.cores[-1]})
        os.sched_setaffinity(0, set(self.cores[:-1]))
        return f"server on core {self.cores[-1]}, client on {self.cores[:-1]}"

    def shared(self) -> str:
        if self.enabled:
            self._set_server(set(self.cores))
        return f"server on every core ({len(self.cores) or os.cpu_count()})"


def _has_affinity() -> bool:
    return hasattr(os, "sched_setaffinity") and Path("/proc/self/task").is_dir()


def cpu_seconds(pid: int) -> float | None:
    """User and system CPU time of a process so far (None where /proc is absent)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    # utime and stime, the 14th and 15th fields, in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_request(server: subprocess.Popen, before: float | None, count: int) -> str:
    after = cpu_seconds(server.pid)
    if before is None or after is None or count == 0:
        return ""
    return f"  server CPU {(after - before) / count * 1000:.2f} ms/request"


def load_average() -> str:
    return "load average " + " ".join(f"{value:.2f}" for value in os.getloadavg())


def percentiles(seconds: list[float]) -> str:
    ms = np.asarray(seconds) * 1000
    return (
        f"p50 {np.percentile(ms, 50):7.2f} ms  p90 {np.percentile(ms, 90):7.2f} ms  "
        f"p99 {np.percentile(ms, 99):7.2f} ms  (n={len(ms)})"
    )


class Connection:
    """A keep-alive HTTP/1.1 connection sending prepared POST /predict requests.

    A few lines of asyncio instead of an HTTP client library: the client shares the
    machine with the server, and httpx spent more CPU per request than the server.
    """

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self.reader = reader
        self.writer = writer

    @classmethod
    async def open(cls, port: int) -> Connection:
        return cls(*await asyncio.open_connection(HOST, port))

    async def post(self, request: bytes) -> int:
        """Sends one prepared request; the response's status once its body is read."""
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head.split(b" ", 2)[1])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return status

    def close(self) -> None:
        self.writer.close()


def prepared_request(port: int, body: bytes) -> bytes:
    return (
        f"POST /predict HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body


async def run_clients(
    port: int,
    bodies: list[bytes],
    clients: int,
    requests_per_client: int | None,
    deadline: float | None,
) -> tuple[list[float], int]:
    """Each client sends its bodies one after another on its own connection;
    latencies and error count."""
    requests = [prepared_request(port, body) for body in bodies]
    latencies: list[float] = []
    errors = 0

    async def client(number: int) -> None:
        nonlocal errors
        connection = await Connection.open(port)
        sent = 0
        try:
            while True:
                if requests_per_client is not None and sent >= requests_per_client:
                    return
                if deadline is not None and time.monotonic() >= deadline:
                    return
                request = requests[(number + sent * clients) % len(requests)]
                started = time.perf_counter()
                try:
                    ok = await connection.post(request) == 200
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    ok = False
                    connection.close()
                    connection = await Connection.open(port)
                latencies.append(time.perf_counter() - started)
                errors += not ok
                sent += 1
        finally:
            connection.close()

    await asyncio.gather(*(client(number) for number in range(clients)))
    return latencies, errors


def poisoned_requests(port: int) -> list[bytes]:
    """Hostile requests the API must refuse without disturbing any other."""
    bodies = [
        b'{"applications": [{"SK_ID_CURR": 900001, "AMT_CREDIT": 1e39}]}',
        b'{"applications": [{"SK_ID_CURR": 900002, "AMT_CREDIT": "500000"}]}',
        b'{"applications": [{"SK_ID_CURR": 900003, "FLAG_MOBIL": true}]}',
        b'{"applications": [{"SK_ID_CURR": 18446744073709551616}]}',
        b'{"applications": ' + b"[" * 1_000 + b"]" * 1_000 + b"}",
        b'{"applications": [{"SK_ID_CURR": 900004, "CODE_GENDER": "'
        + b"x" * 100_000
        + b'"}]}',
    ]
    as_text = prepared_request(port, bodies[0]).replace(
        b"Content-Type: application/json", b"Content-Type: text/plain"
    )
    return [*(prepared_request(port, body) for body in bodies), as_text]


async def run_poisoned_load(
    port: int, bodies: list[bytes], clients: int, poison_every: int, deadline: float
) -> tuple[list[float], int, dict[str, int]]:
    """Like ``run_clients`` with every ``poison_every``-th request a hostile one:
    latencies and errors of the valid requests, and the hostile ones' answers."""
    requests = [prepared_request(port, body) for body in bodies]
    hostile = poisoned_requests(port)
    latencies: list[float] = []
    errors = 0
    answers: dict[str, int] = {}

    async def client(number: int) -> None:
        nonlocal errors
        connection = await Connection.open(port)
        sent = 0
        try:
            while time.monotonic() < deadline:
                sent += 1
                poisoned = sent % poison_every == 0
                if poisoned:
                    request = hostile[(number + sent) % len(hostile)]
                else:
                    request = requests[(number + sent * clients) % len(requests)]
                started = time.perf_counter()
                try:
                    status = str(await connection.post(request))
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    status = "connection error"
                elapsed = time.perf_counter() - started
                if poisoned or status == "connection error":
                    # A refused body may close its connection: start a new one.
                    connection.close()
                    connection = await Connection.open(port)
                if poisoned:
                    answers[status] = answers.get(status, 0) + 1
                else:
                    latencies.append(elapsed)
                    errors += status != "200"
        finally:
            connection.close()

    await asyncio.gather(*(client(number) for number in range(clients)))
    return latencies, errors, answers


def body_of(records: list[dict]) -> bytes:
    return json.dumps({"applications": records}).encode()


def report_poisoned_load(
    port: int, bodies: list[bytes], arguments: argparse.Namespace, sharing: str
) -> None:
    started = time.monotonic()
    latencies, errors, answers = asyncio.run(
        run_poisoned_load(
            port,
            bodies,
            arguments.clients,
            arguments.poison_every,
            started + arguments.duration,
        )
    )
    elapsed = time.monotonic() - started
    hostile = ", ".join(f"{count} x {status}" for status, count in answers.items())
    print(
        f"poisoned load for {elapsed:.0f} s, every {arguments.poison_every}th "
        f"request hostile ({sharing}): valid requests {percentiles(latencies)}, "
        f"{errors} errors on valid requests; hostile requests answered "
        f"{hostile}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model-path", type=Path, default=CHAMPION_DATASET_PATH)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--single-requests", type=int, default=2000)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument("--batch-requests", type=int, default=20)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--poison-every",
        type=int,
        default=0,
        help="also run the load with every N-th request a hostile one (0: not)",
    )
    parser.add_argument(
        "--no-pin",
        action="store_true",
        help="let server and client share every core (default: one core each side)",
    )
    arguments = parser.parse_args()

    applications = generate_new_applications(
        max(arguments.batch_size, 2000), seed=arguments.seed
    ).application
    records = request_records(applications)
    singles = [body_of([record]) for record in records[:2000]]
    batch = body_of(records[: arguments.batch_size])

    port = free_port()
    base_url = f"http://{HOST}:{port}"
    server = start_server(arguments.model_path, port, arguments.workers)
    try:
        wait_until_ready(base_url, server, timeout=120)
        # Several workers are child processes, which are not pinned.
        cores = CoreSharing(server.pid, not arguments.no_pin and arguments.workers == 1)
        # Warm-up: first requests pay for lazy imports and allocations.
        asyncio.run(run_clients(port, singles, 2, 20, None))
        print(
            f"server: {arguments.workers} worker(s); client: {arguments.clients} "
            f"concurrent asyncio clients; {load_average()}"
        )

        per_client = max(1, arguments.single_requests // arguments.clients)
        # With several workers the requests are served by child processes.
        one_process = arguments.workers == 1
        sharing = cores.separate()
        cpu = cpu_seconds(server.pid) if one_process else None
        latencies, errors = asyncio.run(
            run_clients(port, singles, arguments.clients, per_client, None)
        )
        print(
            f"single application ({sharing}): {percentiles(latencies)}  errors "
            f"{errors}{cpu_per_request(server, cpu, len(latencies))}"
        )

        sharing = cores.shared()
        cpu = cpu_seconds(server.pid) if one_process else None
        latencies, errors = asyncio.run(
            run_clients(port, [batch], 1, arguments.batch_requests, None)
        )
        print(
            f"{arguments.batch_size} applications per request, one at a time "
            f"({sharing}): median {statistics.median(latencies) * 1000:.1f} ms  "
            f"{percentiles(latencies)}  errors {errors}"
            f"{cpu_per_request(server, cpu, len(latencies))}"
        )

        sharing = cores.separate()
        started = time.monotonic()
        mixed = [*singles[:200], body_of(records[:100])]
        latencies, errors = asyncio.run(
            run_clients(
                port,
                mixed,
                arguments.clients,
                None,
                started + arguments.duration,
            )
        )
        elapsed = time.monotonic() - started
        print(
            f"load for {elapsed:.0f} s ({sharing}): {len(latencies)} requests "
            f"({len(latencies) / elapsed:.0f}/s), {errors} errors; "
            f"{percentiles(latencies)}"
        )
        if arguments.poison_every > 0:
            report_poisoned_load(port, mixed, arguments, sharing)
        print(f"after the runs: {load_average()}")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
