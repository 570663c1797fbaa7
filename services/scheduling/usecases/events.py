"""What scheduling publishes: event payloads built from its rows."""

from __future__ import annotations

_SESSION_FIELDS = (
    "offer_id",
    "region",
    "kind",
    "series_id",
    "starts_at",
    "ends_at",
    "sequence",
    "status",
    "facilitator_id",
    "topic",
)


def session_data(session: dict) -> dict:
    """`recorded_at`: when the session was put in the calendar; after its end for a session
    recorded as already held, from which feedback opens."""
    return {
        "session_id": session["id"],
        **{name: session[name] for name in _SESSION_FIELDS},
        "recorded_at": session["created_at"],
    }


def attendance_data(session: dict, mark: dict) -> dict:
    return {
        "session_id": session["id"],
        "offer_id": session["offer_id"],
        "region": session["region"],
        "participant_id": mark["participant_id"],
        "attendance": mark["value"],
        "session_starts_at": session["starts_at"],
        "session_ends_at": session["ends_at"],
        "recorded_at": mark["recorded_at"],
    }


def coaching_data(session: dict) -> dict:
    fields = ("offer_id", "region", "starts_at", "ends_at")
    return {
        "session_id": session["id"],
        "coach_id": session["facilitator_id"],
        "participant_id": session["coachee_id"],
        **{f: session[f] for f in fields},
    }


def goals_data(goals, region: str) -> dict:
    """The goal TYPES of a coachee, never their words."""
    return {
        "offer_id": goals.offer_id,
        "participant_id": goals.participant_id,
        "region": region,
        "goal_types": list(goals.goal_types),
        "set_at": goals.set_at,
    }
