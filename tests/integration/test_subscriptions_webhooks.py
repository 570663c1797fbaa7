"""Webhooks end to end on both databases: events published on the real broker reach a real
receiver on loopback (the example of docs/subscribers.md) signed per Standard Webhooks, read by
the CloudEvents SDK, filtered by type and region, in order per key, through outages."""

from __future__ import annotations

import json
import threading
import time
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from services.subscriptions.delivery import http
from services.subscriptions.delivery.addresses import Target
from services.subscriptions.domain.secrets import new_secret
from services.subscriptions.store import secrets
from services.subscriptions.store import subscriptions as subscription_store
from services.subscriptions.store.tables import deliveries, erased_participants, subscriptions
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
    """The issue's drill: down for two minutes (connections refused), then 500 for 15 s, then
    well: every event arrives, in order per key; whatever arrives twice carries the same
    webhook-id, so the receiver drops it. Retries are fast (FAST), so recovery takes seconds."""
    receiver = LoopbackReceiver([])
    created = subscribe(world, make_token, receiver.url)
    receiver.receiver.webhooks = receiver.module.Receiver([created["secret"]]).webhooks
    try:
        sent = offer_timeline(world, ["offer-a", "offer-b", "offer-c"], rounds=4)
        time.sleep(60)
        sent += offer_timeline(world, ["offer-a", "offer-d"], rounds=2)
        time.sleep(60)  # two minutes down in all
        receiver.receiver.status = 500
        receiver.up()
        sent += offer_timeline(world, ["offer-b"], rounds=2)
        time.sleep(15)
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
            stored = conn.execute(select(subscriptions.c.secret, subscriptions.c.previous_secret)).one()
            opened = secrets.opened(conn, created["id"])
        assert opened == (new_secret, old_secret), "kept, to sign with"
        assert all(value.startswith("e1.") for value in stored), "but only sealed"
        assert not {old_secret, new_secret} & set(stored)
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
            lambda: _statuses(world) == {"delivered", "erased", "pending"} and not _leased(world),
            timeout=60,
            message="the erasure applied, and any attempt read before it over",
        )
        receiver.up()
        eventually(lambda: len(receiver.receiver.events) == 2, timeout=60, message="the erasure event")
        time.sleep(1)
        assert [e.get_id() for e in receiver.receiver.events] == [confirmed.id, erased.id]
        with world.runtime.db.read() as conn:
            kept = conn.execute(select(deliveries.c.payload, deliveries.c.ordering_key)).all()
        assert not [row for row in kept if person in row.payload or person in row.ordering_key], (
            "once the erasure itself is delivered, nothing names the person"
        )
        again = world.client.post(
            f"/v1/subscriptions/{created['id']}/redeliveries",
            json={"event_id": confirmed.id},
            headers=as_owner(make_token),
        )
        assert again.status_code == 422, "an erased person's events are gone for good"
    finally:
        receiver.down()


def _leased(world) -> list:
    """Deliveries whose attempt is under way: one that read its row before the erasure committed
    goes on to its end (a POST at that very moment reaches the receiver; this one is down)."""
    with world.runtime.db.read() as conn:
        return conn.execute(select(deliveries.c.id).where(deliveries.c.lease_until.is_not(None))).all()


def _statuses(world) -> set:
    with world.runtime.db.read() as conn:
        return set(conn.execute(select(deliveries.c.status)).scalars())


class _SlowSink(BaseHTTPRequestHandler):
    """A receiver that passes the handshake and then answers no delivery until the test lets it."""

    answer = threading.Event()

    def do_OPTIONS(self):
        self.send_response(200)
        self.send_header("WebHook-Allowed-Origin", self.headers.get("WebHook-Request-Origin", ""))
        self.end_headers()

    def do_POST(self):
        self.answer.wait(timeout=180)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *_):
        pass


