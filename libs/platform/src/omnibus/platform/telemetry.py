"""OpenTelemetry bootstrap: one trace per business flow, carried across the bus in the ``traceparent`` header.

HTTP requests open a server span (continuing an incoming ``traceparent``); the event store stamps the current
trace context on every event it records; the relay publishes it with the event; consumers continue it. The
exporter is chosen by settings: ``none`` (default; spans are not recorded at all), ``otlp`` (batched, to the
collector), ``console`` or ``memory`` (tests).
"""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Tracer
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from omnibus.platform.settings import ServiceSettings

_propagator = TraceContextTextMapPropagator()
_memory_exporter: Any = None
_enabled = False  # no SDK installed: spans are not created at all (the hot paths stay free of tracing cost)


def tracer() -> Tracer:
    return trace.get_tracer("omnibus")


def configure_telemetry(settings: ServiceSettings) -> None:
    """Install the process's tracer provider once (later calls keep the first one, as OpenTelemetry does)."""
    global _memory_exporter, _enabled
    if settings.otel_exporter == "none":
        return
    _enabled = True
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    provider = TracerProvider(
        resource=Resource.create({"service.name": f"omnibus-{settings.service_name}"}),
        sampler=ParentBased(TraceIdRatioBased(settings.otel_sample_ratio)),
    )
    if settings.otel_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter(endpoint=settings.otel_endpoint) if settings.otel_endpoint else OTLPSpanExporter()
        provider.add_span_processor(BatchSpanProcessor(exporter))
    elif settings.otel_exporter == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    else:
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

        _memory_exporter = InMemorySpanExporter()
        provider.add_span_processor(SimpleSpanProcessor(_memory_exporter))
    trace.set_tracer_provider(provider)


def memory_exporter() -> Any:
    """The in-memory exporter installed with ``otel_exporter=memory`` (tests)."""
    return _memory_exporter


def extract(carrier: Mapping[str, Any]) -> Context:
    return _propagator.extract({k: str(v) for k, v in carrier.items() if k in ("traceparent", "tracestate")})


def current_traceparent() -> str | None:
    if not _enabled:
        return None
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@contextmanager
def span(
    name: str,
    attributes: Mapping[str, str | int | float | bool | None] | None = None,
    *,
    parent: str | None = None,
    kind: SpanKind = SpanKind.INTERNAL,
) -> Iterator[Span]:
    """A span, child of ``parent`` (a traceparent string) when given, else of the current span."""
    if not _enabled:
        yield trace.INVALID_SPAN
        return
    context = extract({"traceparent": parent}) if parent else None
    with tracer().start_as_current_span(name, context=context, kind=kind) as current:
        for key, value in (attributes or {}).items():
            if value is not None:
                current.set_attribute(key, value)
        yield current
