"""shared tables: outbox, inbox, relay lease, audit log and idempotency keys

The tables every service has beside its own (shared.tables), written once. Each service's
first revision depends on this one, so it runs first in every new database, and Alembic counts
it as applied wherever a revision that depends on it is: a database migrated before these
tables had a branch of their own (its service's first revision made them) goes on from its
service's revision without running this. Should it run where some of the tables exist, it
creates only those that are missing.

Revision ID: 34230a06e7a5
Revises:
Create Date: 2026-11-29 18:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "34230a06e7a5"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = ("shared",)
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    present = set(sa.inspect(op.get_bind()).get_table_names())
    if "outbox" not in present:
        op.create_table(
            "outbox",
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
            sa.Column("event_id", sa.String(length=36), nullable=False),
            sa.Column("event_type", sa.String(length=200), nullable=False),
            sa.Column("topic", sa.String(length=200), nullable=False),
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("headers", sa.Text(), nullable=False),
            sa.Column("value", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
            sa.PrimaryKeyConstraint("id"),
            sa.UniqueConstraint("event_id"),
        )
        with op.batch_alter_table("outbox", schema=None) as batch_op:
            batch_op.create_index("ix_outbox_unpublished", ["published_at", "id"], unique=False)

    if "inbox" not in present:
        op.create_table(
            "inbox",
            sa.Column("consumer", sa.String(length=100), nullable=False),
            sa.Column("event_source", sa.String(length=200), nullable=False),
            sa.Column("event_id", sa.String(length=100), nullable=False),
            sa.Column("event_type", sa.String(length=200), nullable=False),
            sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("consumer", "event_source", "event_id"),
        )
        with op.batch_alter_table("inbox", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_inbox_processed_at"), ["processed_at"], unique=False)

    if "relay_lease" not in present:
        op.create_table(
            "relay_lease",
            sa.Column("name", sa.String(length=100), nullable=False),
            sa.Column("holder", sa.String(length=100), nullable=False),
            sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("name"),
        )

    if "audit_log" not in present:
        op.create_table(
            "audit_log",
            sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
            sa.Column("at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("subject", sa.String(length=200), nullable=False),
            sa.Column("role", sa.String(length=40), nullable=False),
            sa.Column("region", sa.String(length=10), nullable=True),
            sa.Column("action", sa.String(length=10), nullable=False),
            sa.Column("route", sa.String(length=200), nullable=False),
            sa.Column("record_id", sa.String(length=100), nullable=True),
            sa.Column("status", sa.Integer(), nullable=False),
            sa.Column("correlation_id", sa.String(length=100), nullable=True),
            sa.PrimaryKeyConstraint("id"),
        )
        with op.batch_alter_table("audit_log", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_audit_log_record_id"), ["record_id"], unique=False)
            batch_op.create_index(batch_op.f("ix_audit_log_region"), ["region"], unique=False)

    if "idempotency_keys" not in present:
        op.create_table(
            "idempotency_keys",
            sa.Column("subject", sa.String(length=200), nullable=False),
            sa.Column("key", sa.String(length=200), nullable=False),
            sa.Column("fingerprint", sa.String(length=64), nullable=False),
            sa.Column("status", sa.Integer(), nullable=False),
            sa.Column("body", sa.Text(), nullable=False),
            sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
            sa.PrimaryKeyConstraint("subject", "key"),
        )
        with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
            batch_op.create_index(batch_op.f("ix_idempotency_keys_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("idempotency_keys", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_idempotency_keys_created_at"))
    op.drop_table("idempotency_keys")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_region"))
        batch_op.drop_index(batch_op.f("ix_audit_log_record_id"))
    op.drop_table("audit_log")
    op.drop_table("relay_lease")
    with op.batch_alter_table("inbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_processed_at"))
    op.drop_table("inbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_unpublished")
    op.drop_table("outbox")
