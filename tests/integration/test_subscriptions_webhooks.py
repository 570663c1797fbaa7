"""Webhooks end to end on both databases: events published on the real broker reach a real
receiver on loopback (the example of docs/subscribers.md) signed per Standard Webhooks, read by
the CloudEvents SDK, filtered by type and region, in order per key, through outages."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from services.subscriptions.store.tables import deliveries, subscriptions
from shared.contracts import enrolment, feedback, scheduling
from shared.contracts.subscriptions import SUBSCRIPTION_PAUSED
from tests.harness import eventually
from tests.integration.subscriptions_world import LoopbackReceiver, WebhookWorld

OFFER_EVENTS = (enrolment.OFFER_PUBLISHED, enrolment.OFFER_UPDATED, enrolment.OFFER_STARTED)


@pytest.fixture
def world(databases, kafka_bootstrap, topic_prefix, signing_keys, request):
    environ = getattr(request, "param", {})
    running = WebhookWorld(databases.new("subscriptions"), kafka_bootstrap, topic_prefix, signing_keys[1], **environ)
    yield running.start()
    running.stop()


def subscribe(world, make_token, sink, owner="icb-reporting", **body) -> dict:
    answer = world.client.post(
        "/v1/subscriptions",
        json={"sink": sink, "protocol": "HTTP", **body},
        headers={"Authorization": f"Bearer {make_token('service', subject=owner)}"},
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def as_owner(make_token, owner="icb-reporting") -> dict:
    return {"Authorization": f"Bearer {make_token('service', subject=owner)}"}


def offer_timeline(world, offers: list[str], region="Y56", rounds=3) -> list:
    """Events of several offers interleaved: each offer's are one key, in this order."""
    sent = []
    for round_ in range(rounds):
        for offer_id in offers:
            declared = OFFER_EVENTS[round_ % len(OFFER_EVENTS)]
            sent.append(world.publish(declared, offer_id=offer_id, region=region, title=f"round {round_}"))
    return sent


def by_key(events) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for event in events:
        keys.setdefault(event.get_extension("partitionkey"), []).append(event.get_id())
    return keys


def sent_by_key(envelopes) -> dict[str, list[str]]:
    keys: dict[str, list[str]] = {}
    for envelope in envelopes:
        keys.setdefault(envelope.partitionkey, []).append(envelope.id)
    return keys


def test_events_of_the_subscribed_types_and_region_arrive_signed_as_cloudevents_in_order(world, make_token):
    receiver = LoopbackReceiver([]).up()
    try:
        created = subscribe(
            world,
            make_token,
            receiver.url,
            types=[e.type for e in OFFER_EVENTS] + [feedback.SUMMARY_UPDATED.type],
            filters=[{"exact": {"region": "Y56"}}],
        )
        assert created["secret"].startswith("whsec_") and created["filters"] == [{"exact": {"region": "Y56"}}]
        receiver.receiver.webhooks = receiver.module.Receiver([created["secret"]]).webhooks
        wanted = offer_timeline(world, ["offer-a", "offer-b"])
        world.publish(enrolment.OFFER_PUBLISHED, offer_id="offer-elsewhere", region="Y58")  # another region
        world.publish(scheduling.SESSION_SCHEDULED, offer_id="offer-a", region="Y56")  # a type not asked for
        world.publish(feedback.SUMMARY_UPDATED, scope="national", scope_key="national:all", region=None)  # no region
        last = world.publish(enrolment.OFFER_UPDATED, offer_id="offer-a", region="Y56", title="last")
        wanted.append(last)
        got = eventually(
            lambda: len(receiver.receiver.events) >= len(wanted) and receiver.receiver.events,
            timeout=60,
            message="every wanted event at the receiver",
        )
        time.sleep(1)  # anything unwanted would have arrived by now too
        assert sorted(e.get_id() for e in receiver.receiver.events) == sorted(e.id for e in wanted)
        assert by_key(got) == sent_by_key(wanted)
        first = got[0]
        assert first.get_source() == "/convene/enrolment" and first.get_extension("region") == "Y56"
        assert first.get_data()["region"] == "Y56"

        log = world.client.get(f"/v1/subscriptions/{created['id']}/deliveries", headers=as_owner(make_token))
        items = log.get_json()["items"]
        assert log.status_code == 200 and len(items) == len(wanted)
        assert {item["status"] for item in items} == {"delivered"}
        assert all(item["attempts"] == 1 and item["last_status_code"] == 200 for item in items)
        assert all(item["last_latency_ms"] is not None for item in items)
        read = world.client.get(f"/v1/subscriptions/{created['id']}", headers=as_owner(make_token)).get_json()
        assert read["validated_at"] is not None and "secret" not in read
    finally:
        receiver.down()


