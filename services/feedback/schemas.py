"""Request and response schemas of the feedback API."""
from marshmallow import Schema, fields


class KnownSessionSchema(Schema):
    session_id = fields.String()
    offer_id = fields.String()
    region = fields.String()