# Deliveries wait up to a minute (the longest allowed) for an answer: longer than the test waits
# for the fast receiver, so it can only get its events if the slow receiver's deliveries hold none
# of its slots.
@pytest.mark.parametrize("world", [{"WEBHOOK_TIMEOUT_SECONDS": "60"}], indirect=True)
def test_a_slow_receiver_holds_only_its_own_slots_while_another_gets_its_events_at_once(world, make_token):
    _SlowSink.answer.clear()
    slow = ThreadingHTTPServer(("127.0.0.1", 0), _SlowSink)
    threading.Thread(target=slow.serve_forever, daemon=True).start()
    fast = LoopbackReceiver([]).up()
    try:
        subscribe(world, make_token, f"http://127.0.0.1:{slow.server_address[1]}/hooks", owner="slow-system")
        created = subscribe(world, make_token, fast.url)
        fast.receiver.webhooks = fast.module.Receiver([created["secret"]]).webhooks
        sent = [world.publish(enrolment.OFFER_PUBLISHED, offer_id=f"offer-{n}", region="Y56") for n in range(12)]
        eventually(lambda: len(fast.receiver.events) == len(sent), timeout=45, message="the fast receiver's events")
        with world.runtime.db.read() as conn:
            slow_delivered = conn.execute(
                select(deliveries.c.id)
                .join(subscriptions, subscriptions.c.id == deliveries.c.subscription_id)
                .where(subscriptions.c.owner == "slow-system", deliveries.c.status == "delivered")
            ).all()
        assert slow_delivered == []  # every delivery to the slow receiver was still waiting for its answer
    finally:
        _SlowSink.answer.set()  # the slow receiver answers, so the dispatcher's deliveries end
        fast.down()
        slow.shutdown()
        slow.server_close()


def test_an_event_naming_a_participant_erased_before_it_arrived_is_never_sent_nor_kept(world, make_token):
    """Topics are not ordered with each other: a scheduling event about a person can be consumed
    after enrolment's erasure of them. It is logged erased, with no body and no key."""
    receiver = LoopbackReceiver([]).up()
    try:
        created = subscribe(world, make_token, receiver.url)
        receiver.receiver.webhooks = receiver.module.Receiver([created["secret"]]).webhooks
        person = "3b8e5f0c-7a1d-4c2e-8f6b-9d0a1e2c3f44"
        erased = world.publish(enrolment.PARTICIPANT_ERASED, participant_id=person, region="Y56")
        eventually(lambda: len(receiver.receiver.events) == 1, timeout=60, message="the erasure")
        late = world.publish(scheduling.ATTENDANCE_RECORDED, participant_id=person, region="Y56")
        also_late = world.publish(enrolment.ENROLMENT_CONFIRMED, participant_id=person, region="Y56")
        someone_else = world.publish(enrolment.ENROLMENT_CONFIRMED, region="Y56")
        eventually(lambda: len(receiver.receiver.events) == 2, timeout=60, message="the event about someone else")
        eventually(lambda: len(_rows(world)) == 4, timeout=60, message="every event recorded")
        assert [e.get_id() for e in receiver.receiver.events] == [erased.id, someone_else.id]
        rows = _rows(world)
        for event in (late, also_late):
            assert rows[event.id] == ("erased", "", ""), "logged, never sent, nothing of the person kept"
        assert not [row for row in rows.values() if person in row[1] or person in row[2]]
        with world.runtime.db.read() as conn:
            hashes = conn.execute(select(erased_participants.c.participant_hash)).scalars().all()
        assert len(hashes) == 1 and person not in hashes[0], "a keyed hash of the id, never the id"
        again = world.client.post(
            f"/v1/subscriptions/{created['id']}/redeliveries", json={"event_id": late.id}, headers=as_owner(make_token)
        )
        assert again.status_code == 422
    finally:
        receiver.down()


def _rows(world) -> dict:
    with world.runtime.db.read() as conn:
        return {
            row.event_id: (row.status, row.payload, row.ordering_key)
            for row in conn.execute(
                select(deliveries.c.event_id, deliveries.c.status, deliveries.c.payload, deliveries.c.ordering_key)
            )
        }


