"""The HTTP shell every service shares, exercised through a small service of its own on both
databases: problem+json for bad input, Idempotency-Key, audit trail, rate limits,
correlation ids, metrics."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import ClassVar

import pytest
from marshmallow import Schema, fields, validate
from sqlalchemy import Column, MetaData, String, Table, func, insert, select

from shared.api import Api
from shared.auth import Role
from shared.config import Settings
from shared.errors import NotFound
from shared.runtime import Runtime
from shared.web import create_service_app

metadata = MetaData()
notes = Table("notes", metadata, Column("id", String(36), primary_key=True), Column("region", String(10)), Column("text", String(100)))


@dataclass(frozen=True)
class ShellSettings(Settings):
    service: ClassVar[str] = "shell"


class NoteIn(Schema):
    text = fields.String(required=True, validate=validate.Length(max=100))


class NoteOut(Schema):
    id = fields.String()
    text = fields.String()


notes_api = Api("notes", __name__)


@notes_api.post("/v1/notes", summary="Write a note", roles=(Role.REGIONAL_ADMIN,), body=NoteIn, response=NoteOut, status=201, idempotent=True)
def write_note(call, body):
    note = {"id": str(uuid.uuid4()), "region": call.principal.region, "text": body["text"]}
    call.conn.execute(insert(notes).values(**note))
    return note


@notes_api.get("/v1/notes/<note_id>", summary="Read a note", roles=(Role.REGIONAL_ADMIN,), response=NoteOut, audited=True)
def read_note(call, note_id):
    note = call.conn.execute(select(notes).where(notes.c.id == note_id)).mappings().first()
    if note is None or note["region"] != call.principal.region:
        raise NotFound("note_not_found", "no such note")
    return note


@pytest.fixture
def shell(databases, signing_keys):
    def build(**environ):
        settings = ShellSettings.load({"DATABASE_URL": databases.new("shell"), "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]), "LOG_LEVEL": "WARNING", **environ})
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
    created = client.post("/v1/notes", json={"text": "hello"}, headers={**_auth(make_token), "X-Correlation-ID": "corr-123"})
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
    assert 'convene_http_request_duration_seconds_count{method="GET",route="/v1/notes/<note_id>",service="shell",status="404"}' in body
    assert 'convene_outbox_backlog{service="shell"} 0.0' in body


def test_readiness_reports_each_dependency(shell):
    client, _ = shell(KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["checks"] == {"database": True, "kafka": False}
