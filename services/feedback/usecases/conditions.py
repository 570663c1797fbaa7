"""Are we creating the conditions for a productive learning community: each group's continuity,
membership changes, size and risks, the at-risk groups for their region's administrator, and
whether continuity goes with trust and a shared sense of direction across groups
(domain/conditions.py; what is published and why in docs/disclosure.md).

Every role reads the same group views: a group is shown or withheld by its own size alone, so a
filter only chooses which groups to list and cannot be set against another to uncover one."""

from __future__ import annotations

from datetime import datetime

from services.feedback.domain.aggregates import REGIONS
from services.feedback.domain.conditions import (
    DIRECTION,
    GROUP_OFFER_TYPES,
    TRUST,
    Group,
    GroupConditions,
    association,
    association_view,
    at_risk_in_region,
    group_conditions,
    group_view,
)
from services.feedback.store import conditions as store
from services.feedback.usecases.reports import own_region
from shared.auth import Role
from shared.clock import as_utc, utcnow
from shared.unit import Unit


def membership_changed(unit: Unit, enrolment: dict, change: str, at: datetime) -> None:
    """A member joined or left a group offer at `at` (the event's time). Coaching memberships
    are not kept: nothing reads them."""
    if enrolment["offer_type"] in GROUP_OFFER_TYPES:
        store.record_change(unit.conn, enrolment["offer_id"], enrolment["participant_id"], at, change)


def conditions(unit: Unit, query: dict) -> dict:
    """The groups of the scope (a regional administrator's own region; the national team and
    services every region, or one with `region`), of one group type with `offer_type`."""
    regional = unit.principal.role == Role.REGIONAL_ADMIN
    region = own_region(unit.principal, query.get("region")) if regional else query.get("region")
    offer_types = [query["offer_type"]] if query.get("offer_type") else list(GROUP_OFFER_TYPES)
    groups = _groups(unit, offer_types, region)
    scores = store.after_scores(unit.conn, [g.group_id for g in groups])
    at_risk = [
        entry
        for r in ([region] if region else REGIONS)
        for entry in at_risk_in_region(groups, r, keeps_register=regional)
    ]
    shown = sum(1 for g in groups if not g.withheld)
    return {
        "scope": "region" if regional else "national",
        "region": region,
        "groups": [group_view(g, keeps_register=regional) for g in groups],
        "at_risk": at_risk,
        "associations": [association_view(association(groups, scores, m)) for m in (TRUST, DIRECTION)],
        "summary": {"groups": len(groups), "shown": shown, "withheld": len(groups) - shown, "at_risk": len(at_risk)},
    }


def _groups(unit: Unit, offer_types: list[str], region: str | None) -> list[GroupConditions]:
    """Each formed group that has held a session or has had members, in (region, offer type,
    group) order."""
    conn = unit.conn
    offers = store.formed_groups(conn, offer_types, region)
    ids = [o["offer_id"] for o in offers]
    sessions, members = store.held_sessions(conn, ids, utcnow()), store.memberships(conn, ids)
    found = []
    for offer in offers:
        group = Group(
            group_id=offer["offer_id"],
            region=offer["region"],
            offer_type=offer["offer_type"],
            formed_at=as_utc(offer["started_at"]),
            sessions=sessions.get(offer["offer_id"], []),
            memberships=members.get(offer["offer_id"], []),
        )
        if group.sessions or group.memberships:
            found.append(group_conditions(group))
    return found
