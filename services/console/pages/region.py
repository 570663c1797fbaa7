"""The regional administrator's first page: the region's offers with places taken and waiting, the
sessions of the next seven days, the sessions whose attendance is not yet recorded, and the sessions
whose feedback window is open with feedback's figures as it publishes them."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import g, render_template

from services.console import auth
from services.console.pages.blueprint import for_roles, pages
from services.console.pages.offers import STATUSES
from services.console.pages.sessions import (
    FEEDBACK_DAYS,
    describe,
    figures_view,
    window,
)
from services.console.upstream import call
from services.console.wording import LONDON, OFFER_TYPES

FEEDBACK_SHOWN = 10  # the most recent sessions whose feedback is awaited, each one a call to feedback


@pages.get("/region")
@for_roles("regional_admin")
def region_home():
    offers = call("enrolment", "GET", "/v1/offers", auth.token(), params={"limit": 100, "region": g.person.region})
    offers = offers.body.get("items", [])
    titles = {offer["id"]: offer["title"] for offer in offers}
    week = led_sessions(window(0, 7))
    unrecorded = led_sessions({"attendance": "unrecorded"})
    return render_template(
        "region/home.html",
        offers=offers,
        titles=titles,
        types=OFFER_TYPES,
        tags=STATUSES,
        week=[s for s in week if s["status"] == "scheduled"],
        unrecorded=unrecorded,
        awaiting=feedback_awaiting(),
    )


def led_sessions(query: dict) -> list[dict]:
    """The region's sessions (scheduling's GET /v1/sessions), as the pages show them."""
    answer = call("scheduling", "GET", "/v1/sessions", auth.token(), params={"limit": 200, **query})
    return [describe(item) for item in answer.body.get("items", [])] if answer.status == 200 else []


def feedback_awaiting() -> list[dict]:
    """Sessions that ended within feedback's window, newest first, each with its figures so far."""
    now = datetime.now(LONDON)
    since = now - timedelta(days=FEEDBACK_DAYS)
    recent = led_sessions({"from": (since - timedelta(days=1)).isoformat(), "to": now.isoformat()})
    ended = [
        s for s in recent if s["status"] == "scheduled" and s["ended"] and datetime.fromisoformat(s["ends_at"]) >= since
    ]
    shown = []
    for item in sorted(ended, key=lambda s: s["starts_at_utc"], reverse=True)[:FEEDBACK_SHOWN]:
        answer = call("feedback", "GET", "/v1/aggregates", auth.token(), params={"scope": "session", "id": item["id"]})
        shown.append({**item, "figures": figures_view(answer.body) if answer.status == 200 else None})
    return shown
