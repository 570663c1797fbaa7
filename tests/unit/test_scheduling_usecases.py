"""Scheduling's use cases and handlers run against an in-memory unit of work: SQLite in memory,
the events kept in a MemoryOutbox. No Kafka, no files: what is checked is what a use case
writes and records, and that a handler reacting to another service's event does the same."""

from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import create_engine, func, select

from services.scheduling.domain.recurrence import LONDON, Slot
from services.scheduling.handlers import SUBSCRIPTIONS
from services.scheduling.settings import SchedulingSettings
from services.scheduling.store import metadata, tables
from services.scheduling.store import sessions as session_store
from services.scheduling.usecases import attendance, coaching, facilitators, goals, sessions
from shared import data_keys
from shared.auth import Principal, Role
from shared.clock import utcnow
from shared.contracts import enrolment
from shared.contracts.scheduling import (
    ATTENDANCE_RECORDED,
    COACHING_BOOKED,
    COACHING_GOALS_SET,
    SESSION_CANCELLED,
    SESSION_RESCHEDULED,
    SESSION_SCHEDULED,
)
from shared.envelope import Envelope
from shared.errors import Conflict, Forbidden, NotFound, RuleViolation
from shared.outbox import MemoryOutbox
from shared.problems import Problem
from shared.sealing import new_kek_text, open_sealed
from shared.unit import Unit

REGION = "Y56"


@dataclass
class World:
    """One open transaction on an in-memory scheduling database: the region's administrator
    acts through `unit`, and enrolment's events reach the handlers through `deliver`."""

    unit: Unit
    outbox: MemoryOutbox

    def deliver(self, event_type, data: dict) -> None:
        """Hand an event to the handler the live consumer runs, on a unit with no caller."""
        envelope = Envelope(type=event_type.type, source=event_type.source, data=event_type.validate(data))
        [handler] = [s.handlers[event_type.type] for s in SUBSCRIPTIONS if event_type.type in s.handlers]
        handler(envelope, Unit(self.unit.conn, self.outbox, self.unit.settings))

    def offer(
        self,
        offer_id: str,
        *,
        offer_type="regional_programme",
        status="published",
        session_allowance=None,
        event=enrolment.OFFER_PUBLISHED,
    ) -> dict:
        offer = {
            "offer_id": offer_id,
            "region": REGION,
            "offer_type": offer_type,
            "title": "Leading a PCN",
            "capacity": 20,
            "status": status,
            "session_allowance": session_allowance,
        }
        self.deliver(event, offer)
        return offer

    def member(self, offer_id: str, participant_id: str) -> None:
        data = {
            "enrolment_id": f"e-{participant_id}",
            "offer_id": offer_id,
            "participant_id": participant_id,
            "region": REGION,
            "offer_type": "coaching",
            "role": "gp",
            "status": "confirmed",
            "changed_at": (utcnow() - timedelta(days=7)).isoformat(),
        }
        self.deliver(enrolment.ENROLMENT_CONFIRMED, data)

    def recorded(self, event_type) -> list[dict]:
        return [envelope.data for envelope in self.outbox.recorded if envelope.type == event_type.type]


SETTINGS = SchedulingSettings.load({"PERSONAL_DATA_KEY": new_kek_text()})


@pytest.fixture
def world():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    data_keys.bind(engine, SETTINGS, metadata)  # goals and notes are sealed, as the app binds them
    with engine.begin() as conn:
        outbox = MemoryOutbox()
        yield World(Unit(conn, outbox, SETTINGS, Principal("admin-london", Role.REGIONAL_ADMIN, REGION)), outbox)
    engine.dispose()


def in_days(days: int, hour: int = 10) -> datetime:
    """A Europe/London wall-clock time `days` from today, as the API hands it to a use case."""
    day = datetime.now(LONDON).date() + timedelta(days=days)
    return datetime(day.year, day.month, day.day, hour)


