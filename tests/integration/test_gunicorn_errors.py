"""What gunicorn refuses before Flask sees the request (an over-long request line, too many or
too large headers, a request that is not HTTP) is answered like every other Convene error:
problem+json naming the rule, with the security headers, never gunicorn's HTML page. Run against
real gunicorn web processes started with deploy/gunicorn.conf.py, as `make up`, Docker and
Kubernetes start them."""

from __future__ import annotations

import json
import socket

import pytest

from services.registry import SERVICES
from tests.harness import service_environment
from tests.processes import WebProcess

REFUSED = {
    "request line too long": (
        b"GET /v1/offers?q=" + b"a" * 5000 + b" HTTP/1.1\r\nHost: convene\r\n\r\n",
        414,
        "request_line_too_long",
    ),
    "a header too long": (
        b"GET /healthz HTTP/1.1\r\nHost: convene\r\nAuthorization: Bearer " + b"t" * 9000 + b"\r\n\r\n",
        431,
        "headers_too_large",
    ),
    "too many headers": (
        b"GET /healthz HTTP/1.1\r\nHost: convene\r\n"
        + b"".join(b"X-Header-%d: 1\r\n" % n for n in range(120))
        + b"\r\n",
        431,
        "headers_too_large",
    ),
    "not HTTP": (b"HELLO THERE\r\n\r\n", 400, "malformed_request"),
    "a header name with a space": (
        b"GET /healthz HTTP/1.1\r\nHost: convene\r\nBad Name: 1\r\n\r\n",
        400,
        "malformed_request",
    ),
}


def _exchange(port: int, request: bytes) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, value in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


@pytest.fixture
def web_process(tmp_path, kafka_bootstrap, topic_prefix, signing_keys):
    started = []

    def start(service: str, **environ) -> WebProcess:
        settings = service_environment(
            f"sqlite:///{tmp_path / (service + '.db')}", kafka_bootstrap, topic_prefix, signing_keys[1]
        )
        web = WebProcess(service, {**settings, "CONVENE_DATA_DIR": str(tmp_path), **environ}, tmp_path, workers=1)
        started.append(web)
        return web.start()

    yield start
    for web in started:
        web.stop()


@pytest.mark.parametrize("service", SERVICES)
def test_what_gunicorn_refuses_itself_is_a_problem_naming_the_rule_in_every_service(web_process, service):
    web = web_process(service)
    for name, (request, status, rule) in REFUSED.items():
        answered, headers, body = _exchange(web.port, request)
        assert (answered, headers["content-type"]) == (status, "application/problem+json"), (name, body[:300])
        problem = json.loads(body)
        assert (problem["status"], problem["rule"], problem["type"]) == (status, rule, f"urn:convene:problem:{rule}"), (
            name
        )
        assert headers["x-content-type-options"] == "nosniff" and headers["cache-control"] == "no-store", name
        assert (
            "frame-ancestors 'none'" in headers["content-security-policy"] and headers["x-frame-options"] == "DENY"
        ), name
        assert b"<html" not in body and b"aaaa" not in body, name  # no page, no echo of the request
    assert "Using worker: shared.http_worker.ProblemSyncWorker" in web.log()
    assert "aaaa" not in web.log(), "the refused request line (its query may hold personal data) is not logged"


def test_the_threaded_worker_answers_problems_too(web_process):
    web = web_process(
        "enrolment", GUNICORN_CMD_ARGS="--worker-class shared.http_worker.ProblemThreadWorker --threads 2"
    )
    request, status, rule = REFUSED["request line too long"]
    answered, headers, body = _exchange(web.port, request)
    assert (answered, headers["content-type"], json.loads(body)["rule"]) == (status, "application/problem+json", rule)
    assert "Using worker: shared.http_worker.ProblemThreadWorker" in web.log()


def test_a_request_gunicorn_accepts_still_reaches_the_service_with_its_headers(web_process):
    web = web_process("scheduling")
    answered, headers, body = _exchange(
        web.port, b"GET /healthz HTTP/1.1\r\nHost: convene\r\nConnection: close\r\n\r\n"
    )
    assert (answered, json.loads(body)["service"]) == (200, "scheduling")
    assert headers["x-content-type-options"] == "nosniff" and headers["strict-transport-security"] == "max-age=31536000"
