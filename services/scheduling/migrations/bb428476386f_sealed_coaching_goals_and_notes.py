"""sealed coaching goals and progress notes under per-coachee data keys

A coachee's own words about their goals (`coaching_goals.words` → `sealed_words`) and every
progress note of their coaching (`coaching_progress.note` → `sealed_note`, the coach's too)
are stored only sealed under a data key of the coachee's (`data_keys`, record id = the
participant id, wrapped by the service's key-encryption key: PERSONAL_DATA_KEY or
PERSONAL_DATA_KEY_FILE must be set when the tables have rows). Erasure destroys the key, so no
copy of the words (PostgreSQL's WAL and archives, replicas, backups) can be read again.

No data to migrate in production: both tables are new in the same release as this revision
(d3437f753296), so no installation has released plaintext goals or notes. Rows a development
database holds from that revision are sealed here; copies of their plaintext made before it ran
(WAL, SQLite's write-ahead log until its next checkpoint) are not reached (docs/erasure.md).

Revision ID: bb428476386f
Revises: d3437f753296
Create Date: 2026-11-29 18:40:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from services.scheduling.store.goals import note_context, words_context
from shared import data_keys
from shared.sealing import open_sealed, seal

# revision identifiers, used by Alembic.
revision: str = "bb428476386f"
down_revision: str | Sequence[str] | None = "d3437f753296"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

goals = sa.table(
    "coaching_goals",
    sa.column("offer_id", sa.String),
    sa.column("participant_id", sa.String),
    sa.column("words", sa.String),
    sa.column("sealed_words", sa.Text),
)
notes = sa.table(
    "coaching_progress",
    sa.column("session_id", sa.String),
    sa.column("author", sa.String),
    sa.column("coachee_id", sa.String),
    sa.column("note", sa.String),
    sa.column("sealed_note", sa.Text),
)


def upgrade() -> None:
    op.create_table(
        "data_keys",
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("wrapped", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("record_id"),
    )
    with op.batch_alter_table("coaching_goals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_words", sa.Text(), nullable=True))
    with op.batch_alter_table("coaching_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_note", sa.Text(), nullable=True))
    _seal_existing(op.get_bind())
    with op.batch_alter_table("coaching_goals", schema=None) as batch_op:
        batch_op.alter_column("sealed_words", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("words")
    with op.batch_alter_table("coaching_progress", schema=None) as batch_op:
        batch_op.alter_column("sealed_note", existing_type=sa.Text(), nullable=False)
        batch_op.drop_column("note")


def _seal_existing(conn) -> None:
    for offer_id, participant_id, words in conn.execute(
        sa.select(goals.c.offer_id, goals.c.participant_id, goals.c.words)
    ).all():
        sealed = seal(data_keys.obtain(conn, participant_id), words, words_context(offer_id, participant_id))
        conn.execute(
            goals.update()
            .where(goals.c.offer_id == offer_id, goals.c.participant_id == participant_id)
            .values(sealed_words=sealed)
        )
    for session_id, author, coachee_id, note in conn.execute(
        sa.select(notes.c.session_id, notes.c.author, notes.c.coachee_id, notes.c.note)
    ).all():
        sealed = seal(data_keys.obtain(conn, coachee_id), note, note_context(session_id, author))
        conn.execute(
            notes.update().where(notes.c.session_id == session_id, notes.c.author == author).values(sealed_note=sealed)
        )


def downgrade() -> None:
    """Back to plaintext columns: every sealed word and note is opened with its coachee's key."""
    with op.batch_alter_table("coaching_goals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("words", sa.String(length=1000), nullable=True))
    with op.batch_alter_table("coaching_progress", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.String(length=2000), nullable=True))
    conn = op.get_bind()
    for offer_id, participant_id, sealed in conn.execute(
        sa.select(goals.c.offer_id, goals.c.participant_id, goals.c.sealed_words)
    ).all():
        words = open_sealed(data_keys.obtain(conn, participant_id), sealed, words_context(offer_id, participant_id))
        conn.execute(
            goals.update()
            .where(goals.c.offer_id == offer_id, goals.c.participant_id == participant_id)
            .values(words=words)
        )
    for session_id, author, coachee_id, sealed in conn.execute(
        sa.select(notes.c.session_id, notes.c.author, notes.c.coachee_id, notes.c.sealed_note)
    ).all():
        note = open_sealed(data_keys.obtain(conn, coachee_id), sealed, note_context(session_id, author))
        conn.execute(notes.update().where(notes.c.session_id == session_id, notes.c.author == author).values(note=note))
    with op.batch_alter_table("coaching_goals", schema=None) as batch_op:
        batch_op.alter_column("words", existing_type=sa.String(length=1000), nullable=False)
        batch_op.drop_column("sealed_words")
    with op.batch_alter_table("coaching_progress", schema=None) as batch_op:
        batch_op.alter_column("note", existing_type=sa.String(length=2000), nullable=False)
        batch_op.drop_column("sealed_note")
    op.drop_table("data_keys")
