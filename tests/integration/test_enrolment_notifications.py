"""E-mails to participants, end to end on each database: enrolment's real relay, consumer and
notifier, scheduling's events on the real broker, and the development mailbox (a real SMTP
server) receiving. Each kind arrives once, a redelivered event sends nothing twice, opt-outs
are honoured (changed with If-Match), erasure forgets a person's e-mails even between a
notifier's claim and its send, each notification is claimed by one notifier at a time, and
mails made while the mail server is down for a minute all arrive, once each, when it is back."""

from __future__ import annotations

import threading
import time
import urllib.request
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, update

from services import cli
from services.enrolment.notifier import operations
from services.enrolment.notifier.sender import Notifier
from services.enrolment.store import notifications as notification_store
from services.enrolment.store.tables import notification_log, notifications
from shared.contracts.scheduling import SESSION_CANCELLED, SESSION_RESCHEDULED, SESSION_SCHEDULED
from shared.operations import replay
from tests.harness import PERSONAL_DATA_KEY, RunningService, eventually, service_environment
from tests.integration.test_enrolment_completion import Scheduling
from tests.integration.test_enrolment_support import (  # noqa: F401  (as_role: a fixture)
    LONDON,
    as_role,
    create_offer,
    enrol,
    register,
    start_enrolment,
)
from tests.processes import WorkerProcess

QUIET_SECONDS = 3  # how long the mailbox is watched for a repeat once everything has arrived


class Running:
    """Enrolment with its worker and its notifier, sending to `mailbox`."""

    def __init__(self, service: RunningService, mailbox, *, notifying: bool = True):
        self.service, self.mailbox = service, mailbox
        self.stop = threading.Event()
        self.thread = threading.Thread(target=Notifier(service.settings, service.runtime.db).run, args=(self.stop,))
        if notifying:
            self.thread.start()

    def close(self):
        self.stop.set()
        if self.thread.is_alive():
            self.thread.join(timeout=20)
        self.service.stop()

    def mails_to(self, address: str) -> list[dict]:
        return [m for m in self.mailbox.inbox.mails() if m["to"] == address]

    def wait_for_mails(self, count: int, timeout: float = 90) -> list[dict]:
        eventually(lambda: len(self.mailbox.inbox.mails()) >= count, timeout=timeout, message=f"{count} mails")
        time.sleep(QUIET_SECONDS)  # anything sent twice would arrive by now
        return self.mailbox.inbox.mails()

    def count(self, table, **where) -> int:
        query = select(func.count()).select_from(table)
        for name, value in where.items():
            query = query.where(table.c[name] == value)
        with self.service.runtime.db.read() as conn:
            return conn.execute(query).scalar_one()


@pytest.fixture
def start(databases, kafka_bootstrap, topic_prefix, signing_keys, mailbox):
    """start(**settings) → enrolment with its worker and notifier, its SMTP server the mailbox."""
    running = []

    def started(*, notifying: bool = True, **settings: str) -> Running:
        environment = {
            "SMTP_PORT": str(mailbox.smtp_port),
            "SMTP_TIMEOUT_SECONDS": "3",
            "NOTIFIER_IDLE_SECONDS": "0.1",
            "NOTIFICATION_BACKOFF_SECONDS": "0.2",
            "NOTIFICATION_BACKOFF_MAX_SECONDS": "2",
            "RATE_LIMIT_PER_MINUTE": "0",
            **settings,
        }
        service = start_enrolment(
            databases.new("enrolment"), kafka_bootstrap, topic_prefix, signing_keys[1], **environment
        )
        running.append(Running(service.start_worker(), mailbox, notifying=notifying))
        return running[-1]

    yield started
    for each in running:
        each.close()


def email(n: int) -> str:
    return f"person{n}.u10001@example.invalid"


def set_preferences(client, headers: dict, person: str, **wanted: bool):
    """Change a person's e-mail preferences as a client does: read them (their ETag), then PUT with If-Match."""
    path = f"/v1/participants/{person}/notification-preferences"
    read = client.get(path, headers=headers)
    assert read.status_code == 200, read.json
    body = {"reminders": read.json["reminders"], "feedback_requests": read.json["feedback_requests"], **wanted}
    return client.put(path, json=body, headers={**headers, "If-Match": read.headers["ETag"]})


