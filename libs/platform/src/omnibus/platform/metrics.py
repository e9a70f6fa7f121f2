"""Prometheus metrics for SREs: request rate and latency per endpoint, relay and projection lag, consumer outcomes
and lag, dead letters, external calls and saga outcomes.

Hot paths only touch pre-created metric objects (a label lookup and an add, about a microsecond). Lags are read
when Prometheus scrapes: a collector asks each running service for its relay and projection positions and its
store's head, so nothing is computed per event. The API role serves ``/metrics`` on its HTTP port; a workers
process serves it on ``OMNIBUS_METRICS_PORT`` when set. The gateway does not route ``/metrics``: scrape services
on their own ports. Queue depths come from RabbitMQ's own Prometheus plugin.
"""

import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Protocol

from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from omnibus.platform.telemetry import span

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

HTTP_REQUESTS = Histogram(
    "omnibus_http_request_duration_seconds",
    "HTTP requests by endpoint (route template) and status, with their latency",
    ["service", "method", "route", "status"],
    buckets=LATENCY_BUCKETS,
)
CONSUMED = Counter(
    "omnibus_consumer_messages",
    "Messages handled by a subscription, by outcome (ok, retried, dead_lettered)",
    ["queue", "outcome"],
)
CONSUMER_LAG = Gauge(
    "omnibus_consumer_lag_seconds", "Age of the newest event a subscription has handled, when handled", ["queue"]
)
EXTERNAL_CALLS = Histogram(
    "omnibus_external_call_duration_seconds",
    "Calls to external systems (CGRateS, Stripe, Mailjet, SMSC, CBC, Ansible) by outcome",
    ["system", "operation", "outcome"],
    buckets=LATENCY_BUCKETS,
)
SAGAS = Histogram(
    "omnibus_saga_duration_seconds",
    "Sagas from start to end, by outcome",
    ["saga", "outcome"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)


def record_consumed(queue: str, ok: int, retried: int, dead_lettered: int) -> None:
    for outcome, count in (("ok", ok), ("retried", retried), ("dead_lettered", dead_lettered)):
        if count:
            CONSUMED.labels(queue, outcome).inc(count)


@contextmanager
def external_call(system: str, operation: str, **attributes: str | int | None) -> Iterator[None]:
    """One call to an external system: a client span (with ``attributes``; never secrets) and its latency by
    outcome. An exception counts as ``error`` and propagates."""
    started = time.perf_counter()
    outcome = "error"
    try:
        with span(f"{system} {operation}", {"peer.service": system, **attributes}, kind=SpanKind.CLIENT):
            yield
        outcome = "ok"
    finally:
        EXTERNAL_CALLS.labels(system, operation, outcome).observe(time.perf_counter() - started)


class Positions(Protocol):
    """What a running service tells the scrape: its name, store head, and relay/projection positions."""

    name: str

    def metric_positions(self) -> tuple[int | None, int | None, dict[str, int]]: ...


class _PositionsCollector(Collector):
    def __init__(self) -> None:
        self.services: weakref.WeakSet[Any] = weakref.WeakSet()

    def collect(self) -> Iterator[GaugeMetricFamily]:
        head = GaugeMetricFamily(
            "omnibus_eventstore_head", "Last notification id in a service's store", labels=["service"]
        )
        relay = GaugeMetricFamily(
            "omnibus_relay_lag_events", "Recorded events the relay has not yet had confirmed", labels=["service"]
        )
        projection = GaugeMetricFamily(
            "omnibus_projection_lag_events",
            "Recorded events a projection has not applied",
            labels=["service", "projection"],
        )
        for service in list(self.services):
            try:
                last, relayed, projected = service.metric_positions()
            except Exception:  # store unreachable: no sample rather than a failed scrape
                continue
            if last is None:
                continue
            head.add_metric([service.name], last)
            if relayed is not None:
                relay.add_metric([service.name], max(last - relayed, 0))
            for name, position in projected.items():
                projection.add_metric([service.name, name], max(last - position, 0))
        yield from (head, relay, projection)


_positions = _PositionsCollector()
REGISTRY.register(_positions)


def watch(service: Positions) -> None:
    """Report this service's lags at every scrape, until ``unwatch`` (its stop)."""
    _positions.services.add(service)


def unwatch(service: Positions) -> None:
    _positions.services.discard(service)


def exposition() -> tuple[bytes, str]:
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def serve(port: int, host: str = "0.0.0.0") -> None:
    """``/metrics`` on its own port (workers processes, which have no HTTP API)."""
    from prometheus_client import start_http_server

    start_http_server(port, addr=host)
