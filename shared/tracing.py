"""OpenTelemetry traces from an HTTP request through the outbox and Kafka into every consumer.

On when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans go by OTLP/HTTP to `<endpoint>/v1/traces`,
with the service's name as `service.name`. Off (the default) `tracer()` is None and each step
below costs one comparison: no span, no exporter, no `ce_traceparent` header.

The trace travels as a W3C traceparent: the web request's server span is stored with each
event the request writes to the outbox (the envelope's `traceparent`, in the row's headers);
the relay publishes the row under a producer span ("publish <topic>") whose context replaces
`ce_traceparent`; a consumer runs each handler in a consumer span ("process <topic>")
continuing it. Span names and attributes follow OpenTelemetry's semantic conventions for
HTTP servers and messaging. Attributes hold routes, ids and types, never a value of an event.
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager, nullcontext

from opentelemetry import context, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.config import Settings

_PROPAGATOR = TraceContextTextMapPropagator()
_PROVIDERS: dict[tuple[str, str], object] = {}
_LOCK = threading.Lock()
TRACEPARENT_HEADER = "ce_traceparent"


def tracer(settings: Settings):
    """The service's tracer, exporting by OTLP/HTTP; None when OTEL_EXPORTER_OTLP_ENDPOINT is empty.
    One provider (one batch exporter thread) per service and endpoint in a process."""
    endpoint = settings.otel_exporter_otlp_endpoint.strip()
    if not endpoint:
        return None
    key = (settings.service, endpoint)
    with _LOCK:
        if key not in _PROVIDERS:
            _PROVIDERS[key] = _provider(settings.service, endpoint)
        return _PROVIDERS[key].get_tracer("convene")


def _provider(service: str, endpoint: str):
    # Imported only when tracing is on: the SDK and exporter cost nothing to a process without it.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    # The standard variable names the collector's base URL; traces go to its /v1/traces.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")))
    return provider


def current_traceparent() -> str | None:
    """The W3C traceparent of the span being handled (a request's, a handler's), or None."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get("traceparent")


def _parent(traceparent: str | None):
    return _PROPAGATOR.extract({"traceparent": traceparent}) if traceparent else context.Context()


def start_server_span(tracer, method: str, path: str, scheme: str, traceparent: str | None):
    """Open and make current the server span of a web request; returns (span, token) for end_server_span."""
    span = tracer.start_span(
        method,
        context=_parent(traceparent),
        kind=SpanKind.SERVER,
        attributes={"http.request.method": method, "url.path": path, "url.scheme": scheme},
    )
    return span, context.attach(trace.set_span_in_context(span))


def end_server_span(span, token, route: str | None, status: int | None) -> None:
    if route:
        span.update_name(f"{span.name} {route}")
        span.set_attribute("http.route", route)
    if status is not None:
        span.set_attribute("http.response.status_code", status)
        if status >= 500:
            span.set_attribute("error.type", str(status))
            span.set_status(Status(StatusCode.ERROR))
    context.detach(token)
    span.end()


def publish_headers(tracer, row, spans: list) -> list[tuple[str, bytes]]:
    """The Kafka headers of an outbox row. With tracing on, a producer span is started for it,
    as a child of the context the row was written in, and its traceparent is the one sent;
    the span goes into `spans` for end_spans once Kafka has answered."""
    headers = [(name, value) for name, value in json.loads(row.headers)]
    if tracer is not None:
        attributes = dict(headers)
        span = tracer.start_span(
            f"publish {row.topic}",
            context=_parent(attributes.get(TRACEPARENT_HEADER)),
            kind=SpanKind.PRODUCER,
            attributes={
                "messaging.system": "kafka",
                "messaging.operation.type": "send",
                "messaging.operation.name": "publish",
                "messaging.destination.name": row.topic,
                "messaging.kafka.message.key": row.key,
                "cloudevents.event_id": attributes.get("ce_id", ""),
                "cloudevents.event_type": attributes.get("ce_type", ""),
                "cloudevents.event_source": attributes.get("ce_source", ""),
            },
        )
        spans.append(span)
        carrier: dict[str, str] = {}
        _PROPAGATOR.inject(carrier, context=trace.set_span_in_context(span))
        headers = [(name, value) for name, value in headers if name != TRACEPARENT_HEADER] + [
            (TRACEPARENT_HEADER, carrier["traceparent"])
        ]
    return [(name, value.encode()) for name, value in headers]


def end_spans(spans: list, error: BaseException | None = None) -> None:
    for span in spans:
        if error is not None:
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(Status(StatusCode.ERROR))
        span.end()


def process_span(tracer, envelope, message, group: str):
    """The consumer span around one handler, continuing the event's trace; a no-op when off."""
    if tracer is None:
        return nullcontext()
    return _process_span(tracer, envelope, message, group)


@contextmanager
def _process_span(tracer, envelope, message, group: str):
    attributes = {
        "messaging.system": "kafka",
        "messaging.operation.type": "process",
        "messaging.operation.name": "process",
        "messaging.destination.name": message.topic,
        "messaging.destination.partition.id": str(message.partition),
        "messaging.kafka.offset": message.offset,
        "messaging.consumer.group.name": group,
        "cloudevents.event_id": envelope.id,
        "cloudevents.event_type": envelope.type,
        "cloudevents.event_source": envelope.source,
    }
    with tracer.start_as_current_span(
        f"process {message.topic}",
        context=_parent(envelope.traceparent),
        kind=SpanKind.CONSUMER,
        attributes=attributes,
        record_exception=False,
        set_status_on_exception=False,
    ) as span:
        try:
            yield span
        except BaseException as error:
            # The class only: an exception's message can carry values (shared.consumer._describe).
            span.set_attribute("error.type", type(error).__name__)
            span.set_status(Status(StatusCode.ERROR))
            raise
