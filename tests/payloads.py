"""Event payloads the tests queue in an outbox when what the event says does not matter."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime


def waitlisted() -> dict:
    """An enrolment.waitlisted payload about people and an offer nobody else uses."""
    return {
        "enrolment_id": str(uuid.uuid4()),
        "offer_id": str(uuid.uuid4()),
        "participant_id": str(uuid.uuid4()),
        "region": "Y61",
        "offer_type": "regional_programme",
        "role": "clinical_director",
        "status": "waitlisted",
        "waitlist_position": 1,
        "changed_at": datetime.now(UTC),
    }