def local(instant: datetime) -> datetime:
    """A stored UTC instant as Europe/London wall-clock time, as people typed it."""
    return instant.astimezone(LONDON).replace(tzinfo=None)


def test_scheduling_a_weekly_series_writes_each_session_and_records_session_scheduled_for_each(world):
    world.offer("offer-1")

    scheduled = sessions.schedule(
        world.unit,
        "offer-1",
        {"starts_at": in_days(7), "duration_minutes": 90, "repeat": {"count": 3, "cadence": "weekly"}},
    )

    rows = scheduled["sessions"]
    assert [local(row["starts_at"]) for row in rows] == [in_days(7), in_days(14), in_days(21)]
    assert {row["series_id"] for row in rows} == {scheduled["series_id"]} and scheduled["series_id"] is not None
    events = world.recorded(SESSION_SCHEDULED)
    assert [event["session_id"] for event in events] == [row["id"] for row in rows]
    assert all(
        (event["offer_id"], event["region"], event["sequence"], event["status"]) == ("offer-1", REGION, 0, "scheduled")
        for event in events
    )


def test_an_offer_cancelled_by_enrolment_cancels_upcoming_sessions_and_records_session_cancelled_with_a_higher_sequence(
    world,
):
    offer = world.offer("offer-1")
    upcoming = sessions.schedule(
        world.unit,
        "offer-1",
        {"starts_at": in_days(7), "duration_minutes": 90, "repeat": {"count": 2, "cadence": "weekly"}},
    )["sessions"]
    began = utcnow() - timedelta(hours=1)
    held = sessions.new_session(offer, Slot(began, began + timedelta(hours=2)), {})
    session_store.add_sessions(world.unit.conn, [held])

    world.deliver(enrolment.OFFER_CANCELLED, {**offer, "status": "cancelled"})

    after = {row["id"]: session_store.find_session(world.unit.conn, row["id"]) for row in [*upcoming, held]}
    assert [(after[row["id"]]["status"], after[row["id"]]["sequence"]) for row in upcoming] == [
        ("cancelled", 1),
        ("cancelled", 1),
    ]
    assert (after[held["id"]]["status"], after[held["id"]]["sequence"]) == ("scheduled", 0)  # it began: it happened
    cancelled = world.recorded(SESSION_CANCELLED)
    assert sorted(event["session_id"] for event in cancelled) == sorted(row["id"] for row in upcoming)
    assert all((event["status"], event["sequence"]) == ("cancelled", 1) for event in cancelled)


def test_an_offer_completed_by_enrolment_cancels_its_upcoming_sessions_like_a_cancelled_one_and_keeps_those_held(world):
    offer = world.offer("offer-1")
    upcoming = sessions.schedule(
        world.unit,
        "offer-1",
        {"starts_at": in_days(7), "duration_minutes": 90, "repeat": {"count": 2, "cadence": "weekly"}},
    )["sessions"]
    began = utcnow() - timedelta(days=7)
    held = sessions.new_session(offer, Slot(began, began + timedelta(hours=2)), {})
    session_store.add_sessions(world.unit.conn, [held])

    world.deliver(enrolment.OFFER_COMPLETED, {**offer, "status": "completed"})

    after = {row["id"]: session_store.find_session(world.unit.conn, row["id"]) for row in [*upcoming, held]}
    assert [(after[row["id"]]["status"], after[row["id"]]["sequence"]) for row in upcoming] == [
        ("cancelled", 1),
        ("cancelled", 1),
    ]
    assert (after[held["id"]]["status"], after[held["id"]]["sequence"]) == ("scheduled", 0)
    assert sorted(e["session_id"] for e in world.recorded(SESSION_CANCELLED)) == sorted(row["id"] for row in upcoming)
    with pytest.raises(Conflict) as refused:
        sessions.schedule(world.unit, "offer-1", {"starts_at": in_days(30), "duration_minutes": 60})
    assert refused.value.rule == "offer_closed"


