"""Deliveries: one recorded for each subscription an event matches, in the transaction that
consumes it (the consumer's inbox makes that once); the log per subscription; redelivery."""

from __future__ import annotations

from services.subscriptions.domain.cloudevent import ordering_key, structured
from services.subscriptions.domain.filters import Filter
from services.subscriptions.store import deliveries as store
from services.subscriptions.store import subscriptions
from services.subscriptions.usecases.access import owned, visible
from services.subscriptions.usecases.erasure import names_someone_erased
from shared.clock import utcnow
from shared.contracts.registry import lookup
from shared.envelope import Envelope
from shared.errors import RuleViolation
from shared.paging import Page
from shared.unit import Unit


def event_consumed(unit: Unit, event: Envelope) -> int:
    """Record a delivery of `event` for every subscription whose filter accepts it: how many."""
    declared = lookup(event.type)
    region = event.region or event.data.get("region")
    partitionkey = event.partitionkey or declared.key_of(event.data)
    now = utcnow()
    receiving = [
        subscription
        for subscription in subscriptions.every_receiving(unit.conn)
        if Filter(frozenset(subscription["types"]), frozenset(subscription["regions"])).accepts(event.type, region)
    ]
    if not receiving:
        return 0
    # An event about a person erased before it arrived is logged erased: no body, no key, never sent.
    forgotten = names_someone_erased(unit, event, partitionkey)
    payload = (
        ""
        if forgotten
        else structured(
            event_id=event.id,
            source=event.source,
            event_type=event.type,
            time=event.time,
            data=event.data,
            subject=event.subject,
            partitionkey=partitionkey,
            region=region,
        )
    )
    for subscription in receiving:
        store.add(
            unit.conn,
            {
                "subscription_id": subscription["id"],
                "event_id": event.id,
                "event_type": event.type,
                "event_time": event.time,
                "ordering_key": store.FORGOTTEN_KEY if forgotten else ordering_key(declared.topic.name, partitionkey),
                "payload": payload,
                "status": store.ERASED if forgotten else store.PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
    return len(receiving)


def log(unit: Unit, subscription_id: str, query: dict) -> Page:
    visible(unit, subscription_id)
    items, total = store.page(unit.conn, subscription_id, query["limit"], query["offset"])
    return Page.of(items, total, query)


def redeliver(unit: Unit, subscription_id: str, body: dict) -> dict:
    """Send again one event (`event_id`) or every event of a time range (`since` to `until`).
    Receivers see the same webhook-id as before, so one that kept the first copy drops it."""
    owned(unit, subscription_id)
    event_id, since, until = body.get("event_id"), body.get("since"), body.get("until")
    if (event_id is None) == (since is None or until is None):
        raise RuleViolation("redelivery_scope", "name either an event_id, or both since and until", field="event_id")
    if event_id is None and not since < until:
        raise RuleViolation("redelivery_range", "since must be before until", field="until")
    count = store.send_again(unit.conn, subscription_id, utcnow(), event_id=event_id, since=since, until=until)
    if event_id is not None and count == 0:
        raise RuleViolation(
            "event_not_delivered_here", "this subscription has no delivery of that event", field="event_id"
        )
    return {"redelivering": count}
