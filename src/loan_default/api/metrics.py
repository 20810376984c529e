"""Prometheus metrics of the API, in a registry of their own per app.

With several uvicorn workers each process counts its own requests; a scrape sees
the worker that answers it (see docs/api.md).
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

LATENCY_BUCKETS = (
    0.002,
    0.005,
    0.01,
    0.02,
    0.03,
    0.05,
    0.1,
    0.15,
    0.25,
    0.5,
    1,
    2.5,
    5,
)
PROBABILITY_BUCKETS = tuple(round(edge / 20, 2) for edge in range(1, 21))
OTHER_ENDPOINT = "other"


class ApiMetrics:
    """Request counts and latency by endpoint, and what the model answered."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, endpoints: Iterable[str]) -> None:
        self.endpoints = frozenset(endpoints)
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "loan_default_api_requests",
            "HTTP requests answered, by endpoint, method and status code.",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "loan_default_api_request_duration_seconds",
            "Time from receiving a request to sending its response, by endpoint.",
            ["endpoint"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.probability = Histogram(
            "loan_default_api_predicted_probability",
            "Predicted probabilities of default.",
            buckets=PROBABILITY_BUCKETS,
            registry=self.registry,
        )
        self.decisions = Counter(
            "loan_default_api_decisions",
            "Decisions at the operating threshold (1: flagged as a likely default).",
            ["decision"],
            registry=self.registry,
        )
        self.model_info = Gauge(
            "loan_default_api_model_info",
            "The served champion (always 1).",
            ["model_version", "algorithm"],
            registry=self.registry,
        )

    def endpoint_label(self, path: str) -> str:
        # Unknown paths share one label, so that scanners cannot grow the series.
        return path if path in self.endpoints else OTHER_ENDPOINT

    def observe_request(
        self, path: str, method: str, status: int, started: float
    ) -> None:
        endpoint = self.endpoint_label(path)
        self.requests.labels(endpoint, method, str(status)).inc()
        self.latency.labels(endpoint).observe(time.perf_counter() - started)

    def observe_predictions(self, predictions: list[dict]) -> None:
        flagged = 0
        for prediction in predictions:
            self.probability.observe(prediction["probability"])
            flagged += prediction["decision"]
        self.decisions.labels("1").inc(flagged)
        self.decisions.labels("0").inc(len(predictions) - flagged)

    def set_model(self, model_version: str, algorithm: str) -> None:
        self.model_info.labels(model_version, algorithm).set(1)

    def render(self) -> bytes:
        return generate_latest(self.registry)
