"""erased participants

`erased_participants`: each participant feedback has erased, kept as a keyed blind index of
their id (never the id; the key comes from FEEDBACK_MARKER_PEPPER) with the pseudonym their
outcome answers took and when. An event naming them that arrives after the erasure is applied
under the pseudonym, then settled as the erasure settled the id (shared.erasures). Erasures
made before this revision are not in it.

Revision ID: 3b8d5f1e9a24
Revises: e4b7c2a91d35
Create Date: 2026-11-30 04:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "3b8d5f1e9a24"
down_revision: str | Sequence[str] | None = "e4b7c2a91d35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erased_participants",
        sa.Column("participant_index", sa.String(length=64), nullable=False),
        sa.Column("pseudonym", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("participant_index"),
    )


def downgrade() -> None:
    op.drop_table("erased_participants")
