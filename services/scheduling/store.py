"""Scheduling's tables, and the queries of its projection of other services' events.

`offers`, `memberships` and `needs` are kept only from events (enrolment's offers and
enrolments, feedback's needs surveys): scheduling never reads enrolment's database, and
`rebuild` can throw them away and replay them. `facilitators`, `sessions` and `attendance`
are scheduling's own; their queries are in `store_sessions`. Instants are stored in UTC;
SQLite hands them back naive, so every reader pins them with `as_utc`.

No names or e-mails anywhere: people are opaque ids (facilitators too — see `facilitators`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, Connection, DateTime, ForeignKey, Index, Integer, MetaData, String, Table, bindparam, delete, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from shared.clock import as_utc

metadata = MetaData()

offers = Table(
    "offers",
    metadata,
    Column("offer_id", String(64), primary_key=True),
    Column("region", String(10), nullable=False, index=True),
    Column("offer_type", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("session_allowance", Integer),
)

# One row per period of membership (left and re-joined = two rows). A member is expected at
# a session when joined_at <= starts_at < left_at, so withdrawing leaves future sessions only.
memberships = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("offer_id", String(64), nullable=False),
    Column("participant_id", String(64), nullable=False, index=True),
    Column("enrolment_id", String(64), nullable=False),
    Column("status", String(20), nullable=False),  # confirmed | completed
    Column("joined_at", DateTime(timezone=True), nullable=False),
    Column("left_at", DateTime(timezone=True)),
    # Covers the roster read (current members of an offer) without touching the table.
    Index("ix_memberships_roster", "offer_id", "left_at", "joined_at", "participant_id", "status"),
    Index(
        "ux_memberships_open", "offer_id", "participant_id", unique=True,
        sqlite_where=text("left_at IS NULL"), postgresql_where=text("left_at IS NULL"),
    ),
)

needs = Table(
    "needs",
    metadata,
    Column("response_id", String(64), primary_key=True),
    Column("offer_id", String(64), nullable=False, index=True),
    Column("region", String(10), nullable=False),
    Column("ratings", JSON, nullable=False),
)

# Facilitators and coaches carry no name: the id is the `sub` of their token, and whoever
# needs their name asks the identity provider. Scheduling needs only region, kind, skills
# and capacity to plan sessions, so holding a name here would be personal data for nothing.
facilitators = Table(
    "facilitators",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(10), nullable=False),
    Column("kind", String(20), nullable=False),  # facilitator | coach
    Column("monthly_capacity", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_facilitators_region", "region", "kind", "id"),
)

facilitator_skills = Table(
    "facilitator_skills",
    metadata,
    Column("facilitator_id", String(36), ForeignKey("facilitators.id"), primary_key=True),
    Column("skill", String(50), primary_key=True, index=True),
)

sessions = Table(
    "sessions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("offer_id", String(64), nullable=False),
    Column("region", String(10), nullable=False),
    Column("kind", String(20), nullable=False),  # group | coaching
    Column("series_id", String(36), index=True),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("sequence", Integer, nullable=False),  # iCalendar SEQUENCE, also the ETag version
    Column("status", String(20), nullable=False),  # scheduled | cancelled
    Column("facilitator_id", String(36), index=True),  # the facilitator, or the coach of a coaching session
    Column("coachee_id", String(64), index=True),  # coaching sessions only
    Column("venue", String(300)),
    Column("video_link", String(500)),
    Column("topic", String(200)),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Index("ix_sessions_offer_start", "offer_id", "starts_at"),
    Index("ix_sessions_start", "starts_at"),
)

attendance = Table(
    "attendance",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("participant_id", String(64), primary_key=True, index=True),
    Column("offer_id", String(64), nullable=False, index=True),
    Column("value", String(20), nullable=False),  # present | apologies | absent
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

PROJECTION_TABLES = (memberships, offers)


def utc_row(row) -> dict:
    """A row as a dict whose instants are aware UTC datetimes."""
    return {key: as_utc(value) if isinstance(value, datetime) else value for key, value in row.items()}


def upsert(conn: Connection, table: Table, values: dict, keys: tuple[str, ...]) -> None:
    """Insert a row, or update the row with the same `keys`."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(table).values(**values)
    changes = {name: statement.excluded[name] for name in values if name not in keys}
    conn.execute(statement.on_conflict_do_update(index_elements=list(keys), set_=changes))


# --- offers ------------------------------------------------------------------------------


_OFFER = select(offers).where(offers.c.offer_id == bindparam("offer_id"))


def find_offer(conn: Connection, offer_id: str):
    return conn.execute(_OFFER, {"offer_id": offer_id}).mappings().first()


def save_offer(conn: Connection, offer: dict) -> None:
    upsert(conn, offers, offer, ("offer_id",))


# --- memberships (the roster) ----------------------------------------------------------------


def _open(offer_id: str, participant_id: str):
    return (memberships.c.offer_id == offer_id, memberships.c.participant_id == participant_id, memberships.c.left_at.is_(None))


def open_membership(conn: Connection, offer_id: str, participant_id: str):
    return conn.execute(select(memberships).where(*_open(offer_id, participant_id))).mappings().first()


def add_membership(conn: Connection, values: dict) -> None:
    conn.execute(insert(memberships).values(**values))


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
    query = select(memberships.c.participant_id).where(memberships.c.offer_id == offer_id, memberships.c.left_at.is_(None))
    return list(conn.execute(query).scalars())


def is_member(conn: Connection, offer_id: str, participant_id: str) -> bool:
    return conn.execute(select(memberships.c.id).where(*_open(offer_id, participant_id))).first() is not None


def expected_at(starts_at_column):
    """SQL condition: the membership period covers a session starting at `starts_at_column`."""
    return (memberships.c.joined_at <= starts_at_column) & (memberships.c.left_at.is_(None) | (starts_at_column < memberships.c.left_at))


def expected_member_ids(conn: Connection, offer_id: str, starts_at: datetime) -> set[str]:
    query = select(memberships.c.participant_id).where(memberships.c.offer_id == offer_id, expected_at(starts_at))
    return set(conn.execute(query).scalars())


def membership_periods(conn: Connection, offer_id: str) -> list[dict]:
    query = select(memberships.c.participant_id, memberships.c.joined_at, memberships.c.left_at).where(memberships.c.offer_id == offer_id)
    return [utc_row(row) for row in conn.execute(query).mappings()]


def rename_member(conn: Connection, participant_id: str, pseudonym: str) -> None:
    conn.execute(update(memberships).where(memberships.c.participant_id == participant_id).values(participant_id=pseudonym))


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


# --- development needs (co-design) --------------------------------------------------------


def save_needs(conn: Connection, values: dict) -> None:
    upsert(conn, needs, values, ("response_id",))


def needs_of(conn: Connection, offer_id: str) -> list[dict]:
    return list(conn.execute(select(needs.c.ratings).where(needs.c.offer_id == offer_id)).scalars())
