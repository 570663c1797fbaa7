"""The roster projection: offers and their members' periods of membership, kept only from
enrolment's events. A member is expected at a session when joined_at <= starts_at < left_at.

Every write that changes what an offer's roster shows (the offer's fields, its members, their
status, an erased member's id) raises the offer's `roster_version` in the same transaction, so the
roster's ETag changes with its content and a conditional read needs only the offer's row."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import Connection, bindparam, delete, select, update

from services.scheduling.domain.continuity import Membership
from services.scheduling.store import utc_row
from services.scheduling.store.tables import PROJECTION_TABLES, memberships, offers
from shared.batch import current
from shared.clock import as_utc
from shared.db import dialect_insert

# --- offers ------------------------------------------------------------------------------


_OFFER = select(offers).where(offers.c.offer_id == bindparam("offer_id"))


def find_offer(conn: Connection, offer_id: str):
    """The offer's row, its roster's version with it: all a conditional roster read needs."""
    return conn.execute(_OFFER, {"offer_id": offer_id}).mappings().first()


def save_offer(conn: Connection, offer: dict) -> None:
    """Insert the offer, or update it and raise its roster's version (the roster shows its fields)."""
    statement = dialect_insert(conn, offers).values(**offer, roster_version=first_roster_version())
    changes = {name: statement.excluded[name] for name in offer if name != "offer_id"}
    changes["roster_version"] = offers.c.roster_version + 1
    conn.execute(statement.on_conflict_do_update(index_elements=["offer_id"], set_=changes))


def first_roster_version() -> int:
    """Microseconds since the epoch: later than any version an earlier row of the same offer reached
    (it would need a change per microsecond to catch up), so ETags are not repeated after a rebuild."""
    return time.time_ns() // 1000


# Parameters named apart from the columns: an UPDATE would take a parameter named as a column as a value to set.
_RAISE_VERSION = (
    update(offers)
    .where(offers.c.offer_id == bindparam("changed_offer"))
    .values(roster_version=offers.c.roster_version + 1)
)


def _raise_versions_of_offers_held_by(conn: Connection, participant_id: str, *, open_only: bool) -> None:
    held = select(memberships.c.offer_id).where(memberships.c.participant_id == participant_id)
    if open_only:
        held = held.where(memberships.c.left_at.is_(None))
    conn.execute(update(offers).where(offers.c.offer_id.in_(held)).values(roster_version=offers.c.roster_version + 1))


# --- memberships (the roster) ----------------------------------------------------------------


# The roster consumer's statements are built once: for it, building one costs more than running it.
_OPEN_MEMBERSHIP = select(memberships).where(
    memberships.c.offer_id == bindparam("offer_id"),
    memberships.c.participant_id == bindparam("participant_id"),
    memberships.c.left_at.is_(None),
)
_JOINS, _VERSIONS = "scheduling.joins", "scheduling.roster_versions"


def open_membership(conn: Connection, offer_id: str, participant_id: str):
    _flush_joins(conn)
    return conn.execute(_OPEN_MEMBERSHIP, {"offer_id": offer_id, "participant_id": participant_id}).mappings().first()


def join(conn: Connection, values: dict) -> None:
    """Open a period of membership unless the member has one open in the offer already. In a
    consumer batch (shared.batch) the joins are queued and written together, in order, by one
    INSERT … ON CONFLICT DO NOTHING on the open-membership index: the same outcome, since every
    read of memberships here writes the queue first."""
    batch = current(conn)
    if batch is None:
        _insert_joins(conn, [values])
    else:
        batch.defer(_JOINS, _insert_joins, values)
    _raise_version(conn, values["offer_id"])


def _insert_joins(conn: Connection, rows: list[dict]) -> None:
    statement = dialect_insert(conn, memberships).on_conflict_do_nothing(
        index_elements=["offer_id", "participant_id"], index_where=memberships.c.left_at.is_(None)
    )
    conn.execute(statement, rows)


def _flush_joins(conn: Connection) -> None:
    batch = current(conn)
    if batch is not None:
        batch.flush(conn, _JOINS)


def change_membership(conn: Connection, membership, **values) -> None:
    """Change a period of membership (`membership`: its row, as open_membership read it)."""
    conn.execute(update(memberships).where(memberships.c.id == membership["id"]).values(**values))
    _raise_version(conn, membership["offer_id"])


def _raise_version(conn: Connection, offer_id: str) -> None:
    """Raise the offer's roster version: at once, or in a consumer batch once per offer, when the
    batch is written (still in its transaction: what a reader sees changes with the version)."""
    batch = current(conn)
    if batch is None:
        conn.execute(_RAISE_VERSION, {"changed_offer": offer_id})
    else:
        batch.defer(_VERSIONS, _raise_versions, offer_id)


def _raise_versions(conn: Connection, offer_ids: list[str]) -> None:
    conn.execute(
        update(offers)
        .where(offers.c.offer_id.in_(sorted(set(offer_ids))))
        .values(roster_version=offers.c.roster_version + 1)
    )


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
    _flush_joins(conn)
    _raise_versions_of_offers_held_by(conn, participant_id, open_only=True)
    conn.execute(
        update(memberships)
        .where(memberships.c.participant_id == participant_id, memberships.c.left_at.is_(None))
        .values(left_at=left_at)
    )


def rename_member(conn: Connection, participant_id: str, pseudonym: str) -> None:
    _flush_joins(conn)
    _raise_versions_of_offers_held_by(conn, participant_id, open_only=False)
    conn.execute(
        update(memberships).where(memberships.c.participant_id == participant_id).values(participant_id=pseudonym)
    )


# --- rebuilding the projection -------------------------------------------------------------


def clear_projection(conn: Connection) -> None:
    for table in PROJECTION_TABLES:
        conn.execute(delete(table))


def rosters_snapshot(conn: Connection) -> dict:
    """Every offer and every membership period, in a comparable form (ids of rows and roster
    versions left out: a rebuild starts the versions afresh)."""
    fields = [c for c in offers.c if c.name != "roster_version"]
    known = {row["offer_id"]: dict(row) for row in conn.execute(select(*fields)).mappings()}
    columns = [c for c in memberships.c if c.name != "id"]
    periods = sorted((tuple(utc_row(row).values()) for row in conn.execute(select(*columns)).mappings()), key=str)
    return {"offers": known, "memberships": periods}
