"""Signing secrets as the subscriptions table keeps them: each sealed in its own column under a
data key of its own that travels wrapped beside it (shared.sealing.seal_enveloped), bound to its
subscription and column, so a copy of the table, a backup or a dump holds no secret that signs.
The key-encryption key is the service's PERSONAL_DATA_KEY, bound to the database's engine
(shared.data_keys); rotating it rewraps these too (`rewrap`)."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from services.subscriptions.store.tables import subscriptions
from shared import data_keys
from shared.data_keys import ring_of
from shared.sealing import is_enveloped, open_enveloped, rewrap_enveloped, seal_enveloped

COLUMNS = ("secret", "previous_secret")


def context(subscription_id: str, column: str) -> str:
    return f"subscriptions/{subscription_id}/{column}"


def sealed(conn: Connection, subscription_id: str, values: dict) -> dict:
    """`values` of a subscription's row with its secret columns sealed."""
    ring = ring_of(conn)
    return values | {
        column: seal_enveloped(ring, values[column], context(subscription_id, column))
        for column in COLUMNS
        if values.get(column) is not None
    }


def opened(conn: Connection, subscription_id: str) -> tuple[str, str | None]:
    """The subscription's current and previous signing secrets, to sign with."""
    row = conn.execute(
        select(subscriptions.c.secret, subscriptions.c.previous_secret).where(subscriptions.c.id == subscription_id)
    ).one()
    ring = ring_of(conn)
    current, previous = (
        None if value is None else open_enveloped(ring, value, context(subscription_id, column))
        for column, value in zip(COLUMNS, row, strict=True)
    )
    return current, previous


def rewrap(conn: Connection) -> int:
    """Rotation of the key-encryption key: every sealed secret's data key, and the service's own
    keys (the erased participants' hash key), wrapped by the current one. How many were."""
    ring, changed = ring_of(conn), data_keys.rewrap(conn)
    for row in conn.execute(select(subscriptions.c.id, *(subscriptions.c[c] for c in COLUMNS))).all():
        values = {
            column: rewrap_enveloped(ring, row._mapping[column], context(row.id, column))
            for column in COLUMNS
            if is_enveloped(row._mapping[column]) and not ring.is_current(row._mapping[column])
        }
        if values:
            conn.execute(update(subscriptions).where(subscriptions.c.id == row.id).values(values))
            changed += len(values)
    return changed
