"""Sessions in the console, in a real browser against the whole stack: London's administrator
schedules a session of an 8-place action learning set with its facilitator, is told next to the
facilitator when a second one at the same time clashes, sees the region's home, records a session
that already happened and its attendance in one form; then the facilitator signs in, sees their
sessions and marks the attendance of one still to record. Every page is saved and checked by
axe-core (WCAG 2.2 AA)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect
from sqlalchemy import update

from services.scheduling.store.tables import memberships
from shared.clock import utcnow
from tests.e2e.console import heading, snap
from tests.harness import eventually

LONDON = ZoneInfo("Europe/London")
NAMES = ("Alice Okafor", "Ben Hughes", "Cara Singh")


def _offer(stack, title: str, **kind) -> str:
    admin = stack.token("regional_admin")
    today = datetime.now(LONDON).date()
    body = {
        "offer_type": "action_learning_set",
        "title": title,
        "capacity": 8,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=180)).isoformat(),
        "planned_sessions": 6,
        "basis": "project",
    } | kind
    body = {name: value for name, value in body.items() if value is not None}
    created = stack.enrolment.client.post("/v1/offers", json=body, headers=admin)
    assert created.status_code == 201, created.json
    offer_id = created.json["id"]
    published = stack.enrolment.client.post(f"/v1/offers/{offer_id}/publish", headers=admin)
    assert published.status_code == 200, published.json
    return offer_id


def _set_up(stack) -> dict:
    """Through the APIs: a published set with three members, an empty second set, and a facilitator
    known to the identity provider. The members joined a month ago, so that sessions held last week
    expect them (scheduling counts who was a member when a session began)."""
    admin = stack.token("regional_admin")
    offer_id, other_id = _offer(stack, "Action learning set for new clinical directors"), _offer(stack, "Second set")
    members = [stack.registered(name, f"{name.split()[0].lower()}@example.nhs.uk") for name in NAMES]
    for member in members:
        enrolled = stack.enrolment.client.post(
            f"/v1/offers/{offer_id}/enrolments", json={"participant_id": member}, headers=admin
        )
        assert enrolled.status_code == 201, enrolled.json
    added = stack.scheduling.client.post(
        "/v1/facilitators",
        json={"kind": "facilitator", "monthly_capacity": 20, "skills": ["action_learning"]},
        headers=admin,
    )
    assert added.status_code == 201, added.json
    facilitator = stack.person(added.json["id"], "facilitator", "Sam Patel")

    def roster(offer):
        answer = stack.scheduling.client.get(f"/v1/offers/{offer}/roster", headers=admin)
        return answer.status_code == 200 and answer.json["members"]

    eventually(lambda: len(roster(offer_id) or []) == 3, message="the members to reach scheduling's roster")
    eventually(lambda: roster(other_id) == [], message="the second set to reach scheduling")
    with stack.scheduling.runtime.db.transaction() as conn:
        conn.execute(
            update(memberships)
            .where(memberships.c.offer_id == offer_id)
            .values(joined_at=utcnow() - timedelta(days=30))
        )
    return {"offer": offer_id, "other": other_id, "members": members, "facilitator": facilitator}


def _fill_session(page, day, start: str, minutes: str, facilitator: str, *, held: bool = False) -> None:
    dates = page.get_by_role("group", name="Date")
    dates.get_by_label("Day").fill(str(day.day))
    dates.get_by_label("Month").fill(str(day.month))
    dates.get_by_label("Year").fill(str(day.year))
    page.get_by_label("Start time", exact=True).fill(start)
    page.get_by_label("Duration", exact=True).fill(minutes)
    page.get_by_label("Facilitator", exact=True).select_option(facilitator)
    page.get_by_label("Venue", exact=True).fill("Stratford Health Centre, Room 2")
    if held:
        page.get_by_label("This session has already happened").check()
    page.get_by_role("button", name="Schedule").click()


def test_an_administrator_schedules_and_records_sessions_and_the_facilitator_marks_attendance(console_stack, page):
    world = _set_up(console_stack)
    today = datetime.now(LONDON).date()
    tomorrow, last_week = today + timedelta(days=1), today - timedelta(days=3)
    title = "Action learning set for new clinical directors"

    # The administrator's first page is the region's home.
    console_stack.sign_in(page, "demo-admin-y56")
    heading(page).to_have_text("Your region")
    expect(page.get_by_role("row", name=title)).to_contain_text("3 of 8")
    snap(page, "region-home-before")

    # Schedule tomorrow's session with the facilitator.
    page.get_by_role("link", name=f"Sessions of {title}").click()
    heading(page).to_have_text("Sessions")
    expect(page.get_by_text("No sessions are scheduled yet.")).to_be_visible()
    snap(page, "offer-sessions-empty")
    _fill_session(page, tomorrow, "10:00", "120", world["facilitator"])
    expect(page.locator(".nhsuk-panel")).to_contain_text("Session scheduled")
    day = f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B %Y}"
    expect(page.get_by_role("row", name=day)).to_contain_text("10am to 12pm")
    snap(page, "offer-sessions-scheduled")

    # The same facilitator at the same time in the second set: an error next to the facilitator.
    page.goto(console_stack.url + f"/offers/{world['other']}/sessions")
    _fill_session(page, tomorrow, "11:00", "60", world["facilitator"])
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("The facilitator already leads a session at that time")
    expect(summary.get_by_role("link")).to_have_attribute("href", "#facilitator_id")
    expect(page.locator("#facilitator_id-error")).to_contain_text("already leads a session at that time")
    expect(page.get_by_label("Start time", exact=True)).to_have_value("11:00")  # what was typed is kept
    assert page.title().startswith("Error: ")
    snap(page, "offer-sessions-clash")

    # A session held two days ago, recorded now, and its attendance in one form.
    page.goto(console_stack.url + f"/offers/{world['offer']}/sessions")
    held = today - timedelta(days=2)
    _fill_session(page, held, "09:30", "90", world["facilitator"], held=True)
    expect(page.locator(".nhsuk-panel")).to_contain_text("Session recorded")
    heading(page).to_have_text(f"Session on {held:%A} {held.day} {held:%B %Y}")
    page.get_by_role("button", name="Save attendance").click()  # nobody marked yet
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Choose attended, sent apologies or did not attend")
    snap(page, "session-attendance-error")
    for name, mark in zip(NAMES, ("Attended", "Sent apologies", "Did not attend"), strict=True):
        page.get_by_role("group", name=name).get_by_label(mark).check()
    snap(page, "session-held-attendance")
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Attendance saved")
    expect(page.get_by_role("group", name="Ben Hughes").get_by_label("Sent apologies")).to_be_checked()
    expect(page.get_by_role("heading", name="Feedback")).to_be_visible()
    snap(page, "session-held-recorded")

    # Another held session, last week, recorded through the API with its attendance still to record.
    body = {
        "starts_at": f"{last_week.isoformat()}T14:00",
        "duration_minutes": 60,
        "facilitator_id": world["facilitator"],
        "already_held": True,
    }
    recorded = console_stack.scheduling.client.post(
        f"/v1/offers/{world['offer']}/sessions", json=body, headers=console_stack.token("regional_admin")
    )
    assert recorded.status_code == 201, recorded.json

    page.get_by_role("link", name="Your region").first.click()
    heading(page).to_have_text("Your region")
    week = page.get_by_role("table", name="Sessions today and in the next 6 days")
    expect(week.get_by_role("row", name=day)).to_contain_text(title)
    unrecorded = page.get_by_role("table", name="Sessions that have begun with no attendance recorded")
    expect(unrecorded.get_by_role("row")).to_have_count(2)  # its heading and last week's session
    expect(unrecorded).to_contain_text(f"{last_week:%A} {last_week.day} {last_week:%B %Y}")
    feedback = page.get_by_role("table", name="Sessions whose feedback is open")
    expect(feedback.get_by_role("row", name=f"{held:%A} {held.day} {held:%B %Y}")).to_be_visible()
    snap(page, "region-home")

    # The region's facilitators and coaches, by reference; a coach added after correcting a field.
    page.get_by_role("link", name="Facilitators and coaches").click()
    heading(page).to_have_text("Facilitators and coaches")
    expect(page.get_by_role("row", name=world["facilitator"])).to_contain_text("action learning")
    page.get_by_label("Coach (1 to 1 coaching)").check()
    page.get_by_label("Sessions a month", exact=True).fill("0")
    page.get_by_role("button", name="Add").click()
    expect(page.locator("#monthly_capacity-error")).to_contain_text("Sessions a month")
    snap(page, "facilitators-error")
    page.get_by_label("Sessions a month", exact=True).fill("6")
    page.get_by_label("Skills", exact=True).fill("coaching")
    page.get_by_role("button", name="Add").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Added")
    expect(page.get_by_role("row", name="Coach")).to_contain_text("coaching")
    snap(page, "facilitators")

    # The facilitator: their sessions, and the attendance of last week's in one form.
    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()
    console_stack.sign_in(page, world["facilitator"])
    heading(page).to_have_text("My sessions")
    expect(page.get_by_role("heading", name=day)).to_be_visible()
    expect(page.get_by_role("heading", name="Attendance to record")).to_be_visible()
    expect(page.get_by_text("Alice Okafor")).to_have_count(0)  # a facilitator sees no names
    snap(page, "my-sessions")
    for member, mark in zip(world["members"], ("Attended", "Attended", "Did not attend"), strict=True):
        page.get_by_role("group", name=f"Participant {member[:8]}").get_by_label(mark).check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Attendance saved")
    expect(page.get_by_role("heading", name="Attendance to record")).to_have_count(0)
    snap(page, "my-sessions-recorded")

    page.get_by_role("link", name=f"10am to 12pm on {day}").click()
    heading(page).to_have_text(f"Session on {day}")
    expect(page.get_by_text("Attendance can be recorded once the session has begun.")).to_be_visible()
    snap(page, "facilitator-session")


def test_a_coach_sees_their_coaching_bookings_and_a_coachee_by_reference(console_stack, page):
    admin = console_stack.token("regional_admin")
    title = "Coaching for new clinical directors"
    offer_id = _offer(console_stack, title, offer_type="coaching", capacity=1, basis=None, session_allowance=6)
    coachee = console_stack.registered("Dana Reid", "dana@example.nhs.uk")
    enrolled = console_stack.enrolment.client.post(
        f"/v1/offers/{offer_id}/enrolments", json={"participant_id": coachee}, headers=admin
    )
    assert enrolled.status_code == 201, enrolled.json
    added = console_stack.scheduling.client.post(
        "/v1/facilitators", json={"kind": "coach", "monthly_capacity": 10, "skills": ["coaching"]}, headers=admin
    )
    assert added.status_code == 201, added.json
    coach = console_stack.person(added.json["id"], "coach", "Jo Evans")
    eventually(
        lambda: (
            (answer := console_stack.scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=admin)).status_code
            == 200
            and len(answer.json["members"]) == 1
        ),
        message="the coachee to reach scheduling's roster",
    )
    tomorrow = datetime.now(LONDON).date() + timedelta(days=1)
    booking = {
        "participant_id": coachee,
        "coach_id": coach,
        "starts_at": f"{tomorrow.isoformat()}T14:00",
        "duration_minutes": 60,
        "video_link": "https://meet.example.nhs.uk/coaching",
    }
    booked = console_stack.scheduling.client.post(
        f"/v1/offers/{offer_id}/coaching-bookings", json=booking, headers=admin
    )
    assert booked.status_code == 201, booked.json

    console_stack.sign_in(page, coach)
    heading(page).to_have_text("My sessions")
    day = f"{tomorrow:%A} {tomorrow.day} {tomorrow:%B %Y}"
    expect(page.get_by_role("heading", name=day)).to_be_visible()
    bookings = page.get_by_role("table", name=title)
    expect(bookings.get_by_role("row", name=day)).to_contain_text(f"Coachee {coachee[:8]}")
    expect(page.get_by_text("Dana Reid")).to_have_count(0)  # a coach sees no names
    snap(page, "coach-my-sessions")

    bookings.get_by_role("link", name=day).click()
    heading(page).to_have_text(f"Session on {day}")
    expect(page.get_by_text(f"Participant {coachee[:8]}")).to_be_visible()
    expect(page.get_by_text("Attendance can be recorded once the session has begun.")).to_be_visible()
    snap(page, "coach-booking")
