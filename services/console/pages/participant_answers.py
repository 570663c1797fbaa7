"""A participant's answers to the feedback service: feedback on a session they attended (named or
anonymous, the choice explained), the development-needs survey, and the outcome measures before
and after a programme. Each form turns into the API's request here (pure functions, unit-tested);
a refusal that is about the person's situation, not a field (did not attend, window closed, given
already), is said in a sentence."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from flask import abort, flash, get_flashed_messages, redirect, render_template, request, url_for

from services.console import forms, wording
from services.console.pages.blueprint import for_roles, pages
from services.console.pages.participant import (
    ANSWER,
    MEMBER,
    PARTICIPANT,
    ask,
    my_enrolments,
    my_offers,
    my_record,
    offer_of,
    when,
)
from shared.contracts.vocabulary import Recommend

RATINGS = {
    "overall": "Overall, how would you rate the session?",
    "usefulness": "How useful was the session to you?",
    "will_apply": "How likely are you to apply what you learnt in your work?",
}
RATING_ENDS = {
    "overall": ("Very poor", "Very good"),
    "usefulness": ("Not useful at all", "Very useful"),
    "will_apply": ("Very unlikely", "Very likely"),
}
RECOMMEND = {
    Recommend.VERY_GOOD.value: "Very good",
    Recommend.GOOD.value: "Good",
    Recommend.NEITHER.value: "Neither good nor poor",
    Recommend.POOR.value: "Poor",
    Recommend.VERY_POOR.value: "Very poor",
    Recommend.DONT_KNOW.value: "Don't know",
}
FEEDBACK_FIELDS = {
    "overall": "Overall rating",
    "usefulness": "Usefulness",
    "will_apply": "Applying what you learnt",
    "recommend": "Recommending the session",
    "comment": "Comments",
    "anonymous": "Anonymous or with your name",
}
FEEDBACK_ANCHORS = {name: name + "-1" for name in RATINGS} | {"recommend": "recommend-1", "anonymous": "anonymous-1"}
# The refusals that are about the person's situation, not a field of the form.
FEEDBACK_REFUSALS = {
    "not_an_attendee": (
        "You can only give feedback on a session you were recorded as attending. If you were there, ask the "
        "session's facilitator to record your attendance, then try again."
    ),
    "feedback_window_closed": "Feedback on this session has closed. Feedback is open for a short time after a session.",
    "feedback_already_given": "You have already given feedback on this session. You can give feedback only once.",
    "session_not_held": "Feedback opens once the session has been held.",
    "session_not_found": "You cannot give feedback on this session.",
}
NEEDS = wording.NEEDS
NEEDS_FIELDS = NEEDS | {"other_needs": "Other needs", "offer_id": "Programme", "pcn_code": "Your PCN"}
NEEDS_ANCHORS = {need: need + "-1" for need in NEEDS} | {"pcn_code": "pcn_code-1"}
NEEDS_REFUSALS = {
    "needs_already_answered": (
        "You have already answered the survey for your region this quarter. You can answer it again next quarter, "
        "or answer it for one of your programmes."
    ),
}
OUTCOMES = {
    "confidence": ("How confident do you feel as a leader?", "Not at all confident", "Very confident"),
    "isolation": ("How isolated do you feel in your role?", "Not at all isolated", "Very isolated"),
    "trust_in_group": ("How much do you trust the people you learn with?", "No trust at all", "Complete trust"),
    "sense_of_direction": (
        "How clear is your sense of direction for your PCN?",
        "Not at all clear",
        "Very clear",
    ),
}
PHASES = {"before": "Before the programme", "after": "After the programme"}
OUTCOME_FIELDS = {
    "confidence": "Confidence",
    "isolation": "Isolation",
    "trust_in_group": "Trust in the people you learn with",
    "sense_of_direction": "Sense of direction",
    "offer_id": "Programme",
    "phase": "Before or after",
}
OUTCOME_ANCHORS = {name: name + "-1" for name in OUTCOMES} | {"phase": "phase-1"}
OUTCOME_REFUSALS = {
    "outcome_already_given": "You have already given these answers for this programme. You can give them only once.",
    "offer_not_run_yet": (
        "You can give the after answers once the programme has run: when it has finished, or when at least half "
        "of its sessions have been held."
    ),
}


# --- pure: forms into the API's requests -----------------------------------------------------------


def _number(form: Mapping, name: str):
    return forms.number(form.get(name, "") or "")


def _text(form: Mapping, name: str) -> str | None:
    return (form.get(name) or "").strip() or None


def feedback_request(form: Mapping) -> dict:
    """The feedback API's request from the form: ratings as numbers, the recommendation, the comment
    (none when left empty) and the anonymous choice ("yes"/"no") as true or false. A rating not chosen
    is left out, so the API names it."""
    body = {name: _number(form, name) for name in RATINGS}
    body = {name: value for name, value in body.items() if value is not None}
    if form.get("recommend"):
        body["recommend"] = form["recommend"]
    body["comment"] = _text(form, "comment")
    if form.get("anonymous") in ("yes", "no"):
        body["anonymous"] = form["anonymous"] == "yes"
    return body


def unchosen_anonymity(form: Mapping) -> forms.FormErrors:
    """The API would take a missing choice as "with your name": the console asks instead of assuming."""
    errors = forms.FormErrors(anchors=dict(FEEDBACK_ANCHORS))
    if form.get("anonymous") not in ("yes", "no"):
        errors.add("anonymous", "Choose whether to give your feedback anonymously or with your name.")
    return errors


def needs_request(form: Mapping, pcn_code: str | None) -> dict:
    """The needs survey's request: every need's rating chosen (1 to 5), other needs, the programme it is
    for (none: the region's quarterly survey) and the person's PCN when they chose to name it."""
    ratings = {need: _number(form, need) for need in NEEDS}
    body = {"ratings": {need: value for need, value in ratings.items() if value is not None}}
    body["other_needs"] = _text(form, "other_needs")
    body["offer_id"] = _text(form, "offer_id")
    if form.get("pcn_code") == "yes" and pcn_code:
        body["pcn_code"] = pcn_code
    return body


def outcome_request(form: Mapping) -> dict:
    """The outcome measures' request: the programme, before or after, and every measure 1 to 7 chosen."""
    scores = {name: _number(form, name) for name in OUTCOMES}
    body = {"scores": {name: value for name, value in scores.items() if value is not None}}
    for name in ("offer_id", "phase"):
        if form.get(name):
            body[name] = form[name]
    return body


# What to choose, for a choice left empty (the API's "Missing data for required field.").
FEEDBACK_CHOICES = {name: "Choose a rating from 1 to 5." for name in RATINGS} | {
    "recommend": "Choose how likely you are to recommend the session."
}
NEEDS_CHOICES = {need: "Choose a rating from 1 to 5." for need in NEEDS}
OUTCOME_CHOICES = {name: "Choose a rating from 1 to 7." for name in OUTCOMES} | {
    "phase": "Choose whether you are answering before or after the programme."
}


def nested_fields(problem: Mapping, choices: Mapping[str, str] | None = None) -> dict:
    """A problem whose fields name nested answers (ratings.leadership, scores.confidence) as the
    form's own fields (leadership, confidence); a choice left empty asks for it (`choices`), as the
    NHS.UK pattern says it for radios, instead of "Enter ..."."""
    errors = []
    for item in problem.get("errors") or []:
        name = str(item.get("field", ""))
        if name.startswith(("ratings.", "scores.")):
            item = {**item, "field": name.split(".", 1)[1]}
        if item.get("field") in (choices or {}) and item.get("message") in forms.MISSING:
            item = {**item, "message": choices[item["field"]]}
        errors.append(item)
    return {**problem, "errors": errors}


def refusal(problem: Mapping, refusals: Mapping[str, str]) -> str | None:
    """The sentence for a refusal about the person's situation, or None for a problem with a field."""
    return refusals.get(str(problem.get("rule") or ""))


# --- pages ----------------------------------------------------------------------------------------


def _session_of(session_id: str) -> dict:
    answer = ask("scheduling", "GET", f"/v1/sessions/{session_id}")
    if answer.status != 200:
        abort(404)
    session = answer.body
    offer = offer_of(session["offer_id"]) or {}
    return session | {"offer_title": offer.get("title", "Your programme"), "when": when(session)}


def _feedback_page(session: dict, form: Mapping, errors: forms.FormErrors, status: int = 200):
    return render_template(
        "participant/feedback.html",
        session=session,
        form=form,
        errors=errors,
        ratings=RATINGS,
        ends=RATING_ENDS,
        recommend=RECOMMEND,
    ), status


@pages.get("/my-programme/sessions/<session_id>/feedback")
@for_roles(PARTICIPANT)
def participant_feedback(session_id):
    return _feedback_page(_session_of(session_id), {}, forms.FormErrors())


@pages.post("/my-programme/sessions/<session_id>/feedback")
@for_roles(PARTICIPANT)
def participant_give_feedback(session_id):
    session, form = _session_of(session_id), request.form
    chosen = unchosen_anonymity(form)
    if chosen:
        return _feedback_page(session, form, chosen, 422)
    answer = ask("feedback", "POST", f"/v1/sessions/{session_id}/feedback", json=feedback_request(form))
    if answer.status == 201:
        anonymous = answer.body.get("anonymous")
        flash(
            {
                "title": "Thank you for your feedback",
                "text": "You gave it anonymously." if anonymous else "You gave it with your name.",
            },
            ANSWER,
        )
        return redirect(url_for("pages.participant_sessions"))
    if why := refusal(answer.body, FEEDBACK_REFUSALS):
        return render_template(
            "participant/refused.html",
            title="You cannot give feedback on this session",
            message=why,
            back=url_for("pages.participant_sessions"),
            back_text="Back to your sessions",
            session=session,
        ), answer.status
    return _feedback_page(
        session,
        form,
        forms.from_problem(nested_fields(answer.body, FEEDBACK_CHOICES), FEEDBACK_FIELDS, FEEDBACK_ANCHORS),
        422,
    )


def _member_offers() -> list[dict]:
    return my_offers(my_enrolments(), statuses=MEMBER)


def _needs_page(form: Mapping, errors: forms.FormErrors, offers: list[dict], status: int = 200):
    return render_template(
        "participant/needs.html",
        form=form,
        errors=errors,
        needs=NEEDS,
        offers=offers,
        pcn_code=my_record().get("pcn_code"),
    ), status


@pages.get("/my-programme/needs-survey")
@for_roles(PARTICIPANT)
def participant_needs_survey():
    answers = get_flashed_messages(category_filter=[ANSWER])
    if answers:
        return render_template("participant/answered.html", answer=answers[0], title=answers[0]["title"])
    return _needs_page({"offer_id": request.args.get("offer", "")}, forms.FormErrors(), _member_offers())


@pages.post("/my-programme/needs-survey")
@for_roles(PARTICIPANT)
def participant_answer_needs():
    form = request.form
    answer = ask(
        "feedback", "POST", "/v1/needs-surveys/responses", json=needs_request(form, my_record().get("pcn_code"))
    )
    if answer.status == 201:
        replaced = answer.body.get("replaced")
        flash(
            {
                "title": "Thank you for answering the survey",
                "text": (
                    "This answer replaces your earlier one in planning your programme's sessions."
                    if replaced
                    else "Your answers are anonymous."
                ),
            },
            ANSWER,
        )
        return redirect(url_for("pages.participant_needs_survey"))
    if why := refusal(answer.body, NEEDS_REFUSALS):
        return render_template(
            "participant/refused.html",
            title="You have already answered",
            message=why,
            back=url_for("pages.participant_needs_survey"),
            back_text="Back to the survey",
        ), answer.status
    errors = forms.from_problem(nested_fields(answer.body, NEEDS_CHOICES), NEEDS_FIELDS, NEEDS_ANCHORS)
    return _needs_page(form, errors, _member_offers(), 422)


def _outcomes_page(form: Mapping, errors: forms.FormErrors, offers: list[dict], status: int = 200):
    return render_template(
        "participant/outcomes.html",
        form=form,
        errors=errors,
        outcomes=OUTCOMES,
        phases=PHASES,
        offers=offers,
        idempotency_key=form.get("idempotency_key") or str(uuid.uuid4()),
    ), status


@pages.get("/my-programme/outcomes")
@for_roles(PARTICIPANT)
def participant_outcomes():
    answers = get_flashed_messages(category_filter=[ANSWER])
    if answers:
        return render_template("participant/answered.html", answer=answers[0], title=answers[0]["title"])
    return _outcomes_page({"offer_id": request.args.get("offer", "")}, forms.FormErrors(), _member_offers())


@pages.post("/my-programme/outcomes")
@for_roles(PARTICIPANT)
def participant_give_outcomes():
    form = request.form
    answer = ask(
        "feedback",
        "POST",
        "/v1/outcome-measures",
        json=outcome_request(form),
        headers={"Idempotency-Key": form.get("idempotency_key") or str(uuid.uuid4())},
    )
    if answer.status == 201:
        phase = PHASES.get(answer.body.get("phase"), "").lower()
        flash(
            {
                "title": "Thank you: your answers are saved",
                "text": f"You answered for {phase}."
                + (
                    " With your before and after answers, your change can now be counted."
                    if answer.body.get("paired")
                    else ""
                ),
            },
            ANSWER,
        )
        return redirect(url_for("pages.participant_outcomes"))
    if why := refusal(answer.body, OUTCOME_REFUSALS):
        return render_template(
            "participant/refused.html",
            title="Your answers were not saved",
            message=why,
            back=url_for("pages.participant_outcomes"),
            back_text="Back to outcome measures",
        ), answer.status
    errors = forms.from_problem(nested_fields(answer.body, OUTCOME_CHOICES), OUTCOME_FIELDS, OUTCOME_ANCHORS)
    return _outcomes_page(form, errors, _member_offers(), 422)
