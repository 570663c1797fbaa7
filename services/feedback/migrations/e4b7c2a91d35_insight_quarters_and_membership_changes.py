"""insight: the quarter of a needs answer, when a group formed, and members' joining and leaving

`needs_responses.quarter`: the UK calendar quarter a needs answer was given in, so needs can be
ranked per quarter and their trend tested (empty for answers kept before). `offers.started_at`:
when enrolment started a group offer. `membership_changes`: each member's joining and leaving of
an offer, at the event's time, for the conditions of a learning community.

Revision ID: e4b7c2a91d35
Revises: 5f0c2d1e9a7b
Create Date: 2026-11-30 00:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e4b7c2a91d35"
down_revision: str | Sequence[str] | None = "5f0c2d1e9a7b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("needs_responses", schema=None) as batch_op:
        batch_op.add_column(sa.Column("quarter", sa.String(length=7), nullable=True))
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "membership_changes",
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", "participant_id", "at", "change"),
    )
    op.create_index(
        op.f("ix_membership_changes_participant_id"), "membership_changes", ["participant_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_membership_changes_participant_id"), table_name="membership_changes")
    op.drop_table("membership_changes")
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_column("started_at")
    with op.batch_alter_table("needs_responses", schema=None) as batch_op:
        batch_op.drop_column("quarter")
