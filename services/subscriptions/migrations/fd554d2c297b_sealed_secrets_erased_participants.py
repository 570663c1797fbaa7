"""sealed signing secrets, erased participants' hashes, forgotten ordering keys

Signing secrets are stored only sealed, each under a data key of its own that travels wrapped
by the service's key-encryption key (PERSONAL_DATA_KEY or PERSONAL_DATA_KEY_FILE must be set
when the table has rows): existing rows are sealed here. `erased_participants` keeps a keyed
hash of each participant erased from now on (its key in the new `data_keys` table), so an event
naming one that arrives later is never sent. Deliveries whose body was emptied by an erasure
lose their ordering key too (it can be the person's id).

What this cannot reach: copies of the old plaintext secrets made before it ran (WAL, backups):
rotate every subscription's secret after upgrading an installation that had real subscribers.

Revision ID: fd554d2c297b
Revises: f12e6f38bbea
Create Date: 2026-11-30 04:20:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.subscriptions.store import secrets
from shared.data_keys import ring_of
from shared.sealing import is_enveloped, open_enveloped

# revision identifiers, used by Alembic.
revision: str = "fd554d2c297b"
down_revision: str | Sequence[str] | None = "f12e6f38bbea"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

subscriptions = sa.table(
    "subscriptions", sa.column("id", sa.String), sa.column("secret", sa.Text), sa.column("previous_secret", sa.Text)
)
deliveries = sa.table("deliveries", sa.column("payload", sa.Text), sa.column("ordering_key", sa.String))


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    op.create_table(
        "erased_participants",
        sa.Column("participant_hash", sa.String(length=64), nullable=False),
        sa.Column("erased_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("participant_hash"),
    )
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=False)
        batch_op.alter_column(
            "previous_secret", existing_type=sa.String(length=100), type_=sa.Text(), existing_nullable=True
        )
    conn = op.get_bind()
    for row in conn.execute(sa.select(subscriptions)).mappings().all():
        plain = {column: row[column] for column in secrets.COLUMNS if row[column] and not is_enveloped(row[column])}
        if plain:
            conn.execute(
                subscriptions.update()
                .where(subscriptions.c.id == row["id"])
                .values(secrets.sealed(conn, row["id"], plain))
            )
    conn.execute(deliveries.update().where(deliveries.c.payload == "").values(ordering_key=""))


def downgrade() -> None:
    """Back to plaintext secrets (the erased participants' hashes and their key are dropped)."""
    conn = op.get_bind()
    rows = conn.execute(sa.select(subscriptions)).mappings().all()
    if rows:
        ring = ring_of(conn)
        for row in rows:
            opened = {
                column: open_enveloped(ring, row[column], secrets.context(row["id"], column))
                for column in secrets.COLUMNS
                if is_enveloped(row[column])
            }
            if opened:
                conn.execute(subscriptions.update().where(subscriptions.c.id == row["id"]).values(opened))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.alter_column("secret", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=False)
        batch_op.alter_column(
            "previous_secret", existing_type=sa.Text(), type_=sa.String(length=100), existing_nullable=True
        )
    op.drop_table("erased_participants")
    op.drop_table("data_keys")
