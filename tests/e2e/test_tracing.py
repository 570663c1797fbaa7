"""One trace from enrolment's HTTP request, through its outbox and the relay's publish on the
real broker, into scheduling's handler, exported by OTLP/HTTP to a real receiver: an HTTP
server here that decodes each ExportTraceServiceRequest as a collector would."""

import gzip
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.trace.v1.trace_pb2 import Span
from sqlalchemy import select

from services.enrolment.usecases.reference import import_files
from tests.e2e.test_scheduling_rosters import REGION, SAMPLE, Enrolment
from tests.harness import RunningService, eventually, service_environment


class Receiver(ThreadingHTTPServer):
    """A collector's OTLP/HTTP traces endpoint: every span it was sent, with its service's name."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.spans: list[tuple[str, Span]] = []
        self.lock = threading.Lock()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def received(self) -> list[tuple[str, Span]]:
        with self.lock:
            return list(self.spans)


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.headers.get("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        if self.path != "/v1/traces" or self.headers.get("Content-Type") != "application/x-protobuf":
            self.send_response(404)
            self.end_headers()
            return
        request = ExportTraceServiceRequest.FromString(body)
        with self.server.lock:
            for resource_spans in request.resource_spans:
                service = {a.key: a.value.string_value for a in resource_spans.resource.attributes}["service.name"]
                self.server.spans += [(service, span) for scope in resource_spans.scope_spans for span in scope.spans]
        answer = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def traced_stack(databases, kafka_bootstrap, topic_prefix, signing_keys, receiver, monkeypatch):
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "200")  # the SDK's batch exporter sends every 200 ms, not every 5 s
    running = {}
    for name in ("enrolment", "scheduling"):
        environ = service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        running[name] = RunningService(name, {**environ, "OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint})
    with running["enrolment"].runtime.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
    for service in running.values():
        service.start_worker()
    yield running
    for service in running.values():
        service.stop()


@pytest.mark.parametrize("databases", ["sqlite"], indirect=True)  # tracing does not touch the database's kind
def test_one_trace_runs_from_enrolments_request_through_the_relay_into_schedulings_handler(
    traced_stack, receiver, make_token
):
    admin = {"Authorization": "Bearer " + make_token("regional_admin", REGION)}
    enrolment = Enrolment(traced_stack["enrolment"], admin)
    offer_id = enrolment.offer("Traced set")
    person = enrolment.participant(1)
    assert enrolment.enrol(offer_id, person)["status"] == "confirmed"
    route = "/v1/offers/<offer_id>/enrolments"

    def the_three_spans():
        spans = receiver.received()
        requests = [
            s
            for service, s in spans
            if service == "enrolment" and s.kind == Span.SPAN_KIND_SERVER and s.name == f"POST {route}"
        ]
        if not requests:
            return None
        trace_id = requests[0].trace_id
        publishes = [
            s
            for service, s in spans
            if service == "enrolment" and s.kind == Span.SPAN_KIND_PRODUCER and s.trace_id == trace_id
        ]
        handlers = [
            s
            for service, s in spans
            if service == "scheduling" and s.kind == Span.SPAN_KIND_CONSUMER and s.trace_id == trace_id
        ]
        return (requests[0], publishes, handlers) if publishes and handlers else None

    request, publishes, handlers = eventually(
        the_three_spans, timeout=30, message="the request's, the relay's and scheduling's spans in one trace"
    )

    attributes = {a.key: a.value for a in request.attributes}
    assert attributes["http.request.method"].string_value == "POST" and attributes["http.route"].string_value == route
    assert attributes["http.response.status_code"].int_value == 201
    # Each publish span is a child of the request's span, and scheduling's handler of a publish span:
    # the relay sent that span's context in ce_traceparent.
    assert {p.parent_span_id for p in publishes} == {request.span_id}
    assert {h.parent_span_id for h in handlers} <= {p.span_id for p in publishes}
    confirmed = [
        h for h in handlers if _attribute(h, "cloudevents.event_type") == "org.convene.enrolment.enrolment.confirmed.v1"
    ]
    assert (
        confirmed
        and confirmed[0].name.startswith("process ")
        and _attribute(confirmed[0], "messaging.system") == "kafka"
    )
    assert _attribute(confirmed[0], "messaging.consumer.group.name").startswith(
        traced_stack["scheduling"].settings.topic_prefix + "scheduling."
    )

    # The request's context is what its outbox rows hold.
    db = traced_stack["enrolment"].runtime.db
    with db.read() as conn:
        headers = [dict(json.loads(h)) for h in conn.execute(select(db.tables.outbox.c.headers)).scalars()]
    assert any(
        h.get("ce_traceparent", "").startswith(f"00-{request.trace_id.hex()}-{request.span_id.hex()}-") for h in headers
    )


def _attribute(span: Span, key: str) -> str:
    return next(a.value.string_value for a in span.attributes if a.key == key)
