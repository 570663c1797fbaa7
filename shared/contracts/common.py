"""Field types that several event schemas share."""
from marshmallow import Schema, fields, validate

from shared.regions import NATIONAL, REGION_CODES

REGION_OR_NATIONAL = (*REGION_CODES, NATIONAL)
OFFER_TYPES = ("regional_programme", "pcn_team", "action_learning_set", "coaching")
PARTICIPANT_ROLES = ("clinical_director", "pcn_manager", "practice_manager", "gp", "nurse", "pharmacist", "other")
LEADERSHIP_EXPERIENCE = ("none", "practice", "federation", "ccg_or_icb_board")


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
