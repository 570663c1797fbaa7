"""The right to erasure end to end over the real broker, on both databases.

A participant with a distinctive name and e-mail is registered, given a place in a full action
learning set (with someone waiting) and in a coaching offer, booked for 1:1 coaching, sets their
coaching goals in their own words (which name them), is scheduled, marked present, and gives
named feedback with a comment naming them (and a needs survey and an outcome measure); then
the region's administrator erases them.

Erasure ends their places as withdrawals do: the first waitlisted person takes the place, and
scheduling cancels their future coaching. Their name and e-mail are nowhere, at no point:
not in any row of any table of the three databases (outbox copies of events included), not
in any log record, not in any message on any of the run's topics, and not in any byte of any
file Convene wrote, read raw: the SQLite databases with their write-ahead logs (-wal, -shm),
the PostgreSQL cluster's data directory (tables, freed space, dead row versions, pg_wal, its
server log) and the broker's log directory. Names, e-mails, coaching goals' words and named
comments are only ever stored sealed under keys that erasure destroys (docs/erasure.md); the
raw search is shown to reach stored bytes by finding canaries that are stored in the clear (an
offer's title, an anonymous needs answer) in the same files.
"""

from __future__ import annotations

import base64
import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from kafka import KafkaConsumer, TopicPartition
from sqlalchemy import create_engine, select, text

from services.enrolment.usecases.reference import import_files
from services.scheduling.domain.recurrence import LONDON, Slot
from services.scheduling.store import rosters as scheduling_store
from services.scheduling.store import sessions as session_store
from services.scheduling.usecases import events as scheduling_events
from services.scheduling.usecases.sessions import new_session
from shared.clock import utcnow
from shared.contracts.enrolment import PARTICIPANT_ERASED
from shared.contracts.scheduling import SESSION_CANCELLED, SESSION_SCHEDULED
from shared.logs import JsonFormatter
from tests.harness import RunningService, eventually, service_environment

SAMPLE = Path(__file__).resolve().parents[2] / "services" / "enrolment" / "data" / "sample"
REGION, PCN = "Y56", "U10001"
ERASED = {"name": "Ottoline Vexworth-Anand", "email": "ottoline.vexworth@example.invalid"}
BYSTANDER = {"name": "Barnaby Quistcombe", "email": "barnaby.quistcombe@example.invalid"}
WAITING = {"name": "Wilhelmina Drabblecote", "email": "wilhelmina.drabblecote@example.invalid"}
# Stored in the clear on purpose, so the raw search of files is seen to reach stored bytes.
TITLE_CANARY, NEEDS_CANARY = "Xylocarp ridge action learning set", "quillwort-canary-needs"


def fragments(person: dict) -> tuple[str, ...]:
    """What must not be found, compared case-insensitively: the name, each part of it, the e-mail."""
    parts = person["name"].replace("-", " ").split()
    return (person["name"], person["email"], person["email"].split("@")[0], *parts)


def found(text: str, person: dict) -> list[str]:
    lowered = text.lower()
    return [fragment for fragment in fragments(person) if fragment.lower() in lowered]


# --- reading raw bytes -------------------------------------------------------------------------


