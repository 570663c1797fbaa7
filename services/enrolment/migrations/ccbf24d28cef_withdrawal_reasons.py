"""why a withdrawn enrolment ended

`enrolments.withdrawal_reason`: withdrew, participant_erased, waitlist_released (a closed
group started) or offer_cancelled (shared.contracts.vocabulary.WithdrawalReason). Enrolments
withdrawn before this revision keep none: nobody recorded why they ended.

Revision ID: ccbf24d28cef
Revises: 252c1d0d046c
Create Date: 2026-11-29 18:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "ccbf24d28cef"
down_revision: str | Sequence[str] | None = "252c1d0d046c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("withdrawal_reason", sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("enrolments", schema=None) as batch_op:
        batch_op.drop_column("withdrawal_reason")
