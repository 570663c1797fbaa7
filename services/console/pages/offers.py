"""The regional administrator's offers: the region's offers with places taken and waitlist, one
offer, and the form that creates one. Views are short: read the form, call the API, show the answer."""

from __future__ import annotations

import uuid

from flask import abort, flash, g, redirect, render_template, request, url_for

from services.console import auth, forms
from services.console.pages.blueprint import for_roles, pages
from services.console.upstream import call

OFFER_MANAGERS = ("regional_admin", "national")
OFFER_TYPES = {
    "regional_programme": "Regional programme",
    "pcn_team": "PCN team development",
    "action_learning_set": "Action learning set",
    "coaching": "Coaching",
}
STATUSES = {"draft": "grey", "published": "blue", "started": "green", "completed": "white", "cancelled": "red"}
# The create form's fields as the API names them → their labels (the error summary's words).
OFFER_FIELDS = {
    "offer_type": "Type of offer",
    "title": "Title",
    "capacity": "Number of places",
    "starts_on": "Start date",
    "ends_on": "End date",
    "planned_sessions": "Number of planned sessions",
    "basis": "Basis of the action learning set",
    "session_allowance": "Number of coaching sessions",
    "pcn_code": "PCN code",
}
ANCHORS = {"starts_on": "starts_on-day", "ends_on": "ends_on-day"}  # a date's summary link goes to its day


@pages.get("/offers")
@for_roles(*OFFER_MANAGERS)
def offers():
    query = {"limit": 100} | ({"region": g.person.region} if g.person.region else {})
    answer = call("enrolment", "GET", "/v1/offers", auth.token(), params=query)
    return render_template("offers/list.html", offers=answer.body.get("items", []), types=OFFER_TYPES, tags=STATUSES)


@pages.get("/offers/<offer_id>")
@for_roles(*OFFER_MANAGERS)
def offer(offer_id):
    answer = call("enrolment", "GET", f"/v1/offers/{offer_id}", auth.token())
    if answer.status >= 400:
        abort(404)
    return render_template("offers/offer.html", offer=answer.body, types=OFFER_TYPES, tags=STATUSES)


@pages.get("/offers/new")
@for_roles(*OFFER_MANAGERS)
def new_offer():
    return render_template("offers/new.html", form={}, errors=forms.FormErrors(), **_form_context())


@pages.post("/offers/new")
@for_roles(*OFFER_MANAGERS)
def create_offer():
    form = request.form
    answer = call(
        "enrolment",
        "POST",
        "/v1/offers",
        auth.token(),
        json=offer_request(form),
        headers={"Idempotency-Key": form.get("idempotency_key") or str(uuid.uuid4())},
    )
    if answer.status == 201:
        flash("created")
        return redirect(url_for("pages.offer", offer_id=answer.body["id"]))
    errors = forms.from_problem(answer.body, OFFER_FIELDS, ANCHORS)
    return render_template("offers/new.html", form=form, errors=errors, **_form_context(form)), 422


def _form_context(form=None) -> dict:
    key = (form or {}).get("idempotency_key") or str(uuid.uuid4())  # one per form: a double submit creates one offer
    return {"types": OFFER_TYPES, "idempotency_key": key}


def offer_request(form) -> dict:
    """The API's request from the form: numbers and dates as the API takes them; what is not one is sent
    as typed, so the API's own rule names what is wrong with it."""
    body = {
        "offer_type": form.get("offer_type"),
        "title": form.get("title", "").strip(),
        "capacity": forms.number(form.get("capacity", "")),
        "starts_on": forms.date_from(form, "starts_on"),
        "ends_on": forms.date_from(form, "ends_on"),
        "planned_sessions": forms.number(form.get("planned_sessions", "")),
    }
    body = {name: value for name, value in body.items() if value not in (None, "")}  # left empty: missing
    for optional in ("basis", "pcn_code"):
        if form.get(optional, "").strip():
            body[optional] = form[optional].strip()
    if form.get("session_allowance", "").strip():
        body["session_allowance"] = forms.number(form["session_allowance"])
    return body
