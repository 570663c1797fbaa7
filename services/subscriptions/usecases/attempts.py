"""The outcome of one attempt to send a delivery: delivered; or failed, to be tried again after a
backoff, until the retry window is over and the subscription is paused, its reason shown to its
owner and told in `subscription.paused`."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from services.subscriptions.store import deliveries as store
from services.subscriptions.store.tables import subscriptions
from shared.clock import utcnow
from shared.contracts.enrolment import PARTICIPANT_ERASED
from shared.contracts.subscriptions import SUBSCRIPTION_PAUSED
from shared.unit import Unit

_JITTER = random.Random()


@dataclass(frozen=True)
class Outcome:
    delivered: bool
    status_code: int | None  # the receiver's, if it answered
    error: str | None  # the kind of failure (`timeout`, `status`, `handshake_refused` ...), never its words
    latency_ms: int
    validated: bool = False  # the sink answered the validation handshake in this attempt


def record(unit: Unit, delivery: dict, subscription: dict, outcome: Outcome) -> None:
    now = utcnow()
    attempts = delivery["attempts"] + 1
    first = _aware(delivery["first_attempt_at"]) if delivery["first_attempt_at"] else now
    values = {
        "attempts": attempts,
        "first_attempt_at": first,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "last_latency_ms": outcome.latency_ms,
    }
    if outcome.validated:
        unit.conn.execute(
            update(subscriptions).where(subscriptions.c.id == subscription["id"]).values(validated_at=now)
        )
    if outcome.delivered:
        store.finish(unit.conn, delivery["id"], {**values, "status": store.DELIVERED, "delivered_at": now})
        if delivery["event_type"] == PARTICIPANT_ERASED.type:
            store.forget_delivered(unit.conn, delivery["id"])  # it names the person: kept no longer than needed
        return
    retry_at = unit.settings.retry_policy.next_attempt(attempts, first, now, _JITTER)
    store.finish(unit.conn, delivery["id"], {**values, "next_attempt_at": retry_at or now})
    if retry_at is None:
        pause(unit, subscription, "deliveries_failing")


def pause(unit: Unit, subscription: dict, reason: str) -> None:
    """Stop delivering to a subscription Convene cannot deliver to; told once, by the one worker that paused it."""
    now = utcnow()
    changed = unit.conn.execute(
        update(subscriptions)
        .where(subscriptions.c.id == subscription["id"], subscriptions.c.status == "active")
        .values(status="paused", paused_reason=reason, updated_at=now)
    )
    if changed.rowcount == 1:
        unit.record(
            SUBSCRIPTION_PAUSED,
            {
                "subscription_id": subscription["id"],
                "owner_id": subscription["owner"],
                "reason": reason,
                "paused_at": now.isoformat(),
            },
        )


def purge(unit: Unit) -> int:
    """Retention: the bodies of deliveries finished longer than WEBHOOK_BODY_RETENTION_SECONDS ago."""
    cutoff = utcnow() - timedelta(seconds=unit.settings.webhook_body_retention_seconds)
    return store.purge_bodies(unit.conn, cutoff)


def release(unit: Unit, delivery_id: int) -> None:
    """Give back a delivery's lease unattempted (erased, or its subscription paused, meanwhile)."""
    store.finish(unit.conn, delivery_id, {})


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
