"""Deliveries as rows: recorded with the event that causes them, claimed by a lease while sent."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection, and_, func, or_, select, update

from services.subscriptions.domain.ordering import Pending
from services.subscriptions.store.tables import deliveries, subscriptions
from shared.db import dialect_insert

PENDING = "pending"
DELIVERED = "delivered"
ERASED = "erased"  # never sent: its event was about a person erased before it went out


def add(conn: Connection, values: dict) -> None:
    """Record a delivery once: a second one for the same subscription and event is ignored."""
    statement = dialect_insert(conn, deliveries).values(values)
    conn.execute(statement.on_conflict_do_nothing(index_elements=["subscription_id", "event_id"]))


def pending(conn: Connection, now: datetime) -> list[Pending]:
    """Every undelivered delivery of an active subscription, in flight (leased) or not."""
    c = deliveries.c
    rows = conn.execute(
        select(c.id, c.subscription_id, c.ordering_key, c.next_attempt_at, c.lease_until)
        .join(subscriptions, subscriptions.c.id == c.subscription_id)
        .where(c.status == PENDING, subscriptions.c.status == "active")
    )
    return [
        Pending(row.id, row.subscription_id, row.ordering_key, _aware(row.next_attempt_at), _leased(row, now))
        for row in rows
    ]


def claim(conn: Connection, delivery_id: int, now: datetime, until: datetime) -> bool:
    """Take the lease of a pending delivery; False if another worker holds it or it is done."""
    c = deliveries.c
    claimed = conn.execute(
        update(deliveries)
        .where(c.id == delivery_id, c.status == PENDING, or_(c.lease_until.is_(None), c.lease_until < now))
        .values(lease_until=until)
    )
    return claimed.rowcount == 1


def find(conn: Connection, delivery_id: int) -> dict | None:
    row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
    return dict(row._mapping) if row else None


def finish(conn: Connection, delivery_id: int, values: dict) -> None:
    """Record an attempt's outcome and give the lease back."""
    conn.execute(update(deliveries).where(deliveries.c.id == delivery_id).values({**values, "lease_until": None}))


def page(conn: Connection, subscription_id: str, limit: int, offset: int) -> tuple[list[dict], int]:
    """A subscription's delivery log, newest first."""
    where = deliveries.c.subscription_id == subscription_id
    total = conn.execute(select(func.count()).select_from(deliveries).where(where)).scalar_one()
    rows = conn.execute(select(deliveries).where(where).order_by(deliveries.c.id.desc()).limit(limit).offset(offset))
    return [dict(row._mapping) for row in rows], total


def send_again(
    conn: Connection, subscription_id: str, now: datetime, *, event_id: str | None = None, since=None, until=None
) -> int:
    """Make deliveries of a subscription pending again (one event, or those of a time range): the count."""
    c = deliveries.c
    where = [c.subscription_id == subscription_id, c.payload != ""]  # an erased person's are gone for good
    if event_id is not None:
        where.append(c.event_id == event_id)
    else:
        where.append(and_(c.event_time >= since, c.event_time < until))
    result = conn.execute(
        update(deliveries)
        .where(*where)
        .values(status=PENDING, attempts=0, next_attempt_at=now, first_attempt_at=None, delivered_at=None)
    )
    return result.rowcount


def forget_mentions(conn: Connection, opaque_id: str, keep_event: str) -> int:
    """Empty the body of every delivery whose event names `opaque_id` (as any JSON string of it),
    but `keep_event`'s; undelivered ones are never sent. The log rows stay: ids, types, outcomes."""
    c = deliveries.c
    mentions = [c.payload.contains(f'"{opaque_id}"', autoescape=True), c.event_id != keep_event]
    conn.execute(update(deliveries).where(*mentions, c.status == PENDING).values(status=ERASED, lease_until=None))
    return conn.execute(update(deliveries).where(*mentions).values(payload="")).rowcount


def retry_now(conn: Connection, subscription_id: str, now: datetime) -> None:
    """A resumed subscription's undelivered events: due now, with a fresh retry window."""
    c = deliveries.c
    conn.execute(
        update(deliveries)
        .where(c.subscription_id == subscription_id, c.status == PENDING)
        .values(next_attempt_at=now, first_attempt_at=None, attempts=0)
    )


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite gives naive UTC back


def _leased(row, now: datetime) -> bool:
    return row.lease_until is not None and _aware(row.lease_until) > now
