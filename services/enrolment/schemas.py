"""Request and response schemas of the enrolment API (allow-lists: unknown fields are refused)."""
from marshmallow import Schema, fields, validate

from shared.contracts.common import REGION_OR_NATIONAL
from shared.contracts.common import OFFER_TYPES


class OfferCreateSchema(Schema):
    region = fields.String(required=True, validate=validate.OneOf(REGION_OR_NATIONAL))
    offer_type = fields.String(required=True, validate=validate.OneOf(OFFER_TYPES))
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    capacity = fields.Integer(required=True, validate=validate.Range(min=1, max=500))


class OfferSchema(Schema):
    id = fields.String()
    region = fields.String()
    offer_type = fields.String()
    title = fields.String()
    capacity = fields.Integer()
    status = fields.String()
