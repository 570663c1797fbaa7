"""places taken and waitlist length kept on the offer's row

`offers.places_taken` and `offers.waitlist_length`: the offer's confirmed and waitlisted
enrolments, moved by every write of enrolments in its transaction, so that the offer list no
longer counts them row by row. Filled here from the enrolments that exist.

Revision ID: 8d2f4a61c3b7
Revises: 5e1a7c2b9d04
Create Date: 2026-11-30 04:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "8d2f4a61c3b7"
down_revision: str | Sequence[str] | None = "5e1a7c2b9d04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _counted(status: str) -> str:
    return f"(SELECT count(*) FROM enrolments WHERE enrolments.offer_id = offers.id AND enrolments.status = '{status}')"


def upgrade() -> None:
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("places_taken", sa.Integer(), server_default="0", nullable=False))
        batch_op.add_column(sa.Column("waitlist_length", sa.Integer(), server_default="0", nullable=False))
    op.execute(f"UPDATE offers SET places_taken = {_counted('confirmed')}, waitlist_length = {_counted('waitlisted')}")


def downgrade() -> None:
    # Not a batch: on SQLite that copies the table, and dropping the old one breaks the foreign
    # keys of enrolments. Both databases drop a plain column in place (SQLite since 3.35).
    for column in ("waitlist_length", "places_taken"):
        op.execute(f"ALTER TABLE offers DROP COLUMN {column}")
