"""Facilitators and coaches: the administrator's list of the region's facilitators and coaches with
the form that adds one; and a facilitator's or coach's own home, "My sessions": today's, the next
days', those whose attendance is still to record (each with who is expected and the attendance form),
and a coach's coaching bookings."""

from __future__ import annotations

import uuid

from flask import flash, g, redirect, render_template, request, url_for

from services.console import auth, forms
from services.console.pages.blueprint import for_roles, pages
from services.console.pages.region import led_sessions
from services.console.pages.sessions import (
    ATTENDANCE,
    by_day,
    describe,
    expected_people,
    window,
)
from services.console.upstream import call

KINDS = {"facilitator": "Facilitator", "coach": "Coach"}
FACILITATOR_FIELDS = {"kind": "Facilitator or coach", "monthly_capacity": "Sessions a month", "skills": "Skills"}


@pages.get("/facilitators")
@for_roles("regional_admin")
def facilitators():
    return _facilitators_page({}, forms.FormErrors())


@pages.post("/facilitators")
@for_roles("regional_admin")
def add_facilitator():
    form = request.form
    answer = call(
        "scheduling",
        "POST",
        "/v1/facilitators",
        auth.token(),
        json=facilitator_request(form),
        headers={"Idempotency-Key": form.get("idempotency_key") or str(uuid.uuid4())},
    )
    if answer.status == 201:
        flash("added:" + answer.body["id"])
        return redirect(url_for("pages.facilitators"))
    return _facilitators_page(form, forms.from_problem(answer.body, FACILITATOR_FIELDS)), 422


def _facilitators_page(form, errors):
    answer = call("scheduling", "GET", "/v1/facilitators", auth.token(), params={"limit": 200})
    return render_template(
        "facilitation/facilitators.html",
        people=answer.body.get("items", []),
        kinds=KINDS,
        form=form,
        errors=errors,
        idempotency_key=form.get("idempotency_key") or str(uuid.uuid4()),
    )


def facilitator_request(form) -> dict:
    """The API's request from the add form: skills typed separated by commas, as the API's words."""
    skills = [s.strip().lower().replace(" ", "_") for s in form.get("skills", "").split(",") if s.strip()]
    body = {
        "kind": form.get("kind"),
        "monthly_capacity": forms.number(form.get("monthly_capacity", "")),
        "skills": skills,
    }
    return {name: value for name, value in body.items() if value is not None}


@pages.get("/my-sessions")
@for_roles("facilitator", "coach")
def my_sessions():
    today = led_sessions(window(0, 1))
    unrecorded = [s for s in led_sessions({"attendance": "unrecorded"}) if s["id"] not in {t["id"] for t in today}]
    for item in [*today, *unrecorded]:
        item["people"] = expected_people(item) if item["status"] == "scheduled" else []
    return render_template(
        "facilitation/my_sessions.html",
        today=today,
        week=by_day([s for s in led_sessions(window(1, 6)) if s["status"] == "scheduled"]),
        unrecorded=unrecorded,
        bookings=coaching_bookings() if g.person.role == "coach" else None,
        attendance=ATTENDANCE,
        form={},
        titles=offer_titles([*today, *unrecorded]),
    )


def coaching_bookings() -> list[tuple[str, list[dict]]]:
    """A coach's bookings, by offer: the coaching offers they coach are those of the sessions they lead."""
    offer_ids = sorted({s["offer_id"] for s in led_sessions({}) if s["kind"] == "coaching"})
    titles = offer_titles([{"offer_id": offer_id} for offer_id in offer_ids])
    grouped = []
    for offer_id in offer_ids:
        answer = call(
            "scheduling", "GET", f"/v1/offers/{offer_id}/coaching-bookings", auth.token(), params={"limit": 200}
        )
        items = [describe(item) for item in answer.body.get("items", [])] if answer.status == 200 else []
        grouped.append((titles.get(offer_id, "Coaching"), items))
    return grouped


def offer_titles(items: list[dict]) -> dict[str, str]:
    titles = {}
    for offer_id in sorted({item["offer_id"] for item in items}):
        answer = call("enrolment", "GET", f"/v1/offers/{offer_id}", auth.token())
        if answer.status == 200:
            titles[offer_id] = answer.body["title"]
    return titles
