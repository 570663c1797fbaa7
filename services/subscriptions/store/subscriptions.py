"""Subscriptions as rows: their event types and regions kept as JSON lists, their signing secrets
sealed (store.secrets) and never part of what is read here: `secrets.opened` alone opens them."""

from __future__ import annotations

import json

from sqlalchemy import Connection, delete, func, insert, select, update

from services.subscriptions.store import secrets
from services.subscriptions.store.tables import deliveries, subscriptions

_READ = [column for column in subscriptions.c if column.name not in secrets.COLUMNS]


def _as_subscription(row) -> dict:
    found = dict(row._mapping)
    found["types"] = json.loads(found["types"])
    found["regions"] = json.loads(found["regions"])
    return found


def add(conn: Connection, values: dict) -> None:
    row = {**values, "types": json.dumps(values["types"]), "regions": json.dumps(values["regions"])}
    conn.execute(insert(subscriptions).values(secrets.sealed(conn, values["id"], row)))


def find(conn: Connection, subscription_id: str) -> dict | None:
    row = conn.execute(select(*_READ).where(subscriptions.c.id == subscription_id)).first()
    return _as_subscription(row) if row else None


def page(conn: Connection, owner: str | None, limit: int, offset: int) -> tuple[list[dict], int]:
    """A page of subscriptions, oldest first: `owner`'s, or everyone's when None."""
    where = [subscriptions.c.owner == owner] if owner is not None else []
    total = conn.execute(select(func.count()).select_from(subscriptions).where(*where)).scalar_one()
    rows = conn.execute(
        select(*_READ)
        .where(*where)
        .order_by(subscriptions.c.created_at, subscriptions.c.id)
        .limit(limit)
        .offset(offset)
    )
    return [_as_subscription(row) for row in rows], total


def every_receiving(conn: Connection) -> list[dict]:
    """The subscriptions an event may be recorded for: all of them, paused ones too (they resume)."""
    return [_as_subscription(row) for row in conn.execute(select(*_READ))]


def change(conn: Connection, subscription_id: str, values: dict) -> None:
    conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription_id)
        .values(secrets.sealed(conn, subscription_id, values))
    )


def remove(conn: Connection, subscription_id: str) -> None:
    conn.execute(delete(deliveries).where(deliveries.c.subscription_id == subscription_id))
    conn.execute(delete(subscriptions).where(subscriptions.c.id == subscription_id))
