"""The regional administrator's enrolments of one offer: who has a place, the waiting list in order
with the people promoted from it, enrolling one person or a PCN's team, and withdrawing someone after
a confirmation step. Names come from enrolment's participants, read with the administrator's token;
the roster itself holds only ids.

The pure parts (grouping a roster, finding people by name, a refusal in the person's words) are at
the top, without I/O; the views are at the end."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from flask import abort, flash, g, get_flashed_messages, redirect, render_template, request, url_for

from services.console import auth, forms
from services.console.pages.blueprint import for_roles, offer_or_404, pages
from services.console.upstream import call
from services.console.wording import JOB_ROLES, LONDON
from shared.contracts.vocabulary import WithdrawalReason

ENROLLERS = ("regional_admin",)  # the national team reads no roster (docs/authorization.md)
PAGE = 200  # the largest page the services answer
MAX_PAGES = 50  # 10,000 rows: more than any region's participants or any offer's roster
SHOWN_MATCHES = 25  # people offered on the enrol form at once; a name narrows them

REASONS = {  # WithdrawalReason in the person's words
    WithdrawalReason.WITHDREW.value: "Withdrew",
    WithdrawalReason.PARTICIPANT_ERASED.value: "Personal data erased",
    WithdrawalReason.WAITLIST_RELEASED.value: "Let go from the waiting list when the group started",
    WithdrawalReason.OFFER_CANCELLED.value: "Offer cancelled",
}
ENROL_FIELDS = {"participant_id": "Person to enrol"}
TEAM_FIELDS = {"participant_ids": "Members of the team"}
# A refusal's rule → what it means to the administrator; `{name}` is the person the refusal names.
ENROL_REFUSALS = {
    "already_enrolled": "{name} already has a place or is on the waiting list.",
    "offer_not_open": "This offer is not open for enrolment: publish it first, or it has closed.",
    "wrong_region": "{name} is not in this offer's region.",
    "wrong_pcn": "{name} is not in this team's PCN: a PCN team offer takes only that PCN's people.",
    "participant_not_found": "Select someone registered in your region.",
    "participant_erased": "{name}'s personal data is erased: they cannot be enrolled.",
    "not_a_team_offer": "Only a PCN team development offer takes a team.",
    "duplicate_member": "{name} is chosen twice.",
    "team_does_not_fit": (
        "A team of {team_size} does not fit: {free_places} places are free. A team gets its places all together "
        "or not at all, and only while nobody is waiting."
    ),
}


# --- Pure: no I/O -------------------------------------------------------------------------------


def local_day(instant: str | None) -> str | None:
    """The ISO date in England of a service's UTC instant (for the `long_date` filter)."""
    if not instant:
        return None
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(LONDON).date().isoformat()


def was_promoted(entry: dict) -> bool:
    """A confirmed enrolment changed after it was made was promoted from the waiting list: a place is
    only ever confirmed at once or by promotion, and a confirmed place changes no other way while it
    stays confirmed."""
    return entry.get("status") == "confirmed" and entry.get("updated_at") != entry.get("requested_at")


def roster_groups(entries: list[dict], people: dict[str, dict]) -> dict:
    """The roster as the offer page shows it: `members` (a place, or completed: by when they joined),
    `waitlist` (by position, 1 first) and `ended` (withdrawn, latest first), each entry with its
    person's `name`, `job_role` and the days of its changes; `places_taken` counts confirmed places."""

    def shown(entry: dict) -> dict:
        person = people.get(entry["participant_id"], {})
        return entry | {
            "name": person.get("name") or "Name not available",
            "job_role": JOB_ROLES.get(entry.get("role") or person.get("role"), entry.get("role") or ""),
            "requested_on": local_day(entry.get("requested_at")),
            "changed_on": local_day(entry.get("updated_at")),
            "promoted": was_promoted(entry),
            "reason": REASONS.get(entry.get("withdrawal_reason") or "", "Withdrew"),
        }

    members = [shown(e) for e in entries if e["status"] in ("confirmed", "completed")]
    members.sort(key=lambda e: (e["status"] != "confirmed", e.get("requested_at") or ""))
    waitlist = [shown(e) for e in entries if e["status"] == "waitlisted"]
    waitlist.sort(key=lambda e: (e.get("waitlist_position") is None, e.get("waitlist_position") or 0))
    ended = [shown(e) for e in entries if e["status"] == "withdrawn"]
    ended.sort(key=lambda e: e.get("updated_at") or "", reverse=True)
    return {
        "members": members,
        "waitlist": waitlist,
        "ended": ended,
        "places_taken": sum(1 for e in entries if e["status"] == "confirmed"),
    }


