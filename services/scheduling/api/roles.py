"""Which roles may call which kind of endpoint (each use case then scopes every object).

Every scheduling read names people — a session its facilitator and, 1:1, its coachee; a
roster its members; an attendance sheet who came — so none is open to the national team or
to services: the national team's figures are feedback's summaries and enrolment's offer
counts, and other NHS systems take sessions, bookings and attendance from the events.
"""

from shared.auth import Role

ADMIN = (Role.REGIONAL_ADMIN,)
LEADERS = (Role.REGIONAL_ADMIN, Role.FACILITATOR, Role.COACH)
ROSTER_READERS = LEADERS
# Who takes part in sessions: their region's administrator, who leads them, who attends them.
READERS = (*LEADERS, Role.PARTICIPANT)
# 1:1 coaching: the administrator, the coach and the coachee (facilitators lead groups only).
COACHING = (Role.REGIONAL_ADMIN, Role.COACH, Role.PARTICIPANT)