def test_an_offer_started_by_enrolment_keeps_its_sessions(world):
    offer = world.offer("offer-1")
    sessions.schedule(world.unit, "offer-1", {"starts_at": in_days(7), "duration_minutes": 90})

    world.deliver(enrolment.OFFER_STARTED, {**offer, "status": "started"})

    assert world.recorded(SESSION_CANCELLED) == []


def test_a_reschedule_naming_no_version_or_a_stale_one_is_refused_and_records_nothing(world):
    world.offer("offer-1")
    session = sessions.schedule(world.unit, "offer-1", {"starts_at": in_days(7), "duration_minutes": 90})
    move = {"starts_at": in_days(8), "scope": "this"}

    with pytest.raises(Problem) as missing:
        sessions.reschedule(world.unit, session["id"], move, None)
    with pytest.raises(Problem) as stale:
        sessions.reschedule(world.unit, session["id"], move, 'W/"7"')
    moved = sessions.reschedule(world.unit, session["id"], move, 'W/"0"')

    assert (missing.value.status, missing.value.rule) == (428, "if_match_required")
    assert (stale.value.status, stale.value.rule, stale.value.headers) == (412, "stale_version", {"ETag": 'W/"0"'})
    assert (moved["sequence"], local(moved["starts_at"])) == (1, in_days(8))
    assert [event["sequence"] for event in world.recorded(SESSION_RESCHEDULED)] == [1]


def test_erasing_a_coachee_cancels_their_future_coaching_and_frees_the_coach(world):
    world.offer("coaching-1", offer_type="coaching", session_allowance=3)
    world.member("coaching-1", "p1")
    coach = facilitators.add_facilitator(world.unit, {"kind": "coach", "monthly_capacity": 10, "skills": []})["id"]
    booked = coaching.book_coaching(
        world.unit,
        "coaching-1",
        {"participant_id": "p1", "coach_id": coach, "starts_at": in_days(5), "duration_minutes": 60},
    )
    assert [event["session_id"] for event in world.recorded(COACHING_BOOKED)] == [booked["id"]]

    world.deliver(
        enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": REGION, "erased_at": utcnow().isoformat()}
    )

    after = session_store.find_session(world.unit.conn, booked["id"])
    assert (after["status"], after["sequence"]) == ("cancelled", 1)
    assert after["coachee_id"].startswith("erased-")
    assert [(event["session_id"], event["sequence"]) for event in world.recorded(SESSION_CANCELLED)] == [
        (booked["id"], 1)
    ]
    assert session_store.led_bookings(world.unit.conn, coach, utcnow(), utcnow() + timedelta(days=30)) == []


def as_person(world, role: Role, subject: str) -> Unit:
    return Unit(world.unit.conn, world.outbox, world.unit.settings, Principal(subject, role, REGION))


def coached(world) -> tuple[str, dict]:
    """A coaching offer with coachee p1, booked with a coach in five days and once three days ago."""
    world.offer("coaching-1", offer_type="coaching", session_allowance=4)
    world.member("coaching-1", "p1")
    coach = facilitators.add_facilitator(world.unit, {"kind": "coach", "monthly_capacity": 10, "skills": []})["id"]
    booked = coaching.book_coaching(
        world.unit,
        "coaching-1",
        {"participant_id": "p1", "coach_id": coach, "starts_at": in_days(5), "duration_minutes": 60},
    )
    began = utcnow() - timedelta(days=3)
    held = sessions.new_session(
        booked | {"offer_id": "coaching-1"},
        Slot(began, began + timedelta(hours=1)),
        {"facilitator_id": coach},
        kind="coaching",
        coachee_id="p1",
    )
    session_store.add_sessions(world.unit.conn, [held])
    return coach, held


