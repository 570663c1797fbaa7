"""The subscriptions API on both databases: bad input answers 422 naming the field and
writes nothing; sinks must be HTTPS and public unless the settings allow otherwise; one system
never sees another's subscriptions; the secret is answered once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import column as sa_column
from sqlalchemy import func, select, text
from sqlalchemy import table as sa_table

from services.registry import declaration
from services.subscriptions.domain.ordering import Pending
from services.subscriptions.domain.secrets import new_secret
from services.subscriptions.store import deliveries, secrets
from services.subscriptions.store.tables import deliveries as table
from services.subscriptions.store.tables import subscriptions
from services.subscriptions.usecases import attempts
from shared import migrate
from shared.sealing import new_kek_text
from tests.harness import PERSONAL_DATA_KEY, RunningService, service_environment

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


def test_a_creation_with_an_idempotency_key_is_made_once_and_its_repeat_answers_the_same_secret(service, make_token):
    owner = {**bearer(make_token), "Idempotency-Key": "subscribe-1"}
    body = {"sink": SINK, "protocol": "HTTP"}
    first = service.client.post("/v1/subscriptions", json=body, headers=owner)
    again = service.client.post("/v1/subscriptions", json=body, headers=owner)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    assert again.get_json()["id"] == first.get_json()["id"] and again.get_json()["secret"] == first.get_json()["secret"]
    assert stored(service) == 1
    other = service.client.post("/v1/subscriptions", json={**body, "types": []}, headers=owner)
    assert other.status_code == 422 and other.get_json()["rule"] == "idempotency_key_reused"
    someone_else = {**bearer(make_token, subject="workforce-system"), "Idempotency-Key": "subscribe-1"}
    theirs = service.client.post("/v1/subscriptions", json=body, headers=someone_else)
    assert theirs.status_code == 201 and theirs.get_json()["id"] != first.get_json()["id"], "keys are per system"
    secret = first.get_json()["secret"]
    with service.runtime.db.read() as conn:
        kept = [row.body for row in conn.execute(select(service.runtime.db.tables.idempotency))]
        columns = conn.execute(select(subscriptions)).all()
    assert len(kept) == 2 and not [body for body in kept if secret in body], "the key table never keeps the secret"
    assert not [row for row in columns if secret in str(tuple(row))], "nor does the subscriptions table, unsealed"


def test_signing_secrets_are_sealed_and_a_new_key_encryption_key_rewraps_them(
    databases, kafka_bootstrap, signing_keys, make_token
):
    url = databases.new("subscriptions")
    env = service_environment(url, kafka_bootstrap, "t.", signing_keys[1]) | LOCAL | {"RATE_LIMIT_PER_MINUTE": "0"}
    first = RunningService("subscriptions", env)
    try:
        created = first.client.post(
            "/v1/subscriptions", json={"sink": SINK, "protocol": "HTTP"}, headers=bearer(make_token)
        ).get_json()
        rotated = first.client.post(f"/v1/subscriptions/{created['id']}/secret", headers=bearer(make_token)).get_json()
        listed = first.client.get("/v1/subscriptions", headers=bearer(make_token)).get_json()["items"]
        assert "secret" not in listed[0] and "previous_secret" not in listed[0]
    finally:
        first.stop()
    new_kek = new_kek_text()
    rotating = RunningService("subscriptions", env | {"PERSONAL_DATA_KEY": f"{new_kek},{env['PERSONAL_DATA_KEY']}"})
    try:
        with rotating.runtime.db.transaction() as conn:
            assert secrets.rewrap(conn) >= 2  # both secrets (and the service's own keys, if any)
    finally:
        rotating.stop()
    rotated_only = RunningService("subscriptions", env | {"PERSONAL_DATA_KEY": new_kek})
    try:
        with rotated_only.runtime.db.read() as conn:
            assert secrets.opened(conn, created["id"]) == (rotated["secret"], created["secret"])
    finally:
        rotated_only.stop()


def _subscription(service, make_token) -> str:
    created = service.client.post(
        "/v1/subscriptions", json={"sink": SINK, "protocol": "HTTP"}, headers=bearer(make_token)
    )
    return created.get_json()["id"]


def _delivery(conn, subscription_id: str, event_id: str, event_time: datetime, key="offer-a", **values) -> int:
    deliveries.add(
        conn,
        {
            "subscription_id": subscription_id,
            "event_id": event_id,
            "event_type": "org.convene.enrolment.offer.published.v1",
            "event_time": event_time,
            "ordering_key": f"convene.enrolment.events/{key}",
            "payload": json.dumps({"id": event_id}),
            "status": deliveries.PENDING,
            "attempts": 0,
            "next_attempt_at": event_time,
            "created_at": event_time,
        }
        | values,
    )
    return conn.execute(select(table.c.id).where(table.c.event_id == event_id)).scalar_one()


def test_a_redelivery_range_given_with_any_offset_means_the_same_instants_on_both_databases(service, make_token):
    subscription_id = _subscription(service, make_token)
    with service.runtime.db.transaction() as conn:
        for event_id, at in (
            ("at-0900z", datetime(2026, 3, 1, 9, 0, tzinfo=UTC)),
            ("at-1100z", datetime(2026, 3, 1, 12, 0, tzinfo=timezone(timedelta(hours=1)))),  # stored as 11:00Z
            ("at-1300z", datetime(2026, 3, 1, 13, 0, tzinfo=UTC)),
        ):
            _delivery(conn, subscription_id, event_id, at, status="delivered", delivered_at=at)
    answer = service.client.post(
        f"/v1/subscriptions/{subscription_id}/redeliveries",
        json={"since": "2026-03-01T11:30:00+02:00", "until": "2026-03-01T14:00:00+02:00"},  # 09:30Z to 12:00Z
        headers=bearer(make_token),
    )
    assert answer.status_code == 202 and answer.get_json() == {"redelivering": 1}
    with service.runtime.db.read() as conn:
        again = conn.execute(select(table.c.event_id).where(table.c.status == deliveries.PENDING)).scalars().all()
    assert again == ["at-1100z"]


def test_a_delivery_is_claimed_by_one_worker_only_when_due_first_of_its_key_and_within_the_slots(service, make_token):
    subscription_id = _subscription(service, make_token)
    now = datetime.now(UTC)
    with service.runtime.db.transaction() as conn:
        head = _delivery(conn, subscription_id, "e1", now - timedelta(seconds=5))
        behind = _delivery(conn, subscription_id, "e2", now - timedelta(seconds=5))
        later = _delivery(conn, subscription_id, "e3", now + timedelta(hours=1), key="offer-b")
        other = _delivery(conn, subscription_id, "e4", now - timedelta(seconds=5), key="offer-c")

    def claim(delivery_id, key="offer-a", at=now, slots=4):
        item = Pending(delivery_id, subscription_id, f"convene.enrolment.events/{key}", at)
        with service.runtime.db.transaction() as conn:
            return deliveries.claim(conn, item, at, at + timedelta(seconds=30), slots)

    assert claim(behind) is False, "an earlier delivery of its key is pending"
    assert claim(later, key="offer-b") is False, "not due yet"
    assert claim(head) is True
    assert claim(head) is False, "another worker holds the lease"
    assert claim(other, key="offer-c", slots=1) is False, "the subscription's one slot is taken"
    assert claim(other, key="offer-c", slots=2) is True
    assert claim(head, at=now + timedelta(seconds=31)) is True, "a crashed worker's lease expired"


def test_finished_deliveries_lose_their_bodies_after_the_retention_and_pending_ones_keep_theirs(service, make_token):
    subscription_id = _subscription(service, make_token)
    now = datetime.now(UTC)
    old, recent = now - timedelta(days=8), now - timedelta(days=1)
    with service.runtime.db.transaction() as conn:
        _delivery(conn, subscription_id, "old-delivered", old, status="delivered", delivered_at=old)
        _delivery(conn, subscription_id, "recent-delivered", recent, status="delivered", delivered_at=recent)
        _delivery(conn, subscription_id, "old-erased", old, status="erased")
        _delivery(conn, subscription_id, "old-pending", old, key="offer-b")
        assert attempts.purge(service.runtime.unit(conn)) == 2  # the default retention: seven days
    with service.runtime.db.read() as conn:
        kept = {row.event_id: (row.payload != "", row.ordering_key != "") for row in conn.execute(select(table))}
    assert kept == {
        "old-delivered": (False, False),
        "recent-delivered": (True, True),
        "old-erased": (False, False),
        "old-pending": (True, True),
    }


def test_the_migration_seals_the_secrets_kept_in_plain_text_and_forgets_erased_deliveries_keys(databases):
    declared = declaration("subscriptions")
    runtime = declared.build_runtime(
        declared.load_settings({"DATABASE_URL": databases.new("subscriptions"), "PERSONAL_DATA_KEY": PERSONAL_DATA_KEY})
    )
    old = sa_table("subscriptions", *(sa_column(name) for name in ("id", "secret", "previous_secret")))
    plain, previous = new_secret(), new_secret()
    now = datetime.now(UTC)
    try:
        migrate.upgrade(declared, runtime.db, "f12e6f38bbea")
        with runtime.db.transaction() as conn:
            conn.execute(
                text(
                    "INSERT INTO subscriptions (id, owner, sink, protocol, types, regions, status, secret, "
                    "previous_secret, created_at, updated_at) VALUES ('s-1', 'icb', :sink, 'HTTP', '[]', '[]', "
                    "'active', :secret, :previous, :now, :now)"
                ),
                {"sink": SINK, "secret": plain, "previous": previous, "now": now},
            )
            for event_id, payload, key in (("e-erased", "", "t/person-1"), ("e-kept", "{}", "t/offer-1")):
                conn.execute(
                    text(
                        "INSERT INTO deliveries (subscription_id, event_id, event_type, event_time, ordering_key, "
                        "payload, status, attempts, next_attempt_at, created_at) VALUES ('s-1', :id, 'x', :now, "
                        ":key, :payload, 'delivered', 1, :now, :now)"
                    ),
                    {"id": event_id, "key": key, "payload": payload, "now": now},
                )
        migrate.upgrade(declared, runtime.db)
        assert migrate.differences(runtime.db) == []
        with runtime.db.read() as conn:
            stored = conn.execute(select(old.c.secret, old.c.previous_secret)).one()
            assert secrets.opened(conn, "s-1") == (plain, previous)
            keys = dict(conn.execute(select(table.c.event_id, table.c.ordering_key)).all())
        assert all(value.startswith("e1.") for value in stored) and not {plain, previous} & set(stored)
        assert keys == {"e-erased": "", "e-kept": "t/offer-1"}
        migrate.downgrade(declared, runtime.db, "f12e6f38bbea")
        with runtime.db.read() as conn:
            assert tuple(conn.execute(select(old.c.secret, old.c.previous_secret)).one()) == (plain, previous)
    finally:
        runtime.db.dispose()
