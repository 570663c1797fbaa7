"""Feedback's tables: projections of other services' events, the answers, and running
aggregates."""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.erasures import table as erased_table

metadata = MetaData()
ID = 64  # opaque ids of other services are at most 64 characters (shared.contracts.common.id_field)
BUCKETS = 7  # histogram buckets of an aggregate row: enough for the widest scale (1-7)

# --- projections of scheduling's and enrolment's events ---------------------------------

sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(ID), primary_key=True),
    Column("offer_id", String(ID), nullable=False, index=True),
    Column("region", String(10), nullable=False),
    Column("starts_at", DateTime(timezone=True), nullable=False),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("sequence", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("recorded_at", DateTime(timezone=True)),  # scheduling's; a session recorded after it happened opens then
)

offers = Table(
    "offers",
    metadata,
    Column("offer_id", String(ID), primary_key=True),
    Column("region", String(10), nullable=False),
    Column("offer_type", String(40), nullable=False),
    Column("status", String(20), nullable=False),
    Column("planned_sessions", Integer),  # enrolment's; None while not announced (an "after" then waits for completion)
    Column("started_at", DateTime(timezone=True)),  # enrolment's `offer.started`: when a group formed
    Index("ix_offers_region_type", "region", "offer_type"),
)

members = Table(
    "members",
    metadata,
    Column("offer_id", String(ID), primary_key=True),
    Column("participant_id", String(ID), primary_key=True, index=True),
    Column("status", String(20), nullable=False),
)

# Each member's joining and leaving of a group offer (enrolment's confirmed / promoted and
# withdrawn events, at the event's time), for the conditions of a learning community
# (domain/conditions.py): when a member was expected at a session. Erasure deletes a person's rows.
membership_changes = Table(
    "membership_changes",
    metadata,
    Column("offer_id", String(ID), primary_key=True),
    Column("participant_id", String(ID), primary_key=True, index=True),
    Column("at", DateTime(timezone=True), primary_key=True),
    Column("change", String(10), primary_key=True),
)

attendance = Table(
    "attendance",
    metadata,
    Column("session_id", String(ID), primary_key=True),
    Column("participant_id", String(ID), primary_key=True, index=True),
    Column("present", Boolean, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Each coachee's coaching goal types per coaching offer (scheduling's `coaching.goals_set`, the
# latest `set_at` wins), as their combination (domain/goals.py): never their words.
coaching_goals = Table(
    "coaching_goals",
    metadata,
    Column("offer_id", String(ID), primary_key=True),
    Column("participant_id", String(ID), primary_key=True, index=True),
    Column("goals", String(ID), nullable=False),
    Column("set_at", DateTime(timezone=True), nullable=False),
)

# Where enrolment registered each person (`participant.registered`): the one PCN their needs
# answers may name.
participants = Table(
    "participants",
    metadata,
    Column("participant_id", String(ID), primary_key=True),
    Column("region", String(10), nullable=False),
    Column("pcn_code", String(6), nullable=False),
)

# --- answers ------------------------------------------------------------------------------

# Anonymous rows hold no participant id and no date; ids are random (see domain/feedback.py).
feedback_responses = Table(
    "feedback_responses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("session_id", String(ID), nullable=False, index=True),
    Column("offer_id", String(ID), nullable=False),
    Column("offer_type", String(40), nullable=False),
    Column("region", String(10), nullable=False),
    Column("participant_id", String(ID), index=True),
    Column("anonymous", Boolean, nullable=False),
    Column("overall", SmallInteger, nullable=False),
    Column("usefulness", SmallInteger, nullable=False),
    Column("will_apply", SmallInteger, nullable=False),
    Column("recommend", String(20), nullable=False),
    Column("comment", Text),
    Column("given_on", Date),
)

# The has-responded set: one keyed marker per (session, person), nothing else, no link.
feedback_responded = Table("feedback_responded", metadata, Column("marker", String(64), primary_key=True))

# The needs survey's has-answered set: one keyed marker per (round, person) and the round it is
# of (so erasure can find a person's markers), nothing else, no link to the answer (domain/needs.py).
needs_answered = Table(
    "needs_answered",
    metadata,
    Column("marker", String(64), primary_key=True),
    Column("round", String(80), nullable=False, index=True),
)

# Each person's needs voice secret (domain/needs.py, `cohort_voice`), kept under a keyed marker
# of their id, not the id: erasure deletes it, and their cohort answers' pseudonyms with it.
needs_voices = Table(
    "needs_voices",
    metadata,
    Column("holder", String(64), primary_key=True),
    Column("secret", String(64), nullable=False),
)

needs_responses = Table(
    "needs_responses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(10), nullable=False, index=True),
    Column("pcn_code", String(6)),
    Column("offer_id", String(ID)),
    Column("ratings", Text, nullable=False),
    Column("other_needs", Text),
    Column("quarter", String(7)),  # the UK calendar quarter answered in ("2026-Q3"); None before it was kept
)

outcome_responses = Table(
    "outcome_responses",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("participant_id", String(ID)),
    Column("offer_id", String(ID), nullable=False),
    Column("phase", String(10), nullable=False),
    Column("confidence", SmallInteger, nullable=False),
    Column("isolation", SmallInteger, nullable=False),
    Column("trust_in_group", SmallInteger, nullable=False),
    Column("sense_of_direction", SmallInteger, nullable=False),
    Column("given_on", Date),
    UniqueConstraint("participant_id", "offer_id", "phase", name="uq_outcome_once_per_phase"),
)

# --- running aggregates -------------------------------------------------------------------

# One `RunningStats` per (family, scope, region, key, period, measure), added to in the
# transaction of each answer: reading a figure never scans the answers.
aggregate_stats = Table(
    "aggregate_stats",
    metadata,
    Column("family", String(20), primary_key=True),
    Column("scope", String(20), primary_key=True),
    Column("region", String(10), primary_key=True),
    Column("key", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("measure", String(40), primary_key=True),
    Column("scale", String(20), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("sum_sq", BigInteger, nullable=False),
    *(Column(f"b{i}", BigInteger, nullable=False) for i in range(BUCKETS)),
    Index("ix_aggregate_stats_period", "family", "scope", "period"),
)

attendee_counts = Table(
    "attendee_counts",
    metadata,
    Column("scope", String(20), primary_key=True),
    Column("region", String(10), primary_key=True),
    Column("key", String(ID), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("attendees", BigInteger, nullable=False),
)

# The suppression pattern of the published feedback table (`disclosure.withhold` over every
# margin), settled on each answer; a cell without a row has no respondents and is withheld.
published_cells = Table(
    "published_cells",
    metadata,
    Column("region", String(10), primary_key=True),
    Column("offer_type", String(40), primary_key=True),
    Column("period", String(7), primary_key=True),
    Column("withheld", String(30)),
)

# Participants erased, by a keyed blind index of their id (never the id) with the pseudonym their
# outcome answers took (shared.erasures): an event about them that arrives after the erasure is
# applied under the pseudonym and settled as the erasure settled the id (usecases.erasure).
erased_participants = erased_table(metadata)
