"""Which roles may call which kind of endpoint (each use case then scopes every object)."""

from shared.auth import Role

EVERYONE = tuple(Role)
ADMINS = (Role.REGIONAL_ADMIN,)
OFFER_MANAGERS = (Role.REGIONAL_ADMIN, Role.NATIONAL)
PEOPLE = (Role.REGIONAL_ADMIN, Role.PARTICIPANT)  # who may see names and e-mails, or act for a person
# An offer's roster names people (participant id, job role, PCN, status): their region's
# administrator only. The national team needs figures, which every offer carries (places taken,
# waitlist length); other NHS systems take enrolments from the events, with opaque ids.
ROSTER_READERS = ADMINS
