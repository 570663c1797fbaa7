"""The regional administrator's offers: the region's offers with places taken and waitlist, one
offer, and the form that creates one. Views are short: read the form, call the API, show the answer."""

from __future__ import annotations

import uuid
from datetime import date

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from services.console import auth, forms
from services.console.upstream import call

pages = Blueprint("pages", __name__)

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


def _manager_only():
    if g.person.role not in OFFER_MANAGERS:
        abort(404)


@pages.get("/")
@auth.sign_in_required
def home():
    if g.person.role in OFFER_MANAGERS:
        return redirect(url_for("pages.offers"))
    return render_template("home.html")


@pages.get("/offers")
@auth.sign_in_required
def offers():
    _manager_only()
    query = {"limit": 100} | ({"region": g.person.region} if g.person.region else {})
    answer = call("enrolment", "GET", "/v1/offers", auth.token(), params=query)
    return render_template("offers/list.html", offers=answer.body.get("items", []), types=OFFER_TYPES, tags=STATUSES)


@pages.get("/offers/<offer_id>")
@auth.sign_in_required
def offer(offer_id):
    _manager_only()
    answer = call("enrolment", "GET", f"/v1/offers/{offer_id}", auth.token())
    if answer.status >= 400:
        abort(404)
    return render_template("offers/offer.html", offer=answer.body, types=OFFER_TYPES, tags=STATUSES)


@pages.get("/offers/new")
@auth.sign_in_required
def new_offer():
    _manager_only()
    return render_template("offers/new.html", form={}, errors=forms.FormErrors(), **_form_context())


@pages.post("/offers/new")
@auth.sign_in_required
def create_offer():
    _manager_only()
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
        "capacity": _number(form.get("capacity", "")),
        "starts_on": _date(form, "starts_on"),
        "ends_on": _date(form, "ends_on"),
        "planned_sessions": _number(form.get("planned_sessions", "")),
    }
    body = {name: value for name, value in body.items() if value not in (None, "")}  # left empty: missing
    for optional in ("basis", "pcn_code"):
        if form.get(optional, "").strip():
            body[optional] = form[optional].strip()
    if form.get("session_allowance", "").strip():
        body["session_allowance"] = _number(form["session_allowance"])
    return body


def _number(text: str):
    text = text.strip()
    return int(text) if text.lstrip("-").isdigit() else (text or None)


def _date(form, name: str):
    parts = [form.get(f"{name}[{part}]", "").strip() for part in ("year", "month", "day")]  # the NHS.UK names
    if not any(parts):
        return None
    try:
        return date(*(int(part) for part in parts)).isoformat()
    except ValueError:
        return "-".join(parts)  # not a date: the API says so, next to the field
