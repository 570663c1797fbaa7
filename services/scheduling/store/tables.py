"""Scheduling's tables.

`offers`, `memberships` and `needs` are kept only from events (enrolment's offers and
enrolments, feedback's needs surveys): scheduling never reads enrolment's database, and
`rebuild` can throw them away and replay them (`PROJECTION_TABLES`). `facilitators`,
`sessions` and `attendance` are scheduling's own. Instants are stored in UTC; SQLite hands
them back naive, so every reader pins them with `as_utc` (see `store.utc_row`).

No names or e-mails anywhere: people are opaque ids (facilitators too — see `facilitators`).
The only free text about a person, a coachee's goals and progress notes, is stored sealed
under that coachee's data key (`data_keys`).
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from shared.data_keys import table as data_key_table
from shared.erasures import table as erased_table

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
    # The version of the offer's roster (GET .../roster answers it as its ETag): raised in the same
    # transaction by every write of the offer or of its memberships (store/rosters.py). A new row
    # starts from the clock's microseconds, so a rebuilt projection never repeats an ETag a
    # client still holds for other content.
    Column("roster_version", BigInteger, nullable=False),
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
        "ux_memberships_open",
        "offer_id",
        "participant_id",
        unique=True,
        sqlite_where=text("left_at IS NULL"),
        postgresql_where=text("left_at IS NULL"),
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

# A coaching enrolment's goals: the chosen types (the published CoachingGoal vocabulary) and the
# coachee's own words. The words are personal free text: stored only sealed under the coachee's
# data key (`data_keys`, store/goals.py), read by the coachee and their coach only, never in an
# event; erasure destroys the key and deletes the row (usecases/goals.forget_coachee).
coaching_goals = Table(
    "coaching_goals",
    metadata,
    Column("offer_id", String(64), primary_key=True),
    Column("participant_id", String(64), primary_key=True, index=True),
    Column("region", String(10), nullable=False),
    Column("goal_types", JSON, nullable=False),
    Column("sealed_words", Text, nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# Progress noted at a coaching session, one note by the coach and one by the coachee (the latest
# replaces the earlier). Private to the two of them; the coach's note is the coachee's data too,
# so every note is sealed under the coachee's data key; erasure destroys it with the rows.
coaching_progress = Table(
    "coaching_progress",
    metadata,
    Column("session_id", String(36), primary_key=True),
    Column("author", String(10), primary_key=True),  # coach | coachee
    Column("offer_id", String(64), nullable=False),
    Column("coachee_id", String(64), nullable=False),
    Column("sealed_note", Text, nullable=False),
    Column("noted_at", DateTime(timezone=True), nullable=False),
    Index("ix_coaching_progress_coachee", "coachee_id", "offer_id"),
)

# One data key per coachee, wrapped by PERSONAL_DATA_KEY (shared.data_keys; record id = the
# coachee's participant id): what their goals' words and progress notes are sealed under.
data_keys = data_key_table(metadata)

# A participant's calendar subscription address (store/calendar_feeds.py): only the SHA-256 of
# its secret is kept, so reading the table gives no one the address. One per participant: a new
# one replaces the old; erasure deletes it.
calendar_feeds = Table(
    "calendar_feeds",
    metadata,
    Column("secret_hash", String(64), primary_key=True),
    Column("participant_id", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

# Participants erased, by a keyed blind index of their id (never the id) with the pseudonym the
# erasure gave them (shared.erasures): an event about them that arrives after the erasure, or a
# rebuild, is applied under the pseudonym. Not a projection: a rebuild keeps it.
erased_participants = erased_table(metadata)

# The roster projection: what a rebuild (and `services.cli replay scheduling`) empties first.
PROJECTION_TABLES = (memberships, offers)
