"""Events the enrolment service publishes: participants, offers, enrolments.

Opaque ids, role, PCN and region only: names and e-mails never leave enrolment.
"""

from marshmallow import fields, validate

from shared.contracts.common import (
    LEADERSHIP_EXPERIENCE,
    OFFER_TYPES,
    PARTICIPANT_ROLES,
    EventData,
    id_field,
    instant_field,
    pcn_field,
    region_field,
)
from shared.contracts.registry import declare, topic
from shared.contracts.vocabulary import WithdrawalReason

ENROLMENT_TOPIC = topic(
    name="convene.enrolment.events",
    owner="enrolment",
    key="offer_id (participant_id for participant events)",
    description=(
        "Participants, offer lifecycle and enrolment changes, keyed by offer so each group's changes stay in order."
    ),
)


class ParticipantData(EventData):
    participant_id = id_field()
    region = region_field()
    pcn_code = pcn_field()
    role = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_ROLES))
    leadership_experience = fields.String(required=True, validate=validate.OneOf(LEADERSHIP_EXPERIENCE))


class ParticipantErasedData(EventData):
    participant_id = id_field()
    region = region_field()
    erased_at = instant_field(required=True)


class OfferData(EventData):
    offer_id = id_field()
    region = region_field()
    offer_type = fields.String(required=True, validate=validate.OneOf(OFFER_TYPES))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    capacity = fields.Integer(required=True, validate=validate.Range(min=1))
    status = fields.String(
        required=True, validate=validate.OneOf(("draft", "published", "started", "completed", "cancelled"))
    )
    pcn_code = pcn_field()
    basis = fields.String(
        allow_none=True, load_default=None, validate=validate.OneOf(("project", "place", "individual"))
    )
    session_allowance = fields.Integer(allow_none=True, load_default=None)
    planned_sessions = fields.Integer(allow_none=True, load_default=None)
    starts_on = fields.Date(allow_none=True, load_default=None)
    ends_on = fields.Date(allow_none=True, load_default=None)


class EnrolmentData(EventData):
    enrolment_id = id_field()
    offer_id = id_field()
    participant_id = id_field()
    region = region_field()
    offer_type = fields.String(required=True, validate=validate.OneOf(OFFER_TYPES))
    pcn_code = pcn_field()
    role = fields.String(required=True, validate=validate.OneOf(PARTICIPANT_ROLES))
    status = fields.String(
        required=True, validate=validate.OneOf(("confirmed", "waitlisted", "withdrawn", "completed"))
    )
    waitlist_position = fields.Integer(allow_none=True, load_default=None)
    changed_at = instant_field(required=True)


class WithdrawalData(EnrolmentData):
    """An enrolment that ended: why, and (when an ending let the person go rather than their own
    choice) the other open offers of that kind they may join instead, for an e-mail to offer."""

    reason = fields.String(
        allow_none=True,
        load_default=None,
        validate=validate.OneOf(WithdrawalReason.values()),
        metadata={
            "description": (
                "withdrew, participant_erased, waitlist_released (a closed group started) or offer_cancelled; "
                "absent from events recorded before reasons were"
            )
        },
    )
    alternative_offer_ids = fields.List(
        fields.String(validate=validate.Length(min=1, max=64)),
        load_default=list,
        metadata={
            "description": "For waitlist_released and offer_cancelled: other offers of the same type, "
            "in the person's region or national, taking new members now, soonest first"
        },
    )


def _participant(action, schema, description):
    return declare(
        f"org.convene.enrolment.participant.{action}.v1",
        ENROLMENT_TOPIC,
        schema,
        key_field="participant_id",
        description=description,
    )


def _offer(action, description):
    return declare(
        f"org.convene.enrolment.offer.{action}.v1",
        ENROLMENT_TOPIC,
        OfferData,
        key_field="offer_id",
        description=description,
    )


def _enrolment(action, description, schema=EnrolmentData):
    return declare(
        f"org.convene.enrolment.enrolment.{action}.v1",
        ENROLMENT_TOPIC,
        schema,
        key_field="offer_id",
        description=description,
        subject_field="enrolment_id",
    )


PARTICIPANT_REGISTERED = _participant(
    "registered", ParticipantData, "A participant joined Convene (no name or e-mail: those stay in enrolment)."
)
PARTICIPANT_ERASED = _participant(
    "erased",
    ParticipantErasedData,
    "A participant's personal data was erased; every service forgets or anonymises what it holds about the id.",
)
OFFER_PUBLISHED = _offer("published", "An offer opened for enrolment.")
OFFER_UPDATED = _offer("updated", "An offer's details changed.")
OFFER_STARTED = _offer(
    "started",
    "An offer's group started meeting (an action learning set or coaching is closed from now on, and its "
    "waitlist is released by enrolment.withdrawn events: waitlist_released).",
)
OFFER_COMPLETED = _offer(
    "completed", "An offer finished, having held at least one session; its sessions still to come are cancelled."
)
OFFER_CANCELLED = _offer(
    "cancelled",
    "An offer was cancelled; its sessions are cancelled too, and each enrolment ends with an enrolment.withdrawn "
    "(offer_cancelled).",
)
ENROLMENT_CONFIRMED = _enrolment("confirmed", "A participant holds a confirmed place in an offer.")
ENROLMENT_WAITLISTED = _enrolment("waitlisted", "A participant joined an offer's waitlist at the given position.")
ENROLMENT_WITHDRAWN = _enrolment(
    "withdrawn",
    "A participant left an offer (from a place or the waitlist), for a reason: they withdrew, they were erased, "
    "a closed group "
    "started and released its waitlist, or the offer was cancelled; the last two carry the open alternatives.",
    WithdrawalData,
)
ENROLMENT_PROMOTED = _enrolment("promoted", "The first waitlisted participant took a place that came free.")
ENROLMENT_COMPLETED = _enrolment("completed", "A member completed an offer, having attended enough of its sessions.")
