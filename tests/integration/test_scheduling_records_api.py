"""Attendance, continuity, co-design, coaching bookings and calendar feeds on both databases."""

from datetime import timedelta

from icalendar import Calendar
from sqlalchemy import select

from shared.clock import utcnow
from shared.contracts.feedback import NEEDS_REPORTED
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401

NOW = utcnow()


def days_ago(days: float):
    return NOW - timedelta(days=days)


def outbox_types(scheduling: Scheduling) -> list[str]:
    outbox = scheduling.db.tables.outbox
    with scheduling.db.read() as conn:
        return list(conn.execute(select(outbox.c.event_type).order_by(outbox.c.id)).scalars())


def mark(scheduling: Scheduling, session_id: str, headers: dict, **marks):
    records = [{"participant_id": p, "attendance": value} for p, value in marks.items()]
    return scheduling.client.put(f"/v1/sessions/{session_id}/attendance", json={"records": records}, headers=headers)


def test_the_sessions_facilitator_records_attendance_and_the_latest_mark_wins(scheduling: Scheduling):
    facilitator = scheduling.add_facilitator()
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p1", "p2", at=days_ago(30))
    session_id = scheduling.past_session(offer_id, days_ago(1), facilitator_id=facilitator)
    as_facilitator = scheduling.headers("facilitator", subject=facilitator)
    assert mark(scheduling, session_id, as_facilitator, p1="present", p2="absent").status_code == 200
    sheet = mark(scheduling, session_id, as_facilitator, p2="apologies").json
    assert [(r["participant_id"], r["attendance"]) for r in sheet["records"]] == [
        ("p1", "present"),
        ("p2", "apologies"),
    ]
    assert outbox_types(scheduling).count("org.convene.scheduling.attendance.recorded.v1") == 3


def test_only_the_sessions_own_facilitator_or_the_regions_admin_records_attendance(scheduling: Scheduling):
    facilitator, colleague, stranger = (scheduling.add_facilitator() for _ in range(3))
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p1", at=days_ago(30))
    session_id = scheduling.past_session(offer_id, days_ago(1), facilitator_id=facilitator)
    scheduling.past_session(offer_id, days_ago(8), facilitator_id=colleague)
    assert (
        mark(scheduling, session_id, scheduling.headers("facilitator", subject=colleague), p1="present").status_code
        == 403
    )
    assert (
        mark(scheduling, session_id, scheduling.headers("facilitator", subject=stranger), p1="present").status_code
        == 404
    )
    assert mark(scheduling, session_id, scheduling.headers(region="Y58"), p1="present").status_code == 404
    assert (
        mark(scheduling, session_id, scheduling.headers("participant", subject="p1"), p1="present").status_code == 403
    )
    assert mark(scheduling, session_id, scheduling.headers(), p1="present").status_code == 200


