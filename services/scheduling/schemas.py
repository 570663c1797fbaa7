"""Request and response schemas of the scheduling API."""
from marshmallow import Schema, fields, validate


class SessionCreateSchema(Schema):
    starts_at = fields.AwareDateTime(required=True)
    duration_minutes = fields.Integer(required=True, validate=validate.Range(min=15, max=480))


class SessionSchema(Schema):
    id = fields.String()
    offer_id = fields.String()
    region = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    sequence = fields.Integer()
    status = fields.String()
