"""Scheduling's facilitator, roster and session endpoints on both databases."""

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from shared.clock import utcnow
from tests.integration.test_scheduling_support import Scheduling, first_weekday_on_or_after, local, local_on, scheduling  # noqa: F401

TUESDAY = 1


def series_body(start: str, count: int, **repeat) -> dict:
    return {"starts_at": start, "duration_minutes": 120, "repeat": {"count": count, **repeat}, "venue": "Leeds, Room 2"}


def test_a_facilitator_is_registered_in_the_admins_region_with_no_name(scheduling: Scheduling):
    response = scheduling.client.post(
        "/v1/facilitators",
        json={"kind": "coach", "monthly_capacity": 6, "skills": ["coaching", "coaching"]},
        headers=scheduling.headers(region="Y58"),
    )
    assert response.status_code == 201
    assert response.json == {
        "id": response.json["id"],
        "region": "Y58",
        "kind": "coach",
        "skills": ["coaching"],
        "monthly_capacity": 6,
    }
    for field, value in (("display_name", "Dr A"), ("region", "Y56"), ("id", "chosen")):
        refused = scheduling.client.post(
            "/v1/facilitators",
            json={"kind": "coach", "monthly_capacity": 6, field: value},
            headers=scheduling.headers(region="Y58"),
        )
        assert refused.status_code == 422 and refused.json["errors"][0]["field"] == field


def test_facilitators_of_another_region_are_neither_listed_nor_found(scheduling: Scheduling):
    ours = scheduling.add_facilitator(region="Y56", skills=("teamwork",))
    theirs = scheduling.add_facilitator(region="Y58")
    listed = scheduling.client.get("/v1/facilitators?skill=teamwork", headers=scheduling.headers(region="Y56"))
    assert [f["id"] for f in listed.json["items"]] == [ours] and listed.json["total"] == 1
    assert (
        scheduling.client.get(f"/v1/facilitators/{theirs}", headers=scheduling.headers(region="Y56")).status_code == 404
    )
    assert (
        scheduling.client.get(
            f"/v1/facilitators/{ours}", headers=scheduling.headers("facilitator", subject=ours)
        ).status_code
        == 200
    )


def test_the_roster_is_the_offers_current_members_from_enrolments_events(scheduling: Scheduling):
    offer_id = scheduling.publish_offer(title="North cohort")
    scheduling.confirm(offer_id, "p-1", "p-2", "p-3")
    scheduling.withdraw(offer_id, "p-2")
    scheduling.confirm(offer_id, "p-1")  # a redelivered confirmation changes nothing
    roster = scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=scheduling.headers())
    assert roster.status_code == 200
    assert (roster.json["title"], roster.json["member_count"]) == ("North cohort", 2)
    assert [m["participant_id"] for m in roster.json["members"]] == ["p-1", "p-3"]
    assert (
        scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=scheduling.headers(region="Y58")).status_code
        == 404
    )
    assert (
        scheduling.client.get(
            f"/v1/offers/{offer_id}/roster", headers=scheduling.headers("participant", subject="p-1")
        ).status_code
        == 403
    )


