"""Schema pieces the services share.

Schema instances are built once and reused: building a marshmallow schema costs more than
using it, and instances keep no state between calls. UtcDateTime lives here so that the fast
response dumper (shared.dumping) knows it and formats it without calling back into marshmallow.
"""
from functools import lru_cache

from marshmallow import RAISE, Schema, fields

from shared.clock import as_utc


@lru_cache(maxsize=None)
def instance(schema: type[Schema], *, many: bool = False, unknown: str = RAISE) -> Schema:
    return schema(many=many, unknown=unknown)


class UtcDateTime(fields.DateTime):
    """Every instant is shown in UTC (SQLite hands datetimes back without a zone)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(as_utc(value), attr, obj, **kwargs)
