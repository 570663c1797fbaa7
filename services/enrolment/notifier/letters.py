"""A pending notification made into a letter at the moment it is sent, from enrolment's own
data: the person's name and address (opened with their data key), the offer's title, and for
a reminder the session as it stands. Nothing to send is a reason: the person opted out, the
session moved, was cancelled or has begun since, feedback on it has closed, the person or offer is gone."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlalchemy import Connection

from services.enrolment.domain.invitations import invitation
from services.enrolment.domain.notifications import OPTIONAL, SESSION_KINDS, Kind, Letter, render
from services.enrolment.personal import is_erased
from services.enrolment.store import attendance
from services.enrolment.store import notifications as store
from services.enrolment.store import offers as offer_store
from services.enrolment.store import participants as participant_store
from services.enrolment.usecases.participants import readable


def compose(conn: Connection, row: dict, now: datetime) -> tuple[str, Letter] | str:
    """(address, letter), or why nothing is to be sent. The person is read locked (FOR SHARE): an
    erasure in progress is waited for and then seen, one that starts waits for this transaction."""
    kind, facts = Kind(row["kind"]), row["facts"]
    person = participant_store.participant(conn, row["participant_id"], lock="share")
    if person is None or is_erased(person):
        return "participant_erased"
    if kind in OPTIONAL and (row["participant_id"], kind.value) in store.opted_out(conn, [row["participant_id"]]):
        return "opted_out"
    if kind in SESSION_KINDS and datetime.fromisoformat(facts["starts_at"]) <= now:
        return "session_begun"  # a notifier long away does not send yesterday's invitation or reminder
    if kind is Kind.FEEDBACK_REQUEST and "closes_at" in facts and datetime.fromisoformat(facts["closes_at"]) <= now:
        return "feedback_closed"  # a request sent late (a notifier long away) could not be answered
    if kind is Kind.REMINDER:
        state = attendance.session_state(conn, facts["session_id"])
        if state is None or state.status != "scheduled" or state.sequence != facts["sequence"]:
            return "session_changed"
    titles = offer_store.titles(conn, [facts["offer_id"], *facts.get("alternative_offer_ids", [])])
    if facts["offer_id"] not in titles:
        return "offer_unknown"
    shown = readable(conn, person)
    title = titles[facts["offer_id"]]
    alternatives = [titles[i] for i in facts.get("alternative_offer_ids", []) if i in titles]
    letter = render(kind, facts, name=shown["name"], offer_title=title, alternatives=alternatives)
    if kind in SESSION_KINDS and kind is not Kind.REMINDER:
        calendar = invitation(facts, summary=title, cancelled=kind is Kind.SESSION_CANCELLED, now=now)
        letter = replace(letter, calendar=calendar)
    return shown["email"], letter
