"""A participant chooses which optional e-mails they get, in a real browser (Debian's chromium,
Playwright) against the real stack: from "Your sessions" to "E-mails we send you", where
reminders and feedback requests can be turned off (confirmations cannot); the choice reaches
enrolment, which sends the e-mails; a change made meanwhile in another window is shown, not
overwritten. Every page seen is saved as a screenshot and must pass axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.console import snap

REMINDERS = "A reminder the day before each session"
FEEDBACK = "A request for feedback after each session you attend"


def _preferences(stack, participant_id: str):
    return stack.enrolment.client.get(
        f"/v1/participants/{participant_id}/notification-preferences", headers=stack.token("regional_admin")
    )


def test_a_participant_turns_off_reminders_and_a_change_from_another_window_is_not_overwritten(console_stack, page):
    stack = console_stack
    participant_id = stack.registered("Nia Okafor", "nia.okafor@example.nhs.uk")
    me = stack.person(participant_id, "participant", "Nia Okafor")

    stack.sign_in(page, me, "/my-programme/sessions")
    page.get_by_role("link", name="Choose which e-mails we send you").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mails we send you")
    expect(page.get_by_text("You cannot turn these off.")).to_be_visible()
    expect(page.get_by_label(REMINDERS)).to_be_checked()
    expect(page.get_by_label(FEEDBACK)).to_be_checked()
    snap(page, "emails-choices")

    page.get_by_label(REMINDERS).uncheck()
    page.get_by_role("button", name="Save your choices").click()
    expect(page.locator(".nhsuk-panel")).to_contain_text("Your e-mail choices are saved")
    expect(page.get_by_label(REMINDERS)).not_to_be_checked()
    expect(page.get_by_label(FEEDBACK)).to_be_checked()
    snap(page, "emails-saved")
    saved = _preferences(stack, participant_id)
    assert (saved.json["reminders"], saved.json["feedback_requests"]) == (False, True)

    # Another window (here the region's administrator) turns feedback requests off meanwhile.
    current = _preferences(stack, participant_id)
    elsewhere = stack.enrolment.client.put(
        f"/v1/participants/{participant_id}/notification-preferences",
        json={"reminders": False, "feedback_requests": False},
        headers=stack.token("regional_admin") | {"If-Match": current.headers["ETag"]},
    )
    assert elsewhere.status_code == 200, elsewhere.json
    page.get_by_label(REMINDERS).check()
    page.get_by_role("button", name="Save your choices").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("changed in another window")
    expect(page.get_by_label(REMINDERS)).not_to_be_checked()  # shown as they are now
    expect(page.get_by_label(FEEDBACK)).not_to_be_checked()
    snap(page, "emails-stale")
    kept = _preferences(stack, participant_id)
    assert (kept.json["reminders"], kept.json["feedback_requests"]) == (False, False)
