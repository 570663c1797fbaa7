"""Schema instances built once and reused: building a marshmallow schema costs more than
using it, and instances keep no state between calls."""
from functools import lru_cache

from marshmallow import RAISE, Schema


@lru_cache(maxsize=None)
def instance(schema: type[Schema], *, many: bool = False, unknown: str = RAISE) -> Schema:
    return schema(many=many, unknown=unknown)
