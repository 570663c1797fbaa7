"""Sessions: an offer's sessions with the forms that schedule one or a series, and one session's page
(details, who is expected, attendance in one form, feedback figures). The pure parts (a form → the
API's request, a clash → a field's message, times in London, grouping by day) are at the end."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from flask import abort, flash, g, redirect, render_template, request, url_for

from services.console import auth, forms
from services.console.pages.blueprint import for_roles, offer_or_404, pages
from services.console.upstream import call
from services.console.wording import LONDON, clock, local, long_day

ADMINS = ("regional_admin",)
LEADERS = ("regional_admin", "facilitator", "coach")
SESSION_FIELDS = {
    "starts_at": "Date",
    "start_time": "Start time",
    "duration_minutes": "Duration",
    "facilitator_id": "Facilitator",
    "venue": "Venue",
    "video_link": "Video link",
    "topic": "Topic",
    "count": "Number of sessions",
    "interval": "Weeks between sessions",
    "already_held": "Already happened",
}
ANCHORS = {"starts_at": "starts_at-day"}
ATTENDANCE = {"present": "Attended", "apologies": "Sent apologies", "absent": "Did not attend"}
FEEDBACK_DAYS = 14  # feedback's window after a session ends


def scheduling_sessions(offer: dict) -> list[dict] | None:
    """The offer's sessions; None while scheduling has not yet heard of the offer (a draft, or one
    published a moment ago without a token to wait for: asked again for up to two seconds)."""
    if offer["status"] == "draft":
        return None
    for attempt in range(5):
        if attempt:
            time.sleep(0.5)
        answer = call("scheduling", "GET", f"/v1/offers/{offer['id']}/sessions", auth.token(), params={"limit": 200})
        if answer.status == 200:
            return [describe(item) for item in answer.body["items"]]
    return None


def facilitator_choices() -> list[dict]:
    answer = call("scheduling", "GET", "/v1/facilitators", auth.token(), params={"limit": 200, "kind": "facilitator"})
    return answer.body.get("items", []) if answer.status == 200 else []


# --- an offer's sessions ----------------------------------------------------------------------


@pages.get("/offers/<offer_id>/sessions")
@for_roles(*ADMINS)
def offer_sessions(offer_id):
    return _sessions_page(offer_or_404(offer_id), {}, forms.FormErrors())


@pages.post("/offers/<offer_id>/sessions")
@for_roles(*ADMINS)
def schedule_offer_sessions(offer_id):
    form = request.form
    offer = offer_or_404(offer_id)
    body = session_request(form)
    answer = call(
        "scheduling",
        "POST",
        f"/v1/offers/{offer_id}/sessions",
        auth.token(),
        json=body,
        headers={"Idempotency-Key": form.get("idempotency_key") or str(uuid.uuid4())},
    )
    if answer.status == 201:
        count = len(answer.body.get("sessions") or [answer.body])
        held = body.get("already_held")
        flash(f"{'recorded' if held else 'scheduled'}:{count}")
        if held:
            return redirect(url_for("pages.session_page", session_id=answer.body["id"]))
        return redirect(url_for("pages.offer_sessions", offer_id=offer_id))
    errors = session_errors(answer.body, body.get("facilitator_id"))
    return _sessions_page(offer, form, errors), 422


def _sessions_page(offer: dict, form, errors):
    listed = scheduling_sessions(offer)
    return render_template(
        "sessions/offer.html",
        offer=offer,
        sessions=listed,
        facilitators=facilitator_choices(),
        form=form,
        errors=errors,
        idempotency_key=(form or {}).get("idempotency_key") or str(uuid.uuid4()),
    )


# --- one session ------------------------------------------------------------------------------


@pages.get("/sessions/<session_id>")
@for_roles(*LEADERS)
def session_page(session_id):
    found = call("scheduling", "GET", f"/v1/sessions/{session_id}", auth.token())
    if found.status >= 400:
        abort(404)
    return _session_page(describe(found.body), {}, forms.FormErrors())


@pages.post("/sessions/<session_id>/attendance")
@for_roles(*LEADERS)
def record_session_attendance(session_id):
    found = call("scheduling", "GET", f"/v1/sessions/{session_id}", auth.token())
    if found.status >= 400:
        abort(404)
    expected = request.form.getlist("expected")
    body = attendance_request(request.form, expected)
    if not body["records"]:
        errors = forms.FormErrors()
        errors.add(forms.GENERAL, "Choose attended, sent apologies or did not attend for at least one person.")
        return _session_page(describe(found.body), request.form, errors)
    answer = call("scheduling", "PUT", f"/v1/sessions/{session_id}/attendance", auth.token(), json=body)
    if answer.status == 200:
        flash("attendance")
        back = request.form.get("back")
        if back == "my-sessions":
            return redirect(url_for("pages.my_sessions"))
        return redirect(url_for("pages.session_page", session_id=session_id))
    errors = forms.from_problem(answer.body, {}, {})
    return _session_page(describe(found.body), request.form, errors)


def _session_page(item: dict, form, errors):
    """The session's page (status 422 when it shows a refused form's errors)."""
    offer = call("enrolment", "GET", f"/v1/offers/{item['offer_id']}", auth.token())
    people = expected_people(item)
    figures = session_figures(item) if g.person.role == "regional_admin" else None
    return render_template(
        "sessions/session.html",
        item=item,
        offer=offer.body if offer.status == 200 else None,
        people=people,
        figures=figures,
        form=form,
        errors=errors,
        attendance=ATTENDANCE,
    ), (422 if errors else 200)


def expected_people(item: dict) -> list[dict]:
    """Who is expected at the session, each with their mark so far: the roster's members who had joined
    when it began (and anyone already marked); an administrator sees their names, from enrolment."""
    marks = {}
    if item["started"]:
        sheet = call("scheduling", "GET", f"/v1/sessions/{item['id']}/attendance", auth.token())
        marks = (
            {r["participant_id"]: r["attendance"] for r in sheet.body.get("records", [])} if sheet.status == 200 else {}
        )
    if item["kind"] == "coaching":
        ids = [item["coachee_id"]]
    else:
        roster = call("scheduling", "GET", f"/v1/offers/{item['offer_id']}/roster", auth.token())
        members = roster.body.get("members", []) if roster.status == 200 else []
        began = datetime.fromisoformat(item["starts_at_utc"])
        ids = [m["participant_id"] for m in members if datetime.fromisoformat(m["joined_at"]) <= began]
    ids += [pid for pid in marks if pid not in ids]
    return [{"id": pid, "name": person_name(pid), "mark": marks.get(pid), "field": f"attendance-{pid}"} for pid in ids]


def person_name(participant_id: str) -> str:
    """A name for an administrator (from enrolment); for a facilitator or coach, who may see no names,
    the participant's reference: the start of their opaque id."""
    if g.person.role == "regional_admin":
        answer = call("enrolment", "GET", f"/v1/participants/{participant_id}", auth.token())
        if answer.status == 200:
            return answer.body["name"]
    return f"Participant {participant_id[:8]}"


