"""Queries over the e-mails to participants: recording them once, finding and claiming those due,
marking what became of each, the log of what was sent, opt-outs, and forgetting a person."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, delete, or_, select, update

from services.enrolment.store.tables import notification_log, notification_opt_outs, notifications, notified_events
from shared.db import dialect_insert

PENDING, SENT, PARKED, DROPPED = "pending", "sent", "parked", "dropped"


_RECORD: dict[str, object] = {}  # by dialect name: built once, it is on every enrolment's path


def record(conn: Connection, rows: list[dict]) -> int:
    """Insert notifications, each once: a row whose (cause, person, kind) is held already is left out."""
    if not rows:
        return 0
    statement = _RECORD.get(conn.dialect.name)
    if statement is None:
        statement = dialect_insert(conn, notifications).on_conflict_do_nothing().returning(notifications.c.id)
        _RECORD[conn.dialect.name] = statement
    return len(conn.execute(statement, rows).all())


def first_notice_of(conn: Connection, event_id: str, now: datetime) -> bool:
    """Note that `event_id`'s notifications are being recorded; False if they were before."""
    statement = dialect_insert(conn, notified_events).on_conflict_do_nothing().returning(notified_events.c.event_id)
    return conn.execute(statement, {"event_id": event_id, "recorded_at": now}).first() is not None


def due(conn: Connection, now: datetime, limit: int) -> list[str]:
    """Ids of the pending notifications due now that no notifier has claimed (or whose claim expired)."""
    query = (
        select(notifications.c.id)
        .where(notifications.c.status == PENDING, notifications.c.next_attempt_at <= now, _unclaimed(now))
        .order_by(notifications.c.next_attempt_at, notifications.c.id)
        .limit(limit)
    )
    return list(conn.execute(query).scalars())


def claim(conn: Connection, notification_id: str, holder: str, now: datetime, until: datetime) -> dict | None:
    """Claim a due notification for `holder` until `until`; None if it is not due, gone, or another's."""
    claimed = conn.execute(
        update(notifications)
        .where(
            notifications.c.id == notification_id,
            notifications.c.status == PENDING,
            notifications.c.next_attempt_at <= now,
            _unclaimed(now),
        )
        .values(claimed_until=until, claimed_by=holder)
        .returning(*notifications.c)
    ).mappings()
    row = claimed.first()
    return None if row is None else dict(row)


def renew_claim(conn: Connection, notification_id: str, holder: str, now: datetime, until: datetime) -> bool:
    """Extend `holder`'s live claim (to send now); False if the row is gone (erased) or the claim lapsed."""
    return (
        conn.execute(
            update(notifications)
            .where(
                notifications.c.id == notification_id,
                notifications.c.status == PENDING,
                notifications.c.claimed_by == holder,
                notifications.c.claimed_until > now,
            )
            .values(claimed_until=until)
        ).rowcount
        == 1
    )


def _unclaimed(now: datetime):
    return or_(notifications.c.claimed_until.is_(None), notifications.c.claimed_until <= now)


_UNCLAIM = {"claimed_until": None, "claimed_by": None}


def next_due_at(conn: Connection) -> datetime | None:
    query = select(notifications.c.next_attempt_at).where(notifications.c.status == PENDING)
    return conn.execute(query.order_by(notifications.c.next_attempt_at).limit(1)).scalar()


def mark_sent(conn: Connection, row: dict, channel: str, sent_at: datetime) -> bool:
    """Mark a pending notification sent and log it; False if it is gone (its person erased meanwhile)."""
    changed = conn.execute(
        update(notifications)
        .where(notifications.c.id == row["id"], notifications.c.status == PENDING)
        .values(status=SENT, attempts=row["attempts"] + 1, **_UNCLAIM)
        .returning(notifications.c.id)
    ).first()
    if changed is None:
        return False
    conn.execute(
        dialect_insert(conn, notification_log).on_conflict_do_nothing(),
        {
            "notification_id": row["id"],
            "participant_id": row["participant_id"],
            "kind": row["kind"],
            "channel": channel,
            "sent_at": sent_at,
        },
    )
    return True


def mark_failed(conn: Connection, notification_id: str, attempts: int, *, retry_at: datetime | None, reason: str):
    """Another failed try: wait until `retry_at`, or (None) park it with `reason`."""
    values = {"attempts": attempts, "parked_reason": reason, **_UNCLAIM}
    values |= {"next_attempt_at": retry_at} if retry_at else {"status": PARKED}
    conn.execute(
        update(notifications).where(notifications.c.id == notification_id, notifications.c.status == PENDING),
        values,
    )


def drop(conn: Connection, notification_id: str, reason: str) -> None:
    """Nothing to send any more (the person opted out, the session moved again): never sent."""
    conn.execute(
        update(notifications)
        .where(notifications.c.id == notification_id, notifications.c.status == PENDING)
        .values(status=DROPPED, parked_reason=reason, **_UNCLAIM)
    )


def parked(conn: Connection) -> list[dict]:
    query = select(
        notifications.c.id,
        notifications.c.participant_id,
        notifications.c.kind,
        notifications.c.attempts,
        notifications.c.parked_reason,
        notifications.c.created_at,
    ).where(notifications.c.status == PARKED)
    return [dict(row) for row in conn.execute(query.order_by(notifications.c.created_at)).mappings()]


def unpark(conn: Connection, ids: Iterable[str] | None, now: datetime) -> int:
    """Put parked notifications (all, or those of `ids`) back to be sent now, with a fresh count of tries."""
    statement = update(notifications).where(notifications.c.status == PARKED)
    if ids is not None:
        statement = statement.where(notifications.c.id.in_(list(ids)))
    return conn.execute(
        statement.values(status=PENDING, attempts=0, next_attempt_at=now, parked_reason=None, **_UNCLAIM)
    ).rowcount


def log_of(conn: Connection, participant_id: str) -> list[dict]:
    query = select(notification_log).where(notification_log.c.participant_id == participant_id)
    return [dict(row) for row in conn.execute(query.order_by(notification_log.c.sent_at)).mappings()]


def opted_out(conn: Connection, participant_ids: list[str]) -> set[tuple[str, str]]:
    """(participant id, kind) of every kind these people have turned off."""
    if not participant_ids:
        return set()
    query = select(notification_opt_outs).where(notification_opt_outs.c.participant_id.in_(participant_ids))
    return {(row.participant_id, row.kind) for row in conn.execute(query)}


def set_opt_outs(conn: Connection, participant_id: str, kinds: Iterable[str]) -> None:
    conn.execute(delete(notification_opt_outs).where(notification_opt_outs.c.participant_id == participant_id))
    rows = [{"participant_id": participant_id, "kind": kind} for kind in kinds]
    if rows:
        conn.execute(notification_opt_outs.insert(), rows)


def forget(conn: Connection, participant_id: str) -> None:
    """Erasure: the person's notifications, whatever their state, their log and their opt-outs."""
    for table in (notifications, notification_log, notification_opt_outs):
        conn.execute(delete(table).where(table.c.participant_id == participant_id))
