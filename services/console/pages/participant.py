"""A participant's own pages: the programmes open to them and their places in them (enrol, join
the waiting list, withdraw), and their sessions with their calendar. The token's subject is their
Convene participant id; every call is made with their own token, so they see only what the API
shows a participant: the published catalogue with its figures to the nearest five, and their own
enrolments and sessions. Feedback, the needs survey and outcome measures: participant_answers.py."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime

import requests
from flask import (
    Response,
    abort,
    current_app,
    flash,
    g,
    get_flashed_messages,
    redirect,
    render_template,
    request,
    url_for,
)

from services.console import auth, forms
from services.console.pages.blueprint import for_roles, pages
from services.console.upstream import Answer, NotSignedIn, UpstreamFailure, call, correlation_id, own_writes
from services.console.wording import LONDON, OFFER_TYPES, clock, local
from shared.contracts.vocabulary import WithdrawalReason

PARTICIPANT = "participant"
NATIONAL = "national"
OFFER_STATUSES = {
    "published": "Open for enrolment",
    "started": "Under way",
    "completed": "Finished",
    "cancelled": "Cancelled",
}
# Why an enrolment ended, in the participant's words (shared.contracts.vocabulary.WithdrawalReason).
WITHDRAWAL_REASONS = {
    WithdrawalReason.WITHDREW.value: "You left, or your administrator took you out",
    WithdrawalReason.PARTICIPANT_ERASED.value: "Your personal data was erased",
    WithdrawalReason.WAITLIST_RELEASED.value: "The group started before a place came free",
    WithdrawalReason.OFFER_CANCELLED.value: "The programme was cancelled",
}
# The reason the API records when a person withdraws themselves (WithdrawalReason.WITHDREW): the
# withdraw endpoint takes no reason of its own, so the confirmation says what will be recorded.
OWN_WITHDRAWAL = "You chose to leave"
ACTIVE = ("confirmed", "waitlisted")
MEMBER = ("confirmed", "completed")
ANSWER = "participant_answer"  # the flash category of what a write answered


# --- pure: what the pages show ------------------------------------------------------------------


CURRENT_PLACES = ("confirmed", "waitlisted")  # an enrolment that holds, or waits for, a place


def open_to(offers: Iterable[Mapping], pcn_code: str | None, holding: Iterable[str] = ()) -> list[dict]:
    """The published offers a participant may join: a PCN team's offer only for that PCN's people,
    none they already have a place in or wait for (`holding`: those offers' ids); in start order,
    then by title."""
    held = set(holding)
    shown = [
        dict(offer)
        for offer in offers
        if offer.get("status") == "published"
        and offer.get("id") not in held
        and (offer.get("offer_type") != "pcn_team" or offer.get("pcn_code") == pcn_code)
    ]
    return sorted(shown, key=lambda offer: (offer.get("starts_on") or "", offer.get("title") or ""))


def place_text(enrolment: Mapping | None) -> str:
    """An enrolment's state in a sentence: what the person has in that offer."""
    if not enrolment:
        return "Not enrolled"
    status = enrolment.get("status")
    if status == "confirmed":
        return "You have a place"
    if status == "waitlisted":
        return f"Number {enrolment.get('waitlist_position')} on the waiting list"
    if status == "completed":
        return "Completed"
    reason = WITHDRAWAL_REASONS.get(enrolment.get("withdrawal_reason") or "")
    return f"Withdrawn: {reason[0].lower()}{reason[1:]}" if reason else "Withdrawn"


PLACE_COLOURS = {"confirmed": "green", "waitlisted": "yellow", "completed": "blue", "withdrawn": "grey"}


def answer_title(enrolment: Mapping) -> str:
    """The confirmation panel's words after enrolling."""
    if enrolment.get("status") == "waitlisted":
        return f"You are number {enrolment.get('waitlist_position')} on the waiting list"
    return "You have a place"


def current_enrolment(enrolments: Iterable[Mapping], offer_id: str) -> dict | None:
    """The person's enrolment in an offer that matters now: an active one if any, else the latest."""
    theirs = sorted(
        (dict(e) for e in enrolments if e.get("offer_id") == offer_id),
        key=lambda e: (e.get("status") in ACTIVE, e.get("updated_at") or e.get("requested_at") or ""),
    )
    return theirs[-1] if theirs else None


def latest_per_offer(enrolments: Iterable[Mapping]) -> list[dict]:
    """One enrolment per offer (`current_enrolment`), most recent first."""
    enrolments = list(enrolments)
    offer_ids = dict.fromkeys(e.get("offer_id") for e in enrolments)
    chosen = [current_enrolment(enrolments, offer_id) for offer_id in offer_ids]
    return sorted(chosen, key=lambda e: e.get("updated_at") or e.get("requested_at") or "", reverse=True)


def figure(count) -> str:
    """A count exactly as the API gives a participant: rounded to the nearest five (so 0 may be a few)."""
    return "Not shown" if count is None else f"{count} (rounded to the nearest 5)"


def when(session: Mapping) -> str:
    """A session's time in UK time, NHS.UK style: Tuesday 5 January 2027, 10am to 12:30pm."""
    start, end = local(session["starts_at"]), local(session["ends_at"])
    day = f"{start:%A} {start.day} {start:%B %Y}"
    if end.date() != start.date():
        return f"{day}, {clock(start)} to {end:%A} {end.day} {end:%B %Y}, {clock(end)}"
    return f"{day}, {clock(start)} to {clock(end)}"


def split_sessions(sessions: Iterable[Mapping], now: datetime) -> tuple[list[dict], list[dict]]:
    """Upcoming sessions (soonest first) and past ones (latest first); a session under way is upcoming
    until it ends."""
    upcoming, past = [], []
    for one in sessions:
        ended = datetime.fromisoformat(one["ends_at"].replace("Z", "+00:00")) <= now
        (past if ended else upcoming).append(dict(one))
    upcoming.sort(key=lambda s: s["starts_at"])
    past.sort(key=lambda s: s["starts_at"], reverse=True)
    return upcoming, past


def ask(service: str, method: str, path: str, **kwargs) -> Answer:
    """A call with the person's own token."""
    return call(service, method, path, auth.token(), **kwargs)


def my_enrolments() -> list[dict]:
    answer = ask("enrolment", "GET", f"/v1/participants/{g.person.subject}/enrolments", params={"limit": 200})
    return answer.body.get("items", []) if answer.status == 200 else []


def my_record() -> dict:
    answer = ask("enrolment", "GET", f"/v1/participants/{g.person.subject}")
    return answer.body if answer.status == 200 else {}


def offer_of(offer_id: str) -> dict | None:
    answer = ask("enrolment", "GET", f"/v1/offers/{offer_id}")
    return answer.body if answer.status == 200 else None


def my_offers(enrolments: Iterable[Mapping], statuses=MEMBER) -> list[dict]:
    """The offers of the person's enrolments in these statuses, each with its title (in start order)."""
    found = []
    for enrolment in latest_per_offer(enrolments):
        if enrolment.get("status") in statuses and (offer := offer_of(enrolment["offer_id"])):
            found.append(offer)
    return sorted(found, key=lambda offer: (offer.get("starts_on") or "", offer.get("title") or ""))


# --- pages ----------------------------------------------------------------------------------------


@pages.get("/programmes")
@for_roles(PARTICIPANT)
def participant_programmes():
    me = my_record()
    region = g.person.region or me.get("region")
    catalogue = []
    for place in (region, NATIONAL) if region else (None,):
        query = {"status": "published", "limit": 200} | ({"region": place} if place else {})
        catalogue += ask("enrolment", "GET", "/v1/offers", params=query).body.get("items", [])
    enrolments = latest_per_offer(my_enrolments())
    titles = {}
    for enrolment in enrolments:
        offer = next((o for o in catalogue if o["id"] == enrolment["offer_id"]), None) or offer_of(
            enrolment["offer_id"]
        )
        titles[enrolment["offer_id"]] = offer["title"] if offer else "A programme no longer shown"
    return render_template(
        "participant/programmes.html",
        catalogue=open_to(
            catalogue, me.get("pcn_code"), [e["offer_id"] for e in enrolments if e["status"] in CURRENT_PLACES]
        ),
        enrolments=enrolments,
        places={e["offer_id"]: e for e in enrolments},
        titles=titles,
        types=OFFER_TYPES,
        place_text=place_text,
        colours=PLACE_COLOURS,
        figure=figure,
        answers=get_flashed_messages(category_filter=[ANSWER]),
    )


@pages.get("/programmes/<offer_id>")
@for_roles(PARTICIPANT)
def participant_offer(offer_id):
    offer = offer_of(offer_id)
    if offer is None:
        abort(404)
    return _offer_page(offer, forms.FormErrors())


def _offer_page(offer: dict, errors: forms.FormErrors, status: int = 200):
    enrolment = current_enrolment(my_enrolments(), offer["id"])
    return render_template(
        "participant/offer.html",
        offer=offer,
        enrolment=enrolment,
        active=bool(enrolment and enrolment.get("status") in ACTIVE),
        types=OFFER_TYPES,
        statuses=OFFER_STATUSES,
        place_text=place_text,
        figure=figure,
        errors=errors,
        answers=get_flashed_messages(category_filter=[ANSWER]),
        idempotency_key=str(uuid.uuid4()),
    ), status


@pages.post("/programmes/<offer_id>/enrol")
@for_roles(PARTICIPANT)
def participant_enrol(offer_id):
    offer = offer_of(offer_id)
    if offer is None:
        abort(404)
    answer = ask(
        "enrolment",
        "POST",
        f"/v1/offers/{offer_id}/enrolments",
        json={"participant_id": g.person.subject},
        headers={"Idempotency-Key": _form_key()},
    )
    if answer.status == 201:
        flash({"title": answer_title(answer.body), "offer": offer["title"]}, ANSWER)
        return redirect(url_for("pages.participant_offer", offer_id=offer_id))
    return _offer_page(offer, forms.from_problem(answer.body, {}), 422 if answer.status != 404 else 404)


@pages.get("/programmes/<offer_id>/withdraw")
@for_roles(PARTICIPANT)
def participant_withdrawal(offer_id):
    offer, enrolment = _withdrawable(offer_id)
    return render_template(
        "participant/withdraw.html",
        offer=offer,
        enrolment=enrolment,
        place_text=place_text,
        reason=OWN_WITHDRAWAL,
        errors=forms.FormErrors(),
    )


@pages.post("/programmes/<offer_id>/withdraw")
@for_roles(PARTICIPANT)
def participant_withdraw(offer_id):
    offer, enrolment = _withdrawable(offer_id)
    answer = ask("enrolment", "POST", f"/v1/enrolments/{enrolment['id']}/withdraw")
    if answer.status == 200:
        flash({"title": "You have left " + offer["title"], "offer": offer["title"], "withdrawn": True}, ANSWER)
        return redirect(url_for("pages.participant_programmes"))
    errors = forms.from_problem(answer.body, {})
    return render_template(
        "participant/withdraw.html",
        offer=offer,
        enrolment=enrolment,
        place_text=place_text,
        reason=OWN_WITHDRAWAL,
        errors=errors,
    ), 422


def _withdrawable(offer_id: str) -> tuple[dict, dict]:
    offer = offer_of(offer_id)
    enrolment = current_enrolment(my_enrolments(), offer_id) if offer else None
    if offer is None or enrolment is None or enrolment.get("status") not in ACTIVE:
        abort(404)
    return offer, enrolment


def _form_key() -> str:
    return request.form.get("idempotency_key") or str(uuid.uuid4())


@pages.get("/my-programme/sessions")
@for_roles(PARTICIPANT)
def participant_sessions():
    sessions = []
    for offer in my_offers(my_enrolments(), statuses=(*MEMBER, "withdrawn")):
        answer = ask("scheduling", "GET", f"/v1/offers/{offer['id']}/sessions", params={"limit": 200})
        if answer.status == 200:
            sessions += [s | {"offer_title": offer["title"], "when": when(s)} for s in answer.body.get("items", [])]
    upcoming, past = split_sessions(sessions, datetime.now(LONDON))
    return render_template(
        "participant/sessions.html",
        upcoming=upcoming,
        past=past,
        answers=get_flashed_messages(category_filter=[ANSWER]),
    )


@pages.get("/my-programme/calendar.ics")
@for_roles(PARTICIPANT)
def participant_calendar():
    """The person's calendar feed, fetched with their token: scheduling serves it only to a signed-in
    caller (a bearer token), so the console hands it over as a file to import."""
    settings = current_app.config["CONSOLE"]
    sent = {"Authorization": f"Bearer {auth.token()}", "X-Correlation-ID": correlation_id()} | own_writes()
    try:
        feed = requests.get(
            f"{settings.scheduling_url}/v1/participants/{g.person.subject}/calendar.ics",
            headers=sent,
            timeout=settings.upstream_timeout_seconds,
        )
    except requests.RequestException:
        raise UpstreamFailure("scheduling", sent["X-Correlation-ID"], None) from None
    if feed.status_code == 401:
        raise NotSignedIn()
    if feed.status_code != 200 or not feed.headers.get("Content-Type", "").startswith("text/calendar"):
        raise UpstreamFailure("scheduling", sent["X-Correlation-ID"], feed.status_code)
    return Response(
        feed.content,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="convene-sessions.ics"'},
    )
