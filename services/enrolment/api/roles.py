"""Which roles may call which kind of endpoint (each use case then scopes every object)."""
from shared.auth import Role

EVERYONE = tuple(Role)
ADMINS = (Role.REGIONAL_ADMIN,)
OFFER_MANAGERS = (Role.REGIONAL_ADMIN, Role.NATIONAL)
PEOPLE = (Role.REGIONAL_ADMIN, Role.PARTICIPANT)  # who may see names and e-mails, or act for a person
ROSTER_READERS = (Role.REGIONAL_ADMIN, Role.NATIONAL, Role.SERVICE)
