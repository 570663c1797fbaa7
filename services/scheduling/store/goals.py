"""Coaching goals and progress notes as scheduling stores them: a row becomes the domain's
`CoachingGoals` or `ProgressNote` here. Both hold personal free text, so the goals' words and
every progress note (the coach's too: what a coach notes about a coachee is the coachee's data)
are stored only sealed (shared.sealing) under the coachee's own data key, made on first use and
kept wrapped in `data_keys` (record id = the coachee's participant id). `forget_coachee`
destroys that key and deletes the rows: every older copy of the words (write-ahead log, dead
row versions, replicas, backups) is ciphertext nobody can open.

The key-encryption key is the service's PERSONAL_DATA_KEY, bound to the database's engine
(shared.data_keys), so these helpers need only the connection."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from services.scheduling.domain.goals import CoachingGoals, ProgressNote, Reader
from services.scheduling.store.tables import coaching_goals, coaching_progress
from services.scheduling.store.tables import data_keys as key_table
from shared import data_keys
from shared.clock import as_utc
from shared.db import upsert
from shared.sealing import SealingError, open_sealed, seal

# What a PostgreSQL VACUUM after an erasure tidies: where the coachee's sealed text and key had versions.
FREE_TEXT_TABLES = (coaching_goals.name, coaching_progress.name, key_table.name)


def words_context(offer_id: str, participant_id: str) -> str:
    return f"coaching_goals/{offer_id}/{participant_id}/words"


def note_context(session_id: str, author: str) -> str:
    return f"coaching_progress/{session_id}/{author}/note"


def _key_of(conn: Connection, coachee_id: str) -> bytes:
    key = data_keys.find(conn, [coachee_id]).get(coachee_id)
    if key is None:  # erasure destroys the key and the rows together: never one without the other
        raise SealingError("a coachee's goals or notes are stored without their data key")
    return key


def find_goals(conn: Connection, offer_id: str, participant_id: str) -> CoachingGoals | None:
    query = select(coaching_goals).where(
        coaching_goals.c.offer_id == offer_id, coaching_goals.c.participant_id == participant_id
    )
    row = conn.execute(query).mappings().first()
    if row is None:
        return None
    words = open_sealed(_key_of(conn, participant_id), row["sealed_words"], words_context(offer_id, participant_id))
    return CoachingGoals(row["offer_id"], row["participant_id"], tuple(row["goal_types"]), words, as_utc(row["set_at"]))


def save_goals(conn: Connection, goals: CoachingGoals, region: str) -> None:
    sealed = seal(
        data_keys.obtain(conn, goals.participant_id), goals.words, words_context(goals.offer_id, goals.participant_id)
    )
    values = {
        "offer_id": goals.offer_id,
        "participant_id": goals.participant_id,
        "region": region,
        "goal_types": list(goals.goal_types),
        "sealed_words": sealed,
        "set_at": goals.set_at,
    }
    upsert(conn, coaching_goals, values, ("offer_id", "participant_id"))


def notes_of(conn: Connection, offer_id: str, coachee_id: str) -> list[ProgressNote]:
    query = select(coaching_progress).where(
        coaching_progress.c.offer_id == offer_id, coaching_progress.c.coachee_id == coachee_id
    )
    rows = conn.execute(query).mappings().all()
    if not rows:
        return []
    key = _key_of(conn, coachee_id)
    return [_note(row, key) for row in rows]


def save_note(conn: Connection, note: ProgressNote) -> None:
    sealed = seal(data_keys.obtain(conn, note.coachee_id), note.note, note_context(note.session_id, note.author.value))
    values = {
        "session_id": note.session_id,
        "author": note.author.value,
        "offer_id": note.offer_id,
        "coachee_id": note.coachee_id,
        "sealed_note": sealed,
        "noted_at": note.noted_at,
    }
    upsert(conn, coaching_progress, values, ("session_id", "author"))


def forget_coachee(conn: Connection, participant_id: str) -> None:
    """Erasure: the person's data key is destroyed (crypto-shredding every copy of their words and
    notes), and their goals and every progress note of their coaching are deleted."""
    data_keys.destroy(conn, [participant_id])
    conn.execute(delete(coaching_goals).where(coaching_goals.c.participant_id == participant_id))
    conn.execute(delete(coaching_progress).where(coaching_progress.c.coachee_id == participant_id))


def _note(row, key: bytes) -> ProgressNote:
    text = open_sealed(key, row["sealed_note"], note_context(row["session_id"], row["author"]))
    return ProgressNote(
        row["session_id"], row["offer_id"], row["coachee_id"], Reader(row["author"]), text, as_utc(row["noted_at"])
    )
