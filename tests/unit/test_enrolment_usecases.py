"""Enrolment's use cases run against an in-memory unit of work: SQLite in memory, the events
kept in a MemoryOutbox. No Kafka, no files: what is checked is what a use case writes and records."""

from dataclasses import dataclass
from datetime import date

import pytest
from sqlalchemy import create_engine, update

from services.enrolment.domain.offers import OfferAction
from services.enrolment.settings import EnrolmentSettings
from services.enrolment.store import metadata
from services.enrolment.store import offers as offer_store
from services.enrolment.store import tables as offer_tables
from services.enrolment.store.regions import REGIONS_FILE
from services.enrolment.usecases import enrolments, erasure, offers, participants
from services.enrolment.usecases.reference import import_files
from shared import data_keys
from shared.auth import Principal, Role
from shared.contracts.enrolment import (
    ENROLMENT_CONFIRMED,
    ENROLMENT_PROMOTED,
    ENROLMENT_WAITLISTED,
    ENROLMENT_WITHDRAWN,
    OFFER_PUBLISHED,
)
from shared.errors import Conflict
from shared.outbox import MemoryOutbox
from shared.problems import Problem
from shared.sealing import new_kek_text
from shared.unit import Unit

SAMPLE = REGIONS_FILE.parent / "sample"
LONDON, CAMDEN, REGENTS_PARK = "Y56", "U10001", "F83011"


@dataclass
class World:
    """One open transaction on an in-memory enrolment database, with London's administrator."""

    unit: Unit
    outbox: MemoryOutbox

    def offer(
        self, capacity: int, offer_type: str = "regional_programme", starts_on: date = date(2027, 1, 11), **details
    ) -> dict:
        body = {
            "offer_type": offer_type,
            "title": "Leading a PCN",
            "capacity": capacity,
            "planned_sessions": 4,
            "starts_on": starts_on,
            "ends_on": date(2027, 6, 30),
            "pcn_code": None,
            "basis": None,
            "session_allowance": None,
            **details,
        }
        created = offers.create(self.unit, body)
        return offers.change_status(self.unit, created["id"], OfferAction.PUBLISH)

    def participant(self, n: int) -> str:
        body = {
            "name": f"Test Person {n}",
            "email": f"person{n}@example.invalid",
            "role": "gp",
            "pcn_code": CAMDEN,
            "practice_code": REGENTS_PARK,
            "leadership_experience": "practice",
        }
        return participants.register(self.unit, body)["id"]

    def recorded(self, event_type) -> list[dict]:
        return [envelope.data for envelope in self.outbox.recorded if envelope.type == event_type.type]


@pytest.fixture
def world():
    engine = create_engine("sqlite://")
    metadata.create_all(engine)
    settings = EnrolmentSettings.load({"PERSONAL_DATA_KEY": new_kek_text()})
    data_keys.bind(engine, settings, metadata)  # names and e-mails are sealed, as the app binds them
    with engine.begin() as conn:
        import_files(conn, (SAMPLE / "epcn.csv").read_text(), (SAMPLE / "gp-reg-pat-prac-map.csv").read_text())
        outbox = MemoryOutbox()
        yield World(Unit(conn, outbox, settings, Principal("admin-london", Role.REGIONAL_ADMIN, LONDON)), outbox)
    engine.dispose()


def test_enrolling_into_a_full_offer_waitlists_the_participant_and_records_that_they_were_waitlisted(world):
    offer = world.offer(capacity=1)
    first, second = world.participant(1), world.participant(2)

    confirmed = enrolments.enrol(world.unit, offer["id"], first)
    waitlisted = enrolments.enrol(world.unit, offer["id"], second)

    assert (confirmed["status"], confirmed["waitlist_position"]) == ("confirmed", None)
    assert (waitlisted["status"], waitlisted["waitlist_position"]) == ("waitlisted", 1)
    assert [event["participant_id"] for event in world.recorded(ENROLMENT_CONFIRMED)] == [first]
    [event] = world.recorded(ENROLMENT_WAITLISTED)
    assert (event["participant_id"], event["offer_id"], event["waitlist_position"], event["region"]) == (
        second,
        offer["id"],
        1,
        LONDON,
    )
    assert (
        offers.get(world.unit, offer["id"])["places_taken"] == 1
        and offers.get(world.unit, offer["id"])["waitlist_length"] == 1
    )


