"""Coaching goals and progress notes as scheduling stores them: a row becomes the domain's
`CoachingGoals` or `ProgressNote` here. Both hold personal free text; `forget_coachee` deletes
every row of an erased coachee."""
from __future__ import annotations

from sqlalchemy import Connection, delete, select

from shared.clock import as_utc
from shared.db import upsert
from services.scheduling.domain.goals import CoachingGoals, ProgressNote, Reader
from services.scheduling.store.tables import coaching_goals, coaching_progress

# What a PostgreSQL VACUUM after an erasure tidies: where the coachee's free text had versions.
FREE_TEXT_TABLES = (coaching_goals.name, coaching_progress.name)


def find_goals(conn: Connection, offer_id: str, participant_id: str) -> CoachingGoals | None:
    query = select(coaching_goals).where(coaching_goals.c.offer_id == offer_id, coaching_goals.c.participant_id == participant_id)
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    return CoachingGoals(row["offer_id"], row["participant_id"], tuple(row["goal_types"]), row["words"], as_utc(row["set_at"]))


def save_goals(conn: Connection, goals: CoachingGoals, region: str) -> None:
    values = {"offer_id": goals.offer_id, "participant_id": goals.participant_id, "region": region, "goal_types": list(goals.goal_types), "words": goals.words, "set_at": goals.set_at}
    upsert(conn, coaching_goals, values, ("offer_id", "participant_id"))


def notes_of(conn: Connection, offer_id: str, coachee_id: str) -> list[ProgressNote]:
    query = select(coaching_progress).where(coaching_progress.c.offer_id == offer_id, coaching_progress.c.coachee_id == coachee_id)
    return [_note(row) for row in conn.execute(query).mappings()]


def save_note(conn: Connection, note: ProgressNote) -> None:
    values = {"session_id": note.session_id, "author": note.author.value, "offer_id": note.offer_id, "coachee_id": note.coachee_id, "note": note.note, "noted_at": note.noted_at}
    upsert(conn, coaching_progress, values, ("session_id", "author"))


def forget_coachee(conn: Connection, participant_id: str) -> None:
    """Erasure: the person's goals (their words with them) and every progress note of their coaching go."""
    conn.execute(delete(coaching_goals).where(coaching_goals.c.participant_id == participant_id))
    conn.execute(delete(coaching_progress).where(coaching_progress.c.coachee_id == participant_id))


def _note(row) -> ProgressNote:
    return ProgressNote(row["session_id"], row["offer_id"], row["coachee_id"], Reader(row["author"]), row["note"], as_utc(row["noted_at"]))
