"""A participant subscribes to their calendar in a real browser (Debian's chromium, Playwright)
against the real stack: "Your sessions" makes a secret subscription address and shows it once,
with how to add it to Outlook, Google and Apple calendars and the warning that anyone with it
sees their sessions; a calendar app (here: requests, with no token) reads the sessions from it;
a new address stops the old one, and "Stop sharing" stops the new. Every page seen is saved as a
screenshot and must pass axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import requests
from playwright.sync_api import expect

from tests.e2e.console import snap
from tests.harness import eventually
from tests.integration.test_scheduling_support import local

TITLE = "Leading through winter pressures"
VENUE = "Mile End Health Centre, Room 2"


def _member_with_a_session(stack) -> str:
    admin = stack.token("regional_admin")
    body = {
        "offer_type": "regional_programme",
        "title": TITLE,
        "capacity": 12,
        "starts_on": "2027-01-04",
        "ends_on": "2027-12-20",
        "planned_sessions": 6,
    }
    offer = stack.enrolment.client.post("/v1/offers", json=body, headers=admin)
    assert offer.status_code == 201, offer.json
    offer_id = offer.json["id"]
    assert stack.enrolment.client.post(f"/v1/offers/{offer_id}/publish", headers=admin).status_code == 200
    participant_id = stack.registered("Grace Adeyemi", "grace.adeyemi@example.nhs.uk")
    enrolled = stack.enrolment.client.post(
        f"/v1/offers/{offer_id}/enrolments", json={"participant_id": participant_id}, headers=admin
    )
    assert enrolled.status_code == 201, enrolled.json
    eventually(
        lambda: stack.scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=admin).status_code == 200,
        message="scheduling to hear of the offer",
    )
    session = {"starts_at": local(9, 13), "duration_minutes": 90, "venue": VENUE}
    scheduled = stack.scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=session, headers=admin)
    assert scheduled.status_code == 201, scheduled.json
    return stack.person(participant_id, "participant", "Grace Adeyemi")


def _subscribe(page) -> str:
    page.get_by_role("button", name="Subscribe to your calendar").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your calendar subscription address")
    return page.get_by_label("Subscription address").input_value()


def _calendar_app_reads(address: str) -> requests.Response:
    """What a calendar app subscribed to the address gets: a plain GET, no token, no cookie."""
    return requests.get(address, timeout=10)


def test_a_participant_subscribes_their_calendar_app_reads_it_and_they_stop_sharing(console_stack, page):
    stack = console_stack
    me = _member_with_a_session(stack)

    stack.sign_in(page, me, "/my-programme/sessions")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
    expect(page.get_by_role("table", name="Sessions coming up")).to_contain_text(TITLE)
    expect(page.get_by_role("link", name="Download your sessions as a calendar file (.ics)")).to_be_visible()
    snap(page, "calendar-sessions")

    address = _subscribe(page)
    assert "/v1/calendar-feeds/" in address and address.endswith(".ics")
    expect(page.get_by_role("heading", name="Anyone with this address can see your sessions")).to_be_visible()
    expect(page.get_by_text("Anyone who has it can see when and where your sessions are")).to_be_visible()
    for app in ("Outlook", "Google Calendar", "Apple Calendar (iPhone, iPad or Mac)"):
        expect(page.locator("summary", has_text=app)).to_be_visible()
    expect(page.get_by_text("This is the only time Convene shows it.")).to_be_visible()
    snap(page, "calendar-address")

    def sessions_in_feed() -> bool:
        feed = _calendar_app_reads(address)
        return feed.status_code == 200 and TITLE in feed.text and "Mile End Health Centre" in feed.text

    eventually(sessions_in_feed, message="the subscribed calendar to list the session")
    feed = _calendar_app_reads(address)
    assert feed.headers["Content-Type"].startswith("text/calendar")
    assert feed.headers["Cache-Control"].startswith("private")

    # Subscribing again makes a new address and stops the old one.
    page.get_by_role("link", name="Back to your sessions").click()
    newer = _subscribe(page)
    assert newer != address
    assert _calendar_app_reads(address).status_code == 404
    assert _calendar_app_reads(newer).status_code == 200

    # Stop sharing: the address stops working at once.
    page.get_by_role("button", name="Stop sharing").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your sessions")
    expect(page.locator(".nhsuk-panel")).to_contain_text("You have stopped sharing your calendar")
    snap(page, "calendar-stopped")
    assert _calendar_app_reads(newer).status_code == 404