def byte_patterns(person: dict) -> dict[str, tuple[bytes, bool]]:
    """What to look for in raw bytes, as (bytes, compared case-insensitively?): the person's
    name, e-mail and the longer parts of them as any storage might encode them: UTF-8, UTF-16
    either way round, and base64 (both alphabets) at each of its three alignments. Parts
    shorter than 8 letters, and base64 runs shorter than 10, are left to the row and message
    checks: in hundreds of megabytes of ciphertext a short run turns up by chance."""
    words = [
        w
        for w in {
            person["name"],
            person["email"],
            person["email"].split("@")[0],
            *person["name"].replace("-", " ").split(),
        }
        if len(w) >= 8
    ]
    patterns = {}
    for word in words:
        for encoding in ("utf-8", "utf-16-le", "utf-16-be"):
            patterns[f"{word} ({encoding})"] = (word.encode(encoding), True)
        for shift in range(3):
            # base64 of the word after `shift` other bytes: the characters that depend on the word alone.
            encoded = base64.b64encode(b"\0" * shift + word.encode())[(shift * 4 + 2) // 3 + 1 : -4]
            if len(encoded) < 10:  # as short as that, it turns up by chance
                continue
            patterns[f"{word} (base64 +{shift})"] = (encoded, False)
            patterns[f"{word} (base64url +{shift})"] = (encoded.replace(b"+", b"-").replace(b"/", b"_"), False)
    return patterns


def files_under(*folders: Path) -> list[Path]:
    return [
        path for folder in folders for path in sorted(folder.rglob("*")) if path.is_file() and not path.is_symlink()
    ]


def grep_files(paths: list[Path], patterns: dict[str, tuple[bytes, bool]]) -> list[str]:
    """Every (file, what) where a pattern occurs in the file's raw bytes."""
    hits = []
    for path in paths:
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, PermissionError):  # a file the broker or the server just removed
            continue
        # Trailing zeros hold nothing (the broker preallocates its index files, 10 MB each) but
        # the last zero of a UTF-16 text.
        data = raw[: len(raw.rstrip(b"\0")) + 1]
        lowered = data.lower()  # ASCII case only, byte for byte: UTF-16's zero bytes stay put
        hits += [
            f"{path}: {what}"
            for what, (needle, any_case) in patterns.items()
            if (needle.lower() in lowered if any_case else needle in data)
        ]
    return hits


class Files:
    """Every file Convene wrote in this test: the databases' (SQLite files and their logs, or
    the PostgreSQL cluster's data directory, written out by a CHECKPOINT first) and the broker's."""

    def __init__(self, kind: str, tmp_path: Path, kafka_dir: str, postgres_admin_url: str | None):
        self.kind, self.tmp_path, self.kafka_dir, self.admin_url = kind, tmp_path, Path(kafka_dir), postgres_admin_url

    def all(self) -> list[Path]:
        if self.kind == "sqlite":
            databases = [self.tmp_path]
        else:
            engine = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
            with engine.connect() as conn:
                conn.execute(text("CHECKPOINT"))  # shared buffers to the data files: what a copy of the disk holds
                data_directory = Path(conn.execute(text("SHOW data_directory")).scalar_one())
            engine.dispose()
            databases = [data_directory]
        return files_under(*databases, self.kafka_dir)

    def sqlite_files(self) -> list[str]:
        return sorted(path.name for path in self.tmp_path.iterdir() if ".db" in path.name)


# --- fixtures ----------------------------------------------------------------------------------


class Captured(logging.Handler):
    """Every log record of every service in this process, as the services' JSON line and as
    the raw message with its arguments."""

    def __init__(self):
        super().__init__(level=logging.NOTSET)
        self.formatter_ = JsonFormatter("captured")
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.formatter_.format(record) + "\n" + record.getMessage() + "\n" + repr(record.args))


@pytest.fixture
def captured():
    root = logging.getLogger()
    handler, level = Captured(), root.level
    yield lambda: (root.addHandler(handler), root.setLevel(logging.DEBUG), handler)[-1]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys, captured):
    running = {
        name: RunningService(
            name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        )
        for name in ("enrolment", "scheduling", "feedback")
    }
    # After the apps exist: creating one configures logging afresh (logs.configure).
    running["logs"] = captured()
    with running["enrolment"].runtime.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
    for name in ("enrolment", "scheduling", "feedback"):
        running[name].start_worker()
    yield running
    for name in ("enrolment", "scheduling", "feedback"):
        running[name].stop()


@pytest.fixture
def files(databases, tmp_path, kafka_dir, request) -> Files:
    admin_url = request.getfixturevalue("postgres_admin_url") if databases.kind == "postgres" else None
    return Files(databases.kind, tmp_path, kafka_dir, admin_url)


# --- reading the broker ------------------------------------------------------------------------


def run_topics(bootstrap: str, prefix: str) -> list[TopicPartition]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        names = sorted(t for t in consumer.topics() if t.startswith(prefix))
        return [TopicPartition(name, p) for name in names for p in sorted(consumer.partitions_for_topic(name) or ())]
    finally:
        consumer.close()


