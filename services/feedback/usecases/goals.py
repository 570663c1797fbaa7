"""Coachees' goal types, as scheduling announces them (`coaching.goals_set`): kept per coaching
offer and coachee so each outcome pair of coaching is filed under its combination of goal
types (services/feedback/domain/goals.py)."""

from __future__ import annotations

from services.feedback.domain.goals import goal_combination
from services.feedback.store import goals
from shared.unit import Unit


def goals_set(unit: Unit, data: dict) -> None:
    """The latest `set_at` wins; an older event arriving late changes nothing."""
    goals.save_goals(
        unit.conn, data["offer_id"], data["participant_id"], goal_combination(data["goal_types"]), data["set_at"]
    )