def test_each_change_to_a_place_is_told_once_to_its_person(start, as_role):
    enrolment = start()
    client, admin = enrolment.service.client, as_role()
    offer_id = create_offer(client, admin, capacity=1, title="London set")
    first, second, third = (register(client, admin, n=n) for n in (1, 2, 3))
    first_place = enrol(client, admin, offer_id, first).json["id"]
    enrol(client, admin, offer_id, second)
    assert client.post(f"/v1/enrolments/{first_place}/withdraw", headers=admin).status_code == 200
    enrol(client, admin, offer_id, third)
    assert client.post(f"/v1/offers/{offer_id}/cancel", headers=admin).status_code == 200

    mails = enrolment.wait_for_mails(7)
    subjects = {n: [m["subject"] for m in enrolment.mails_to(email(n))] for n in (1, 2, 3)}
    assert subjects == {
        1: ["Your place on London set is confirmed", "You no longer have a place on London set"],
        2: [
            "You are on the waiting list for London set",
            "A place on London set is now yours",
            "London set is cancelled",
        ],
        3: ["You are on the waiting list for London set", "London set is cancelled"],
    }
    assert "position 1" in enrolment.mails_to(email(3))[0]["text"]
    assert len(mails) == len({m["message_id"] for m in mails}) == 7
    assert enrolment.count(notification_log, channel="smtp") == 7
    # What a newcomer sees at the mailbox's inbox page.
    page = f"http://127.0.0.1:{enrolment.mailbox.http_port}"
    listing = urllib.request.urlopen(page + "/", timeout=5).read().decode()
    assert "A place on London set is now yours" in listing and email(2) in listing
    one = urllib.request.urlopen(page + "/messages/1", timeout=5).read().decode()
    assert "Your place on London set is confirmed." in one


def test_session_changes_carry_invitations_and_a_redelivered_event_sends_nothing_twice(start, as_role):
    enrolment = start()
    client, admin = enrolment.service.client, as_role()
    offer_id = create_offer(client, admin, capacity=2, title="London set")
    members = [register(client, admin, n=n) for n in (1, 2)]
    for member in members:
        enrol(client, admin, offer_id, member)
    enrolment.wait_for_mails(2)  # the two confirmations

    scheduling = Scheduling(enrolment.service, offer_id)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=5)
    session = {"session_id": "session-1", "kind": "group", "status": "scheduled"}
    first = session | {"starts_at": starts, "ends_at": starts + timedelta(hours=2), "sequence": 0}
    scheduled = scheduling.publish(SESSION_SCHEDULED, first)
    moved = starts + timedelta(days=1)
    scheduling.publish(
        SESSION_RESCHEDULED, session | {"starts_at": moved, "ends_at": moved + timedelta(hours=2), "sequence": 1}
    )
    scheduling.publish(
        SESSION_CANCELLED,
        session | {"starts_at": moved, "ends_at": moved + timedelta(hours=2), "sequence": 2, "status": "cancelled"},
    )
    scheduling.publish(SESSION_SCHEDULED, first, envelope=scheduled)  # the same event again: a redelivery
    mails = enrolment.wait_for_mails(2 + 2 * 3)
    assert len(mails) == 8

    for n in (1, 2):
        invitations = [m for m in enrolment.mails_to(email(n)) if m["attachments"]]
        calendars = [Calendar.from_ical(m["attachments"][0]["content"]) for m in invitations]
        events = [c.walk("VEVENT")[0] for c in calendars]
        assert [str(c["method"]) for c in calendars] == ["REQUEST", "REQUEST", "CANCEL"]
        assert {str(e["uid"]) for e in events} == {"session-1@convene"}  # the feed's UID
        assert [e["sequence"] for e in events] == [0, 1, 2]
        assert [a["filename"] for m in invitations for a in m["attachments"]] == ["session.ics"] * 3


