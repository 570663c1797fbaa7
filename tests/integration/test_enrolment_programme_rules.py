"""The programme rules over HTTP on both databases (docs/programme-rules.md): a team is
confirmed whole or refused, refusals name the rule where privacy allows, a started set releases
its waitlist with the region's open alternatives, a cancelled offer ends every enrolment, and an
offer completes only once it has held a session."""

import json

from sqlalchemy import select

from shared.contracts.enrolment import ENROLMENT_PROMOTED, ENROLMENT_WITHDRAWN
from tests.integration.test_enrolment_support import (
    CAMDEN,
    EXETER,
    LEWISHAM,
    SOUTH_WEST,
    as_role,  # noqa: F401 (fixture)
    create_offer,
    enrol,
    enrolment,  # noqa: F401 (fixture)
    hold_session,
    outbox_types,
    register,
    row_counts,
)


def refused(service, send, status: int, rule: str, field: str | None = None) -> dict:
    """Send a request, check it is refused with `rule` (naming `field`), and that no table changed."""
    before = row_counts(service)
    response = send()
    assert (response.status_code, response.json["rule"]) == (status, rule), response.json
    if field is not None:
        assert field in [e["field"] for e in response.json.get("errors", [])], response.json
    assert row_counts(service) == before
    return response.json


def recorded(service, event_type) -> list[dict]:
    outbox = service.runtime.db.tables.outbox
    with service.runtime.db.read() as conn:
        return [
            json.loads(v)
            for v in conn.execute(
                select(outbox.c.value).where(outbox.c.event_type == event_type.type).order_by(outbox.c.id)
            ).scalars()
        ]


def roster(service, headers, offer_id: str) -> dict[str, tuple]:
    items = service.client.get(f"/v1/offers/{offer_id}/enrolments", headers=headers).json["items"]
    return {e["participant_id"]: (e["status"], e["waitlist_position"], e["withdrawal_reason"]) for e in items}


def team_enrol(service, headers, offer_id: str, team: list[str]):
    return service.client.post(
        f"/v1/offers/{offer_id}/team-enrolments", json={"participant_ids": team}, headers=headers
    )


# --- A team is never split -------------------------------------------------------------------------


def test_a_team_of_four_for_three_free_places_is_refused_naming_its_size_and_the_free_places_and_nothing_is_written(
    enrolment, as_role
):
    offer_id = create_offer(
        enrolment.client, as_role(), offer_type="pcn_team", capacity=4, basis=None, pcn_code=LEWISHAM
    )
    assert (
        enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role(), pcn=LEWISHAM, n=9)).json[
            "status"
        ]
        == "confirmed"
    )
    team = [register(enrolment.client, as_role(), pcn=LEWISHAM, n=n) for n in range(4)]

    problem = refused(
        enrolment, lambda: team_enrol(enrolment, as_role(), offer_id, team), 409, "team_does_not_fit", "participant_ids"
    )

    assert (problem["team_size"], problem["free_places"], problem["waitlist_length"]) == (4, 3, 0)
    assert "team of 4" in problem["detail"] and "3 places are free" in problem["detail"]
    assert [e["status"] for e in team_enrol(enrolment, as_role(), offer_id, team[:3]).json["items"]] == [
        "confirmed"
    ] * 3


def test_a_team_is_refused_rather_than_queued_behind_people_waiting(enrolment, as_role):
    offer_id = create_offer(
        enrolment.client, as_role(), offer_type="pcn_team", capacity=1, basis=None, pcn_code=LEWISHAM
    )
    for n in (8, 9):
        enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role(), pcn=LEWISHAM, n=n))
    team = [register(enrolment.client, as_role(), pcn=LEWISHAM, n=n) for n in range(2)]
    problem = refused(enrolment, lambda: team_enrol(enrolment, as_role(), offer_id, team), 409, "team_does_not_fit")
    assert (problem["free_places"], problem["waitlist_length"]) == (0, 1)


# --- Refusals name the rule where privacy allows ---------------------------------------------------------


def test_a_team_member_of_another_region_is_refused_as_nobody_of_your_region_naming_the_member(enrolment, as_role):
    # An administrator may not learn that a person of another region exists: the same 404 as an
    # unknown id, whose detail names the rule both break.
    offer_id = create_offer(
        enrolment.client, as_role(), offer_type="pcn_team", capacity=6, basis=None, pcn_code=LEWISHAM
    )
    outsider = register(enrolment.client, as_role("regional_admin", SOUTH_WEST), pcn=EXETER, n=7)
    team = [register(enrolment.client, as_role(), pcn=LEWISHAM, n=1), outsider]
    other_region = refused(
        enrolment,
        lambda: team_enrol(enrolment, as_role(), offer_id, team),
        404,
        "participant_not_found",
        "participant_ids[1]",
    )
    unknown = refused(
        enrolment,
        lambda: team_enrol(enrolment, as_role(), offer_id, [team[0], "no-such-person"]),
        404,
        "participant_not_found",
        "participant_ids[1]",
    )
    assert (
        other_region["detail"]
        == unknown["detail"]
        == "No participant of your region has this id: you enrol only your own region's people."
    )


def test_a_team_member_of_your_region_in_another_pcn_is_refused_as_wrong_pcn(enrolment, as_role):
    offer_id = create_offer(
        enrolment.client, as_role(), offer_type="pcn_team", capacity=6, basis=None, pcn_code=LEWISHAM
    )
    team = [
        register(enrolment.client, as_role(), pcn=LEWISHAM, n=1),
        register(enrolment.client, as_role(), pcn=CAMDEN, n=2),
    ]
    refused(enrolment, lambda: team_enrol(enrolment, as_role(), offer_id, team), 422, "wrong_pcn", "participant_ids[1]")


