"""A newcomer after `make up`: the development identity provider's sign-in page, styled without a
CDN and passing axe-core's WCAG 2.2 AA checks, lists one demo person of each role; pressing a
person's button signs them in to the console, which names them."""

from __future__ import annotations

from playwright.sync_api import expect

from services.console.identity_provider import DEMO_PEOPLE
from tests.e2e.console import snap


def test_each_demo_person_signs_in_to_the_console_with_one_press(console_stack, page):
    outside = []
    page.on("request", lambda request: outside.append(request.url) if "127.0.0.1" not in request.url else None)
    for number, person in enumerate(DEMO_PEOPLE):
        page.goto(console_stack.url + "/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Convene")
        expect(page.get_by_placeholder("sub")).to_be_visible()
        if number == 0:
            assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("Arial")
            snap(page, "development-sign-in")
        row = page.get_by_role("row", name=person.claims["name"])
        row.get_by_role("button", name=person.sub).click()
        page.wait_for_url(lambda url: url.startswith(console_stack.url))
        expect(page.get_by_text(person.claims["name"]).first).to_be_visible()
        page.get_by_role("button", name="Sign out").click()
        page.get_by_role("button", name="End session").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    assert outside == [], "nothing from another site"