def session_figures(item: dict) -> dict | None:
    """Feedback's figures for the session as feedback publishes them; None before it has any."""
    answer = call("feedback", "GET", "/v1/aggregates", auth.token(), params={"scope": "session", "id": item["id"]})
    return figures_view(answer.body) if answer.status == 200 else None


# --- pure parts -------------------------------------------------------------------------------


def describe(item: Mapping, now: datetime | None = None) -> dict:
    """A session as the pages show it: its day and times in London, whether it has begun or ended."""
    starts, ends = local(item["starts_at"]), local(item["ends_at"])
    now = now or datetime.now(LONDON)
    return {
        **item,
        "starts_at_utc": item["starts_at"],
        "day": long_day(starts),
        "date": starts.date(),
        "times": f"{clock(starts)} to {clock(ends)}",
        "started": starts <= now,
        "ended": ends <= now,
        "place": item.get("venue") or ("Online" if item.get("video_link") else "Place not set"),
    }


def by_day(items: list[dict]) -> list[tuple[str, list[dict]]]:
    """Sessions (as `describe` gives them) grouped by their London day, in start order."""
    days: dict[date, tuple[str, list[dict]]] = {}
    for item in sorted(items, key=lambda i: i["starts_at_utc"]):
        days.setdefault(item["date"], (item["day"], []))[1].append(item)
    return [days[day] for day in sorted(days)]


