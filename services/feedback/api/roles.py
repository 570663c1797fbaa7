"""Which roles may call which kind of endpoint (each use case then scopes every object)."""

from shared.auth import Role

PARTICIPANT = (Role.PARTICIPANT,)
REGIONAL = (Role.REGIONAL_ADMIN,)
READERS = (Role.REGIONAL_ADMIN, Role.NATIONAL, Role.SERVICE)
