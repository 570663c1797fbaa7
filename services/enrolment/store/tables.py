"""Enrolment's tables: reference data, participants and their data keys, offers, enrolments,
the projection of scheduling's sessions and attendance, and the e-mails to participants."""

from sqlalchemy import (
    JSON,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from shared.data_keys import table as data_key_table

metadata = MetaData()
ACTIVE = ("confirmed", "waitlisted")  # enrolments that hold a place or a waitlist position

pcns = Table(
    "pcns",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("sub_icb_code", String(10), nullable=False),
    Column("sub_icb_name", String(200), nullable=False),
    Column("region", String(3), nullable=False),
    Column("opened_on", Date),
    Column("closed_on", Date),
    Index("ix_pcns_region_code", "region", "code"),
)

practices = Table(
    "practices",
    metadata,
    Column("code", String(6), primary_key=True),
    Column("pcn_code", String(6), ForeignKey("pcns.code"), nullable=False),
    Column("name", String(200)),
    Index("ix_practices_pcn_code", "pcn_code", "code"),
)

# The only table in Convene with names and e-mails, and it holds them only sealed under the
# participant's own data key (`data_keys`, record id = participant id; services.enrolment.personal).
# `email_index` (a keyed blind index) keeps an address registered once. Erasure destroys the data
# key and empties the three columns. A participant's region is their PCN's.
participants = Table(
    "participants",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("sealed_name", Text),
    Column("sealed_email", Text),
    Column("email_index", String(64)),
    Column("role", String(30), nullable=False),
    Column("pcn_code", String(6), ForeignKey("pcns.code"), nullable=False, index=True),
    Column("practice_code", String(6), ForeignKey("practices.code")),
    Column("leadership_experience", String(30), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("erased_at", DateTime(timezone=True)),
    # The version of their e-mail preferences (notification_opt_outs): its ETag, named in If-Match.
    Column("preferences_version", Integer, nullable=False, server_default="1"),
    UniqueConstraint("email_index", name="uq_participants_email_index"),
)
data_keys = data_key_table(metadata)

offers = Table(
    "offers",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("region", String(10), nullable=False),
    Column("offer_type", String(40), nullable=False),
    Column("title", String(200), nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("status", String(20), nullable=False),
    Column("pcn_code", String(6), ForeignKey("pcns.code")),
    Column("basis", String(20)),
    Column("session_allowance", Integer),
    Column("planned_sessions", Integer, nullable=False),
    Column("starts_on", Date, nullable=False),
    Column("ends_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # How many enrolments are confirmed and waitlisted, kept with the row so that listing offers
    # costs the same at any number of enrolments. Every write of enrolments moves them in its own
    # transaction, under this row's lock (store.enrolments); `store.offers.miscounted` checks them.
    Column("places_taken", Integer, nullable=False, server_default="0"),
    Column("waitlist_length", Integer, nullable=False, server_default="0"),
    Index("ix_offers_region_status", "region", "status", "starts_on"),
)

enrolments = Table(
    "enrolments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("offer_id", String(36), ForeignKey("offers.id"), nullable=False),
    Column("participant_id", String(36), ForeignKey("participants.id"), nullable=False),
    Column("status", String(20), nullable=False),
    Column("waitlist_position", Integer),
    # Why a withdrawn enrolment ended (shared.contracts.vocabulary.WithdrawalReason); None while
    # active, and for withdrawals recorded before reasons were.
    Column("withdrawal_reason", String(30)),
    Column("requested_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_enrolments_offer_status", "offer_id", "status", "waitlist_position"),
    Index("ix_enrolments_participant", "participant_id", "requested_at"),
)
# The database's own guard behind the domain rule: nobody holds two places in one offer.
Index(
    "uq_enrolments_one_active_place",
    enrolments.c.offer_id,
    enrolments.c.participant_id,
    unique=True,
    sqlite_where=enrolments.c.status.in_(ACTIVE),
    postgresql_where=enrolments.c.status.in_(ACTIVE),
)

# Projection of scheduling's events: which sessions an offer held, and who was present.
sessions = Table(
    "sessions",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("offer_id", String(64), nullable=False, index=True),
    Column("ends_at", DateTime(timezone=True), nullable=False),
    Column("status", String(20), nullable=False),
    Column("sequence", Integer, nullable=False),
)

attendance = Table(
    "attendance",
    metadata,
    Column("session_id", String(64), primary_key=True),
    Column("participant_id", String(64), primary_key=True),
    Column("offer_id", String(64), nullable=False, index=True),
    Column("attendance", String(20), nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# E-mails to participants (services.enrolment.notifier). A notification is recorded in the
# transaction of the change or consumed event that calls for it, unique per cause, person and
# kind, with the facts it needs and no words: it is rendered when sent. Erasure deletes a
# person's notifications, their log and their opt-outs.
notifications = Table(
    "notifications",
    metadata,
    Column("id", String(36), primary_key=True),  # also the e-mail's Message-ID
    Column("participant_id", String(36), ForeignKey("participants.id"), nullable=False),
    Column("kind", String(30), nullable=False),
    Column("cause_id", String(100), nullable=False),  # the event id (or session id) that called for it
    Column("facts", JSON, nullable=False),
    Column("status", String(10), nullable=False),  # pending | sent | parked | dropped
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("parked_reason", String(100)),  # an error class or SMTP code, never a server's words
    Column("created_at", DateTime(timezone=True), nullable=False),
    # A notifier's claim while it sends (services.enrolment.notifier.sender): until then no other
    # notifier touches the row; a crashed notifier's claim simply expires.
    Column("claimed_until", DateTime(timezone=True)),
    Column("claimed_by", String(64)),
    UniqueConstraint("cause_id", "participant_id", "kind", name="uq_notifications_cause"),
    Index("ix_notifications_due", "status", "next_attempt_at"),
    Index("ix_notifications_participant", "participant_id"),
)

# What was sent, when and by which channel: never the body, never the address.
notification_log = Table(
    "notification_log",
    metadata,
    Column("notification_id", String(36), primary_key=True),
    Column("participant_id", String(36), nullable=False, index=True),
    Column("kind", String(30), nullable=False),
    Column("channel", String(10), nullable=False),
    Column("sent_at", DateTime(timezone=True), nullable=False),
)

# The consumed events that have had their notifications recorded. Unlike the inbox, a replay
# does not empty it, so replaying scheduling's events records (and sends) nothing again.
notified_events = Table(
    "notified_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    Column("recorded_at", DateTime(timezone=True), nullable=False),
)

# Kinds a participant has turned off (reminders, feedback requests: domain.notifications.OPTIONAL).
notification_opt_outs = Table(
    "notification_opt_outs",
    metadata,
    Column("participant_id", String(36), ForeignKey("participants.id"), primary_key=True),
    Column("kind", String(30), primary_key=True),
)