def test_a_sink_refusing_the_validation_handshake_gets_no_events(world, make_token):
    receiver = LoopbackReceiver([]).up()
    receiver.module.ALLOWED_ORIGIN = "someone-else.example"  # this receiver allows another sender only
    try:
        created = subscribe(world, make_token, receiver.url)
        world.publish(enrolment.OFFER_PUBLISHED, offer_id="offer-a", region="Y56")
        item = eventually(
            lambda: [
                i
                for i in world.client.get(
                    f"/v1/subscriptions/{created['id']}/deliveries", headers=as_owner(make_token)
                ).get_json()["items"]
                if i["attempts"] >= 2
            ],
            timeout=60,
            message="retried handshakes",
        )[0]
        assert item["status"] == "pending" and item["last_error"] == "handshake_refused"
        assert receiver.receiver.events == []
    finally:
        receiver.down()


def test_the_drill_receiver_down_then_failing_then_back_loses_nothing_and_keeps_each_key_in_order(world, make_token):
    """Down for 30 s (connections refused), then 500 for 10 s, then well: every event arrives, in
    order per key; whatever arrives twice carries the same webhook-id, so the receiver drops it."""
    receiver = LoopbackReceiver([])
    created = subscribe(world, make_token, receiver.url)
    receiver.receiver.webhooks = receiver.module.Receiver([created["secret"]]).webhooks
    try:
        sent = offer_timeline(world, ["offer-a", "offer-b", "offer-c"], rounds=4)
        time.sleep(15)
        sent += offer_timeline(world, ["offer-a", "offer-d"], rounds=2)
        time.sleep(15)
        receiver.receiver.status = 500
        receiver.up()
        sent += offer_timeline(world, ["offer-b"], rounds=2)
        time.sleep(10)
        receiver.receiver.status = 200
        eventually(
            lambda: len(receiver.receiver.events) >= len(sent), timeout=90, message="every event after the outage"
        )
        time.sleep(2)
        got = receiver.receiver.events
        assert sorted(e.get_id() for e in got) == sorted(e.id for e in sent), "each event exactly once after dedup"
        assert by_key(got) == sent_by_key(sent), "each key's events in the order they were published"
        with world.runtime.db.read() as conn:
            rows = conn.execute(select(deliveries.c.status, deliveries.c.attempts)).all()
        assert {row.status for row in rows} == {"delivered"}
        assert max(row.attempts for row in rows) > 3, "the outage was retried, with backoff"
    finally:
        receiver.down()


