"""Tracing is off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then no span is made, nothing is
exported and no event carries ce_traceparent. With it on, the same steps carry the trace.
No I/O: the outbox writes to a stand-in connection, spans go to an in-memory exporter."""

import json
from types import SimpleNamespace

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sqlalchemy import MetaData

from services.enrolment.settings import EnrolmentSettings
from shared import tracing
from shared.contracts.enrolment import ENROLMENT_WAITLISTED
from shared.envelope import Envelope
from shared.outbox import Outbox
from shared.tables import SharedTables
from tests.payloads import waitlisted


def _a_request_writing_an_event(tracer) -> tuple[dict, list]:
    """What a web request does: its span (when on), an event through the outbox, then the relay's
    headers of that row and the consumer's span around its handler. The headers sent and the
    traceparent the handler saw."""
    written = []
    # As on SQLite, where the outbox INSERT does not also NOTIFY (shared.outbox).
    conn = SimpleNamespace(execute=lambda _statement, row: written.append(row), dialect=SimpleNamespace(name="sqlite"))
    span = token = None
    if tracer is not None:
        span, token = tracing.start_server_span(tracer, "POST", "/v1/offers/o-1/enrolments", "http", None)
    Outbox(SharedTables(MetaData()).outbox, "t.").record(conn, ENROLMENT_WAITLISTED, waitlisted())
    if span is not None:
        tracing.end_server_span(span, token, "/v1/offers/<offer_id>/enrolments", 201)
    row = SimpleNamespace(**written[0])  # the outbox row, as the relay reads it
    spans = []
    sent = dict(tracing.publish_headers(tracer, row, spans))
    tracing.end_spans(spans)
    message = SimpleNamespace(topic=row.topic, partition=0, offset=7)
    seen = []
    with tracing.process_span(
        tracer, Envelope.from_kafka(list(sent.items()), row.value.encode()), message, "t.scheduling.rosters"
    ):
        seen.append(tracing.current_traceparent())
    return sent, seen


def test_with_no_endpoint_nothing_is_traced_exported_or_sent_in_ce_traceparent(monkeypatch):
    exported = []
    monkeypatch.setattr(OTLPSpanExporter, "export", lambda self, spans: exported.extend(spans))
    monkeypatch.setattr(tracing, "_provider", lambda *_: pytest.fail("no provider may be made with tracing off"))
    for endpoint in ("", "  "):
        settings = EnrolmentSettings.load({"OTEL_EXPORTER_OTLP_ENDPOINT": endpoint})
        assert tracing.tracer(settings) is None
    sent, seen = _a_request_writing_an_event(None)
    assert "ce_traceparent" not in sent and sent["ce_type"] == ENROLMENT_WAITLISTED.type.encode()
    assert seen == [None] and exported == []


def test_with_a_tracer_the_request_the_publish_and_the_handler_share_one_trace():
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    sent, seen = _a_request_writing_an_event(provider.get_tracer("test"))
    request, publish, process = sorted(exporter.get_finished_spans(), key=lambda s: s.start_time)
    assert (
        request.name == "POST /v1/offers/<offer_id>/enrolments"
        and request.attributes["http.response.status_code"] == 201
    )
    topic = ENROLMENT_WAITLISTED.topic.address("t.")
    assert publish.name == f"publish {topic}" and publish.parent.span_id == request.context.span_id
    assert process.name == f"process {topic}" and process.parent.span_id == publish.context.span_id
    assert len({request.context.trace_id, publish.context.trace_id, process.context.trace_id}) == 1
    assert (
        sent["ce_traceparent"]
        .decode()
        .startswith(f"00-{publish.context.trace_id:032x}-{publish.context.span_id:016x}-")
    )
    assert seen[0].startswith(f"00-{process.context.trace_id:032x}-{process.context.span_id:016x}-")
    assert json.loads(json.dumps(dict(process.attributes)))["messaging.consumer.group.name"] == "t.scheduling.rosters"
