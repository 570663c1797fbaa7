"""coaching goals and progress notes

`coaching_goals`: a coaching enrolment's chosen goal types (shared.contracts.vocabulary.
CoachingGoal) and the coachee's own words; `coaching_progress`: the coach's and the coachee's
note at each coaching session. Both are personal free text, deleted on the coachee's erasure.

Revision ID: d3437f753296
Revises: 2ed3355731cb
Create Date: 2026-11-29 18:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "d3437f753296"
down_revision: str | Sequence[str] | None = "2ed3355731cb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "coaching_goals",
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=10), nullable=False),
        sa.Column("goal_types", sa.JSON(), nullable=False),
        sa.Column("words", sa.String(length=1000), nullable=False),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", "participant_id"),
    )
    op.create_index(op.f("ix_coaching_goals_participant_id"), "coaching_goals", ["participant_id"], unique=False)
    op.create_table(
        "coaching_progress",
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("author", sa.String(length=10), nullable=False),
        sa.Column("offer_id", sa.String(length=64), nullable=False),
        sa.Column("coachee_id", sa.String(length=64), nullable=False),
        sa.Column("note", sa.String(length=2000), nullable=False),
        sa.Column("noted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("session_id", "author"),
    )
    op.create_index("ix_coaching_progress_coachee", "coaching_progress", ["coachee_id", "offer_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_coaching_progress_coachee", table_name="coaching_progress")
    op.drop_table("coaching_progress")
    op.drop_index(op.f("ix_coaching_goals_participant_id"), table_name="coaching_goals")
    op.drop_table("coaching_goals")
