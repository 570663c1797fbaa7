"""calendar subscription addresses

`calendar_feeds`: one secret subscription address per participant, kept as the SHA-256 of its
secret (the address itself is shown once, never stored), with the participant and when it was
made. Deleted when the participant revokes it, makes a new one, or is erased.

Revision ID: 5c1f0e2a7d93
Revises: bb428476386f
Create Date: 2026-11-29 21:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5c1f0e2a7d93"
down_revision: str | Sequence[str] | None = "bb428476386f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("participant_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("secret_hash"),
        sa.UniqueConstraint("participant_id"),
    )


def downgrade() -> None:
    op.drop_table("calendar_feeds")
