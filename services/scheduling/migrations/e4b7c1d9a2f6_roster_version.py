"""roster version on the offer row

`offers.roster_version`: the version of the offer's roster, its ETag, raised in the same
transaction by every write of the offer or its memberships, so that a conditional roster read
(If-None-Match) is answered 304 from the offer's row alone. Rows that exist start at 0: no ETag
was handed out before this revision.

Revision ID: e4b7c1d9a2f6
Revises: 7e2a9c4b1f60
Create Date: 2026-11-30 04:35:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "e4b7c1d9a2f6"
down_revision: str | Sequence[str] | None = "7e2a9c4b1f60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN on both databases (no FK refers to offers, but no table copy is needed either).
    op.add_column("offers", sa.Column("roster_version", sa.BigInteger(), server_default="0", nullable=False))


def downgrade() -> None:
    op.execute("ALTER TABLE offers DROP COLUMN roster_version")