def test_a_series_keeps_ten_oclock_london_time_across_both_clock_changes(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    year = utcnow().year + 1
    start = first_weekday_on_or_after(date(year, 3, 1), TUESDAY)
    response = scheduling.schedule(offer_id, series_body(local_on(start), 10, cadence="weekly", interval=4))
    assert response.status_code == 201, response.json
    sessions = response.json["sessions"]
    assert len(sessions) == 10 and {s["series_id"] for s in sessions} == {response.json["series_id"]}
    assert {s["local_start"][11:] for s in sessions} == {"10:00"}
    utc_hours = [datetime.fromisoformat(s["starts_at"]).astimezone(UTC).hour for s in sessions]
    assert utc_hours[0] == 10 and 9 in utc_hours and utc_hours[-1] == 10  # GMT, BST, GMT again


def test_a_first_tuesday_series_meets_on_the_first_tuesday_of_each_month(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    response = scheduling.schedule(
        offer_id, series_body(local(1, 14), 4, cadence="monthly_nth_weekday", weekday="TU", ordinal=1)
    )
    assert response.status_code == 201, response.json
    days = [datetime.fromisoformat(s["local_start"]) for s in response.json["sessions"]]
    assert all(d.weekday() == TUESDAY and d.day <= 7 and d.hour == 14 for d in days)
    assert len({(d.year, d.month) for d in days}) == 4


def test_a_session_is_read_with_its_sequence_as_etag_and_listed_in_start_order(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    later = scheduling.schedule(offer_id, {"starts_at": local(20), "duration_minutes": 60}).json
    earlier = scheduling.schedule(offer_id, {"starts_at": local(10), "duration_minutes": 60, "topic": "Strategy"}).json
    read = scheduling.client.get(f"/v1/sessions/{earlier['id']}", headers=scheduling.headers())
    assert read.status_code == 200 and read.headers["ETag"] == 'W/"0"' and read.json["topic"] == "Strategy"
    listed = scheduling.client.get(f"/v1/offers/{offer_id}/sessions?limit=1", headers=scheduling.headers())
    assert [s["id"] for s in listed.json["items"]] == [earlier["id"]] and listed.json["total"] == 2
    assert later["series_id"] is None


def test_rescheduling_needs_the_current_etag_and_raises_the_sequence(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    session = scheduling.schedule(offer_id, {"starts_at": local(10), "duration_minutes": 90}).json
    path, body = f"/v1/sessions/{session['id']}", {"starts_at": local(11, 15)}
    assert scheduling.client.patch(path, json=body, headers=scheduling.headers()).status_code == 428
    assert (
        scheduling.client.patch(path, json=body, headers=scheduling.headers(**{"If-Match": 'W/"7"'})).status_code == 412
    )
    moved = scheduling.client.patch(path, json=body, headers=scheduling.headers(**{"If-Match": 'W/"0"'}))
    assert moved.status_code == 200 and moved.headers["ETag"] == 'W/"1"'
    assert (moved.json["local_start"], moved.json["sequence"]) == (local(11, 15), 1)
    assert datetime.fromisoformat(moved.json["ends_at"]) - datetime.fromisoformat(moved.json["starts_at"]) == timedelta(
        minutes=90
    )
    assert _outbox_types(scheduling).count("org.convene.scheduling.session.rescheduled.v1") == 1


def test_rescheduling_the_rest_of_a_series_moves_that_session_and_the_later_ones_only(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    sessions = scheduling.schedule(offer_id, series_body(local(7), 4, cadence="weekly")).json["sessions"]
    third = sessions[2]
    moved = scheduling.client.patch(
        f"/v1/sessions/{third['id']}",
        json={"starts_at": local(21, 13), "scope": "following"},
        headers=scheduling.headers(**{"If-Match": 'W/"0"'}),
    )
    assert moved.status_code == 200, moved.json
    after = scheduling.client.get(f"/v1/offers/{offer_id}/sessions", headers=scheduling.headers()).json["items"]
    assert [s["local_start"][11:] for s in after] == ["10:00", "10:00", "13:00", "13:00"]
    assert [s["sequence"] for s in after] == [0, 0, 1, 1]


def test_cancelling_the_rest_of_a_series_cancels_that_session_and_the_later_ones(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    sessions = scheduling.schedule(offer_id, series_body(local(7), 3, cadence="weekly")).json["sessions"]
    cancelled = scheduling.client.post(
        f"/v1/sessions/{sessions[1]['id']}/cancel", json={"scope": "following"}, headers=scheduling.headers()
    )
    assert cancelled.status_code == 200 and cancelled.json["status"] == "cancelled"
    after = scheduling.client.get(f"/v1/offers/{offer_id}/sessions", headers=scheduling.headers()).json["items"]
    assert [(s["status"], s["sequence"]) for s in after] == [("scheduled", 0), ("cancelled", 1), ("cancelled", 1)]
    again = scheduling.client.post(f"/v1/sessions/{sessions[1]['id']}/cancel", json={}, headers=scheduling.headers())
    assert again.status_code == 409 and again.json["rule"] == "session_cancelled"


def test_another_regions_admin_and_other_facilitators_cannot_see_an_offers_sessions(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    ours, other = scheduling.add_facilitator(), scheduling.add_facilitator()
    session = scheduling.schedule(
        offer_id, {"starts_at": local(5), "duration_minutes": 60, "facilitator_id": ours}
    ).json
    assert (
        scheduling.client.get(f"/v1/sessions/{session['id']}", headers=scheduling.headers(region="Y58")).status_code
        == 404
    )
    assert (
        scheduling.client.get(f"/v1/offers/{offer_id}/sessions", headers=scheduling.headers(region="Y58")).status_code
        == 404
    )
    assert (
        scheduling.client.get(
            f"/v1/sessions/{session['id']}", headers=scheduling.headers("facilitator", subject=other)
        ).status_code
        == 404
    )
    assert (
        scheduling.client.get(
            f"/v1/offers/{offer_id}/roster", headers=scheduling.headers("facilitator", subject=ours)
        ).status_code
        == 200
    )


def test_a_cancelled_offer_cancels_its_upcoming_sessions_with_an_event_each(scheduling: Scheduling):
    from shared.contracts.enrolment import OFFER_CANCELLED

    offer_id = scheduling.publish_offer()
    scheduling.schedule(offer_id, series_body(local(3), 2, cadence="weekly"))
    scheduling.offer_event(offer_id, OFFER_CANCELLED, "cancelled")
    after = scheduling.client.get(f"/v1/offers/{offer_id}/sessions", headers=scheduling.headers()).json["items"]
    assert [s["status"] for s in after] == ["cancelled", "cancelled"]
    assert _outbox_types(scheduling).count("org.convene.scheduling.session.cancelled.v1") == 2
    refused = scheduling.schedule(offer_id, {"starts_at": local(9), "duration_minutes": 60})
    assert refused.status_code == 409 and refused.json["rule"] == "offer_closed"


def _outbox_types(scheduling: Scheduling) -> list[str]:
    outbox = scheduling.db.tables.outbox
    with scheduling.db.read() as conn:
        return list(conn.execute(select(outbox.c.event_type).order_by(outbox.c.id)).scalars())


def test_a_leader_lists_the_sessions_they_lead_across_offers_and_the_admin_those_of_their_region(
    scheduling: Scheduling,
):
    ours, theirs = scheduling.add_facilitator(), scheduling.add_facilitator()
    first, second = scheduling.publish_offer(title="Set A"), scheduling.publish_offer(title="Set B")
    scheduling.confirm(first, "p-1", at=utcnow() - timedelta(days=10))
    led = [
        scheduling.schedule(offer, {"starts_at": local(days), "duration_minutes": 60, "facilitator_id": ours}).json[
            "id"
        ]
        for offer, days in ((first, 2), (second, 9))
    ]
    other = scheduling.schedule(first, {"starts_at": local(3), "duration_minutes": 60, "facilitator_id": theirs})
    past = scheduling.past_session(first, utcnow() - timedelta(hours=3), facilitator_id=ours)
    recorded = scheduling.past_session(first, utcnow() - timedelta(days=2), facilitator_id=ours)
    marks = {"records": [{"participant_id": "p-1", "attendance": "present"}]}
    assert (
        scheduling.client.put(
            f"/v1/sessions/{recorded}/attendance", json=marks, headers=scheduling.headers()
        ).status_code
        == 200
    )
    as_leader = scheduling.headers("facilitator", subject=ours)

    def listed(headers, **query) -> list[str]:
        response = scheduling.client.get("/v1/sessions", query_string=query, headers=headers)
        assert response.status_code == 200, response.json
        return [s["id"] for s in response.json["items"]]

    assert listed(as_leader) == [recorded, past, *led]
    week = {"from": utcnow().isoformat(), "to": (utcnow() + timedelta(days=7)).isoformat()}
    assert listed(as_leader, **week) == [led[0]]
    assert listed(as_leader, attendance="unrecorded") == [past]
    assert listed(scheduling.headers(), **week) == [led[0], other.json["id"]]
    assert listed(scheduling.headers(), attendance="unrecorded") == [past]
    assert listed(scheduling.headers(region="Y58")) == []
    assert listed(scheduling.headers("facilitator", subject=theirs), **week) == [other.json["id"]]
    refused = scheduling.client.get("/v1/sessions?from=tomorrow", headers=as_leader)
    assert refused.status_code == 422 and refused.json["errors"][0]["field"] == "from"
    national = scheduling.client.get("/v1/sessions", headers=scheduling.headers("national", region=None))
    assert national.status_code == 403