def test_reminders_go_the_day_before_unless_the_session_moved_or_the_person_opted_out(start, as_role):
    enrolment = start()
    client, admin = enrolment.service.client, as_role()
    offer_id = create_offer(client, admin, capacity=2, title="London set")
    keen, busy = (register(client, admin, n=n) for n in (1, 2))
    for member in (keen, busy):
        enrol(client, admin, offer_id, member)
    own = as_role("participant", LONDON, busy)
    answer = set_preferences(client, own, busy, reminders=False)
    assert answer.status_code == 200 and answer.json["reminders"] is False

    scheduling = Scheduling(enrolment.service, offer_id)
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    for session_id in ("stays", "moves"):
        times = {"starts_at": starts, "ends_at": starts + timedelta(hours=2)}
        scheduling.publish(
            SESSION_SCHEDULED, {"session_id": session_id, "kind": "group", "status": "scheduled", "sequence": 0} | times
        )
    later = starts + timedelta(days=7)
    scheduling.publish(
        SESSION_RESCHEDULED,
        {"session_id": "moves", "kind": "group", "status": "scheduled", "sequence": 1}
        | {"starts_at": later, "ends_at": later + timedelta(hours=2)},
    )
    enrolment.wait_for_mails(2 + 3 * 2)
    # Two days pass: the reminders recorded for the day before each session fall due.
    with enrolment.service.runtime.db.transaction() as conn:
        conn.execute(
            update(notifications)
            .where(notifications.c.cause_id.in_(["stays#0", "moves#0"]))
            .values(next_attempt_at=datetime.now(UTC))
        )
    mails = enrolment.wait_for_mails(2 + 3 * 2 + 1)
    reminders = [m for m in mails if m["subject"].startswith("Reminder")]
    assert [m["to"] for m in reminders] == [email(1)]  # "moves" moved since: its first reminder is dropped
    assert enrolment.count(notifications, kind="reminder", participant_id=busy) == 0
    eventually(lambda: enrolment.count(notifications, kind="reminder", status="dropped") == 1)


def test_a_feedback_request_follows_a_session_attended_unless_turned_off(start, as_role):
    enrolment = start()
    client, admin = enrolment.service.client, as_role()
    offer_id = create_offer(client, admin, capacity=3, title="London set")
    present, absent, opted_out = (register(client, admin, n=n) for n in (1, 2, 3))
    for member in (present, absent, opted_out):
        enrol(client, admin, offer_id, member)
    assert set_preferences(client, admin, opted_out, feedback_requests=False).status_code == 200
    scheduling = Scheduling(enrolment.service, offer_id)
    # Recorded long after, past feedback's window: a request could not be answered, so none is sent.
    scheduling.session("long past", days_ago=30)
    scheduling.attendance("long past", present, "present", days_ago=30)
    scheduling.session("held", days_ago=1)
    for member, mark in ((present, "present"), (absent, "absent"), (opted_out, "present")):
        scheduling.attendance("held", member, mark)
    mails = enrolment.wait_for_mails(3 + 1)
    scheduling.wait_until_applied(enrolment.service)
    requests = [(m["to"], m["subject"]) for m in mails if m["subject"].startswith("How was")]
    assert requests == [(email(1), "How was your session of London set?")]
    assert enrolment.count(notifications, kind="feedback_request", cause_id="long past") == 0


def test_erasure_deletes_the_person_s_pending_e_mails_and_their_log(start, as_role):
    enrolment = start()
    client, admin = enrolment.service.client, as_role()
    offer_id = create_offer(client, admin, capacity=1)
    person = register(client, admin, n=1)
    enrol(client, admin, offer_id, person)
    enrolment.wait_for_mails(1)
    scheduling = Scheduling(enrolment.service, offer_id)
    starts = datetime.now(UTC) + timedelta(days=4)
    scheduling.publish(
        SESSION_SCHEDULED,
        {"session_id": "s", "kind": "group", "status": "scheduled", "sequence": 0}
        | {"starts_at": starts, "ends_at": starts + timedelta(hours=2)},
    )
    enrolment.wait_for_mails(2)
    assert enrolment.count(notifications, participant_id=person, status="pending") == 1  # the reminder
    assert enrolment.count(notification_log, participant_id=person) == 2

    assert client.delete(f"/v1/participants/{person}", headers=admin).status_code == 204
    assert enrolment.count(notifications, participant_id=person) == 0
    assert enrolment.count(notification_log, participant_id=person) == 0
    time.sleep(QUIET_SECONDS)
    assert len(enrolment.mailbox.inbox.mails()) == 2  # nothing about the erasure: they are not there to tell


def test_drill_the_mail_server_down_for_a_minute_every_e_mail_arrives_once(start, as_role):
    enrolment = start(NOTIFICATION_MAX_ATTEMPTS="100")  # nothing parks in a minute
    client, admin = enrolment.service.client, as_role()
    offer_id = create_offer(client, admin, capacity=3, title="London set")
    enrolment.mailbox.stop_smtp()
    people = [register(client, admin, n=n) for n in range(1, 6)]
    down_since = time.monotonic()
    for person in people:
        enrol(client, admin, offer_id, person)  # three confirmed, two waitlisted
        time.sleep(3)
    eventually(lambda: enrolment.count(notifications, status="pending") == 5)
    eventually(lambda: time.monotonic() - down_since > 60, timeout=90, message="a minute of outage")
    with enrolment.service.runtime.db.read() as conn:
        tries = conn.execute(select(func.sum(notifications.c.attempts))).scalar_one()
    assert tries >= 10  # the notifier kept trying, backing off, while the server was away
    enrolment.mailbox.start()

    mails = enrolment.wait_for_mails(5, timeout=60)
    assert Counter(m["to"] for m in mails) == {email(n): 1 for n in range(1, 6)}
    assert len({m["message_id"] for m in mails}) == 5
    assert enrolment.count(notifications, status="sent") == 5


