"""The console's front page: each role starts on its own home."""

from __future__ import annotations

from flask import g, redirect, request, url_for

from services.console import auth
from services.console.pages.blueprint import pages

# Each role's first page (an endpoint of `pages`): every role that may sign in (claims.ROLES) has one.
ROLE_HOMES = {
    "regional_admin": "pages.region_home",
    "national": "pages.insight",  # commissioners start on what the programme has learned
    "participant": "pages.participant_programmes",
    "facilitator": "pages.my_sessions",
    "coach": "pages.my_sessions",
}

# Each role's links in the header's navigation: (endpoint, text). A module adds its pages' links here.
ROLE_NAVIGATION: dict[str, list[tuple[str, str]]] = {
    "regional_admin": [
        ("pages.region_home", "Your region"),
        ("pages.offers", "Offers"),
        ("pages.participants", "Participants"),
        ("pages.facilitators", "Facilitators and coaches"),
        ("pages.audit", "Audit trail"),
        ("pages.reference_data_import", "Reference data"),
        ("pages.insight", "Insight"),
    ],
    "national": [
        ("pages.insight", "Insight"),
        ("pages.offers", "Offers"),
        ("pages.reference_data_import", "Reference data"),
    ],
    "participant": [
        ("pages.participant_programmes", "Programmes"),
        ("pages.participant_sessions", "Your sessions"),
        ("pages.participant_needs_survey", "Development needs"),
        ("pages.participant_outcomes", "Outcome measures"),
    ],
    "facilitator": [("pages.my_sessions", "My sessions")],
    "coach": [("pages.my_sessions", "My sessions")],
}


def navigation(role: str | None) -> list[dict]:
    """The header navigation's items of a role, the current page's marked."""
    here = request.endpoint
    return [
        {"href": url_for(endpoint), "text": text, "current": endpoint == here}
        for endpoint, text in ROLE_NAVIGATION.get(role or "", [])
    ]


@pages.get("/")
@auth.sign_in_required
def home():
    return redirect(url_for(ROLE_HOMES[g.person.role]))