@pytest.mark.parametrize("world", [{"WEBHOOK_RETRY_WINDOW_SECONDS": "3"}], indirect=True)
def test_a_delivery_failing_the_whole_retry_window_pauses_the_subscription_and_says_why(world, make_token):
    receiver = LoopbackReceiver([])
    created = subscribe(world, make_token, receiver.url)
    receiver.receiver.webhooks = receiver.module.Receiver([created["secret"]]).webhooks
    try:
        event = world.publish(enrolment.OFFER_PUBLISHED, offer_id="offer-a", region="Y56")
        paused = eventually(
            lambda: (
                (
                    read := world.client.get(f"/v1/subscriptions/{created['id']}", headers=as_owner(make_token))
                ).get_json()["status"]
                == "paused"
                and read.get_json()
            ),
            timeout=60,
            message="the subscription paused",
        )
        assert paused["paused_reason"] == "deliveries_failing"
        with world.runtime.db.read() as conn:
            told = [
                json.loads(row.value)
                for row in conn.execute(select(world.runtime.db.tables.outbox))
                if row.event_type == SUBSCRIPTION_PAUSED.type
            ]
        assert told == [
            {
                "subscription_id": created["id"],
                "owner_id": "icb-reporting",
                "reason": "deliveries_failing",
                "paused_at": told[0]["paused_at"],
            }
        ]
        later = world.publish(enrolment.OFFER_UPDATED, offer_id="offer-a", region="Y56")  # kept while paused
        receiver.up()
        resumed = world.client.post(f"/v1/subscriptions/{created['id']}/resume", headers=as_owner(make_token))
        assert resumed.status_code == 200 and resumed.get_json()["status"] == "active"
        eventually(lambda: len(receiver.receiver.events) == 2, timeout=60, message="the kept events after resuming")
        assert [e.get_id() for e in receiver.receiver.events] == [event.id, later.id]
    finally:
        receiver.down()


def test_during_a_rotation_deliveries_verify_with_the_old_secret_and_the_new_one(world, make_token):
    receiver = LoopbackReceiver([]).up()
    try:
        created = subscribe(world, make_token, receiver.url)
        old_secret = created["secret"]
        receiver.receiver.webhooks = receiver.module.Receiver([old_secret]).webhooks
        world.publish(enrolment.OFFER_PUBLISHED, offer_id="offer-a", region="Y56")
        eventually(lambda: len(receiver.receiver.events) == 1, timeout=60, message="the first event")
        rotated = world.client.post(f"/v1/subscriptions/{created['id']}/secret", headers=as_owner(make_token))
        new_secret = rotated.get_json()["secret"]
        assert rotated.status_code == 200 and new_secret != old_secret
        assert rotated.get_json()["previous_secret_until"] is not None
        only_old = receiver.module.Receiver([old_secret])
        only_new = receiver.module.Receiver([new_secret])
        receiver.receiver.webhooks = only_new.webhooks  # a receiver that switched at once
        world.publish(enrolment.OFFER_UPDATED, offer_id="offer-a", region="Y56")
        eventually(lambda: len(receiver.receiver.events) == 2, timeout=60, message="the event after the rotation")
        receiver.receiver.webhooks = only_old.webhooks  # one that has not switched yet
        world.publish(enrolment.OFFER_STARTED, offer_id="offer-a", region="Y56")
        eventually(lambda: len(receiver.receiver.events) == 3, timeout=60, message="the event to the old secret")
        with world.runtime.db.read() as conn:
            stored = conn.execute(select(subscriptions.c.previous_secret)).scalar_one()
        assert stored == old_secret
    finally:
        receiver.down()


def test_a_redelivery_sends_the_same_webhook_id_again_which_the_receiver_drops(world, make_token):
    receiver = LoopbackReceiver([]).up()
    try:
        created = subscribe(world, make_token, receiver.url)
        receiver.receiver.webhooks = receiver.module.Receiver([created["secret"]]).webhooks
        first = world.publish(enrolment.OFFER_PUBLISHED, offer_id="offer-a", region="Y56")
        world.publish(enrolment.OFFER_PUBLISHED, offer_id="offer-b", region="Y56")
        eventually(lambda: len(receiver.receiver.events) == 2, timeout=60, message="both events")
        again = world.client.post(
            f"/v1/subscriptions/{created['id']}/redeliveries", json={"event_id": first.id}, headers=as_owner(make_token)
        )
        assert again.status_code == 202 and again.get_json() == {"redelivering": 1}
        eventually(lambda: receiver.receiver.duplicates == 1, timeout=60, message="the redelivered event")
        ranged = world.client.post(
            f"/v1/subscriptions/{created['id']}/redeliveries",
            json={"since": "2000-01-01T00:00:00+00:00", "until": "2100-01-01T00:00:00+00:00"},
            headers=as_owner(make_token),
        )
        assert ranged.get_json() == {"redelivering": 2}
        eventually(lambda: receiver.receiver.duplicates == 3, timeout=60, message="the redelivered range")
        assert len(receiver.receiver.events) == 2
    finally:
        receiver.down()


