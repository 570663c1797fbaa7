"""claims on e-mails being sent, and the version of a person's e-mail preferences

`notifications.claimed_until` and `claimed_by`: a notifier claims each notification it sends
for a bounded time, so two workers never send one at once and a crashed worker's claim
expires. `participants.preferences_version`: the ETag of
/v1/participants/{id}/notification-preferences, which a change names in If-Match.

Revision ID: 7b3e9d2a4c61
Revises: 8d2f4a61c3b7
Create Date: 2026-11-30 04:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "7b3e9d2a4c61"
down_revision: str | Sequence[str] | None = "8d2f4a61c3b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("preferences_version", sa.Integer(), nullable=False, server_default="1"))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("preferences_version")
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("claimed_by")
        batch.drop_column("claimed_until")