def test_withdrawing_a_confirmed_member_promotes_the_first_waitlisted_person_and_records_the_promotion(world):
    offer = world.offer(capacity=1)
    member, first_waiting, second_waiting = (world.participant(n) for n in (1, 2, 3))
    place = enrolments.enrol(world.unit, offer["id"], member)
    promoted = enrolments.enrol(world.unit, offer["id"], first_waiting)
    still_waiting = enrolments.enrol(world.unit, offer["id"], second_waiting)

    withdrawn = enrolments.withdraw(world.unit, place["id"])

    roster = {
        entry["participant_id"]: entry
        for entry in enrolments.roster(world.unit, offer["id"], {"limit": 50, "offset": 0}).items
    }
    assert withdrawn["status"] == "withdrawn" and roster[member]["status"] == "withdrawn"
    assert (roster[first_waiting]["status"], roster[first_waiting]["waitlist_position"]) == ("confirmed", None)
    assert (roster[second_waiting]["status"], roster[second_waiting]["waitlist_position"]) == ("waitlisted", 1)
    assert [event["enrolment_id"] for event in world.recorded(ENROLMENT_WITHDRAWN)] == [place["id"]]
    assert [(event["enrolment_id"], event["status"]) for event in world.recorded(ENROLMENT_PROMOTED)] == [
        (promoted["id"], "confirmed")
    ]
    # Moving up the waitlist is no event of its own: only changes of who holds a place are.
    assert still_waiting["id"] not in {
        event["enrolment_id"] for event in world.recorded(ENROLMENT_PROMOTED) + world.recorded(ENROLMENT_WITHDRAWN)
    }


def test_a_change_to_an_offer_that_names_no_version_or_a_stale_one_is_refused_and_changes_nothing(world):
    offer = world.offer(capacity=2)  # created at version 1, published at version 2

    with pytest.raises(Problem) as missing:
        offers.update(world.unit, offer["id"], {"title": "Renamed"}, None)
    with pytest.raises(Problem) as stale:
        offers.update(world.unit, offer["id"], {"title": "Renamed"}, 'W/"1"')

    assert (missing.value.status, missing.value.rule) == (428, "if_match_required")
    assert (stale.value.status, stale.value.rule, stale.value.headers) == (412, "stale_version", {"ETag": 'W/"2"'})
    assert offers.get(world.unit, offer["id"])["title"] == "Leading a PCN"
    changed = offers.update(world.unit, offer["id"], {"title": "Renamed"}, 'W/"2"')
    assert (changed["title"], changed["version"]) == ("Renamed", 3)
    assert [event["offer_id"] for event in world.recorded(OFFER_PUBLISHED)] == [offer["id"]]


def roster_of(world, offer_id: str) -> dict:
    return {
        e["participant_id"]: (e["status"], e["waitlist_position"], e["withdrawal_reason"])
        for e in enrolments.roster(world.unit, offer_id, {"limit": 50, "offset": 0}).items
    }


def test_a_team_that_does_not_fit_is_refused_whole_and_nothing_is_written_or_recorded(world):
    team_offer = world.offer(capacity=3, offer_type="pcn_team", pcn_code=CAMDEN)
    team = [world.participant(n) for n in range(4)]

    with pytest.raises(Conflict) as refused:
        enrolments.enrol_team(world.unit, team_offer["id"], team)

    assert (refused.value.rule, refused.value.extra) == (
        "team_does_not_fit",
        {"team_size": 4, "free_places": 3, "waitlist_length": 0},
    )
    assert roster_of(world, team_offer["id"]) == {}
    assert world.recorded(ENROLMENT_CONFIRMED) == world.recorded(ENROLMENT_WAITLISTED) == []
    placed = enrolments.enrol_team(world.unit, team_offer["id"], team[:3])["items"]
    assert [e["status"] for e in placed] == ["confirmed"] * 3


def test_starting_a_set_releases_its_waitlist_each_with_an_event_offering_the_regions_other_open_sets(world):
    basis = {"offer_type": "action_learning_set", "basis": "project"}
    started = world.offer(capacity=1, **basis)
    sooner, later = (
        world.offer(capacity=8, starts_on=date(2027, 2, 1), **basis),
        world.offer(capacity=8, starts_on=date(2027, 3, 1), **basis),
    )
    world.offer(capacity=8)  # a regional programme: not the same kind of offer
    member, first, second = (world.participant(n) for n in range(3))
    for person in (member, first, second):
        enrolments.enrol(world.unit, started["id"], person)
    enrolments.enrol(world.unit, later["id"], second)  # already holds a place there

    offers.change_status(world.unit, started["id"], OfferAction.START)

    assert roster_of(world, started["id"]) == {
        member: ("confirmed", None, None),
        first: ("withdrawn", None, "waitlist_released"),
        second: ("withdrawn", None, "waitlist_released"),
    }
    released = {e["participant_id"]: e for e in world.recorded(ENROLMENT_WITHDRAWN)}
    assert {p: (e["reason"], e["alternative_offer_ids"]) for p, e in released.items()} == {
        first: ("waitlist_released", [sooner["id"], later["id"]]),
        second: ("waitlist_released", [sooner["id"]]),
    }
    assert offers.get(world.unit, started["id"])["waitlist_length"] == 0


