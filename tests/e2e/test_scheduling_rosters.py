"""Scheduling's rosters come from enrolment's events over the real broker, on both
databases: members confirmed in enrolment appear, a member who withdraws leaves future
sessions and their calendar feed but stays on past ones, and replaying the topic into empty
tables rebuilds exactly the rosters kept live."""

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from services.enrolment.usecases.reference import import_files
from services.scheduling.domain.recurrence import LONDON, Slot
from services.scheduling.rebuild import rebuild_rosters
from services.scheduling.store import metadata
from services.scheduling.store import rosters as store
from services.scheduling.store import sessions as session_store
from services.scheduling.usecases.sessions import new_session
from shared import data_keys
from shared.clock import utcnow
from shared.db import Database
from tests.harness import RunningService, eventually, service_environment

SAMPLE = Path(__file__).resolve().parents[2] / "services" / "enrolment" / "data" / "sample"
REGION, PCN = "Y56", "U10001"  # a London PCN of enrolment's sample ODS files


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys):
    running = {}
    for name in ("enrolment", "scheduling"):
        running[name] = RunningService(
            name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        )
    with running["enrolment"].runtime.db.transaction() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
    for service in running.values():
        service.start_worker()
    running["databases"] = databases
    yield running
    for name in ("enrolment", "scheduling"):
        running[name].stop()


@pytest.fixture
def admin(make_token):
    return {"Authorization": "Bearer " + make_token("regional_admin", REGION)}


class Enrolment:
    """Enrolment driven through its own HTTP API, as an administrator would."""

    def __init__(self, service: RunningService, headers: dict):
        self.client, self.headers = service.client, headers

    def offer(self, title: str, capacity: int = 8) -> str:
        body = {
            "offer_type": "action_learning_set",
            "title": title,
            "capacity": capacity,
            "basis": "project",
            "starts_on": "2027-01-04",
            "ends_on": "2027-12-20",
            "planned_sessions": 6,
        }
        offer_id = self._ok(self.client.post("/v1/offers", json=body, headers=self.headers))["id"]
        self._ok(self.client.post(f"/v1/offers/{offer_id}/publish", headers=self.headers))
        return offer_id

    def participant(self, n: int) -> str:
        body = {
            "name": f"Test Person {n}",
            "email": f"person{n}@example.invalid",
            "role": "clinical_director",
            "pcn_code": PCN,
            "leadership_experience": "practice",
        }
        return self._ok(self.client.post("/v1/participants", json=body, headers=self.headers))["id"]

    def enrol(self, offer_id: str, participant_id: str) -> dict:
        return self._ok(
            self.client.post(
                f"/v1/offers/{offer_id}/enrolments", json={"participant_id": participant_id}, headers=self.headers
            )
        )

    def withdraw(self, enrolment_id: str) -> None:
        self._ok(self.client.post(f"/v1/enrolments/{enrolment_id}/withdraw", headers=self.headers))

    @staticmethod
    def _ok(response) -> dict:
        assert response.status_code in (200, 201), response.json
        return response.json


def roster_of(scheduling: RunningService, headers: dict, offer_id: str) -> list[str]:
    response = scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=headers)
    return [m["participant_id"] for m in response.json["members"]] if response.status_code == 200 else []


def feed_uids(scheduling: RunningService, headers: dict, participant_id: str) -> set[str]:
    response = scheduling.client.get(f"/v1/participants/{participant_id}/calendar.ics", headers=headers)
    assert response.status_code == 200
    return {str(event["UID"]) for event in Calendar.from_ical(response.data).walk("VEVENT")}


