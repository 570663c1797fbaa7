"""What feedback knows of a session, from scheduling's events (and its offer's type, from
enrolment's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SessionInfo:
    """A session as the domain sees it. `ends_at` in UK time, so its month is a UK month;
    `offer_type` is None while feedback has not heard of the session's offer; `recorded_at`
    when scheduling put it in the calendar (None: not known, from an event older than it)."""

    session_id: str
    offer_id: str
    offer_type: str | None
    region: str
    ends_at: datetime
    cancelled: bool = False
    recorded_at: datetime | None = None

    @property
    def feedback_opens_at(self) -> datetime:
        """When it has been held: its end, or, for a session recorded after it happened, its
        recording, so that its attendees get the whole feedback window."""
        return self.ends_at if self.recorded_at is None else max(self.ends_at, self.recorded_at)