def test_attendance_waits_for_the_session_and_covers_only_its_members(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p1", at=days_ago(30))
    scheduling.confirm(offer_id, "late", at=days_ago(1))
    held = scheduling.past_session(offer_id, days_ago(2))
    upcoming = scheduling.schedule(offer_id, {"starts_at": local(3), "duration_minutes": 60}).json["id"]
    assert mark(scheduling, upcoming, scheduling.headers(), p1="present").json["rule"] == "session_not_started"
    refused = mark(scheduling, held, scheduling.headers(), p1="present", late="present")
    assert (refused.status_code, refused.json["rule"], refused.json["errors"][0]["field"]) == (
        422,
        "not_expected",
        "records.1.participant_id",
    )


def test_continuity_gives_each_sessions_share_each_members_rate_and_the_groups_stability(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "a", "b", "c", "d", at=days_ago(30))
    scheduling.withdraw(offer_id, "d", at=days_ago(5))
    s1, s2, s3 = (scheduling.past_session(offer_id, days_ago(days)) for days in (20, 10, 2))
    admin = scheduling.headers()
    mark(scheduling, s1, admin, a="present", b="present", c="present", d="present")
    mark(scheduling, s2, admin, a="present", b="present", c="apologies", d="absent")
    mark(scheduling, s3, admin, a="present", b="present", c="present")
    report = scheduling.client.get(f"/v1/offers/{offer_id}/continuity", headers=admin).json
    assert [(s["expected"], s["present"], s["present_share"]) for s in report["sessions"]] == [
        (4, 4, 1.0),
        (4, 2, 0.5),
        (3, 3, 1.0),
    ]
    assert {m["participant_id"]: m["attendance_rate"] for m in report["members"]} == {
        "a": 1.0,
        "b": 1.0,
        "c": 0.667,
        "d": 0.5,
    }
    assert [step["jaccard"] for step in report["stability"]] == [0.5, 0.667]
    assert (report["mean_stability"], report["retention"], report["members_current"]) == (0.583, 0.75, 3)


def test_co_design_gives_upcoming_sessions_the_cohorts_most_needed_topics(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    first, second = (
        {"strategy": 5, "teamwork": 2, "innovation": 4},
        {"strategy": 4, "teamwork": 3, "dealing_with_conflict": 5},
    )
    for number, ratings in enumerate([first, second, first, second, first]):
        scheduling.deliver(
            NEEDS_REPORTED, {"response_id": f"r{number}", "region": "Y56", "offer_id": offer_id, "ratings": ratings}
        )
    scheduling.deliver(
        NEEDS_REPORTED, {"response_id": "elsewhere", "region": "Y56", "offer_id": None, "ratings": {"engagement": 5}}
    )
    series = {
        "starts_at": local(7),
        "duration_minutes": 120,
        "repeat": {"count": 4, "cadence": "weekly", "interval": 2},
    }
    sessions = scheduling.schedule(offer_id, series).json["sessions"]
    scheduling.client.patch(
        f"/v1/sessions/{sessions[0]['id']}",
        json={"starts_at": local(8)},
        headers=scheduling.headers(**{"If-Match": 'W/"0"'}),
    )
    response = scheduling.client.post(
        f"/v1/offers/{offer_id}/sessions/co-design", json={}, headers=scheduling.headers()
    )
    assert response.status_code == 200, response.json
    assert [n["need"] for n in response.json["ranking"]] == [
        "dealing_with_conflict",
        "strategy",
        "innovation",
        "teamwork",
    ]
    assert [(n["score"], n["responses"]) for n in response.json["ranking"]] == [
        (5.0, 0),
        (4.6, 5),
        (4.0, 5),
        (2.4, 5),
    ]  # counts to the nearest five
    listed = scheduling.client.get(f"/v1/offers/{offer_id}/sessions", headers=scheduling.headers()).json["items"]
    assert [s["topic"] for s in listed] == ["Dealing with conflict", "Strategy", "Innovation", "Teamwork"]
    assert [s["sequence"] for s in listed] == [2, 1, 1, 1]
    assert outbox_types(scheduling).count("org.convene.scheduling.session.updated.v1") == 4


def test_co_design_waits_until_five_of_the_cohort_have_answered(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.schedule(offer_id, {"starts_at": local(7), "duration_minutes": 60})
    for number in range(4):
        scheduling.deliver(
            NEEDS_REPORTED,
            {"response_id": f"r{number}", "region": "Y56", "offer_id": offer_id, "ratings": {"strategy": 5}},
        )
    response = scheduling.client.post(
        f"/v1/offers/{offer_id}/sessions/co-design", json={}, headers=scheduling.headers()
    )
    assert (response.status_code, response.json["rule"], response.json["errors"][0]["field"]) == (
        422,
        "too_few_needs_answers",
        "needs",
    )
    assert [
        s["topic"]
        for s in scheduling.client.get(f"/v1/offers/{offer_id}/sessions", headers=scheduling.headers()).json["items"]
    ] == [None]


def test_co_design_is_for_regional_programmes_with_reported_needs(scheduling: Scheduling):
    learning_set = scheduling.publish_offer(offer_type="action_learning_set", capacity=8)
    programme = scheduling.publish_offer()
    scheduling.schedule(programme, {"starts_at": local(7), "duration_minutes": 60})
    for offer_id, rule in ((learning_set, "not_co_designed"), (programme, "no_development_needs")):
        response = scheduling.client.post(
            f"/v1/offers/{offer_id}/sessions/co-design", json={}, headers=scheduling.headers()
        )
        assert (response.status_code, response.json["rule"]) == (422, rule)


def test_a_participant_books_their_own_coaching_and_their_coach_sees_it(scheduling: Scheduling):
    coach = scheduling.add_facilitator(kind="coach", monthly_capacity=1)
    offer_id = scheduling.publish_offer(offer_type="coaching", capacity=1, session_allowance=6)
    scheduling.confirm(offer_id, "p1")
    path, me = f"/v1/offers/{offer_id}/coaching-bookings", scheduling.headers("participant", subject="p1")
    body = {
        "participant_id": "p1",
        "coach_id": coach,
        "starts_at": local(40),
        "duration_minutes": 60,
        "video_link": "https://meet.example.nhs.uk/abc",
    }
    booked = scheduling.client.post(path, json=body, headers=me)
    assert booked.status_code == 201, booked.json
    assert (booked.json["kind"], booked.json["facilitator_id"], booked.json["coachee_id"]) == ("coaching", coach, "p1")
    assert outbox_types(scheduling)[-2:] == [
        "org.convene.scheduling.session.scheduled.v1",
        "org.convene.scheduling.coaching.booked.v1",
    ]
    listed = scheduling.client.get(path, headers=scheduling.headers("coach", subject=coach)).json
    assert [b["id"] for b in listed["items"]] == [booked.json["id"]]
    assert scheduling.client.post(path, json={**body, "participant_id": "p2"}, headers=me).status_code == 403
    full = scheduling.client.post(path, json={**body, "starts_at": local(41)}, headers=me)
    assert (full.status_code, full.json["rule"]) == (409, "coach_capacity")


def test_the_offer_feed_is_icalendar_with_stable_uids_sequences_and_cancellations(scheduling: Scheduling):
    offer_id = scheduling.publish_offer(title="North cohort")
    series = {
        "starts_at": local(7),
        "duration_minutes": 120,
        "topic": "Strategy",
        "venue": "Leeds",
        "repeat": {"count": 3, "cadence": "weekly"},
    }
    first, second, third = scheduling.schedule(offer_id, series).json["sessions"]
    scheduling.client.patch(
        f"/v1/sessions/{second['id']}",
        json={"starts_at": local(15, 11)},
        headers=scheduling.headers(**{"If-Match": 'W/"0"'}),
    )
    scheduling.client.post(f"/v1/sessions/{third['id']}/cancel", json={}, headers=scheduling.headers())
    response = scheduling.client.get(f"/v1/offers/{offer_id}/calendar.ics", headers=scheduling.headers())
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    feed = Calendar.from_ical(response.data)
    assert [tz["TZID"] for tz in feed.walk("VTIMEZONE")] == ["Europe/London"]
    events = {str(e["UID"]): e for e in feed.walk("VEVENT")}
    assert set(events) == {f"{s['id']}@convene" for s in (first, second, third)}
    moved, cancelled = events[f"{second['id']}@convene"], events[f"{third['id']}@convene"]
    assert (moved["SEQUENCE"], str(moved["STATUS"])) == (1, "CONFIRMED")
    assert moved.decoded("DTSTART").tzinfo.key == "Europe/London" and moved.decoded("DTSTART").hour == 11
    assert (cancelled["SEQUENCE"], str(cancelled["STATUS"])) == (1, "CANCELLED")
    assert str(events[f"{first['id']}@convene"]["SUMMARY"]) == "North cohort — Strategy"


def test_a_participants_feed_holds_their_own_sessions_only_and_no_one_elses(scheduling: Scheduling):
    mine, other = scheduling.publish_offer(title="Mine"), scheduling.publish_offer(title="Other")
    scheduling.confirm(mine, "p1", "p2", at=days_ago(30))
    scheduling.confirm(other, "p2")
    held = scheduling.past_session(mine, days_ago(3))
    upcoming = scheduling.schedule(mine, {"starts_at": local(5), "duration_minutes": 60}).json["id"]
    scheduling.schedule(other, {"starts_at": local(6), "duration_minutes": 60})
    scheduling.withdraw(mine, "p1")
    feed = scheduling.client.get(
        "/v1/participants/p1/calendar.ics", headers=scheduling.headers("participant", subject="p1")
    )
    assert [str(e["UID"]) for e in Calendar.from_ical(feed.data).walk("VEVENT")] == [f"{held}@convene"]
    assert b"p1" not in feed.data and b"p2" not in feed.data and b"ATTENDEE" not in feed.data
    second = Calendar.from_ical(
        scheduling.client.get("/v1/participants/p2/calendar.ics", headers=scheduling.headers()).data
    )
    assert f"{upcoming}@convene" in [str(e["UID"]) for e in second.walk("VEVENT")] and len(second.walk("VEVENT")) == 3
    assert (
        scheduling.client.get(
            "/v1/participants/p2/calendar.ics", headers=scheduling.headers("participant", subject="p1")
        ).status_code
        == 404
    )
