"""The regional administrator's offers (and the national team's, of national offers): the region's
offers with places taken and waitlist, one offer with what can be done to it now (edit, publish,
start, complete, cancel) and its enrolments, and the forms that create and change one. Views are
short: read the form, call the API, show the answer."""

from __future__ import annotations

import uuid

from flask import abort, flash, g, get_flashed_messages, redirect, render_template, request, url_for

from services.console import auth, forms
from services.console.pages import enrolments
from services.console.pages.blueprint import for_roles, offer_or_404, pages
from services.console.upstream import call
from services.console.wording import OFFER_TYPES

OFFER_MANAGERS = ("regional_admin", "national")
NATIONAL = "national"  # the region of a national offer
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
# What each action does, as the offer page and its confirmation say it; the statuses it starts from.
ACTIONS = {
    "publish": ("published", ("draft",)),
    "start": ("started", ("published",)),
    "complete": ("completed", ("started",)),
    "cancel": ("cancelled", ("draft", "published", "started")),
}
CONFIRMED_ACTIONS = ("complete", "cancel")  # through an "Are you sure" page: they end people's places
EDITABLE = ("draft", "published")
STALE = (
    "Someone changed this offer after you opened it. The form now shows the offer as it is: make your changes again."
)


def actions_for(offer: dict, role: str) -> dict:
    """What the offer page offers to do now: `edit` and the lifecycle `actions` in order (to the offer's
    manager: its region's administrator, or the national team for a national offer), `enrol` and `team`
    (a regional administrator, their region's people, while the offer takes members)."""
    status = offer["status"]
    manages = (role == "national") == (offer.get("region") == NATIONAL)  # a region's offers, or national ones
    enrols = role in enrolments.ENROLLERS and enrolments.accepts_enrolment(offer)
    return {
        "edit": manages and status in EDITABLE,
        "actions": [action for action, (_, sources) in ACTIONS.items() if manages and status in sources],
        "enrol": enrols,
        "team": enrols and offer["offer_type"] == "pcn_team",
    }


def offer_form(offer: dict) -> dict:
    """The edit form's fields filled from the offer: dates as day, month and year."""
    form = {name: str(offer[name]) for name in ("title", "capacity", "planned_sessions") if offer.get(name) is not None}
    for name in ("starts_on", "ends_on"):
        if offer.get(name):
            year, month, day = offer[name].split("-")
            form |= {f"{name}[day]": str(int(day)), f"{name}[month]": str(int(month)), f"{name}[year]": year}
    if offer.get("basis"):
        form["basis"] = offer["basis"]
    if offer.get("session_allowance") is not None:
        form["session_allowance"] = str(offer["session_allowance"])
    return form


def offer_changes(form, offer_type: str) -> dict:
    """The PATCH of the edit form: every field it shows, as the API takes it. A field left empty is sent
    as null, so the API answers that it must be entered, next to the field."""
    body = {
        "title": form.get("title", "").strip() or None,
        "capacity": forms.number(form.get("capacity", "")),
        "starts_on": forms.date_from(form, "starts_on"),
        "ends_on": forms.date_from(form, "ends_on"),
        "planned_sessions": forms.number(form.get("planned_sessions", "")),
    }
    if offer_type == "action_learning_set":
        body["basis"] = form.get("basis", "").strip() or None
    if offer_type == "coaching":
        body["session_allowance"] = forms.number(form.get("session_allowance", ""))
    return body


PANELS = {  # what a change did, said on the offer page afterwards
    "created": ("Offer created", "It is a draft: nobody can enrol until it is published."),
    "updated": ("Offer changed", "The offer now shows your changes."),
    "published": ("Offer published", "It is open: people can now be enrolled."),
    "started": ("Offer started", "It still takes new members while places are free."),
    "started_closed": (
        "Offer started",
        "It is a closed group now: it takes no new members, and anyone who was on the waiting list has been let go "
        "and offered the open alternatives.",
    ),
    "completed": (
        "Offer completed",
        "Members who attended enough of its sessions have completed it. Sessions still to come are cancelled.",
    ),
    "cancelled": (
        "Offer cancelled",
        "Everyone with a place or on the waiting list has been withdrawn. Sessions still to come are cancelled.",
    ),
}


def news_panel(news: list, offer: dict, people: dict[str, dict], entries: list[dict]) -> dict | None:
    """The confirmation panel after a change (the last one flashed), in plain words; after a withdrawal,
    who took the freed place from the waiting list."""
    done = next((n for n in reversed(news) if n == "created" or isinstance(n, dict)), None)
    if done is None:
        return None
    kind = done if isinstance(done, str) else done.get("done")
    if kind == "started" and offer["offer_type"] in ("action_learning_set", "coaching"):
        kind = "started_closed"
    if kind in PANELS:
        title, text = PANELS[kind]
        return {"title": title, "text": text}
    if kind == "team":
        count = done.get("count", 0)
        return {"title": "Team enrolled", "text": f"{count} {'person has' if count == 1 else 'people have'} a place."}
    if kind == "withdrawn":
        name = people.get(done.get("participant_id"), {}).get("name", "The person")
        promoted = [people.get(e["participant_id"], {}).get("name") for e in enrolments.promoted_with(entries, done)]
        text = " ".join(
            f"{who or 'The next person'} was first on the waiting list and now has the place." for who in promoted
        )
        return {"title": f"{name} withdrawn", "text": text or None}
    return None


