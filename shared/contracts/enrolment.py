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

ENROLMENT_TOPIC = topic(
    name="convene.enrolment.events",
    owner="enrolment",
    key="offer_id (participant_id for participant events)",
    description="Participants, offer lifecycle and enrolment changes, keyed by offer so each group's changes stay in order.",
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
    status = fields.String(required=True, validate=validate.OneOf(("draft", "published", "started", "completed", "cancelled")))
    pcn_code = pcn_field()
    basis = fields.String(allow_none=True, load_default=None, validate=validate.OneOf(("project", "place", "individual")))
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
    status = fields.String(required=True, validate=validate.OneOf(("confirmed", "waitlisted", "withdrawn", "completed")))
    waitlist_position = fields.Integer(allow_none=True, load_default=None)
    changed_at = instant_field(required=True)


def _participant(action, schema, description):
    return declare(f"org.convene.enrolment.participant.{action}.v1", ENROLMENT_TOPIC, schema, key_field="participant_id", description=description)


def _offer(action, description):
    return declare(f"org.convene.enrolment.offer.{action}.v1", ENROLMENT_TOPIC, OfferData, key_field="offer_id", description=description)


def _enrolment(action, description):
    return declare(
        f"org.convene.enrolment.enrolment.{action}.v1", ENROLMENT_TOPIC, EnrolmentData, key_field="offer_id", description=description, subject_field="enrolment_id"
    )


PARTICIPANT_REGISTERED = _participant("registered", ParticipantData, "A participant joined Convene (no name or e-mail: those stay in enrolment).")
PARTICIPANT_ERASED = _participant("erased", ParticipantErasedData, "A participant's personal data was erased; every service forgets or anonymises what it holds about the id.")
OFFER_PUBLISHED = _offer("published", "An offer opened for enrolment.")
OFFER_UPDATED = _offer("updated", "An offer's details changed.")
OFFER_STARTED = _offer("started", "An offer's group started meeting (an action learning set is closed from now on).")
OFFER_COMPLETED = _offer("completed", "An offer finished.")
OFFER_CANCELLED = _offer("cancelled", "An offer was cancelled; its sessions are cancelled too.")
ENROLMENT_CONFIRMED = _enrolment("confirmed", "A participant holds a confirmed place in an offer.")
ENROLMENT_WAITLISTED = _enrolment("waitlisted", "A participant joined an offer's waitlist at the given position.")
ENROLMENT_WITHDRAWN = _enrolment("withdrawn", "A participant left an offer (from a place or the waitlist).")
ENROLMENT_PROMOTED = _enrolment("promoted", "The first waitlisted participant took a place that came free.")
ENROLMENT_COMPLETED = _enrolment("completed", "A member completed an offer, having attended enough of its sessions.")
