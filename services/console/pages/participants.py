"""The regional administrator's participants: find them (by PCN, job role or exact e-mail address),
register one, see one's record and enrolments, and erase one's personal data after a confirmation
step. Names and e-mail addresses come only from enrolment; the console keeps none of them."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from flask import abort, flash, g, get_flashed_messages, redirect, render_template, request, url_for

from services.console import auth, forms
from services.console.pages.blueprint import for_roles, pages
from services.console.upstream import call
from services.console.wording import JOB_ROLES

PAGE_SIZE = 20
LEADERSHIP_EXPERIENCE = {
    "none": "None",
    "practice": "Leading in a practice",
    "federation": "Leading in a federation",
    "ccg_or_icb_board": "On a CCG or ICB board",
}
ENROLMENT_STATUSES = {"confirmed": "green", "waitlisted": "yellow", "withdrawn": "grey", "completed": "white"}
WITHDRAWAL_REASONS = {
    "withdrew": "Withdrew",
    "participant_erased": "Personal data erased",
    "waitlist_released": "Waiting list closed when the group started",
    "offer_cancelled": "Offer cancelled",
}
# The registration form's fields as the API names them → their labels (the error summary's words).
PARTICIPANT_FIELDS = {
    "name": "Full name",
    "email": "Email address",
    "role": "Job role",
    "pcn_code": "PCN",
    "practice_code": "GP practice code",
    "leadership_experience": "Leadership experience",
}
ERASE_CONFIRMATION = "confirm"


# --- Pure parts -----------------------------------------------------------------------------


def search_query(args, region: str | None, *, page_size: int = PAGE_SIZE) -> dict:
    """The API's query of a participants search: the filters a person chose, a page's offset, and
    never the erased (their record is kept only as markers)."""
    query: dict = {"limit": page_size, "offset": page_offset(args.get("page"), page_size), "erased": "false"}
    if args.get("email", "").strip():
        query["email"] = args["email"].strip()
    if args.get("pcn", "").strip():
        query["pcn"] = args["pcn"].strip()
    if args.get("role", "") in JOB_ROLES:
        query["role"] = args["role"]
    return query


def page_offset(page: str | None, page_size: int = PAGE_SIZE) -> int:
    """The offset of a page number typed in an address (1 when it is none)."""
    number = int(page) if page and page.isdigit() and 0 < int(page) < 100_000 else 1
    return (number - 1) * page_size


def pagination(total: int, offset: int, limit: int, link) -> dict:
    """The NHS.UK pagination's previous and next links: `link(page_number)` is a page's address."""
    number = offset // limit + 1
    pages_count = max(1, -(-total // limit))
    found = {}
    if number > 1:
        found["previous"] = {"href": link(number - 1), "labelText": f"{number - 1} of {pages_count}"}
    if number < pages_count:
        found["next"] = {"href": link(number + 1), "labelText": f"{number + 1} of {pages_count}"}
    return found


def participant_request(form) -> dict:
    """The API's registration request from the form: text trimmed; a field left empty is missing,
    so the API names it; an empty practice is none."""
    body = {name: form.get(name, "").strip() for name in ("name", "email", "role", "pcn_code", "leadership_experience")}
    body = {name: value for name, value in body.items() if value}
    body["practice_code"] = form.get("practice_code", "").strip().upper() or None
    return body


def is_erased(participant: dict) -> bool:
    """Erasure leaves the markers `(erased)` and `erased-{id}@erased.invalid` (docs/erasure.md)."""
    return participant.get("email") == f"erased-{participant.get('id')}@erased.invalid"


def pcn_label(pcn: dict) -> str:
    return f"{pcn['name']} ({pcn['code']})"


# --- Views ---------------------------------------------------------------------------------


def _region_pcns() -> list[dict]:
    """The region's PCNs, every page of them, by name."""
    found, offset = [], 0
    while True:
        params = {"limit": 200, "offset": offset} | ({"region": g.person.region} if g.person.region else {})
        answer = call("enrolment", "GET", "/v1/pcns", auth.token(), params=params)
        items = answer.body.get("items", []) if answer.status == 200 else []
        found += items
        offset += 200
        if not items or offset >= answer.body.get("total", 0):
            return sorted(found, key=lambda pcn: (pcn["name"], pcn["code"]))