def test_a_coachee_sets_their_goals_and_goals_set_carries_the_types_never_the_words(world):
    coached(world)
    coachee = as_person(world, Role.PARTICIPANT, "p1")
    body = {"goal_types": ["facilitation_skills", "leadership_goal"], "words": "Chair our PCN board calmly"}

    answered = goals.save_goals(coachee, "coaching-1", "p1", body)
    goals.save_goals(
        coachee, "coaching-1", "p1", {**body, "words": "Chair our PCN board calmly and well"}
    )  # the words only: no event
    goals.save_goals(coachee, "coaching-1", "p1", {**body, "goal_types": ["coaching_skills"]})

    assert (answered["goal_types"], answered["words"], answered["progress"]) == (
        ["leadership_goal", "facilitation_skills"],
        "Chair our PCN board calmly",
        [],
    )
    recorded = world.recorded(COACHING_GOALS_SET)
    assert [event["goal_types"] for event in recorded] == [
        ["leadership_goal", "facilitation_skills"],
        ["coaching_skills"],
    ]
    assert all(set(event) == {"offer_id", "participant_id", "region", "goal_types", "set_at"} for event in recorded)
    assert "Chair" not in repr(world.outbox.recorded)


def test_a_coachee_sets_only_their_own_goals(world):
    coached(world)
    world.member("coaching-1", "p2")
    with pytest.raises(Forbidden) as refused:
        goals.save_goals(
            as_person(world, Role.PARTICIPANT, "p2"),
            "coaching-1",
            "p1",
            {"goal_types": ["leadership_goal"], "words": "Theirs"},
        )
    assert refused.value.rule == "not_yourself" and world.recorded(COACHING_GOALS_SET) == []


def test_the_coach_reads_the_words_and_both_notes_and_the_administrator_only_the_types(world):
    coach, held = coached(world)
    coachee = as_person(world, Role.PARTICIPANT, "p1")
    goals.save_goals(coachee, "coaching-1", "p1", {"goal_types": ["coaching_skills"], "words": "Coach my team"})
    goals.save_progress(as_person(world, Role.COACH, coach), held["id"], {"note": "Practised open questions"})
    goals.save_progress(coachee, held["id"], {"note": "Felt awkward, then better"})

    by_coach = goals.read_goals(as_person(world, Role.COACH, coach), "coaching-1", "p1")
    by_admin = goals.read_goals(world.unit, "coaching-1", "p1")

    assert by_coach["words"] == "Coach my team"
    assert sorted((n["noted_by"], n["note"]) for n in by_coach["progress"]) == [
        ("coach", "Practised open questions"),
        ("coachee", "Felt awkward, then better"),
    ]
    assert by_admin == {
        "offer_id": "coaching-1",
        "participant_id": "p1",
        "goal_types": ["coaching_skills"],
        "set_at": by_coach["set_at"],
    }
    with pytest.raises(NotFound):
        goals.read_goals(as_person(world, Role.COACH, "another-coach"), "coaching-1", "p1")


def stored_rows(world, *chosen) -> str:
    """Every stored row of the tables, as text: what a copy of the database would show."""
    return repr([tuple(row) for table in chosen for row in world.unit.conn.execute(select(table))])


def test_the_words_and_every_progress_note_are_stored_sealed_under_the_coachees_own_data_key(world):
    coach, held = coached(world)
    world.member("coaching-1", "p2")
    coachee = as_person(world, Role.PARTICIPANT, "p1")
    goals.save_goals(
        coachee, "coaching-1", "p1", {"goal_types": ["leadership_goal"], "words": "Win over Dr Okafor at Riverside"}
    )
    goals.save_progress(as_person(world, Role.COACH, coach), held["id"], {"note": "Rehearsed the Okafor conversation"})
    goals.save_progress(coachee, held["id"], {"note": "Less anxious about Riverside"})
    goals.save_goals(
        as_person(world, Role.PARTICIPANT, "p2"),
        "coaching-1",
        "p2",
        {"goal_types": ["coaching_skills"], "words": "Coach the Riverside nurses"},
    )

    stored = stored_rows(world, tables.coaching_goals, tables.coaching_progress, tables.data_keys)
    for plaintext in ("Okafor", "Riverside", "Rehearsed", "anxious", "nurses", "Win over"):
        assert plaintext not in stored
    sealed = [row.sealed_words for row in world.unit.conn.execute(select(tables.coaching_goals))]
    sealed += [row.sealed_note for row in world.unit.conn.execute(select(tables.coaching_progress))]
    assert len(sealed) == 4 and all(value.startswith("s1.") for value in sealed)
    records = world.unit.conn.execute(select(tables.data_keys.c.record_id)).scalars()
    # One key per coachee, the coach's note under p1's (beside the service's own keys, "~…").
    assert sorted(r for r in records if not r.startswith("~")) == ["p1", "p2"]
    assert goals.read_goals(coachee, "coaching-1", "p1")["words"] == "Win over Dr Okafor at Riverside"


