"""A participant's calendar subscription: a secret address their calendar app (Outlook, Google,
Apple) subscribes to without signing in, so moved and cancelled sessions update by themselves.

Scheduling makes the address (a new one stops the old) and shows it once: it keeps only a hash.
The console shows it in the answer to the form that made it, never in a redirect, the flash or
the session cookie, so it is nowhere but on that page. "Stop sharing" revokes it."""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, url_for

from services.console.pages.blueprint import for_roles, pages
from services.console.pages.participant import ANSWER, PARTICIPANT, ask

STOPPED = {
    "title": "You have stopped sharing your calendar",
    "text": "The subscription address no longer works. Calendar apps that used it will stop updating your sessions.",
}


def _feed_path() -> str:
    return f"/v1/participants/{g.person.subject}/calendar-feed"


@pages.post("/my-programme/calendar-feed")
@for_roles(PARTICIPANT)
def participant_calendar_subscribe():
    answer = ask("scheduling", "POST", _feed_path())
    if answer.status != 201:
        abort(404)
    # Shown in this answer only: POST-redirect-GET would have to keep the address somewhere.
    return render_template("participant/calendar_feed.html", address=answer.body["url"])


@pages.post("/my-programme/calendar-feed/stop")
@for_roles(PARTICIPANT)
def participant_calendar_stop_sharing():
    answer = ask("scheduling", "DELETE", _feed_path())
    if answer.status != 204:
        abort(404)
    flash(STOPPED, ANSWER)
    return redirect(url_for("pages.participant_sessions"))
