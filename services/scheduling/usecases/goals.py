"""Coaching goals: a coachee sets (or changes) the goals of their coaching enrolment — chosen
types and their own words — and they and their coach note progress at each session. The words
and the notes are read by the two of them only; the region's administrator sees the types;
`coaching.goals_set` tells the other services the types, never the words. The words and notes
are stored sealed under the coachee's data key (store.goals); erasure destroys the key and
deletes them."""

from __future__ import annotations

from services.scheduling.domain.goals import (
    PRIVATE_READERS,
    Reader,
    ensure_coaching,
    goals_seen_by,
    note_progress,
    note_seen,
    set_goals,
)
from services.scheduling.store import goals as store
from services.scheduling.store import rosters
from services.scheduling.store.sessions import as_session
from services.scheduling.usecases import access, events
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.scheduling import COACHING_GOALS_SET
from shared.db import scrub
from shared.errors import Forbidden
from shared.unit import Unit


def save_goals(unit: Unit, offer_id: str, participant_id: str, body: dict) -> dict:
    """The caller's own goals for a coaching offer they are on; goals_set when the types change."""
    offer = access.offer(unit, offer_id)
    if unit.principal.subject != participant_id:
        raise Forbidden("not_yourself", "A coachee sets only their own goals.", field="participant_id")
    previous = store.find_goals(unit.conn, offer_id, participant_id)
    goals, types_changed = set_goals(
        previous,
        offer_id=offer_id,
        participant_id=participant_id,
        offer_type=offer["offer_type"],
        offer_status=offer["status"],
        is_member=rosters.is_member(unit.conn, offer_id, participant_id),
        goal_types=body["goal_types"],
        words=body["words"],
        now=utcnow(),
    )
    store.save_goals(unit.conn, goals, offer["region"])
    if types_changed:
        unit.record(COACHING_GOALS_SET, events.goals_data(goals, offer["region"]))
    return goals_seen_by(
        goals,
        Reader.COACHEE,
        store.notes_of(unit.conn, offer_id, participant_id),
        offer_id=offer_id,
        participant_id=participant_id,
    )


def read_goals(unit: Unit, offer_id: str, participant_id: str) -> dict:
    """A coachee's goals as the caller may see them (domain.goals.goals_seen_by)."""
    offer = access.offer(unit, offer_id)
    ensure_coaching(offer["offer_type"])
    reader = access.goals_reader(unit, offer_id, participant_id)
    notes = store.notes_of(unit.conn, offer_id, participant_id) if reader in PRIVATE_READERS else []
    return goals_seen_by(
        store.find_goals(unit.conn, offer_id, participant_id),
        reader,
        notes,
        offer_id=offer_id,
        participant_id=participant_id,
    )


def save_progress(unit: Unit, session_id: str, body: dict) -> dict:
    """The caller's note at a coaching session they coach or are coached in (their earlier one replaced)."""
    row = access.session(unit, session_id)
    author = Reader.COACH if unit.principal.role is Role.COACH else Reader.COACHEE
    note = note_progress(
        as_session(row),
        kind=row["kind"],
        offer_id=row["offer_id"],
        coachee_id=row["coachee_id"],
        author=author,
        note=body["note"],
        now=utcnow(),
    )
    store.save_note(unit.conn, note)
    return note_seen(note)


def forget_coachee(unit: Unit, participant_id: str) -> None:
    """Erasure: their data key is destroyed, so no copy of their words or notes opens again, and
    their goals (types and words) and every progress note of their coaching are deleted; once
    committed, what the database keeps of old row versions is scrubbed."""
    store.forget_coachee(unit.conn, participant_id)
    engine = unit.conn.engine
    unit.after_commit(lambda: scrub(engine, store.FREE_TEXT_TABLES))