def test_cancelling_an_offer_ends_every_enrolment_for_offer_cancelled_and_promotes_nobody(world):
    cancelled, other = world.offer(capacity=1), world.offer(capacity=4)
    member, waiting = world.participant(1), world.participant(2)
    enrolments.enrol(world.unit, cancelled["id"], member)
    enrolments.enrol(world.unit, cancelled["id"], waiting)

    offers.change_status(world.unit, cancelled["id"], OfferAction.CANCEL)

    assert roster_of(world, cancelled["id"]) == {
        member: ("withdrawn", None, "offer_cancelled"),
        waiting: ("withdrawn", None, "offer_cancelled"),
    }
    assert world.recorded(ENROLMENT_PROMOTED) == []
    ended = world.recorded(ENROLMENT_WITHDRAWN)
    assert sorted((e["participant_id"], e["reason"], tuple(e["alternative_offer_ids"])) for e in ended) == sorted(
        [(member, "offer_cancelled", (other["id"],)), (waiting, "offer_cancelled", (other["id"],))]
    )
    shown = offers.get(world.unit, cancelled["id"])
    assert (shown["status"], shown["places_taken"], shown["waitlist_length"]) == ("cancelled", 0, 0)


def test_completing_an_offer_that_held_no_session_is_refused_and_leaves_it_started(world):
    offer = world.offer(capacity=2)
    enrolments.enrol(world.unit, offer["id"], world.participant(1))
    offers.change_status(world.unit, offer["id"], OfferAction.START)
    recorded = len(world.outbox.recorded)

    with pytest.raises(Conflict) as refused:
        offers.change_status(world.unit, offer["id"], OfferAction.COMPLETE)

    assert (refused.value.rule, refused.value.status) == ("no_session_held", 409)
    assert offers.get(world.unit, offer["id"])["status"] == "started"
    assert len(world.outbox.recorded) == recorded


def counts_of(world, offer_id: str) -> tuple[int, int]:
    row = offer_store.offer(world.unit.conn, offer_id)
    return row["places_taken"], row["waitlist_length"]


def test_every_write_of_enrolments_moves_the_counts_the_offer_row_keeps_in_step_with_its_rows(world):
    """Admission, a team, withdrawal with promotion, a larger capacity filling places, a closed
    group's start releasing its waitlist, erasure and cancellation: after each, the offer list's
    stored counts are what counting the enrolments gives."""
    programme = world.offer(capacity=2)
    people = [world.participant(n) for n in range(6)]
    placed = [enrolments.enrol(world.unit, programme["id"], person) for person in people[:5]]
    assert counts_of(world, programme["id"]) == (2, 3)

    enrolments.withdraw(world.unit, placed[0]["id"])  # the first waiting is promoted
    assert counts_of(world, programme["id"]) == (2, 2)
    enrolments.withdraw(world.unit, placed[4]["id"])  # a waiting one leaves
    assert counts_of(world, programme["id"]) == (2, 1)
    offers.update(world.unit, programme["id"], {"capacity": 4}, "*")  # the last waiting takes a free place
    assert counts_of(world, programme["id"]) == (3, 0)
    erasure.erase(world.unit, people[1])  # held a place
    assert counts_of(world, programme["id"]) == (2, 0)

    team_offer = world.offer(capacity=3, offer_type="pcn_team", pcn_code=CAMDEN)
    enrolments.enrol_team(world.unit, team_offer["id"], people[2:5])
    assert counts_of(world, team_offer["id"]) == (3, 0)
    offers.change_status(world.unit, team_offer["id"], OfferAction.CANCEL)
    assert counts_of(world, team_offer["id"]) == (0, 0)

    group = world.offer(capacity=1, offer_type="action_learning_set", basis="project")
    for person in people[3:6]:
        enrolments.enrol(world.unit, group["id"], person)
    assert counts_of(world, group["id"]) == (1, 2)
    offers.change_status(world.unit, group["id"], OfferAction.START)
    assert counts_of(world, group["id"]) == (1, 0)

    assert offer_store.miscounted(world.unit.conn) == []
    listed = offers.offer_page(world.unit, {"limit": 50, "offset": 0})
    assert {o["id"]: (o["places_taken"], o["waitlist_length"]) for o in listed.items} == {
        programme["id"]: (2, 0),
        team_offer["id"]: (0, 0),
        group["id"]: (1, 0),
    }


def test_a_stored_count_that_differs_from_the_rows_is_found_and_set_again_from_them(world):
    offer = world.offer(capacity=1)
    enrolments.enrol(world.unit, offer["id"], world.participant(1))
    world.unit.conn.execute(update(offer_tables.offers).values(waitlist_length=4))

    assert offer_store.miscounted(world.unit.conn) == [
        {"id": offer["id"], "places_taken": 1, "counted_places": 1, "waitlist_length": 4, "counted_waitlist": 0}
    ]
    assert offer_store.recount(world.unit.conn) == 1
    assert offer_store.miscounted(world.unit.conn) == [] and counts_of(world, offer["id"]) == (1, 0)
