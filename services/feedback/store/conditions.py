"""What the conditions of a learning community are read from (domain/conditions.py): the groups
that formed, their held sessions with each member's mark, their members' joining and leaving,
and their "after" trust and direction scores."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Connection, delete, func, select

from services.feedback.domain.conditions import DIRECTION, TRUST, MembershipEvent, OutcomeScores, SessionMarks
from services.feedback.store.tables import attendance, membership_changes, offers, outcome_responses, sessions
from shared.clock import as_utc
from shared.db import dialect_insert

# Scheduling's marks other than present are apologies or absent; both are "not attending" to
# the domain, and feedback keeps only whether the person was present.
PRESENT, NOT_PRESENT = "present", "absent"


def record_change(conn: Connection, offer_id: str, participant_id: str, at: datetime, change: str) -> None:
    """A member's joining or leaving, once: the same event delivered again adds nothing."""
    values = {"offer_id": offer_id, "participant_id": participant_id, "at": at, "change": change}
    conn.execute(dialect_insert(conn, membership_changes).values(**values).on_conflict_do_nothing())


def formed_groups(conn: Connection, offer_types: Sequence[str], region: str | None) -> list:
    """Offers of the given types that formed (enrolment's `offer.started` was heard) and were not
    cancelled, in (region, offer_type, offer_id) order; one region's, or every region's."""
    query = select(offers).where(
        offers.c.offer_type.in_(offer_types), offers.c.started_at.is_not(None), offers.c.status != "cancelled"
    )
    if region is not None:
        query = query.where(offers.c.region == region)
    return conn.execute(query.order_by(offers.c.region, offers.c.offer_type, offers.c.offer_id)).mappings().all()


def held_sessions(conn: Connection, offer_ids: Sequence[str], now: datetime) -> dict[str, list[SessionMarks]]:
    """{offer: [its sessions not cancelled that had started by `now`, with each recorded mark]}."""
    query = (
        select(
            sessions.c.session_id,
            sessions.c.offer_id,
            sessions.c.starts_at,
            attendance.c.participant_id,
            attendance.c.present,
        )
        .select_from(sessions.outerjoin(attendance, attendance.c.session_id == sessions.c.session_id))
        .where(sessions.c.offer_id.in_(offer_ids), sessions.c.status != "cancelled")
    )
    found: dict[str, tuple[str, datetime, dict]] = {}
    for row in conn.execute(query):
        starts_at = as_utc(row.starts_at)  # compared in Python, as instants: SQLite keeps times as text
        if starts_at > now:
            continue
        _, _, marks = found.setdefault(row.session_id, (row.offer_id, starts_at, {}))
        if row.participant_id is not None:
            marks[row.participant_id] = PRESENT if row.present else NOT_PRESENT
    by_offer: dict[str, list[SessionMarks]] = defaultdict(list)
    for session_id, (offer_id, starts_at, marks) in found.items():
        by_offer[offer_id].append(SessionMarks(session_id, starts_at, marks))
    return by_offer


def memberships(conn: Connection, offer_ids: Sequence[str]) -> dict[str, list[MembershipEvent]]:
    """{offer: [each member's joining and leaving]}."""
    query = select(membership_changes).where(membership_changes.c.offer_id.in_(offer_ids))
    by_offer: dict[str, list[MembershipEvent]] = defaultdict(list)
    for row in conn.execute(query):
        by_offer[row.offer_id].append(MembershipEvent(row.participant_id, row.change, as_utc(row.at)))
    return by_offer


def after_scores(conn: Connection, offer_ids: Sequence[str]) -> dict[str, OutcomeScores]:
    """{offer: the mean "after" trust and direction scores and how many answered them}: at the end
    of a group, how its members rate the trust in it and their shared sense of direction."""
    query = (
        select(
            outcome_responses.c.offer_id,
            func.avg(outcome_responses.c[TRUST]).label(TRUST),
            func.avg(outcome_responses.c[DIRECTION]).label(DIRECTION),
            func.count().label("respondents"),
        )
        .where(outcome_responses.c.offer_id.in_(offer_ids), outcome_responses.c.phase == "after")
        .group_by(outcome_responses.c.offer_id)
    )
    return {
        row.offer_id: OutcomeScores(float(row._mapping[TRUST]), float(row._mapping[DIRECTION]), row.respondents)
        for row in conn.execute(query)
    }


def forget_participant(conn: Connection, participant_id: str) -> None:
    """Erasure: the person's joining and leaving of every group go."""
    conn.execute(delete(membership_changes).where(membership_changes.c.participant_id == participant_id))
