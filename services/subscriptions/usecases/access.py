"""Who may see and change a subscription: the system that owns it; the national team reads all."""

from __future__ import annotations

from services.subscriptions.store import subscriptions as store
from shared.auth import Role
from shared.errors import NotFound
from shared.unit import Unit


def visible(unit: Unit, subscription_id: str) -> dict:
    """The subscription, if the caller may read it; 404 otherwise, so others' ids do not leak."""
    found = store.find(unit.conn, subscription_id)
    if found is None or not (unit.principal.role is Role.NATIONAL or found["owner"] == unit.principal.subject):
        raise NotFound("subscription_not_found", "no such subscription", field="subscription_id")
    return found


def owned(unit: Unit, subscription_id: str) -> dict:
    """The subscription, if the caller owns it (only its owner changes it)."""
    found = visible(unit, subscription_id)
    if found["owner"] != unit.principal.subject:
        raise NotFound("subscription_not_found", "no such subscription of yours", field="subscription_id")
    return found