def test_erasing_a_coachee_destroys_their_data_key_and_deletes_their_goals_and_every_progress_note(world):
    coach, held = coached(world)
    goals.save_goals(
        as_person(world, Role.PARTICIPANT, "p1"),
        "coaching-1",
        "p1",
        {"goal_types": ["leadership_goal"], "words": "Lead the merger"},
    )
    goals.save_progress(as_person(world, Role.COACH, coach), held["id"], {"note": "Mapped the stakeholders"})
    copy = world.unit.conn.execute(
        select(tables.coaching_goals.c.sealed_words)
    ).scalar_one()  # as a backup or the WAL keeps it
    key = data_keys.find(world.unit.conn, ["p1"])["p1"]
    assert open_sealed(key, copy, "coaching_goals/coaching-1/p1/words") == "Lead the merger"

    world.deliver(
        enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": REGION, "erased_at": utcnow().isoformat()}
    )

    assert [
        world.unit.conn.execute(select(func.count()).select_from(t)).scalar_one()
        for t in (tables.coaching_goals, tables.coaching_progress)
    ] == [0, 0]
    assert data_keys.find(world.unit.conn, ["p1"]) == {}
    assert "Lead the merger" not in stored_rows(world, *metadata.sorted_tables)
    # The copy taken before is ciphertext under a key that no longer exists: no key is kept for p1.
    # (Record ids only: "p1" can turn up by chance inside another key's base64 text.)
    kept_for = world.unit.conn.execute(select(tables.data_keys.c.record_id)).scalars().all()
    assert not [record for record in kept_for if "p1" in record]


def test_a_session_recorded_as_already_held_is_written_with_its_event_and_takes_its_attendance_at_once(world):
    world.offer("offer-1")
    world.member("offer-1", "p-1")  # joined a week ago
    last_tuesday = in_days(-3)

    recorded = sessions.schedule(
        world.unit, "offer-1", {"starts_at": last_tuesday, "duration_minutes": 90, "already_held": True}
    )

    assert local(recorded["starts_at"]) == last_tuesday
    [event] = world.recorded(SESSION_SCHEDULED)
    assert event["session_id"] == recorded["id"]
    assert datetime.fromisoformat(event["recorded_at"]) > datetime.fromisoformat(event["ends_at"])
    sheet = attendance.record_attendance(
        world.unit, recorded["id"], {"records": [{"participant_id": "p-1", "value": "present"}]}
    )
    assert [(r["participant_id"], r["value"]) for r in sheet["records"]] == [("p-1", "present")]
    [mark] = world.recorded(ATTENDANCE_RECORDED)
    assert (mark["session_id"], mark["attendance"]) == (recorded["id"], "present")


def test_a_past_session_without_already_held_is_refused_and_writes_nothing(world):
    world.offer("offer-1")
    with pytest.raises(RuleViolation) as refused:
        sessions.schedule(world.unit, "offer-1", {"starts_at": in_days(-3), "duration_minutes": 90})
    assert refused.value.rule == "session_in_past"
    assert world.recorded(SESSION_SCHEDULED) == []
    assert world.unit.conn.execute(select(func.count()).select_from(tables.sessions)).scalar_one() == 0