def test_an_erased_participant_is_forgotten_and_never_sent_but_the_erasure_is(world, make_token):
    receiver = LoopbackReceiver([]).up()
    try:
        created = subscribe(world, make_token, receiver.url)
        receiver.receiver.webhooks = receiver.module.Receiver([created["secret"]]).webhooks
        person = "7d0f9a55-3c7e-4d5e-9a63-2b1c4e8f0a11"
        confirmed = world.publish(enrolment.ENROLMENT_CONFIRMED, participant_id=person, region="Y56")
        eventually(lambda: len(receiver.receiver.events) == 1, timeout=60, message="the enrolment")
        receiver.down()  # what follows waits, undelivered
        world.publish(enrolment.PARTICIPANT_REGISTERED, participant_id=person, region="Y56")
        erased = world.publish(enrolment.PARTICIPANT_ERASED, participant_id=person, region="Y56")
        eventually(
            lambda: _statuses(world) == {"delivered", "erased", "pending"}, timeout=60, message="the erasure applied"
        )
        receiver.up()
        eventually(lambda: len(receiver.receiver.events) == 2, timeout=60, message="the erasure event")
        time.sleep(1)
        assert [e.get_id() for e in receiver.receiver.events] == [confirmed.id, erased.id]
        with world.runtime.db.read() as conn:
            kept = conn.execute(select(deliveries.c.event_id, deliveries.c.payload)).all()
        assert [row.event_id for row in kept if person in row.payload] == [erased.id]
        again = world.client.post(
            f"/v1/subscriptions/{created['id']}/redeliveries",
            json={"event_id": confirmed.id},
            headers=as_owner(make_token),
        )
        assert again.status_code == 422, "an erased person's events are gone for good"
    finally:
        receiver.down()


def _statuses(world) -> set:
    with world.runtime.db.read() as conn:
        return set(conn.execute(select(deliveries.c.status)).scalars())


class _SlowSink(BaseHTTPRequestHandler):
    """A receiver that passes the handshake and then never answers a delivery in time."""

    def do_OPTIONS(self):
        self.send_response(200)
        self.send_header("WebHook-Allowed-Origin", self.headers.get("WebHook-Request-Origin", ""))
        self.end_headers()

    def do_POST(self):
        time.sleep(8)  # beyond WEBHOOK_TIMEOUT_SECONDS (2 s in these tests)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_):
        pass


def test_a_slow_receiver_holds_only_its_own_slots_while_another_gets_its_events_at_once(world, make_token):
    slow = ThreadingHTTPServer(("127.0.0.1", 0), _SlowSink)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    fast = LoopbackReceiver([]).up()
    try:
        subscribe(world, make_token, f"http://127.0.0.1:{slow.server_address[1]}/hooks", owner="slow-system")
        created = subscribe(world, make_token, fast.url)
        fast.receiver.webhooks = fast.module.Receiver([created["secret"]]).webhooks
        sent = [world.publish(enrolment.OFFER_PUBLISHED, offer_id=f"offer-{n}", region="Y56") for n in range(12)]
        started = time.monotonic()
        eventually(lambda: len(fast.receiver.events) == len(sent), timeout=60, message="the fast receiver's events")
        with world.runtime.db.read() as conn:
            slow_delivered = conn.execute(
                select(deliveries.c.id)
                .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                .where(subscriptions.c.owner == "slow-system", deliveries.c.status == "delivered")
            ).all()
        assert slow_delivered == []
        assert time.monotonic() - started < 15, "the fast receiver did not wait for the slow one's timeouts"
    finally:
        fast.down()
        slow.shutdown()
        slow.server_close()
