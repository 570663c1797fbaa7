"""Facilitators and coaches: registered by their region's administrator, with kind, monthly
capacity and skills; their id is the `sub` of their token, and they carry no name."""

from __future__ import annotations

import uuid

from services.scheduling.store import facilitators as store
from services.scheduling.usecases import access
from shared.auth import Role
from shared.clock import utcnow
from shared.errors import NotFound
from shared.paging import Page
from shared.unit import Unit


def add_facilitator(unit: Unit, body: dict, *, facilitator_id: str | None = None) -> dict:
    """A new facilitator or coach, with a new random id (the demo alone names the id of its demo people)."""
    row = {
        "id": facilitator_id or str(uuid.uuid4()),
        "region": unit.principal.region,
        "kind": body["kind"],
        "monthly_capacity": body["monthly_capacity"],
        "created_at": utcnow(),
    }
    skills = sorted(set(body["skills"]))
    store.add_facilitator(unit.conn, row, skills)
    return {**row, "skills": skills}


def list_facilitators(unit: Unit, query: dict) -> Page:
    region = unit.principal.region if unit.principal.role is Role.REGIONAL_ADMIN else None
    items, total = store.list_facilitators(
        unit.conn, region, query.get("kind"), query.get("skill"), query["limit"], query["offset"]
    )
    return Page.of(items, total, query)


def get_facilitator(unit: Unit, facilitator_id: str) -> dict:
    row = store.find_facilitator(unit.conn, facilitator_id)
    if row is None or not _sees_facilitator(unit.principal, row):
        raise NotFound("facilitator_not_found", "No such facilitator or coach.")
    return row


def _sees_facilitator(principal, row: dict) -> bool:
    if principal.role in access.LEADERS:
        return principal.subject == row["id"]
    return principal.in_region(row["region"])
