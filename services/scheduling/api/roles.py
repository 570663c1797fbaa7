"""Which roles may call which kind of endpoint (each use case then scopes every object)."""
from shared.auth import Role

ADMIN = (Role.REGIONAL_ADMIN,)
LEADERS = (Role.REGIONAL_ADMIN, Role.FACILITATOR, Role.COACH)
ROSTER_READERS = (*LEADERS, Role.SERVICE)
READERS = (*LEADERS, Role.PARTICIPANT, Role.NATIONAL, Role.SERVICE)