def test_a_member_who_withdraws_in_enrolment_leaves_future_sessions_and_their_feed_but_not_past_ones(
    stack, admin, make_token
):
    enrolment, scheduling = Enrolment(stack["enrolment"], admin), stack["scheduling"]
    offer_id = enrolment.offer("Set A")
    people = [enrolment.participant(n) for n in range(3)]
    enrolments = {p: enrolment.enrol(offer_id, p) for p in people}
    assert {e["status"] for e in enrolments.values()} == {"confirmed"}
    eventually(
        lambda: sorted(roster_of(scheduling, admin, offer_id)) == sorted(people),
        message="the roster to hold the confirmed members",
    )

    start = (
        (utcnow() + timedelta(days=7))
        .astimezone(LONDON)
        .replace(tzinfo=None, hour=10, minute=0, second=0, microsecond=0)
    )
    series = {"starts_at": start.isoformat(), "duration_minutes": 120, "repeat": {"count": 4, "cadence": "weekly"}}
    scheduled = scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=series, headers=admin)
    assert scheduled.status_code == 201, scheduled.json
    future = {f"{s['id']}@convene" for s in scheduled.json["sessions"]}
    past = _session_already_held(scheduling, offer_id, admin)

    leaver = people[0]
    as_leaver = {"Authorization": "Bearer " + make_token("participant", REGION, leaver)}
    assert feed_uids(scheduling, as_leaver, leaver) == future | {past}
    enrolment.withdraw(enrolments[leaver]["id"])
    eventually(
        lambda: leaver not in roster_of(scheduling, admin, offer_id), message="the withdrawal to reach the roster"
    )

    assert feed_uids(scheduling, as_leaver, leaver) == {past}
    assert feed_uids(scheduling, admin, people[1]) == future | {past}
    first_future = scheduled.json["sessions"][0]["id"]
    assert scheduling.client.get(f"/v1/sessions/{first_future}", headers=as_leaver).status_code == 404
    assert scheduling.client.get(f"/v1/sessions/{past.split('@')[0]}", headers=as_leaver).status_code == 200
    marks = {"records": [{"participant_id": leaver, "attendance": "present"}]}
    assert (
        scheduling.client.put(f"/v1/sessions/{past.split('@')[0]}/attendance", json=marks, headers=admin).status_code
        == 200
    )


def test_rebuilding_the_roster_projection_from_the_topic_gives_the_live_rosters(stack, admin):
    enrolment, scheduling = Enrolment(stack["enrolment"], admin), stack["scheduling"]
    small, large = enrolment.offer("Small set", capacity=2), enrolment.offer("Large set")
    people = [enrolment.participant(n) for n in range(4)]
    places = {p: enrolment.enrol(small, p) for p in people[:3]}  # the third is waitlisted
    for p in people:
        enrolment.enrol(large, p)
    enrolment.withdraw(places[people[0]]["id"])  # the waitlisted person is promoted
    enrolment.withdraw(enrolment.enrol(large, enrolment.participant(9))["id"])
    expected = {small: sorted(people[1:3]), large: sorted(people)}
    eventually(
        lambda: _periods(scheduling.runtime.db) == (8, 2),
        message="every membership, two of them ended, to reach the projection",
    )
    assert all(sorted(roster_of(scheduling, admin, o)) == members for o, members in expected.items())
    live = _snapshot(scheduling.runtime.db)

    fresh = Database(stack["databases"].new("rebuilt"), metadata)
    fresh.create_schema()
    # As the service's runtime binds its own (services' build_runtime): the rebuild remembers
    # erasures under a key of the service, kept wrapped in this database.
    data_keys.bind(fresh.engine, scheduling.settings, metadata)
    assert rebuild_rosters(scheduling.settings, fresh) >= 14
    assert _snapshot(fresh) == live
    fresh.dispose()

    scheduling.stop()  # rebuilding in place: the worker is stopped while the tables are refilled
    rebuild_rosters(scheduling.settings, scheduling.runtime.db)
    assert _snapshot(scheduling.runtime.db) == live


def _session_already_held(scheduling: RunningService, offer_id: str, admin: dict) -> str:
    """A session that began after everyone joined and before anyone withdraws: written straight
    to the store, because the API schedules only future sessions."""
    joined = max(
        m["joined_at"] for m in scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=admin).json["members"]
    )
    with scheduling.runtime.db.transaction() as conn:
        offer = dict(store.find_offer(conn, offer_id))
        starts = datetime.fromisoformat(joined)
        row = new_session(offer, Slot(starts, starts + timedelta(minutes=1)), {})
        session_store.add_sessions(conn, [row])
    return f"{row['id']}@convene"


def _periods(db: Database) -> tuple[int, int]:
    """How many periods of membership the projection holds, and how many of them ended."""
    periods = _snapshot(db)["memberships"]
    return len(periods), sum(1 for period in periods if period[-1] is not None)


def _snapshot(db: Database) -> dict:
    with db.read() as conn:
        return store.rosters_snapshot(conn)
