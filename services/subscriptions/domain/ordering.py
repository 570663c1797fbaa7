"""Which pending deliveries may be sent now: ordered per key, bounded per subscriber.

A later event of a key waits until the earlier one of the same subscription and key is
delivered, so a receiver sees a key's events in the order Convene published them. Each
subscription has at most `per_subscription` deliveries in flight, so a slow receiver holds
only its own slots and the others' deliveries go on.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Pending:
    delivery_id: int
    subscription_id: str
    ordering_key: str
    due_at: datetime
    in_flight: bool = False  # being sent now (its lease is held)


def sendable(pending: Iterable[Pending], now: datetime, per_subscription: int) -> list[Pending]:
    """The deliveries to start now, from `pending` (every undelivered one, in flight or not)."""
    heads: dict[tuple[str, str], Pending] = {}
    slots: dict[str, int] = {}
    for item in sorted(pending, key=lambda p: p.delivery_id):
        heads.setdefault((item.subscription_id, item.ordering_key), item)
        if item.in_flight:
            slots[item.subscription_id] = slots.get(item.subscription_id, 0) + 1
    chosen = []
    for head in sorted(heads.values(), key=lambda p: (p.due_at, p.delivery_id)):
        if head.in_flight or head.due_at > now or slots.get(head.subscription_id, 0) >= per_subscription:
            continue
        slots[head.subscription_id] = slots.get(head.subscription_id, 0) + 1
        chosen.append(head)
    return chosen
