"""Field types that several event schemas share."""

from marshmallow import Schema, fields, validate

from shared.contracts.vocabulary import NATIONAL, LeadershipExperience, OfferType, ParticipantRole, Region

REGION_OR_NATIONAL = (*Region.values(), NATIONAL)
OFFER_TYPES = OfferType.values()
PARTICIPANT_ROLES = ParticipantRole.values()
LEADERSHIP_EXPERIENCE = LeadershipExperience.values()


def region_field(**kwargs):
    return fields.String(required=True, validate=validate.OneOf(REGION_OR_NATIONAL), **kwargs)


def pcn_field(**kwargs):
    return fields.String(validate=validate.Regexp(r"^U\d{5}$"), allow_none=True, load_default=None, **kwargs)


def id_field(**kwargs):
    return fields.String(required=True, validate=validate.Length(min=1, max=64), **kwargs)


def instant_field(**kwargs):
    return fields.AwareDateTime(format="iso", **kwargs)


class EventData(Schema):
    """Base of every event's data. Evolution is add-only: a consumer validates the fields it
    knows and ignores ones added later (the producer validates strictly before the outbox)."""

    class Meta:
        ordered = True