def end_offsets(bootstrap: str, prefix: str) -> dict[TopicPartition, int]:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        return consumer.end_offsets(run_topics(bootstrap, prefix))
    finally:
        consumer.close()


def messages(bootstrap: str, prefix: str, since: dict[TopicPartition, int] | None = None) -> list:
    """Every message on the run's topics (its prefix) from `since` (else the beginning) to their
    current ends, dead-letter topics included."""
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    try:
        partitions = run_topics(bootstrap, prefix)
        ends = consumer.end_offsets(partitions)
        consumer.assign(partitions)
        for tp in partitions:
            consumer.seek(tp, (since or {}).get(tp, 0))
        read = []

        def caught_up():
            for batch in consumer.poll(timeout_ms=500).values():
                read.extend(batch)
            return all(consumer.position(tp) >= ends[tp] for tp in partitions)

        eventually(caught_up, timeout=60, message="reading every topic of the run")
        return [m for m in read if m.offset < ends[TopicPartition(m.topic, m.partition)]]
    finally:
        consumer.close()


def as_text(message) -> str:
    headers = [(name, value.decode(errors="replace")) for name, value in (message.headers or [])]
    return "\n".join(
        [
            (message.key or b"").decode(errors="replace"),
            (message.value or b"").decode(errors="replace"),
            json.dumps(headers),
        ]
    )


# --- reading the databases ---------------------------------------------------------------------


def every_row(service: RunningService) -> dict[str, list[str]]:
    """Every row of every table (SELECT * over metadata.sorted_tables), each value as text."""
    with service.runtime.db.read() as conn:
        return {
            table.name: [" | ".join(map(str, row)) for row in conn.execute(select(table))]
            for table in service.runtime.db.metadata.sorted_tables
        }


def inbox_has(service: RunningService, event_type: str) -> bool:
    inbox = service.runtime.db.tables.inbox
    with service.runtime.db.read() as conn:
        return conn.execute(select(inbox.c.event_id).where(inbox.c.event_type == event_type)).first() is not None


def relayed(service: RunningService) -> bool:
    outbox = service.runtime.db.tables.outbox
    with service.runtime.db.read() as conn:
        return conn.execute(select(outbox.c.id).where(outbox.c.published_at.is_(None))).first() is None


# --- the story ---------------------------------------------------------------------------------


def ok(response, *statuses):
    assert response.status_code in (statuses or (200, 201)), (
        response.status_code,
        response.get_data(as_text=True)[:500],
    )
    return response.json


def future_local(days: int, hour: int = 10) -> str:
    day = datetime.now(LONDON).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour, 0).isoformat(timespec="minutes")


def held_yesterday(scheduling: RunningService, offer_id: str) -> str:
    """Time passes: the API schedules only in the future, so a session held yesterday is
    written to scheduling's store and announced through its outbox in one transaction, and
    the members are backdated to have joined before it."""
    starts_at = utcnow().replace(microsecond=0) - timedelta(days=1, hours=2)
    with scheduling.runtime.db.transaction() as conn:
        offer = scheduling_store.find_offer(conn, offer_id)
        row = new_session(dict(offer), Slot(starts_at, starts_at + timedelta(minutes=90)), {}, kind="group")
        session_store.add_sessions(conn, [row])
        scheduling.runtime.outbox.record(conn, SESSION_SCHEDULED, scheduling_events.session_data(row))
        memberships = scheduling_store.memberships
        conn.execute(
            memberships.update()
            .where(memberships.c.offer_id == offer_id)
            .values(joined_at=starts_at - timedelta(days=7))
        )
    return row["id"]


