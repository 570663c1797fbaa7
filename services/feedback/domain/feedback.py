"""Session feedback: the answer an attendee gives on a session they were present at, once
each, named or anonymous, within the feedback window.

Anonymous feedback and "once each"
----------------------------------
An anonymous answer row must not say who gave it, yet nobody may answer twice. So the two
facts are stored apart:

* `feedback_response` (answer row): the answers, session/offer/region, no participant id
  when anonymous, a random (not sequential) id, and no submission time when anonymous.
* `feedback_responded` (has-responded set): one row per (session, person), holding only
  `response_marker(pepper, session_id, participant_id)` = HMAC-SHA256 under a secret
  pepper kept outside the database, under a UNIQUE constraint, with no timestamp and no
  reference to the answer row.

Both rows are written in one transaction; a unique violation on the marker is mapped to
`feedback_already_given()`. Nothing links a marker to an answer: no foreign key, no shared
id, no time, no insertion order (random ids). With the pepper one can tell *whether*
someone answered (which attendance reveals anyway), never *what* they answered. The same
marker set serves named feedback, so "once each" is checked in one place.
Free text may still identify its author; it never leaves the region (services/feedback/README.md).
"""

from __future__ import annotations

from collections.abc import Container, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from services.feedback.domain.answers import FieldErrors, checked_rating, checked_text, unknown_fields
from services.feedback.domain.markers import keyed_marker
from services.feedback.domain.scales import FFT, LIKERT_5, Scale
from services.feedback.domain.sessions import SessionInfo
from shared.errors import Conflict, RuleViolation

DEFAULT_FEEDBACK_WINDOW = timedelta(days=14)
FEEDBACK_MEASURES: dict[str, Scale] = {
    "overall": LIKERT_5,
    "usefulness": LIKERT_5,
    "will_apply": LIKERT_5,
    "recommend": FFT,
}
_MARKER_CONTEXT = b"convene.feedback.responded.v1"


@dataclass(frozen=True)
class SessionFeedback:
    """The answer row. When `anonymous`, `participant_id` and `given_on` are None."""

    session_id: str
    offer_id: str
    offer_type: str
    region: str
    participant_id: str | None
    anonymous: bool
    overall: int
    usefulness: int
    will_apply: int
    recommend: str
    comment: str | None
    given_on: date | None


@dataclass(frozen=True)
class AcceptedFeedback:
    """What to store, in one transaction: the answer row and the has-responded marker (in its
    own table, unlinked). What it counts in is `aggregates.feedback_counted`'s to say."""

    record: SessionFeedback
    marker: str


def response_marker(pepper: bytes, session_id: str, participant_id: str) -> str:
    """One-way, per-session, per-person marker: HMAC-SHA256(pepper, session, person)
    (`markers.keyed_marker`: length-prefixed fields, a pepper outside the database)."""
    return keyed_marker(_MARKER_CONTEXT, pepper, session_id, participant_id)


def feedback_already_given() -> Conflict:
    """The error for a second answer; also what a unique violation on the marker means."""
    return Conflict("feedback_already_given", "Feedback for this session has already been given.")


_FEEDBACK_FIELDS = ("overall", "usefulness", "will_apply", "recommend", "comment", "anonymous")


def _validate_feedback_answers(answers: Mapping[str, Any]) -> dict:
    errors = FieldErrors()
    unknown_fields(errors, answers, _FEEDBACK_FIELDS)
    clean = {m: checked_rating(errors, m, answers.get(m), 1, 5) for m in ("overall", "usefulness", "will_apply")}
    recommend = answers.get("recommend")
    if recommend is None:
        errors.add("recommend", "required", "recommend is required.")
    elif recommend not in FFT.values:
        errors.add("recommend", "unknown_choice", "recommend must be one of " + ", ".join(FFT.values) + ".")
    clean["recommend"] = recommend
    clean["comment"] = checked_text(errors, "comment", answers.get("comment"))
    anonymous = answers.get("anonymous", False)
    if not isinstance(anonymous, bool):
        errors.add("anonymous", "invalid_type", "anonymous must be true or false.")
    clean["anonymous"] = anonymous
    errors.raise_if_any()
    return clean


def accept_feedback(
    session: SessionInfo,
    participant_id: str,
    answers: Mapping[str, Any],
    *,
    present: Container[str],
    responded: Container[str],
    pepper: bytes,
    now: datetime,
    window: timedelta = DEFAULT_FEEDBACK_WINDOW,
) -> AcceptedFeedback:
    """Check one person's feedback on one session and say what to store.

    `answers`: overall, usefulness, will_apply (1-5), recommend (FFT), optional comment
    (<= 2000 characters) and anonymous (default false). `present`: participant ids recorded
    present at the session. `responded`: markers already in the has-responded set.
    `now` and `session.ends_at` must both be naive or both aware. Feedback opens when the
    session has been held (`SessionInfo.feedback_opens_at`) and closes `window` later.

    Raises RuleViolation (bad field, `session_not_held`, `feedback_window_closed`,
    `not_an_attendee`) or Conflict (`feedback_already_given`).
    """
    if window <= timedelta(0):
        raise ValueError("feedback window must be positive")
    clean = _validate_feedback_answers(answers)

    opens = session.feedback_opens_at  # its end, or its recording if it was recorded after it happened
    if session.cancelled or now < opens:
        raise RuleViolation("session_not_held", "Feedback opens when the session has been held.")
    if now > opens + window:
        raise RuleViolation(
            "feedback_window_closed",
            f"Feedback closes {window.days} days after the session ends (or is recorded, if that is later).",
            extra={"closed_at": (opens + window).isoformat()},
        )
    if participant_id not in present:
        raise RuleViolation("not_an_attendee", "Only people recorded as present at the session may give feedback.")
    marker = response_marker(pepper, session.session_id, participant_id)
    if marker in responded:
        raise feedback_already_given()

    anonymous = clean["anonymous"]
    record = SessionFeedback(
        session_id=session.session_id,
        offer_id=session.offer_id,
        offer_type=session.offer_type,
        region=session.region,
        participant_id=None if anonymous else participant_id,
        anonymous=anonymous,
        overall=clean["overall"],
        usefulness=clean["usefulness"],
        will_apply=clean["will_apply"],
        recommend=clean["recommend"],
        comment=clean["comment"],
        # A submission date could be matched against who was seen answering when.
        given_on=None if anonymous else now.date(),
    )
    return AcceptedFeedback(record=record, marker=marker)