def test_an_e_mail_that_keeps_failing_is_parked_and_an_operator_sends_it_again(start, as_role, monkeypatch, capsys):
    enrolment = start(NOTIFICATION_MAX_ATTEMPTS="2")
    client, admin = enrolment.service.client, as_role()
    offer_id = create_offer(client, admin, capacity=1)
    enrolment.mailbox.stop_smtp()
    enrol(client, admin, offer_id, register(client, admin, n=1))
    db = enrolment.service.runtime.db
    (parked,) = eventually(lambda: operations.parked(db), timeout=30, message="the e-mail parked")
    assert parked["kind"] == "confirmed" and parked["attempts"] == 2
    assert parked["parked_reason"] in ("ConnectionRefusedError", "SMTPServerDisconnected")

    # The operator's commands, on the same database.
    monkeypatch.setenv("DATABASE_URL", enrolment.service.settings.database_url)
    monkeypatch.setenv("PERSONAL_DATA_KEY", PERSONAL_DATA_KEY)
    cli.main(["notifications", "parked"])
    listed = capsys.readouterr().out
    assert parked["id"] in listed and "confirmed" in listed and "1 parked notification(s)" in listed
    assert "@" not in listed  # never an address
    enrolment.mailbox.start()
    cli.main(["notifications", "retry", parked["id"]])
    assert "1 notification(s) put back to be sent" in capsys.readouterr().out
    (mail,) = enrolment.wait_for_mails(1)
    assert mail["to"] == email(1) and operations.parked(db) == []


def test_a_replay_of_scheduling_s_events_rebuilds_the_projection_and_sends_nothing(start, as_role):
    enrolment = start()
    client, admin = enrolment.service.client, as_role()
    offer_id = create_offer(client, admin, capacity=1)
    person = register(client, admin, n=1)
    enrol(client, admin, offer_id, person)
    assert set_preferences(client, admin, person, feedback_requests=False).status_code == 200
    scheduling = Scheduling(enrolment.service, offer_id)
    starts = datetime.now(UTC) + timedelta(days=4)
    scheduling.publish(
        SESSION_SCHEDULED,
        {"session_id": "s", "kind": "group", "status": "scheduled", "sequence": 0}
        | {"starts_at": starts, "ends_at": starts + timedelta(hours=2)},
    )
    scheduling.attendance("s", person, "present")  # no feedback request: turned off
    scheduling.wait_until_applied(enrolment.service)
    enrolment.wait_for_mails(2)  # confirmed, session scheduled
    recorded = enrolment.count(notifications)
    # Turned on again afterwards: a replay that recorded e-mails anew would now ask for feedback.
    assert set_preferences(client, admin, person, feedback_requests=True).status_code == 200

    service = enrolment.service
    (subscription,) = service.service.subscriptions
    replayed = replay(service.settings, service.runtime.db, subscription, [], check_groups=False, progress=False)
    assert replayed == 2
    time.sleep(QUIET_SECONDS)
    assert enrolment.count(notifications) == recorded
    assert [m["subject"].split(" ")[0] for m in enrolment.mailbox.inbox.mails()] == ["Your", "New"]


def test_enrolment_s_worker_process_sends_what_its_web_recorded(
    databases, kafka_bootstrap, topic_prefix, signing_keys, mailbox, as_role, tmp_path
):
    environment = {"SMTP_PORT": str(mailbox.smtp_port), "NOTIFIER_IDLE_SECONDS": "0.1", "RATE_LIMIT_PER_MINUTE": "0"}
    web = start_enrolment(databases.new("enrolment"), kafka_bootstrap, topic_prefix, signing_keys[1], **environment)
    admin = as_role()
    enrol(web.client, admin, create_offer(web.client, admin, capacity=1), register(web.client, admin, n=1))
    environ = {
        **service_environment(web.settings.database_url, kafka_bootstrap, topic_prefix, signing_keys[1]),
        **environment,
    }
    worker = WorkerProcess("services.enrolment.worker", environ, tmp_path).start()
    try:
        eventually(lambda: mailbox.inbox.mails(), timeout=60, message=f"the worker's e-mail\n{worker.log()[-2000:]}")
        assert [m["to"] for m in mailbox.inbox.mails()] == [email(1)]
    finally:
        worker.stop()
        web.stop()


