"""Facilitators and coaches: registered by their region's administrator, with kind, monthly
capacity and skills; their id is the `sub` of their token, and they carry no name."""
from __future__ import annotations

import uuid

from shared.api import Call, Page
from shared.auth import Role
from shared.clock import utcnow
from shared.errors import NotFound
from services.scheduling.store import facilitators as store
from services.scheduling.usecases import access


def add_facilitator(call: Call, body: dict) -> dict:
    row = {"id": str(uuid.uuid4()), "region": call.principal.region, "kind": body["kind"], "monthly_capacity": body["monthly_capacity"], "created_at": utcnow()}
    skills = sorted(set(body["skills"]))
    store.add_facilitator(call.conn, row, skills)
    return {**row, "skills": skills}


def list_facilitators(call: Call) -> Page:
    q = call.query
    region = call.principal.region if call.principal.role is Role.REGIONAL_ADMIN else None
    items, total = store.list_facilitators(call.conn, region, q.get("kind"), q.get("skill"), q["limit"], q["offset"])
    return Page(items, total, q["limit"], q["offset"])


def get_facilitator(call: Call, facilitator_id: str) -> dict:
    row = store.find_facilitator(call.conn, facilitator_id)
    if row is None or not _sees_facilitator(call.principal, row):
        raise NotFound("facilitator_not_found", "No such facilitator or coach.")
    return row


def _sees_facilitator(principal, row: dict) -> bool:
    if principal.role in access.LEADERS:
        return principal.subject == row["id"]
    return principal.in_region(row["region"])
