"""e-mail notifications to participants

`notifications` (recorded with the change or consumed event that calls for them, unique per
cause, person and kind; rendered only when sent), `notification_log` (what was sent, when and by
which channel, never the body), `notified_events` (consumed events whose notifications are
recorded: a replay does not empty it) and `notification_opt_outs` (reminders, feedback requests).

Revision ID: 5e1a7c2b9d04
Revises: ccbf24d28cef
Create Date: 2026-11-30 00:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5e1a7c2b9d04"
down_revision: str | Sequence[str] | None = "ccbf24d28cef"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("cause_id", sa.String(length=100), nullable=False),
        sa.Column("facts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("parked_reason", sa.String(length=100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cause_id", "participant_id", "kind", name="uq_notifications_cause"),
    )
    op.create_index("ix_notifications_due", "notifications", ["status", "next_attempt_at"])
    op.create_index("ix_notifications_participant", "notifications", ["participant_id"])
    op.create_table(
        "notification_log",
        sa.Column("notification_id", sa.String(length=36), nullable=False),
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("notification_id"),
    )
    op.create_index("ix_notification_log_participant_id", "notification_log", ["participant_id"])
    op.create_table(
        "notified_events",
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("event_id"),
    )
    op.create_table(
        "notification_opt_outs",
        sa.Column("participant_id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["participants.id"]),
        sa.PrimaryKeyConstraint("participant_id", "kind"),
    )


def downgrade() -> None:
    op.drop_table("notification_opt_outs")
    op.drop_table("notified_events")
    op.drop_index("ix_notification_log_participant_id", table_name="notification_log")
    op.drop_table("notification_log")
    op.drop_index("ix_notifications_participant", table_name="notifications")
    op.drop_index("ix_notifications_due", table_name="notifications")
    op.drop_table("notifications")