def test_a_team_that_names_one_person_twice_is_refused_as_a_duplicate_not_as_already_enrolled(enrolment, as_role):
    offer_id = create_offer(
        enrolment.client, as_role(), offer_type="pcn_team", capacity=6, basis=None, pcn_code=LEWISHAM
    )
    person = register(enrolment.client, as_role(), pcn=LEWISHAM, n=1)
    problem = refused(
        enrolment,
        lambda: team_enrol(enrolment, as_role(), offer_id, [person, person]),
        422,
        "duplicate_member",
        "participant_ids[1]",
    )
    assert "participant_ids[0]" in problem["detail"]


def test_a_pcn_team_offer_for_another_regions_pcn_is_refused_naming_the_pcn_code_sent(enrolment, as_role):
    body = {
        "offer_type": "pcn_team",
        "title": "Team",
        "capacity": 6,
        "pcn_code": EXETER,
        "starts_on": "2027-01-04",
        "ends_on": "2027-06-28",
        "planned_sessions": 4,
    }
    refused(
        enrolment,
        lambda: enrolment.client.post("/v1/offers", json=body, headers=as_role()),
        422,
        "wrong_region",
        "pcn_code",
    )


def test_a_team_enrolment_into_an_offer_of_another_type_names_the_offer(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    team = [register(enrolment.client, as_role(), n=1)]
    problem = refused(
        enrolment, lambda: team_enrol(enrolment, as_role(), offer_id, team), 422, "not_a_team_offer", "offer_id"
    )
    assert "action_learning_set" in problem["detail"]


# --- A started set releases its waitlist --------------------------------------------------------------


def test_a_started_set_reports_nobody_waitlisted_and_releases_each_person_with_the_regions_open_sets(
    enrolment, as_role
):
    full = create_offer(enrolment.client, as_role(), capacity=2, title="Full set")
    open_set = create_offer(enrolment.client, as_role(), title="Set still open", starts_on="2027-02-01")
    create_offer(enrolment.client, as_role(), publish=False, title="Draft set")
    create_offer(enrolment.client, as_role(), offer_type="regional_programme", basis=None, title="Programme")
    people = [register(enrolment.client, as_role(), n=n) for n in range(4)]
    for person in people:
        enrol(enrolment.client, as_role(), full, person)

    assert enrolment.client.post(f"/v1/offers/{full}/start", headers=as_role()).status_code == 200

    assert roster(enrolment, as_role(), full) == {
        people[0]: ("confirmed", None, None),
        people[1]: ("confirmed", None, None),
        people[2]: ("withdrawn", None, "waitlist_released"),
        people[3]: ("withdrawn", None, "waitlist_released"),
    }
    shown = enrolment.client.get(f"/v1/offers/{full}", headers=as_role()).json
    assert (shown["places_taken"], shown["waitlist_length"]) == (2, 0)
    released = recorded(enrolment, ENROLMENT_WITHDRAWN)
    assert [(e["participant_id"], e["status"], e["reason"], e["alternative_offer_ids"]) for e in released] == [
        (people[2], "withdrawn", "waitlist_released", [open_set]),
        (people[3], "withdrawn", "waitlist_released", [open_set]),
    ]
    assert outbox_types(enrolment)[-3:] == ["org.convene.enrolment.offer.started.v1"] + [ENROLMENT_WITHDRAWN.type] * 2


# --- Endings ------------------------------------------------------------------------------------------------


def test_cancelling_an_offer_ends_every_confirmed_and_waitlisted_enrolment_and_promotes_nobody(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), capacity=1)
    member, waiting = (register(enrolment.client, as_role(), n=n) for n in range(2))
    for person in (member, waiting):
        enrol(enrolment.client, as_role(), offer_id, person)

    cancelled = enrolment.client.post(f"/v1/offers/{offer_id}/cancel", headers=as_role())

    assert (
        cancelled.status_code,
        cancelled.json["status"],
        cancelled.json["places_taken"],
        cancelled.json["waitlist_length"],
    ) == (200, "cancelled", 0, 0)
    assert roster(enrolment, as_role(), offer_id) == {
        member: ("withdrawn", None, "offer_cancelled"),
        waiting: ("withdrawn", None, "offer_cancelled"),
    }
    assert [(e["participant_id"], e["reason"]) for e in recorded(enrolment, ENROLMENT_WITHDRAWN)] == [
        (member, "offer_cancelled"),
        (waiting, "offer_cancelled"),
    ]
    assert ENROLMENT_PROMOTED.type not in outbox_types(enrolment)


def test_a_withdrawal_says_the_person_withdrew(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    place = enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role())).json
    withdrawn = enrolment.client.post(f"/v1/enrolments/{place['id']}/withdraw", headers=as_role()).json
    assert (withdrawn["status"], withdrawn["withdrawal_reason"]) == ("withdrawn", "withdrew")
    assert [(e["reason"], e["alternative_offer_ids"]) for e in recorded(enrolment, ENROLMENT_WITHDRAWN)] == [
        ("withdrew", [])
    ]


def test_completing_an_offer_that_held_no_session_is_refused_and_nothing_is_written(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role()))
    assert enrolment.client.post(f"/v1/offers/{offer_id}/start", headers=as_role()).status_code == 200
    hold_session(enrolment, offer_id, days_ago=-7)  # scheduled, not yet held

    problem = refused(
        enrolment,
        lambda: enrolment.client.post(f"/v1/offers/{offer_id}/complete", headers=as_role()),
        409,
        "no_session_held",
    )

    assert problem["sessions_held"] == 0
    hold_session(enrolment, offer_id, days_ago=1)
    assert enrolment.client.post(f"/v1/offers/{offer_id}/complete", headers=as_role()).json["status"] == "completed"
