"""Which roles may call which kind of endpoint (each use case then scopes every subscription)."""

from shared.auth import Role

OWNER = (Role.SERVICE,)  # a system manages its own subscriptions
READERS = (Role.SERVICE, Role.NATIONAL)  # the national team reads every system's
