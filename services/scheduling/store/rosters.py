"""The roster projection: offers and their members' periods of membership, kept only from
enrolment's events. A member is expected at a session when joined_at <= starts_at < left_at."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, insert, select, update

from services.scheduling.domain.continuity import Membership
from services.scheduling.store import utc_row
from services.scheduling.store.tables import PROJECTION_TABLES, memberships, offers
from shared.clock import as_utc
from shared.db import upsert

# --- offers ------------------------------------------------------------------------------


_OFFER = select(offers).where(offers.c.offer_id == bindparam("offer_id"))


def find_offer(conn: Connection, offer_id: str):
    return conn.execute(_OFFER, {"offer_id": offer_id}).mappings().first()


def save_offer(conn: Connection, offer: dict) -> None:
    upsert(conn, offers, offer, ("offer_id",))


# --- memberships (the roster) ----------------------------------------------------------------


# The roster consumer's statements are built once: for it, building one costs more than running it.
_OPEN_MEMBERSHIP = select(memberships).where(
    memberships.c.offer_id == bindparam("offer_id"),
    memberships.c.participant_id == bindparam("participant_id"),
    memberships.c.left_at.is_(None),
)
_ADD_MEMBERSHIP = insert(memberships)


def open_membership(conn: Connection, offer_id: str, participant_id: str):
    return conn.execute(_OPEN_MEMBERSHIP, {"offer_id": offer_id, "participant_id": participant_id}).mappings().first()


def add_membership(conn: Connection, values: dict) -> None:
    conn.execute(_ADD_MEMBERSHIP, values)


def change_membership(conn: Connection, membership_id: int, **values) -> None:
    conn.execute(update(memberships).where(memberships.c.id == membership_id).values(**values))


_ROSTER = (
    select(memberships.c.participant_id, memberships.c.status, memberships.c.joined_at)
    .where(memberships.c.offer_id == bindparam("offer_id"), memberships.c.left_at.is_(None))
    .order_by(memberships.c.joined_at, memberships.c.participant_id)
)


def roster(conn: Connection, offer_id: str) -> list[dict]:
    """Current members of an offer, longest-standing first, ready for JSON."""
    rows = conn.execute(_ROSTER, {"offer_id": offer_id}).all()
    return [{"participant_id": p, "status": s, "joined_at": as_utc(j).isoformat()} for p, s, j in rows]


def current_member_ids(conn: Connection, offer_id: str) -> list[str]:
    query = select(memberships.c.participant_id).where(
        memberships.c.offer_id == offer_id, memberships.c.left_at.is_(None)
    )
    return list(conn.execute(query).scalars())


def is_member(conn: Connection, offer_id: str, participant_id: str) -> bool:
    return open_membership(conn, offer_id, participant_id) is not None


def was_member(conn: Connection, offer_id: str, participant_id: str) -> bool:
    """Is, or was at any time, a member of the offer."""
    query = (
        select(memberships.c.id)
        .where(memberships.c.offer_id == offer_id, memberships.c.participant_id == participant_id)
        .limit(1)
    )
    return conn.execute(query).first() is not None


def expected_at(starts_at_column):
    """SQL condition: the membership period covers a session starting at `starts_at_column`."""
    return (memberships.c.joined_at <= starts_at_column) & (
        memberships.c.left_at.is_(None) | (starts_at_column < memberships.c.left_at)
    )


def expected_member_ids(conn: Connection, offer_id: str, starts_at: datetime) -> set[str]:
    query = select(memberships.c.participant_id).where(memberships.c.offer_id == offer_id, expected_at(starts_at))
    return set(conn.execute(query).scalars())


def membership_periods(conn: Connection, offer_id: str) -> list[Membership]:
    """Every period of membership of an offer, past and current (left_at None)."""
    query = select(memberships.c.participant_id, memberships.c.joined_at, memberships.c.left_at).where(
        memberships.c.offer_id == offer_id
    )
    return [
        Membership(member, as_utc(joined), as_utc(left) if left else None)
        for member, joined, left in conn.execute(query)
    ]


def end_memberships(conn: Connection, participant_id: str, left_at: datetime) -> None:
    """End every open period of membership of a person (erasure: they hold no place any more)."""
    conn.execute(
        update(memberships)
        .where(memberships.c.participant_id == participant_id, memberships.c.left_at.is_(None))
        .values(left_at=left_at)
    )


def rename_member(conn: Connection, participant_id: str, pseudonym: str) -> None:
    conn.execute(
        update(memberships).where(memberships.c.participant_id == participant_id).values(participant_id=pseudonym)
    )


# --- rebuilding the projection -------------------------------------------------------------


def clear_projection(conn: Connection) -> None:
    for table in PROJECTION_TABLES:
        conn.execute(delete(table))


def rosters_snapshot(conn: Connection) -> dict:
    """Every offer and every membership period, in a comparable form (ids of rows left out)."""
    known = {row["offer_id"]: dict(row) for row in conn.execute(select(offers)).mappings()}
    columns = [c for c in memberships.c if c.name != "id"]
    periods = sorted((tuple(utc_row(row).values()) for row in conn.execute(select(*columns)).mappings()), key=str)
    return {"offers": known, "memberships": periods}
