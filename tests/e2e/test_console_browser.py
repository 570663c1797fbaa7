"""The console in a real browser (Debian's chromium driven by Playwright) against the real stack:
sign-in through the development OpenID Connect provider, then the regional administrator's offers
page and the create form, served by enrolment's gunicorn processes, which accept the provider's
access tokens by its JWKS. Each console page it sees is saved as a screenshot and must pass
axe-core's WCAG 2.2 AA checks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect, sync_playwright

from tests.harness import RunningService, service_environment
from tests.processes import REPO, WebProcess

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = REPO / ".run" / "screenshots"  # git-ignored
WCAG_22_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}}


def identity_provider(signing_keys, log_dir: Path) -> WebProcess:
    """The development OpenID Connect provider, as `make up` runs it: one gunicorn worker."""
    environ = {"JWT_PRIVATE_KEY_FILE": str(signing_keys[0]), "JWT_PUBLIC_KEY_FILE": str(signing_keys[1])}
    app = "services.console.identity_provider:app_from_environment()"
    return WebProcess("identity-provider", environ, log_dir, workers=1, app=app)


@pytest.fixture
def console_stack(databases, kafka_bootstrap, topic_prefix, signing_keys, tmp_path):
    provider = identity_provider(signing_keys, tmp_path).start()
    environ = service_environment(databases.new("enrolment"), kafka_bootstrap, topic_prefix, signing_keys[1]) | {
        "JWT_JWKS_URL": provider.base_url + "/jwks",  # the services verify the provider's tokens by its keys
        "JWT_ISSUER": provider.base_url,
    }
    enrolment = RunningService("enrolment", environ).start_worker()  # its schema, and its relay to Kafka
    enrolment_web = WebProcess("enrolment", environ, tmp_path, workers=2).start()
    console = WebProcess(
        "console",
        {
            "CONSOLE_ENVIRONMENT": "development",
            "OIDC_ISSUER": provider.base_url,
            "ENROLMENT_URL": enrolment_web.base_url,
            "CONSOLE_SESSION_SECRET": "a test's own session secret",
        },
        tmp_path,
        workers=2,
    ).start()
    yield console
    for process in (console, enrolment_web, provider):
        process.stop()
    enrolment.stop()


@pytest.fixture
def page():
    assert Path(CHROMIUM).exists(), "make test installs Debian's chromium (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser.new_page()
        browser.close()


def _snap(page, name: str) -> None:
    """A screenshot of the page, and axe-core's WCAG 2.2 AA checks on it, which must find nothing."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = Axe().run(page, options=WCAG_22_AA)
    assert results.violations_count == 0, f"{name}: {results.generate_report()}"


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
    page.goto(console_stack.base_url + "/")
    # The provider's own sign-in form: the demo regional administrator of London (Y56).
    page.get_by_placeholder("sub").fill("demo-admin-y56")
    page.get_by_role("button", name="Authorize").click()

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
    page.goto(console_stack.base_url + "/offers")
    page.get_by_role("button", name="demo-admin-y56").click()  # the provider's one-click demo person
    expect(page.get_by_role("heading", level=1)).to_have_text("Offers in your region")

    page.get_by_role("button", name="Sign out").click()
    page.get_by_role("button", name="End session").click()  # the provider's end-session confirmation
    expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
    _snap(page, "signed-out")

    page.goto(console_stack.base_url + "/offers")
    expect(page.get_by_role("button", name="Authorize")).to_be_visible()  # back at the provider's sign-in
    assert "/oauth2/authorize?" in page.url and "code_challenge_method=S256" in page.url
