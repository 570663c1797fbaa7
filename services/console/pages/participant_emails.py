"""A participant's e-mail choices: reminders the day before a session and requests for feedback
after one can be turned off; what happens to their place (confirmed, waiting list, moved or
cancelled sessions) is always e-mailed. Enrolment keeps the choices and sends the e-mails; the
form names the version it read (If-Match), so two tabs cannot undo each other unseen."""

from __future__ import annotations

from flask import abort, flash, g, get_flashed_messages, redirect, render_template, request, url_for

from services.console import forms
from services.console.pages.blueprint import for_roles, pages
from services.console.pages.participant import ANSWER, PARTICIPANT, ask

CHOICES = ("reminders", "feedback_requests")
SAVED = {"title": "Your e-mail choices are saved", "text": "They apply to the next e-mail Convene sends you."}
STALE = "Your e-mail choices were changed in another window. They are shown below as they are now: choose again."


def _preferences_path() -> str:
    return f"/v1/participants/{g.person.subject}/notification-preferences"


@pages.get("/my-programme/emails")
@for_roles(PARTICIPANT)
def participant_emails():
    return _page()


@pages.post("/my-programme/emails")
@for_roles(PARTICIPANT)
def participant_emails_save():
    chosen = set(request.form.getlist("emails"))
    answer = ask(
        "enrolment",
        "PUT",
        _preferences_path(),
        json={name: name in chosen for name in CHOICES},
        headers={"If-Match": request.form.get("etag", "")},
    )
    if answer.status == 200:
        flash(SAVED, ANSWER)
        return redirect(url_for("pages.participant_emails"))
    if answer.status in (412, 428):
        return _page(stale=True, status=409)
    abort(404)


def _page(*, stale: bool = False, status: int = 200):
    answer = ask("enrolment", "GET", _preferences_path())
    if answer.status != 200:
        abort(404)
    errors = forms.FormErrors()
    if stale:
        errors.add(forms.GENERAL, STALE)
    page = render_template(
        "participant/emails.html",
        preferences=answer.body,
        etag=answer.headers.get("ETag", ""),
        errors=errors,
        answers=get_flashed_messages(category_filter=[ANSWER]),
    )
    return page, status
