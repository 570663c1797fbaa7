"""sessions recorded at: feedback on a session recorded after it happened opens when it is recorded

`sessions.recorded_at`: when scheduling put the session in the calendar, from the session events'
`recorded_at` (services/feedback/domain/sessions.py, `feedback_opens_at`). Empty for sessions
learnt before: their feedback window counts from their end, as it did.

Revision ID: 5f0c2d1e9a7b
Revises: ca06eeeabaea
Create Date: 2026-11-29 19:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "5f0c2d1e9a7b"
down_revision: str | Sequence[str] | None = "ca06eeeabaea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")
