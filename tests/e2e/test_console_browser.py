"""The console in a real browser (Debian's chromium driven by Playwright) against the real stack:
sign-in through the development OpenID Connect provider, then the regional administrator's offers
page and the create form, served by the services' gunicorn processes, which accept the provider's
access tokens by its JWKS (the stack: tests/e2e/conftest.py). Each console page it sees is saved
as a screenshot and must pass axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.console import snap as _snap


def _fill_offer(page, *, capacity: str) -> None:
    page.get_by_role("radio", name="Action learning set").check()
    page.get_by_label("Title", exact=True).fill("Action learning set for new clinical directors")
    page.get_by_label("Number of places", exact=True).fill(capacity)
    for legend, (day, month, year) in (("Start date", ("4", "1", "2027")), ("End date", ("28", "6", "2027"))):
        dates = page.get_by_role("group", name=legend)
        dates.get_by_label("Day").fill(day)
        dates.get_by_label("Month").fill(month)
        dates.get_by_label("Year").fill(year)
    page.get_by_label("Number of planned sessions", exact=True).fill("6")
    page.get_by_label("Basis of the action learning set", exact=True).fill("project")


def test_a_regional_administrator_signs_in_sees_the_offers_and_creates_one_after_correcting_a_field(
    console_stack, page
):
    # The provider's own sign-in form: the demo regional administrator of London (Y56).
    console_stack.sign_in(page, "demo-admin-y56", "/offers")

    expect(page.get_by_role("heading", level=1)).to_have_text("Offers in your region")
    expect(page.get_by_text("There are no offers yet.")).to_be_visible()
    expect(page.get_by_role("banner")).to_contain_text("Alex Morgan")
    _snap(page, "offers-empty")

    page.get_by_role("link", name="Create an offer").click()
    _fill_offer(page, capacity="9")  # an action learning set has at most 8
    page.get_by_role("button", name="Create offer").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("There is a problem")
    _snap(page, "create-offer-error")
    link = summary.get_by_role("link")
    expect(link).to_have_count(1)
    expect(link).to_have_attribute("href", "#capacity")
    expect(page.locator("#capacity-error")).to_contain_text("Number of places")
    assert page.title().startswith("Error: ")
    link.click()
    expect(page.locator("#capacity")).to_be_focused()

    page.get_by_label("Number of places", exact=True).fill("8")
    page.get_by_role("button", name="Create offer").click()

    expect(page.locator(".nhsuk-panel")).to_contain_text("Offer created")
    expect(page.get_by_role("heading", level=1)).to_have_text("Action learning set for new clinical directors")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text("4 January 2027 to 28 June 2027")
    _snap(page, "offer-created")

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Offers").click()
    row = page.get_by_role("row", name="Action learning set for new clinical directors")
    expect(row).to_contain_text("0 of 8")
    expect(row).to_contain_text("Draft")
    _snap(page, "offers")
    row.get_by_role("link", name="Action learning set for new clinical directors").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action learning set for new clinical directors")
    expect(page.locator(".nhsuk-panel")).to_have_count(0)  # the confirmation was shown once


def test_signing_out_ends_the_console_session_and_the_providers_and_a_page_then_asks_to_sign_in_again(
    console_stack, page
):
    page.goto(console_stack.url + "/offers")
    page.get_by_role("button", name="demo-admin-y56").click()  # the provider's one-click demo person
    expect(page.get_by_role("heading", level=1)).to_have_text("Offers in your region")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider's end-session confirmation
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    _snap(page, "signed-out")

    page.goto(console_stack.url + "/offers")
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()  # back at the provider's sign-in
    assert "/oauth2/authorize?" in page.url and "code_challenge_method=S256" in page.url
