"""Subscriptions of outside systems, after the CloudEvents Subscriptions API: a system (role
`service`) creates, reads, lists, pauses, resumes, rotates the secret of and deletes its own;
the national team reads all. The secret is stored sealed (store.secrets) and answered only at
creation and rotation (and to a repeat of the creating request with its Idempotency-Key)."""

from __future__ import annotations

import uuid

from services.subscriptions.delivery.addresses import check_sink
from services.subscriptions.domain import secrets
from services.subscriptions.store import deliveries
from services.subscriptions.store import secrets as sealed_secrets
from services.subscriptions.store import subscriptions as store
from services.subscriptions.usecases.access import owned, visible
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.registry import event_types
from shared.errors import Conflict, RuleViolation
from shared.paging import Page
from shared.unit import Unit

ACTIVE = "active"
PAUSED = "paused"


def deliverable_types() -> set[str]:
    """The event types a subscription may name: every public event but this service's own."""
    return {name for name, declared in event_types().items() if declared.topic.owner != "subscriptions"}


def create(unit: Unit, body: dict) -> dict:
    unknown = sorted(set(body["types"]) - deliverable_types())
    if unknown:
        raise RuleViolation("unknown_event_type", f"no such event type: {unknown[0]}", field="types")
    check_sink(body["sink"], unit.settings.sink_rules)
    now = utcnow()
    subscription = {
        "id": str(uuid.uuid4()),
        "owner": unit.principal.subject,
        "sink": body["sink"],
        "protocol": body["protocol"],
        "types": sorted(set(body["types"])),
        "regions": sorted(set(body["filters"]["regions"])),
        "status": ACTIVE,
        "paused_reason": None,
        "secret": secrets.new_secret(),
        "previous_secret": None,
        "previous_secret_until": None,
        "validated_at": None,
        "created_at": now,
        "updated_at": now,
    }
    store.add(unit.conn, subscription)
    return subscription  # the schema of this answer alone shows the secret


def replay_creation(unit: Unit, subscription_id: str) -> dict:
    """The answer to a repeat of a creation with its Idempotency-Key: the key table keeps only the
    id (never the secret), so the subscription is read now, with its current secret, by its owner."""
    subscription = owned(unit, subscription_id)
    return subscription | {"secret": sealed_secrets.opened(unit.conn, subscription_id)[0]}


def read(unit: Unit, subscription_id: str) -> dict:
    return visible(unit, subscription_id)


def listing(unit: Unit, query: dict) -> Page:
    owner = None if unit.principal.role is Role.NATIONAL else unit.principal.subject
    items, total = store.page(unit.conn, owner, query["limit"], query["offset"])
    return Page.of(items, total, query)


def pause(unit: Unit, subscription_id: str) -> dict:
    subscription = owned(unit, subscription_id)
    if subscription["status"] != PAUSED:
        store.change(
            unit.conn, subscription_id, {"status": PAUSED, "paused_reason": "paused_by_owner", "updated_at": utcnow()}
        )
    return store.find(unit.conn, subscription_id)


def resume(unit: Unit, subscription_id: str) -> dict:
    """Deliveries start again, the undelivered ones first, each with a new retry window; the
    sink is checked again, and validated again before the next delivery."""
    subscription = owned(unit, subscription_id)
    if subscription["status"] == ACTIVE:
        raise Conflict("subscription_active", "the subscription is not paused", field="subscription_id")
    check_sink(subscription["sink"], unit.settings.sink_rules)
    now = utcnow()
    store.change(
        unit.conn, subscription_id, {"status": ACTIVE, "paused_reason": None, "validated_at": None, "updated_at": now}
    )
    deliveries.retry_now(unit.conn, subscription_id, now)
    return store.find(unit.conn, subscription_id)


def rotate_secret(unit: Unit, subscription_id: str) -> dict:
    """A new secret; deliveries carry signatures by both until the overlap ends."""
    owned(unit, subscription_id)
    now = utcnow()
    current, _ = sealed_secrets.opened(unit.conn, subscription_id)
    changed = secrets.rotated(current, now, unit.settings.webhook_secret_overlap_seconds)
    store.change(unit.conn, subscription_id, {**changed, "updated_at": now})
    return store.find(unit.conn, subscription_id) | {"secret": changed["secret"]}  # answered this once


def delete(unit: Unit, subscription_id: str) -> None:
    owned(unit, subscription_id)
    store.remove(unit.conn, subscription_id)
