"""erased participants

`erased_participants`: each participant scheduling has erased, kept as a keyed blind index of
their id (never the id; the key is a service key wrapped by PERSONAL_DATA_KEY in `data_keys`)
with the pseudonym the erasure gave them and when. An enrolment event naming them that arrives
after the erasure, or a rebuild of the rosters, is applied under the pseudonym (shared.erasures).
Erasures made before this revision are not in it: their people were renamed already.

Revision ID: 7e2a9c4b1f60
Revises: 5c1f0e2a7d93
Create Date: 2026-11-30 04:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7e2a9c4b1f60"
down_revision: str | Sequence[str] | None = "5c1f0e2a7d93"
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
