"""The subscriptions API on both databases: bad input answers 422 naming the field and
writes nothing; sinks must be HTTPS and public unless the settings allow otherwise; one system
never sees another's subscriptions; the secret is answered once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from services.subscriptions.store.tables import subscriptions
from tests.harness import RunningService, service_environment

SINK = "http://127.0.0.1:9/hooks"
LOCAL = {"WEBHOOK_ALLOW_HTTP": "true", "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true"}


def running(databases, kafka_bootstrap, signing_keys, **environ) -> RunningService:
    env = service_environment(databases.new("subscriptions"), kafka_bootstrap, "t.", signing_keys[1])
    return RunningService("subscriptions", env | {"RATE_LIMIT_PER_MINUTE": "0"} | environ)


@pytest.fixture
def service(databases, kafka_bootstrap, signing_keys):
    started = running(databases, kafka_bootstrap, signing_keys, **LOCAL)
    yield started
    started.stop()


def bearer(make_token, role="service", subject="icb-reporting") -> dict:
    return {"Authorization": f"Bearer {make_token(role, subject=subject)}"}


def stored(service) -> int:
    with service.runtime.db.read() as conn:
        return conn.execute(select(func.count()).select_from(subscriptions)).scalar_one()


@pytest.mark.parametrize(
    "body, status, field",
    [
        ({"protocol": "HTTP"}, 422, "sink"),
        ({"sink": SINK}, 422, "protocol"),
        ({"sink": SINK, "protocol": "MQTT"}, 422, "protocol"),
        ({"sink": SINK, "protocol": "HTTP", "types": "all"}, 422, "types"),
        ({"sink": SINK, "protocol": "HTTP", "filters": [{"exact": {"region": "Y99"}}]}, 422, "filters"),
        ({"sink": SINK, "protocol": "HTTP", "filters": [{"prefix": {"region": "Y5"}}]}, 422, "filters"),
        ({"sink": SINK, "protocol": "HTTP", "secret": "whsec_mine"}, 422, "secret"),
        ({"sink": SINK, "protocol": "HTTP", "types": ["org.convene.nothing.v1"]}, 422, "types"),
        (
            {"sink": SINK, "protocol": "HTTP", "types": ["org.convene.subscriptions.subscription.paused.v1"]},
            422,
            "types",
        ),
        ({"sink": "https://user:pw@127.0.0.1/hooks", "protocol": "HTTP"}, 422, "sink"),
        ({"sink": "https://no-such-host.invalid/hooks", "protocol": "HTTP"}, 422, "sink"),
    ],
)
def test_bad_subscriptions_are_refused_naming_the_field_and_nothing_is_written(
    service, make_token, body, status, field
):
    answer = service.client.post("/v1/subscriptions", json=body, headers=bearer(make_token))
    assert answer.status_code == status, answer.get_json()
    assert answer.mimetype == "application/problem+json"
    assert field in str(answer.get_json()), answer.get_json()
    assert stored(service) == 0


def test_production_settings_refuse_plain_http_and_private_addresses(
    databases, kafka_bootstrap, signing_keys, make_token
):
    strict = running(databases, kafka_bootstrap, signing_keys)
    try:
        for sink, rule in (
            ("http://example.org/hooks", "sink_not_https"),
            ("https://127.0.0.1/hooks", "sink_address_refused"),
            ("https://localhost/hooks", "sink_address_refused"),
            ("https://169.254.169.254/latest/meta-data", "sink_address_refused"),
            ("https://[::1]/hooks", "sink_address_refused"),
        ):
            answer = strict.client.post(
                "/v1/subscriptions", json={"sink": sink, "protocol": "HTTP"}, headers=bearer(make_token)
            )
            assert (answer.status_code, answer.get_json()["rule"]) == (422, rule), sink
        assert stored(strict) == 0
    finally:
        strict.stop()


def test_a_system_sees_and_changes_only_its_own_subscriptions_and_the_national_team_reads_all(service, make_token):
    mine = service.client.post(
        "/v1/subscriptions",
        json={
            "sink": SINK,
            "protocol": "HTTP",
            "filters": [{"any": [{"exact": {"region": "Y56"}}, {"exact": {"region": "Y58"}}]}],
        },
        headers=bearer(make_token),
    ).get_json()
    assert mine["filters"] == [{"any": [{"exact": {"region": "Y56"}}, {"exact": {"region": "Y58"}}]}]
    other = bearer(make_token, subject="workforce-system")
    path = f"/v1/subscriptions/{mine['id']}"
    assert service.client.get(path, headers=other).status_code == 404
    assert service.client.post(f"{path}/pause", headers=other).status_code == 404
    assert service.client.delete(path, headers=other).status_code == 404
    assert service.client.get("/v1/subscriptions", headers=other).get_json()["items"] == []
    national = bearer(make_token, role="national", subject="national-team")
    assert service.client.get(path, headers=national).status_code == 200
    assert [s["id"] for s in service.client.get("/v1/subscriptions", headers=national).get_json()["items"]] == [
        mine["id"]
    ]
    assert service.client.post(f"{path}/pause", headers=national).status_code == 403
    read = service.client.get(path, headers=bearer(make_token)).get_json()
    assert "secret" not in read and read["owner"] == "icb-reporting"


def test_pause_resume_and_delete_follow_the_owner(service, make_token):
    owner = bearer(make_token)
    created = service.client.post("/v1/subscriptions", json={"sink": SINK, "protocol": "HTTP"}, headers=owner)
    path = f"/v1/subscriptions/{created.get_json()['id']}"
    assert service.client.post(f"{path}/resume", headers=owner).status_code == 409
    paused = service.client.post(f"{path}/pause", headers=owner).get_json()
    assert (paused["status"], paused["paused_reason"]) == ("paused", "paused_by_owner")
    resumed = service.client.post(f"{path}/resume", headers=owner).get_json()
    assert (resumed["status"], resumed["paused_reason"]) == ("active", None)
    assert service.client.delete(path, headers=owner).status_code == 204
    assert service.client.get(path, headers=owner).status_code == 404
    assert stored(service) == 0


def test_a_redelivery_names_one_event_or_a_range_and_nothing_else(service, make_token):
    owner = bearer(make_token)
    created = service.client.post("/v1/subscriptions", json={"sink": SINK, "protocol": "HTTP"}, headers=owner)
    path = f"/v1/subscriptions/{created.get_json()['id']}/redeliveries"
    for body, field in (
        ({}, "event_id"),
        ({"since": "2026-01-01T00:00:00+00:00"}, "event_id"),
        ({"since": "2026-02-01T00:00:00+00:00", "until": "2026-01-01T00:00:00+00:00"}, "until"),
        ({"event_id": "never-delivered"}, "event_id"),
    ):
        answer = service.client.post(path, json=body, headers=owner)
        assert answer.status_code == 422 and field in str(answer.get_json()), (body, answer.get_json())
