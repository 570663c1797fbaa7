"""Rules of a development-needs answer that need no I/O: the round it belongs to, the marker
that keeps it once per person and round, and the PCN it may name.

Once per round
--------------
One person's answers must not steer a region's ranking, so each person answers once per round:

* when the answer names an offer (`offer_id`, which must be one of the person's): once per
  offer, round `offer/<offer_id>`;
* otherwise: once per region per calendar quarter (UK time), round `region/<region>/<YYYY>-Q<n>`,
  so a region's needs can be asked again each quarter without anyone counting twice in one.

Needs answers are anonymous, so "once" is kept as session feedback keeps it (see `domain`): a
has-answered set of markers, HMAC-SHA256 under the feedback pepper of (round, person), in a table
of its own that holds the round beside each marker and nothing else: no answer id, no time. The
answer row holds no person and no date, and has a random id; its event carries a fresh id. The
request is neither Idempotency-Keyed nor audited, since either record would say who answered
when, and the answer's event says when and what. A repeat answers 409 `needs_already_answered`,
which also tells a client retrying after a lost reply that its answer was kept.

The PCN an answer names
-----------------------
A PCN's figures are the ranking of its own people, so an answer may name only the PCN its
person is registered with (enrolment's `participant.registered`, projected by feedback), which
is always a PCN of their region that exists. Anything else is 422 naming `pcn_code`; an answer
that names no PCN counts for the region only.
"""
from __future__ import annotations

from datetime import date

from shared.errors import Conflict, RuleViolation
from services.feedback.markers import keyed_marker

_NEEDS_CONTEXT = b"convene.feedback.needs-answered.v1"


def needs_round(region: str, offer_id: str | None, today: date) -> str:
    """The round an answer belongs to; `today` is the UK date it is given on."""
    if offer_id is not None:
        return f"offer/{offer_id}"
    return f"region/{region}/{today.year:04d}-Q{(today.month - 1) // 3 + 1}"


def needs_marker(pepper: bytes, round_: str, participant_id: str) -> str:
    """One-way, per-round, per-person marker of having answered the needs survey."""
    return keyed_marker(_NEEDS_CONTEXT, pepper, round_, participant_id)


def needs_already_answered() -> Conflict:
    """The error for a second answer in one round; also what a duplicate marker means."""
    return Conflict("needs_already_answered", "You have already answered the needs survey for this round (this offer, or this quarter).")


def needs_pcn(pcn_code: str | None, *, region: str, registered: tuple[str, str] | None) -> str | None:
    """The PCN an answer counts for: None when it names none, else the person's own.

    `registered` is the (region, PCN) enrolment registered the person with, None while feedback
    has not heard of them."""
    if pcn_code is None:
        return None
    if registered is None:
        raise RuleViolation("pcn_not_known_yet", "Your PCN is not known here yet: answer without pcn_code, or try again later.", field="pcn_code")
    if registered != (region, pcn_code):
        raise RuleViolation("not_your_pcn", "pcn_code must be the PCN you are registered with.", field="pcn_code")
    return pcn_code