@pages.get("/participants")
@for_roles("regional_admin")
def participants():
    query = search_query(request.args, g.person.region)
    answer = call("enrolment", "GET", "/v1/participants", auth.token(), params=query)
    errors = forms.FormErrors()
    if answer.status >= 400:
        errors = forms.from_problem(answer.body, {"email": "Email address", "pcn": "PCN", "role": "Job role"})
        found, total = [], 0
    else:
        found, total = answer.body["items"], answer.body["total"]
    pcns = _region_pcns()
    chosen = {name: request.args.get(name, "") for name in ("email", "pcn", "role")}

    def link(number: int) -> str:
        return (
            url_for("pages.participants") + "?" + urlencode({**{k: v for k, v in chosen.items() if v}, "page": number})
        )

    return render_template(
        "participants/list.html",
        participants=found,
        total=total,
        chosen=chosen,
        searched=any(chosen.values()),
        pcns=pcns,
        pcn_names={pcn["code"]: pcn_label(pcn) for pcn in pcns},
        roles=JOB_ROLES,
        pagination=pagination(total, query["offset"], query["limit"], link),
        errors=errors,
        erased="erased" in get_flashed_messages(),
    ), (422 if errors else 200)


@pages.get("/participants/new")
@for_roles("regional_admin")
def new_participant():
    return render_template("participants/new.html", form={}, errors=forms.FormErrors(), **_participant_form())


@pages.post("/participants/new")
@for_roles("regional_admin")
def register_participant():
    form = request.form
    answer = call(
        "enrolment",
        "POST",
        "/v1/participants",
        auth.token(),
        json=participant_request(form),
        headers={"Idempotency-Key": form.get("idempotency_key") or str(uuid.uuid4())},
    )
    if answer.status in (200, 201):
        flash("registered")
        return redirect(url_for("pages.participant", participant_id=answer.body["id"]))
    errors = forms.from_problem(answer.body, PARTICIPANT_FIELDS)  # a radio group's link: its first radio, idPrefix
    return render_template("participants/new.html", form=form, errors=errors, **_participant_form(form)), 422


def _participant_form(form=None) -> dict:
    key = (form or {}).get("idempotency_key") or str(uuid.uuid4())  # one per form: a double submit registers once
    return {
        "idempotency_key": key,
        "roles": JOB_ROLES,
        "experience": LEADERSHIP_EXPERIENCE,
        "pcns": _region_pcns(),
    }


def _participant_or_404(participant_id: str) -> dict:
    answer = call("enrolment", "GET", f"/v1/participants/{participant_id}", auth.token())
    if answer.status >= 400:
        abort(404)
    return answer.body


@pages.get("/participants/<participant_id>")
@for_roles("regional_admin")
def participant(participant_id):
    person = _participant_or_404(participant_id)
    answer = call(
        "enrolment", "GET", f"/v1/participants/{participant_id}/enrolments", auth.token(), params={"limit": 200}
    )
    enrolments = answer.body.get("items", []) if answer.status == 200 else []
    titles = {}
    for offer_id in {enrolment["offer_id"] for enrolment in enrolments}:
        offer = call("enrolment", "GET", f"/v1/offers/{offer_id}", auth.token())
        titles[offer_id] = offer.body.get("title") if offer.status == 200 else None
    pcn = call("enrolment", "GET", f"/v1/pcns/{person['pcn_code']}", auth.token())
    return render_template(
        "participants/participant.html",
        participant=person,
        erased=is_erased(person),
        pcn_name=pcn_label(pcn.body) if pcn.status == 200 else person["pcn_code"],
        enrolments=enrolments,
        titles=titles,
        roles=JOB_ROLES,
        experience=LEADERSHIP_EXPERIENCE,
        tags=ENROLMENT_STATUSES,
        reasons=WITHDRAWAL_REASONS,
        registered="registered" in get_flashed_messages(),
    )


@pages.get("/participants/<participant_id>/erase")
@for_roles("regional_admin")
def erase_participant_confirmation(participant_id):
    person = _participant_or_404(participant_id)
    if is_erased(person):
        return redirect(url_for("pages.participant", participant_id=participant_id))
    return render_template("participants/erase.html", participant=person, errors=forms.FormErrors())


@pages.post("/participants/<participant_id>/erase")
@for_roles("regional_admin")
def erase_participant(participant_id):
    person = _participant_or_404(participant_id)
    if request.form.get(ERASE_CONFIRMATION) != "yes":
        errors = forms.FormErrors()
        errors.add(ERASE_CONFIRMATION, "Confirm that you want to erase this participant's personal data.")
        return render_template("participants/erase.html", participant=person, errors=errors), 422
    answer = call("enrolment", "DELETE", f"/v1/participants/{participant_id}", auth.token())
    if answer.status not in (204, 409):  # 409: erased already, by someone else in the meantime
        errors = forms.from_problem(answer.body, {})
        return render_template("participants/erase.html", participant=person, errors=errors), 422
    flash("erased")
    return redirect(url_for("pages.participants"))