def test_erasure_ends_the_persons_places_and_coaching_and_leaves_their_name_and_e_mail_nowhere(
    stack, files, make_token, kafka_bootstrap, topic_prefix
):
    enrolment, scheduling, feedback, logs = stack["enrolment"], stack["scheduling"], stack["feedback"], stack["logs"]
    admin = {"Authorization": "Bearer " + make_token("regional_admin", REGION)}
    person_body = {"role": "clinical_director", "pcn_code": PCN, "leadership_experience": "practice"}

    # Register (with an Idempotency-Key: its table keeps the answer's id), then fill a set of two
    # places with someone waiting, and give the person a place in a coaching offer too.
    person = ok(
        enrolment.client.post(
            "/v1/participants", json=ERASED | person_body, headers=admin | {"Idempotency-Key": "register-1"}
        )
    )["id"]
    bystander = ok(
        enrolment.client.post(
            "/v1/participants",
            json=BYSTANDER | person_body | {"role": "gp"},
            headers=admin | {"Idempotency-Key": "register-2"},
        )
    )["id"]
    waiting = ok(
        enrolment.client.post("/v1/participants", json=WAITING | person_body | {"role": "pcn_manager"}, headers=admin)
    )["id"]
    dates = {"starts_on": "2027-01-04", "ends_on": "2027-06-28", "planned_sessions": 6}
    offer = {"offer_type": "action_learning_set", "title": TITLE_CANARY, "capacity": 2, "basis": "project", **dates}
    offer_id = ok(enrolment.client.post("/v1/offers", json=offer, headers=admin))["id"]
    coaching = {
        "offer_type": "coaching",
        "title": "Leadership coaching",
        "capacity": 1,
        **dates,
        "session_allowance": 6,
    }
    coaching_id = ok(enrolment.client.post("/v1/offers", json=coaching, headers=admin))["id"]
    for published in (offer_id, coaching_id):
        ok(enrolment.client.post(f"/v1/offers/{published}/publish", headers=admin))
    statuses = [
        ok(enrolment.client.post(f"/v1/offers/{offer_id}/enrolments", json={"participant_id": p}, headers=admin))[
            "status"
        ]
        for p in (person, bystander, waiting)
    ]
    assert statuses == ["confirmed", "confirmed", "waitlisted"]
    assert (
        ok(
            enrolment.client.post(
                f"/v1/offers/{coaching_id}/enrolments", json={"participant_id": person}, headers=admin
            )
        )["status"]
        == "confirmed"
    )
    shown = ok(enrolment.client.get(f"/v1/participants/{person}", headers=admin))
    assert (shown["name"], shown["email"]) == (ERASED["name"], ERASED["email"]), "stored sealed, read in the clear"

    def roster(offer: str) -> list[str]:
        response = scheduling.client.get(f"/v1/offers/{offer}/roster", headers=admin)
        return sorted(m["participant_id"] for m in response.json["members"]) if response.status_code == 200 else []

    eventually(
        lambda: roster(offer_id) == sorted([person, bystander]),
        timeout=60,
        message="scheduling's roster from enrolment's events",
    )
    eventually(lambda: roster(coaching_id) == [person], timeout=60, message="scheduling's coaching roster")
    coach = ok(
        scheduling.client.post(
            "/v1/facilitators", json={"kind": "coach", "monthly_capacity": 10, "skills": ["coaching"]}, headers=admin
        )
    )["id"]
    booking = {"participant_id": person, "coach_id": coach, "starts_at": future_local(12), "duration_minutes": 60}
    booked = ok(scheduling.client.post(f"/v1/offers/{coaching_id}/coaching-bookings", json=booking, headers=admin))[
        "id"
    ]
    me = {"Authorization": "Bearer " + make_token("participant", REGION, person)}
    # Sealed under their data key in scheduling.
    words = f"{ERASED['name']} wants to steer the merger calmly ({ERASED['email']})"
    ok(
        scheduling.client.put(
            f"/v1/coaching/offers/{coaching_id}/goals/{person}",
            json={"goal_types": ["leadership_goal"], "words": words},
            headers=me,
        )
    )
    ok(
        scheduling.client.post(
            f"/v1/offers/{offer_id}/sessions",
            json={"starts_at": future_local(10), "duration_minutes": 90},
            headers=admin,
        )
    )
    session_id = held_yesterday(scheduling, offer_id)

    # Attendance, then named feedback with a comment naming the person, a needs survey (whose
    # free text is anonymous, so it holds the canary, not the person) and an outcome measure.
    marks = {
        "records": [
            {"participant_id": person, "attendance": "present"},
            {"participant_id": bystander, "attendance": "present"},
        ]
    }
    ok(scheduling.client.put(f"/v1/sessions/{session_id}/attendance", json=marks, headers=admin))

    def attendees() -> int:  # read from feedback's projection: the figures a region's admin sees may be suppressed
        return len([row for row in every_row(feedback)["attendance"] if row.startswith(session_id)])

    eventually(lambda: attendees() == 2, timeout=60, message="feedback to learn the session and its attendance")
    answer = {"overall": 5, "usefulness": 4, "will_apply": 4, "recommend": "very_good"}
    comment = f"Thanks from {ERASED['name']} ({ERASED['email']})"
    assert (
        ok(feedback.client.post(f"/v1/sessions/{session_id}/feedback", json=answer | {"comment": comment}, headers=me))[
            "anonymous"
        ]
        is False
    )
    other = {"Authorization": "Bearer " + make_token("participant", REGION, bystander)}
    ok(feedback.client.post(f"/v1/sessions/{session_id}/feedback", json=answer | {"anonymous": True}, headers=other))
    ratings = {
        "leadership": 5,
        "collaboration": 4,
        "dealing_with_conflict": 2,
        "innovation": 3,
        "teamwork": 4,
        "strategy": 1,
        "engagement": 2,
    }
    needs = {"ratings": ratings, "other_needs": f"Mentoring, please ({NEEDS_CANARY})", "offer_id": offer_id}
    eventually(
        lambda: feedback.client.post("/v1/needs-surveys/responses", json=needs, headers=me).status_code == 201,
        timeout=60,
        message="feedback to learn the membership",
    )
    scores = {"confidence": 3, "isolation": 5, "trust_in_group": 4, "sense_of_direction": 3}
    ok(
        feedback.client.post(
            "/v1/outcome-measures",
            json={"offer_id": offer_id, "phase": "before", "scores": scores},
            headers=me | {"Idempotency-Key": "outcome-1"},
        )
    )
    figures_before = every_row(feedback)["aggregate_stats"]
    assert len([row for row in every_row(feedback)["feedback_responses"] if session_id in row]) == 2
    for service in (enrolment, scheduling, feedback):
        eventually(lambda: relayed(service), timeout=60, message=f"{service.name}'s relay to publish everything")

    # Before erasure already: no row, and no byte of any file, holds the name or e-mail, while
    # the canaries stored in the clear are found in the same files.
    for service in (enrolment, scheduling, feedback):
        for table, rows in every_row(service).items():
            assert not [row for row in rows if found(row, ERASED)], (
                f"{service.name}.{table} holds the name or e-mail in the clear"
            )
    written = files.all()
    if files.kind == "sqlite":
        assert {"-wal", "-shm"} <= {name[-4:] for name in files.sqlite_files()}, files.sqlite_files()
    assert grep_files(written, {"needs canary": (NEEDS_CANARY.encode(), False)}), (
        "the search does not reach the databases' stored bytes"
    )
    assert grep_files(files_under(files.kafka_dir), {"title canary": (TITLE_CANARY.encode(), False)}), (
        "the search does not reach the broker's log"
    )
    assert grep_files(written, byte_patterns(ERASED) | byte_patterns(BYSTANDER)) == []

    # Erase.
    offsets = end_offsets(kafka_bootstrap, topic_prefix)
    logged_before = len(logs.lines)
    assert enrolment.client.delete(f"/v1/participants/{person}", headers=admin).status_code == 204
    eventually(
        lambda: inbox_has(scheduling, PARTICIPANT_ERASED.type), timeout=60, message="scheduling to apply the erasure"
    )
    eventually(
        lambda: inbox_has(feedback, PARTICIPANT_ERASED.type), timeout=60, message="feedback to apply the erasure"
    )
    for service in (enrolment, scheduling, feedback):
        eventually(lambda: relayed(service), timeout=60, message=f"{service.name}'s relay to publish everything")

    # The place went to the first waitlisted person, in enrolment and in scheduling's roster.
    roster_now = ok(enrolment.client.get(f"/v1/offers/{offer_id}/enrolments", headers=admin))["items"]
    assert [(e["participant_id"], e["status"]) for e in roster_now] == [
        (bystander, "confirmed"),
        (waiting, "confirmed"),
        (person, "withdrawn"),
    ]
    assert ok(enrolment.client.get(f"/v1/offers/{offer_id}", headers=admin))["places_taken"] == 2
    assert [
        e["status"] for e in ok(enrolment.client.get(f"/v1/participants/{person}/enrolments", headers=admin))["items"]
    ] == ["withdrawn", "withdrawn"]
    eventually(
        lambda: roster(offer_id) == sorted([bystander, waiting]), timeout=60, message="scheduling's roster to move up"
    )
    eventually(lambda: roster(coaching_id) == [], timeout=60, message="scheduling to end the coaching place")
    # Their future coaching is cancelled; the booking stays under a pseudonym.
    bookings = ok(scheduling.client.get(f"/v1/offers/{coaching_id}/coaching-bookings", headers=admin))["items"]
    assert [(b["id"], b["status"]) for b in bookings] == [(booked, "cancelled")]
    assert bookings[0]["coachee_id"] != person

    # Every table of every service's database.
    for service in (enrolment, scheduling, feedback):
        for table, rows in every_row(service).items():
            assert not [found(row, ERASED) for row in rows if found(row, ERASED)], (
                f"{service.name}.{table} still holds the erased person's name or e-mail"
            )
    # The outbox rows are copies of events: none ever held a name or e-mail, of anyone.
    outbox = enrolment.runtime.db.tables.outbox
    with enrolment.runtime.db.read() as conn:
        copies = [" ".join(map(str, row)) for row in conn.execute(select(outbox))]
    assert copies and not [c for c in copies if found(c, ERASED) or found(c, BYSTANDER) or found(c, WAITING)]

    # Every byte of every file: databases (with their logs, freed pages and dead row versions) and broker.
    assert grep_files(files.all(), byte_patterns(ERASED)) == []

    # Every log record: after the erasure, and (stronger) since the services started.
    after = logs.lines[logged_before:]
    assert after, "nothing was logged after the erasure: the capture is not working"
    assert not [line for line in after if found(line, ERASED)]
    assert not [line for line in logs.lines if found(line, ERASED) or found(line, BYSTANDER) or found(line, WAITING)]

    # Every message produced after the erasure, and every message of the run.
    since_erasure = messages(kafka_bootstrap, topic_prefix, offsets)

    def of_type(event_type):
        return [
            json.loads(m.value)
            for m in since_erasure
            if (dict(m.headers).get("ce_type") or b"").decode() == event_type.type
        ]  # noqa: E731

    assert [e["participant_id"] for e in of_type(PARTICIPANT_ERASED)] == [person]
    assert [e["session_id"] for e in of_type(SESSION_CANCELLED)] == [booked]
    assert not [as_text(m) for m in since_erasure if found(as_text(m), ERASED)]
    everything = messages(kafka_bootstrap, topic_prefix)
    assert len(everything) > len(since_erasure)
    assert not [
        as_text(m)
        for m in everything
        if found(as_text(m), ERASED) or found(as_text(m), BYSTANDER) or found(as_text(m), WAITING)
    ]

    # What stays: the opaque id, role, PCN and enrolment history in enrolment; a pseudonymous
    # attendance in scheduling; the figures in feedback.
    shown = ok(enrolment.client.get(f"/v1/participants/{person}", headers=admin))
    assert (shown["id"], shown["role"], shown["pcn_code"], shown["region"], shown["name"]) == (
        person,
        "clinical_director",
        PCN,
        REGION,
        "(erased)",
    )
    assert every_row(feedback)["aggregate_stats"] == figures_before
    comments = ok(feedback.client.get(f"/v1/sessions/{session_id}/comments", headers=admin))
    assert comments["items"] == []