class _Recorder(BaseHTTPRequestHandler):
    """A receiver that notes every request's method and Host header, and says yes to all."""

    seen: list = []

    def do_OPTIONS(self):
        self.seen.append(("OPTIONS", self.headers.get("Host")))
        self.send_response(200)
        self.send_header("WebHook-Allowed-Origin", "*")
        self.end_headers()

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.seen.append(("POST", self.headers.get("Host")))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *_):
        pass


def _recording_server() -> tuple[ThreadingHTTPServer, list]:
    seen: list = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), type("Recorder", (_Recorder,), {"seen": seen}))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, seen


def _stored_subscription(world, sink: str) -> str:
    """A subscription written as if its sink had passed the check at creation."""
    subscription_id = str(uuid.uuid4())
    now = datetime.now(UTC)
    with world.runtime.db.transaction() as conn:
        subscription_store.add(
            conn,
            {
                "id": subscription_id,
                "owner": "icb-reporting",
                "sink": sink,
                "protocol": "HTTP",
                "types": [],
                "regions": [],
                "status": "active",
                "paused_reason": None,
                "secret": new_secret(),
                "previous_secret": None,
                "previous_secret_until": None,
                "validated_at": None,
                "created_at": now,
                "updated_at": now,
            },
        )
    return subscription_id


@pytest.mark.parametrize("world", [{"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "false"}], indirect=True)
def test_a_sink_that_resolves_to_a_private_address_at_delivery_time_is_refused_and_paused(world, make_token):
    """A host that passed at creation (here: written as if it had) but resolves to loopback when
    a delivery is due: nothing is sent, not even the handshake, and the subscription pauses."""
    server, seen = _recording_server()
    try:
        subscription_id = _stored_subscription(world, f"http://localhost:{server.server_address[1]}/hooks")
        event = world.publish(enrolment.OFFER_PUBLISHED, offer_id="offer-a", region="Y56")
        paused = eventually(
            lambda: (
                (
                    read := world.client.get(f"/v1/subscriptions/{subscription_id}", headers=as_owner(make_token))
                ).get_json()["status"]
                == "paused"
                and read.get_json()
            ),
            timeout=60,
            message="the subscription paused",
        )
        assert paused["paused_reason"] == "sink_refused"
        assert seen == [], "not one request reached the private address"
        status, payload, _ = _rows(world)[event.id]
        assert status == "pending" and payload != "", "kept for a resume once the sink is public again"
    finally:
        server.shutdown()
        server.server_close()


def test_a_delivery_connects_to_the_checked_address_and_names_the_sink_host():
    """The host name is never resolved again by the client: a name that resolves nowhere still
    reaches the address the check approved, and the receiver sees its own name in Host."""
    server, seen = _recording_server()
    try:
        port = server.server_address[1]
        target = Target(f"http://sink.convene-test.invalid:{port}/hooks", "127.0.0.1")
        outcome = http.send(
            target, 2.0, message_id="m-1", body="{}", secrets=[new_secret()], origin="convene.local", validated=False
        )
        assert (outcome.delivered, outcome.status_code, outcome.validated) == (True, 204, True)
        assert seen == [("OPTIONS", f"sink.convene-test.invalid:{port}"), ("POST", f"sink.convene-test.invalid:{port}")]
    finally:
        server.shutdown()
        server.server_close()


class _Trickle(BaseHTTPRequestHandler):
    """Answers the status line a byte at a time, each byte well within the timeout: only a
    deadline for the whole request ends it."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        try:
            for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"." * 40:
                self.wfile.write(bytes([byte]))
                self.wfile.flush()
                time.sleep(0.5)
        except OSError:  # Convene hung up at its deadline
            pass

    def log_message(self, *_):
        pass


def test_a_receiver_trickling_its_answer_is_cut_off_at_the_deadline_of_the_whole_request():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Trickle)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        target = Target(f"http://127.0.0.1:{server.server_address[1]}/hooks", "127.0.0.1")
        outcome = http.send(
            target, 2.0, message_id="m-1", body="{}", secrets=[new_secret()], origin="convene.local", validated=True
        )
        assert (outcome.delivered, outcome.error) == (False, "timeout")
    finally:
        server.shutdown()
        server.server_close()
