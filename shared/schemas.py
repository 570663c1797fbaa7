"""Schema pieces the services share.

Schema instances are built once and reused: building a marshmallow schema costs more than
using it, and instances keep no state between calls. UtcDateTime lives here so that the fast
response dumper (shared.dumping) knows it and formats it without calling back into marshmallow.
"""

from functools import cache

from marshmallow import RAISE, Schema, ValidationError, fields, validates_schema

from shared.clock import as_utc


@cache
def instance(schema: type[Schema], *, many: bool = False, unknown: str = RAISE) -> Schema:
    return schema(many=many, unknown=unknown)


class StrictBoolean(fields.Boolean):
    """A JSON true or false, nothing else: marshmallow's Boolean also takes 0, 1, "yes", "on"…,
    which the OpenAPI document (type: boolean) does not allow."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class PartialUpdate(Schema):
    """The body of a PATCH: every field optional, but at least one given. The OpenAPI document
    says so too (minProperties: 1, shared.openapi)."""

    @validates_schema
    def names_a_field(self, data, **_):
        if not data:
            raise ValidationError("name at least one field to change")


class UtcDateTime(fields.DateTime):
    """Every instant is shown in UTC (SQLite hands datetimes back without a zone)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(as_utc(value), attr, obj, **kwargs)
