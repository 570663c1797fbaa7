"""The whole journey of an action learning set through the console, in a real browser against the
real stack, each person in their own browser context: London's administrator creates an 8-place set
and publishes it; ten participants enrol themselves (eight places, two waiting in order); one with a
place withdraws and the first waiting is promoted; the administrator records a session already held
with its facilitator; the facilitator records its attendance (six attended); the attendees give
feedback, whose figures the administrator sees as "fewer than 5" after four answers and as figures
after the fifth; and one who did not attend is refused feedback in a sentence. Every page seen is
saved as a screenshot and must pass axe-core's WCAG 2.2 AA checks, two of them at a phone's size.

Set-up goes through the services' APIs (registering the people, the facilitator), except one step:
scheduling counts a member as expected at a session only from when they joined (their enrolment's
time), so people who enrol during the test could never be expected at a session already held.
As the demo loader does (services/scheduling/demo.py), the test moves their membership's start in
scheduling's projection back to before the session."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import func, select, update

from services.feedback.store.tables import attendance
from services.scheduling.store.tables import memberships
from shared.clock import utcnow
from tests.e2e.console import CHROMIUM, heading, snap
from tests.harness import eventually

LONDON = ZoneInfo("Europe/London")
TITLE = "Action learning set for new clinical directors"
PEOPLE = [
    "Amira Khan",
    "Ben Okafor",
    "Chloe Evans",
    "Dev Patel",
    "Ellen Murphy",
    "Farah Ahmed",
    "George Lewis",
    "Hana Novak",
    "Isaac Reid",
    "Jade Thompson",
]
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def chromium():
    """One browser, from which each person of the journey gets their own context (cookies, session)."""
    assert Path(CHROMIUM).exists(), "make test installs Debian's chromium (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


def _panel(page):
    return page.locator(".nhsuk-panel")


def _figure(page, key: str):
    return page.locator(".nhsuk-summary-list__row", has_text=key)


def _long(day) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _give_feedback(page) -> None:
    """A participant gives feedback on the one session they have been to, from their sessions page."""
    page.get_by_role("link", name="Your sessions").first.click()
    heading(page).to_have_text("Your sessions")
    page.get_by_role("table", name="Sessions that have happened").get_by_role("link", name="Give feedback").click()
    heading(page).to_have_text("Give feedback on a session")
    for question, score in (
        ("Overall, how would you rate the session?", "5"),
        ("How useful was the session to you?", "4"),
        ("How likely are you to apply what you learnt in your work?", "4"),
    ):
        page.get_by_role("group", name=question).get_by_role("radio", name=score).check()
    page.get_by_role("radio", name="Very good").check()
    page.get_by_role("radio", name="Anonymously").check()
    page.get_by_role("button", name="Send feedback").click()


def test_an_action_learning_set_from_its_creation_to_its_first_sessions_feedback(console_stack, chromium):
    stack = console_stack
    today = datetime.now(LONDON).date()
    held = today - timedelta(days=2)

    # The administrator creates the set and publishes it.
    admin = chromium.new_context().new_page()
    stack.sign_in(admin, "demo-admin-y56", "/offers/new")
    heading(admin).to_contain_text("Create an offer")
    admin.get_by_role("radio", name="Action learning set").check()
    admin.get_by_label("Title", exact=True).fill(TITLE)
    admin.get_by_label("Number of places", exact=True).fill("8")
    for legend, day in (("Start date", today), ("End date", today + timedelta(days=180))):
        dates = admin.get_by_role("group", name=legend)
        dates.get_by_label("Day").fill(str(day.day))
        dates.get_by_label("Month").fill(str(day.month))
        dates.get_by_label("Year").fill(str(day.year))
    admin.get_by_label("Number of planned sessions", exact=True).fill("6")
    admin.get_by_label("Basis of the action learning set", exact=True).fill("project")
    snap(admin, "journey-create-offer")
    admin.get_by_role("button", name="Create offer").click()
    expect(_panel(admin)).to_contain_text("Offer created")
    heading(admin).to_have_text(TITLE)
    offer_url = admin.url
    offer_id = offer_url.rstrip("/").rsplit("/", 1)[-1]
    admin.get_by_role("button", name="Publish offer").click()
    expect(_panel(admin)).to_contain_text("Offer published")
    expect(admin.locator(".nhsuk-summary-list")).to_contain_text("Published")
    snap(admin, "journey-offer-published")

    # Ten participants, each in their own browser, enrol themselves: eight places, then two waiting.
    ids = [stack.registered(name, f"person{number}@example.nhs.uk") for number, name in enumerate(PEOPLE)]
    participants = []
    for number, (participant_id, name) in enumerate(zip(ids, PEOPLE, strict=True), start=1):
        stack.person(participant_id, "participant", name)
        page = chromium.new_context().new_page()
        participants.append(page)
        stack.sign_in(page, participant_id)
        heading(page).to_have_text("Programmes open to you")
        catalogue = page.get_by_role("table", name="Programmes you can join")
        if number == 1:
            expect(catalogue.get_by_role("row", name=TITLE)).to_contain_text("Yes")
            snap(page, "journey-participant-programmes")
        catalogue.get_by_role("link", name=TITLE).click()
        heading(page).to_have_text(TITLE)
        if number <= 8:
            page.get_by_role("button", name="Enrol").click()
            expect(_panel(page)).to_contain_text("You have a place")
        else:
            page.get_by_role("button", name="Join the waiting list").click()
            expect(_panel(page)).to_contain_text(f"You are number {number - 8} on the waiting list")
        if number in (1, 9):
            snap(page, f"journey-participant-enrolled-{number}")

    # Chloe Evans, who has a place, withdraws; Isaac Reid, first waiting, takes it.
    chloe = participants[2]
    chloe.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Programmes").click()
    places = chloe.get_by_role("table", name="Programmes you have joined or asked to join")
    expect(places.get_by_role("row", name=TITLE)).to_contain_text("You have a place")
    places.get_by_role("link", name=TITLE).click()
    chloe.get_by_role("link", name="Withdraw from this programme").click()
    heading(chloe).to_have_text(f"Are you sure you want to withdraw from {TITLE}?")
    snap(chloe, "journey-participant-withdraw")
    chloe.get_by_role("button", name="Yes, withdraw").click()
    expect(_panel(chloe)).to_contain_text(f"You have left {TITLE}")
    snap(chloe, "journey-participant-withdrawn")

    admin.goto(offer_url)
    expect(admin.get_by_text("8 of 8 places taken, 1 waiting.")).to_be_visible()
    members = admin.get_by_role("table", name="People with a place")
    expect(members.get_by_role("row", name=re.compile("Isaac Reid"))).to_contain_text("Promoted from waiting list")
    waiting = admin.get_by_role("table", name="Waiting list, first in line at the top").get_by_role("row")
    expect(waiting).to_have_count(2)  # its header and one person
    expect(waiting.nth(1)).to_have_accessible_name(re.compile(r"^1 Jade Thompson "))
    ended = admin.get_by_role("table", name="No longer enrolled")
    expect(ended.get_by_role("row", name=re.compile("Chloe Evans"))).to_contain_text("Withdrew")
    snap(admin, "journey-offer-after-withdrawal")

    # Set-up: a facilitator of the region; and the eight members' start moved back (module docstring).
    added = stack.scheduling.client.post(
        "/v1/facilitators",
        json={"kind": "facilitator", "monthly_capacity": 20, "skills": ["action_learning"]},
        headers=stack.token("regional_admin"),
    )
    assert added.status_code == 201, added.json
    facilitator_id = stack.person(added.json["id"], "facilitator", "Sam Patel")
    holders = sorted(ids[:2] + ids[3:9])

    def roster():
        answer = stack.scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=stack.token("regional_admin"))
        return answer.status_code == 200 and sorted(member["participant_id"] for member in answer.json["members"])

    eventually(lambda: roster() == holders, message="the withdrawal and the promotion to reach scheduling's roster")
    with stack.scheduling.runtime.db.transaction() as conn:
        conn.execute(
            update(memberships)
            .where(memberships.c.offer_id == offer_id)
            .values(joined_at=utcnow() - timedelta(days=30))
        )

    # The administrator records the session held two days ago, with its facilitator.
    admin.get_by_role("link", name="Your region").first.click()
    heading(admin).to_have_text("Your region")
    expect(admin.get_by_role("row", name=TITLE)).to_contain_text("8 of 8")
    admin.get_by_role("link", name=f"Sessions of {TITLE}").click()
    heading(admin).to_have_text("Sessions")
    snap(admin, "journey-offer-sessions")
    dates = admin.get_by_role("group", name="Date")
    dates.get_by_label("Day").fill(str(held.day))
    dates.get_by_label("Month").fill(str(held.month))
    dates.get_by_label("Year").fill(str(held.year))
    admin.get_by_label("Start time", exact=True).fill("09:30")
    admin.get_by_label("Duration", exact=True).fill("90")
    admin.get_by_label("Facilitator", exact=True).select_option(facilitator_id)
    admin.get_by_label("Venue", exact=True).fill("Stratford Health Centre, Room 2")
    admin.get_by_label("This session has already happened").check()
    admin.get_by_role("button", name="Schedule").click()
    expect(_panel(admin)).to_contain_text("Session recorded")
    heading(admin).to_have_text(f"Session on {_long(held)}")
    session_url = admin.url
    session_id = session_url.rstrip("/").rsplit("/", 1)[-1]
    snap(admin, "journey-session-recorded")

    # The facilitator records the attendance in one form: six attended, two did not.
    facilitator = chromium.new_context().new_page()
    stack.sign_in(facilitator, facilitator_id)
    heading(facilitator).to_have_text("My sessions")
    expect(facilitator.get_by_role("heading", name="Attendance to record")).to_be_visible()
    snap(facilitator, "journey-facilitator-my-sessions")
    facilitator.get_by_role("link", name=f"{_long(held)}, 9:30am to 11am").click()
    heading(facilitator).to_have_text(f"Session on {_long(held)}")
    attended = ids[:2] + ids[3:7]  # Amira, Ben, Dev, Ellen, Farah, George
    absent = [ids[7], ids[8]]  # Hana, and Isaac who took Chloe's place
    for participant_id in holders:
        mark = "Attended" if participant_id in attended else "Did not attend"
        facilitator.get_by_role("group", name=f"Participant {participant_id[:8]}").get_by_label(mark).check()
    snap(facilitator, "journey-facilitator-attendance")
    facilitator.get_by_role("button", name="Save attendance").click()
    expect(_panel(facilitator)).to_contain_text("Attendance saved")
    expect(
        facilitator.get_by_role("group", name=f"Participant {absent[0][:8]}").get_by_label("Did not attend")
    ).to_be_checked()
    snap(facilitator, "journey-facilitator-attendance-saved")

    def attendance_known():
        with stack.feedback.runtime.db.transaction() as conn:
            return conn.execute(
                select(func.count()).select_from(attendance).where(attendance.c.session_id == session_id)
            ).scalar_one()

    eventually(lambda: attendance_known() == 8, message="feedback to hear of the attendance")

    # Four attendees give feedback: the figures of fewer than 5 people are withheld.
    for number, index in enumerate((0, 1, 3, 4)):
        page = participants[index]
        _give_feedback(page)
        expect(_panel(page)).to_contain_text("Thank you for your feedback")
        if number == 0:
            snap(page, "journey-participant-feedback-given")
    admin.goto(session_url)
    expect(_figure(admin, "People who gave feedback")).to_contain_text("fewer than 5")
    expect(_figure(admin, "Response rate")).to_contain_text("fewer than 5")
    expect(_figure(admin, "(average)")).to_have_count(0)  # no mean
    snap(admin, "journey-session-feedback-withheld")
    admin.get_by_role("link", name="Your region").first.click()
    feedback_row = admin.get_by_role("table", name="Sessions whose feedback is open").get_by_role(
        "row", name=_long(held)
    )
    expect(feedback_row).to_contain_text("fewer than 5")
    expect(feedback_row).not_to_contain_text("%")
    snap(admin, "journey-region-feedback-withheld")

    # The fifth: now the figures show (counts to the nearest 5, as feedback publishes them).
    _give_feedback(participants[5])
    expect(_panel(participants[5])).to_contain_text("Thank you for your feedback")
    admin.reload()
    expect(feedback_row).not_to_contain_text("fewer than 5")
    expect(feedback_row.get_by_role("cell").nth(2)).to_have_accessible_name("5")
    snap(admin, "journey-region-feedback-shown")
    admin.goto(session_url)
    expect(_figure(admin, "People who gave feedback")).to_contain_text("5")
    expect(_figure(admin, "People who gave feedback")).not_to_contain_text("fewer than")
    expect(_figure(admin, "Response rate")).to_contain_text("100%")
    expect(_figure(admin, "Overall (average)")).to_contain_text("5.0")
    snap(admin, "journey-session-feedback-shown")

    # Hana Novak had a place but did not attend: she is refused, and told why.
    hana = participants[7]
    _give_feedback(hana)
    heading(hana).to_have_text("You cannot give feedback on this session")
    expect(hana.get_by_text("only give feedback on a session you were recorded as attending")).to_be_visible()
    snap(hana, "journey-participant-feedback-refused")

    # At a phone's size: the participant's programmes and the administrator's region home.
    amira = participants[0]
    amira.set_viewport_size(PHONE)
    amira.goto(stack.url + "/programmes")  # the header's links fold into a menu at this size
    heading(amira).to_have_text("Programmes open to you")
    snap(amira, "journey-phone-participant-programmes")
    admin.set_viewport_size(PHONE)
    admin.goto(stack.url + "/region")
    heading(admin).to_have_text("Your region")
    snap(admin, "journey-phone-region-home")
