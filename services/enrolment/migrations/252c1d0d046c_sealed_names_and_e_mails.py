"""sealed names and e-mails under per-participant data keys

Participants' names and e-mail addresses are stored only sealed under a data key of each
participant's (`data_keys`, wrapped by the service's key-encryption key: PERSONAL_DATA_KEY or
PERSONAL_DATA_KEY_FILE must be set when the table has rows), the e-mail found by a keyed blind
index (`email_index`), and an erased participant is marked by `erased_at` instead of marker
text. Existing rows are sealed here; remembered answers to registrations (which showed the
name and e-mail verbatim) are deleted, so repeating such a request registers again or answers
409 email_taken.

What this cannot reach: copies of the old plaintext made before it ran (PostgreSQL's WAL and
archives, backups, SQLite's write-ahead log until its next checkpoint). After upgrading an
installation that held real people, checkpoint and VACUUM the database once (docs/erasure.md).

Revision ID: 252c1d0d046c
Revises: 947625980edc
Create Date: 2026-11-29 15:20:54.326565

"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.enrolment import personal
from shared import data_keys
from shared.clock import utcnow
from shared.sealing import new_data_key

# revision identifiers, used by Alembic.
revision: str = "252c1d0d046c"
down_revision: str | Sequence[str] | None = "947625980edc"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

participants = sa.table(
    "participants",
    sa.column("id", sa.String),
    sa.column("name", sa.String),
    sa.column("email", sa.String),
    sa.column("sealed_name", sa.Text),
    sa.column("sealed_email", sa.Text),
    sa.column("email_index", sa.String),
    sa.column("erased_at", sa.DateTime(timezone=True)),
)
idempotency = sa.table(
    "idempotency_keys", sa.column("subject", sa.String), sa.column("key", sa.String), sa.column("body", sa.Text)
)


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_name", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sealed_email", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("email_index", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
    _seal_existing(op.get_bind())
    _forget_registration_answers(op.get_bind())
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_participants_email_index", ["email_index"])
        batch_op.drop_column("name")
        batch_op.drop_column("email")


def _seal_existing(conn) -> None:
    erased_at = utcnow()
    for participant_id, name, email in conn.execute(
        sa.select(participants.c.id, participants.c.name, participants.c.email)
    ).all():
        if email == personal.erased_email(participant_id):  # erased before: the markers were all that was left
            values = {"erased_at": erased_at}
        else:
            data_key = new_data_key()
            data_keys.keep(conn, participant_id, data_key)
            index = personal.email_index(data_keys.service_key(conn, personal.EMAIL_INDEX_KEY), email)
            values = personal.sealed_columns(data_key, participant_id, name, email) | {"email_index": index}
        conn.execute(participants.update().where(participants.c.id == participant_id).values(**values))


def _forget_registration_answers(conn) -> None:
    for subject, key, body in conn.execute(
        sa.select(idempotency.c.subject, idempotency.c.key, idempotency.c.body)
    ).all():
        try:
            document = json.loads(body)
        except ValueError:
            continue
        if isinstance(document, dict) and ("email" in document or "name" in document):
            conn.execute(idempotency.delete().where(idempotency.c.subject == subject, idempotency.c.key == key))


def downgrade() -> None:
    """Back to plaintext columns: every name and e-mail is opened (an erased participant gets
    the markers of before)."""
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    conn = op.get_bind()
    keys = sa.table("data_keys", sa.column("record_id", sa.String), sa.column("wrapped", sa.String))
    query = sa.select(
        participants.c.id,
        participants.c.sealed_name,
        participants.c.sealed_email,
        participants.c.erased_at,
        keys.c.wrapped.label("wrapped_key"),
    )
    for row in (
        conn.execute(query.select_from(participants.outerjoin(keys, keys.c.record_id == participants.c.id)))
        .mappings()
        .all()
    ):
        shown = personal.shown(row, data_keys.unwrap(conn, row["id"], row["wrapped_key"]))
        conn.execute(
            participants.update().where(participants.c.id == row["id"]).values(name=shown["name"], email=shown["email"])
        )
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.alter_column("name", existing_type=sa.String(length=200), nullable=False)
        batch_op.alter_column("email", existing_type=sa.String(length=254), nullable=False)
        batch_op.create_unique_constraint("participants_email_key", ["email"])
        batch_op.drop_constraint("uq_participants_email_index", type_="unique")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("email_index")
        batch_op.drop_column("sealed_email")
        batch_op.drop_column("sealed_name")
    op.drop_table("data_keys")
