"""What Convene tells a participant by e-mail, and the words it uses.

A notification is recorded with the facts it needs (ids, times, a waitlist position, a
sequence), never with words: it is rendered only when it is sent, from enrolment's own data
(the person's name and the offer's title), so an erased person's name is never rendered.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from shared.contracts.vocabulary import WithdrawalReason

LONDON = ZoneInfo("Europe/London")


class Kind(StrEnum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    PROMOTED = "promoted"
    WITHDRAWN = "withdrawn"
    OFFER_CANCELLED = "offer_cancelled"
    SESSION_SCHEDULED = "session_scheduled"
    SESSION_RESCHEDULED = "session_rescheduled"
    SESSION_CANCELLED = "session_cancelled"
    REMINDER = "reminder"
    FEEDBACK_REQUEST = "feedback_request"


# What a participant may turn off; what happened to their place they are always told.
OPTIONAL = frozenset({Kind.REMINDER, Kind.FEEDBACK_REQUEST})
SESSION_KINDS = frozenset({Kind.SESSION_SCHEDULED, Kind.SESSION_RESCHEDULED, Kind.SESSION_CANCELLED, Kind.REMINDER})
# An erased person is told nothing: their e-mail address no longer exists.
SILENT_REASONS = frozenset({WithdrawalReason.PARTICIPANT_ERASED.value})


def kind_of_withdrawal(reason: str | None) -> Kind | None:
    """The notification a withdrawal's reason calls for, None when nobody is to be told."""
    if reason in SILENT_REASONS:
        return None
    return Kind.OFFER_CANCELLED if reason == WithdrawalReason.OFFER_CANCELLED.value else Kind.WITHDRAWN


@dataclass(frozen=True)
class Letter:
    """A rendered notification: what a channel sends. `fields` are its facts in words, one by one
    (GOV.UK Notify's personalisation); `calendar` is an iCalendar attachment."""

    kind: Kind
    subject: str
    text: str
    fields: dict[str, str] = field(default_factory=dict)
    calendar: bytes | None = None


def when(instant: datetime) -> str:
    """A session's time as a person in England reads it: 'Tuesday 3 March 2026, 10:00'."""
    local = instant.astimezone(LONDON)
    return f"{local:%A} {local.day} {local:%B %Y, %H:%M}"


def render(kind: Kind, facts: dict, *, name: str, offer_title: str, alternatives: Sequence[str] = ()) -> Letter:
    """The notification of `kind` to `name` about the offer titled `offer_title`."""
    subject, body = _WORDS[kind](facts, offer_title)
    fields = {"name": name, "offer_title": offer_title}
    if "starts_at" in facts:
        fields["session_time"] = _session_time(facts)
    if kind is Kind.WAITLISTED:
        fields["waitlist_position"] = str(facts["waitlist_position"])
    if kind in (Kind.WITHDRAWN, Kind.OFFER_CANCELLED):
        listed = "\n".join(f"- {title}" for title in alternatives)
        fields["alternatives"] = listed
        if listed:
            body += "\n\nYou may like to join one of these instead:\n" + listed
    text = f"Dear {name},\n\n{body}\n\nConvene, NHS leadership development for primary care networks\n"
    return Letter(kind, subject, text, fields)


def _session_time(facts: dict) -> str:
    return when(datetime.fromisoformat(facts["starts_at"]))


# Where a session is held stays in scheduling (events carry no venue or joining link, which for a
# 1:1 session could point to a person): the e-mail says where to find it.
_WHERE = "Where it is held, or its joining link, is in the session's details in Convene and in your calendar feed."

_WORDS = {
    Kind.CONFIRMED: lambda f, t: (f"Your place on {t} is confirmed", f"Your place on {t} is confirmed."),
    Kind.WAITLISTED: lambda f, t: (
        f"You are on the waiting list for {t}",
        f"{t} is full, so you are on its waiting list at position {f['waitlist_position']}. "
        "We will e-mail you if a place becomes free.",
    ),
    Kind.PROMOTED: lambda f, t: (
        f"A place on {t} is now yours",
        f"A place on {t} became free and it is now yours: your place is confirmed.",
    ),
    Kind.WITHDRAWN: lambda f, t: (
        f"You no longer have a place on {t}",
        f"Your place (or your place on the waiting list) on {t} has ended.",
    ),
    Kind.OFFER_CANCELLED: lambda f, t: (f"{t} is cancelled", f"{t} is cancelled, so your place on it has ended."),
    Kind.SESSION_SCHEDULED: lambda f, t: (
        f"New session of {t}: {_session_time(f)}",
        f"A session of {t} is planned for {_session_time(f)}. The invitation is attached for your calendar. {_WHERE}",
    ),
    Kind.SESSION_RESCHEDULED: lambda f, t: (
        f"Session of {t} moved to {_session_time(f)}",
        f"A session of {t} has moved to {_session_time(f)}. The attached invitation updates your calendar. {_WHERE}",
    ),
    Kind.SESSION_CANCELLED: lambda f, t: (
        f"Session of {t} on {_session_time(f)} is cancelled",
        f"The session of {t} on {_session_time(f)} is cancelled. The attachment takes it off your calendar.",
    ),
    Kind.REMINDER: lambda f, t: (
        f"Reminder: {t} tomorrow, {_session_time(f)}",
        f"A reminder that the next session of {t} is on {_session_time(f)}.",
    ),
    Kind.FEEDBACK_REQUEST: lambda f, t: (
        f"How was your session of {t}?",
        f"Thank you for coming to the session of {t} on {_session_time(f)}. Please tell us how it went: "
        "sign in to Convene and choose the session under your programmes.",
    ),
}