def promoted_with(entries: list[dict], withdrawn: dict) -> list[dict]:
    """The people a withdrawal promoted: confirmed by the same change, at the same instant."""
    at = withdrawn.get("updated_at")
    return [e for e in entries if was_promoted(e) and e.get("updated_at") == at and e["id"] != withdrawn.get("id")]


def holding(entries: list[dict]) -> dict[str, dict]:
    """Participant id → their active enrolment (a place or the waiting list) in this offer."""
    return {e["participant_id"]: e for e in entries if e["status"] in ("confirmed", "waitlisted")}


def matching(people: list[dict], name: str) -> list[dict]:
    """The people whose name holds every word typed (any case, any order), by name; nobody erased.
    Names are sealed in enrolment, so the search happens here, over the region's people it answered."""
    words = name.casefold().split()
    found = [
        p
        for p in people
        if not p.get("email", "").endswith("@erased.invalid") and all(w in p.get("name", "").casefold() for w in words)
    ]
    return sorted(found, key=lambda p: (p.get("name", "").casefold(), p["id"]))


def holding_hint(entry: dict | None) -> str | None:
    if entry is None:
        return None
    if entry["status"] == "confirmed":
        return "Already has a place"
    return f"Already on the waiting list (number {entry.get('waitlist_position')})"


def refusal(problem: dict, fields: dict[str, str], names: list[str] | None = None) -> forms.FormErrors:
    """A service's refusal of an enrolment as the form shows it: a known rule in the administrator's
    words, naming the person it concerns (`names`: the names of the ids sent, in order, so that
    `participant_ids[2]` is the third), next to its field; any other problem as forms.from_problem does."""
    rule = problem.get("rule")
    items = problem.get("errors") or [{}]
    if rule not in ENROL_REFUSALS:
        plain = [item | {"field": _base(str(item.get("field", "")))} for item in items if item]
        return forms.from_problem(problem | ({"errors": plain} if plain else {}), fields)
    errors = forms.FormErrors()
    for item in items:
        field = str(item.get("field", ""))
        name = _named(field, names or [])
        words = ENROL_REFUSALS[rule].format_map(_Facts(problem, name=name))
        errors.add(_base(field) if _base(field) in fields else forms.GENERAL, words)
    return errors


class _Facts(dict):
    """A refusal's facts for its words (`{team_size}`...); one it lacks reads as "some"."""

    def __missing__(self, key):
        return "some"


def _base(field: str) -> str:
    return re.split(r"[.\[]", field, maxsplit=1)[0]


def _named(field: str, names: list[str]) -> str:
    index = re.search(r"\[(\d+)\]", field)
    if index and int(index.group(1)) < len(names):
        return names[int(index.group(1))]
    return names[0] if len(names) == 1 else "This person"


def team_request(form) -> dict:
    """The team enrolment's request: the members ticked, each once, in the form's order."""
    chosen = [pid.strip() for pid in form.getlist("participant_ids") if pid.strip()]
    return {"participant_ids": list(dict.fromkeys(chosen))}


# --- Reads from enrolment -----------------------------------------------------------------------


def every(path: str, params: dict | None = None) -> list[dict] | None:
    """Every item of a paged list (None: the service refused, e.g. 404)."""
    items: list[dict] = []
    for _ in range(MAX_PAGES):
        answer = call(
            "enrolment", "GET", path, auth.token(), params={**(params or {}), "limit": PAGE, "offset": len(items)}
        )
        if answer.status >= 400:
            return None
        batch = answer.body.get("items", [])
        items += batch
        if not batch or len(items) >= answer.body.get("total", 0):
            break
    return items