def session_request(form: Mapping) -> dict:
    """The API's request from the schedule form (one session, or a weekly series when a number of sessions is given):
    a London wall-clock start from the date and time; numbers as numbers; what is not one is sent as
    typed, so the API's own rule names what is wrong with it."""
    day = forms.date_from(form, "starts_at") or ""
    start_time = form.get("start_time", "").strip().replace(".", ":")
    if len(start_time) == 4 and start_time[1] == ":":
        start_time = "0" + start_time
    body = {"starts_at": f"{day}T{start_time}" if day or start_time else None}
    body["duration_minutes"] = forms.number(form.get("duration_minutes", ""))
    for name in ("facilitator_id", "venue", "video_link", "topic"):
        if form.get(name, "").strip():
            body[name] = form[name].strip()
    if form.get("count", "").strip():
        body["repeat"] = {"count": forms.number(form.get("count", "")), "cadence": "weekly"}
        if form.get("interval", "").strip():
            body["repeat"]["interval"] = forms.number(form["interval"])
    if form.get("already_held") == "yes":
        body["already_held"] = True
    return {name: value for name, value in body.items() if value is not None}


def session_errors(problem: Mapping, facilitator_id: str | None) -> forms.FormErrors:
    """A refusal as the form's errors. A clash names who is already booked: the chosen facilitator's
    shows next to the facilitator, anyone else's (a member of the group) next to the date; the
    series' own fields (repeat.count) next to theirs."""
    if problem.get("rule") == "clash":
        errors = forms.FormErrors(anchors=ANCHORS)
        if facilitator_id and problem.get("person_id") == facilitator_id:
            errors.add("facilitator_id", "The facilitator already leads a session at that time. Choose another time.")
        else:
            errors.add("starts_at", "A member of the group is already booked at that time. Choose another time.")
        return errors
    if problem.get("rule") == "facilitator_capacity":
        errors = forms.FormErrors(anchors=ANCHORS)
        errors.add("facilitator_id", "The facilitator already leads as many sessions that month as they can.")
        return errors
    renamed = [{**e, "field": str(e.get("field", "")).removeprefix("repeat.")} for e in problem.get("errors") or []]
    return forms.from_problem({**problem, "errors": renamed}, SESSION_FIELDS, ANCHORS)


def attendance_request(form: Mapping, expected: list[str]) -> dict:
    """The one form's marks (a radio row per expected person) as the API takes them: each person marked."""
    records = []
    for participant_id in expected:
        value = form.get(f"attendance-{participant_id}")
        if value in ATTENDANCE:
            records.append({"participant_id": participant_id, "attendance": value})
    return {"records": records}


def figures_view(aggregate: Mapping) -> dict:
    """Feedback's figures exactly as given; a withheld figure reads "fewer than 5"."""
    withheld = "fewer than 5"
    if aggregate.get("suppressed"):
        return {"respondents": withheld, "response_rate": withheld, "measures": []}
    rate = aggregate.get("response_rate")
    measures = []
    for name, measure in sorted((aggregate.get("measures") or {}).items()):
        mean = measure.get("mean")
        measures.append(
            {
                "name": name.replace("_", " ").capitalize(),
                "mean": withheld if mean is None else f"{mean:.1f}",
                "count": str(measure.get("count", "")),
            }
        )
    return {
        "respondents": withheld if aggregate.get("respondents") is None else str(aggregate["respondents"]),
        "response_rate": withheld if rate is None else f"{rate:.0%}",
        "measures": measures,
    }


def window(days_from_today: int, days: int, today: date | None = None) -> dict:
    """The API's query for sessions starting within `days` London days from a day (midnight to midnight)."""
    today = today or datetime.now(LONDON).date()
    first = today + timedelta(days=days_from_today)
    start = datetime(first.year, first.month, first.day, tzinfo=LONDON)
    last = first + timedelta(days=days)
    end = datetime(last.year, last.month, last.day, tzinfo=LONDON)
    return {"from": start.isoformat(), "to": end.isoformat()}
