"""The regional administrator's offer and enrolment pages in a real browser against the real stack:
an 8-place action learning set published in the console, ten people enrolled through its enrol form
(eight places, two waiting in order), one withdrawn after the confirmation step and the first on the
waiting list promoted, the title edited (a stale edit refused first), and another offer cancelled
through its confirmation step after a refused transition showed on its page. Every page the test
sees is saved as a screenshot and must pass axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.e2e.console import heading, snap

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


def _offer(stack, **fields) -> dict:
    body = {
        "offer_type": "action_learning_set",
        "title": TITLE,
        "capacity": 8,
        "starts_on": "2027-01-04",
        "ends_on": "2027-06-28",
        "planned_sessions": 6,
        "basis": "project",
    } | fields
    answer = stack.enrolment.client.post("/v1/offers", json=body, headers=stack.token("regional_admin"))
    assert answer.status_code == 201, answer.json
    return answer.json


def _api(stack, method: str, path: str, **options):
    answer = getattr(stack.enrolment.client, method)(
        path, headers=stack.token("regional_admin") | options.pop("headers", {}), **options
    )
    assert answer.status_code == 200, answer.json
    return answer


def _panel(page):
    return page.locator(".nhsuk-panel")


def _enrol(page, name: str) -> None:
    page.get_by_label("Name", exact=True).fill(name.split()[0].lower())  # part of the name, any case
    page.get_by_role("button", name="Search").click()
    page.get_by_role("radio", name=name, exact=True).check()
    page.get_by_role("button", name="Enrol", exact=True).click()


def test_an_administrator_publishes_a_set_enrols_ten_withdraws_one_sees_the_promotion_and_edits_and_cancels(
    console_stack, page
):
    stack = console_stack
    offer = _offer(stack)
    other = _offer(stack, offer_type="regional_programme", title="Leading change across a PCN", capacity=20, basis=None)
    people = [stack.registered(name, f"person{number}@example.nhs.uk") for number, name in enumerate(PEOPLE)]

    stack.sign_in(page, "demo-admin-y56", "/offers")
    heading(page).to_have_text("Offers in your region")
    page.get_by_role("link", name=TITLE).click()
    heading(page).to_have_text(TITLE)
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Draft")
    expect(page.get_by_text("Nobody has a place yet.")).to_be_visible()
    expect(page.get_by_role("link", name="Enrol someone")).to_have_count(0)  # a draft takes nobody
    snap(page, "offer-draft")

    page.get_by_role("button", name="Publish offer").click()
    expect(_panel(page)).to_contain_text("Offer published")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Published")
    snap(page, "offer-published")

    # Enrol all ten through the form: the first eight take the places, the last two wait in order.
    page.get_by_role("link", name="Enrol someone").click()
    heading(page).to_contain_text("Enrol someone")
    snap(page, "enrol-someone")
    page.get_by_role("button", name="Enrol", exact=True).click()  # nobody chosen
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Select the person to enrol.")
    expect(page.locator("#participant_id-error")).to_contain_text("Select the person to enrol.")
    snap(page, "enrol-someone-error")
    for number, name in enumerate(PEOPLE, start=1):
        _enrol(page, name)
        if number <= 8:
            expect(_panel(page)).to_contain_text(f"{name} has a place")
            expect(_panel(page)).to_contain_text(f"{number} of 8 places are now taken")
        else:
            expect(_panel(page)).to_contain_text(f"{name} is on the waiting list")
            expect(_panel(page)).to_contain_text(f"Number {number - 8} on the waiting list")
        if number in (1, 9):
            snap(page, f"enrolled-{number}")
    page.get_by_label("Name", exact=True).fill("amira")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("Clinical director, U10001. Already has a place")).to_be_visible()
    page.get_by_role("radio", name="Amira Khan", exact=True).check()
    page.get_by_role("button", name="Enrol", exact=True).click()  # enrolment refuses: she holds a place
    expect(page.locator("#participant_id-error")).to_contain_text("Amira Khan already has a place")
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Amira Khan already has a place")
    snap(page, "enrol-already-enrolled")

    page.get_by_role("link", name="Back to the offer and its enrolments").click()
    expect(page.get_by_text("8 of 8 places taken, 2 waiting.")).to_be_visible()
    members = page.get_by_role("table", name="People with a place")
    expect(members.get_by_role("row")).to_have_count(9)  # the header and eight people
    waiting = page.get_by_role("table", name="Waiting list, first in line at the top").get_by_role("row")
    expect(waiting.nth(1)).to_have_accessible_name(re.compile(r"^1 Isaac Reid "))
    expect(waiting.nth(2)).to_have_accessible_name(re.compile(r"^2 Jade Thompson "))
    snap(page, "offer-full-with-waiting-list")

    # Chloe Evans withdraws: the first on the waiting list takes her place.
    members.get_by_role("row", name=re.compile("Chloe Evans")).get_by_role("link", name="Withdraw Chloe Evans").click()
    heading(page).to_have_text(f"Are you sure you want to withdraw Chloe Evans from {TITLE}?")
    expect(page.get_by_role("banner")).to_contain_text("Alex Morgan")  # still the administrator signed in
    expect(page.get_by_text("Their place goes to the first person on the waiting list, Isaac Reid")).to_be_visible()
    snap(page, "withdraw-confirm")
    page.get_by_role("button", name="Yes, withdraw Chloe Evans").click()
    expect(_panel(page)).to_contain_text("Chloe Evans withdrawn")
    expect(_panel(page)).to_contain_text("Isaac Reid was first on the waiting list and now has the place.")
    expect(page.get_by_text("8 of 8 places taken, 1 waiting.")).to_be_visible()
    promoted = members.get_by_role("row", name=re.compile("Isaac Reid"))
    expect(promoted).to_contain_text("Promoted from waiting list")
    expect(members.get_by_role("row", name=re.compile("Amira Khan"))).not_to_contain_text("Promoted")
    expect(waiting).to_have_count(2)
    expect(waiting.nth(1)).to_have_accessible_name(re.compile(r"^1 Jade Thompson "))
    ended = page.get_by_role("table", name="No longer enrolled")
    expect(ended.get_by_role("row", name=re.compile("Chloe Evans"))).to_contain_text("Withdrew")
    snap(page, "offer-after-withdrawal")

    # Edit the title; an edit of a version someone else changed meanwhile is refused first.
    page.get_by_role("button", name="Edit offer").click()
    expect(page.get_by_label("Title", exact=True)).to_have_value(TITLE)
    expect(page.get_by_role("group", name="Start date").get_by_label("Day")).to_have_value("4")
    snap(page, "edit-offer")
    current = _api(stack, "get", f"/v1/offers/{offer['id']}")
    _api(
        stack,
        "patch",
        f"/v1/offers/{offer['id']}",
        json={"planned_sessions": 7},
        headers={"If-Match": current.headers["ETag"]},
    )
    page.get_by_label("Title", exact=True).fill("Action learning set for clinical directors, spring 2027")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("Someone changed this offer after you opened it")
    expect(page.get_by_label("Number of planned sessions", exact=True)).to_have_value("7")
    snap(page, "edit-offer-stale")
    page.get_by_label("Title", exact=True).fill("")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#title-error")).to_contain_text("Enter title")
    snap(page, "edit-offer-error")
    page.get_by_label("Title", exact=True).fill("Action learning set for clinical directors, spring 2027")
    page.get_by_role("button", name="Save changes").click()
    expect(_panel(page)).to_contain_text("Offer changed")
    heading(page).to_have_text("Action learning set for clinical directors, spring 2027")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("7")
    snap(page, "offer-edited")

    # Starting closes the set: the one still waiting is let go. Completing needs a session held first.
    page.get_by_role("button", name="Start offer").click()
    expect(_panel(page)).to_contain_text("Offer started")
    expect(_panel(page)).to_contain_text("It is a closed group now")
    expect(page.get_by_text("Nobody is waiting.")).to_be_visible()
    expect(ended.get_by_role("row", name=re.compile("Jade Thompson"))).to_contain_text(
        "Let go from the waiting list when the group started"
    )
    expect(page.get_by_role("link", name="Enrol someone")).to_have_count(0)
    snap(page, "offer-started")
    page.get_by_role("button", name="Complete offer").click()
    heading(page).to_have_text(
        "Are you sure you want to complete Action learning set for clinical directors, spring 2027?"
    )
    snap(page, "complete-confirm")
    page.get_by_role("button", name="Yes, complete this offer").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("An offer that has held no session cannot complete")
    heading(page).to_have_text("Action learning set for clinical directors, spring 2027")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Started")
    snap(page, "offer-complete-refused")

    # The other offer: a refused transition shows on its page, then it is cancelled after the confirmation step.
    page.goto(f"{stack.url}/offers/{other['id']}")
    heading(page).to_have_text("Leading change across a PCN")
    _api(stack, "post", f"/v1/offers/{other['id']}/publish")  # published meanwhile, elsewhere, and two enrolled
    for participant_id in people[:2]:
        enrolled = stack.enrolment.client.post(
            f"/v1/offers/{other['id']}/enrolments",
            json={"participant_id": participant_id},
            headers=stack.token("regional_admin"),
        )
        assert enrolled.status_code == 201, enrolled.json
    page.get_by_role("button", name="Publish offer").click()
    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_contain_text("This offer is already published.")
    heading(page).to_have_text("Leading change across a PCN")
    snap(page, "offer-refused-transition")
    page.get_by_role("button", name="Cancel offer").click()
    heading(page).to_have_text("Are you sure you want to cancel Leading change across a PCN?")
    expect(page.get_by_text("withdraws everyone enrolled (2 with a place, 0 on the waiting list)")).to_be_visible()
    expect(page.get_by_text("cancels its sessions still to come")).to_be_visible()
    snap(page, "cancel-confirm")
    page.get_by_role("button", name="Yes, cancel this offer").click()
    expect(_panel(page)).to_contain_text("Offer cancelled")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel offer")).to_have_count(0)
    expect(page.get_by_text("Nobody has a place.", exact=True)).to_be_visible()
    ended = page.get_by_role("table", name="No longer enrolled")
    for name in PEOPLE[:2]:
        expect(ended.get_by_role("row", name=re.compile(name))).to_contain_text("Offer cancelled")
    snap(page, "offer-cancelled")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Offers").click()
    page.get_by_label("Status").select_option("cancelled")
    page.get_by_role("button", name="Show offers").click()
    expect(page.get_by_role("row", name=re.compile("Leading change across a PCN"))).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("spring 2027"))).to_have_count(0)
    snap(page, "offers-cancelled")


def test_an_administrator_enrols_a_pcns_team_whole_after_a_team_too_big_for_the_free_places_is_refused(
    console_stack, page
):
    stack = console_stack
    team = _offer(
        stack, offer_type="pcn_team", title="Team development for U10001", capacity=2, basis=None, pcn_code="U10001"
    )
    _api(stack, "post", f"/v1/offers/{team['id']}/publish")
    for number, name in enumerate(("Kamal Singh", "Laura Price", "Maya Osei")):
        stack.registered(name, f"team{number}@example.nhs.uk")
    stack.registered("Noah Green", "other@example.nhs.uk", pcn="U10002")  # another PCN of London: not listed

    stack.sign_in(page, "demo-admin-y56", f"/offers/{team['id']}")
    heading(page).to_have_text("Team development for U10001")
    page.get_by_role("link", name="Enrol the PCN's team").click()
    heading(page).to_contain_text("Enrol the PCN's team")
    expect(page.get_by_role("checkbox")).to_have_count(3)
    expect(page.get_by_role("checkbox", name="Noah Green")).to_have_count(0)
    snap(page, "enrol-team")

    page.get_by_role("button", name="Enrol the team").click()  # nobody ticked
    expect(page.locator("#participant_ids-error")).to_contain_text("Select the members of the team.")
    for name in ("Kamal Singh", "Laura Price", "Maya Osei"):
        page.get_by_role("checkbox", name=name).check()
    page.get_by_role("button", name="Enrol the team").click()  # three people, two places
    expect(page.locator("#participant_ids-error")).to_contain_text("A team of 3 does not fit: 2 places are free.")
    expect(page.get_by_role("checkbox", name="Maya Osei")).to_be_checked()  # the choice is kept
    snap(page, "enrol-team-too-big")

    page.get_by_role("checkbox", name="Maya Osei").uncheck()
    page.get_by_role("button", name="Enrol the team").click()
    expect(_panel(page)).to_contain_text("Team enrolled")
    expect(_panel(page)).to_contain_text("2 people have a place.")
    expect(page.get_by_text("2 of 2 places taken, 0 waiting.")).to_be_visible()
    members = page.get_by_role("table", name="People with a place")
    expect(members.get_by_role("row", name=re.compile("Kamal Singh"))).to_be_visible()
    expect(members.get_by_role("row", name=re.compile("Laura Price"))).to_be_visible()
    snap(page, "offer-team-enrolled")


def test_the_national_team_publishes_its_national_offer_and_a_region_enrols_its_people_in_it_without_changing_it(
    console_stack, page
):
    stack = console_stack
    body = {
        "offer_type": "regional_programme",
        "title": "National leadership programme",
        "capacity": 30,
        "starts_on": "2027-02-01",
        "ends_on": "2027-07-30",
        "planned_sessions": 5,
    }
    created = stack.enrolment.client.post("/v1/offers", json=body, headers=stack.token("national"))
    assert created.status_code == 201, created.json
    offer_id = created.json["id"]
    stack.registered("Olivia Hart", "olivia@example.nhs.uk")

    stack.sign_in(page, "demo-national", f"/offers/{offer_id}")
    heading(page).to_have_text("National leadership programme")
    expect(page.get_by_role("heading", name="Enrolments")).to_have_count(0)  # the national team reads no roster
    page.get_by_role("button", name="Publish offer").click()
    expect(_panel(page)).to_contain_text("Offer published")
    snap(page, "national-offer-published")

    page.context.clear_cookies()
    stack.sign_in(page, "demo-admin-y56", f"/offers/{offer_id}")
    heading(page).to_have_text("National leadership programme")
    expect(page.get_by_role("button", name="Edit offer")).to_have_count(0)  # the national team's to change
    expect(page.get_by_role("button", name="Start offer")).to_have_count(0)
    page.get_by_role("link", name="Enrol someone").click()
    page.get_by_role("radio", name="Olivia Hart", exact=True).check()
    page.get_by_role("button", name="Enrol", exact=True).click()
    expect(_panel(page)).to_contain_text("Olivia Hart has a place")
    page.get_by_role("link", name="Back to the offer and its enrolments").click()
    expect(page.get_by_role("table", name="People with a place")).to_contain_text("Olivia Hart")
    snap(page, "national-offer-seen-by-region")