def people_of_region(pcn: str | None = None) -> list[dict]:
    """The region's registered participants (of one PCN if given), as enrolment answers them."""
    return every("/v1/participants", {"pcn": pcn} if pcn else {}) or []


def people_by_id(entries: list[dict]) -> dict[str, dict]:
    """The people of a roster, read a PCN at a time (a roster's people are of a few PCNs)."""
    found: dict[str, dict] = {}
    for pcn in sorted({e.get("pcn_code") for e in entries if e.get("pcn_code")}):
        found |= {p["id"]: p for p in people_of_region(pcn)}
    return found


def roster(offer_id: str) -> list[dict] | None:
    return every(f"/v1/offers/{offer_id}/enrolments")


def accepts_enrolment(offer: dict) -> bool:
    """As enrolment decides it: a published offer, or a started one that is not a closed group."""
    return offer["status"] == "published" or (
        offer["status"] == "started" and offer["offer_type"] not in ("action_learning_set", "coaching")
    )


# --- Views --------------------------------------------------------------------------------------


@pages.get("/offers/<offer_id>/enrol")
@for_roles(*ENROLLERS)
def enrol_someone(offer_id):
    return _enrol_page(offer_id, request.args, forms.FormErrors())


@pages.post("/offers/<offer_id>/enrol")
@for_roles(*ENROLLERS)
def enrol_participant(offer_id):
    form = request.form
    participant_id = form.get("participant_id", "").strip()
    if not participant_id:
        errors = forms.FormErrors()
        errors.add("participant_id", "Select the person to enrol.")
        return _enrol_page(offer_id, form, errors, 422)
    answer = call(
        "enrolment",
        "POST",
        f"/v1/offers/{offer_id}/enrolments",
        auth.token(),
        json={"participant_id": participant_id},
        headers={"Idempotency-Key": form.get("idempotency_key") or str(uuid.uuid4())},
    )
    if answer.status == 201:
        body = answer.body
        flash(
            {
                "done": "enrolled",
                "participant_id": participant_id,
                "status": body["status"],
                "position": body.get("waitlist_position"),
            }
        )
        return redirect(url_for("pages.enrol_someone", offer_id=offer_id))
    if answer.status == 404 and answer.body.get("rule") == "offer_not_found":
        abort(404)
    return _enrol_page(offer_id, form, None, 422, refused=answer.body)


def _enrol_page(offer_id: str, form, errors: forms.FormErrors | None, status: int = 200, refused: dict | None = None):
    offer = offer_or_404(offer_id)
    people = people_of_region(offer.get("pcn_code") if offer["offer_type"] == "pcn_team" else None)
    if refused is not None:
        named = next((p["name"] for p in people if p["id"] == form.get("participant_id")), "This person")
        errors = refusal(refused, ENROL_FIELDS, [named])
    held = holding(roster(offer_id) or [])
    name = form.get("name", "").strip()
    found = matching(people, name)
    news = [n for n in get_flashed_messages() if isinstance(n, dict) and n.get("done") == "enrolled"]
    by_id = {p["id"]: p for p in people}
    done = news[-1] | {"name": by_id.get(news[-1]["participant_id"], {}).get("name", "The person")} if news else None
    page = render_template(
        "enrolments/enrol.html",
        offer=offer,
        form=form,
        errors=errors,
        name=name,
        found=found[:SHOWN_MATCHES],
        total=len(found),
        held=held,
        hint=holding_hint,
        roles=JOB_ROLES,
        done=done,
        open=accepts_enrolment(offer),
        idempotency_key=form.get("idempotency_key") if errors else str(uuid.uuid4()),
    )
    return page, status


@pages.get("/offers/<offer_id>/enrol-team")
@for_roles(*ENROLLERS)
def enrol_team_form(offer_id):
    return _team_page(offer_id, request.args, forms.FormErrors())


