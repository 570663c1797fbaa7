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
FORGOTTEN_KEY = ""  # the ordering key of a delivery whose body is gone: it orders nothing any more


def add(conn: Connection, values: dict) -> None:
    """Record a delivery once: a second one for the same subscription and event is ignored."""
    statement = dialect_insert(conn, deliveries).values({**values, "event_time": as_utc(values["event_time"])})
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


def claim(conn: Connection, item: Pending, now: datetime, until: datetime, per_subscription: int) -> bool:
    """Take the lease of a pending delivery that is due, in one conditional UPDATE, so of several
    workers at once one wins: False if another worker holds an unexpired lease, it is not due
    (another worker recorded a failure since it was read), an earlier delivery of its key is
    still pending, its subscription has `per_subscription` leases out already, or it is done.
    A crashed worker's lease expires at `until` and the delivery can be claimed again.

    The subscription's row is locked first (PostgreSQL; SQLite's writers queue on the file), so
    two workers counting its leases at once cannot both take the last slot."""
    c = deliveries.c
    conn.execute(select(subscriptions.c.id).where(subscriptions.c.id == item.subscription_id).with_for_update())
    earlier = deliveries.alias("earlier")
    in_flight = (
        select(func.count())
        .select_from(earlier)
        .where(
            earlier.c.subscription_id == item.subscription_id,
            earlier.c.status == PENDING,
            earlier.c.lease_until > now,
        )
        .scalar_subquery()
    )
    waits_for_earlier = (
        select(earlier.c.id)
        .where(
            earlier.c.subscription_id == item.subscription_id,
            earlier.c.ordering_key == item.ordering_key,
            earlier.c.status == PENDING,
            earlier.c.id < item.delivery_id,
        )
        .exists()
    )
    claimed = conn.execute(
        update(deliveries)
        .where(
            c.id == item.delivery_id,
            c.status == PENDING,
            c.next_attempt_at <= now,
            or_(c.lease_until.is_(None), c.lease_until < now),
            ~waits_for_earlier,
            in_flight < per_subscription,
        )
        .values(lease_until=until)
    )
    return claimed.rowcount == 1


def find(conn: Connection, delivery_id: int) -> dict | None:
    row = conn.execute(select(deliveries).where(deliveries.c.id == delivery_id)).first()
    return dict(row._mapping) if row else None


_OUTCOME = ("status", "delivered_at")


def finish(conn: Connection, delivery_id: int, values: dict) -> None:
    """Record an attempt's outcome and give the lease back. A delivery erased while its attempt
    was under way stays erased: the attempt's figures are recorded, never `delivered`."""
    c = deliveries.c
    figures = {name: value for name, value in values.items() if name not in _OUTCOME}
    conn.execute(update(deliveries).where(c.id == delivery_id).values({**figures, "lease_until": None}))
    outcome = {name: value for name, value in values.items() if name in _OUTCOME}
    if outcome:
        conn.execute(update(deliveries).where(c.id == delivery_id, c.status == PENDING).values(outcome))


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
    else:  # in UTC, as event times are stored: SQLite compares the text, without the offset
        where.append(and_(c.event_time >= as_utc(since), c.event_time < as_utc(until)))
    result = conn.execute(
        update(deliveries)
        .where(*where)
        .values(status=PENDING, attempts=0, next_attempt_at=now, first_attempt_at=None, delivered_at=None)
    )
    return result.rowcount


def forget_mentions(conn: Connection, opaque_id: str, keep_event: str) -> int:
    """Empty the body and ordering key of every delivery whose event names `opaque_id` (as any
    JSON string of it, or as its key), but `keep_event`'s; undelivered ones are never sent. The
    log rows stay: ids, types, outcomes."""
    c = deliveries.c
    named = or_(
        c.payload.contains(f'"{opaque_id}"', autoescape=True),
        c.ordering_key.endswith(f"/{opaque_id}", autoescape=True),
    )
    mentions = [named, c.event_id != keep_event]
    # A lease is left to its holder: an attempt already under way ends and gives it back (finish).
    conn.execute(update(deliveries).where(*mentions, c.status == PENDING).values(status=ERASED))
    return conn.execute(update(deliveries).where(*mentions).values(payload="", ordering_key=FORGOTTEN_KEY)).rowcount


def forget_delivered(conn: Connection, delivery_id: int) -> None:
    """Empty a delivered erasure's body and key at once: it names the person it erased."""
    c = deliveries.c
    conn.execute(
        update(deliveries)
        .where(c.id == delivery_id, c.status == DELIVERED)
        .values(payload="", ordering_key=FORGOTTEN_KEY)
    )


def purge_bodies(conn: Connection, finished_before: datetime) -> int:
    """Retention: empty the body and key of every delivery finished (delivered, or erased and never
    to be sent) before `finished_before`. Its log row stays; it can no longer be redelivered."""
    c = deliveries.c
    finished = or_(
        and_(c.status == DELIVERED, c.delivered_at < finished_before),
        and_(c.status == ERASED, c.created_at < finished_before),
    )
    return conn.execute(
        update(deliveries)
        .where(finished, or_(c.payload != "", c.ordering_key != FORGOTTEN_KEY))
        .values(payload="", ordering_key=FORGOTTEN_KEY)
    ).rowcount


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


def as_utc(moment: datetime) -> datetime:
    """A time as it is stored and compared: in UTC (a naive one is taken as UTC already)."""
    return _aware(moment).astimezone(UTC)


def _leased(row, now: datetime) -> bool:
    return row.lease_until is not None and _aware(row.lease_until) > now