def test_two_workers_notifiers_send_each_e_mail_once(start, as_role):
    enrolment = start()
    second = threading.Event()
    other = Notifier(enrolment.service.settings, enrolment.service.runtime.db)  # another worker's, same database
    thread = threading.Thread(target=other.run, args=(second,))
    thread.start()
    try:
        client, admin = enrolment.service.client, as_role()
        offer_id = create_offer(client, admin, capacity=8)
        for n in range(1, 9):
            enrol(client, admin, offer_id, register(client, admin, n=n))
        mails = enrolment.wait_for_mails(8)
        assert Counter(m["to"] for m in mails) == {email(n): 1 for n in range(1, 9)}
    finally:
        second.set()
        thread.join(timeout=20)


def test_preferences_are_changed_only_by_naming_the_version_read(start, as_role):
    enrolment = start(notifying=False)
    client, admin = enrolment.service.client, as_role()
    person = register(client, admin, n=1)
    path = f"/v1/participants/{person}/notification-preferences"
    read = client.get(path, headers=admin)
    assert read.headers["ETag"] == 'W/"1"' and read.json["version"] == 1
    body = {"reminders": False, "feedback_requests": True}

    missing = client.put(path, json=body, headers=admin)
    assert missing.status_code == 428 and missing.json["rule"] == "if_match_required"
    changed = client.put(path, json=body, headers={**admin, "If-Match": read.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] == 'W/"2"' and changed.json["reminders"] is False
    # Someone else, still holding the first read, would undo that change: refused, told the current version.
    stale = client.put(path, json={**body, "reminders": True}, headers={**admin, "If-Match": read.headers["ETag"]})
    assert stale.status_code == 412 and stale.json["rule"] == "stale_version" and stale.headers["ETag"] == 'W/"2"'
    assert client.get(path, headers=admin).json["reminders"] is False


def test_a_notification_is_claimed_by_one_notifier_at_a_time_and_a_lapsed_claim_passes_on(start, as_role):
    enrolment = start(notifying=False)  # two notifiers of its own, driven by hand
    client, admin = enrolment.service.client, as_role()
    enrol(client, admin, create_offer(client, admin, capacity=1), register(client, admin, n=1))
    settings, db = enrolment.service.settings, enrolment.service.runtime.db
    first, second = Notifier(settings, db), Notifier(settings, db)
    (notification_id,) = eventually(lambda: _due(db), message="the confirmation recorded")

    claimed = first.claim(notification_id)
    assert claimed is not None and second.claim(notification_id) is None  # held: the other passes it by
    assert _due(db) == []  # nor is it listed as due while claimed
    # The first notifier stalls past its claim (as one that crashed): the claim lapses and passes on.
    with db.transaction() as conn:
        conn.execute(
            update(notifications)
            .where(notifications.c.id == notification_id)
            .values(claimed_until=datetime.now(UTC) - timedelta(seconds=1))
        )
    taken = second.claim(notification_id)
    assert taken is not None
    first.send(claimed)  # its claim is gone: it sends nothing
    assert enrolment.mailbox.inbox.mails() == []
    second.send(taken)
    assert [m["to"] for m in enrolment.mailbox.inbox.mails()] == [email(1)]
    assert second.claim(notification_id) is None and enrolment.count(notifications, status="sent") == 1


def test_a_person_erased_between_the_claim_and_the_send_is_not_e_mailed(start, as_role):
    enrolment = start(notifying=False)
    client, admin = enrolment.service.client, as_role()
    person = register(client, admin, n=1)
    enrol(client, admin, create_offer(client, admin, capacity=1), person)
    db = enrolment.service.runtime.db
    notifier = Notifier(enrolment.service.settings, db)
    (notification_id,) = eventually(lambda: _due(db), message="the confirmation recorded")
    claimed = notifier.claim(notification_id)
    assert claimed is not None and claimed["participant_id"] == person

    assert client.delete(f"/v1/participants/{person}", headers=admin).status_code == 204
    assert enrolment.count(notifications, participant_id=person) == 0  # erasure deletes it, claimed or not
    notifier.send(claimed)  # the send's own check, under the claim, finds the person gone
    assert enrolment.mailbox.inbox.mails() == []
    assert enrolment.count(notification_log, participant_id=person) == 0


def _due(db) -> list[str]:
    with db.read() as conn:
        return notification_store.due(conn, datetime.now(UTC), 10)