@pages.post("/offers/<offer_id>/enrol-team")
@for_roles(*ENROLLERS)
def enrol_team(offer_id):
    form = request.form
    body = team_request(form)
    if not body["participant_ids"]:
        errors = forms.FormErrors()
        errors.add("participant_ids", "Select the members of the team.")
        return _team_page(offer_id, form, errors, 422)
    answer = call(
        "enrolment",
        "POST",
        f"/v1/offers/{offer_id}/team-enrolments",
        auth.token(),
        json=body,
        headers={"Idempotency-Key": form.get("idempotency_key") or str(uuid.uuid4())},
    )
    if answer.status == 201:
        flash({"done": "team", "count": len(answer.body.get("items", []))})
        return redirect(url_for("pages.offer", offer_id=offer_id))
    if answer.status == 404 and answer.body.get("rule") == "offer_not_found":
        abort(404)
    return _team_page(offer_id, form, None, 422, refused=answer.body)


def _team_page(offer_id: str, form, errors: forms.FormErrors | None, status: int = 200, refused: dict | None = None):
    offer = offer_or_404(offer_id)
    if offer["offer_type"] != "pcn_team":
        abort(404)
    people = matching(people_of_region(offer["pcn_code"]), "")
    if refused is not None:
        by_id = {p["id"]: p["name"] for p in people}
        errors = refusal(
            refused, TEAM_FIELDS, [by_id.get(i, "Someone you chose") for i in team_request(form)["participant_ids"]]
        )
    chosen = set(form.getlist("participant_ids"))
    page = render_template(
        "enrolments/team.html",
        offer=offer,
        people=people,
        held=holding(roster(offer_id) or []),
        chosen=chosen,
        hint=holding_hint,
        roles=JOB_ROLES,
        errors=errors,
        idempotency_key=form.get("idempotency_key") if errors else str(uuid.uuid4()),
    )
    return page, status


@pages.get("/offers/<offer_id>/enrolments/<enrolment_id>/withdraw")
@for_roles(*ENROLLERS)
def confirm_withdrawal(offer_id, enrolment_id):
    offer = offer_or_404(offer_id)
    entries = roster(offer_id) or []
    entry = holding(entries)
    entry = next((e for e in entry.values() if e["id"] == enrolment_id), None)
    if entry is None:
        abort(404)
    groups = roster_groups(entries, people_by_id(entries))
    leaving = next(e for e in groups["members"] + groups["waitlist"] if e["id"] == enrolment_id)
    next_in_line = groups["waitlist"][0] if groups["waitlist"] and accepts_enrolment(offer) else None
    return render_template(
        "enrolments/withdraw.html",
        offer=offer,
        leaving=leaving,
        next_in_line=next_in_line if entry["status"] == "confirmed" else None,
        reason=REASONS[WithdrawalReason.WITHDREW.value],
    )


@pages.post("/offers/<offer_id>/enrolments/<enrolment_id>/withdraw")
@for_roles(*ENROLLERS)
def withdraw_enrolment(offer_id, enrolment_id):
    answer = call("enrolment", "POST", f"/v1/enrolments/{enrolment_id}/withdraw", auth.token())
    if answer.status == 200:
        body = answer.body
        flash(
            {
                "done": "withdrawn",
                "id": body["id"],
                "participant_id": body["participant_id"],
                "updated_at": body["updated_at"],
            }
        )
        return redirect(url_for("pages.offer", offer_id=body["offer_id"], _anchor="enrolments"))
    if answer.status == 404:
        abort(404)
    from services.console.pages.offers import offer_page  # the offer page shows the refusal in its summary

    return offer_page(offer_id, errors=forms.from_problem(answer.body, {}), status=422)


def enrolments_context(offer: dict) -> dict | None:
    """What the offer page shows of its enrolments (None for the national team, who read no roster)."""
    if g.person.role not in ENROLLERS:
        return None
    entries = roster(offer["id"]) or []
    people = people_by_id(entries)
    return {"groups": roster_groups(entries, people), "entries": entries, "people": people}
