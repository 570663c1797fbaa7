"""The HTTP shell every service shares, exercised through a small service of its own on both
databases: problem+json for bad input, JSON only as JSON, Idempotency-Key, audit trail, rate
limits, correlation ids, metrics, security headers, and errors that never leak internals."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import ClassVar

import pytest
from marshmallow import Schema, fields, validate
from sqlalchemy import Column, MetaData, String, Table, create_engine, func, insert, select
from werkzeug.exceptions import BadRequest

from shared.api import Api
from shared.auth import Role
from shared.config import Settings
from shared.errors import NotFound
from shared.runtime import Runtime
from shared.web import create_service_app

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(10)),
    Column("text", String(100)),
)


@dataclass(frozen=True)
class ShellSettings(Settings):
    service: ClassVar[str] = "shell"


class NoteIn(Schema):
    text = fields.String(required=True, validate=validate.Length(max=100))


class NoteOut(Schema):
    id = fields.String()
    text = fields.String()


notes_api = Api("notes", __name__)


@notes_api.post(
    "/v1/notes",
    summary="Write a note",
    roles=(Role.REGIONAL_ADMIN,),
    body=NoteIn,
    response=NoteOut,
    status=201,
    idempotent=True,
)
def write_note(call, body):
    note = {"id": str(uuid.uuid4()), "region": call.principal.region, "text": body["text"]}
    call.conn.execute(insert(notes).values(**note))
    return note


@notes_api.get(
    "/v1/notes/<note_id>", summary="Read a note", roles=(Role.REGIONAL_ADMIN,), response=NoteOut, audited=True
)
def read_note(call, note_id):
    note = call.conn.execute(select(notes).where(notes.c.id == note_id)).mappings().first()
    if note is None or note["region"] != call.principal.region:
        raise NotFound("note_not_found", "no such note")
    return note


@pytest.fixture
def shell(databases, signing_keys):
    def build(**environ):
        settings = ShellSettings.load(
            {
                "DATABASE_URL": databases.new("shell"),
                "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]),
                "LOG_LEVEL": "WARNING",
                **environ,
            }
        )
        runtime = Runtime.build(settings, metadata)
        runtime.db.create_schema()
        built.append(runtime)
        return create_service_app(runtime, [notes_api], title="shell", description="test").test_client(), runtime

    built = []
    yield build
    for runtime in built:
        runtime.db.dispose()


def _auth(make_token, region="Y56", subject="admin-a"):
    return {"Authorization": "Bearer " + make_token("regional_admin", region, subject)}


def _count(runtime, table) -> int:
    with runtime.db.read() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


@pytest.mark.parametrize(
    "body, status, rule, field",
    [
        (b"{not json", 400, "malformed_json", "_body"),
        (b"[1, 2]", 400, "body_not_object", "_body"),
        (b'{"text": "ok", "id": "mine"}', 422, "invalid_request", "id"),
        (b'{"text": 42}', 422, "invalid_request", "text"),
        (b"{}", 422, "invalid_request", "text"),
        (b'{"text": "' + b"x" * 101 + b'"}', 422, "invalid_request", "text"),
    ],
    ids=["malformed", "not an object", "unknown field", "wrong type", "missing", "too long"],
)
def test_bad_input_is_a_problem_that_names_the_field_and_writes_nothing(shell, make_token, body, status, rule, field):
    client, runtime = shell()
    response = client.post("/v1/notes", data=body, headers={**_auth(make_token), "Content-Type": "application/json"})
    assert response.status_code == status
    assert response.mimetype == "application/problem+json"
    assert response.json["rule"] == rule
    assert field in {error["field"] for error in response.json["errors"]}
    assert _count(runtime, notes) == 0 and _count(runtime, runtime.db.tables.audit) == 0


def test_a_body_over_the_limit_is_refused_with_413(shell, make_token):
    client, runtime = shell(MAX_BODY_BYTES="200")
    response = client.post("/v1/notes", json={"text": "x" * 300}, headers=_auth(make_token))
    assert response.status_code == 413 and response.json["rule"] == "body_too_large"
    assert _count(runtime, notes) == 0


def test_the_same_idempotency_key_answers_the_first_result_and_writes_once(shell, make_token):
    client, runtime = shell()
    headers = {**_auth(make_token), "Idempotency-Key": "note-1"}
    first = client.post("/v1/notes", json={"text": "hello"}, headers=headers)
    again = client.post("/v1/notes", json={"text": "hello"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json == first.json and again.headers["Idempotent-Replayed"] == "true"
    assert _count(runtime, notes) == 1
    other = client.post("/v1/notes", json={"text": "different"}, headers=headers)
    assert other.status_code == 422 and other.json["rule"] == "idempotency_key_reused"


def test_writes_and_personal_reads_are_audited_and_each_admin_sees_only_their_region(shell, make_token):
    client, _ = shell()
    created = client.post(
        "/v1/notes", json={"text": "hello"}, headers={**_auth(make_token), "X-Correlation-ID": "corr-123"}
    )
    assert created.headers["X-Correlation-ID"] == "corr-123"
    client.get(f"/v1/notes/{created.json['id']}", headers=_auth(make_token))
    trail = client.get("/v1/audit", headers=_auth(make_token)).json
    assert [(e["action"], e["route"], e["record_id"]) for e in trail["items"]] == [
        ("GET", "/v1/notes/<note_id>", created.json["id"]),
        ("POST", "/v1/notes", created.json["id"]),
    ]
    assert trail["items"][1]["correlation_id"] == "corr-123" and trail["items"][1]["subject"] == "admin-a"
    assert "hello" not in str(trail)  # no payloads
    assert client.get("/v1/audit", headers=_auth(make_token, region="Y63")).json["items"] == []


def test_a_flooding_token_gets_429_while_others_still_pass(shell, make_token):
    client, _ = shell(RATE_LIMIT_PER_MINUTE="3")
    statuses = [client.get("/v1/notes/none", headers=_auth(make_token)).status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
    refused = client.get("/v1/notes/none", headers=_auth(make_token))
    assert refused.mimetype == "application/problem+json" and int(refused.headers["Retry-After"]) >= 1
    assert client.get("/v1/notes/none", headers=_auth(make_token, subject="admin-b")).status_code == 404


def test_metrics_report_request_latency_and_the_outbox_backlog(shell, make_token):
    client, _ = shell()
    client.get("/v1/notes/none", headers=_auth(make_token))
    body = client.get("/metrics").get_data(as_text=True)
    assert (
        'convene_http_request_duration_seconds_count{method="GET",route="/v1/notes/<note_id>",service="shell",status="404"}'
        in body
    )
    assert 'convene_outbox_backlog{service="shell"} 0.0' in body


def test_readiness_is_the_database_alone_and_the_broker_shows_in_the_details_and_metrics(shell):
    client, _ = shell(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json["checks"]) == (200, {"database": True})
    details = client.get("/healthz/details")
    assert details.status_code == 200
    assert details.json == {
        "status": "degraded",
        "service": "shell",
        "checks": {"database": True, "kafka": False},
        "outbox": {"backlog": 0, "oldest_age_seconds": 0.0},
    }
    assert 'convene_kafka_reachable{service="shell"} 0.0' in client.get("/metrics").get_data(as_text=True)


def test_the_details_report_a_reachable_broker(shell, kafka_bootstrap):
    client, _ = shell(KAFKA_BOOTSTRAP_SERVERS=kafka_bootstrap)
    assert client.get("/healthz/details").json["checks"] == {"database": True, "kafka": True}
    assert 'convene_kafka_reachable{service="shell"} 1.0' in client.get("/metrics").get_data(as_text=True)


def test_readiness_fails_when_the_database_is_away(shell):
    client, runtime = shell()
    runtime.db.engine.dispose()
    runtime.db.engine = create_engine("postgresql+psycopg://convene@127.0.0.1:1/gone")  # nothing listens there
    ready = client.get("/readyz")
    assert (ready.status_code, ready.json["checks"]) == (503, {"database": False})


# --- Only JSON is read as JSON -------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type, body",
    [
        ("text/plain", b'{"text": "hello"}'),
        ("text/plain;charset=UTF-8", b'{"text": "hello"}'),
        ("application/x-www-form-urlencoded", b'{"text": "hello"}'),
        ("application/x-www-form-urlencoded", b"text=hello"),
        (
            "multipart/form-data; boundary=x",
            b'--x\r\nContent-Disposition: form-data; name="text"\r\n\r\nhello\r\n--x--\r\n',
        ),
        ("application/xml", b"<note><text>hello</text></note>"),
        ("text/xml", b'{"text": "hello"}'),
        ("application/jsonx", b'{"text": "hello"}'),
        ("application/json; charset=latin-1", b'{"text": "hello"}'),
        (None, b'{"text": "hello"}'),
    ],
    ids=[
        "text",
        "text in UTF-8",
        "form holding JSON",
        "form",
        "multipart form",
        "XML",
        "JSON as XML",
        "a lookalike",
        "JSON in Latin-1",
        "undeclared",
    ],
)
def test_a_body_that_is_not_declared_as_json_is_refused_with_415_and_nothing_is_written(
    shell, make_token, content_type, body
):
    client, runtime = shell()
    headers = {**_auth(make_token), **({"Content-Type": content_type} if content_type else {})}
    response = client.post("/v1/notes", data=body, headers=headers)
    assert (response.status_code, response.mimetype, response.json["rule"]) == (
        415,
        "application/problem+json",
        "unsupported_media_type",
    )
    assert response.json["errors"] == [{"field": "Content-Type", "message": "must be application/json"}]
    assert _count(runtime, notes) == 0 and _count(runtime, runtime.db.tables.audit) == 0


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "application/json;charset=UTF-8",
        "Application/JSON",
        "application/merge-patch+json",
        "application/vnd.convene.note+json",
    ],
)
def test_json_is_accepted_as_application_json_or_any_application_plus_json_type_in_utf8(
    shell, make_token, content_type
):
    client, runtime = shell()
    response = client.post(
        "/v1/notes", data='{"text": "héllo"}'.encode(), headers={**_auth(make_token), "Content-Type": content_type}
    )
    assert response.status_code == 201 and response.json["text"] == "héllo"


# --- Security headers on every answer ------------------------------------------------------

EVERYWHERE = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000",
}


def test_every_answer_carries_the_security_headers_and_every_v1_answer_is_never_stored(shell, make_token):
    client, _ = shell()
    created = client.post("/v1/notes", json={"text": "hello"}, headers=_auth(make_token))
    answers = {
        "created": created,
        "personal read": client.get(f"/v1/notes/{created.json['id']}", headers=_auth(make_token)),
        "not found": client.get("/v1/notes/none", headers=_auth(make_token)),
        "no token": client.get("/v1/notes/none"),
        "unknown /v1 path": client.get("/v1/nothing-here", headers=_auth(make_token)),
        "health": client.get("/healthz"),
        "openapi": client.get("/openapi.json"),
        "metrics": client.get("/metrics"),
        "not found outside /v1": client.get("/nowhere"),
        "docs": client.get("/docs"),
    }
    for name, answer in answers.items():
        assert {header: answer.headers.get(header) for header in EVERYWHERE} == EVERYWHERE, name
        assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"], name
    for name in ("created", "personal read", "not found", "no token", "unknown /v1 path"):
        assert answers[name].headers["Cache-Control"] == "no-store", name
    assert answers["health"].headers["Content-Security-Policy"].startswith("default-src 'none'")


def test_hsts_can_be_switched_off(shell):
    client, _ = shell(HSTS_MAX_AGE_SECONDS="0")
    assert "Strict-Transport-Security" not in client.get("/healthz").headers


def test_a_method_a_resource_does_not_answer_is_a_405_problem_that_lists_the_allowed_ones(shell, make_token):
    client, _ = shell()
    for method, path in (("DELETE", "/v1/notes/n1"), ("PUT", "/v1/notes"), ("POST", "/healthz")):
        response = client.open(path, method=method, headers=_auth(make_token))
        assert (response.status_code, response.mimetype, response.json["rule"]) == (
            405,
            "application/problem+json",
            "method_not_allowed",
        ), path
        allowed = {method.strip() for method in response.headers["Allow"].split(",")}
        assert allowed >= ({"GET"} if path != "/v1/notes" else {"POST"}), path


def test_the_docs_page_runs_only_same_origin_scripts_under_a_policy_swagger_ui_can_work_with(shell):
    client, _ = shell()
    page = client.get("/docs")
    policy = dict(directive.strip().split(" ", 1) for directive in page.headers["Content-Security-Policy"].split(";"))
    assert (
        policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'" and policy["default-src"] == "'none'"
    )
    assert (
        {"'self'", "data:"} <= set(policy["img-src"].split())
        and policy["connect-src"] == "'self'"
        and "'self'" in policy["style-src"]
    )
    html = page.get_data(as_text=True)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    assert scripts and all(body.strip() == "" and 'src="/' in attributes for attributes, body in scripts), (
        "no inline script"
    )
    for asset in re.findall(r'(?:src|href)="(/[^"]+)"', html):
        loaded = client.get(asset)
        assert loaded.status_code == 200 and loaded.headers["X-Content-Type-Options"] == "nosniff", asset
    start = client.get("/docs/start.js").get_data(as_text=True)
    assert "persistAuthorization: false" in start and '"/openapi.json"' in start


# --- Errors never carry internals ------------------------------------------------------------

leaky_api = Api("leaky", __name__)


@leaky_api.get("/v1/leaky/<kind>", summary="Fail", roles=(Role.REGIONAL_ADMIN,))
def fail(call, kind):
    secret = "password=hunter2 at /srv/convene/shared/db.py line 12"
    if kind == "library":
        raise BadRequest(description=f"Failed to decode: {secret}")
    raise RuntimeError(secret)


@pytest.mark.parametrize("kind, status", [("library", 400), ("crash", 500)])
def test_an_error_answer_never_carries_the_text_of_the_exception_behind_it(
    databases, signing_keys, make_token, kind, status
):
    settings = ShellSettings.load(
        {"DATABASE_URL": databases.new("shell"), "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]), "LOG_LEVEL": "CRITICAL"}
    )
    runtime = Runtime.build(settings, metadata)
    runtime.db.create_schema()
    try:
        client = create_service_app(runtime, [notes_api, leaky_api], title="shell", description="test").test_client()
        response = client.get(f"/v1/leaky/{kind}", headers=_auth(make_token))
        assert (response.status_code, response.mimetype) == (status, "application/problem+json")
        assert not re.search("hunter2|/srv|db.py|decode", response.get_data(as_text=True))
    finally:
        runtime.db.dispose()
