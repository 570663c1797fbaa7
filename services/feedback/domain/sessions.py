"""What feedback knows of a session, from scheduling's events (and its offer's type, from
enrolment's)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SessionInfo:
    """A session as the domain sees it. `ends_at` in UK time, so its month is a UK month;
    `offer_type` is None while feedback has not heard of the session's offer."""

    session_id: str
    offer_id: str
    offer_type: str | None
    region: str
    ends_at: datetime
    cancelled: bool = False
