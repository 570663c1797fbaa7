"""The words and times every console page shows the same way: Convene's vocabularies in plain
English and instants in England's local time, NHS.UK style ("Tuesday 5 January 2027", "9am",
"12:30pm"). Pure, no I/O."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")  # every NHS England region keeps England's clock

OFFER_TYPES = {
    "regional_programme": "Regional programme",
    "pcn_team": "PCN team development",
    "action_learning_set": "Action learning set",
    "coaching": "Coaching",
}
NEEDS = {  # the development needs the needs survey rates (shared.contracts.vocabulary.Need)
    "leadership": "Leadership",
    "collaboration": "Collaboration",
    "dealing_with_conflict": "Dealing with conflict",
    "innovation": "Innovation",
    "teamwork": "Teamwork",
    "strategy": "Strategy",
    "engagement": "Engagement",
}
JOB_ROLES = {
    "clinical_director": "Clinical director",
    "pcn_manager": "PCN manager",
    "practice_manager": "Practice manager",
    "gp": "GP",
    "nurse": "Nurse",
    "pharmacist": "Pharmacist",
    "other": "Other role",
}


def local(instant: str) -> datetime:
    """An ISO instant from a service (UTC, `Z` or an offset) in England's local time."""
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(LONDON)


def clock(moment: datetime) -> str:
    """A time of day, NHS.UK style: 9am, 12:30pm, 12pm for midday."""
    hour = moment.hour % 12 or 12
    suffix = "am" if moment.hour < 12 else "pm"
    return f"{hour}{suffix}" if moment.minute == 0 else f"{hour}:{moment.minute:02d}{suffix}"


def long_day(moment: datetime) -> str:
    """A day, NHS.UK style: Tuesday 5 January 2027."""
    return f"{moment:%A} {moment.day} {moment:%B %Y}"
