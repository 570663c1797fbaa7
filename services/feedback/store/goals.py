"""Coachees' goal types per coaching offer, as feedback learns them from scheduling, kept as
their combination (services/feedback/domain/goals.py): what a coaching pair is filed under."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from services.feedback.store.tables import coaching_goals
from shared.clock import as_utc


def _where(offer_id: str, participant_id: str):
    return (coaching_goals.c.offer_id == offer_id) & (coaching_goals.c.participant_id == participant_id)


def save_goals(conn: Connection, offer_id: str, participant_id: str, goals: str, set_at) -> None:
    """Insert or update a coachee's goals; an older `set_at` than the stored one is ignored."""
    known = conn.execute(
        select(coaching_goals.c.set_at).where(_where(offer_id, participant_id)).with_for_update()
    ).scalar()
    if known is None:
        conn.execute(
            insert(coaching_goals).values(offer_id=offer_id, participant_id=participant_id, goals=goals, set_at=set_at)
        )
    elif as_utc(known) <= set_at:
        conn.execute(update(coaching_goals).where(_where(offer_id, participant_id)).values(goals=goals, set_at=set_at))


def goals_of(conn: Connection, offer_id: str, participant_id: str) -> str | None:
    return conn.execute(select(coaching_goals.c.goals).where(_where(offer_id, participant_id))).scalar()


def all_goals(conn: Connection) -> dict[tuple[str, str], str]:
    """{(offer, participant): goals} of every coachee: what a rebuild files pairs by."""
    return {(row.offer_id, row.participant_id): row.goals for row in conn.execute(select(coaching_goals))}


def rename_participant(conn: Connection, participant_id: str, pseudonym: str) -> None:
    """Erasure: the goals follow the person's outcome answers to their pseudonym."""
    conn.execute(
        update(coaching_goals).where(coaching_goals.c.participant_id == participant_id).values(participant_id=pseudonym)
    )