def transition_refusal(problem: dict) -> forms.FormErrors:
    """A refused lifecycle change as the offer page's error summary says it."""
    if problem.get("rule") != "invalid_transition":
        return forms.from_problem(problem, {})
    errors = forms.FormErrors()
    was, to = problem.get("from"), problem.get("to")
    errors.add(forms.GENERAL, f"This offer is already {to}." if was == to else f"A {was} offer cannot be {to}.")
    return errors


@pages.get("/offers")
@for_roles(*OFFER_MANAGERS)
def offers():
    status = request.args.get("status", "")
    status = status if status in STATUSES else ""
    query = (
        {"limit": 100}
        | ({"region": g.person.region} if g.person.region else {})
        | ({"status": status} if status else {})
    )
    answer = call("enrolment", "GET", "/v1/offers", auth.token(), params=query)
    return render_template(
        "offers/list.html", offers=answer.body.get("items", []), types=OFFER_TYPES, tags=STATUSES, status=status
    )


@pages.get("/offers/<offer_id>")
@for_roles(*OFFER_MANAGERS)
def offer(offer_id):
    return offer_page(offer_id)


def offer_page(offer_id: str, *, errors: forms.FormErrors | None = None, status: int = 200):
    """The offer page; after a refused change, with the refusal in its error summary."""
    found = offer_or_404(offer_id)
    roster = enrolments.enrolments_context(found)
    panel = news_panel(
        get_flashed_messages(), found, roster["people"] if roster else {}, roster["entries"] if roster else []
    )
    page = render_template(
        "offers/offer.html",
        offer=found,
        types=OFFER_TYPES,
        tags=STATUSES,
        can=actions_for(found, g.person.role),
        roster=roster["groups"] if roster else None,
        panel=panel,
        errors=errors or forms.FormErrors(),
    )
    return page, status


@pages.post("/offers/<offer_id>/<any(publish,start,complete,cancel):action>")
@for_roles(*OFFER_MANAGERS)
def change_offer_status(offer_id, action):
    answer = call("enrolment", "POST", f"/v1/offers/{offer_id}/{action}", auth.token())
    if answer.status == 200:
        flash({"done": ACTIONS[action][0]})
        return redirect(url_for("pages.offer", offer_id=offer_id))
    if answer.status == 404:
        abort(404)
    return offer_page(offer_id, errors=transition_refusal(answer.body), status=409 if answer.status == 409 else 422)


@pages.get("/offers/<offer_id>/<any(complete,cancel):action>")
@for_roles(*OFFER_MANAGERS)
def confirm_offer_status(offer_id, action):
    found = offer_or_404(offer_id)
    if found["status"] not in ACTIONS[action][1]:
        return redirect(url_for("pages.offer", offer_id=offer_id))
    return render_template(f"offers/confirm_{action}.html", offer=found, types=OFFER_TYPES)


@pages.get("/offers/<offer_id>/edit")
@for_roles(*OFFER_MANAGERS)
def edit_offer(offer_id):
    answer = call("enrolment", "GET", f"/v1/offers/{offer_id}", auth.token())
    if answer.status >= 400:
        abort(404)
    return _edit_page(answer, offer_form(answer.body), forms.FormErrors())


@pages.post("/offers/<offer_id>/edit")
@for_roles(*OFFER_MANAGERS)
def update_offer(offer_id):
    form = request.form
    answer = call(
        "enrolment",
        "PATCH",
        f"/v1/offers/{offer_id}",
        auth.token(),
        json=offer_changes(form, form.get("offer_type", "")),
        headers={"If-Match": form.get("etag", "")},
    )
    if answer.status == 200:
        flash({"done": "updated"})
        return redirect(url_for("pages.offer", offer_id=offer_id))
    if answer.status == 404:
        abort(404)
    current = call("enrolment", "GET", f"/v1/offers/{offer_id}", auth.token())
    if current.status >= 400:
        abort(404)
    if current.body["status"] not in EDITABLE:  # started or ended meanwhile: the offer page says so
        return offer_page(offer_id, errors=forms.from_problem(answer.body, {}), status=409)
    if answer.status in (412, 428):  # changed by someone else since this form was filled: show it as it is now
        errors = forms.FormErrors()
        errors.add(forms.GENERAL, STALE)
        return _edit_page(current, offer_form(current.body), errors, 409)
    errors = forms.from_problem(answer.body, OFFER_FIELDS, ANCHORS)
    return _edit_page(current, form, errors, 422, etag=form.get("etag", ""))


def _edit_page(answer, form, errors, status: int = 200, etag: str | None = None):
    found = answer.body
    if found["status"] not in EDITABLE:
        return redirect(url_for("pages.offer", offer_id=found["id"]))
    etag = etag if etag is not None else answer.headers.get("ETag", "")
    page = render_template("offers/edit.html", offer=found, form=form, errors=errors, etag=etag, types=OFFER_TYPES)
    return page, status


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
